package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/ent/webhooksubscription"
)

// Pump tuning.
const (
	// DefaultConcurrency is how many attempts one process makes at once (Options.Concurrency).
	DefaultConcurrency = 128
	// claimBatch bounds the deliveries of one claim.
	claimBatch = 500
	// pumpPoll is how often the pump looks for due deliveries it was not woken for: retries, and those
	// made by other processes.
	pumpPoll = 50 * time.Millisecond
	// flushEvery and flushBatch bound how long and how many outcomes wait before they are written.
	flushEvery = 20 * time.Millisecond
	flushBatch = 500
	// claimGap is how long the pump lets attempts end before it claims for the freed places.
	claimGap = 2 * time.Millisecond
)

// pump is the delivery pump's state in one process. The deliveries table is the queue: a due delivery
// (pending or retrying, next_attempt_at passed, no live lease) is claimed by setting its lease, and
// the lease is cleared when its outcome is written. A process that dies mid-attempt leaves leases that
// run out, and any process's pump then claims those deliveries again: at least once.
type pump struct {
	wake chan struct{}
	// freed says an attempt ended: the pump may claim more.
	freed chan struct{}

	mu       sync.Mutex
	inFlight int
	// hosts counts the attempts in flight per callback host, urls per callback URL, so that one
	// hanging receiver holds at most perHost of the attempts.
	hosts map[string]int
	urls  map[string]int
	// held are claimed deliveries waiting for their host to be under its limit.
	held []attempt
}

func newPump() *pump {
	return &pump{wake: make(chan struct{}, 1), freed: make(chan struct{}, 1), hosts: map[string]int{}, urls: map[string]int{}}
}

// wakeUp makes the pump claim at once rather than at its next poll.
func (p *pump) wakeUp() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// attempt is one claimed delivery with what its attempt needs.
type attempt struct {
	d   *ent.WebhookDelivery
	sub *ent.WebhookSubscription
	e   *ent.Event
	// host is the callback's host, for the per-host limit.
	host string
}

// outcome is an attempt's result, waiting to be written.
type outcome struct {
	a       attempt
	at      time.Time
	code    int
	latency time.Duration
	err     error
}

func (s *Service) concurrency() int { return s.opts.Concurrency }

// perHost is how many attempts one callback host may have in flight: a quarter of the process's, so
// that hanging receivers on three hosts still leave others a quarter.
func (s *Service) perHost() int { return max(s.concurrency()/4, 1) }

// leaseFor is how long a claim holds a delivery: its attempt, perhaps after waiting (held) for one
// attempt of its host, plus time to write the outcome.
func (s *Service) leaseFor() time.Duration { return 2*s.opts.Timeout + 10*time.Second }

// Pump makes deliveries until ctx ends: it claims due deliveries in batches, POSTs them concurrently
// (Options.Concurrency at once, a quarter of that per callback host), and writes their outcomes in
// batches. On the end of ctx it stops claiming, lets the attempts in flight finish and writes them.
// Every process that works jobs runs it (jobs.Queue.Run).
func (s *Service) Pump(ctx context.Context) {
	outcomes := make(chan outcome, s.concurrency())
	written := make(chan struct{})
	go func() {
		defer close(written)
		s.writeOutcomes(outcomes)
	}()
	var posts sync.WaitGroup
	defer func() {
		posts.Wait()
		close(outcomes)
		<-written
	}()
	poll := time.NewTicker(pumpPoll)
	defer poll.Stop()
	failures := 0
	for {
		n, err := s.claimAndSend(ctx, outcomes, &posts)
		switch {
		case err != nil && ctx.Err() == nil:
			failures++
			s.opts.Log.WarnContext(ctx, "webhook pump: claim", "err", err, "failures", failures)
			if !pause(ctx, min(time.Duration(failures)*200*time.Millisecond, 5*time.Second)) {
				return
			}
			continue
		case err == nil:
			failures = 0
		}
		if n == claimBatch {
			continue // more are due, probably
		}
		select {
		case <-ctx.Done():
			return
		case <-s.pump.wake:
		case <-poll.C:
		case <-s.pump.freed:
			// Let a few more attempts end, so that one claim refills them all.
			if !pause(ctx, claimGap) {
				return
			}
		}
	}
}

func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// claimAndSend claims as many due deliveries as there are free attempts and starts their attempts;
// those of a host already at its limit wait in held for one of its attempts to end.
func (s *Service) claimAndSend(ctx context.Context, outcomes chan<- outcome, posts *sync.WaitGroup) (int, error) {
	s.pump.mu.Lock()
	free := s.concurrency() - s.pump.inFlight - len(s.pump.held)
	var busy []string
	for u, n := range s.pump.urls {
		if n > 0 && s.pump.hosts[hostOf(u)] >= s.perHost() {
			busy = append(busy, u)
		}
	}
	s.pump.mu.Unlock()
	if free <= 0 || ctx.Err() != nil {
		return 0, ctx.Err()
	}
	as, err := s.claim(ctx, min(free, claimBatch), busy)
	if err != nil {
		return 0, err
	}
	s.pump.mu.Lock()
	defer s.pump.mu.Unlock()
	for _, a := range as {
		if s.pump.hosts[a.host] >= s.perHost() {
			s.pump.held = append(s.pump.held, a)
			continue
		}
		s.startLocked(ctx, a, outcomes, posts)
	}
	return len(as), nil
}

// startLocked starts a's attempt; s.pump.mu is held. When the attempt ends, the first held delivery
// of its host starts in its place.
func (s *Service) startLocked(ctx context.Context, a attempt, outcomes chan<- outcome, posts *sync.WaitGroup) {
	s.pump.inFlight++
	s.pump.hosts[a.host]++
	s.pump.urls[a.d.CallbackURL]++
	posts.Add(1)
	go func() {
		defer posts.Done()
		o := outcome{a: a, at: time.Now().UTC().Truncate(time.Microsecond)}
		if a.e == nil {
			o.err = errors.New("the event is no longer kept (events retention)")
		} else {
			o.code, o.latency, o.err = s.post(context.WithoutCancel(ctx), a.sub, a.d, a.e)
		}
		outcomes <- o
		s.pump.mu.Lock()
		defer s.pump.mu.Unlock()
		s.pump.inFlight--
		s.pump.hosts[a.host]--
		s.pump.urls[a.d.CallbackURL]--
		if s.pump.urls[a.d.CallbackURL] == 0 {
			delete(s.pump.urls, a.d.CallbackURL)
		}
		if s.pump.hosts[a.host] == 0 {
			delete(s.pump.hosts, a.host)
		}
		for i, h := range s.pump.held {
			if h.host == a.host {
				s.pump.held = slices.Delete(s.pump.held, i, i+1)
				s.startLocked(ctx, h, outcomes, posts)
				break
			}
		}
		select {
		case s.pump.freed <- struct{}{}:
		default:
		}
	}()
}

func hostOf(callback string) string {
	u, err := url.Parse(callback)
	if err != nil {
		return callback
	}
	return u.Host
}

// claim leases up to limit due deliveries, oldest due first, and loads their subscriptions and events.
// A delivery is due when it is pending or retrying, its next attempt's time has come, no live lease
// holds it, and nothing earlier of its resource is still to go to its callback URL: neither an earlier
// delivery not yet delivered nor given up, nor an earlier event not yet handed on (its deliveries are
// not made yet). So an orders/paid never overtakes its orders/create, retries included. Deliveries to
// the URLs in busy (their host is at its limit) are left for later.
func (s *Service) claim(ctx context.Context, limit int, busy []string) ([]attempt, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	pg := s.queue.Postgres()
	args := []any{now.Add(s.leaseFor()), now}
	arg := func(v any) string {
		args = append(args, v)
		return placeholder(pg, len(args))
	}
	ph := func(i int) string { return placeholder(pg, i) }
	var q strings.Builder
	fmt.Fprintf(&q, `UPDATE %[1]s SET %[2]s = %[3]s WHERE %[4]s IN (SELECT d.%[4]s FROM %[1]s d
WHERE d.%[5]s IN ('pending', 'retrying') AND d.%[6]s <= %[7]s AND (d.%[2]s IS NULL OR d.%[2]s < %[7]s)`,
		webhookdelivery.Table, webhookdelivery.FieldLeaseUntil, ph(1), webhookdelivery.FieldID,
		webhookdelivery.FieldStatus, webhookdelivery.FieldNextAttemptAt, ph(2))
	if len(busy) > 0 {
		marks := make([]string, len(busy))
		for i, u := range busy {
			marks[i] = arg(u)
		}
		fmt.Fprintf(&q, ` AND d.%s NOT IN (%s)`, webhookdelivery.FieldCallbackURL, strings.Join(marks, ", "))
	}
	fmt.Fprintf(&q, `
AND NOT EXISTS (SELECT 1 FROM %[1]s p WHERE p.%[2]s = d.%[2]s AND p.%[3]s = d.%[3]s AND p.%[4]s IN ('pending', 'retrying') AND p.%[5]s < d.%[5]s)
AND NOT EXISTS (SELECT 1 FROM %[6]s e WHERE e.%[7]s = d.%[2]s AND e.%[8]s IS NULL AND e.%[9]s < d.%[5]s)
ORDER BY d.%[10]s, d.%[11]s LIMIT %[12]s`,
		webhookdelivery.Table, webhookdelivery.FieldResourceID, webhookdelivery.FieldCallbackURL, webhookdelivery.FieldStatus,
		webhookdelivery.FieldEventID, event.Table, event.FieldResourceID, event.FieldProcessedAt, event.FieldID,
		webhookdelivery.FieldNextAttemptAt, webhookdelivery.FieldID, arg(limit))
	if pg {
		// Other replicas' pumps take the next deliveries instead of waiting for these.
		q.WriteString(" FOR UPDATE OF d SKIP LOCKED")
	}
	fmt.Fprintf(&q, `) RETURNING %s`, webhookdelivery.FieldID)
	var ids []int
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		stx, err := database.SQLTx(tx)
		if err != nil {
			return err
		}
		rows, err := stx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		ids, err = scanIDs(rows)
		return err
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	// Read after the claim's commit: the lease holds them, and SQLite's writer is free meanwhile.
	ds, err := s.client.WebhookDelivery.Query().Where(webhookdelivery.IDIn(ids...)).
		Order(ent.Asc(webhookdelivery.FieldNextAttemptAt), ent.Asc(webhookdelivery.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	subIDs, eventIDs := map[int]bool{}, map[int]bool{}
	for _, d := range ds {
		subIDs[d.SubscriptionID], eventIDs[d.EventID] = true, true
	}
	subs, err := s.client.WebhookSubscription.Query().Where(webhooksubscription.IDIn(keys(subIDs)...)).All(ctx)
	if err != nil {
		return nil, err
	}
	es, err := s.client.Event.Query().Where(event.IDIn(keys(eventIDs)...)).All(ctx)
	if err != nil {
		return nil, err
	}
	subOf, eventOf := map[int]*ent.WebhookSubscription{}, map[int]*ent.Event{}
	for _, sub := range subs {
		subOf[sub.ID] = sub
	}
	for _, e := range es {
		eventOf[e.ID] = e
	}
	out := make([]attempt, 0, len(ds))
	for _, d := range ds {
		sub := subOf[d.SubscriptionID]
		if sub == nil {
			continue // its subscription was deleted since, and the delivery with it
		}
		out = append(out, attempt{d: d, sub: sub, e: eventOf[d.EventID], host: hostOf(d.CallbackURL)})
	}
	return out, nil
}

// placeholder is the i-th parameter: numbered on SQLite too, as a parameter may be used twice.
func placeholder(pg bool, i int) string {
	if pg {
		return fmt.Sprintf("$%d", i)
	}
	return fmt.Sprintf("?%d", i)
}

func scanIDs(rows *sql.Rows) ([]int, error) {
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writeOutcomes writes the outcomes it receives in batches, until outcomes is closed and drained. A
// batch that cannot be written (the database down) is kept and tried again; given up only at the
// end, when the leases running out will have the deliveries attempted again.
func (s *Service) writeOutcomes(outcomes <-chan outcome) {
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	var batch []outcome
	failures := 0
	flush := func(final bool) {
		for len(batch) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := s.writeBatch(ctx, batch)
			cancel()
			if err == nil {
				batch, failures = batch[:0], 0
				return
			}
			failures++
			s.opts.Log.Warn("webhook pump: write outcomes", "err", err, "outcomes", len(batch), "failures", failures)
			if final && failures >= 10 {
				return
			}
			if !final {
				return // again at the next tick
			}
			time.Sleep(min(time.Duration(failures)*200*time.Millisecond, 2*time.Second))
		}
	}
	for {
		select {
		case o, ok := <-outcomes:
			if !ok {
				flush(true)
				return
			}
			batch = append(batch, o)
			if len(batch) >= flushBatch && failures == 0 {
				flush(false)
			}
		case <-tick.C:
			flush(false)
		}
	}
}

// writeBatch writes outcomes in one transaction: their attempts in one insert, the delivered in one
// update, each failure on its own (its next attempt's time is its own). A given-up delivery marks its
// subscription failing after the commit.
func (s *Service) writeBatch(ctx context.Context, outcomes []outcome) error {
	var givenUp []outcome
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		givenUp = givenUp[:0]
		ids := make([]int, len(outcomes))
		for i, o := range outcomes {
			ids[i] = o.a.d.ID
		}
		// A delivery deleted meanwhile (with its subscription) gets no attempt row.
		live, err := tx.WebhookDelivery.Query().Where(webhookdelivery.IDIn(ids...)).IDs(ctx)
		if err != nil {
			return err
		}
		exists := map[int]bool{}
		for _, id := range live {
			exists[id] = true
		}
		var creates []*ent.WebhookDeliveryAttemptCreate
		var delivered []outcome
		for _, o := range outcomes {
			if !exists[o.a.d.ID] {
				continue
			}
			c := tx.WebhookDeliveryAttempt.Create().SetDeliveryID(o.a.d.ID).SetAttemptedAt(o.at).
				SetLatencyMs(int(o.latency.Milliseconds()))
			if o.code != 0 {
				c.SetStatusCode(o.code)
			}
			if o.err != nil {
				c.SetError(truncate(o.err.Error(), 1000))
			}
			creates = append(creates, c)
			if o.err == nil {
				delivered = append(delivered, o)
				continue
			}
			if gaveUp, err := s.writeFailure(ctx, tx, o); err != nil {
				return err
			} else if gaveUp {
				givenUp = append(givenUp, o)
			}
		}
		for len(creates) > 0 {
			n := min(len(creates), createChunk)
			if err := tx.WebhookDeliveryAttempt.CreateBulk(creates[:n]...).Exec(ctx); err != nil {
				return fmt.Errorf("attempts: %w", err)
			}
			creates = creates[n:]
		}
		for len(delivered) > 0 {
			n := min(len(delivered), createChunk)
			if err := s.writeDelivered(ctx, tx, delivered[:n]); err != nil {
				return err
			}
			delivered = delivered[n:]
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range givenUp {
		if err := s.markFailing(ctx, o.a.sub, o.a.d, o.err); err != nil {
			s.opts.Log.WarnContext(ctx, "webhook pump: mark failing", "subscription", o.a.sub.ID, "err", err)
		}
	}
	return nil
}

// writeFailure schedules a failed attempt's retry, or gives the delivery up once GiveUpAfter has passed
// since it was made, and says which.
func (s *Service) writeFailure(ctx context.Context, tx *ent.Tx, o outcome) (bool, error) {
	d := o.a.d
	upd := tx.WebhookDelivery.Update().Where(webhookdelivery.ID(d.ID),
		webhookdelivery.StatusIn(webhookdelivery.StatusPending, webhookdelivery.StatusRetrying)).
		AddAttempts(1).SetLastAttemptAt(o.at).SetLatencyMs(int(o.latency.Milliseconds())).
		SetError(truncate(o.err.Error(), 1000)).ClearLeaseUntil()
	if o.code != 0 {
		upd.SetResponseCode(o.code)
	} else {
		upd.ClearResponseCode()
	}
	// Measured at the attempt's end: an attempt that timed out at the limit is the last.
	if o.at.Add(o.latency).Sub(d.CreatedAt) >= s.opts.GiveUpAfter || o.a.e == nil {
		n, err := upd.SetStatus(webhookdelivery.StatusFailed).ClearNextAttemptAt().Save(ctx)
		return n > 0, err
	}
	next := o.at.Add(o.latency + s.backoff(d.Attempts+1))
	return false, upd.SetStatus(webhookdelivery.StatusRetrying).SetNextAttemptAt(next.UTC().Truncate(time.Microsecond)).Exec(ctx)
}

// writeDelivered marks delivered deliveries in one statement, each with its own answer and latency.
func (s *Service) writeDelivered(ctx context.Context, tx *ent.Tx, os []outcome) error {
	pg := s.queue.Postgres()
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return placeholder(pg, len(args))
	}
	cases := func(value func(o outcome) any, cast string) string {
		var b strings.Builder
		fmt.Fprintf(&b, "CASE %s", webhookdelivery.FieldID)
		for _, o := range os {
			fmt.Fprintf(&b, " WHEN %s THEN %s%s", arg(o.a.d.ID), arg(value(o)), cast)
		}
		b.WriteString(" END")
		return b.String()
	}
	intCast, timeCast := "", ""
	if pg {
		intCast, timeCast = "::bigint", "::timestamptz"
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var q strings.Builder
	fmt.Fprintf(&q, "UPDATE %s SET %s = 'delivered', %s = %s + 1, %s = '', %s = NULL, %s = NULL, %s = %s, %s = %s, %s = %s, %s = %s, %s = %s",
		webhookdelivery.Table, webhookdelivery.FieldStatus, webhookdelivery.FieldAttempts, webhookdelivery.FieldAttempts,
		webhookdelivery.FieldError, webhookdelivery.FieldNextAttemptAt, webhookdelivery.FieldLeaseUntil,
		webhookdelivery.FieldDeliveredAt, arg(now), webhookdelivery.FieldUpdatedAt, arg(now),
		webhookdelivery.FieldResponseCode, cases(func(o outcome) any { return o.code }, intCast),
		webhookdelivery.FieldLatencyMs, cases(func(o outcome) any { return int(o.latency.Milliseconds()) }, intCast),
		webhookdelivery.FieldLastAttemptAt, cases(func(o outcome) any { return o.at }, timeCast))
	marks := make([]string, len(os))
	for i, o := range os {
		marks[i] = arg(o.a.d.ID)
	}
	fmt.Fprintf(&q, " WHERE %s IN (%s) AND %s IN ('pending', 'retrying')", webhookdelivery.FieldID, strings.Join(marks, ", "),
		webhookdelivery.FieldStatus)
	stx, err := database.SQLTx(tx)
	if err != nil {
		return err
	}
	if _, err := stx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("delivered: %w", err)
	}
	return nil
}
