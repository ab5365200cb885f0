package orders

import (
	"testing"

	"github.com/emporium/emporium/ent"
)

func TestCurrent(t *testing.T) {
	lines := []*ent.OrderLine{
		{Quantity: 3, Total: 8700, Tax: 500, RefundedQuantity: 1},
		{Quantity: 1, Total: 2500, Tax: 0},
	}
	exclusive := &ent.Order{Total: 11200 + 1000 + 95, ShippingTotal: 1000, ShippingTax: 95, TaxTotal: 595, TotalRefunded: 3066}
	got := Current(exclusive, lines)
	// A third of the first line leaves: 2900 of its total and 166 of its tax (5.00 cut in thirds as
	// 1.66, 1.67, 1.67).
	want := Totals{Subtotal: 8700 - 2900 + 2500, Shipping: 1000, Tax: 595 - 166, Total: 12295 - 3066}
	if got != want {
		t.Errorf("Current = %+v, want %+v", got, want)
	}
	// Shipping refunded in full takes its tax with it, whether the tax was added or included.
	exclusive.ShippingRefunded = 1095
	if got := Current(exclusive, lines); got.Shipping != 0 || got.Tax != 595-166-95 {
		t.Errorf("after refunding shipping and its added tax: %+v", got)
	}
	inclusive := &ent.Order{Total: 11200 + 1490, ShippingTotal: 1490, ShippingTax: 238, TaxTotal: 738, TaxesIncluded: true, ShippingRefunded: 1490}
	if got := Current(inclusive, lines); got.Shipping != 0 || got.Tax != 738-166-238 {
		t.Errorf("after refunding shipping with its tax inside: %+v", got)
	}
}

func TestLineShare(t *testing.T) {
	l := &ent.OrderLine{Quantity: 3, Total: 8700, Tax: 500}
	if got := lineShare(l, false, 0, 1); got != 2900+166 {
		t.Errorf("one unit with tax added: %d", got)
	}
	if got := lineShare(l, true, 0, 1); got != 2900 {
		t.Errorf("one unit with tax inside: %d", got)
	}
	if got := lineShare(l, false, 0, 1) + lineShare(l, false, 1, 2); got != 9200 {
		t.Errorf("every unit refunded gives back %d, want the line's 9200", got)
	}
}
