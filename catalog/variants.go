package catalog

import (
	"cmp"
	"slices"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/pagination"
)

// DefaultOption is the Title option Shopify shows for a product without options, built in memory
// rather than stored so that existing catalogs get it too and reading it costs no statement.
func DefaultOption(productID int) *ent.ProductOption {
	return &ent.ProductOption{ProductID: productID, Name: schema.DefaultOptionName, Values: []string{schema.DefaultOptionValue}}
}

// Availability is what the storefront may tell about a variant's stock.
type Availability struct {
	ForSale bool
	// Quantity is the units available across locations; nil when stock is not tracked.
	Quantity *int
	// Backorder is true when the variant is out of stock but may still be ordered.
	Backorder bool
}

// VariantAvailability derives availability from the variant's policy and its stock.
func VariantAvailability(v *ent.ProductVariant, stock int) Availability {
	if !v.InventoryTracked {
		return Availability{ForSale: true}
	}
	a := Availability{Quantity: &stock}
	switch {
	case stock > 0:
		a.ForSale = true
	case v.InventoryPolicy == productvariant.InventoryPolicyCONTINUE:
		a.ForSale, a.Backorder = true, true
	}
	return a
}

// Price is a variant's price and compare-at price in one currency.
type Price struct {
	Amount    money.Money
	CompareAt *money.Money
}

// PriceIn picks a variant's price in currency, falling back to the shop's default currency when the
// variant has no price in it. ok is false when it has neither.
func PriceIn(prices []*ent.VariantPrice, currency, fallback string) (p Price, ok bool) {
	pick := func(cur string) (Price, bool) {
		for _, vp := range prices {
			if vp.Currency == cur {
				p := Price{Amount: money.New(vp.Amount, cur)}
				if vp.CompareAtAmount != nil {
					c := money.New(*vp.CompareAtAmount, cur)
					p.CompareAt = &c
				}
				return p, true
			}
		}
		return Price{}, false
	}
	if p, ok := pick(currency); ok {
		return p, true
	}
	return pick(fallback)
}

// AllPrices lists a variant's prices in every currency it has one: first the shop's default currency,
// then by currency code, so that staff see the same order on every read.
func AllPrices(prices []*ent.VariantPrice, shopCurrency string) []Price {
	sorted := slices.Clone(prices)
	slices.SortFunc(sorted, func(a, b *ent.VariantPrice) int {
		if (a.Currency == shopCurrency) != (b.Currency == shopCurrency) {
			if a.Currency == shopCurrency {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Currency, b.Currency)
	})
	out := make([]Price, len(sorted))
	for i, vp := range sorted {
		out[i] = Price{Amount: money.New(vp.Amount, vp.Currency)}
		if vp.CompareAtAmount != nil {
			c := money.New(*vp.CompareAtAmount, vp.Currency)
			out[i].CompareAt = &c
		}
	}
	return out
}

// PriceRange is the lowest and highest of a product's variant prices.
type PriceRange struct{ Min, Max money.Money }

// Range returns the range of prices; compare-at ranges treat a missing compare-at price as zero, as the
// Storefront API does. With no prices at all the range is zero in currency.
func Range(prices []Price, currency string, compareAt bool) PriceRange {
	r := PriceRange{Min: money.New(0, currency), Max: money.New(0, currency)}
	for i, p := range prices {
		m := p.Amount
		if compareAt {
			m = money.New(0, p.Amount.Currency)
			if p.CompareAt != nil {
				m = *p.CompareAt
			}
		}
		if i == 0 || m.Amount < r.Min.Amount {
			r.Min = m
		}
		if i == 0 || m.Amount > r.Max.Amount {
			r.Max = m
		}
	}
	return r
}

// VariantsPage pages through a product's variants in memory, sorted by sortKey (a ProductVariantSortKeys
// value). A product's variants are few and already loaded in one batch, so no query is needed.
func VariantsPage(variants []*ent.ProductVariant, args pagination.Args, sortKey string) (keyset.Page[*ent.ProductVariant], error) {
	switch sortKey {
	case "", "RELEVANCE":
		sortKey = "POSITION"
	case "POSITION", "ID", "SKU", "TITLE":
	default:
		return keyset.Page[*ent.ProductVariant]{}, ErrInvalidInput
	}
	sorted := slices.Clone(variants)
	slices.SortStableFunc(sorted, func(a, b *ent.ProductVariant) int {
		switch sortKey {
		case "ID":
			return cmp.Compare(a.ID, b.ID)
		case "SKU":
			return cmp.Or(cmp.Compare(deref(a.Sku), deref(b.Sku)), cmp.Compare(a.ID, b.ID))
		case "TITLE":
			return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.ID, b.ID))
		}
		return cmp.Or(cmp.Compare(a.Position, b.Position), cmp.Compare(a.ID, b.ID))
	})
	return keyset.InMemory(sorted, args, sortKey, func(v *ent.ProductVariant) int { return v.ID })
}

// ImagesPage pages through a product's images in memory, by position (ID and CREATED_AT order by ID).
func ImagesPage(images []*ent.Image, args pagination.Args, sortKey string) (keyset.Page[*ent.Image], error) {
	sorted := slices.Clone(images)
	if sortKey == "ID" || sortKey == "CREATED_AT" {
		slices.SortFunc(sorted, func(a, b *ent.Image) int { return cmp.Compare(a.ID, b.ID) })
	} else {
		sortKey = "POSITION"
	}
	return keyset.InMemory(sorted, args, sortKey, func(i *ent.Image) int { return i.ID })
}

// CollectionsPage pages through a product's collections in memory, by ID.
func CollectionsPage(cols []*ent.Collection, args pagination.Args) (keyset.Page[*ent.Collection], error) {
	sorted := slices.Clone(cols)
	slices.SortFunc(sorted, func(a, b *ent.Collection) int { return cmp.Compare(a.ID, b.ID) })
	return keyset.InMemory(sorted, args, "ID", func(c *ent.Collection) int { return c.ID })
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// PageByID pages through rows already in memory, sorted by ID ascending.
func PageByID[T any](rows []T, args pagination.Args, id func(T) int) (keyset.Page[T], error) {
	return keyset.InMemory(rows, args, "ID", id)
}
