// Package webhooks sends the shop's events to partners: a subscription names a topic and a callback
// URL; the events relay hands each batch of events to ConsumeBatch, which makes one delivery per event
// and active subscription of its topic in the transaction that marks the events processed; the pump
// (Pump) claims due deliveries in batches under a lease, POSTs them, signed with the subscription's
// secret, and writes their attempts, retrying with backoff for a day.
//
// Callback URLs are chosen by callers, so they are held to public addresses (package netguard) both when
// a subscription is saved and at each connection, whatever a name resolves to by then.
package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/netguard"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

// APIVersion is the version of the payloads' shape, sent as X-Emporium-Api-Version.
const APIVersion = "2025-01"

// SecretPrefix starts every subscription secret, so that a leaked one is recognisable.
const SecretPrefix = "whsec_"

// Defaults of Options.
const (
	DefaultTimeout     = 5 * time.Second
	DefaultRetryBase   = 10 * time.Second
	DefaultRetryMax    = time.Hour
	DefaultGiveUpAfter = 24 * time.Hour
)

// Options configure the service.
type Options struct {
	// Allow lists non-public prefixes callbacks may reach (EMPORIUM_WEBHOOK_ALLOW): tests, a shop's own
	// private network.
	Allow []netip.Prefix
	// Production refuses plain-http callbacks.
	Production bool
	// Timeout bounds each attempt (DefaultTimeout).
	Timeout time.Duration
	// RetryBase is the first retry's delay, doubled on each further failure up to RetryMax, with
	// jitter; a delivery is given up once GiveUpAfter has passed since it was made.
	RetryBase, RetryMax, GiveUpAfter time.Duration
	// Concurrency is how many attempts one process makes at once (DefaultConcurrency).
	Concurrency int
	Log         *slog.Logger
	// Events records webhook_subscriptions/failing when a subscription is marked failing.
	Events *events.Recorder
}

// Service manages subscriptions and makes deliveries.
type Service struct {
	client *ent.Client
	queue  *jobs.Queue
	opts   Options
	http   *http.Client
	// lookup resolves callback hosts when a subscription is saved.
	lookup func(ctx context.Context, host string) ([]netip.Addr, error)
	// options caches each subscription's parsed selection and filter (*options by subscription ID).
	options sync.Map
	// decoded is the last event decoded for filters (wants).
	decoded atomic.Pointer[decodedEvent]
	// pump is the delivery pump's state (pump.go).
	pump *pump
}

// New returns the webhooks service, queueing its deliveries on queue.
func New(client *ent.Client, queue *jobs.Queue, opts Options) *Service {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	if opts.GiveUpAfter <= 0 {
		opts.GiveUpAfter = DefaultGiveUpAfter
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	dialer := netguard.Dialer(opts.Allow, opts.Timeout)
	return &Service{
		client: client, queue: queue, opts: opts, pump: newPump(),
		http: &http.Client{
			Timeout: opts.Timeout,
			Transport: &http.Transport{
				// No proxy from the environment: it would connect on our behalf, past the guard.
				Proxy:                  nil,
				DialContext:            dialer.DialContext,
				TLSHandshakeTimeout:    opts.Timeout,
				MaxResponseHeaderBytes: 64 << 10,
				// Deliveries to one receiver come in bursts: keep connections for them.
				MaxIdleConnsPerHost: opts.Concurrency,
				IdleConnTimeout:     90 * time.Second,
			},
			// A redirect is not followed: the receiver answered, and not with success.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		lookup: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
	}
}

// TopicEnum is topic as the GraphQL enum names it: orders/create is ORDERS_CREATE.
func TopicEnum(topic string) string { return strings.ToUpper(strings.ReplaceAll(topic, "/", "_")) }

// TopicOf is the topic of a GraphQL enum value, or "" if none.
func TopicOf(enum string) string {
	for _, t := range events.Topics {
		if TopicEnum(t) == enum {
			return t
		}
	}
	return ""
}

// Input is a subscription's settable fields; nil leaves a field as it is. FieldSelection and
// IncludeFields exclude each other: setting one non-empty clears the other; empty clears either.
type Input struct {
	CallbackURL    *string
	Format         *string
	FieldSelection *string
	IncludeFields  *[]string
	Filter         *string
	APIVersion     *string
}

// checkOptions checks in's selection, filter and API version against topic, in view of what sub (nil
// on creation) has now, and returns what the subscription will have.
func checkOptions(errs *validation.Errors, topic string, sub *ent.WebhookSubscription, in Input) (fieldSelection string, includeFields []string, filterText, apiVersion string) {
	apiVersion = APIVersion
	if sub != nil {
		fieldSelection, includeFields, filterText, apiVersion = sub.FieldSelection, sub.IncludeFields, sub.Filter, sub.APIVersion
	}
	if in.FieldSelection != nil {
		if fieldSelection = strings.TrimSpace(*in.FieldSelection); fieldSelection != "" && in.IncludeFields == nil {
			includeFields = nil
		}
	}
	if in.IncludeFields != nil {
		includeFields = nil
		for _, f := range *in.IncludeFields {
			if f = strings.TrimSpace(f); f != "" {
				includeFields = append(includeFields, f)
			}
		}
		if len(includeFields) > 0 && in.FieldSelection == nil {
			fieldSelection = ""
		}
	}
	if in.Filter != nil {
		filterText = strings.TrimSpace(*in.Filter)
	}
	if in.APIVersion != nil {
		apiVersion = *in.APIVersion
		if !slices.Contains(APIVersions, apiVersion) {
			errs.Add("webhookSubscription.apiVersion", validation.Invalid,
				fmt.Sprintf("Unknown API version %q; supported: %s", apiVersion, strings.Join(APIVersions, ", ")))
		}
	}
	if _, e := parseOptions(topic, fieldSelection, includeFields, filterText); e.Any() {
		*errs = append(*errs, e...)
	}
	return fieldSelection, includeFields, filterText, apiVersion
}

// owned limits queries to what v manages: everything for staff, its own subscriptions for an API key.
func owned(v auth.Viewer) []predicate.WebhookSubscription {
	if v.Kind == auth.APIKey {
		return []predicate.WebhookSubscription{webhooksubscription.APIKeyID(v.ID)}
	}
	return nil
}

var notFound = validation.Errors{{Field: []string{"id"}, Message: "No webhook subscription has this ID", Code: validation.NotFound}}

// Create makes a subscription to topic and returns it with its secret, shown this once.
func (s *Service) Create(ctx context.Context, v auth.Viewer, topic string, in Input) (*ent.WebhookSubscription, string, validation.Errors, error) {
	var errs validation.Errors
	if !slices.Contains(events.Topics, topic) {
		errs.Add("topic", validation.Invalid, "Unknown topic")
	}
	if in.CallbackURL == nil {
		errs.Add("webhookSubscription.callbackUrl", validation.Blank, "Callback URL can't be blank")
	} else {
		s.checkCallback(ctx, &errs, *in.CallbackURL)
	}
	fieldSelection, includeFields, filterText, apiVersion := checkOptions(&errs, topic, nil, in)
	if errs.Any() {
		return nil, "", errs, nil
	}
	secret, err := auth.NewSecret(SecretPrefix)
	if err != nil {
		return nil, "", nil, err
	}
	create := s.client.WebhookSubscription.Create().SetTopic(topic).SetCallbackURL(*in.CallbackURL).SetSecret(secret).
		SetFieldSelection(fieldSelection).SetIncludeFields(includeFields).SetFilter(filterText).SetAPIVersion(apiVersion)
	if v.Kind == auth.APIKey {
		create.SetAPIKeyID(v.ID)
	}
	sub, err := create.Save(ctx)
	if err != nil {
		return nil, "", nil, fmt.Errorf("webhooks: create: %w", err)
	}
	return sub, secret, nil, nil
}

// Update changes a subscription's callback URL, format, field selection, filter or API version; a
// failing subscription becomes active again. Invalid input changes nothing.
func (s *Service) Update(ctx context.Context, v auth.Viewer, id int, in Input) (*ent.WebhookSubscription, validation.Errors, error) {
	var errs validation.Errors
	old, err := s.client.WebhookSubscription.Query().Where(webhooksubscription.ID(id)).Where(owned(v)...).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: update: %w", err)
	}
	if in.CallbackURL != nil {
		s.checkCallback(ctx, &errs, *in.CallbackURL)
	}
	fieldSelection, includeFields, filterText, apiVersion := checkOptions(&errs, old.Topic, old, in)
	if errs.Any() {
		return nil, errs, nil
	}
	n, err := s.client.WebhookSubscription.Update().Where(webhooksubscription.ID(id)).Where(owned(v)...).
		SetNillableCallbackURL(in.CallbackURL).SetFieldSelection(fieldSelection).SetIncludeFields(includeFields).
		SetFilter(filterText).SetAPIVersion(apiVersion).SetStatus(webhooksubscription.StatusActive).Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: update: %w", err)
	}
	if n == 0 {
		return nil, notFound, nil
	}
	sub, err := s.client.WebhookSubscription.Get(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: update: %w", err)
	}
	return sub, nil, nil
}

// Delete removes a subscription and its deliveries; deliveries not yet made are dropped.
func (s *Service) Delete(ctx context.Context, v auth.Viewer, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.WebhookSubscription.Delete().Where(webhooksubscription.ID(id)).Where(owned(v)...).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			errs = notFound
			return nil
		}
		_, err = tx.WebhookDelivery.Delete().Where(webhookdelivery.SubscriptionID(id)).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("webhooks: delete: %w", err)
	}
	s.options.Delete(id)
	return errs, nil
}

// List returns a page of the subscriptions v manages, newest first, of the given topics (all if none).
func (s *Service) List(ctx context.Context, v auth.Viewer, args pagination.Args, topics []string) (keyset.Page[*ent.WebhookSubscription], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.WebhookSubscription]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	q := s.client.WebhookSubscription.Query().Where(owned(v)...)
	if len(topics) > 0 {
		q.Where(webhooksubscription.TopicIn(topics...))
	}
	var applyErr error
	rows, err := q.Modify(func(sel *sql.Selector) { applyErr = o.Apply(sel, w, args.Reverse, webhooksubscription.FieldID) }).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.WebhookSubscription]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.WebhookSubscription]{}, fmt.Errorf("webhooks: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(t *ent.WebhookSubscription) int { return t.ID })
}

// Deliveries returns a page of a subscription's deliveries, newest first; errs when v does not manage it.
func (s *Service) Deliveries(ctx context.Context, v auth.Viewer, subscriptionID int, args pagination.Args) (keyset.Page[*ent.WebhookDelivery], validation.Errors, error) {
	var page keyset.Page[*ent.WebhookDelivery]
	ok, err := s.client.WebhookSubscription.Query().Where(webhooksubscription.ID(subscriptionID)).Where(owned(v)...).Exist(ctx)
	if err != nil {
		return page, nil, fmt.Errorf("webhooks: deliveries: %w", err)
	}
	if !ok {
		return page, validation.Errors{{Field: []string{"subscriptionId"}, Message: "No webhook subscription has this ID", Code: validation.NotFound}}, nil
	}
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return page, nil, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := s.client.WebhookDelivery.Query().Where(webhookdelivery.SubscriptionID(subscriptionID)).
		Modify(func(sel *sql.Selector) { applyErr = o.Apply(sel, w, args.Reverse, webhookdelivery.FieldID) }).All(ctx)
	if applyErr != nil {
		return page, nil, applyErr
	}
	if err != nil {
		return page, nil, fmt.Errorf("webhooks: deliveries: %w", err)
	}
	page, err = keyset.NewPage(w, o, rows, func(d *ent.WebhookDelivery) int { return d.ID })
	return page, nil, err
}

// checkCallback adds an error to errs unless raw is an http(s) URL (https in production) whose host is
// public or allowed, by address or by every address its name resolves to now. The name may later
// resolve elsewhere: the dialer checks again at each delivery.
func (s *Service) checkCallback(ctx context.Context, errs *validation.Errors, raw string) {
	const field = "webhookSubscription.callbackUrl"
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || len(raw) > 2048 {
		errs.Add(field, validation.Invalid, "Callback URL must be an absolute http(s) URL without credentials")
		return
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && !s.opts.Production:
	default:
		errs.Add(field, validation.Invalid, "Callback URL must use https")
		return
	}
	host := u.Hostname()
	addrs := []netip.Addr{}
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = append(addrs, a)
	} else {
		lctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		if addrs, err = s.lookup(lctx, host); err != nil || len(addrs) == 0 {
			errs.Add(field, validation.Invalid, "Callback URL's host could not be resolved")
			return
		}
	}
	for _, a := range addrs {
		if !netguard.Allowed(a, s.opts.Allow) {
			errs.Add(field, validation.Invalid, "Callback URL must point to a public address")
			return
		}
	}
}
