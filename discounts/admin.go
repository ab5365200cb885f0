package discounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

// DiscountInput creates or changes a discount; nil fields stay as they are. Amounts are decimal strings in
// Currency.
type DiscountInput struct {
	Title, Code, Kind, Target              *string
	Percentage, Amount, Currency           *string
	MinimumSubtotal                        *string
	MinimumQuantity, BuyQuantity, GetQuant *int
	ProductIDs, CollectionIDs              []int
	SetProducts, SetCollections            bool
	UsageLimit                             *int
	OncePerCustomer                        *bool
	StartsAt, EndsAt                       *time.Time
	CombinesWithProduct, CombinesWithOrder *bool
	Active                                 *bool
}

var errTaken = errors.New("code taken")

// Service manages discounts.
type Service struct {
	client *ent.Client
	// events records discounts/create, update and delete in the transaction of the change.
	events *events.Recorder
}

// NewService returns the discount service, recording its events with rec.
func NewService(client *ent.Client, rec *events.Recorder) *Service {
	return &Service{client: client, events: rec}
}

// Save creates (id 0) or changes a discount after checking the whole of it.
func (s *Service) Save(ctx context.Context, id int, in DiscountInput) (*ent.Discount, validation.Errors, error) {
	var errs validation.Errors
	var saved int
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		d := &ent.Discount{Target: discount.TargetORDER, StartsAt: time.Now(), Active: true}
		if id != 0 {
			var err error
			if d, err = tx.Discount.Get(ctx, id); ent.IsNotFound(err) {
				errs.Add("id", validation.NotFound, "Discount does not exist")
				return nil
			} else if err != nil {
				return err
			}
		}
		if err := checkBounds(in, d.Currency); err != nil {
			return err
		}
		m := s.merge(ctx, tx, d, in, id == 0, &errs)
		if errs.Any() {
			return nil
		}
		if id == 0 {
			b := tx.Discount.Create()
			m(b.Mutation())
			created, err := b.Save(ctx)
			if ent.IsConstraintError(err) {
				// PostgreSQL has aborted the transaction: roll it back and answer a userError.
				errs.Add("input.code", validation.Taken, "Code has already been taken")
				return errTaken
			}
			if err != nil {
				return err
			}
			saved = created.ID
			return s.record(ctx, tx, events.DiscountsCreate, saved)
		}
		u := tx.Discount.UpdateOneID(id)
		m(u.Mutation())
		err := u.Exec(ctx)
		if ent.IsConstraintError(err) {
			errs.Add("input.code", validation.Taken, "Code has already been taken")
			return errTaken
		}
		if err != nil {
			return err
		}
		saved = id
		return s.record(ctx, tx, events.DiscountsUpdate, id)
	})
	if errors.Is(err, money.ErrOutOfRange) {
		return nil, nil, err // the caller's input: BAD_USER_INPUT
	}
	if err != nil && !errors.Is(err, errTaken) {
		return nil, nil, fmt.Errorf("discounts: save: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	d, err := s.client.Discount.Get(ctx, saved)
	return d, nil, err
}

// checkBounds refuses a fixed amount or minimum subtotal beyond money.MaxUnitAmount with
// money.ErrOutOfRange, before anything is written: a larger one would overflow the totals it is
// compared with and taken from. currency is the discount's currency before the change.
func checkBounds(in DiscountInput, currency string) error {
	if in.Currency != nil {
		currency = *in.Currency
	}
	if !money.ValidCurrency(currency) {
		return nil // merge answers the userError
	}
	for _, v := range []struct {
		field  string
		amount *string
	}{{"input.amount", in.Amount}, {"input.minimumSubtotal", in.MinimumSubtotal}} {
		if v.amount == nil {
			continue
		}
		m, err := money.Parse(*v.amount, currency)
		if err == nil {
			err = money.CheckUnit(m)
		}
		if errors.Is(err, money.ErrOutOfRange) {
			return fmt.Errorf("%s: %w", v.field, err)
		}
	}
	return nil
}

// merge validates in against the discount it changes (d) and returns how to write it.
func (s *Service) merge(ctx context.Context, tx *ent.Tx, d *ent.Discount, in DiscountInput, creating bool, errs *validation.Errors) func(*ent.DiscountMutation) {
	var sets []func(*ent.DiscountMutation)
	set := func(f func(*ent.DiscountMutation)) { sets = append(sets, f) }
	if in.Title != nil {
		t := errs.Text("input.title", *in.Title, 255)
		if t == "" {
			errs.Add("input.title", validation.Blank, "Title can't be blank")
		}
		d.Title = t
		set(func(m *ent.DiscountMutation) { m.SetTitle(t) })
	} else if creating {
		errs.Add("input.title", validation.Blank, "Title can't be blank")
	}
	if in.Code != nil {
		c := strings.ToUpper(strings.TrimSpace(*in.Code))
		if c == "" || len(c) > 255 || strings.ContainsAny(c, " <>") {
			errs.Add("input.code", validation.Invalid, "Codes have 1 to 255 characters and no spaces")
		}
		d.Code, d.Automatic = &c, false
		set(func(m *ent.DiscountMutation) { m.SetCode(c); m.SetAutomatic(false) })
	} else if creating {
		d.Automatic = true
		set(func(m *ent.DiscountMutation) { m.SetAutomatic(true) })
	}
	if in.Kind != nil {
		if discount.KindValidator(discount.Kind(*in.Kind)) != nil {
			errs.Add("input.kind", validation.Invalid, "Kind is invalid")
		}
		d.Kind = discount.Kind(*in.Kind)
		set(func(m *ent.DiscountMutation) { m.SetKind(discount.Kind(*in.Kind)) })
	} else if creating {
		errs.Add("input.kind", validation.Blank, "Kind can't be blank")
	}
	if in.Target != nil {
		d.Target = discount.Target(*in.Target)
		set(func(m *ent.DiscountMutation) { m.SetTarget(discount.Target(*in.Target)) })
	}
	if in.Currency != nil {
		if !money.ValidCurrency(*in.Currency) {
			errs.Add("input.currencyCode", validation.Invalid, "Currency is invalid")
		}
		d.Currency = *in.Currency
		set(func(m *ent.DiscountMutation) { m.SetCurrency(*in.Currency) })
	}
	if in.Percentage != nil {
		p, err := money.Parse(*in.Percentage, "USD") // two decimals of a percent are basis points
		if err != nil || p.Amount <= 0 || p.Amount > 10000 {
			errs.Add("input.percentage", validation.Invalid, "Percentage must be above 0 and at most 100, with two decimals at most")
		}
		d.PercentageBps = int(p.Amount)
		set(func(m *ent.DiscountMutation) { m.SetPercentageBps(int(p.Amount)) })
	}
	amount := func(field string, v *string, apply func(int64)) {
		if v == nil {
			return
		}
		a, err := money.Parse(*v, d.Currency)
		if d.Currency == "" || err != nil || a.Amount < 0 {
			errs.Add(field, validation.Invalid, "Give a non-negative amount and its currencyCode")
			return
		}
		apply(a.Amount)
	}
	amount("input.amount", in.Amount, func(a int64) { d.Amount = a; set(func(m *ent.DiscountMutation) { m.SetAmount(a) }) })
	amount("input.minimumSubtotal", in.MinimumSubtotal, func(a int64) {
		d.MinSubtotal = a
		set(func(m *ent.DiscountMutation) { m.SetMinSubtotal(a) })
	})
	for _, q := range []struct {
		field string
		v     *int
		apply func(int)
	}{
		{"input.minimumQuantity", in.MinimumQuantity, func(n int) { d.MinQuantity = n; set(func(m *ent.DiscountMutation) { m.SetMinQuantity(n) }) }},
		{"input.buyQuantity", in.BuyQuantity, func(n int) { d.BuyQuantity = n; set(func(m *ent.DiscountMutation) { m.SetBuyQuantity(n) }) }},
		{"input.getQuantity", in.GetQuant, func(n int) { d.GetQuantity = n; set(func(m *ent.DiscountMutation) { m.SetGetQuantity(n) }) }},
	} {
		if q.v == nil {
			continue
		}
		if *q.v < 0 || *q.v > 1000 {
			errs.Add(q.field, validation.Invalid, "Quantities are 0 to 1000")
			continue
		}
		q.apply(*q.v)
	}
	if in.SetProducts {
		n, err := tx.Product.Query().Where(product.IDIn(in.ProductIDs...)).Count(ctx)
		if err != nil || n != len(in.ProductIDs) {
			errs.Add("input.productIds", validation.NotFound, "A product does not exist")
		}
		d.ProductIds = in.ProductIDs
		set(func(m *ent.DiscountMutation) { m.SetProductIds(in.ProductIDs) })
	}
	if in.SetCollections {
		n, err := tx.Collection.Query().Where(collection.IDIn(in.CollectionIDs...)).Count(ctx)
		if err != nil || n != len(in.CollectionIDs) {
			errs.Add("input.collectionIds", validation.NotFound, "A collection does not exist")
		}
		d.CollectionIds = in.CollectionIDs
		set(func(m *ent.DiscountMutation) { m.SetCollectionIds(in.CollectionIDs) })
	}
	if in.UsageLimit != nil {
		if *in.UsageLimit <= 0 {
			errs.Add("input.usageLimit", validation.Invalid, "Usage limit must be positive")
		}
		set(func(m *ent.DiscountMutation) { m.SetUsageLimit(*in.UsageLimit) })
	}
	if in.StartsAt != nil {
		d.StartsAt = *in.StartsAt
		set(func(m *ent.DiscountMutation) { m.SetStartsAt(*in.StartsAt) })
	}
	if in.EndsAt != nil {
		d.EndsAt = in.EndsAt
		set(func(m *ent.DiscountMutation) { m.SetEndsAt(*in.EndsAt) })
	}
	for _, b := range []struct {
		v     *bool
		apply func(*ent.DiscountMutation, bool)
	}{
		{in.OncePerCustomer, (*ent.DiscountMutation).SetOncePerCustomer},
		{in.CombinesWithProduct, (*ent.DiscountMutation).SetCombinesWithProduct},
		{in.CombinesWithOrder, (*ent.DiscountMutation).SetCombinesWithOrder},
		{in.Active, (*ent.DiscountMutation).SetActive},
	} {
		if b.v != nil {
			v, apply := *b.v, b.apply
			set(func(m *ent.DiscountMutation) { apply(m, v) })
		}
	}
	// The whole discount must make sense, not only the fields changed.
	switch d.Kind {
	case discount.KindPERCENTAGE:
		if d.PercentageBps <= 0 {
			errs.Add("input.percentage", validation.Blank, "A percentage discount needs its percentage")
		}
	case discount.KindFIXED_AMOUNT:
		if d.Amount <= 0 || d.Currency == "" {
			errs.Add("input.amount", validation.Blank, "A fixed discount needs a positive amount and its currency")
		}
	case discount.KindBUY_X_GET_Y:
		if d.BuyQuantity <= 0 || d.GetQuantity <= 0 || d.PercentageBps <= 0 || d.Target == discount.TargetORDER {
			errs.Add("input", validation.Invalid, "Buy X get Y needs buy and get quantities, a percentage, and products or collections")
		}
	}
	if d.Target == discount.TargetPRODUCTS && len(d.ProductIds) == 0 || d.Target == discount.TargetCOLLECTIONS && len(d.CollectionIds) == 0 {
		errs.Add("input.target", validation.Invalid, "Name the products or collections the discount targets")
	}
	if d.EndsAt != nil && !d.EndsAt.After(d.StartsAt) {
		errs.Add("input.endsAt", validation.Invalid, "A discount ends after it starts")
	}
	return func(m *ent.DiscountMutation) {
		for _, f := range sets {
			f(m)
		}
	}
}

// Delete removes a discount.
func (s *Service) Delete(ctx context.Context, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.Discount.Delete().Where(discount.ID(id)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			errs.Add("id", validation.NotFound, "Discount does not exist")
			return nil
		}
		return s.events.Record(ctx, tx, events.DiscountsDelete, "Discount", id, DeletedPayload{ID: gid.Encode("Discount", id)})
	})
	if err != nil {
		return nil, fmt.Errorf("discounts: delete: %w", err)
	}
	return errs, nil
}

// Get returns the discount id, or nil when there is none.
func (s *Service) Get(ctx context.Context, id int) (*ent.Discount, error) {
	d, err := s.client.Discount.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("discounts: get %d: %w", id, err)
	}
	return d, nil
}

// List returns a page of discounts, newest first.
func (s *Service) List(ctx context.Context, args pagination.Args) (keyset.Page[*ent.Discount], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.Discount]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := s.client.Discount.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, discount.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.Discount]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.Discount]{}, fmt.Errorf("discounts: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(d *ent.Discount) int { return d.ID })
}
