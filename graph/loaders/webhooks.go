package loaders

import (
	"context"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/webhookdeliveryattempt"
)

// newWebhookAttempts loads the attempts of a page of deliveries in one query, newest first.
func newWebhookAttempts(client *ent.Client) *Batch[[]*ent.WebhookDeliveryAttempt] {
	return newLoader(func(ctx context.Context, ids []int) (map[int][]*ent.WebhookDeliveryAttempt, error) {
		rows, err := client.WebhookDeliveryAttempt.Query().Where(webhookdeliveryattempt.DeliveryIDIn(ids...)).
			Order(ent.Desc(webhookdeliveryattempt.FieldAttemptedAt), ent.Desc(webhookdeliveryattempt.FieldID)).All(ctx)
		return group(rows, err, "webhook delivery attempts", func(a *ent.WebhookDeliveryAttempt) int { return a.DeliveryID })
	})
}
