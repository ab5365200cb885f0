// Package tax computes sales tax and VAT. The built-in Table provider reads rates by country, region
// (province or state), US ZIP prefix and tax class, and applies the shop's rules (see rules.go); a
// Provider interface lets an external tax service replace it.
//
// Rates: a rate is exact, in millionths (ppm: 1900 bps is 190 000 ppm, Ohio-Columbus 7.5% is 75 000 ppm,
// New York City 8.875% is 88 750 ppm); rate_bps alone serves rates that are whole basis points.
//
// Rounding: tax is computed per line and per shipping line, each rounded to the currency's minor unit
// (half away from zero), and the lines' taxes are summed. Prices are tax-inclusive where the matched rate
// says so (EU, UK, AU style: the tax is the part of the price that is tax, price × r / (1 + r)) and
// tax-exclusive otherwise (US style: price × r is added). A US line is taxed once at the combined rate of
// its ZIP (state + county + city + special), not per component, so the parts never round apart.
//
// Which rate: the most specific rate of the line's class wins (ZIP prefix, longest first, then province,
// then country). A class with no rate of its own there falls back to the jurisdiction's STANDARD rate,
// unless staff marked the class exempt there (a rate with exempt set). ZERO is zero-rated by its name and
// never falls back.
package tax

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
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
	CountryCode, ProvinceCode, Zip string
	Lines                          []Line
	Shipping                       *money.Money
	// VATNumber is the business buyer's VAT number given at checkout (cart attribute vat_number).
	VATNumber string
	// CustomerID is the buyer's account, if any: staff may have made the customer tax-exempt.
	CustomerID *int

	// Filled by the Table from the shop's settings and the customer before Compute.
	Settings     Settings
	Exempt       bool
	ExemptReason string
}

// LineTax is the tax of one line.
type LineTax struct {
	Key     string
	Title   string
	RateBPS int // basis points: 1900 is 19% (rounded when the rate is finer, see RatePPM)
	RatePPM int // the exact rate in millionths
	// Jurisdiction is where the tax is owed: a country (FR) or a US state (US-OH).
	Jurisdiction string
	Tax          money.Money
	// Base is the net amount taxed: the line's amount without its tax.
	Base money.Money
}

// Result is the tax of a request.
type Result struct {
	Lines       []LineTax
	ShippingTax money.Money
	// ShippingTitle and ShippingRateBPS name the rate of ShippingTax.
	ShippingTitle   string
	ShippingRateBPS int
	ShippingRatePPM int
	// ShippingBase is the net shipping amount taxed.
	ShippingBase money.Money
	// Jurisdiction is where the tax is owed: a country (FR) or a US state (US-OH).
	Jurisdiction string
	Total        money.Money
	// Treatment is STANDARD, REVERSE_CHARGE or EXEMPT; Note is the legal note invoices print for it.
	Treatment, Note string
	// Origin is the shop's origin country the rules were applied with (empty: EU rules off), which
	// orders keep, so that a report later tells OSS sales by the origin they were made from.
	Origin string
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

// Calculate implements Provider: it reads the rates that can apply to the destination, the shop's tax
// settings and the customer's exemption, and computes.
func (t *Table) Calculate(ctx context.Context, r Request) (Result, error) {
	settings, err := LoadSettings(ctx, t.client)
	if err != nil {
		return Result{}, err
	}
	r.Settings = settings
	if r.CustomerID != nil {
		c, err := t.client.Customer.Query().Where(customer.ID(*r.CustomerID)).
			Select(customer.FieldTaxExempt, customer.FieldTaxExemptionReason).Only(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return Result{}, fmt.Errorf("tax: customer: %w", err)
		}
		if c != nil && c.TaxExempt {
			r.Exempt, r.ExemptReason = true, c.TaxExemptionReason
		}
	}
	// Only the ZIP rows that can match: a national table has tens of thousands.
	zips := []string{""}
	for i := 1; i <= len(r.Zip); i++ {
		zips = append(zips, r.Zip[:i])
	}
	rates, err := t.client.TaxRate.Query().
		Where(taxrate.CountryCode(r.CountryCode), taxrate.ZipPrefixIn(zips...)).All(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("tax: rates: %w", err)
	}
	return Compute(rates, r), nil
}

// Compute applies rates (of the request's country) to r under the shop's rules: a rate of the ZIP
// prefix wins over the province's, which wins over the country's.
func Compute(rates []*ent.TaxRate, r Request) Result {
	currency := ""
	for _, l := range r.Lines {
		currency = l.Amount.Currency
	}
	if r.Shipping != nil {
		currency = r.Shipping.Currency
	}
	res := Result{Total: money.New(0, currency), ShippingTax: money.New(0, currency), Treatment: Standard,
		Origin: r.Settings.OriginCountry}
	if treatment, note, untaxed := decide(r); untaxed {
		res.Treatment, res.Note = treatment, note
		return res
	}
	jurisdiction := r.CountryCode
	if r.CountryCode == "US" && r.ProvinceCode != "" {
		jurisdiction = "US-" + r.ProvinceCode
	}
	res.Jurisdiction = jurisdiction
	base := func(amount, tax int64, inclusive bool) int64 {
		if inclusive {
			return amount - tax
		}
		return amount
	}
	for _, l := range r.Lines {
		rate := find(rates, r, l.Class)
		if rate == nil || !l.Taxable {
			continue
		}
		ppm := RatePPM(rate)
		res.Inclusive = rate.Inclusive
		amount := portion(l.Amount.Amount, ppm, rate.Inclusive)
		tax := money.New(amount, l.Amount.Currency)
		res.Lines = append(res.Lines, LineTax{Key: l.Key, Title: rate.Name, RateBPS: rate.RateBps, RatePPM: ppm,
			Jurisdiction: jurisdiction, Tax: tax, Base: money.New(base(l.Amount.Amount, amount, rate.Inclusive), l.Amount.Currency)})
		res.Total.Amount += amount
	}
	if r.Shipping != nil {
		if rate := find(rates, r, Standard); rate != nil && rate.ShippingTaxable {
			ppm := RatePPM(rate)
			res.Inclusive = rate.Inclusive
			res.ShippingTax.Amount = portion(r.Shipping.Amount, ppm, rate.Inclusive)
			res.ShippingTitle, res.ShippingRateBPS, res.ShippingRatePPM = rate.Name, rate.RateBps, ppm
			res.ShippingBase = money.New(base(r.Shipping.Amount, res.ShippingTax.Amount, rate.Inclusive), currency)
			res.Total.Amount += res.ShippingTax.Amount
		}
	}
	return res
}

// RatePPM is a rate's exact value in millionths.
func RatePPM(rate *ent.TaxRate) int {
	if rate.RatePpm != nil {
		return *rate.RatePpm
	}
	return rate.RateBps * 100
}

// find is the rate that taxes class at r's destination, or nil: the most specific rate of the class,
// else (for any class but ZERO) the most specific STANDARD rate; an exempt rate means no tax.
func find(rates []*ent.TaxRate, r Request, class string) *ent.TaxRate {
	rate := mostSpecific(rates, r, class)
	if rate == nil && class != Standard && class != string(taxrate.TaxClassZERO) {
		rate = mostSpecific(rates, r, Standard)
	}
	if rate == nil || rate.Exempt {
		return nil
	}
	return rate
}

func mostSpecific(rates []*ent.TaxRate, r Request, class string) *ent.TaxRate {
	var best *ent.TaxRate
	score := func(rate *ent.TaxRate) int {
		switch {
		case rate.ZipPrefix != "":
			return 2 + len(rate.ZipPrefix)
		case rate.ProvinceCode != "":
			return 1
		}
		return 0
	}
	for _, rate := range rates {
		if string(rate.TaxClass) != class || rate.CountryCode != r.CountryCode {
			continue
		}
		if rate.ProvinceCode != "" && rate.ProvinceCode != r.ProvinceCode {
			continue
		}
		if rate.ZipPrefix != "" && (len(r.Zip) < len(rate.ZipPrefix) || r.Zip[:len(rate.ZipPrefix)] != rate.ZipPrefix) {
			continue
		}
		if best == nil || score(rate) > score(best) {
			best = rate
		}
	}
	return best
}

// portion is the tax in amount at ppm millionths, rounded half away from zero: the part of amount
// that is tax when inclusive, the tax to add otherwise.
func portion(amount int64, ppm int, inclusive bool) int64 {
	den := int64(1_000_000)
	if inclusive {
		den += int64(ppm)
	}
	return money.MulDiv(amount, int64(ppm), den) // in 128 bits: amount × ppm can pass int64
}
