package tax

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/taxrate"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

// Classes are the tax classes a product can have. The list is fixed: each class is a column of the
// rate table, and the rules give each a meaning (ZERO never falls back to STANDARD).
var Classes = []string{Standard, "REDUCED", "ZERO"}

// Admin changes the shop's tax rates and settings, for the Admin API and the seed loader alike.
type Admin struct{ client *ent.Client }

// NewAdmin returns the tax administration over client.
func NewAdmin(client *ent.Client) *Admin { return &Admin{client: client} }

// RateInput creates or changes a rate; nil fields keep their value on update.
type RateInput struct {
	CountryCode, ProvinceCode, ZipPrefix, TaxClass, Name *string
	// Rate is a percentage as an exact decimal string with up to four decimals ("19", "8.875").
	Rate                               *string
	Inclusive, ShippingTaxable, Exempt *bool
}

var (
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
	zipRe     = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// ParseRate turns a percentage ("8.875") into millionths (88 750), exactly; false when it is not a
// percentage from 0 to 100 with at most four decimals.
func ParseRate(s string) (int, bool) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok || r.Sign() < 0 || r.Cmp(big.NewRat(100, 1)) > 0 {
		return 0, false
	}
	ppm := new(big.Rat).Mul(r, big.NewRat(10000, 1))
	if !ppm.IsInt() {
		return 0, false
	}
	return int(ppm.Num().Int64()), true
}

// SaveRate creates (id 0) or updates a rate in tx. Invalid input is answered with errors and nothing
// written.
func SaveRate(ctx context.Context, tx *ent.Tx, id int, in RateInput) (*ent.TaxRate, validation.Errors, error) {
	var errs validation.Errors
	cur := &ent.TaxRate{TaxClass: taxrate.TaxClassSTANDARD}
	if id != 0 {
		var err error
		if cur, err = tx.TaxRate.Get(ctx, id); ent.IsNotFound(err) {
			errs.Add("id", validation.NotFound, "Tax rate does not exist")
			return nil, errs, nil
		} else if err != nil {
			return nil, nil, fmt.Errorf("tax: rate: %w", err)
		}
	}
	pick := func(p *string, v string) string {
		if p != nil {
			return strings.TrimSpace(*p)
		}
		return v
	}
	country := strings.ToUpper(pick(in.CountryCode, cur.CountryCode))
	province := strings.ToUpper(pick(in.ProvinceCode, cur.ProvinceCode))
	zip := pick(in.ZipPrefix, cur.ZipPrefix)
	class := strings.ToUpper(pick(in.TaxClass, string(cur.TaxClass)))
	name := pick(in.Name, cur.Name)
	if !countryRe.MatchString(country) {
		errs.Add("input.countryCode", validation.Invalid, "Country code must be two letters (ISO 3166)")
	}
	if len(province) > 3 {
		errs.Add("input.provinceCode", validation.Invalid, "Province code is at most three characters")
	}
	if zip != "" && (country != "US" || province == "" || !zipRe.MatchString(zip)) {
		errs.Add("input.zipPrefix", validation.Invalid, "A ZIP prefix is 1 to 5 digits, for a US state")
	}
	if !slices.Contains(Classes, class) {
		errs.Add("input.taxClass", validation.Invalid, "Tax class must be one of "+strings.Join(Classes, ", "))
	}
	if name == "" {
		errs.Add("input.name", validation.Blank, "Name can't be blank")
	} else if len(name) > 255 {
		errs.Add("input.name", validation.TooLong, "Name is at most 255 characters")
	}
	ppm := RatePPM(cur)
	if in.Rate != nil {
		var ok bool
		if ppm, ok = ParseRate(*in.Rate); !ok {
			errs.Add("input.rate", validation.Invalid, "Rate must be a percentage from 0 to 100 with at most four decimals")
		}
	} else if id == 0 {
		errs.Add("input.rate", validation.Blank, "Rate can't be blank")
	}
	if errs.Any() {
		return nil, errs, nil
	}
	taken, err := tx.TaxRate.Query().Where(taxrate.CountryCode(country), taxrate.ProvinceCode(province),
		taxrate.ZipPrefix(zip), taxrate.TaxClassEQ(taxrate.TaxClass(class)), taxrate.IDNEQ(id)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tax: rate: %w", err)
	}
	if taken {
		errs.Add("input", validation.Taken, "A rate of this class already exists for this place")
		return nil, errs, nil
	}
	bps := (ppm + 50) / 100 // the rounding shown where basis points are asked for
	var exact *int
	if ppm%100 != 0 {
		exact = &ppm
	}
	or := func(p *bool, v bool) bool {
		if p != nil {
			return *p
		}
		return v
	}
	inclusive, shipping, exempt := or(in.Inclusive, cur.Inclusive), or(in.ShippingTaxable, cur.ShippingTaxable), or(in.Exempt, cur.Exempt)
	if id == 0 {
		r, err := tx.TaxRate.Create().SetCountryCode(country).SetProvinceCode(province).SetZipPrefix(zip).
			SetTaxClass(taxrate.TaxClass(class)).SetName(name).SetRateBps(bps).SetNillableRatePpm(exact).
			SetInclusive(inclusive).SetShippingTaxable(shipping).SetExempt(exempt).Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("tax: create rate: %w", err)
		}
		return r, nil, nil
	}
	u := tx.TaxRate.UpdateOneID(id).SetCountryCode(country).SetProvinceCode(province).SetZipPrefix(zip).
		SetTaxClass(taxrate.TaxClass(class)).SetName(name).SetRateBps(bps).
		SetInclusive(inclusive).SetShippingTaxable(shipping).SetExempt(exempt)
	if exact != nil {
		u.SetRatePpm(*exact)
	} else {
		u.ClearRatePpm()
	}
	r, err := u.Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tax: update rate: %w", err)
	}
	return r, nil, nil
}

// SaveRate creates (id 0) or updates a rate, in one transaction.
func (a *Admin) SaveRate(ctx context.Context, id int, in RateInput) (*ent.TaxRate, validation.Errors, error) {
	var (
		rate *ent.TaxRate
		errs validation.Errors
	)
	err := database.WithTx(ctx, a.client, func(tx *ent.Tx) error {
		var err error
		rate, errs, err = SaveRate(ctx, tx, id, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if rate != nil {
		rate = rate.Unwrap()
	}
	return rate, errs, nil
}

// DeleteRate removes a rate.
func (a *Admin) DeleteRate(ctx context.Context, id int) (validation.Errors, error) {
	n, err := a.client.TaxRate.Delete().Where(taxrate.ID(id)).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("tax: delete rate: %w", err)
	}
	if n == 0 {
		var errs validation.Errors
		errs.Add("id", validation.NotFound, "Tax rate does not exist")
		return errs, nil
	}
	return nil, nil
}

// Rates pages through the rates, in the order they were created.
func (a *Admin) Rates(ctx context.Context, args pagination.Args) (keyset.Page[*ent.TaxRate], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.TaxRate]{}, err
	}
	o := keyset.Order{Key: "ID"}
	var applyErr error
	rows, err := a.client.TaxRate.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, taxrate.FieldID)
	}).All(ctx)
	if err = errors.Join(applyErr, err); err != nil {
		return keyset.Page[*ent.TaxRate]{}, fmt.Errorf("tax: rates: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(r *ent.TaxRate) int { return r.ID })
}

// UpdateSettings changes the shop's origin country and US nexus states; nil keeps a value.
func (a *Admin) UpdateSettings(ctx context.Context, origin *string, nexus []string) (Settings, validation.Errors, error) {
	var errs validation.Errors
	if origin != nil {
		o := strings.ToUpper(strings.TrimSpace(*origin))
		origin = &o
		if o != "" && !countryRe.MatchString(o) {
			errs.Add("input.originCountryCode", validation.Invalid, "Country code must be two letters (ISO 3166)")
		}
	}
	states := make([]string, 0, len(nexus))
	for _, s := range nexus {
		s = strings.ToUpper(strings.TrimSpace(s))
		if !countryRe.MatchString(s) {
			errs.Add("input.nexusStates", validation.Invalid, "State "+s+" is not a two-letter code")
		}
		if !slices.Contains(states, s) {
			states = append(states, s)
		}
	}
	if errs.Any() {
		return Settings{}, errs, nil
	}
	shop, err := a.client.Shop.Query().First(ctx)
	if err != nil {
		return Settings{}, nil, fmt.Errorf("tax: settings: %w", err)
	}
	u := shop.Update().SetNillableTaxOriginCountry(origin)
	if nexus != nil {
		slices.Sort(states)
		u.SetTaxNexus(states)
	}
	if err := u.Exec(ctx); err != nil {
		return Settings{}, nil, fmt.Errorf("tax: settings: %w", err)
	}
	s, err := LoadSettings(ctx, a.client)
	return s, nil, err
}

// SetCustomerExemption makes a customer tax-exempt (with the reason invoices print) or not.
func (a *Admin) SetCustomerExemption(ctx context.Context, id int, exempt bool, reason string) (*ent.Customer, validation.Errors, error) {
	var errs validation.Errors
	reason = strings.TrimSpace(reason)
	if exempt && reason == "" {
		errs.Add("reason", validation.Blank, "An exemption needs a reason (invoices print it)")
	}
	if len(reason) > 500 {
		errs.Add("reason", validation.TooLong, "Reason is at most 500 characters")
	}
	if errs.Any() {
		return nil, errs, nil
	}
	if !exempt {
		reason = ""
	}
	n, err := a.client.Customer.Update().Where(customer.ID(id)).SetTaxExempt(exempt).SetTaxExemptionReason(reason).Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("tax: customer exemption: %w", err)
	}
	if n == 0 {
		errs.Add("customerId", validation.NotFound, "Customer does not exist")
		return nil, errs, nil
	}
	c, err := a.client.Customer.Get(ctx, id)
	return c, nil, err
}

// zipColumns are the columns of the state/ZIP rate table (Avalara's free monthly tables publish them).
var zipColumns = []string{"State", "ZipCode", "TaxRegionName", "EstimatedCombinedRate", "StateRate",
	"EstimatedCountyRate", "EstimatedCityRate", "EstimatedSpecialRate", "RiskLevel"}

// ImportZipRates loads a state/ZIP rate table (CSV with zipColumns) in tx: each row becomes, or
// replaces, the STANDARD rate of its ZIP at the combined rate (a decimal fraction such as 0.075000),
// exclusive of the price, shipping not taxed. It answers errors, and writes nothing, when a row is
// invalid.
func ImportZipRates(ctx context.Context, tx *ent.Tx, r io.Reader) (int, validation.Errors, error) {
	var errs validation.Errors
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil || len(rows) == 0 || !slices.Equal(rows[0][:min(len(rows[0]), len(zipColumns))], zipColumns) {
		errs.Add("csv", validation.Invalid, "Expected a CSV with the columns "+strings.Join(zipColumns, ","))
		return 0, errs, nil
	}
	n := 0
	for i, row := range rows[1:] {
		line := fmt.Sprint("csv.", i+2)
		if len(row) < 4 {
			errs.Add(line, validation.Invalid, "Too few columns")
			break
		}
		frac, ok := new(big.Rat).SetString(strings.TrimSpace(row[3]))
		pct := ""
		if ok {
			pct = new(big.Rat).Mul(frac, big.NewRat(100, 1)).FloatString(4)
		}
		state, zip := strings.TrimSpace(row[0]), strings.TrimSpace(row[1])
		if !ok {
			errs.Add(line, validation.Invalid, "EstimatedCombinedRate is not a decimal")
			break
		}
		name := strings.TrimSpace(row[2])
		if name == "" {
			name = state + " sales tax"
		}
		if _, err := tx.TaxRate.Delete().Where(taxrate.CountryCode("US"), taxrate.ProvinceCode(state),
			taxrate.ZipPrefix(zip), taxrate.TaxClassEQ(taxrate.TaxClassSTANDARD)).Exec(ctx); err != nil {
			return 0, nil, fmt.Errorf("tax: import: %w", err)
		}
		country, class := "US", Standard
		_, rowErrs, err := SaveRate(ctx, tx, 0, RateInput{CountryCode: &country, ProvinceCode: &state, ZipPrefix: &zip,
			TaxClass: &class, Name: &name, Rate: &pct})
		if err != nil {
			return 0, nil, err
		}
		if rowErrs.Any() {
			errs.Add(line, validation.Invalid, rowErrs[0].Message)
			break
		}
		n++
	}
	if errs.Any() {
		return 0, errs, nil
	}
	return n, nil, nil
}

// ImportZipRates loads a state/ZIP rate table in one transaction (see the function of that name).
func (a *Admin) ImportZipRates(ctx context.Context, r io.Reader) (int, validation.Errors, error) {
	var (
		n    int
		errs validation.Errors
	)
	err := database.WithTx(ctx, a.client, func(tx *ent.Tx) error {
		var err error
		if n, errs, err = ImportZipRates(ctx, tx, r); err == nil && errs.Any() {
			return errRollback
		}
		return err
	})
	if err != nil && !errors.Is(err, errRollback) {
		return 0, nil, err
	}
	return n, errs, nil
}

var errRollback = errors.New("tax: invalid import")
