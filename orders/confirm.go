package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/completionattempt"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/payments"
)

// ErrUnknownPayment is a confirmation for a payment no pending order waits on.
var ErrUnknownPayment = errors.New("orders: no pending order has this payment")

// ConfirmPayment settles an order whose payment waited on the buyer's action (3-D Secure), once the
// payment provider reports back. The report only names the payment: its outcome is asked of the provider
// itself, so a forged report cannot mark an order paid. Captured, the order is paid and the buyer's
// attempt succeeds; refused, the order is undone as a declined card is.
func (s *Service) ConfirmPayment(ctx context.Context, provider, reference string) (payments.Status, error) {
	if provider != s.gateway.Name() || reference == "" {
		return "", ErrUnknownPayment
	}
	o, err := s.client.Order.Query().Where(entorder.PaymentReference(reference), entorder.PaymentProvider(provider),
		entorder.FinancialStatusEQ(entorder.FinancialStatusPENDING), entorder.CancelledAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return "", ErrUnknownPayment
	}
	if err != nil {
		return "", fmt.Errorf("orders: confirm: %w", err)
	}
	attempt, err := s.client.CompletionAttempt.Query().Where(completionattempt.OrderID(o.ID)).First(ctx)
	if err != nil {
		return "", fmt.Errorf("orders: confirm: attempt of order %d: %w", o.ID, err)
	}
	res, err := s.gateway.Confirm(ctx, reference)
	if err != nil {
		return "", fmt.Errorf("orders: confirm: %w", err)
	}
	// The order's version is claimed first: two reports of one payment settle it once.
	ctx = context.WithoutCancel(ctx)
	n, err := s.client.Order.Update().Where(entorder.ID(o.ID), entorder.Version(o.Version)).AddVersion(1).Save(ctx)
	if err != nil {
		return "", fmt.Errorf("orders: confirm: %w", err)
	}
	if n == 0 {
		return res.Status, nil
	}
	waiting := completionattempt.StatusACTION_REQUIRED
	switch res.Status {
	case payments.Authorized:
		if payments.CapturesOnFulfilment(s.gateway) {
			return payments.Authorized, settled(s.settle(ctx, attempt.ID, waiting, o, "AUTHORIZED", reference, EventAuthorized, ""))
		}
		captured, err := s.gateway.Capture(ctx, reference, moneyOf(o.Total, o.Currency))
		if err != nil || captured.Status != payments.Captured {
			return payments.Authorized, settled(s.settle(ctx, attempt.ID, waiting, o, "AUTHORIZED", reference, EventAuthorized, ""))
		}
		return payments.Captured, settled(s.settle(ctx, attempt.ID, waiting, o, "PAID", reference, EventPaid, ""))
	case payments.Captured:
		return payments.Captured, settled(s.settle(ctx, attempt.ID, waiting, o, "PAID", reference, EventPaid, ""))
	case payments.RequiresAction, payments.Pending:
		return res.Status, nil
	}
	_, err = s.refuse(ctx, attempt.ID, waiting, o, Problem{CodeCardDeclined, "The payment was not confirmed."})
	return res.Status, err
}

// settled is nil when the attempt was settled by another actor first: its outcome stands.
func settled(err error) error {
	if errors.Is(err, errLost) {
		return nil
	}
	return err
}
