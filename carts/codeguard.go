package carts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/throttle"
	"github.com/emporium/emporium/validation"
)

// Discount codes can be guessed: a code that names no discount counts against the cart's budget and
// the client address's, kept in the database so that every replica sees the same counts. Once either
// budget is spent within the window, every new code is refused with CodeThrottled, known or not: letting
// known codes through would tell a guesser which codes exist. Codes already on the cart cost nothing,
// and known codes never cost anything. Mutations run one after another, so aliases of
// cartDiscountCodesUpdate in one request spend the same budget.
const (
	MaxUnknownCodesPerCart    = 10
	MaxUnknownCodesPerAddress = 100
	UnknownCodesWindow        = 10 * time.Minute

	CodeThrottled = "THROTTLED"
)

// guardCodes spends the budgets for the codes new to the cart (token "" for a cart being created) that
// name no discount, and refuses them all with CodeThrottled once a budget is spent. It runs before the
// cart's transaction: the counts must stay when the change is refused, and SQLite has one writer.
func (s *Service) guardCodes(ctx context.Context, token string, codes []string, field string) (validation.Errors, error) {
	var existing []string
	if token != "" {
		c, err := s.client.Cart.Query().Where(cart.ID(token), cart.CompletedAtIsNil()).
			Select(cart.FieldDiscountCodes, cart.FieldCustomerID).Only(ctx)
		if ent.IsNotFound(err) || err == nil && !allowed(ctx, c) {
			return nil, nil // the change answers that the cart does not exist
		}
		if err != nil {
			return nil, fmt.Errorf("carts: discount codes: %w", err)
		}
		for _, code := range c.DiscountCodes {
			existing = append(existing, strings.ToUpper(code))
		}
	}
	var fresh []string
	for _, code := range codes {
		code = strings.ToUpper(strings.TrimSpace(code))
		if code != "" && len(code) <= 255 && !slices.Contains(existing, code) && !slices.Contains(fresh, code) {
			fresh = append(fresh, code)
		}
	}
	if len(fresh) == 0 || len(fresh) > maxDiscountCodes { // too many: the change refuses them all
		return nil, nil
	}
	var keys []throttle.Key
	if token != "" {
		keys = append(keys, throttle.Key{Name: "discount-codes:cart:" + token, Limit: MaxUnknownCodesPerCart})
	}
	if addr := auth.ClientAddr(ctx); addr != "" {
		keys = append(keys, throttle.Key{Name: "discount-codes:addr:" + addr, Limit: MaxUnknownCodesPerAddress})
	}
	if len(keys) == 0 {
		return nil, nil
	}
	known, err := s.client.Discount.Query().Where(discount.CodeIn(fresh...)).Select(discount.FieldCode).Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("carts: discount codes: %w", err)
	}
	throttled := func() validation.Errors {
		var errs validation.Errors
		errs.Add(field, CodeThrottled, "Too many discount codes were tried. Try again later.")
		return errs
	}
	unknown := 0
	for _, code := range fresh {
		if slices.ContainsFunc(known, func(k string) bool { return strings.EqualFold(k, code) }) {
			continue
		}
		unknown++
		if ok, err := s.attempts.Attempt(ctx, keys...); err != nil {
			return nil, fmt.Errorf("carts: discount codes: %w", err)
		} else if !ok {
			return throttled(), nil
		}
	}
	if unknown == 0 {
		// Known codes cost nothing, but are refused too once a budget is spent: probe with an attempt
		// given straight back.
		ok, err := s.attempts.Attempt(ctx, keys...)
		if err != nil {
			return nil, fmt.Errorf("carts: discount codes: %w", err)
		}
		if !ok {
			return throttled(), nil
		}
		if err := s.attempts.Release(ctx, keys...); err != nil {
			return nil, fmt.Errorf("carts: discount codes: %w", err)
		}
	}
	return nil, nil
}
