package emails

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
)

// StaffWebhookFailing tells staff that a webhook subscription was marked failing: one of its
// deliveries was given up after retrying for a day, and no more are made until it is updated.
const StaffWebhookFailing Kind = "staff_webhook_failing"

// WebhookFailingData is what the webhook failing template sees: the webhook_subscriptions/failing
// event's payload.
type WebhookFailingData struct {
	SubscriptionID string    `json:"id"`
	Topic          string    `json:"topic"`
	CallbackURL    string    `json:"callbackUrl"`
	DeliveryID     string    `json:"deliveryId"`
	Attempts       int       `json:"attempts"`
	Error          string    `json:"error"`
	FailingAt      time.Time `json:"failingAt"`
}

// webhookFailing reads the data of the email from its event: the subscription may have been fixed or
// deleted since, and the staff should still hear what failed.
func webhookFailing(e *ent.Event) (*WebhookFailingData, error) {
	var d WebhookFailingData
	if err := json.Unmarshal(e.Payload, &d); err != nil {
		return nil, fmt.Errorf("emails: event %d: %w", e.ID, err)
	}
	return &d, nil
}
