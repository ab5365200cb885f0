package invoices

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// validateUBL checks doc against the OASIS UBL 2.1 schema of its kind (testdata/ubl-2.1, from the
// OASIS UBL 2.1 release) with xmllint (Debian's libxml2-utils).
func validateUBL(t *testing.T, kind string, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint missing: .ci/run installs libxml2-utils")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	schema := "UBL-Invoice-2.1.xsd"
	if kind == KindCreditNote {
		schema = "UBL-CreditNote-2.1.xsd"
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", filepath.Join("testdata", "ubl-2.1", "maindoc", schema), file).CombinedOutput()
	if err != nil {
		t.Fatalf("not valid UBL 2.1: %v\n%s\n%s", err, out, doc)
	}
}

func TestUBLInvoiceValidates(t *testing.T) {
	d := sample()
	d.Notes = []string{"Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)."}
	doc, err := UBL(d)
	if err != nil {
		t.Fatal(err)
	}
	validateUBL(t, KindInvoice, doc)
	for _, want := range []string{"<cbc:ID>INV-2026-000042</cbc:ID>", "<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
		`<cbc:PayableAmount currencyID="EUR">30.00</cbc:PayableAmount>`, `<cbc:PriceAmount currencyID="EUR">10.00</cbc:PriceAmount>`,
		"<cbc:CompanyID>DE123456789</cbc:CompanyID>", "<cbc:Percent>20.00</cbc:Percent>"} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("no %s in\n%s", want, doc)
		}
	}
}

func TestUBLCreditNoteValidates(t *testing.T) {
	d := sample()
	d.Kind, d.Number = KindCreditNote, "CN-2026-000007"
	d.Corrects = &Reference{Number: "INV-2026-000042", IssuedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	d.Lines = d.Lines[:1]
	d.Lines[0].Quantity, d.Lines[0].Net, d.Lines[0].Tax = 3, 1000, 200
	d.finish(1200)
	doc, err := UBL(d)
	if err != nil {
		t.Fatal(err)
	}
	validateUBL(t, KindCreditNote, doc)
	for _, want := range []string{"<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>", "<cac:InvoiceDocumentReference>",
		`<cbc:CreditedQuantity unitCode="C62">3</cbc:CreditedQuantity>`, `<cbc:PriceAmount currencyID="EUR">3.333333</cbc:PriceAmount>`} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("no %s in\n%s", want, doc)
		}
	}
}
