package prorata

import (
	"math/rand/v2"
	"testing"
)

// TestSharesAddUp takes a line's units back in random steps: the parts always add up to the whole.
func TestSharesAddUp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		n := 1 + rng.IntN(20)
		amount := rng.Int64N(1_000_000)
		var sum int64
		for before := 0; before < n; {
			q := 1 + rng.IntN(n-before)
			sum += Share(amount, n, before, q)
			before += q
		}
		if sum != amount {
			t.Fatalf("%d units of %d: parts add up to %d", n, amount, sum)
		}
	}
}

// TestSplit works refunds out by hand.
func TestSplit(t *testing.T) {
	// Three tees at 29.00 in Ohio, prices without tax: net 87.00, tax 5.00; shipping 5.00 untaxed.
	ohio := Order{Lines: []Line{{ID: 1, Quantity: 3, Net: 8700, Tax: 500}}, ShippingNet: 500,
		Rates: []Rate{{PPM: 57500, Base: 8700}, {PPM: 0, Base: 500}}}
	// One tee: 29.00 and 500×1/3 = 1.66 (truncated), as orders refunds it (30.66).
	got := Split(ohio, Taken{}, Refund{Units: map[int]int{1: 1}, Amount: 3066})
	if len(got) != 1 || got[0] != (Part{LineID: 1, Quantity: 1, Net: 2900, Tax: 166, Rate: -1}) {
		t.Errorf("first tee: %+v", got)
	}
	// The last two tees take the rest of the tax: 500×3/3 − 500×1/3 = 3.34.
	got = Split(ohio, Taken{Units: map[int]int{1: 1}}, Refund{Units: map[int]int{1: 2}, Amount: 6134})
	if len(got) != 1 || got[0].Net != 5800 || got[0].Tax != 334 {
		t.Errorf("last two tees: %+v", got)
	}
	// The shipping, untaxed, and a goodwill 1.06 at the largest rate, 5.75 %: net 1.06/1.0575 = 1.0023…
	// → 1.00, tax 0.06.
	got = Split(ohio, Taken{}, Refund{Shipping: 500, Amount: 606})
	if len(got) != 2 || got[0] != (Part{Shipping: true, Quantity: 1, Net: 500, Rate: -1}) ||
		got[1] != (Part{Quantity: 1, Net: 100, Tax: 6, Rate: 0}) {
		t.Errorf("shipping and goodwill: %+v", got)
	}

	// France, prices with VAT: a tee 26.50 (4.42 VAT) and shipping 6.90 (1.15 VAT). Half the shipping,
	// 3.45, holds 115×345/690 = 0.575 → 0.57 of VAT; the other half the rest, 0.58.
	fr := Order{TaxesIncluded: true, Lines: []Line{{ID: 7, Quantity: 1, Net: 2208, Tax: 442}}, ShippingNet: 575, ShippingTax: 115,
		Rates: []Rate{{PPM: 200000, Base: 2783}}}
	got = Split(fr, Taken{}, Refund{Units: map[int]int{7: 1}, Shipping: 345, Amount: 2995})
	if len(got) != 2 || got[0].Net != 2208 || got[0].Tax != 442 || got[1].Net != 288 || got[1].Tax != 57 {
		t.Errorf("tee and half the shipping: %+v", got)
	}
	got = Split(fr, Taken{Shipping: 345}, Refund{Shipping: 345, Amount: 345})
	if len(got) != 1 || got[0].Tax != 58 {
		t.Errorf("the other half of the shipping: %+v", got)
	}
	// An order with no rates: the rest is untaxed.
	if got := Split(Order{}, Taken{}, Refund{Amount: 100}); len(got) != 1 || got[0] != (Part{Quantity: 1, Net: 100, Rate: -1}) {
		t.Errorf("no rates: %+v", got)
	}
}

// TestLargest prefers the larger base, then the higher rate.
func TestLargest(t *testing.T) {
	if got := Largest([]Rate{{PPM: 55000, Base: 100}, {PPM: 200000, Base: 100}, {PPM: 0, Base: 50}}); got != 1 {
		t.Errorf("tie: %d", got)
	}
	if got := Largest([]Rate{{PPM: 200000, Base: 10}, {PPM: 0, Base: 50}}); got != 1 {
		t.Errorf("untaxed largest: %d", got)
	}
	if got := Largest(nil); got != -1 {
		t.Errorf("none: %d", got)
	}
}
