package graph

import (
	"math/big"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/shipping"
	"github.com/emporium/emporium/tax"
)

func taxRateInput(in model.TaxRateInput) tax.RateInput {
	return tax.RateInput{CountryCode: in.CountryCode, ProvinceCode: in.ProvinceCode, ZipPrefix: in.ZipPrefix,
		TaxClass: in.TaxClass, Name: in.Name, Rate: in.Rate, Inclusive: in.Inclusive,
		ShippingTaxable: in.ShippingTaxable, Exempt: in.Exempt}
}

func taxSettings(s tax.Settings) *model.TaxSettings {
	out := &model.TaxSettings{NexusStates: s.Nexus}
	if out.NexusStates == nil {
		out.NexusStates = []string{}
	}
	if s.OriginCountry != "" {
		out.OriginCountryCode = &s.OriginCountry
	}
	return out
}

// taxRatePercent is a rate as an exact percentage: 19, 8.875.
func taxRatePercent(r *ent.TaxRate) string {
	s := big.NewRat(int64(tax.RatePPM(r)), 10000).FloatString(4)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func shippingZoneInput(in model.ShippingZoneInput) shipping.ZoneInput {
	out := shipping.ZoneInput{Name: in.Name, Countries: in.Countries}
	grams := func(v *int) *int64 {
		if v == nil {
			return nil
		}
		g := int64(*v)
		return &g
	}
	for _, r := range in.Rates {
		out.Rates = append(out.Rates, shipping.RateInput{Handle: r.Handle, Title: r.Title, Kind: optionalString(r.Kind),
			Currency: r.CurrencyCode, Amount: r.Amount, MinWeightGrams: grams(r.MinWeightGrams), MaxWeightGrams: grams(r.MaxWeightGrams),
			MinSubtotal: r.MinSubtotal, MaxSubtotal: r.MaxSubtotal, FreeAbove: r.FreeAbove})
	}
	return out
}

func int64Ptr(v *int64) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}

func rateMoney(r *ent.ShippingRate, v *int64) *money.Money {
	if v == nil {
		return nil
	}
	return ptr(money.New(*v, r.Currency))
}
