package discounts

import (
	"testing"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/money"
)

func code(s string) *string { return &s }
func limit(n int) *int      { return &n }

var (
	now   = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	start = now.Add(-time.Hour)
	usd   = func(c int64) money.Money { return money.New(c, "USD") }
	lines = []Line{
		{Key: 1, ProductID: 10, CollectionIDs: []int{100}, UnitPrice: usd(2900), Quantity: 2}, // 58.00
		{Key: 2, ProductID: 20, CollectionIDs: []int{200}, UnitPrice: usd(1000), Quantity: 1}, // 10.00
	}
)

func TestApply(t *testing.T) {
	ten := &ent.Discount{ID: 1, Code: code("TEN"), Kind: discount.KindPERCENTAGE, Target: discount.TargetORDER, PercentageBps: 1000, StartsAt: start, Active: true}
	fiveOff := &ent.Discount{ID: 2, Code: code("FIVE"), Kind: discount.KindFIXED_AMOUNT, Target: discount.TargetORDER, Amount: 500, Currency: "USD", StartsAt: start, Active: true}
	tees := &ent.Discount{ID: 3, Automatic: true, Title: "Tee week", Kind: discount.KindPERCENTAGE, Target: discount.TargetPRODUCTS, ProductIds: []int{10}, PercentageBps: 2000, StartsAt: start, Active: true}
	teesCombining := *tees
	teesCombining.CombinesWithOrder = true
	tenCombining := *ten
	tenCombining.CombinesWithProduct = true
	freeShip := &ent.Discount{ID: 5, Code: code("SHIPFREE"), Kind: discount.KindFREE_SHIPPING, MinSubtotal: 5000, Currency: "USD", StartsAt: start, Active: true}
	bxgy := &ent.Discount{ID: 6, Automatic: true, Kind: discount.KindBUY_X_GET_Y, Target: discount.TargetCOLLECTIONS, CollectionIds: []int{100}, BuyQuantity: 1, GetQuantity: 1, PercentageBps: 10000, StartsAt: start, Active: true}
	expired := *ten
	expired.EndsAt = &start
	usedUp := *ten
	usedUp.UsageLimit, usedUp.UsageCount = limit(3), 3
	ship := usd(1500)

	tests := []struct {
		name       string
		discounts  []*ent.Discount
		codes      []string
		want       int64 // total taken off
		applicable map[string]bool
	}{
		{"10% off the order", []*ent.Discount{ten}, []string{"ten"}, 680, map[string]bool{"ten": true}},
		{"without its code", []*ent.Discount{ten}, nil, 0, nil},
		{"an unknown code", []*ent.Discount{ten}, []string{"NOPE"}, 0, map[string]bool{"NOPE": false}},
		{"the better of two order discounts", []*ent.Discount{ten, fiveOff}, []string{"TEN", "FIVE"}, 680, map[string]bool{"TEN": true, "FIVE": false}},
		{"a product discount alone", []*ent.Discount{tees}, nil, 1160, nil},
		{"not combinable: the better one", []*ent.Discount{tees, ten}, []string{"TEN"}, 1160, map[string]bool{"TEN": false}},
		// 20% of 58.00 = 11.60 on tees, then 10% of the 56.40 left = 5.64.
		{"combinable: both", []*ent.Discount{&teesCombining, &tenCombining}, []string{"TEN"}, 1160 + 564, map[string]bool{"TEN": true}},
		{"free shipping over 50.00", []*ent.Discount{freeShip}, []string{"SHIPFREE"}, 1500, map[string]bool{"SHIPFREE": true}},
		{"buy one tee, get one free", []*ent.Discount{bxgy}, nil, 2900, nil},
		{"expired", []*ent.Discount{&expired}, []string{"TEN"}, 0, map[string]bool{"TEN": false}},
		{"usage limit reached", []*ent.Discount{&usedUp}, []string{"TEN"}, 0, map[string]bool{"TEN": false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Apply(tt.discounts, Input{Currency: "USD", Lines: lines, Shipping: &ship, Codes: tt.codes, Now: now})
			if res.Total.Amount != tt.want {
				t.Errorf("total %d, want %d (%+v)", res.Total.Amount, tt.want, res.Allocations)
			}
			var sum int64
			for _, a := range res.Allocations {
				sum += a.Amount.Amount
			}
			if sum != res.Total.Amount {
				t.Errorf("allocations add up to %d, total %d", sum, res.Total.Amount)
			}
			for c, want := range tt.applicable {
				if res.Applicable[c] != want {
					t.Errorf("code %s applicable = %v, want %v", c, res.Applicable[c], want)
				}
			}
		})
	}
}

func TestSpread(t *testing.T) {
	got := spread(100, []int64{1, 1, 1})
	if got[0]+got[1]+got[2] != 100 || got[0] != 34 {
		t.Errorf("spread(100, 1:1:1) = %v", got)
	}
	if got := spread(680, []int64{5800, 1000}); got[0] != 580 || got[1] != 100 {
		t.Errorf("spread(680, 58:10) = %v", got)
	}
}
