package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/jobs"
)

// Relay tuning.
const (
	// RelayBatch bounds the events of one relay transaction.
	RelayBatch = 500
	// relayPoll is how often a relay looks for events committed by other processes (its own wake it).
	relayPoll = 100 * time.Millisecond
	// relayGap is the least time between two batches started by wake-ups: events committed meanwhile
	// share a transaction instead of taking one each.
	relayGap = 5 * time.Millisecond
)

// Relay hands the events not yet processed to the consumers, in batches of up to RelayBatch in the
// order they were recorded: one transaction per batch reads the events, runs the consumers and marks
// the events processed with one UPDATE, so that a consumer's work exists iff its events are marked.
// Every process that works jobs runs a relay (jobs.Queue.Run); on PostgreSQL they skip each other's
// locked events, on SQLite the file's one writer serialises them.
type Relay struct {
	client    *ent.Client
	queue     *jobs.Queue
	recorder  *Recorder
	consumers []Consumer
	log       *slog.Logger
}

// NewRelay returns the relay of the events rec records, handing them to consumers, and registers its
// loop and its job's worker on q. Call it before q starts.
func NewRelay(client *ent.Client, q *jobs.Queue, rec *Recorder, log *slog.Logger, consumers ...Consumer) (*Relay, error) {
	r := &Relay{client: client, queue: q, recorder: rec, consumers: consumers, log: log}
	if err := jobs.Register(q, r.Worker()); err != nil {
		return nil, err
	}
	q.Run(r.Run)
	return r, nil
}

// Run relays events until ctx ends: at once when this process records one, else every relayPoll.
func (r *Relay) Run(ctx context.Context) {
	poll := time.NewTicker(relayPoll)
	defer poll.Stop()
	failures := 0
	for {
		start := time.Now()
		if _, err := r.Drain(ctx); err != nil && ctx.Err() == nil {
			failures++
			r.log.WarnContext(ctx, "events relay", "err", err, "failures", failures)
			// The database is down or busy: back off, up to 5 s, rather than spin.
			if !sleep(ctx, min(time.Duration(failures)*200*time.Millisecond, 5*time.Second)) {
				return
			}
			continue
		}
		failures = 0
		select {
		case <-ctx.Done():
			return
		case <-r.recorder.committed:
			if !sleep(ctx, relayGap-time.Since(start)) {
				return
			}
		case <-poll.C:
		}
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Drain relays batches until none is left, and says how many events it handed on.
func (r *Relay) Drain(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := r.Batch(ctx)
		total += n
		if err != nil || n < RelayBatch {
			return total, err
		}
	}
}

// errTaken rolls a batch back when another relay marked some of its events first.
var errTaken = errors.New("events: another relay processed the batch")

// Batch hands on one batch of unprocessed events and says how many.
func (r *Relay) Batch(ctx context.Context) (int, error) {
	var n int
	err := database.WithTx(ctx, r.client, func(tx *ent.Tx) error {
		q := tx.Event.Query().Where(event.ProcessedAtIsNil()).Order(ent.Asc(event.FieldID)).Limit(RelayBatch)
		if r.queue.Postgres() {
			// Relays of other replicas take the next events instead of waiting for these.
			q.Modify(func(s *sql.Selector) { s.ForUpdate(sql.WithLockAction(sql.SkipLocked)) })
		}
		es, err := q.All(ctx)
		if err != nil || len(es) == 0 {
			return err
		}
		for _, c := range r.consumers {
			if b, ok := c.(BatchConsumer); ok {
				if err := b.ConsumeBatch(ctx, tx, es); err != nil {
					return err
				}
				continue
			}
			for _, e := range es {
				if err := c.Consume(ctx, tx, e); err != nil {
					return err
				}
			}
		}
		ids := make([]int, len(es))
		for i, e := range es {
			ids[i] = e.ID
		}
		// Marked only where still unmarked: of two relays of one event (SQLite, two processes), one commits.
		marked, err := tx.Event.Update().Where(event.IDIn(ids...), event.ProcessedAtIsNil()).
			SetProcessedAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
		if err != nil {
			return err
		}
		if marked != len(ids) {
			return errTaken
		}
		n = len(es)
		return nil
	})
	if errors.Is(err, errTaken) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("events: relay: %w", err)
	}
	return n, nil
}
