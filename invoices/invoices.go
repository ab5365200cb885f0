// Package invoices issues Emporium's invoices and credit notes and renders them (PDF, EN 16931 UBL 2.1).
//
// An invoice is issued by an events consumer when an order is paid (or fulfilled, by configuration),
// a credit note when a refund is made: both in the relay's transaction, so that a document exists iff
// its event is marked processed, and both idempotent by their source (one invoice per order, one
// credit note per refund). Numbers are gap-free per kind and year: the counter row of the kind and year
// is incremented in the document's own transaction (on PostgreSQL the UPDATE locks the row until the
// commit, on SQLite the file's one writer serialises), so a number is used iff its document commits.
//
// A document keeps a full snapshot (seller, buyer, addresses, VAT numbers, lines, tax per rate,
// totals, legal notes) and is never changed: renderings come from the snapshot alone.
package invoices

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/hook"
	entinvoice "github.com/emporium/emporium/ent/invoice"
	"github.com/emporium/emporium/ent/invoicecounter"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/ent/refund"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/prorata"
)

// Kinds of documents, as stored and as the API shows them.
const (
	KindInvoice    = "INVOICE"
	KindCreditNote = "CREDIT_NOTE"
)

// InvoicesCreate is the topic of the event recorded when a document is issued: the invoice email
// consumes it. Like webhook_subscriptions/failing it is not in events.Topics: no webhook takes it.
const InvoicesCreate = "invoices/create"

// Trigger says which order event issues the invoice (EMPORIUM_INVOICE_ON).
type Trigger string

// Triggers.
const (
	OnPaid      Trigger = "paid"
	OnFulfilled Trigger = "fulfilled"
)

// ParseTrigger reads EMPORIUM_INVOICE_ON; empty is OnPaid.
func ParseTrigger(s string) (Trigger, error) {
	switch Trigger(s) {
	case "", OnPaid:
		return OnPaid, nil
	case OnFulfilled:
		return OnFulfilled, nil
	}
	return "", fmt.Errorf("invoices: EMPORIUM_INVOICE_ON=%q: want paid or fulfilled", s)
}

// ErrImmutable is returned by any attempt to change or delete an issued document.
var ErrImmutable = errors.New("invoices: an issued document cannot be changed; issue a credit note")

// Protect makes client refuse every update and deletion of documents and counters' deletion.
func Protect(client *ent.Client) {
	client.Invoice.Use(hook.Reject(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne))
	client.InvoiceCounter.Use(hook.Reject(ent.OpDelete | ent.OpDeleteOne))
}

// Issuer issues documents from events (an events.BatchConsumer).
type Issuer struct {
	trigger  Trigger
	recorder *events.Recorder
	log      *slog.Logger
	now      func() time.Time
}

// NewIssuer returns the consumer that issues invoices on trigger and credit notes on refunds.
func NewIssuer(trigger Trigger, rec *events.Recorder, log *slog.Logger) *Issuer {
	return &Issuer{trigger: trigger, recorder: rec, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

func (i *Issuer) invoiceTopic() string {
	if i.trigger == OnFulfilled {
		return events.OrdersFulfilled
	}
	return events.OrdersPaid
}

// ConsumeBatch implements events.BatchConsumer: the invoices of the batch first, then its credit notes,
// so that every relay takes the counters' locks in the same order (no deadlock between two relays)
// and a refund in the same batch as its order's payment finds its invoice.
func (i *Issuer) ConsumeBatch(ctx context.Context, tx *ent.Tx, es []*ent.Event) error {
	for _, e := range es {
		if e.Topic != i.invoiceTopic() {
			continue
		}
		ref, err := gid.Decode(e.ResourceID)
		if err != nil {
			return fmt.Errorf("invoices: event %d: %w", e.ID, err)
		}
		if _, err := i.IssueInvoice(ctx, tx, ref.ID); err != nil {
			return err
		}
	}
	for _, e := range es {
		if e.Topic != events.RefundsCreate {
			continue
		}
		ref, err := gid.Decode(e.ResourceID)
		if err != nil {
			return fmt.Errorf("invoices: event %d: %w", e.ID, err)
		}
		if _, err := i.IssueCreditNote(ctx, tx, ref.ID); err != nil {
			return err
		}
	}
	return nil
}

// Consume implements events.Consumer for one event.
func (i *Issuer) Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error {
	return i.ConsumeBatch(ctx, tx, []*ent.Event{e})
}

// IssueInvoice issues the invoice of order orderID in tx, or returns the one already issued.
func (i *Issuer) IssueInvoice(ctx context.Context, tx *ent.Tx, orderID int) (*ent.Invoice, error) {
	source := fmt.Sprintf("order:%d", orderID)
	if inv, err := tx.Invoice.Query().Where(entinvoice.Source(source)).Only(ctx); err == nil || !ent.IsNotFound(err) {
		return inv, err
	}
	o, err := tx.Order.Get(ctx, orderID)
	if ent.IsNotFound(err) {
		// Gone (erased with its customer) or never there: nothing to invoice, and the relay must go on.
		i.log.WarnContext(ctx, "invoices: no order to invoice", "order", orderID)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invoices: order %d: %w", orderID, err)
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(orderID)).Order(orderline.ByID()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoices: order %d lines: %w", orderID, err)
	}
	seller, err := sellerOf(ctx, tx)
	if err != nil {
		return nil, err
	}
	issued := i.now()
	doc := invoiceDocument(seller, o, lines)
	doc.OrderName = orders.Name(o)
	return i.issue(ctx, tx, KindInvoice, source, o, nil, nil, issued, doc)
}

// IssueCreditNote issues the credit note of refund refundID in tx, or returns the one already issued.
// A refund of an order without an invoice (invoices on fulfilment, refunded before) gets none: there
// is nothing to correct, and the invoice issued later shows the order as it is then.
func (i *Issuer) IssueCreditNote(ctx context.Context, tx *ent.Tx, refundID int) (*ent.Invoice, error) {
	source := fmt.Sprintf("refund:%d", refundID)
	if cn, err := tx.Invoice.Query().Where(entinvoice.Source(source)).Only(ctx); err == nil || !ent.IsNotFound(err) {
		return cn, err
	}
	r, err := tx.Refund.Get(ctx, refundID)
	if ent.IsNotFound(err) {
		i.log.WarnContext(ctx, "invoices: no refund to credit", "refund", refundID)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invoices: refund %d: %w", refundID, err)
	}
	inv, err := tx.Invoice.Query().Where(entinvoice.Source(fmt.Sprintf("order:%d", r.OrderID))).Only(ctx)
	if ent.IsNotFound(err) {
		i.log.InfoContext(ctx, "refund of an order without an invoice: no credit note", "refund", refundID, "order", r.OrderID)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("invoices: invoice of order %d: %w", r.OrderID, err)
	}
	var original Document
	if err := json.Unmarshal(inv.Document, &original); err != nil {
		return nil, fmt.Errorf("invoices: invoice %s: %w", inv.Number, err)
	}
	o, err := tx.Order.Get(ctx, r.OrderID)
	if err != nil {
		return nil, fmt.Errorf("invoices: order %d: %w", r.OrderID, err)
	}
	earlier, err := tx.Refund.Query().Where(refund.OrderID(r.OrderID), refund.IDLT(r.ID)).
		Select(refund.FieldLines, refund.FieldShipping).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoices: earlier refunds of order %d: %w", r.OrderID, err)
	}
	var taken prorata.Taken
	for _, e := range earlier {
		taken.Add(e.Lines, e.Shipping)
	}
	doc := creditNoteDocument(original, inv.Number, inv.IssuedAt, r, taken, o.TaxesIncluded)
	return i.issue(ctx, tx, KindCreditNote, source, o, &r.ID, &inv.ID, i.now(), doc)
}

func (i *Issuer) issue(ctx context.Context, tx *ent.Tx, kind, source string, o *ent.Order, refundID, invoiceID *int,
	issued time.Time, doc Document) (*ent.Invoice, error) {
	year := issued.Year()
	seq, err := nextNumber(ctx, tx, kind, year)
	if err != nil {
		return nil, err
	}
	doc.Kind, doc.Number, doc.IssuedAt = kind, FormatNumber(kind, year, seq), issued
	body, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("invoices: %s: %w", doc.Number, err)
	}
	inv, err := tx.Invoice.Create().SetKind(entinvoice.Kind(kind)).SetNumber(doc.Number).SetYear(year).SetSequence(seq).
		SetSource(source).SetOrderID(o.ID).SetNillableRefundID(refundID).SetNillableInvoiceID(invoiceID).
		SetNillableCustomerID(o.CustomerID).SetCurrency(doc.Currency).SetTotal(doc.Totals.Payable).
		SetDocument(body).SetIssuedAt(issued).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("invoices: write %s: %w", doc.Number, err)
	}
	if err := i.recorder.Record(ctx, tx, InvoicesCreate, "Invoice", inv.ID, map[string]any{
		"id": gid.Encode("Invoice", inv.ID), "number": inv.Number, "kind": kind, "order_id": gid.Encode("Order", o.ID),
	}); err != nil {
		return nil, err
	}
	return inv, nil
}

// nextNumber takes the next number of kind in year, in tx: the counter row is created when missing,
// then incremented. The increment holds the row's lock (PostgreSQL) or the file's writer (SQLite)
// until tx ends, so two transactions never take the same number, and a rolled-back one gives its
// number back.
func nextNumber(ctx context.Context, tx *ent.Tx, kind string, year int) (int64, error) {
	err := tx.InvoiceCounter.Create().SetKind(kind).SetYear(year).
		OnConflictColumns(invoicecounter.FieldKind, invoicecounter.FieldYear).Ignore().Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("invoices: counter %s %d: %w", kind, year, err)
	}
	if err := tx.InvoiceCounter.Update().Where(invoicecounter.Kind(kind), invoicecounter.Year(year)).AddLast(1).Exec(ctx); err != nil {
		return 0, fmt.Errorf("invoices: counter %s %d: %w", kind, year, err)
	}
	c, err := tx.InvoiceCounter.Query().Where(invoicecounter.Kind(kind), invoicecounter.Year(year)).Only(ctx)
	if err != nil {
		return 0, fmt.Errorf("invoices: counter %s %d: %w", kind, year, err)
	}
	return c.Last, nil
}

// FormatNumber is the printed number: INV-2026-000001, CN-2026-000001.
func FormatNumber(kind string, year int, seq int64) string {
	prefix := "INV"
	if kind == KindCreditNote {
		prefix = "CN"
	}
	return fmt.Sprintf("%s-%d-%06d", prefix, year, seq)
}

// Decode returns the snapshot of inv.
func Decode(inv *ent.Invoice) (Document, error) {
	var d Document
	if err := json.Unmarshal(inv.Document, &d); err != nil {
		return Document{}, fmt.Errorf("invoices: %s: %w", inv.Number, err)
	}
	return d, nil
}
