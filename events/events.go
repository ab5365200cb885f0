// Package events is Emporium's transactional outbox. A domain package tells the outside about a change
// by calling Record in the change's own transaction: the event's row and the job that will hand it on
// commit with the change or not at all, so an event exists if and only if its change committed, and is
// never lost by a crash between the change and its announcement. Topics are Shopify's webhook topics.
//
// An event's job hands it to the consumers (webhook deliveries, emails), which fan out from it
// onto the jobs.QueueDeliver queue.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emporium/emporium/database"
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

// Topics of every later change of an order, and of collections, customers and discounts.
const (
	OrdersUpdated      = "orders/updated"
	FulfillmentsUpdate = "fulfillments/update"
	CollectionsCreate  = "collections/create"
	CollectionsUpdate  = "collections/update"
	CollectionsDelete  = "collections/delete"
	CustomersUpdate    = "customers/update"
	DiscountsCreate    = "discounts/create"
	DiscountsUpdate    = "discounts/update"
	DiscountsDelete    = "discounts/delete"
)

// Topics of the changes storefronts watch live (carts, stock) and of a customer's deletion. Carts and
// stock levels change on the hot paths of shopping, so their events are written only while a webhook
// subscription to the topic exists (see Announcer).
const (
	CartsCreate           = "carts/create"
	CartsUpdate           = "carts/update"
	InventoryLevelsUpdate = "inventory_levels/update"
	CustomersDelete       = "customers/delete"
)

// WebhookSubscriptionsFailing is recorded when a webhook subscription is marked failing: it tells the
// staff (an email) and stays in the event log. It is not in Topics, so no subscription can take it: the
// failing subscription's own receiver is the one not answering, and a partner's other subscriptions
// have no business with it.
const WebhookSubscriptionsFailing = "webhook_subscriptions/failing"

// Topics lists every topic recorded, for documentation and validation of subscriptions.
var Topics = []string{OrdersCreate, OrdersPaid, OrdersCancelled, OrdersFulfilled, OrdersPartiallyFulfilled,
	FulfillmentsCreate, RefundsCreate, ProductsCreate, ProductsUpdate, ProductsDelete, CustomersCreate,
	OrdersUpdated, FulfillmentsUpdate, CollectionsCreate, CollectionsUpdate, CollectionsDelete, CustomersUpdate,
	DiscountsCreate, DiscountsUpdate, DiscountsDelete, CartsCreate, CartsUpdate, InventoryLevelsUpdate, CustomersDelete,
}

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

// A Consumer acts on events: webhook deliveries, emails. It queues jobs of its own for an event inside
// tx, the transaction that marks the event processed, so that its jobs exist iff the event is marked
// and a retried event job never queues them twice.
type Consumer interface {
	Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error
}

// Worker handles event jobs: it hands each event to the consumers and marks it processed.
type Worker struct {
	jobs.WorkerDefaults[EventArgs]
	client    *ent.Client
	consumers []Consumer
}

// NewWorker returns the worker of event jobs.
func NewWorker(client *ent.Client, consumers ...Consumer) *Worker {
	return &Worker{client: client, consumers: consumers}
}

// Work hands the event to the consumers and marks it processed, in one transaction. It is idempotent:
// a job worked twice (River's delivery is at least once) finds the event processed and does nothing.
func (w *Worker) Work(ctx context.Context, job *jobs.Job[EventArgs]) error {
	err := database.WithTx(ctx, w.client, func(tx *ent.Tx) error {
		e, err := tx.Event.Query().Where(event.ID(job.Args.EventID), event.ProcessedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, c := range w.consumers {
			if err := c.Consume(ctx, tx, e); err != nil {
				return err
			}
		}
		// Marked only where still unmarked: of two concurrent workers of one event, one commits.
		n, err := tx.Event.Update().Where(event.ID(e.ID), event.ProcessedAtIsNil()).
			SetProcessedAt(time.Now().UTC().Truncate(time.Microsecond)).Save(ctx)
		if err == nil && n == 0 {
			err = errAlreadyProcessed
		}
		return err
	})
	if errors.Is(err, errAlreadyProcessed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("events: process event %d: %w", job.Args.EventID, err)
	}
	return nil
}

var errAlreadyProcessed = errors.New("event processed by another worker")

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
