package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productoption"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/variantprice"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
)

// ProductPayload is a product as its events carry it: the Admin API's Product, with global IDs and
// prices as exact decimals with their currency.
type ProductPayload struct {
	ID              string           `json:"id"`
	Title           string           `json:"title"`
	Handle          string           `json:"handle"`
	Status          string           `json:"status"`
	Vendor          string           `json:"vendor"`
	ProductType     string           `json:"productType"`
	DescriptionHTML string           `json:"descriptionHtml"`
	Tags            []string         `json:"tags"`
	CreatedAt       time.Time        `json:"createdAt"`
	UpdatedAt       time.Time        `json:"updatedAt"`
	PublishedAt     *time.Time       `json:"publishedAt"`
	Options         []OptionPayload  `json:"options"`
	Variants        []VariantPayload `json:"variants"`
}

// OptionPayload is a product option as events carry it.
type OptionPayload struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// VariantPayload is a variant as events carry it; Prices has one price per currency the shop sets.
type VariantPayload struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	SKU      *string        `json:"sku"`
	Position int            `json:"position"`
	Prices   []events.Money `json:"prices"`
}

// DeletedPayload is what products/delete and collections/delete carry: only the ID, as Shopify's do.
type DeletedPayload struct {
	ID string `json:"id"`
}

// recordProduct records topic for product id as tx sees it now, after the change.
func (c *Catalog) recordProduct(ctx context.Context, tx *ent.Tx, topic string, id int) error {
	p, err := tx.Product.Query().Where(product.ID(id)).Only(ctx)
	if err != nil {
		return fmt.Errorf("catalog: read product %d for %s: %w", id, topic, err)
	}
	opts, err := tx.ProductOption.Query().Where(productoption.ProductID(id)).Order(ent.Asc(productoption.FieldPosition), ent.Asc(productoption.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("catalog: read options of product %d for %s: %w", id, topic, err)
	}
	variants, err := tx.ProductVariant.Query().Where(productvariant.ProductID(id)).
		Order(ent.Asc(productvariant.FieldPosition), ent.Asc(productvariant.FieldID)).
		WithPrices(func(q *ent.VariantPriceQuery) { q.Order(ent.Asc(variantprice.FieldCurrency)) }).All(ctx)
	if err != nil {
		return fmt.Errorf("catalog: read variants of product %d for %s: %w", id, topic, err)
	}
	payload := ProductPayload{ID: gid.Encode("Product", p.ID), Title: p.Title, Handle: p.Handle, Status: string(p.Status),
		Vendor: p.Vendor, ProductType: p.ProductType, DescriptionHTML: p.DescriptionHTML, Tags: p.Tags,
		CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC(), PublishedAt: p.PublishedAt,
		Options: []OptionPayload{}, Variants: []VariantPayload{}}
	if payload.Tags == nil {
		payload.Tags = []string{}
	}
	for _, o := range opts {
		payload.Options = append(payload.Options, OptionPayload{ID: o.GlobalID(), Name: o.Name, Values: o.Values})
	}
	for _, v := range variants {
		vp := VariantPayload{ID: gid.Encode("ProductVariant", v.ID), Title: v.Title, SKU: v.Sku, Position: v.Position, Prices: []events.Money{}}
		for _, pr := range v.Edges.Prices {
			vp.Prices = append(vp.Prices, events.MoneyOf(pr.Amount, pr.Currency))
		}
		payload.Variants = append(payload.Variants, vp)
	}
	return c.events.Record(ctx, tx, topic, "Product", id, payload)
}

// CollectionPayload is a collection as its events carry it: the Admin API's Collection, without its
// products (collectionAddProducts and its kin announce a membership change as collections/update).
type CollectionPayload struct {
	ID              string     `json:"id"`
	Title           string     `json:"title"`
	Handle          string     `json:"handle"`
	DescriptionHTML string     `json:"descriptionHtml"`
	SortOrder       string     `json:"sortOrder"`
	SEO             SEOPayload `json:"seo"`
	UpdatedAt       time.Time  `json:"updatedAt"`
}

// SEOPayload is a resource's search-engine title and description.
type SEOPayload struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// recordCollection records topic for collection id as tx sees it now, after the change.
func (c *Catalog) recordCollection(ctx context.Context, tx *ent.Tx, topic string, id int) error {
	col, err := tx.Collection.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("catalog: read collection %d for %s: %w", id, topic, err)
	}
	return c.events.Record(ctx, tx, topic, "Collection", id, CollectionPayload{ID: gid.Encode("Collection", id),
		Title: col.Title, Handle: col.Handle, DescriptionHTML: col.DescriptionHTML, SortOrder: string(col.SortOrder),
		SEO: SEOPayload{Title: col.SeoTitle, Description: col.SeoDescription}, UpdatedAt: col.UpdatedAt.UTC()})
}
