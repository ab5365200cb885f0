// Package tax computes sales tax and VAT. The built-in Table provider reads rates by country and region
// and tax class; a Provider interface lets an external tax service replace it.
//
// Rounding: tax is computed per line and per shipping line, each rounded to the currency's minor unit
// (half away from zero), and the lines' taxes are summed. Prices are tax-inclusive where the matched rate
// says so (EU, UK, AU style: the tax is the part of the price that is tax, price × r / (1 + r)) and
// tax-exclusive otherwise (US style: price × r is added).
package tax

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/taxrate"
	"github.com/emporium/emporium/money"
)

// Line is one thing taxed.
type Line struct {
	Key     string      // the caller's identifier, echoed in the result
	Amount  money.Money // what the line costs, after discounts
	Class   string      // STANDARD, REDUCED or ZERO
	Taxable bool
}

// Request asks for the tax of lines and shipping delivered to a place.
type Request struct {
	CountryCode, ProvinceCode string
	Lines                     []Line
	Shipping                  *money.Money
}

// LineTax is the tax of one line.
type LineTax struct {
	Key     string
	Title   string
	RateBPS int // basis points: 1900 is 19%
	Tax     money.Money
}

// Result is the tax of a request.
type Result struct {
	Lines       []LineTax
	ShippingTax money.Money
	// ShippingTitle and ShippingRateBPS name the rate of ShippingTax.
	ShippingTitle   string
	ShippingRateBPS int
	Total           money.Money
	// Inclusive is true when the amounts already contain the tax, false when it is added to them.
	Inclusive bool
}

// Provider computes tax.
type Provider interface {
	Calculate(ctx context.Context, r Request) (Result, error)
}

// Table is the built-in provider over the shop's tax rates.
type Table struct{ client *ent.Client }

// NewTable returns the built-in provider.
func NewTable(client *ent.Client) *Table { return &Table{client: client} }

// Calculate implements Provider.
func (t *Table) Calculate(ctx context.Context, r Request) (Result, error) {
	rates, err := t.client.TaxRate.Query().Where(taxrate.CountryCode(r.CountryCode)).All(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("tax: rates: %w", err)
	}
	return Compute(rates, r), nil
}

// Compute applies rates (of the request's country) to r: the rates of the province win over the
// country's own.
func Compute(rates []*ent.TaxRate, r Request) Result {
	currency := ""
	for _, l := range r.Lines {
		currency = l.Amount.Currency
	}
	if r.Shipping != nil {
		currency = r.Shipping.Currency
	}
	res := Result{Total: money.New(0, currency), ShippingTax: money.New(0, currency)}
	find := func(class string) *ent.TaxRate {
		var country *ent.TaxRate
		for _, rate := range rates {
			if string(rate.TaxClass) != class {
				continue
			}
			if rate.ProvinceCode != "" && rate.ProvinceCode == r.ProvinceCode {
				return rate
			}
			if rate.ProvinceCode == "" {
				country = rate
			}
		}
		return country
	}
	for _, l := range r.Lines {
		rate := find(l.Class)
		if rate == nil || !l.Taxable {
			continue
		}
		res.Inclusive = rate.Inclusive
		amount := portion(l.Amount.Amount, rate.RateBps, rate.Inclusive)
		tax := money.New(amount, l.Amount.Currency)
		res.Lines = append(res.Lines, LineTax{Key: l.Key, Title: rate.Name, RateBPS: rate.RateBps, Tax: tax})
		res.Total.Amount += amount
	}
	if r.Shipping != nil {
		if rate := find(string(product.TaxClassSTANDARD)); rate != nil && rate.ShippingTaxable {
			res.Inclusive = rate.Inclusive
			res.ShippingTax.Amount = portion(r.Shipping.Amount, rate.RateBps, rate.Inclusive)
			res.ShippingTitle, res.ShippingRateBPS = rate.Name, rate.RateBps
			res.Total.Amount += res.ShippingTax.Amount
		}
	}
	return res
}

// portion is the tax in amount at bps basis points, rounded half away from zero: the part of amount
// that is tax when inclusive, the tax to add otherwise.
func portion(amount int64, bps int, inclusive bool) int64 {
	den := int64(10000)
	if inclusive {
		den += int64(bps)
	}
	return money.MulDiv(amount, int64(bps), den) // in 128 bits: amount × bps can pass int64
}
