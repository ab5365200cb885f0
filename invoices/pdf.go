package invoices

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"github.com/emporium/emporium/money"
)

// PDF renders d as an A4 PDF. The rendering depends on d alone (its creation date is the document's
// issue date), so the same document renders to the same bytes every time.
func PDF(d Document) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(d.IssuedAt)
	pdf.SetModificationDate(d.IssuedAt)
	pdf.SetCatalogSort(true)
	// Uncompressed: small, and the number can be found in the file by search tools and tests.
	pdf.SetCompression(false)
	pdf.SetTitle(d.Number, false)
	pdf.SetAuthor(latin(d.Seller.Name), false)
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252: the core fonts' encoding, with € and –
	text := func(s string) string { return tr(latin(s)) }
	m := func(v int64) string { return money.New(v, d.Currency).Decimal() + " " + d.Currency }
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 18)
	title := "Invoice"
	if d.Kind == KindCreditNote {
		title = "Credit note"
	}
	pdf.CellFormat(0, 10, text(title+" "+d.Number), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(0, 5, "Issued "+d.IssuedAt.Format("2006-01-02")+"   Order "+text(d.OrderName), "", 1, "L", false, 0, "")
	if d.Corrects != nil {
		pdf.CellFormat(0, 5, text("Corrects invoice "+d.Corrects.Number+" of "+d.Corrects.IssuedAt.Format("2006-01-02")), "", 1, "L", false, 0, "")
	}
	pdf.Ln(4)
	y := pdf.GetY()
	party := func(x float64, label string, p Party) {
		pdf.SetXY(x, y)
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(90, 5, label, "", 2, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		for _, l := range partyLines(p) {
			pdf.CellFormat(90, 5, text(l), "", 2, "L", false, 0, "")
		}
	}
	party(10, "Seller", d.Seller)
	bottom := pdf.GetY()
	party(110, "Buyer", d.Buyer)
	pdf.SetXY(10, max(bottom, pdf.GetY())+6)
	widths := []float64{80, 15, 30, 20, 25, 20}
	pdf.SetFont("Helvetica", "B", 9)
	for i, h := range []string{"Description", "Qty", "Net", "VAT %", "VAT", "Category"} {
		pdf.CellFormat(widths[i], 6, h, "B", 0, "L", false, 0, "")
	}
	pdf.Ln(-1)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range d.Lines {
		cells := []string{text(l.Description), fmt.Sprint(l.Quantity), m(l.Net), rate(l.RateBPS), m(l.Tax), l.Category}
		for i, c := range cells {
			pdf.CellFormat(widths[i], 6, c, "", 0, "L", false, 0, "")
		}
		pdf.Ln(-1)
	}
	pdf.Ln(4)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(0, 6, "VAT breakdown", "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	for _, t := range d.TaxBreakdown {
		pdf.CellFormat(0, 5, fmt.Sprintf("%s %s: taxable %s, VAT %s", t.Category, rate(t.RateBPS), m(t.Taxable), m(t.Tax)), "", 1, "L", false, 0, "")
	}
	pdf.Ln(2)
	pdf.SetFont("Helvetica", "B", 10)
	for _, row := range [][2]string{{"Total net", m(d.Totals.Net)}, {"Total VAT", m(d.Totals.Tax)}, {payableLabel(d), m(d.Totals.Payable)}} {
		pdf.CellFormat(140, 6, row[0], "", 0, "R", false, 0, "")
		pdf.CellFormat(0, 6, row[1], "", 1, "R", false, 0, "")
	}
	if len(d.Notes) > 0 {
		pdf.Ln(4)
		pdf.SetFont("Helvetica", "", 9)
		for _, n := range d.Notes {
			pdf.MultiCell(0, 5, text(n), "", "L", false)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("invoices: pdf %s: %w", d.Number, err)
	}
	return buf.Bytes(), nil
}

func payableLabel(d Document) string {
	if d.Kind == KindCreditNote {
		return "Total credited"
	}
	return "Total payable"
}

func partyLines(p Party) []string {
	lines := []string{p.Name}
	for _, l := range []string{p.Address.Line1, p.Address.Line2, strings.TrimSpace(p.Address.Zip + " " + p.Address.City),
		strings.TrimSpace(p.Address.Province + " " + p.Address.Country)} {
		if l != "" {
			lines = append(lines, l)
		}
	}
	if p.VATNumber != "" {
		lines = append(lines, "VAT "+p.VATNumber)
	}
	if p.Email != "" {
		lines = append(lines, p.Email)
	}
	return lines
}

// rate prints basis points as a percentage: 1900 is 19%, 825 is 8.25%.
func rate(bps int) string {
	s := fmt.Sprintf("%d.%02d", bps/100, bps%100)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), "0")
	return strings.TrimSuffix(s, ".") + "%"
}

// latin keeps what cp1252 can show, a question mark for the rest: the core fonts have no other glyphs.
func latin(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x100 || strings.ContainsRune("€–—‘’“”•…", r) {
			return r
		}
		return '?'
	}, s)
}
