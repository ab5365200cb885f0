package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/netguard"
	"github.com/emporium/emporium/validation"
)

// createChunk bounds the rows of one bulk insert, well under the databases' limits on parameters.
const createChunk = 400

// Consume makes e's deliveries (see ConsumeBatch).
func (s *Service) Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error {
	return s.ConsumeBatch(ctx, tx, []*ent.Event{e})
}

// ConsumeBatch makes one delivery for each event of es and each active subscription of its topic that
// wants it, due at once, in tx: the relay's transaction that marks the events processed, so that they
// exist iff the events are marked. One query for the subscriptions and one insert per createChunk
// deliveries, however many events: this runs in a write transaction, which on SQLite holds the only
// writer. The pump is woken when tx commits.
func (s *Service) ConsumeBatch(ctx context.Context, tx *ent.Tx, es []*ent.Event) error {
	topics := map[string]bool{}
	for _, e := range es {
		topics[e.Topic] = true
	}
	names := make([]string, 0, len(topics))
	for t := range topics {
		names = append(names, t)
	}
	subs, err := tx.WebhookSubscription.Query().
		Where(webhooksubscription.TopicIn(names...), webhooksubscription.StatusEQ(webhooksubscription.StatusActive)).
		Order(ent.Asc(webhooksubscription.FieldID)).All(ctx)
	if err != nil || len(subs) == 0 {
		return err
	}
	byTopic := map[string][]*ent.WebhookSubscription{}
	for _, sub := range subs {
		byTopic[sub.Topic] = append(byTopic[sub.Topic], sub)
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var creates []*ent.WebhookDeliveryCreate
	for _, e := range es {
		for _, sub := range byTopic[e.Topic] {
			ok, err := s.wants(sub, e)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			id, err := webhookID()
			if err != nil {
				return err
			}
			creates = append(creates, tx.WebhookDelivery.Create().SetSubscriptionID(sub.ID).SetEventID(e.ID).SetTopic(e.Topic).
				SetResourceID(e.ResourceID).SetCallbackURL(sub.CallbackURL).SetWebhookID(id).SetNextAttemptAt(now))
		}
	}
	for len(creates) > 0 {
		n := min(len(creates), createChunk)
		if err := tx.WebhookDelivery.CreateBulk(creates[:n]...).Exec(ctx); err != nil {
			return fmt.Errorf("webhooks: delivery: %w", err)
		}
		creates = creates[n:]
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				s.pump.wakeUp()
			}
			return err
		})
	})
	return nil
}

func webhookID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// Sign is the X-Emporium-Hmac-Sha256 of body: base64 of its HMAC-SHA256 with secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// backoff is the delay after the attempt-th failed attempt: RetryBase doubled each time up to
// RetryMax, ±25% jitter so that a receiver back up is not met by every retry at once.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.opts.RetryBase
	for i := 1; i < attempt && d < s.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.opts.RetryMax)
	return time.Duration(float64(d) * (0.75 + mrand.Float64()/2))
}

// post makes one attempt: the event's payload, signed; success is a 2xx answer within the timeout.
// ctx is not the pump's: an attempt under way finishes (within the timeout) when the process stops.
func (s *Service) post(ctx context.Context, sub *ent.WebhookSubscription, d *ent.WebhookDelivery, e *ent.Event) (int, time.Duration, error) {
	body, err := s.body(sub, e)
	if err != nil {
		return 0, 0, fmt.Errorf("payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "Emporium webhooks")
	h.Set("X-Emporium-Topic", d.Topic)
	h.Set("X-Emporium-Hmac-Sha256", Sign(sub.Secret, body))
	h.Set("X-Emporium-Webhook-Id", d.WebhookID)
	h.Set("X-Emporium-Event-Id", strconv.Itoa(e.ID))
	h.Set("X-Emporium-Triggered-At", e.CreatedAt.UTC().Format(time.RFC3339Nano))
	h.Set("X-Emporium-Api-Version", version(sub))
	start := time.Now()
	resp, err := s.http.Do(req)
	if err != nil {
		latency := time.Since(start)
		switch {
		case errors.Is(err, netguard.ErrRefused):
			return 0, latency, fmt.Errorf("refused: the callback's address is not public")
		case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
			return 0, latency, fmt.Errorf("timeout: no answer within %s", s.opts.Timeout)
		}
		return 0, latency, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	latency := time.Since(start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, latency, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return resp.StatusCode, latency, nil
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Retry sends a delivery again now, whatever its status: a new attempt of the same delivery (same
// X-Emporium-Webhook-Id), kept in order behind the resource's earlier undelivered deliveries. A
// delivery whose event the cleanup deleted cannot be sent again: errs says so.
func (s *Service) Retry(ctx context.Context, v auth.Viewer, id int) (*ent.WebhookDelivery, validation.Errors, error) {
	notFound := validation.Errors{{Field: []string{"id"}, Message: "No webhook delivery has this ID", Code: validation.NotFound}}
	d, err := s.client.WebhookDelivery.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, notFound, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: retry: %w", err)
	}
	ok, err := s.client.WebhookSubscription.Query().Where(webhooksubscription.ID(d.SubscriptionID)).Where(owned(v)...).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: retry: %w", err)
	}
	if !ok {
		return nil, notFound, nil
	}
	kept, err := s.client.Event.Query().Where(event.ID(d.EventID)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: retry: %w", err)
	}
	if !kept {
		return nil, validation.Errors{{Field: []string{"id"}, Code: validation.Invalid,
			Message: "This delivery's event is older than the events retention and is no longer kept; it cannot be sent again"}}, nil
	}
	// One statement: the delivery is due now, and a lease of a pump still sending it stays.
	d, err = s.client.WebhookDelivery.UpdateOneID(id).SetStatus(webhookdelivery.StatusPending).
		SetNextAttemptAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("webhooks: retry: %w", err)
	}
	s.pump.wakeUp()
	return d, nil, nil
}
