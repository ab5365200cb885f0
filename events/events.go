// Package events is Emporium's transactional outbox. A domain package tells the outside about a change
// by calling Record in the change's own transaction: the event's row commits with the change or not at
// all, so an event exists if and only if its change committed, and is never lost by a crash between the
// change and its announcement. Topics are Shopify's webhook topics.
//
// The relay (Relay) hands the events not yet processed to the consumers (webhook deliveries, emails) in
// batches, each batch in one transaction that also marks its events processed.
package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/emporium/emporium/ent"
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

// Topics of a buyer's dispute (chargeback) of an order's payment, Shopify's names: disputes/create when
// the provider reports it, disputes/update when it is decided.
const (
	DisputesCreate = "disputes/create"
	DisputesUpdate = "disputes/update"
)

// PayoutsPaid and PayoutsFailed are recorded when the payment provider pays the shop's balance out to
// its bank account, or reports that a payout came back.
const (
	PayoutsPaid   = "payouts/paid"
	PayoutsFailed = "payouts/failed"
)

// AccountingJournalEntry is recorded with each journal entry posted (package journal), so that an
// accounting system can follow the books live.
const AccountingJournalEntry = "accounting/journal_entry"

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
	AccountingJournalEntry, DisputesCreate, DisputesUpdate, PayoutsPaid, PayoutsFailed,
}

// Recorder writes events.
type Recorder struct {
	queue *jobs.Queue
	// committed wakes this process's relay when a transaction that recorded an event commits; the
	// relays of other processes find it on their next poll.
	committed chan struct{}
}

// NewRecorder returns a recorder for the events of q's database; NewRelay hands them on.
func NewRecorder(q *jobs.Queue) *Recorder {
	return &Recorder{queue: q, committed: make(chan struct{}, 1)}
}

// Record writes the event topic of the resource resourceType/id, whose Admin API shape at the change is
// payload, in tx. Call it in the transaction of the change, after the change, so that payload shows the
// change; an error must roll the change back. The relay hands the event on once tx commits.
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
	if _, err := tx.Event.Create().SetTopic(topic).SetResourceType(resourceType).SetResourceID(resource).
		SetPayload(body).Save(ctx); err != nil {
		return fmt.Errorf("events: %s: write: %w", topic, err)
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			err := next.Commit(ctx, tx)
			if err == nil {
				r.wake()
			}
			return err
		})
	})
	return nil
}

// wake tells this process's relay that an event committed, without waiting.
func (r *Recorder) wake() {
	select {
	case r.committed <- struct{}{}:
	default:
	}
}

// EventArgs are the arguments of an event's job, which asks the relay for a pass over the events not
// yet handed on. Events no longer get one each (the relay finds them by itself); the job stays for
// whoever wants a pass at once, and for jobs queued before the relay.
type EventArgs struct {
	EventID    int    `json:"event_id"`
	Topic      string `json:"topic"`
	ResourceID string `json:"resource_id"`
}

// Kind names the worker of event jobs.
func (EventArgs) Kind() string { return "event" }

// A Consumer acts on events: webhook deliveries, emails. It acts inside tx, the relay's transaction
// that marks the event processed, so that what it writes or queues exists iff the event is marked,
// and a retried batch never acts twice. A consumer that also implements BatchConsumer is handed the
// relay's whole batch at once instead.
type Consumer interface {
	Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error
}

// BatchConsumer consumes a batch of events, in the order they were recorded, in one call: a few
// statements for the batch rather than a few per event.
type BatchConsumer interface {
	ConsumeBatch(ctx context.Context, tx *ent.Tx, es []*ent.Event) error
}

// Worker works event jobs: one pass of the relay.
type Worker struct {
	jobs.WorkerDefaults[EventArgs]
	relay *Relay
}

// Worker returns the worker of event jobs.
func (r *Relay) Worker() *Worker { return &Worker{relay: r} }

// Work relays the events not yet handed on, whichever they are.
func (w *Worker) Work(ctx context.Context, _ *jobs.Job[EventArgs]) error {
	_, err := w.relay.Drain(ctx)
	return err
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
