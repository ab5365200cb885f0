package tax

import (
	"testing"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/taxrate"
	"github.com/emporium/emporium/money"
)

func TestVATCountry(t *testing.T) {
	for in, want := range map[string]string{
		"FR40303265045": "FR", "fr 40 303 265 045": "FR", "DE123456789": "DE", "EL123456789": "GR",
		"NL123456789B01": "NL", "ATU12345678": "AT", "FR123": "", "DE12345678": "", "GR123456789": "", "US123456789": "", "": "",
	} {
		if got := VATCountry(in); got != want {
			t.Errorf("VATCountry(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]int{"19": 190000, "8.875": 88750, "5.5": 55000, "0": 0, "100": 1000000, "7.12345": -1, "-1": -1, "101": -1, "x": -1} {
		got, ok := ParseRate(in)
		if !ok {
			got = -1
		}
		if got != want {
			t.Errorf("ParseRate(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestRules(t *testing.T) {
	ppm := func(v int) *int { return &v }
	rates := []*ent.TaxRate{
		{CountryCode: "US", ProvinceCode: "OH", TaxClass: taxrate.TaxClassSTANDARD, Name: "Ohio", RateBps: 575},
		{CountryCode: "US", ProvinceCode: "OH", ZipPrefix: "43004", TaxClass: taxrate.TaxClassSTANDARD, Name: "Columbus", RateBps: 750},
		{CountryCode: "US", ProvinceCode: "NY", ZipPrefix: "10001", TaxClass: taxrate.TaxClassSTANDARD, Name: "NYC", RateBps: 888, RatePpm: ppm(88750)},
	}
	usd := func(c int64) money.Money { return money.New(c, "USD") }
	lines := []Line{{Key: "tee", Amount: usd(2900), Class: "STANDARD", Taxable: true}, {Key: "poster", Amount: usd(2800), Class: "REDUCED", Taxable: true},
		{Key: "card", Amount: usd(5000), Class: "ZERO", Taxable: true}}
	// Columbus: 2.175 → 2.18 and the REDUCED poster falls back: 2.10; ZERO never falls back.
	got := Compute(rates, Request{CountryCode: "US", ProvinceCode: "OH", Zip: "43004", Lines: lines})
	if got.Total != usd(428) || len(got.Lines) != 2 || got.Jurisdiction != "US-OH" || got.Lines[0].RatePPM != 75000 {
		t.Errorf("Columbus: %+v", got)
	}
	// Elsewhere in Ohio: the state rate, 5.75 %: 1.6675 → 1.67 and 1.61.
	if got := Compute(rates, Request{CountryCode: "US", ProvinceCode: "OH", Zip: "44101", Lines: lines}); got.Total != usd(328) {
		t.Errorf("Cleveland: %+v", got)
	}
	// NYC at the exact 8.875 %: 2.57375 → 2.57 and 2.485 → 2.49; not without nexus.
	if got := Compute(rates, Request{CountryCode: "US", ProvinceCode: "NY", Zip: "10001", Lines: lines}); got.Total != usd(506) {
		t.Errorf("NYC: %+v", got)
	}
	if got := Compute(rates, Request{CountryCode: "US", ProvinceCode: "NY", Zip: "10001", Lines: lines, Settings: Settings{Nexus: []string{"OH"}}}); got.Total != usd(0) {
		t.Errorf("NYC without nexus: %+v", got)
	}
	exempt := append(rates, &ent.TaxRate{CountryCode: "US", ProvinceCode: "OH", TaxClass: taxrate.TaxClassREDUCED, Name: "Prints", Exempt: true})
	if got := Compute(exempt, Request{CountryCode: "US", ProvinceCode: "OH", Zip: "43004", Lines: lines}); got.Total != usd(218) {
		t.Errorf("prints exempt in Ohio: %+v", got)
	}
	if got := Compute(rates, Request{CountryCode: "US", ProvinceCode: "OH", Zip: "43004", Lines: lines, Exempt: true, ExemptReason: "Resale certificate 123"}); got.Total != usd(0) ||
		got.Treatment != Exempt || got.Note != "Resale certificate 123" {
		t.Errorf("exempt customer: %+v", got)
	}
	// Reverse charge needs an EU origin other than the destination, and a number of the destination.
	fr := []*ent.TaxRate{{CountryCode: "FR", TaxClass: taxrate.TaxClassSTANDARD, Name: "TVA", RateBps: 2000, Inclusive: true}}
	eur := []Line{{Key: "tee", Amount: money.New(2650, "EUR"), Class: "STANDARD", Taxable: true}}
	for _, tt := range []struct {
		origin, vat, treatment string
		tax                    int64
	}{{"DE", "FR40303265045", ReverseCharge, 0}, {"FR", "FR40303265045", Standard, 442}, {"", "FR40303265045", Standard, 442},
		{"DE", "DE123456789", Standard, 442}, {"DE", "", Standard, 442}} {
		got := Compute(fr, Request{CountryCode: "FR", Lines: eur, VATNumber: tt.vat, Settings: Settings{OriginCountry: tt.origin}})
		if got.Treatment != tt.treatment || got.Total.Amount != tt.tax {
			t.Errorf("origin %s, VAT %q: %+v", tt.origin, tt.vat, got)
		}
	}
}
