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

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/netguard"
)

// DeliverArgs are the arguments of one delivery's job.
type DeliverArgs struct {
	DeliveryID int `json:"delivery_id"`
}

// Kind names the delivery worker.
func (DeliverArgs) Kind() string { return "webhook_delivery" }

// deliverOpts put deliveries on their own queue. Retries are the worker's own snoozes (see Work), which
// River does not count as attempts; its attempts only cover unexpected failures (the database down).
var deliverOpts = &jobs.InsertOpts{Queue: jobs.QueueDeliver, MaxAttempts: 25}

// Consume makes one delivery, and its job, for each active subscription of the event's topic, in tx: the
// transaction that marks the event processed, so that they exist iff it is marked.
func (s *Service) Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error {
	subs, err := tx.WebhookSubscription.Query().
		Where(webhooksubscription.Topic(e.Topic), webhooksubscription.StatusEQ(webhooksubscription.StatusActive)).All(ctx)
	if err != nil || len(subs) == 0 {
		return err
	}
	// One statement for the deliveries and one for their jobs, however many subscriptions: this runs
	// inside the event's write transaction, which on SQLite holds the only writer.
	creates := make([]*ent.WebhookDeliveryCreate, 0, len(subs))
	for _, sub := range subs {
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
			SetResourceID(e.ResourceID).SetCallbackURL(sub.CallbackURL).SetWebhookID(id))
	}
	if len(creates) == 0 {
		return nil
	}
	ds, err := tx.WebhookDelivery.CreateBulk(creates...).Save(ctx)
	if err != nil {
		return fmt.Errorf("webhooks: delivery: %w", err)
	}
	args := make([]jobs.Args, len(ds))
	for i, d := range ds {
		args[i] = DeliverArgs{DeliveryID: d.ID}
	}
	return s.queue.InsertManyTx(ctx, tx, args, deliverOpts)
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

// Worker works delivery jobs.
type Worker struct {
	jobs.WorkerDefaults[DeliverArgs]
	s *Service
}

// Worker returns the delivery worker.
func (s *Service) Worker() *Worker { return &Worker{s: s} }

// Timeout bounds a job: one attempt plus its bookkeeping.
func (w *Worker) Timeout(*jobs.Job[DeliverArgs]) time.Duration {
	return w.s.opts.Timeout + 30*time.Second
}

// orderWait is how long a delivery waits, at least, behind an earlier one of its resource.
const orderWait = 200 * time.Millisecond

// Work makes one attempt of a delivery, unless an earlier event of the same resource is still to be
// delivered to the same receiver: then it waits (snoozes) behind it, so that an orders/paid never
// overtakes its orders/create. A failed attempt is retried by snoozing for the backoff's delay, until
// GiveUpAfter has passed since the delivery was made; then the delivery is failed and its
// subscription marked failing.
func (w *Worker) Work(ctx context.Context, job *jobs.Job[DeliverArgs]) error {
	s := w.s
	d, err := s.client.WebhookDelivery.Get(ctx, job.Args.DeliveryID)
	if ent.IsNotFound(err) {
		return nil // its subscription was deleted
	}
	if err != nil {
		return err
	}
	if d.Status == webhookdelivery.StatusDelivered || d.Status == webhookdelivery.StatusFailed {
		return nil // a job worked twice, or one left from before a retry
	}
	if wait, err := s.blocked(ctx, d); err != nil {
		return err
	} else if wait > 0 {
		return jobs.Snooze(wait)
	}
	sub, err := s.client.WebhookSubscription.Get(ctx, d.SubscriptionID)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	e, err := s.client.Event.Get(ctx, d.EventID)
	if err != nil {
		return err
	}
	code, latency, attemptErr := s.post(ctx, sub, d, e)
	now := time.Now().UTC().Truncate(time.Microsecond)
	upd := s.client.WebhookDelivery.UpdateOneID(d.ID).AddAttempts(1).SetLastAttemptAt(now).
		SetLatencyMs(int(latency.Milliseconds()))
	if code != 0 {
		upd.SetResponseCode(code)
	} else {
		upd.ClearResponseCode()
	}
	if attemptErr == nil {
		return upd.SetStatus(webhookdelivery.StatusDelivered).SetError("").SetDeliveredAt(now).ClearNextAttemptAt().Exec(ctx)
	}
	upd.SetError(truncate(attemptErr.Error(), 1000))
	if now.Sub(d.CreatedAt) >= s.opts.GiveUpAfter {
		if err := upd.SetStatus(webhookdelivery.StatusFailed).ClearNextAttemptAt().Exec(ctx); err != nil {
			return err
		}
		return s.markFailing(ctx, sub, d, attemptErr)
	}
	delay := s.backoff(d.Attempts + 1)
	if err := upd.SetStatus(webhookdelivery.StatusRetrying).SetNextAttemptAt(now.Add(delay)).Exec(ctx); err != nil {
		return err
	}
	return jobs.Snooze(delay)
}

// blocked returns how long d should wait for an earlier event of its resource, 0 if none is pending:
// an earlier event not yet handed to the consumers (its deliveries are not made yet), or an earlier
// delivery of the resource to the same callback URL not yet delivered nor given up. It waits until
// that delivery's next attempt, at least orderWait.
func (s *Service) blocked(ctx context.Context, d *ent.WebhookDelivery) (time.Duration, error) {
	earlier, err := s.client.WebhookDelivery.Query().Where(
		webhookdelivery.ResourceID(d.ResourceID), webhookdelivery.CallbackURL(d.CallbackURL),
		webhookdelivery.StatusIn(webhookdelivery.StatusPending, webhookdelivery.StatusRetrying),
		webhookdelivery.EventIDLT(d.EventID),
	).Order(ent.Asc(webhookdelivery.FieldEventID)).First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return 0, err
	}
	if earlier != nil {
		wait := orderWait
		if earlier.NextAttemptAt != nil {
			wait = max(wait, time.Until(*earlier.NextAttemptAt))
		}
		return wait, nil
	}
	ref, err := gid.Decode(d.ResourceID)
	if err != nil {
		return 0, nil
	}
	pending, err := s.client.Event.Query().Where(event.ResourceType(ref.Type), event.ResourceID(d.ResourceID),
		event.IDLT(d.EventID), event.ProcessedAtIsNil()).Exist(ctx)
	if err != nil || !pending {
		return 0, err
	}
	return orderWait, nil
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
func (s *Service) post(ctx context.Context, sub *ent.WebhookSubscription, d *ent.WebhookDelivery, e *ent.Event) (int, time.Duration, error) {
	body, err := s.body(sub, e)
	if err != nil {
		return 0, 0, fmt.Errorf("payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.CallbackURL, bytes.NewReader(body))
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
