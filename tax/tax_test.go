package tax

import (
	"testing"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/taxrate"
	"github.com/emporium/emporium/money"
)

func TestCompute(t *testing.T) {
	de := []*ent.TaxRate{
		{CountryCode: "DE", TaxClass: taxrate.TaxClassSTANDARD, Name: "MwSt", RateBps: 1900, Inclusive: true, ShippingTaxable: true},
		{CountryCode: "DE", TaxClass: taxrate.TaxClassREDUCED, Name: "MwSt (reduced)", RateBps: 700, Inclusive: true, ShippingTaxable: true},
	}
	us := []*ent.TaxRate{
		{CountryCode: "US", ProvinceCode: "OH", TaxClass: taxrate.TaxClassSTANDARD, Name: "Ohio sales tax", RateBps: 575},
		{CountryCode: "US", TaxClass: taxrate.TaxClassSTANDARD, Name: "Sales tax", RateBps: 0},
	}
	eur := func(c int64) money.Money { return money.New(c, "EUR") }
	usd := func(c int64) money.Money { return money.New(c, "USD") }
	ship := eur(690)
	// 53.00 EUR gross at 19%: 53 × 19/119 = 8.462… → 8.46; 12.00 at 7%: 0.785… → 0.79; shipping 6.90: 1.1016… → 1.10.
	got := Compute(de, Request{CountryCode: "DE", Lines: []Line{
		{Key: "a", Amount: eur(5300), Class: "STANDARD", Taxable: true},
		{Key: "b", Amount: eur(1200), Class: "REDUCED", Taxable: true},
		{Key: "c", Amount: eur(5000), Class: "STANDARD", Taxable: false},
	}, Shipping: &ship})
	if !got.Inclusive || got.Lines[0].Tax != eur(846) || got.Lines[1].Tax != eur(79) || got.ShippingTax != eur(110) || got.Total != eur(1035) || len(got.Lines) != 2 {
		t.Errorf("Germany: %+v", got)
	}
	// 58.00 USD in Ohio at 5.75%: 3.335 → 3.34 (half away from zero); shipping is not taxed there.
	shipUSD := usd(1500)
	got = Compute(us, Request{CountryCode: "US", ProvinceCode: "OH", Lines: []Line{{Key: "a", Amount: usd(5800), Class: "STANDARD", Taxable: true}}, Shipping: &shipUSD})
	if got.Inclusive || got.Total != usd(334) || got.ShippingTax != usd(0) {
		t.Errorf("Ohio: %+v", got)
	}
	got = Compute(us, Request{CountryCode: "US", ProvinceCode: "NY", Lines: []Line{{Key: "a", Amount: usd(5800), Class: "STANDARD", Taxable: true}}})
	if got.Total != usd(0) {
		t.Errorf("New York falls back to the country's rate: %+v", got)
	}
	got = Compute(nil, Request{CountryCode: "JP", Lines: []Line{{Key: "a", Amount: usd(100), Class: "STANDARD", Taxable: true}}})
	if got.Total != usd(0) || len(got.Lines) != 0 {
		t.Errorf("no rates: %+v", got)
	}
}

func TestPortionRounding(t *testing.T) {
	for _, tt := range []struct {
		amount    int64
		bps       int
		inclusive bool
		want      int64
	}{
		{1000, 1900, true, 160},   // 159.66
		{1000, 2000, false, 200},  // exact
		{5800, 575, false, 334},   // 333.5 → away from zero
		{-5800, 575, false, -334}, // refunds round symmetrically
		{1, 1900, true, 0},
	} {
		if got := portion(tt.amount, tt.bps*100, tt.inclusive); got != tt.want {
			t.Errorf("portion(%d, %d, %v) = %d, want %d", tt.amount, tt.bps, tt.inclusive, got, tt.want)
		}
	}
}
