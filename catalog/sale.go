package catalog

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/location"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/memo"
)

// Sale is what a cart checks of a variant it takes: the variant with its product and prices loaded, and
// its stock over the active locations.
type Sale struct {
	Variant *ent.ProductVariant
	Stock   int
}

// memos are the reads every cart change makes, kept across requests while the catalog's generation
// stays the same (see package memo). Nil fields read every time.
type memos struct {
	shop      *memo.Value[*ent.Shop]
	discounts *memo.Value[[]*ent.Discount]
	zones     *memo.Value[[]*ent.ShippingZone]
	sales     *memo.Map[int, Sale]
}

// maxSales bounds the variants whose sale data is kept: the best sellers of any shop fit.
const maxSales = 50_000

// Memoize keeps the shop's settings, active discounts, shipping zones and variants' sale data while gen
// stays the same. Call it before serving.
func (c *Catalog) Memoize(gen memo.Generation) {
	c.memos = memos{
		shop:      memo.NewValue[*ent.Shop](gen),
		discounts: memo.NewValue[[]*ent.Discount](gen),
		zones:     memo.NewValue[[]*ent.ShippingZone](gen),
		sales:     memo.NewMap[int, Sale](gen, maxSales),
	}
}

// loadCtx is the context of a memo's load. A kept value is read on the primary: carts use it, and must not
// see the catalog as a lagging read replica does, while the load may come from a storefront query that
// reads the replica. Without memos, nothing is kept and the caller's reads go where they would.
func (c *Catalog) loadCtx(ctx context.Context) context.Context {
	if c.memos.shop == nil {
		return ctx
	}
	return database.WithPrimaryReads(ctx)
}

// Shop returns the shop's settings, read through client: a transaction's, so that a caller holding one
// never waits for a second connection. client must not have written the shop in that transaction, as
// what it reads may be kept for others.
func (c *Catalog) Shop(ctx context.Context, client *ent.Client) (*ent.Shop, error) {
	return c.memos.shop.Get(ctx, func(ctx context.Context) (*ent.Shop, error) {
		s, err := client.Shop.Query().First(c.loadCtx(ctx))
		if err != nil {
			return nil, fmt.Errorf("catalog: shop: %w", err)
		}
		return s, nil
	})
}

// ActiveDiscounts returns the discounts that are switched on, with their usage counts.
func (c *Catalog) ActiveDiscounts(ctx context.Context) ([]*ent.Discount, error) {
	return c.memos.discounts.Get(ctx, func(ctx context.Context) ([]*ent.Discount, error) {
		ds, err := c.client.Discount.Query().Where(discount.Active(true)).All(c.loadCtx(ctx))
		if err != nil {
			return nil, fmt.Errorf("catalog: discounts: %w", err)
		}
		return ds, nil
	})
}

// ShippingZones returns the shipping zones with their rates.
func (c *Catalog) ShippingZones(ctx context.Context) ([]*ent.ShippingZone, error) {
	return c.memos.zones.Get(ctx, func(ctx context.Context) ([]*ent.ShippingZone, error) {
		zs, err := c.client.ShippingZone.Query().WithRates().All(c.loadCtx(ctx))
		if err != nil {
			return nil, fmt.Errorf("catalog: shipping zones: %w", err)
		}
		return zs, nil
	})
}

// Sales returns the sale data of the variants that exist among ids, read through client as Shop is.
// The variants are shared: callers must not change them.
func (c *Catalog) Sales(ctx context.Context, client *ent.Client, ids []int) (map[int]Sale, error) {
	return c.memos.sales.GetMany(ctx, ids, func(ctx context.Context, ids []int) (map[int]Sale, error) {
		ctx = c.loadCtx(ctx)
		variants, err := client.ProductVariant.Query().Where(productvariant.IDIn(ids...)).WithProduct().WithPrices().All(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog: variants for sale: %w", err)
		}
		levels, err := client.InventoryLevel.Query().
			Where(inventorylevel.VariantIDIn(ids...), inventorylevel.HasLocationWith(location.Active(true))).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog: stock for sale: %w", err)
		}
		stock := make(map[int]int, len(ids))
		for _, l := range levels {
			stock[l.VariantID] += l.Available
		}
		out := make(map[int]Sale, len(variants))
		for _, v := range variants {
			out[v.ID] = Sale{Variant: v, Stock: stock[v.ID]}
		}
		return out, nil
	})
}

// KnownSales returns the sale data of those of ids that are memoized, reading nothing.
func (c *Catalog) KnownSales(ids []int) map[int]Sale { return c.memos.sales.Known(ids) }
