package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
)

// FailingPayload is what webhook_subscriptions/failing carries: the subscription and the delivery
// given up, for the staff's email and the event log.
type FailingPayload struct {
	ID          string    `json:"id"`
	Topic       string    `json:"topic"`
	CallbackURL string    `json:"callbackUrl"`
	DeliveryID  string    `json:"deliveryId"`
	EventID     int       `json:"eventId"`
	Attempts    int       `json:"attempts"`
	Error       string    `json:"error"`
	FailingAt   time.Time `json:"failingAt"`
}

// markFailing marks sub failing once its delivery d has been given up after cause, and tells the staff.
// Only an active subscription is marked, so that the staff hear of it once per failure: the status and
// the webhook_subscriptions/failing event (whose consumer queues the staff's email) commit together.
func (s *Service) markFailing(ctx context.Context, sub *ent.WebhookSubscription, d *ent.WebhookDelivery, cause error) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	var marked bool
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.WebhookSubscription.Update().Where(webhooksubscription.ID(sub.ID),
			webhooksubscription.StatusEQ(webhooksubscription.StatusActive)).SetStatus(webhooksubscription.StatusFailing).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		marked = true
		return s.opts.Events.Record(ctx, tx, events.WebhookSubscriptionsFailing, "WebhookSubscription", sub.ID, FailingPayload{
			ID: gid.Encode("WebhookSubscription", sub.ID), Topic: sub.Topic, CallbackURL: sub.CallbackURL,
			DeliveryID: gid.Encode("WebhookDelivery", d.ID), EventID: d.EventID, Attempts: d.Attempts + 1,
			Error: truncate(cause.Error(), 1000), FailingAt: now,
		})
	})
	if err != nil {
		return fmt.Errorf("webhooks: mark subscription %d failing: %w", sub.ID, err)
	}
	if marked {
		s.opts.Log.WarnContext(ctx, "webhook subscription failing: a delivery was given up",
			"subscription", sub.ID, "topic", sub.Topic, "delivery", d.ID, "attempts", d.Attempts+1, "err", cause)
	}
	return nil
}
