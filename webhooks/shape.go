package webhooks

import (
	"bytes"
	"slices"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/validation"
)

// What a subscription receives of an event. Deliveries call these three and nothing else, so that the
// subscription's own choices (its filter, its field selection, its API version) live here.

// wants reports whether sub takes e at all: its filter, if any, matches e's payload. An event a
// subscription does not want gets no delivery.
func (s *Service) wants(sub *ent.WebhookSubscription, e *ent.Event) (bool, error) {
	if sub.Filter == "" {
		return true, nil
	}
	c := s.compiled(sub)
	if c.filter == nil {
		// Saved filters were checked; one refused now (a grammar change) must not lose events.
		return true, nil
	}
	// An event is offered to each subscription of its topic in turn: decode it once for all of them.
	if d := s.decoded.Load(); d != nil && d.eventID == e.ID && e.ID != 0 {
		return c.filter.eval(d.payload), nil
	}
	v, err := decodePayload(e.Payload)
	if err != nil {
		return false, err
	}
	s.decoded.Store(&decodedEvent{eventID: e.ID, payload: v})
	return c.filter.eval(v), nil
}

// decodedEvent is the last event payload decoded for filters; events never change once recorded.
type decodedEvent struct {
	eventID int
	payload any
}

// body is what sub receives of e: e's payload, cut to sub's field selection if it has one.
func (s *Service) body(sub *ent.WebhookSubscription, e *ent.Event) ([]byte, error) {
	if sub.FieldSelection == "" && len(sub.IncludeFields) == 0 {
		return []byte(e.Payload), nil
	}
	c := s.compiled(sub)
	if c.selection == nil {
		return []byte(e.Payload), nil
	}
	var buf bytes.Buffer
	buf.Grow(len(e.Payload))
	if err := c.selection.cut(&buf, e.Payload); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// version is the API version of the payloads sub receives, sent as X-Emporium-Api-Version.
func version(sub *ent.WebhookSubscription) string { return Version(sub) }

// Version is the API version of the payloads sub receives.
func Version(sub *ent.WebhookSubscription) string {
	if sub.APIVersion == "" {
		return APIVersion
	}
	return sub.APIVersion
}

// APIVersions are the payload versions a subscription may ask for, the newest (APIVersion) first.
var APIVersions = []string{APIVersion}

// options are a subscription's selection and filter, parsed. They are kept per subscription, with the
// text they were parsed from, since body runs for every delivery: a subscription's changed text is
// parsed again on its next delivery.
type options struct {
	topic, fieldSelection, filterText string
	includeFields                     []string

	selection selection
	filter    *filter
}

func (o *options) of(sub *ent.WebhookSubscription) bool {
	return o.topic == sub.Topic && o.fieldSelection == sub.FieldSelection && o.filterText == sub.Filter &&
		slices.Equal(o.includeFields, sub.IncludeFields)
}

// compiled returns sub's parsed options from the cache, parsing them on a miss. Text refused now
// (saved subscriptions were checked) is logged and ignored: the whole payload, every event.
func (s *Service) compiled(sub *ent.WebhookSubscription) *options {
	if v, ok := s.options.Load(sub.ID); ok && v.(*options).of(sub) {
		return v.(*options)
	}
	o, errs := parseOptions(sub.Topic, sub.FieldSelection, sub.IncludeFields, sub.Filter)
	if errs.Any() {
		s.opts.Log.Warn("webhook subscription options refused at delivery; ignored", "subscription", sub.ID, "errors", errs)
	}
	s.options.Store(sub.ID, o)
	return o
}

// parseOptions parses and checks a subscription's field selection (or includeFields) and filter
// against topic's payload; errs name the input fields at fault.
func parseOptions(topic, fieldSelection string, includeFields []string, filterText string) (*options, validation.Errors) {
	o := &options{topic: topic, fieldSelection: fieldSelection, filterText: filterText, includeFields: slices.Clone(includeFields)}
	var errs validation.Errors
	sh := shapes[topic]
	if fieldSelection != "" && len(includeFields) > 0 {
		errs.Add("webhookSubscription.includeFields", validation.Invalid, "Give either a field selection or includeFields, not both")
		return o, errs
	}
	if fieldSelection != "" {
		sel, err := parseSelection(fieldSelection, sh)
		if err != nil {
			errs.Add("webhookSubscription.fieldSelection", validation.Invalid, "Field selection "+err.Error())
		}
		o.selection = sel
	}
	if len(includeFields) > 0 {
		sel, err := includeSelection(includeFields, sh)
		if err != nil {
			errs.Add("webhookSubscription.includeFields", validation.Invalid, "includeFields "+err.Error())
		}
		o.selection = sel
	}
	if filterText != "" {
		f, err := parseFilter(filterText, sh)
		if err != nil {
			errs.Add("webhookSubscription.filter", validation.Invalid, "Filter "+err.Error())
		}
		o.filter = f
	}
	return o, errs
}
