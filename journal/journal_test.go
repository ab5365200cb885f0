package journal

import (
	"errors"
	"testing"

	"github.com/emporium/emporium/ent"
)

func TestOrderPlacedTaxIncluded(t *testing.T) {
	// 119.00 EUR at 19 % VAT, prices including tax: 100.00 of sales, 19.00 of VAT.
	o := &ent.Order{ID: 1, Currency: "EUR", Subtotal: 11900, TaxTotal: 1900, TaxesIncluded: true, Total: 11900}
	e := OrderPlaced(o)
	e.Lines = compact(e.Lines)
	want := map[Role][2]int64{Receivable: {11900, 0}, Sales: {0, 10000}, TaxPayable: {0, 1900}}
	checkLines(t, e, want)
}

func TestOrderPlacedDiscountShippingTaxExcluded(t *testing.T) {
	// 50.00 of items, 5.00 off, 4.90 shipping, 10 % tax on both: 4.50 + 0.49.
	o := &ent.Order{ID: 1, Currency: "USD", Subtotal: 5000, DiscountTotal: 500, ShippingTotal: 490, ShippingTax: 49,
		TaxTotal: 499, Total: 5000 - 500 + 490 + 499}
	e := OrderPlaced(o)
	e.Lines = compact(e.Lines)
	checkLines(t, e, map[Role][2]int64{Receivable: {5489, 0}, Discounts: {500, 0}, Sales: {0, 5000}, Shipping: {0, 490}, TaxPayable: {0, 499}})
	c := Cancelled(o)
	c.Lines = compact(c.Lines)
	checkLines(t, c, map[Role][2]int64{Receivable: {0, 5489}, Discounts: {0, 500}, Sales: {5000, 0}, Shipping: {490, 0}, TaxPayable: {499, 0}})
}

func TestCheckRefusesUnbalanced(t *testing.T) {
	err := Check(Entry{Kind: "x", Currency: "EUR", Lines: []Line{{Account: Sales, Credit: 100}, {Account: Receivable, Debit: 99}}})
	if !errors.Is(err, ErrUnbalanced) {
		t.Fatalf("got %v, want ErrUnbalanced", err)
	}
	if err := Check(Entry{Kind: "x", Currency: "EUR", Lines: []Line{{Account: "NOPE", Debit: 1}, {Account: Sales, Credit: 1}}}); err == nil {
		t.Fatal("an unknown account was accepted")
	}
}

func checkLines(t *testing.T, e Entry, want map[Role][2]int64) {
	t.Helper()
	if err := Check(e); err != nil {
		t.Fatal(err)
	}
	got := map[Role][2]int64{}
	for _, l := range e.Lines {
		got[l.Account] = [2]int64{l.Debit, l.Credit}
	}
	if len(got) != len(want) {
		t.Fatalf("lines %v, want %v", got, want)
	}
	for r, w := range want {
		if got[r] != w {
			t.Errorf("%s: debit/credit %v, want %v", r, got[r], w)
		}
	}
}
