package graph

import (
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/webhooks"
)

// webhookInput is the domain's input of a subscription's GraphQL input.
func webhookInput(in model.WebhookSubscriptionInput) webhooks.Input {
	return webhooks.Input{CallbackURL: in.CallbackURL, Format: in.Format}
}

// firstOf is the first n of list (n nil: all of it; negative: none).
func firstOf[T any](list []T, n *int) []T {
	if n != nil && *n < len(list) {
		return list[:max(*n, 0)]
	}
	return list
}
