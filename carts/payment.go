package carts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/validation"
)

// Codes of payment userErrors.
const (
	CodeInvalidPayment   = "INVALID_PAYMENT"
	CodeEmptyCartPayment = "INVALID_PAYMENT_EMPTY_CART"
)

// PaymentInput is how the buyer means to pay. Amount must equal the cart's total as the server
// computes it: a client never sets a price.
type PaymentInput struct {
	Amount, Currency string
	// SessionID is a direct payment method's gateway session (the card); empty for a free order.
	SessionID      string
	Free           bool
	BillingAddress map[string]string
}

// SetPayment records the payment after checking it against total, the cart's current total.
func (s *Service) SetPayment(ctx context.Context, token string, in PaymentInput, total money.Money) (*ent.Cart, validation.Errors, error) {
	// An amount beyond any total is bad input (BAD_USER_INPUT), refused before the cart is read.
	if m, err := money.Parse(in.Amount, in.Currency); errors.Is(err, money.ErrOutOfRange) {
		return nil, nil, fmt.Errorf("payment.amount: %w", err)
	} else if err == nil {
		if err := money.CheckTotal(m); err != nil {
			return nil, nil, fmt.Errorf("payment.amount: %w", err)
		}
	}
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		var errs validation.Errors
		lines, err := tx.Cart.QueryLines(c).Count(ctx)
		if err != nil {
			errs.Add("payment", CodeInvalidPayment, "The cart could not be read")
			return errs
		}
		if lines == 0 {
			errs.Add("payment", CodeEmptyCartPayment, "The cart is empty")
			return errs
		}
		amount, err := money.Parse(in.Amount, in.Currency)
		switch {
		case err != nil:
			errs.Add("payment.amount", CodeInvalidPayment, "The amount is not a valid amount of its currency")
		case amount != total:
			errs.Add("payment.amount", CodeInvalidPayment, fmt.Sprintf("The amount must equal the cart's total, %s", total))
		case in.Free && total.Amount != 0:
			errs.Add("payment.freePaymentMethod", CodeInvalidPayment, "Only a cart that costs nothing is paid with the free method")
		case !in.Free && strings.TrimSpace(in.SessionID) == "":
			errs.Add("payment.directPaymentMethod.sessionId", CodeInvalidPayment, "Give the payment session")
		}
		checkBillingAddress(&errs, "payment.billingAddress", CodeInvalidPayment, in.BillingAddress)
		if errs.Any() {
			return errs
		}
		method := cart.PaymentMethodDIRECT
		if in.Free {
			method = cart.PaymentMethodFREE
		}
		err = tx.Cart.UpdateOneID(token).SetPaymentAmount(amount.Amount).SetPaymentMethod(method).
			SetPaymentSession(in.SessionID).SetBillingAddress(in.BillingAddress).Exec(ctx)
		if err != nil {
			errs.Add("payment", CodeInvalidPayment, "The payment could not be saved")
		}
		return errs
	})
}

// checkBillingAddress refuses fields that are too long or hold markup.
func checkBillingAddress(errs *validation.Errors, field, code string, a map[string]string) {
	for k, v := range a {
		if len(v) > 255 || strings.ContainsAny(v, "<>") {
			errs.Add(field+"."+k, code, "The billing address field is invalid")
		}
	}
}

// UpdateBillingAddress replaces the billing address the order will keep; nil clears it.
func (s *Service) UpdateBillingAddress(ctx context.Context, token string, a map[string]string) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		var errs validation.Errors
		checkBillingAddress(&errs, "billingAddress", CodeInvalid, a)
		if errs.Any() {
			return errs
		}
		u := tx.Cart.UpdateOneID(token)
		if len(a) == 0 {
			u.ClearBillingAddress()
		} else {
			u.SetBillingAddress(a)
		}
		if err := u.Exec(ctx); err != nil {
			errs.Add("billingAddress", CodeInvalid, "The billing address could not be saved")
		}
		return errs
	})
}
