package events

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/jobs"
)

// DefaultRetention is how long processed events are kept (EMPORIUM_EVENTS_RETENTION).
const DefaultRetention = 30 * 24 * time.Hour

// CleanupEvery is how often the cleanup runs.
const CleanupEvery = time.Hour

// cleanupBatch bounds one delete statement, so that a large backlog never holds a long lock.
const cleanupBatch = 1000

// Cleaner deletes processed events older than the retention. An event not yet processed is never
// deleted, whatever its age: it has not been handed on. Nor is one with a webhook delivery still to be
// made (pending or retrying), which reads the event when it is sent.
type Cleaner struct {
	client    *ent.Client
	retention time.Duration
	now       func() time.Time
}

// NewCleaner returns a cleaner keeping processed events for retention (DefaultRetention when not
// positive).
func NewCleaner(client *ent.Client, retention time.Duration) *Cleaner {
	if retention <= 0 {
		retention = DefaultRetention
	}
	return &Cleaner{client: client, retention: retention, now: time.Now}
}

// Clean deletes the processed events older than the retention, in batches, and says how many.
func (c *Cleaner) Clean(ctx context.Context) (int, error) {
	cutoff := c.now().Add(-c.retention).UTC()
	deleted := 0
	for {
		ids, err := c.client.Event.Query().Where(event.ProcessedAtNotNil(), event.ProcessedAtLT(cutoff), noDeliveryLeft).
			Limit(cleanupBatch).IDs(ctx)
		if err != nil {
			return deleted, fmt.Errorf("events: find old events: %w", err)
		}
		if len(ids) == 0 {
			return deleted, nil
		}
		n, err := c.client.Event.Delete().Where(event.IDIn(ids...), event.ProcessedAtNotNil()).Exec(ctx)
		if err != nil {
			return deleted, fmt.Errorf("events: delete old events: %w", err)
		}
		deleted += n
		if len(ids) < cleanupBatch {
			return deleted, nil
		}
	}
}

// noDeliveryLeft keeps events that a webhook delivery still has to send.
func noDeliveryLeft(s *sql.Selector) {
	d := sql.Table(webhookdelivery.Table)
	s.Where(sql.Not(sql.Exists(sql.Select(d.C(webhookdelivery.FieldID)).From(d).Where(sql.And(
		sql.ColumnsEQ(d.C(webhookdelivery.FieldEventID), s.C(event.FieldID)),
		sql.In(d.C(webhookdelivery.FieldStatus), string(webhookdelivery.StatusPending), string(webhookdelivery.StatusRetrying)),
	)))))
}

// CleanupArgs are the arguments of the periodic cleanup job: it has none.
type CleanupArgs struct{}

// Kind names the cleanup's worker.
func (CleanupArgs) Kind() string { return "events.cleanup" }

type cleanupWorker struct {
	jobs.WorkerDefaults[CleanupArgs]
	c *Cleaner
}

func (w *cleanupWorker) Work(ctx context.Context, _ *jobs.Job[CleanupArgs]) error {
	_, err := w.c.Clean(ctx)
	return err
}

// Schedule registers the cleanup's worker on q and runs it every CleanupEvery, once across all
// replicas, never retried (the next run is the retry). Call it before q starts.
func (c *Cleaner) Schedule(q *jobs.Queue) error {
	if err := jobs.Register(q, &cleanupWorker{c: c}); err != nil {
		return err
	}
	q.Every(CleanupEvery, func() (jobs.Args, *jobs.InsertOpts) {
		return CleanupArgs{}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 1,
			UniqueOpts: jobs.UniqueOpts{ByPeriod: CleanupEvery}}
	})
	return nil
}
