// Package shipping prices delivery: zones of countries hold rates (flat, by weight, by subtotal, free
// above an amount), each in one currency, and a parcel going to a country is offered the rates of the
// zone that lists the country, or else of the zone for the rest of the world ("*").
package shipping

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/shippingrate"
	"github.com/emporium/emporium/money"
)

// RestOfWorld in a zone's countries matches every country no other zone lists.
const RestOfWorld = "*"

// Parcel is what is shipped, and where.
type Parcel struct {
	CountryCode string
	WeightGrams int64
	Subtotal    money.Money
}

// Option is a way to ship a parcel, with its cost.
type Option struct {
	Handle, Title string
	Cost          money.Money
}

// Quote returns the options for p from zones (with their rates loaded), cheapest first.
func Quote(zones []*ent.ShippingZone, p Parcel) []Option {
	zone := match(zones, p.CountryCode)
	if zone == nil {
		return nil
	}
	var out []Option
	for _, r := range zone.Edges.Rates {
		if r.Currency != p.Subtotal.Currency || !applies(r, p) {
			continue
		}
		cost := r.Amount
		if r.FreeAbove != nil && p.Subtotal.Amount >= *r.FreeAbove {
			cost = 0
		}
		out = append(out, Option{Handle: r.Handle, Title: r.Title, Cost: money.New(cost, r.Currency)})
	}
	slices.SortFunc(out, func(a, b Option) int {
		return cmp.Or(cmp.Compare(a.Cost.Amount, b.Cost.Amount), cmp.Compare(a.Title, b.Title))
	})
	return out
}

func match(zones []*ent.ShippingZone, country string) *ent.ShippingZone {
	var rest *ent.ShippingZone
	for _, z := range zones {
		if slices.Contains(z.Countries, country) {
			return z
		}
		if slices.Contains(z.Countries, RestOfWorld) {
			rest = z
		}
	}
	return rest
}

func applies(r *ent.ShippingRate, p Parcel) bool {
	within := func(v int64, lo, hi *int64) bool { return (lo == nil || v >= *lo) && (hi == nil || v < *hi) }
	switch r.Kind {
	case shippingrate.KindWEIGHT:
		return within(p.WeightGrams, r.MinWeightGrams, r.MaxWeightGrams)
	case shippingrate.KindSUBTOTAL:
		return within(p.Subtotal.Amount, r.MinSubtotal, r.MaxSubtotal)
	}
	return true
}

// Grams converts a variant's weight to grams.
func Grams(weight float64, unit productvariant.WeightUnit) int64 {
	factor := map[productvariant.WeightUnit]float64{
		productvariant.WeightUnitGRAMS: 1, productvariant.WeightUnitKILOGRAMS: 1000,
		productvariant.WeightUnitOUNCES: 28.349523125, productvariant.WeightUnitPOUNDS: 453.59237,
	}[unit]
	return int64(math.Round(weight * factor))
}

// Service reads the shop's zones.
type Service struct{ client *ent.Client }

// New returns the shipping service.
func New(client *ent.Client) *Service { return &Service{client: client} }

// Options quotes p against the shop's zones.
func (s *Service) Options(ctx context.Context, p Parcel) ([]Option, error) {
	zones, err := s.client.ShippingZone.Query().WithRates().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("shipping: zones: %w", err)
	}
	return Quote(zones, p), nil
}
