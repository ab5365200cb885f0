package graph

import (
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/webhooks"
)

// webhookInput is the domain's input of a subscription's GraphQL input.
func webhookInput(in model.WebhookSubscriptionInput) webhooks.Input {
	out := webhooks.Input{CallbackURL: in.CallbackURL, Format: in.Format, FieldSelection: in.FieldSelection,
		Filter: in.Filter, APIVersion: in.APIVersion}
	if in.IncludeFields != nil {
		out.IncludeFields = &in.IncludeFields
	}
	return out
}

// firstOf is the first n of list (n nil: all of it; negative: none).
func firstOf[T any](list []T, n *int) []T {
	if n != nil && *n < len(list) {
		return list[:max(*n, 0)]
	}
	return list
}
