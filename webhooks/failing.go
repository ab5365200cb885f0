package webhooks

import (
	"context"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/webhooksubscription"
)

// markFailing marks sub failing once its delivery d has been given up after cause, and tells the staff.
// Only an active subscription is marked, so that the staff hear of it once per failure.
func (s *Service) markFailing(ctx context.Context, sub *ent.WebhookSubscription, d *ent.WebhookDelivery, cause error) error {
	n, err := s.client.WebhookSubscription.Update().Where(webhooksubscription.ID(sub.ID),
		webhooksubscription.StatusEQ(webhooksubscription.StatusActive)).SetStatus(webhooksubscription.StatusFailing).Save(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		s.opts.Log.WarnContext(ctx, "webhook subscription failing: a delivery was given up",
			"subscription", sub.ID, "topic", sub.Topic, "delivery", d.ID, "attempts", d.Attempts+1, "err", cause)
	}
	return nil
}
