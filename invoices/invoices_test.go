package invoices

import (
	"bytes"
	"testing"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/prorata"
)

func sample() Document {
	d := Document{Kind: KindInvoice, Number: "INV-2026-000042", IssuedAt: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
		Currency: "EUR", OrderName: "#1042", TaxTreatment: "STANDARD",
		Seller: Party{Name: "Emporium GmbH", VATNumber: "DE123456789", Address: Address{Line1: "Hauptstraße 1", City: "Berlin", Zip: "10115", Country: "DE"}},
		Buyer:  Party{Name: "Jeanne Dupont", Email: "jeanne@example.com", Address: Address{Line1: "1 rue de Rivoli", City: "Paris", Zip: "75001", Country: "FR"}},
		Lines: []Line{{Description: "Poster – Alps", Quantity: 2, Net: 2000, RateBPS: 2000, Tax: 400, Category: CategoryStandard},
			{Description: "Shipping: Standard", Quantity: 1, Net: 500, RateBPS: 2000, Tax: 100, Category: CategoryStandard, Shipping: true}},
	}
	d.finish(3000)
	return d
}

func TestFinishSumsPerRate(t *testing.T) {
	d := sample()
	if len(d.TaxBreakdown) != 1 || d.TaxBreakdown[0] != (TaxSubtotal{Category: "S", RateBPS: 2000, Taxable: 2500, Tax: 500}) {
		t.Fatalf("breakdown %+v", d.TaxBreakdown)
	}
	if d.Totals != (Totals{Net: 2500, Tax: 500, Gross: 3000, Payable: 3000}) {
		t.Fatalf("totals %+v", d.Totals)
	}
}

func TestPDFIsDeterministic(t *testing.T) {
	a, err := PDF(sample())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := PDF(sample())
	if !bytes.HasPrefix(a, []byte("%PDF")) || !bytes.Contains(a, []byte("INV-2026-000042")) {
		t.Fatalf("not a PDF of the invoice: %.40q", a)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of one document differ")
	}
}

func TestRate(t *testing.T) {
	for bps, want := range map[int]string{1900: "19%", 825: "8.25%", 550: "5.5%", 0: "0%"} {
		if got := rate(bps); got != want {
			t.Errorf("rate(%d) = %q, want %q", bps, got, want)
		}
	}
}

// TestCreditNotesAddUpToTheInvoice refunds three tees one, then two: the credit notes credit exactly what
// was paid back (orders cut 30.66 and 61.34, package prorata), with no stray rounding line, and together
// the invoice's tax.
func TestCreditNotesAddUpToTheInvoice(t *testing.T) {
	inv := Document{Currency: "USD", TaxTreatment: "STANDARD",
		Lines: []Line{{OrderLineID: 9, Description: "Tee", Quantity: 3, Net: 8700, RateBPS: 575, Tax: 500, Category: CategoryStandard}}}
	inv.finish(9200)
	first := creditNoteDocument(inv, "INV-2026-000001", time.Now(), &ent.Refund{Lines: map[int]int{9: 1}, Amount: 3066}, prorata.Taken{}, false)
	second := creditNoteDocument(inv, "INV-2026-000001", time.Now(), &ent.Refund{Lines: map[int]int{9: 2}, Amount: 6134},
		prorata.Taken{Units: map[int]int{9: 1}}, false)
	for i, cn := range []Document{first, second} {
		if len(cn.Lines) != 1 || cn.Totals.Gross != cn.Totals.Payable {
			t.Errorf("credit note %d: %+v", i, cn)
		}
	}
	if first.Totals.Tax != 166 || second.Totals.Tax != 334 || first.Totals.Net+second.Totals.Net != 8700 {
		t.Errorf("taxes %d + %d, nets %d + %d", first.Totals.Tax, second.Totals.Tax, first.Totals.Net, second.Totals.Net)
	}
}
