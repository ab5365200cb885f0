package catalog

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/collectionproduct"
	"github.com/emporium/emporium/ent/image"
	"github.com/emporium/emporium/ent/menuitem"
	"github.com/emporium/emporium/ent/page"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productoption"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/variantprice"
)

// The functions below each answer one batch of a per-request dataloader with a single statement. They
// return what exists; callers treat a missing key as "none".

// ProductsByID returns products by ID, visible or not: callers that expose them decide.
func (c *Catalog) ProductsByID(ctx context.Context, ids []int) (map[int]*ent.Product, error) {
	rows, err := c.client.Product.Query().Where(product.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: products by id: %w", err)
	}
	return byID(rows, func(p *ent.Product) int { return p.ID }), nil
}

// VariantsByID returns variants by ID.
func (c *Catalog) VariantsByID(ctx context.Context, ids []int) (map[int]*ent.ProductVariant, error) {
	rows, err := c.client.ProductVariant.Query().Where(productvariant.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: variants by id: %w", err)
	}
	return byID(rows, func(v *ent.ProductVariant) int { return v.ID }), nil
}

// ImagesByID returns images by ID.
func (c *Catalog) ImagesByID(ctx context.Context, ids []int) (map[int]*ent.Image, error) {
	rows, err := c.client.Image.Query().Where(image.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: images by id: %w", err)
	}
	return byID(rows, func(i *ent.Image) int { return i.ID }), nil
}

// CollectionsByID returns collections by ID.
func (c *Catalog) CollectionsByID(ctx context.Context, ids []int) (map[int]*ent.Collection, error) {
	rows, err := c.client.Collection.Query().Where(collection.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: collections by id: %w", err)
	}
	return byID(rows, func(c *ent.Collection) int { return c.ID }), nil
}

// PagesByID returns pages by ID.
func (c *Catalog) PagesByID(ctx context.Context, ids []int) (map[int]*ent.Page, error) {
	rows, err := c.client.Page.Query().Where(page.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: pages by id: %w", err)
	}
	return byID(rows, func(p *ent.Page) int { return p.ID }), nil
}

// OptionsByID returns product options by ID.
func (c *Catalog) OptionsByID(ctx context.Context, ids []int) (map[int]*ent.ProductOption, error) {
	rows, err := c.client.ProductOption.Query().Where(productoption.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: options by id: %w", err)
	}
	return byID(rows, func(o *ent.ProductOption) int { return o.ID }), nil
}

// VariantsByProduct returns each product's variants by position.
func (c *Catalog) VariantsByProduct(ctx context.Context, productIDs []int) (map[int][]*ent.ProductVariant, error) {
	rows, err := c.client.ProductVariant.Query().
		Where(productvariant.ProductIDIn(productIDs...)).
		Order(ent.Asc(productvariant.FieldProductID, productvariant.FieldPosition, productvariant.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: variants by product: %w", err)
	}
	return groupBy(rows, func(v *ent.ProductVariant) int { return v.ProductID }), nil
}

// OptionsByProduct returns each product's options by position.
func (c *Catalog) OptionsByProduct(ctx context.Context, productIDs []int) (map[int][]*ent.ProductOption, error) {
	rows, err := c.client.ProductOption.Query().
		Where(productoption.ProductIDIn(productIDs...)).
		Order(ent.Asc(productoption.FieldProductID, productoption.FieldPosition, productoption.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: options by product: %w", err)
	}
	return groupBy(rows, func(o *ent.ProductOption) int { return o.ProductID }), nil
}

// ImagesByProduct returns each product's images by position; the first is the featured image.
func (c *Catalog) ImagesByProduct(ctx context.Context, productIDs []int) (map[int][]*ent.Image, error) {
	rows, err := c.client.Image.Query().
		Where(image.ProductIDIn(productIDs...)).
		Order(ent.Asc(image.FieldProductID, image.FieldPosition, image.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: images by product: %w", err)
	}
	return groupBy(rows, func(i *ent.Image) int { return *i.ProductID }), nil
}

// PricesByVariant returns each variant's prices in every currency.
func (c *Catalog) PricesByVariant(ctx context.Context, variantIDs []int) (map[int][]*ent.VariantPrice, error) {
	rows, err := c.client.VariantPrice.Query().Where(variantprice.VariantIDIn(variantIDs...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: prices by variant: %w", err)
	}
	return groupBy(rows, func(p *ent.VariantPrice) int { return p.VariantID }), nil
}

// StockByVariant returns the units available across all active locations of each variant that has
// inventory levels.
func (c *Catalog) StockByVariant(ctx context.Context, variantIDs []int) (map[int]int, error) {
	q := c.raw()
	q.write("SELECT il.variant_id, SUM(il.available) FROM inventory_levels il JOIN locations l ON l.id = il.location_id",
		" WHERE l.active = ", q.arg(true), " AND il.variant_id IN (", q.ints(variantIDs), ") GROUP BY il.variant_id")
	out := make(map[int]int, len(variantIDs))
	err := c.run(ctx, q, func(r *sql.Rows) error {
		var id, n int
		if err := r.Scan(&id, &n); err != nil {
			return err
		}
		out[id] = n
		return nil
	})
	return out, err
}

// CollectionsByProduct returns the collections each product belongs to, by collection ID.
func (c *Catalog) CollectionsByProduct(ctx context.Context, productIDs []int) (map[int][]*ent.Collection, error) {
	links, err := c.client.CollectionProduct.Query().
		Where(collectionproduct.ProductIDIn(productIDs...)).
		WithCollection().
		Order(ent.Asc(collectionproduct.FieldCollectionID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: collections by product: %w", err)
	}
	out := make(map[int][]*ent.Collection, len(productIDs))
	for _, l := range links {
		out[l.ProductID] = append(out[l.ProductID], l.Edges.Collection)
	}
	return out, nil
}

// MenuItemsByMenu returns every item of each menu, nested ones included, by position.
func (c *Catalog) MenuItemsByMenu(ctx context.Context, menuIDs []int) (map[int][]*ent.MenuItem, error) {
	rows, err := c.client.MenuItem.Query().
		Where(menuitem.MenuIDIn(menuIDs...)).
		Order(ent.Asc(menuitem.FieldMenuID, menuitem.FieldPosition, menuitem.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: menu items: %w", err)
	}
	return groupBy(rows, func(m *ent.MenuItem) int { return m.MenuID }), nil
}

func byID[T any](rows []T, id func(T) int) map[int]T {
	m := make(map[int]T, len(rows))
	for _, r := range rows {
		m[id(r)] = r
	}
	return m
}

func groupBy[T any](rows []T, key func(T) int) map[int][]T {
	m := make(map[int][]T)
	for _, r := range rows {
		k := key(r)
		m[k] = append(m[k], r)
	}
	return m
}
