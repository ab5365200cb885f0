package orders

import "github.com/emporium/emporium/ent"

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
		t.Subtotal += l.Total - share(l.Total, l.Quantity, 0, l.RefundedQuantity)
		t.Tax -= share(l.Tax, l.Quantity, 0, l.RefundedQuantity)
	}
	if r := o.ShippingRefunded; r > 0 && o.ShippingTotal > 0 {
		// A refund of shipping holds its tax in the same proportion as the price it refunds.
		gross := o.ShippingTotal
		if !o.TaxesIncluded {
			gross += o.ShippingTax
		}
		shippingTax := o.ShippingTax * r / gross
		t.Tax -= shippingTax
		if o.TaxesIncluded {
			t.Shipping -= r
		} else {
			t.Shipping -= r - shippingTax
		}
	}
	return t
}

// share is the part of amount that q of n units carry when before units were taken already. Shares cut
// this way add up to amount exactly once all units are taken.
func share(amount int64, n, before, q int) int64 {
	if n == 0 {
		return 0
	}
	return amount*int64(before+q)/int64(n) - amount*int64(before)/int64(n)
}
