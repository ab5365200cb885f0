package invoices

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/emporium/emporium/money"
)

// UBL namespaces.
const (
	nsInvoice    = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
	nsCreditNote = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
	nsCAC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	nsCBC        = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
	// customizationEN16931 says the document follows the European standard's core invoice model.
	customizationEN16931 = "urn:cen.eu:en16931:2017"
)

// UBL renders d as an EN 16931 UBL 2.1 Invoice, or CreditNote for a credit note. Elements follow the
// UBL 2.1 schemas' sequences (the tests validate against them).
func UBL(d Document) ([]byte, error) {
	m := func(v int64) *amount { return &amount{Currency: d.Currency, Value: money.New(v, d.Currency).Decimal()} }
	doc := UBLBody{
		XMLNSCAC: nsCAC, XMLNSCBC: nsCBC, UBLVersionID: "2.1", CustomizationID: customizationEN16931,
		ID: d.Number, IssueDate: d.IssuedAt.Format("2006-01-02"), Notes: d.Notes, Currency: d.Currency,
		Supplier: ublParty{Party: party(d.Seller)}, Customer: ublParty{Party: party(d.Buyer)},
	}
	if d.OrderName != "" {
		doc.OrderReference = &idOnly{ID: d.OrderName}
	}
	if d.Corrects != nil {
		doc.BillingReference = &billingReference{Invoice: docRef{ID: d.Corrects.Number, IssueDate: d.Corrects.IssuedAt.Format("2006-01-02")}}
	}
	if d.ShipTo != nil {
		doc.Delivery = &delivery{Location: deliveryLocation{Address: postal(*d.ShipTo)}}
	}
	tax := taxTotal{Amount: m(d.Totals.Tax)}
	for _, t := range d.TaxBreakdown {
		tax.Subtotals = append(tax.Subtotals, taxSubtotal{Taxable: m(t.Taxable), Amount: m(t.Tax), Category: taxCategory(t.Category, t.RateBPS, d.Notes)})
	}
	doc.TaxTotal = tax
	doc.Total = monetaryTotal{LineExtension: m(d.Totals.Net), TaxExclusive: m(d.Totals.Net), TaxInclusive: m(d.Totals.Gross), Payable: m(d.Totals.Payable)}
	if r := d.Totals.Payable - d.Totals.Gross; r != 0 {
		doc.Total.Rounding = m(r)
	}
	for i, l := range d.Lines {
		line := ublLine{ID: fmt.Sprint(i + 1), LineExtension: m(l.Net),
			Item:  item{Name: l.Description, Classified: classified{ID: l.Category, Percent: percent(l.RateBPS), Scheme: scheme{ID: "VAT"}}},
			Price: price{Amount: &amount{Currency: d.Currency, Value: unitPrice(l.Net, l.Quantity, d.Currency)}}}
		if l.SKU != "" {
			line.Item.SellersID = &idOnly{ID: l.SKU}
		}
		q := &quantity{Unit: "C62", Value: fmt.Sprint(l.Quantity)}
		if d.Kind == KindCreditNote {
			line.Credited = q
		} else {
			line.Invoiced = q
		}
		doc.Lines = append(doc.Lines, line)
	}
	var root any
	if d.Kind == KindCreditNote {
		doc.XMLNS, doc.CreditNoteTypeCode = nsCreditNote, "381"
		root = creditNoteDoc{UBLBody: doc, CreditNoteLines: doc.Lines}
	} else {
		doc.XMLNS, doc.InvoiceTypeCode = nsInvoice, "380"
		root = invoiceDoc{UBLBody: doc, InvoiceLines: doc.Lines}
	}
	body, err := xml.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("invoices: ubl %s: %w", d.Number, err)
	}
	return append([]byte(xml.Header), body...), nil
}

// The two documents share their elements; the lines' element differs by name only.
type invoiceDoc struct {
	XMLName struct{} `xml:"Invoice"`
	UBLBody
	InvoiceLines []ublLine `xml:"cac:InvoiceLine"`
}

type creditNoteDoc struct {
	XMLName struct{} `xml:"CreditNote"`
	UBLBody
	CreditNoteLines []ublLine `xml:"cac:CreditNoteLine"`
}

// UBLBody holds the elements an Invoice and a CreditNote share (exported for encoding/xml, which
// cannot marshal an embedded unexported struct).
type UBLBody struct {
	XMLNS              string            `xml:"xmlns,attr"`
	XMLNSCAC           string            `xml:"xmlns:cac,attr"`
	XMLNSCBC           string            `xml:"xmlns:cbc,attr"`
	UBLVersionID       string            `xml:"cbc:UBLVersionID"`
	CustomizationID    string            `xml:"cbc:CustomizationID"`
	ID                 string            `xml:"cbc:ID"`
	IssueDate          string            `xml:"cbc:IssueDate"`
	InvoiceTypeCode    string            `xml:"cbc:InvoiceTypeCode,omitempty"`
	CreditNoteTypeCode string            `xml:"cbc:CreditNoteTypeCode,omitempty"`
	Notes              []string          `xml:"cbc:Note"`
	Currency           string            `xml:"cbc:DocumentCurrencyCode"`
	OrderReference     *idOnly           `xml:"cac:OrderReference"`
	BillingReference   *billingReference `xml:"cac:BillingReference"`
	Supplier           ublParty          `xml:"cac:AccountingSupplierParty"`
	Customer           ublParty          `xml:"cac:AccountingCustomerParty"`
	Delivery           *delivery         `xml:"cac:Delivery"`
	TaxTotal           taxTotal          `xml:"cac:TaxTotal"`
	Total              monetaryTotal     `xml:"cac:LegalMonetaryTotal"`
	Lines              []ublLine         `xml:"-"`
}

type amount struct {
	Currency string `xml:"currencyID,attr"`
	Value    string `xml:",chardata"`
}

type quantity struct {
	Unit  string `xml:"unitCode,attr"`
	Value string `xml:",chardata"`
}

type idOnly struct {
	ID string `xml:"cbc:ID"`
}

type billingReference struct {
	Invoice docRef `xml:"cac:InvoiceDocumentReference"`
}

type docRef struct {
	ID        string `xml:"cbc:ID"`
	IssueDate string `xml:"cbc:IssueDate,omitempty"`
}

type ublParty struct {
	Party partyElem `xml:"cac:Party"`
}

type partyElem struct {
	Address   postalAddress    `xml:"cac:PostalAddress"`
	TaxScheme *partyTaxScheme  `xml:"cac:PartyTaxScheme"`
	Legal     partyLegalEntity `xml:"cac:PartyLegalEntity"`
	Contact   *contact         `xml:"cac:Contact"`
}

type postalAddress struct {
	Street     string  `xml:"cbc:StreetName,omitempty"`
	Additional string  `xml:"cbc:AdditionalStreetName,omitempty"`
	City       string  `xml:"cbc:CityName,omitempty"`
	Zip        string  `xml:"cbc:PostalZone,omitempty"`
	Province   string  `xml:"cbc:CountrySubentity,omitempty"`
	Country    *idCode `xml:"cac:Country"`
}

type idCode struct {
	Code string `xml:"cbc:IdentificationCode"`
}

type partyTaxScheme struct {
	CompanyID string `xml:"cbc:CompanyID"`
	Scheme    scheme `xml:"cac:TaxScheme"`
}

type scheme struct {
	ID string `xml:"cbc:ID"`
}

type partyLegalEntity struct {
	Name string `xml:"cbc:RegistrationName"`
}

type contact struct {
	Email string `xml:"cbc:ElectronicMail"`
}

type delivery struct {
	Location deliveryLocation `xml:"cac:DeliveryLocation"`
}

type deliveryLocation struct {
	Address postalAddress `xml:"cac:Address"`
}

type taxTotal struct {
	Amount    *amount       `xml:"cbc:TaxAmount"`
	Subtotals []taxSubtotal `xml:"cac:TaxSubtotal"`
}

type taxSubtotal struct {
	Taxable  *amount      `xml:"cbc:TaxableAmount"`
	Amount   *amount      `xml:"cbc:TaxAmount"`
	Category categoryElem `xml:"cac:TaxCategory"`
}

type categoryElem struct {
	ID                  string `xml:"cbc:ID"`
	Percent             string `xml:"cbc:Percent"`
	ExemptionReasonCode string `xml:"cbc:TaxExemptionReasonCode,omitempty"`
	ExemptionReason     string `xml:"cbc:TaxExemptionReason,omitempty"`
	Scheme              scheme `xml:"cac:TaxScheme"`
}

type monetaryTotal struct {
	LineExtension *amount `xml:"cbc:LineExtensionAmount"`
	TaxExclusive  *amount `xml:"cbc:TaxExclusiveAmount"`
	TaxInclusive  *amount `xml:"cbc:TaxInclusiveAmount"`
	Rounding      *amount `xml:"cbc:PayableRoundingAmount"`
	Payable       *amount `xml:"cbc:PayableAmount"`
}

type ublLine struct {
	ID            string    `xml:"cbc:ID"`
	Invoiced      *quantity `xml:"cbc:InvoicedQuantity"`
	Credited      *quantity `xml:"cbc:CreditedQuantity"`
	LineExtension *amount   `xml:"cbc:LineExtensionAmount"`
	Item          item      `xml:"cac:Item"`
	Price         price     `xml:"cac:Price"`
}

type item struct {
	Name       string     `xml:"cbc:Name"`
	SellersID  *idOnly    `xml:"cac:SellersItemIdentification"`
	Classified classified `xml:"cac:ClassifiedTaxCategory"`
}

type classified struct {
	ID      string `xml:"cbc:ID"`
	Percent string `xml:"cbc:Percent"`
	Scheme  scheme `xml:"cac:TaxScheme"`
}

type price struct {
	Amount *amount `xml:"cbc:PriceAmount"`
}

func party(p Party) partyElem {
	e := partyElem{Address: postal(p.Address), Legal: partyLegalEntity{Name: p.Name}}
	if p.VATNumber != "" {
		e.TaxScheme = &partyTaxScheme{CompanyID: p.VATNumber, Scheme: scheme{ID: "VAT"}}
	}
	if p.Email != "" {
		e.Contact = &contact{Email: p.Email}
	}
	return e
}

func postal(a Address) postalAddress {
	p := postalAddress{Street: a.Line1, Additional: a.Line2, City: a.City, Zip: a.Zip, Province: a.Province}
	if a.Country != "" {
		p.Country = &idCode{Code: a.Country}
	}
	return p
}

// taxCategory is the VAT category of a breakdown; exempt and reverse-charged ones carry their reason
// (VATEX codes of the CEF list) and the legal note, as EN 16931 requires.
func taxCategory(cat string, bps int, notes []string) categoryElem {
	c := categoryElem{ID: cat, Percent: percent(bps), Scheme: scheme{ID: "VAT"}}
	reason := strings.Join(notes, " ")
	switch cat {
	case CategoryReverseCharge:
		c.ExemptionReasonCode, c.ExemptionReason = "VATEX-EU-AE", cmpString(reason, "Reverse charge")
	case CategoryExempt:
		c.ExemptionReason = cmpString(reason, "Exempt from VAT")
	}
	return c
}

func cmpString(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func percent(bps int) string { return fmt.Sprintf("%d.%02d", bps/100, bps%100) }

// unitPrice is net/qty as a decimal: exact when it divides, else to four more places than the
// currency has, 3.333333 for 10.00 over 3 (UBL prices may be finer than the currency).
func unitPrice(net int64, qty int, currency string) string {
	if qty <= 1 {
		return money.New(net, currency).Decimal()
	}
	if net%int64(qty) == 0 {
		return money.New(net/int64(qty), currency).Decimal()
	}
	fine := money.MulDiv(net, 10000, int64(qty))
	s := money.New(fine, currency).Decimal() // fine minor units, printed as if minor units
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	digits := whole + frac
	point := len(whole) - 4
	for point < 1 {
		digits, point = "0"+digits, point+1
	}
	out := digits[:point] + "." + digits[point:]
	if neg {
		out = "-" + out
	}
	return out
}
