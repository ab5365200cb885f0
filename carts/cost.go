package carts

import (
	"errors"
	"fmt"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/tax"
)

// LineCost is what a line costs.
type LineCost struct {
	PerUnit   money.Money
	CompareAt *money.Money
	Subtotal  money.Money
	Total     money.Money
}

// ErrNoPrice is returned for a line whose variant has no price in the cart's currency any more.
var ErrNoPrice = errors.New("carts: variant has no price in the cart's currency")

// CostOfLine prices a line from its variant's current prices, in currency.
func CostOfLine(l *ent.CartLine, prices []*ent.VariantPrice, currency string) (LineCost, error) {
	p, ok := catalog.PriceIn(prices, currency, currency)
	if !ok {
		return LineCost{}, fmt.Errorf("%w: variant %d, %s", ErrNoPrice, l.VariantID, currency)
	}
	sub, err := p.Amount.Mul(int64(l.Quantity))
	if err != nil {
		return LineCost{}, fmt.Errorf("carts: line of variant %d: %w", l.VariantID, err)
	}
	return LineCost{PerUnit: p.Amount, CompareAt: p.CompareAt, Subtotal: sub, Total: sub}, nil
}

// Cost is what a cart costs. Discounts, shipping and tax are not applied yet, so the total is the
// subtotal.
type Cost struct {
	Subtotal, Total money.Money
}

// CostOfCart sums its lines' costs.
func CostOfCart(currency string, lines []LineCost) (Cost, error) {
	sum := money.New(0, currency)
	for _, l := range lines {
		var err error
		if sum, err = sum.Add(l.Total); err != nil {
			return Cost{}, err
		}
	}
	return Cost{Subtotal: sum, Total: sum}, nil
}

// TaxRequest is what the cart asks of the tax provider once it has a selected delivery address: its
// lines with their products' tax classes, and the selected shipping. It is nil without an address.
func TaxRequest(c *ent.Cart, lines []LineCost, variants map[int]*ent.ProductVariant, products map[int]*ent.Product, g *Group) *tax.Request {
	address := SelectedAddress(c)
	if address == nil {
		return nil
	}
	r := &tax.Request{CountryCode: address.CountryCode, ProvinceCode: address.ProvinceCode, Zip: address.Zip,
		VATNumber: VATNumber(c), CustomerID: c.CustomerID}
	for i, l := range c.Edges.Lines {
		v := variants[l.VariantID]
		if v == nil {
			continue
		}
		class := "STANDARD"
		if p := products[v.ProductID]; p != nil {
			class = string(p.TaxClass)
		}
		r.Lines = append(r.Lines, tax.Line{Key: fmt.Sprint(l.ID), Amount: lines[i].Total, Class: class, Taxable: v.Taxable})
	}
	if g != nil && g.Selected != nil {
		shipping := g.Selected.Cost
		r.Shipping = &shipping
	}
	return r
}

// Total is what the buyer pays: lines, the selected shipping, and tax when prices exclude it.
func Total(subtotal money.Money, g *Group, t *tax.Result) (money.Money, error) {
	total := subtotal
	var err error
	if g != nil && g.Selected != nil {
		if total, err = total.Add(g.Selected.Cost); err != nil {
			return money.Money{}, err
		}
	}
	if t != nil && !t.Inclusive && t.Total.Currency != "" {
		if total, err = total.Add(t.Total); err != nil {
			return money.Money{}, err
		}
	}
	return total, nil
}

// VATNumberAttribute is the cart attribute that carries a business buyer's VAT number (as Shopify shops
// collect it: a cart attribute, written with cartAttributesUpdate).
const VATNumberAttribute = "vat_number"

// VATNumber is the VAT number the buyer gave, or "".
func VATNumber(c *ent.Cart) string {
	for _, a := range c.Attributes {
		if a.Key == VATNumberAttribute {
			return a.Value
		}
	}
	return ""
}
