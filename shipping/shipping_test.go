package shipping

import (
	"testing"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/shippingrate"
	"github.com/emporium/emporium/money"
)

func ptr(v int64) *int64 { return &v }

func TestQuote(t *testing.T) {
	us := &ent.ShippingZone{Countries: []string{"US"}, Edges: ent.ShippingZoneEdges{Rates: []*ent.ShippingRate{
		{Handle: "standard", Title: "Standard", Kind: shippingrate.KindFLAT, Currency: "USD", Amount: 500, FreeAbove: ptr(7500)},
		{Handle: "express", Title: "Express", Kind: shippingrate.KindFLAT, Currency: "USD", Amount: 1500},
		{Handle: "heavy", Title: "Freight", Kind: shippingrate.KindWEIGHT, Currency: "USD", Amount: 2500, MinWeightGrams: ptr(5000)},
		{Handle: "small-order", Title: "Small order", Kind: shippingrate.KindSUBTOTAL, Currency: "USD", Amount: 300, MaxSubtotal: ptr(2000)},
	}}}
	world := &ent.ShippingZone{Countries: []string{RestOfWorld}, Edges: ent.ShippingZoneEdges{Rates: []*ent.ShippingRate{
		{Handle: "intl", Title: "International", Currency: "USD", Amount: 2500},
		{Handle: "intl", Title: "International", Currency: "EUR", Amount: 2300},
	}}}
	zones := []*ent.ShippingZone{world, us}
	handles := func(opts []Option) (out []string) {
		for _, o := range opts {
			out = append(out, o.Handle+"="+o.Cost.Decimal())
		}
		return out
	}
	tests := []struct {
		name string
		p    Parcel
		want []string
	}{
		{"small light US order", Parcel{"US", 500, money.New(1500, "USD")}, []string{"small-order=3.00", "standard=5.00", "express=15.00"}},
		{"free standard above 75", Parcel{"US", 500, money.New(7500, "USD")}, []string{"standard=0.00", "express=15.00"}},
		{"heavy parcel", Parcel{"US", 6000, money.New(4000, "USD")}, []string{"standard=5.00", "express=15.00", "heavy=25.00"}},
		{"rest of world in EUR", Parcel{"JP", 500, money.New(4000, "EUR")}, []string{"intl=23.00"}},
		{"a currency without rates", Parcel{"US", 500, money.New(4000, "EUR")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := handles(Quote(zones, tt.p))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	if got := Quote([]*ent.ShippingZone{us}, Parcel{"FR", 1, money.New(1, "USD")}); got != nil {
		t.Errorf("a country of no zone got %v", got)
	}
}

func TestGrams(t *testing.T) {
	for _, tt := range []struct {
		w    float64
		u    productvariant.WeightUnit
		want int64
	}{{1.5, productvariant.WeightUnitKILOGRAMS, 1500}, {250, productvariant.WeightUnitGRAMS, 250}, {1, productvariant.WeightUnitPOUNDS, 454}, {2, productvariant.WeightUnitOUNCES, 57}} {
		if got := Grams(tt.w, tt.u); got != tt.want {
			t.Errorf("Grams(%v %s) = %d, want %d", tt.w, tt.u, got, tt.want)
		}
	}
}
