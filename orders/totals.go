package orders

import (
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/prorata"
)

// Totals are an order's amounts in its currency.
type Totals struct {
	Subtotal int64 // the lines after discounts
	Shipping int64 // after shipping discounts
	Tax      int64
	Total    int64
}

// Current is what an order amounts to once its refunds are taken off: refunded units leave the
// subtotal and their tax leaves the tax, refunded shipping leaves the shipping, and every refunded amount,
// including amounts given back without units, leaves the total.
func Current(o *ent.Order, lines []*ent.OrderLine) Totals {
	t := Totals{Shipping: o.ShippingTotal, Tax: o.TaxTotal, Total: o.Total - o.TotalRefunded}
	for _, l := range lines {
		t.Subtotal += l.Total - prorata.Share(l.Total, l.Quantity, 0, l.RefundedQuantity)
		t.Tax -= prorata.Share(l.Tax, l.Quantity, 0, l.RefundedQuantity)
	}
	if r := o.ShippingRefunded; r > 0 && o.ShippingTotal > 0 {
		// A refund of shipping holds its tax in the same proportion as the price it refunds.
		gross := o.ShippingTotal
		if !o.TaxesIncluded {
			gross += o.ShippingTax
		}
		shippingTax := prorata.ShareOf(o.ShippingTax, gross, 0, r)
		t.Tax -= shippingTax
		if o.TaxesIncluded {
			t.Shipping -= r
		} else {
			t.Shipping -= r - shippingTax
		}
	}
	return t
}
