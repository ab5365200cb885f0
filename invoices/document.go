package invoices

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/prorata"
)

// Document is the snapshot an invoice or credit note keeps: everything it says, as it said it when
// issued. Amounts are minor units of Currency; credit notes hold positive amounts, as UBL's CreditNote
// does.
type Document struct {
	Kind      string    `json:"kind"`
	Number    string    `json:"number"`
	IssuedAt  time.Time `json:"issuedAt"`
	Currency  string    `json:"currency"`
	OrderName string    `json:"orderName"`
	Seller    Party     `json:"seller"`
	Buyer     Party     `json:"buyer"`
	// ShipTo is where the goods went, when the order was shipped.
	ShipTo *Address `json:"shipTo,omitempty"`
	// TaxTreatment is the order's: STANDARD, REVERSE_CHARGE or EXEMPT.
	TaxTreatment string        `json:"taxTreatment"`
	Lines        []Line        `json:"lines"`
	TaxBreakdown []TaxSubtotal `json:"taxBreakdown"`
	Totals       Totals        `json:"totals"`
	// Notes are the legal notes printed on the document (reverse charge, exemption).
	Notes []string `json:"notes,omitempty"`
	// Corrects is the invoice a credit note corrects.
	Corrects *Reference `json:"corrects,omitempty"`
}

// Party is the seller or the buyer.
type Party struct {
	Name      string  `json:"name"`
	VATNumber string  `json:"vatNumber,omitempty"`
	Email     string  `json:"email,omitempty"`
	Address   Address `json:"address"`
}

// Address is a postal address.
type Address struct {
	Line1    string `json:"line1,omitempty"`
	Line2    string `json:"line2,omitempty"`
	City     string `json:"city,omitempty"`
	Zip      string `json:"zip,omitempty"`
	Province string `json:"province,omitempty"`
	Country  string `json:"country,omitempty"`
}

// Line is one line of a document: goods, or the shipping.
type Line struct {
	OrderLineID int    `json:"orderLineId,omitempty"`
	Description string `json:"description"`
	SKU         string `json:"sku,omitempty"`
	Quantity    int    `json:"quantity"`
	// Net is the line's amount without tax, after discounts; Tax the tax on it at RateBPS.
	Net      int64  `json:"net"`
	RateBPS  int    `json:"rateBps"`
	Tax      int64  `json:"tax"`
	Category string `json:"category"`
	Shipping bool   `json:"shipping,omitempty"`
}

// TaxSubtotal is the tax of one category and rate: what EN 16931 calls a VAT breakdown.
type TaxSubtotal struct {
	Category string `json:"category"`
	RateBPS  int    `json:"rateBps"`
	Taxable  int64  `json:"taxable"`
	Tax      int64  `json:"tax"`
}

// Totals of a document. Payable is what the buyer pays (or is credited): Net + Tax, unless the order's
// own total differs by a rounding, kept as the order charged it.
type Totals struct {
	Net     int64 `json:"net"`
	Tax     int64 `json:"tax"`
	Gross   int64 `json:"gross"`
	Payable int64 `json:"payable"`
}

// Reference names an earlier document.
type Reference struct {
	Number   string    `json:"number"`
	IssuedAt time.Time `json:"issuedAt"`
}

// VAT categories of UNTDID 5305, as EN 16931 uses them.
const (
	CategoryStandard      = "S"
	CategoryZero          = "Z"
	CategoryExempt        = "E"
	CategoryReverseCharge = "AE"
)

// sellerOf reads the seller's details from the shop's settings.
func sellerOf(ctx context.Context, tx *ent.Tx) (Party, error) {
	shop, err := tx.Shop.Query().First(ctx)
	if ent.IsNotFound(err) {
		return Party{Name: "Emporium"}, nil
	}
	if err != nil {
		return Party{}, fmt.Errorf("invoices: shop: %w", err)
	}
	p := Party{Name: shop.LegalName, VATNumber: shop.VatNumber, Address: addressOf(shop.Address)}
	if p.Name == "" {
		p.Name = shop.Name
	}
	return p, nil
}

func addressOf(m map[string]string) Address {
	return Address{Line1: m["address1"], Line2: m["address2"], City: m["city"], Zip: m["zip"],
		Province: m["provinceCode"], Country: m["countryCode"]}
}

func personOf(m map[string]string) string {
	name := strings.TrimSpace(m["firstName"] + " " + m["lastName"])
	if c := m["company"]; c != "" {
		if name == "" {
			return c
		}
		return c + " (" + name + ")"
	}
	return name
}

// category is the VAT category of a line taxed at rate under treatment.
func category(treatment string, rate int) string {
	switch {
	case treatment == "REVERSE_CHARGE":
		return CategoryReverseCharge
	case treatment == "EXEMPT":
		return CategoryExempt
	case rate == 0:
		return CategoryZero
	}
	return CategoryStandard
}

// rateOf is the rate a line of net taxed tax was charged at: of the order's rates (and their sum, for
// stacked US state and local rates), the nearest to tax/net. Lines keep their tax, not their rate.
func rateOf(net, tax int64, taxLines []orderTaxLine) int {
	if tax == 0 || net == 0 {
		return 0
	}
	effective := int((tax*10000*2 + net) / (net * 2))
	candidates := []int{}
	sum := 0
	for _, t := range taxLines {
		candidates = append(candidates, t.RateBPS)
		sum += t.RateBPS
	}
	candidates = append(candidates, sum)
	best, bestDiff := effective, -1
	for _, c := range candidates {
		d := c - effective
		if d < 0 {
			d = -d
		}
		// Within one percentage point: rounding of a small line moves its apparent rate.
		if c > 0 && d <= 100 && (bestDiff < 0 || d < bestDiff) {
			best, bestDiff = c, d
		}
	}
	return best
}

type orderTaxLine struct{ RateBPS int }

// invoiceDocument is the snapshot of order o with its lines, sold by seller.
func invoiceDocument(seller Party, o *ent.Order, lines []*ent.OrderLine) Document {
	billing := o.BillingAddress
	if len(billing) == 0 {
		billing = o.ShippingAddress
	}
	buyer := Party{Name: personOf(billing), VATNumber: o.BuyerVatNumber, Email: o.Email, Address: addressOf(billing)}
	if buyer.Name == "" {
		buyer.Name = o.Email
	}
	d := Document{Currency: o.Currency, Seller: seller, Buyer: buyer, TaxTreatment: string(o.TaxTreatment)}
	if len(o.ShippingAddress) > 0 {
		a := addressOf(o.ShippingAddress)
		d.ShipTo = &a
	}
	var rates []orderTaxLine
	for _, t := range o.TaxLines {
		rates = append(rates, orderTaxLine{RateBPS: t.RateBPS})
	}
	for _, l := range lines {
		net := l.Total
		if o.TaxesIncluded {
			net -= l.Tax
		}
		title := l.Title
		if l.VariantTitle != "" && l.VariantTitle != "Default Title" {
			title += " – " + l.VariantTitle
		}
		rate := rateOf(net, l.Tax, rates)
		d.Lines = append(d.Lines, Line{OrderLineID: l.ID, Description: title, SKU: l.Sku, Quantity: l.Quantity,
			Net: net, RateBPS: rate, Tax: l.Tax, Category: category(d.TaxTreatment, rate)})
	}
	if o.ShippingTotal != 0 || o.ShippingTax != 0 {
		net := o.ShippingTotal
		if o.TaxesIncluded {
			net -= o.ShippingTax
		}
		rate := rateOf(net, o.ShippingTax, rates)
		title := "Shipping"
		if o.ShippingTitle != "" {
			title += ": " + o.ShippingTitle
		}
		d.Lines = append(d.Lines, Line{Description: title, Quantity: 1, Net: net, RateBPS: rate, Tax: o.ShippingTax,
			Category: category(d.TaxTreatment, rate), Shipping: true})
	}
	if o.TaxNote != "" {
		d.Notes = append(d.Notes, o.TaxNote)
	}
	d.finish(o.Total)
	return d
}

// creditNoteDocument is the snapshot of refund r against invoice inv (numbered number, issued at), after
// the order's earlier refunds took taken; taxesIncluded is the order's. The refund is cut by package
// prorata, as its amount and journal entry were: refunded units at their invoiced net and tax,
// refunded shipping at the invoiced shipping's tax share, whatever else the refund paid back (an amount
// without units) at the invoice's largest rate, so that the credit note's total is the refund's amount.
func creditNoteDocument(inv Document, number string, at time.Time, r *ent.Refund, taken prorata.Taken, taxesIncluded bool) Document {
	d := Document{Currency: inv.Currency, OrderName: inv.OrderName, Seller: inv.Seller, Buyer: inv.Buyer, ShipTo: inv.ShipTo,
		TaxTreatment: inv.TaxTreatment, Notes: append([]string(nil), inv.Notes...), Corrects: &Reference{Number: number, IssuedAt: at}}
	po := prorata.Order{TaxesIncluded: taxesIncluded}
	byID := map[int]Line{}
	var shipping *Line
	for _, l := range inv.Lines {
		if l.Shipping {
			s := l
			shipping = &s
			po.ShippingNet, po.ShippingTax = l.Net, l.Tax
			continue
		}
		byID[l.OrderLineID] = l
		po.Lines = append(po.Lines, prorata.Line{ID: l.OrderLineID, Quantity: l.Quantity, Net: l.Net, Tax: l.Tax})
	}
	for _, t := range inv.TaxBreakdown {
		po.Rates = append(po.Rates, prorata.Rate{PPM: t.RateBPS * 100, Base: t.Taxable})
	}
	for _, p := range prorata.Split(po, taken, prorata.Refund{Units: r.Lines, Shipping: r.Shipping, Amount: r.Amount}) {
		var c Line
		switch {
		case p.Shipping:
			c = *shipping
		case p.LineID != 0:
			c = byID[p.LineID]
		default:
			c = Line{Description: "Refund", RateBPS: 0, Category: category(inv.TaxTreatment, 0)}
			if p.Rate >= 0 {
				c.RateBPS, c.Category = inv.TaxBreakdown[p.Rate].RateBPS, inv.TaxBreakdown[p.Rate].Category
			}
		}
		c.Quantity, c.Net, c.Tax = p.Quantity, p.Net, p.Tax
		d.Lines = append(d.Lines, c)
	}
	d.finish(r.Amount)
	return d
}

// finish sums the lines into the tax breakdown and the totals.
func (d *Document) finish(payable int64) {
	type key struct {
		cat  string
		rate int
	}
	groups := map[key]*TaxSubtotal{}
	d.Totals = Totals{}
	for _, l := range d.Lines {
		k := key{l.Category, l.RateBPS}
		g := groups[k]
		if g == nil {
			g = &TaxSubtotal{Category: l.Category, RateBPS: l.RateBPS}
			groups[k] = g
		}
		g.Taxable += l.Net
		g.Tax += l.Tax
		d.Totals.Net += l.Net
		d.Totals.Tax += l.Tax
	}
	d.TaxBreakdown = d.TaxBreakdown[:0]
	for _, g := range groups {
		d.TaxBreakdown = append(d.TaxBreakdown, *g)
	}
	sort.Slice(d.TaxBreakdown, func(i, j int) bool {
		a, b := d.TaxBreakdown[i], d.TaxBreakdown[j]
		if a.RateBPS != b.RateBPS {
			return a.RateBPS > b.RateBPS
		}
		return a.Category < b.Category
	})
	d.Totals.Gross = d.Totals.Net + d.Totals.Tax
	d.Totals.Payable = payable
}
