package orders

import (
	"context"
	"fmt"
	"strings"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/validation"
)

// OutcomeRefundRecorded is RecordProviderRefund's answer when it recorded a refund.
const OutcomeRefundRecorded = "refund_recorded"

// RecordProviderRefund applies a provider's report that a payment has been refunded so much in all
// (Stripe's charge.refunded). Whatever it refunded beyond what the order's refunds account for was
// refunded outside Emporium, by staff in the provider's own dashboard: it is recorded as a refund of
// that amount without units, booked, announced (refunds/create), put on the timeline and credited, as
// a refund made here is. The comparison runs inside the order's change, so the provider's echo of a
// refund made through Emporium (Stripe reports those too) waits for that refund's commit and finds it
// counted. It answers OutcomeRefundRecorded, "" when there was nothing new, or ErrUnknownPayment.
func (s *Service) RecordProviderRefund(ctx context.Context, provider string, r payments.ProviderRefund) (string, error) {
	o, err := s.paidBy(ctx, provider, r.Reference, r.Refunded.Currency)
	if err != nil || o == nil {
		return "", err
	}
	if r.Refunded.Amount <= o.TotalRefunded {
		return "", nil // an echo of refunds already recorded: most reports end here
	}
	outcome := ""
	_, errs, err := s.change(ctx, o.ID, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		outcome = ""
		amount := min(r.Refunded.Amount, o.TotalPaid) - o.TotalRefunded
		if amount <= 0 {
			return nil, nil
		}
		note := "Refunded at " + provider
		if _, err := s.refund(ctx, tx, o, nil, nil, amount, 0, note, "", o.PaymentReference); err != nil {
			return nil, err
		}
		outcome = OutcomeRefundRecorded
		return nil, nil
	})
	if err != nil {
		return "", fmt.Errorf("orders: provider refund of %s: %w", r.Reference, err)
	}
	if errs.Any() {
		return "", fmt.Errorf("orders: provider refund of %s: %v", r.Reference, errs)
	}
	return outcome, nil
}

// paidBy is the order that provider's payment reference paid, for a report of the provider's about that
// payment in currency: ErrUnknownPayment when no order has it, nil (logged) when the report is in
// another currency than the order, so not about the payment as Emporium took it.
func (s *Service) paidBy(ctx context.Context, provider, reference, currency string) (*ent.Order, error) {
	if provider != s.gateway.Name() || reference == "" {
		return nil, ErrUnknownPayment
	}
	o, err := s.client.Order.Query().Where(entorder.PaymentReference(reference), entorder.PaymentProvider(provider)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrUnknownPayment
	}
	if err != nil {
		return nil, fmt.Errorf("orders: payment %s: %w", reference, err)
	}
	if !strings.EqualFold(currency, o.Currency) {
		s.log.WarnContext(ctx, "provider report in another currency than its order", "payment", reference, "currency", currency, "order", o.ID)
		return nil, nil
	}
	return o, nil
}
