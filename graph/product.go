package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
)

func (r *productResolver) priceRange(ctx context.Context, p *ent.Product, compareAt bool) (*model.ProductPriceRange, error) {
	variants, err := loaders.For(ctx).VariantsByProduct.Load(ctx, p.ID)()
	if err != nil {
		return nil, err
	}
	prices, currency, err := variantPrices(ctx, variants)
	if err != nil {
		return nil, err
	}
	rg := catalog.Range(prices, currency, compareAt)
	return &model.ProductPriceRange{MinVariantPrice: &rg.Min, MaxVariantPrice: &rg.Max}, nil
}

func (r *productVariantResolver) price(ctx context.Context, v *ent.ProductVariant) (catalog.Price, error) {
	prices, _, err := variantPrices(ctx, []*ent.ProductVariant{v})
	if err != nil {
		return catalog.Price{}, err
	}
	if len(prices) == 0 {
		return catalog.Price{}, errors.New("variant has no price in the shop's currency")
	}
	return prices[0], nil
}

// allPrices is a variant's price in every currency it has one, for staff.
func allPrices(ctx context.Context, v *ent.ProductVariant) ([]*catalog.Price, error) {
	shop, err := loaders.For(ctx).Shop(ctx)
	if err != nil {
		return nil, err
	}
	prices, err := loaders.For(ctx).PricesByVariant.Load(ctx, v.ID)()
	if err != nil {
		return nil, err
	}
	all := catalog.AllPrices(prices, shop.DefaultCurrency)
	out := make([]*catalog.Price, len(all))
	for i := range all {
		out[i] = &all[i]
	}
	return out, nil
}

// variantBySelectedOptions finds the variant whose options match the selection.
func (r *productResolver) variantBySelectedOptions(ctx context.Context, p *ent.Product, selected []*model.SelectedOptionInput, ignoreUnknown, caseInsensitive bool) (*ent.ProductVariant, error) {
	variants, err := loaders.For(ctx).VariantsByProduct.Load(ctx, p.ID)()
	if err != nil {
		return nil, err
	}
	eq := func(a, b string) bool {
		if caseInsensitive {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
next:
	for _, v := range variants {
		for _, s := range selected {
			known := false
			for _, o := range v.DisplayedOptions() {
				if eq(o.Name, s.Name) {
					known = true
					if !eq(o.Value, s.Value) {
						continue next
					}
				}
			}
			if !known && !ignoreUnknown {
				continue next
			}
		}
		return v, nil
	}
	return nil, nil
}

// storeURL is the storefront address of path on the shop's primary domain, or nil without one.
func (r *Resolver) storeURL(ctx context.Context, path string) (*string, error) {
	shop, err := loaders.For(ctx).Shop(ctx)
	if err != nil {
		return nil, err
	}
	if shop.PrimaryDomain == "" {
		return nil, nil
	}
	u := strings.TrimRight(shop.PrimaryDomain, "/") + path
	return &u, nil
}

// productByHandle returns the visible product with handle, with its selected fields prefetched.
func (r *Resolver) productByHandle(ctx context.Context, handle string) (*ent.Product, error) {
	p, err := r.catalog.ProductByHandle(ctx, handle)
	if err != nil || r.visibleProduct(ctx, p) == nil {
		return nil, err
	}
	prefetchProducts(ctx, []*ent.Product{p}, productFieldsOfList(ctx))
	return p, nil
}
