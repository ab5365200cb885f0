package loadgen

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
)

// catalog is what the scenarios draw on, learnt through the API before a run, so that they work on the
// demo shop and on generated catalogs alike.
type catalog struct {
	collections []string // handles
	products    []productRef
	cartable    []string        // variants a cart can hold two of
	stocked     []*stockVariant // variants a checkout can buy one of
	terms       []string        // words of product titles, for free-text search
	filters     []string        // search filter clauses: product type, vendor, tag, price, availability
}

type productRef struct{ id, handle string }

// stockVariant is a purchasable variant with the units a run may still buy of it. Checkouts take a
// unit before buying, so that a long run spreads over the stock instead of failing on sold-out variants.
type stockVariant struct {
	id   string
	left atomic.Int64
}

// unlimited is the stock of a variant that is not tracked or may be backordered.
const unlimited = math.MaxInt64 / 2

func newStockVariant(id string, units int64) *stockVariant {
	v := &stockVariant{id: id}
	v.left.Store(units)
	return v
}

// take reserves one unit.
func (v *stockVariant) take() bool { return v.left.Add(-1) >= 0 }

// soldOut marks the variant as having nothing left, whatever discovery saw.
func (v *stockVariant) soldOut() { v.left.Store(0) }

// Catalog is the size of what a run discovered.
type Catalog struct {
	Collections int `json:"collections"`
	Products    int `json:"products"`
	Variants    int `json:"purchasableVariants"`
	SearchTerms int `json:"searchTerms"`
}

func (c *catalog) summary() Catalog {
	return Catalog{Collections: len(c.collections), Products: len(c.products), Variants: len(c.stocked), SearchTerms: len(c.terms)}
}

// discoveryPages bounds discovery to the first 1,000 products and collections: enough variety to spread
// the load, without reading a catalog of millions before starting.
const discoveryPages = 4

const discoverProductsQuery = `query loadgenProducts($after: String) {
  products(first: 250, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id handle title productType vendor tags
      priceRange { minVariantPrice { amount } }
      variants(first: 20) { nodes { id availableForSale quantityAvailable currentlyNotInStock } } }
  }
}`

const discoverCollectionsQuery = `query loadgenCollections($after: String) {
  collections(first: 250, after: $after) { pageInfo { hasNextPage endCursor } nodes { handle } }
}`

type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

// discover reads the collections and the first products of the shop.
func discover(ctx context.Context, c *Client) (*catalog, error) {
	cat := &catalog{}
	var after *string
	for range discoveryPages {
		var page struct {
			PageInfo pageInfo `json:"pageInfo"`
			Nodes    []struct {
				Handle string `json:"handle"`
			} `json:"nodes"`
		}
		if err := c.Do(ctx, "collections", discoverCollectionsQuery, map[string]any{"after": after}, &page); err != nil {
			return nil, fmt.Errorf("discover collections: %w", err)
		}
		for _, n := range page.Nodes {
			cat.collections = append(cat.collections, n.Handle)
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		after = page.PageInfo.EndCursor
	}

	words, filters := map[string]bool{}, map[string]bool{"available_for_sale:true": true}
	after = nil
	for range discoveryPages {
		var page struct {
			PageInfo pageInfo          `json:"pageInfo"`
			Nodes    []discoverProduct `json:"nodes"`
		}
		if err := c.Do(ctx, "products", discoverProductsQuery, map[string]any{"after": after}, &page); err != nil {
			return nil, fmt.Errorf("discover products: %w", err)
		}
		for _, p := range page.Nodes {
			cat.add(p, words, filters)
		}
		if !page.PageInfo.HasNextPage {
			break
		}
		after = page.PageInfo.EndCursor
	}
	cat.terms = slices.Sorted(maps.Keys(words))
	cat.filters = slices.Sorted(maps.Keys(filters))
	switch {
	case len(cat.products) == 0:
		return nil, errors.New("discover: the shop has no products")
	case len(cat.collections) == 0:
		return nil, errors.New("discover: the shop has no collections")
	case len(cat.cartable) == 0:
		return nil, errors.New("discover: no variant is available for sale")
	}
	return cat, nil
}

type discoverProduct struct {
	ID          string   `json:"id"`
	Handle      string   `json:"handle"`
	Title       string   `json:"title"`
	ProductType string   `json:"productType"`
	Vendor      string   `json:"vendor"`
	Tags        []string `json:"tags"`
	PriceRange  struct {
		MinVariantPrice struct {
			Amount string `json:"amount"`
		} `json:"minVariantPrice"`
	} `json:"priceRange"`
	Variants struct {
		Nodes []struct {
			ID                  string `json:"id"`
			AvailableForSale    bool   `json:"availableForSale"`
			QuantityAvailable   *int   `json:"quantityAvailable"` // nil: not tracked
			CurrentlyNotInStock bool   `json:"currentlyNotInStock"`
		} `json:"nodes"`
	} `json:"variants"`
}

func (c *catalog) add(p discoverProduct, words, filters map[string]bool) {
	c.products = append(c.products, productRef{id: p.ID, handle: p.Handle})
	for _, v := range p.Variants.Nodes {
		if !v.AvailableForSale {
			continue
		}
		units := int64(unlimited)
		// Available without stock is on backorder: it never runs out.
		if v.QuantityAvailable != nil && !v.CurrentlyNotInStock {
			units = int64(*v.QuantityAvailable)
		}
		if units >= 2 {
			c.cartable = append(c.cartable, v.ID)
		}
		if units >= 1 {
			c.stocked = append(c.stocked, newStockVariant(v.ID, units))
		}
	}
	for _, w := range strings.FieldsFunc(strings.ToLower(p.Title), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) >= 3 {
			words[w] = true
		}
	}
	if p.ProductType != "" {
		filters["product_type:"+quote(p.ProductType)] = true
	}
	if p.Vendor != "" {
		filters["vendor:"+quote(p.Vendor)] = true
	}
	for _, t := range p.Tags {
		filters["tag:"+quote(t)] = true
	}
	if a := p.PriceRange.MinVariantPrice.Amount; a != "" {
		filters["variants.price:<="+a] = true
	}
}

// quote makes s one value of Shopify's search syntax.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
