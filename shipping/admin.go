package shipping

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/shippingrate"
	"github.com/emporium/emporium/ent/shippingzone"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/validation"
)

// RateInput is one way to ship within a zone, in one currency. Amounts are exact decimal strings.
type RateInput struct {
	Handle, Title, Kind, Currency, Amount string
	MinWeightGrams, MaxWeightGrams        *int64
	MinSubtotal, MaxSubtotal, FreeAbove   *string
}

// ZoneInput creates a zone or replaces one: its name, countries ("*" for the rest of the world) and
// rates.
type ZoneInput struct {
	Name      string
	Countries []string
	Rates     []RateInput
}

var countryRe = regexp.MustCompile(`^([A-Z]{2}|\*)$`)

// SaveZone creates (id 0) or replaces a zone with its rates in tx; invalid input is answered with
// errors and nothing written.
func SaveZone(ctx context.Context, tx *ent.Tx, id int, in ZoneInput) (*ent.ShippingZone, validation.Errors, error) {
	var errs validation.Errors
	name := strings.TrimSpace(in.Name)
	if name == "" {
		errs.Add("input.name", validation.Blank, "Name can't be blank")
	}
	if len(in.Countries) == 0 {
		errs.Add("input.countries", validation.Blank, "A zone needs countries")
	}
	countries := make([]string, len(in.Countries))
	for i, c := range in.Countries {
		countries[i] = strings.ToUpper(strings.TrimSpace(c))
		if !countryRe.MatchString(countries[i]) {
			errs.Add(fmt.Sprintf("input.countries.%d", i), validation.Invalid, "Country must be a two-letter code or *")
		}
	}
	type parsed struct {
		in                 RateInput
		amount             int64
		minS, maxS, freeAb *int64
	}
	var rates []parsed
	for i, r := range in.Rates {
		field := fmt.Sprintf("input.rates.%d", i)
		p := parsed{in: r}
		if strings.TrimSpace(r.Handle) == "" || strings.TrimSpace(r.Title) == "" {
			errs.Add(field, validation.Blank, "A rate needs a handle and a title")
		}
		if r.Kind == "" {
			p.in.Kind = string(shippingrate.KindFLAT)
		} else if shippingrate.KindValidator(shippingrate.Kind(r.Kind)) != nil {
			errs.Add(field+".kind", validation.Invalid, "Kind must be FLAT, WEIGHT or SUBTOTAL")
		}
		if !money.ValidCurrency(r.Currency) {
			errs.Add(field+".currencyCode", validation.Invalid, "Currency is invalid")
			rates = append(rates, p)
			continue
		}
		unit := func(f, s string) *int64 {
			m, err := money.Parse(s, r.Currency)
			if err == nil {
				err = money.CheckUnit(m)
			}
			if err != nil || m.Amount < 0 {
				errs.Add(field+"."+f, validation.Invalid, "Amount must be a non-negative amount of "+r.Currency)
				return nil
			}
			return &m.Amount
		}
		if a := unit("amount", r.Amount); a != nil {
			p.amount = *a
		}
		opt := func(f string, s *string) *int64 {
			if s == nil {
				return nil
			}
			return unit(f, *s)
		}
		p.minS, p.maxS, p.freeAb = opt("minSubtotal", r.MinSubtotal), opt("maxSubtotal", r.MaxSubtotal), opt("freeAbove", r.FreeAbove)
		for _, w := range []*int64{r.MinWeightGrams, r.MaxWeightGrams} {
			if w != nil && *w < 0 {
				errs.Add(field, validation.Invalid, "Weights are not negative")
			}
		}
		rates = append(rates, p)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	if id == 0 {
		z, err := tx.ShippingZone.Create().SetName(name).SetCountries(countries).Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("shipping: create zone: %w", err)
		}
		id = z.ID
	} else {
		n, err := tx.ShippingZone.Update().Where(shippingzone.ID(id)).SetName(name).SetCountries(countries).Save(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("shipping: update zone: %w", err)
		}
		if n == 0 {
			errs.Add("id", validation.NotFound, "Shipping zone does not exist")
			return nil, errs, nil
		}
		if _, err := tx.ShippingRate.Delete().Where(shippingrate.ZoneID(id)).Exec(ctx); err != nil {
			return nil, nil, fmt.Errorf("shipping: replace rates: %w", err)
		}
	}
	for _, p := range rates {
		err := tx.ShippingRate.Create().SetZoneID(id).SetHandle(strings.TrimSpace(p.in.Handle)).SetTitle(strings.TrimSpace(p.in.Title)).
			SetKind(shippingrate.Kind(p.in.Kind)).SetCurrency(p.in.Currency).SetAmount(p.amount).
			SetNillableMinWeightGrams(p.in.MinWeightGrams).SetNillableMaxWeightGrams(p.in.MaxWeightGrams).
			SetNillableMinSubtotal(p.minS).SetNillableMaxSubtotal(p.maxS).SetNillableFreeAbove(p.freeAb).Exec(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("shipping: create rate: %w", err)
		}
	}
	z, err := tx.ShippingZone.Query().Where(shippingzone.ID(id)).WithRates().Only(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("shipping: zone: %w", err)
	}
	return z, nil, nil
}

// Admin changes shipping zones for the Admin API.
type Admin struct{ client *ent.Client }

// NewAdmin returns the shipping administration over client.
func NewAdmin(client *ent.Client) *Admin { return &Admin{client: client} }

// SaveZone creates (id 0) or replaces a zone, in one transaction.
func (a *Admin) SaveZone(ctx context.Context, id int, in ZoneInput) (*ent.ShippingZone, validation.Errors, error) {
	var (
		z    *ent.ShippingZone
		errs validation.Errors
	)
	err := database.WithTx(ctx, a.client, func(tx *ent.Tx) error {
		var err error
		z, errs, err = SaveZone(ctx, tx, id, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if z != nil {
		z = z.Unwrap()
	}
	return z, errs, nil
}

// DeleteZone removes a zone and its rates.
func (a *Admin) DeleteZone(ctx context.Context, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, a.client, func(tx *ent.Tx) error {
		if _, err := tx.ShippingRate.Delete().Where(shippingrate.ZoneID(id)).Exec(ctx); err != nil {
			return err
		}
		n, err := tx.ShippingZone.Delete().Where(shippingzone.ID(id)).Exec(ctx)
		if n == 0 && err == nil {
			errs.Add("id", validation.NotFound, "Shipping zone does not exist")
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("shipping: delete zone: %w", err)
	}
	return errs, nil
}

// Zones lists the zones with their rates.
func (a *Admin) Zones(ctx context.Context) ([]*ent.ShippingZone, error) {
	return a.client.ShippingZone.Query().WithRates().Order(ent.Asc(shippingzone.FieldID)).All(ctx)
}
