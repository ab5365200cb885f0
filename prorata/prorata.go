// Package prorata cuts an order's amounts into the parts its refunds take back. It is the one rule for
// everything that reads a refund: the amount paid back (package orders), its journal entry (journal),
// its credit note (invoices) and the tax report (tax), so that they agree to the cent.
//
// The part of an amount that q of n units carry, when before units were taken already, is
// amount×(before+q)/n − amount×before/n, each product truncated toward zero: every part is exact in
// minor units, and the parts of all n units add up to the amount exactly, in whatever steps they are
// taken. Shipping, refunded as an amount rather than units, is cut the same way by money.
package prorata

import "github.com/emporium/emporium/money"

// Share is the part of amount that q of n units carry when before units were taken already.
func Share(amount int64, n, before, q int) int64 {
	if n <= 0 {
		return 0
	}
	return amount*int64(before+q)/int64(n) - amount*int64(before)/int64(n)
}

// ShareOf is the part of amount that taking part more of whole carries when before of whole was taken
// already: the tax in part of a shipping's gross price.
func ShareOf(amount, whole, before, part int64) int64 {
	if whole <= 0 {
		return 0
	}
	return amount*(before+part)/whole - amount*before/whole
}

// Line is an order line as a refund reads it: its units, and its amount without tax (after discounts)
// and tax.
type Line struct {
	ID       int
	Quantity int
	Net, Tax int64
}

// Rate is one of an order's taxable amounts: Base taxed at PPM millionths; what the order sold without
// tax is a Rate of PPM 0.
type Rate struct {
	PPM  int
	Base int64
}

// Order is what a refund is cut from.
type Order struct {
	// TaxesIncluded: prices include tax, so a line's part is cut from its gross amount and the tax
	// taken out of it, as the buyer paid; otherwise the net and the tax are cut each.
	TaxesIncluded            bool
	Lines                    []Line
	ShippingNet, ShippingTax int64
	Rates                    []Rate
}

// Taken is what the order's earlier refunds took back: units per line, and shipping (gross).
type Taken struct {
	Units    map[int]int
	Shipping int64
}

// Add counts a refund of units and shipping into t.
func (t *Taken) Add(units map[int]int, shipping int64) {
	if t.Units == nil {
		t.Units = map[int]int{}
	}
	for id, n := range units {
		t.Units[id] += n
	}
	t.Shipping += shipping
}

// Refund is one refund: units per line, the shipping it gave back (gross), and the amount in all.
type Refund struct {
	Units            map[int]int
	Shipping, Amount int64
}

// Part is one part of a refund: a line's units (LineID), the shipping (Shipping), or the rest of the
// amount, which no unit or shipping accounts for (a goodwill amount), taxed at Rates[Rate].
type Part struct {
	LineID   int
	Shipping bool
	Quantity int
	Net, Tax int64
	// Rate is, for the rest, the index in Order.Rates of the rate it is taxed at: the order's largest
	// taxable amount, a higher rate winning a tie; -1 for the other parts, and for a rest of an order
	// with no rates (then untaxed).
	Rate int
}

// Gross is the part's amount with its tax.
func (p Part) Gross() int64 { return p.Net + p.Tax }

// Split cuts refund r of o, after the refunds that took taken: each refunded line's units, then the
// shipping, then the rest of the amount if any. Lines are taken in the order of o.Lines.
func Split(o Order, taken Taken, r Refund) []Part {
	var parts []Part
	var credited int64
	for _, l := range o.Lines {
		q := r.Units[l.ID]
		if q <= 0 || l.Quantity <= 0 {
			continue
		}
		before := taken.Units[l.ID]
		p := Part{LineID: l.ID, Quantity: q, Rate: -1, Tax: Share(l.Tax, l.Quantity, before, q)}
		if o.TaxesIncluded {
			p.Net = Share(l.Net+l.Tax, l.Quantity, before, q) - p.Tax
		} else {
			p.Net = Share(l.Net, l.Quantity, before, q)
		}
		parts = append(parts, p)
		credited += p.Gross()
	}
	if gross := o.ShippingNet + o.ShippingTax; r.Shipping > 0 && gross > 0 {
		tax := ShareOf(o.ShippingTax, gross, taken.Shipping, r.Shipping)
		parts = append(parts, Part{Shipping: true, Quantity: 1, Net: r.Shipping - tax, Tax: tax, Rate: -1})
		credited += r.Shipping
	}
	if rest := r.Amount - credited; rest != 0 {
		p := Part{Quantity: 1, Net: rest, Rate: Largest(o.Rates)}
		if p.Rate >= 0 {
			p.Net = money.MulDiv(rest, 1_000_000, int64(1_000_000+o.Rates[p.Rate].PPM))
			p.Tax = rest - p.Net
		}
		parts = append(parts, p)
	}
	return parts
}

// Largest is the index of the largest of rates by base, a higher rate winning a tie, or -1.
func Largest(rates []Rate) int {
	best := -1
	for i, t := range rates {
		if best < 0 || t.Base > rates[best].Base || t.Base == rates[best].Base && t.PPM > rates[best].PPM {
			best = i
		}
	}
	return best
}
