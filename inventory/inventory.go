// Package inventory keeps stock levels per variant and location: staff set and adjust them with a
// reason, every change is recorded, and no change takes a level below zero.
package inventory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/inventoryadjustment"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/location"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

// maxChanges bounds one call.
const maxChanges = 250

// Service manages stock.
type Service struct{ client *ent.Client }

// New returns the inventory service.
func New(client *ent.Client) *Service { return &Service{client: client} }

// Change is a new quantity (Set) or a difference (Adjust) for a variant at a location.
type Change struct {
	VariantID, LocationID int
	Amount                int
}

// AddLocation creates a location.
func (s *Service) AddLocation(ctx context.Context, name, country, city string) (*ent.Location, validation.Errors, error) {
	var errs validation.Errors
	name = errs.Text("input.name", name, 255)
	if name == "" {
		errs.Add("input.name", validation.Blank, "Name can't be blank")
	}
	city = errs.Text("input.city", city, 255)
	if errs.Any() {
		return nil, errs, nil
	}
	l, err := s.client.Location.Create().SetName(name).SetCountry(country).SetCity(city).Save(ctx)
	if ent.IsConstraintError(err) {
		errs.Add("input.name", validation.Taken, "Name has already been taken")
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: add location: %w", err)
	}
	return l, nil, nil
}

var errNegative = errors.New("stock would go below zero")

// Set sets quantities; Adjust adds differences. Either applies every change or none, and records each.
func (s *Service) Set(ctx context.Context, reason, actor string, changes []Change) ([]*ent.InventoryAdjustment, validation.Errors, error) {
	return s.apply(ctx, reason, actor, changes, true)
}

// Adjust adds differences to quantities; a change that would take a level below zero fails the call.
func (s *Service) Adjust(ctx context.Context, reason, actor string, changes []Change) ([]*ent.InventoryAdjustment, validation.Errors, error) {
	return s.apply(ctx, reason, actor, changes, false)
}

func (s *Service) apply(ctx context.Context, reason, actor string, changes []Change, absolute bool) ([]*ent.InventoryAdjustment, validation.Errors, error) {
	var errs validation.Errors
	reason = errs.Text("input.reason", reason, 255)
	if reason == "" {
		errs.Add("input.reason", validation.Blank, "Give a reason for the change")
	}
	if len(changes) == 0 || len(changes) > maxChanges {
		errs.Add("input", validation.Invalid, fmt.Sprintf("Give 1 to %d changes", maxChanges))
	}
	if absolute {
		for i, c := range changes {
			if c.Amount < 0 {
				errs.Add(fmt.Sprintf("input.quantities.%d.quantity", i), validation.Invalid, "Quantity can't be negative")
			}
		}
	}
	if errs.Any() {
		return nil, errs, nil
	}
	var out []*ent.InventoryAdjustment
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		for i, c := range changes {
			field := fmt.Sprintf("input.changes.%d", i)
			okV, err := tx.ProductVariant.Query().Where(productvariant.ID(c.VariantID)).Exist(ctx)
			if err != nil {
				return err
			}
			okL, err := tx.Location.Query().Where(location.ID(c.LocationID)).Exist(ctx)
			if err != nil {
				return err
			}
			if !okV || !okL {
				errs.Add(field, validation.NotFound, "Variant or location does not exist")
				continue
			}
			after, delta, err := applyOne(ctx, tx, c, absolute)
			if errors.Is(err, errNegative) {
				errs.Add(field+".delta", validation.Invalid, "Stock would go below zero")
				continue
			}
			if err != nil {
				return err
			}
			adj, err := tx.InventoryAdjustment.Create().SetVariantID(c.VariantID).SetLocationID(c.LocationID).
				SetDelta(delta).SetQuantityAfter(after).SetReason(reason).SetActor(actor).Save(ctx)
			if err != nil {
				return err
			}
			out = append(out, adj)
		}
		if errs.Any() {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: %w", err)
	}
	return out, nil, nil
}

var errRollback = errors.New("rolled back for user errors")

// applyOne changes one level with a conditional update, so that concurrent changes never lose each
// other's effect nor go below zero.
func applyOne(ctx context.Context, tx *ent.Tx, c Change, absolute bool) (after, delta int, err error) {
	level, err := tx.InventoryLevel.Query().
		Where(inventorylevel.VariantID(c.VariantID), inventorylevel.LocationID(c.LocationID)).Only(ctx)
	if ent.IsNotFound(err) {
		amount := c.Amount
		if amount < 0 {
			return 0, 0, errNegative
		}
		err = tx.InventoryLevel.Create().SetVariantID(c.VariantID).SetLocationID(c.LocationID).SetAvailable(amount).Exec(ctx)
		return amount, amount, err
	}
	if err != nil {
		return 0, 0, err
	}
	if absolute {
		n, err := tx.InventoryLevel.Update().Where(inventorylevel.ID(level.ID)).SetAvailable(c.Amount).Save(ctx)
		if err != nil || n == 0 {
			return 0, 0, err
		}
		return c.Amount, c.Amount - level.Available, nil
	}
	n, err := tx.InventoryLevel.Update().
		Where(inventorylevel.ID(level.ID), func(s *sql.Selector) {
			s.Where(sql.P(func(b *sql.Builder) {
				b.WriteString(s.C(inventorylevel.FieldAvailable) + " + ").Arg(c.Amount).WriteString(" >= 0")
			}))
		}).
		AddAvailable(c.Amount).Save(ctx)
	if err != nil {
		return 0, 0, err
	}
	if n == 0 {
		return 0, 0, errNegative
	}
	l, err := tx.InventoryLevel.Get(ctx, level.ID)
	if err != nil {
		return 0, 0, err
	}
	return l.Available, c.Amount, nil
}

// History returns a variant's adjustments, newest first.
func (s *Service) History(ctx context.Context, variantID int, args pagination.Args) (keyset.Page[*ent.InventoryAdjustment], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.InventoryAdjustment]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := s.client.InventoryAdjustment.Query().Where(inventoryadjustment.VariantID(variantID)).Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, inventoryadjustment.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.InventoryAdjustment]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.InventoryAdjustment]{}, fmt.Errorf("inventory: history: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(a *ent.InventoryAdjustment) int { return a.ID })
}

// Locations returns a page of locations by ID.
func (s *Service) Locations(ctx context.Context, args pagination.Args) (keyset.Page[*ent.Location], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.Location]{}, err
	}
	o := keyset.Order{Key: "ID"}
	var applyErr error
	rows, err := s.client.Location.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, location.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.Location]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.Location]{}, fmt.Errorf("inventory: locations: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(l *ent.Location) int { return l.ID })
}

// CountryCode normalises a country code input.
func CountryCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
