package carts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/validation"
)

// linesOnly reports whether in is a storefront's commonest first call, a new cart with lines and
// nothing else, which createWithLines writes in one statement.
func (s *Service) linesOnly(ctx context.Context, in Input) bool {
	if !s.postgres || len(in.Lines) == 0 || in.Buyer != nil || in.Note != nil || in.Attributes != nil ||
		in.DiscountCodes != nil || len(in.Addresses) > 0 {
		return false
	}
	// Staff and API keys write through ent, whose hooks audit their writes.
	k := auth.ViewerFrom(ctx).Kind
	return k == auth.Anonymous || k == auth.Customer
}

// errEventWanted is createWithLines declining: a webhook subscription wants carts/create, which its one
// statement would not record.
var errEventWanted = errors.New("carts: carts/create is subscribed")

// createWithLines creates a cart with lines on PostgreSQL as one INSERT of the cart and its lines (a
// data-modifying WITH), atomic as any statement, where a transaction took four round trips: BEGIN, two
// INSERTs, COMMIT. The checks are Create's, on the catalog's memos.
func (s *Service) createWithLines(ctx context.Context, token string, in []LineInput) (*ent.Cart, validation.Errors, error) {
	shop, err := s.catalog.Shop(ctx, s.client)
	if err != nil {
		return nil, nil, fmt.Errorf("carts: %w", err)
	}
	const field = "input.lines"
	fields, sales, errs := s.checkLineInputs(ctx, s.client, in, shop.DefaultCurrency, field)
	if errs.Any() {
		return nil, errs, nil
	}
	// As addLines does: a variant given twice with the same attributes makes one line.
	var lines []*ent.CartLine
	for _, l := range in {
		i := sameLine(lines, l)
		if i < 0 {
			lines = append(lines, &ent.CartLine{CartID: token, VariantID: l.VariantID, Quantity: l.Quantity, Attributes: l.Attributes})
			continue
		}
		if lines[i].Quantity += l.Quantity; lines[i].Quantity > maxQuantity {
			errs.Add(fields[l.VariantID], CodeMaximumExceeded, fmt.Sprintf("Quantity must be at most %d", maxQuantity))
			return nil, errs, nil
		}
	}
	if len(lines) > maxLines {
		errs.Add(field, CodeCartTooLarge, fmt.Sprintf("A cart holds at most %d lines", maxLines))
		return nil, errs, nil
	}
	if errs = s.checkStock(ctx, s.client, lines, fields, field, sales); errs.Any() {
		return nil, errs, nil
	}

	// PostgreSQL keeps microseconds: the cart answered is the cart stored.
	now := time.Now().UTC().Truncate(time.Microsecond)
	variants := make([]int64, len(lines))
	quantities := make([]int64, len(lines))
	attributes := make([]string, len(lines))
	for i, l := range lines {
		variants[i], quantities[i] = int64(l.VariantID), int64(l.Quantity)
		a, err := json.Marshal(l.Attributes) // "null" for none, as ent writes it
		if err != nil {
			return nil, nil, fmt.Errorf("carts: attributes: %w", err)
		}
		attributes[i] = string(a)
		l.CreatedAt, l.UpdatedAt = now, now
	}
	// The statement inserts nothing while an active webhook subscription wants carts/create: the cart is
	// then created through ent, whose hooks record the event in its transaction (events.Announcer).
	rows, err := s.client.QueryContext(ctx, `WITH cart AS (
		INSERT INTO carts (id, currency, created_at, updated_at) SELECT $1, $2, $3, $3
		WHERE NOT EXISTS (SELECT 1 FROM webhook_subscriptions WHERE topic = $7 AND status = 'active') RETURNING id)
		INSERT INTO cart_lines (cart_id, variant_id, quantity, attributes, created_at, updated_at)
		SELECT cart.id, l.variant_id, l.quantity, l.attributes::jsonb, $3, $3
		FROM cart, unnest($4::bigint[], $5::bigint[], $6::text[]) WITH ORDINALITY AS l(variant_id, quantity, attributes, n)
		ORDER BY l.n
		RETURNING id, variant_id`,
		token, shop.DefaultCurrency, now, pq.Array(variants), pq.Array(quantities), pq.Array(attributes), events.CartsCreate)
	if err != nil {
		return nil, nil, fmt.Errorf("carts: create: %w", err)
	}
	defer rows.Close()
	type inserted struct{ id, variant int }
	var got []inserted
	for rows.Next() {
		var r inserted
		if err := rows.Scan(&r.id, &r.variant); err != nil {
			return nil, nil, fmt.Errorf("carts: create: %w", err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("carts: create: %w", err)
	}
	// Rows are inserted in the order selected, so their IDs ascend with it; checked, not assumed.
	slices.SortFunc(got, func(a, b inserted) int { return a.id - b.id })
	if len(got) == 0 {
		return nil, nil, errEventWanted
	}
	if len(got) != len(lines) {
		return nil, nil, fmt.Errorf("carts: create: %d lines written, %d given", len(got), len(lines))
	}
	c := &ent.Cart{ID: token, Currency: shop.DefaultCurrency, CreatedAt: now, UpdatedAt: now}
	for i, l := range lines {
		if got[i].variant != l.VariantID {
			return nil, nil, fmt.Errorf("carts: create: line %d holds variant %d, want %d", got[i].id, got[i].variant, l.VariantID)
		}
		l.ID = got[i].id
		l.Edges.Cart = c
	}
	c.Edges.Lines = lines
	return c, nil, nil
}
