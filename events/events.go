// Package events is Emporium's transactional outbox. A domain package tells the outside about a change
// by calling Record in the change's own transaction: the event's row and the job that will hand it on
// commit with the change or not at all, so an event exists if and only if its change committed, and is
// never lost by a crash between the change and its announcement. Topics are Shopify's webhook topics.
//
// Today the event's job only marks it processed; webhook deliveries (the next step) fan out from it
// onto the jobs.QueueDeliver queue.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/money"
)

// Topics recorded so far, Shopify's names.
const (
	OrdersCreate             = "orders/create"
	OrdersPaid               = "orders/paid"
	OrdersCancelled          = "orders/cancelled"
	OrdersFulfilled          = "orders/fulfilled"
	OrdersPartiallyFulfilled = "orders/partially_fulfilled"
	FulfillmentsCreate       = "fulfillments/create"
	RefundsCreate            = "refunds/create"
	ProductsCreate           = "products/create"
	ProductsUpdate           = "products/update"
	ProductsDelete           = "products/delete"
	CustomersCreate          = "customers/create"
)

// Topics lists every topic recorded, for documentation and validation of subscriptions.
var Topics = []string{OrdersCreate, OrdersPaid, OrdersCancelled, OrdersFulfilled, OrdersPartiallyFulfilled,
	FulfillmentsCreate, RefundsCreate, ProductsCreate, ProductsUpdate, ProductsDelete, CustomersCreate}

// Recorder writes events and queues their jobs.
type Recorder struct {
	queue *jobs.Queue
}

// NewRecorder returns a recorder that queues on q.
func NewRecorder(q *jobs.Queue) *Recorder { return &Recorder{queue: q} }

// Record writes the event topic of the resource resourceType/id, whose Admin API shape at the change is
// payload, in tx, and queues its job in tx too. Call it in the transaction of the change, after the
// change, so that payload shows the change; an error must roll the change back.
func (r *Recorder) Record(ctx context.Context, tx *ent.Tx, topic, resourceType string, id int, payload any) error {
	if r == nil || r.queue == nil {
		// Loud rather than silent: a service built without a recorder would lose every event.
		return fmt.Errorf("events: %s: %w", topic, ErrNoRecorder)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("events: %s: payload: %w", topic, err)
	}
	resource := gid.Encode(resourceType, id)
	e, err := tx.Event.Create().SetTopic(topic).SetResourceType(resourceType).SetResourceID(resource).
		SetPayload(body).Save(ctx)
	if err != nil {
		return fmt.Errorf("events: %s: write: %w", topic, err)
	}
	args := EventArgs{EventID: e.ID, Topic: topic, ResourceID: resource}
	if err := r.queue.InsertTx(ctx, tx, args, &jobs.InsertOpts{Queue: jobs.QueueEvents}); err != nil {
		return fmt.Errorf("events: %s: %w", topic, err)
	}
	return nil
}

// EventArgs are the arguments of the job of one event. Topic and ResourceID travel with the ID so that
// a queue listing shows what an event is about, and so that delivery can keep a resource's events in
// order without reading them first.
type EventArgs struct {
	EventID    int    `json:"event_id"`
	Topic      string `json:"topic"`
	ResourceID string `json:"resource_id"`
}

// Kind names the worker of event jobs.
func (EventArgs) Kind() string { return "event" }

// Worker handles event jobs: for now it marks the event processed.
type Worker struct {
	jobs.WorkerDefaults[EventArgs]
	client *ent.Client
}

// NewWorker returns the worker of event jobs.
func NewWorker(client *ent.Client) *Worker { return &Worker{client: client} }

// Work marks the event processed. It is idempotent: a job worked twice (River's delivery is at least
// once) keeps the first time.
func (w *Worker) Work(ctx context.Context, job *jobs.Job[EventArgs]) error {
	_, err := w.client.Event.Update().Where(event.ID(job.Args.EventID), event.ProcessedAtIsNil()).
		SetProcessedAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
	if err != nil {
		return fmt.Errorf("events: mark event %d processed: %w", job.Args.EventID, err)
	}
	return nil
}

// Money is an amount as the Admin API's MoneyV2 shows it: an exact decimal string and the currency's
// ISO code, never a float.
type Money struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

// MoneyOf is amount minor units of currency as Money.
func MoneyOf(amount int64, currency string) Money {
	return Money{Amount: money.New(amount, currency).Decimal(), CurrencyCode: currency}
}

// ErrNoRecorder is returned by Record on a nil Recorder.
var ErrNoRecorder = errors.New("events: no recorder configured")
