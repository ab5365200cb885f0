package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/journalentry"
	"github.com/emporium/emporium/ent/orderevent"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/validation"
)

// Order events of disputes.
const (
	EventDisputeOpened = "dispute_opened"
	EventDisputeWon    = "dispute_won"
	EventDisputeLost   = "dispute_lost"
)

// RecordDispute applies a payment provider's report of a buyer's dispute (chargeback) to the order it
// paid: an opened dispute is booked (the disputed amount leaves the clearing account) and put on the
// order's timeline, a dispute won is booked back, a lost one only noted. Each happens once per dispute
// however often the provider reports it: the journal entry carries the dispute's ID. It answers what
// it did, or ErrUnknownPayment when no order of this provider has that payment.
func (s *Service) RecordDispute(ctx context.Context, provider string, d payments.Dispute) (string, error) {
	if d.ID == "" {
		return "", ErrUnknownPayment
	}
	o, err := s.paidBy(ctx, provider, d.Reference, d.Amount.Currency)
	if err != nil || o == nil { // o nil: a dispute in another currency, nothing to book or retry
		return "", err
	}
	// A repeated report of an open dispute changes nothing, not even the order's version: most of
	// Stripe's retries end here.
	if !d.Closed {
		seen, err := disputeBooked(ctx, s.client.JournalEntry, d.ID)
		if err != nil {
			return "", fmt.Errorf("orders: dispute %s: %w", d.ID, err)
		}
		if seen {
			return "", nil
		}
	}
	outcome := ""
	_, errs, err := s.change(ctx, o.ID, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		outcome = ""
		data := map[string]any{"disputeId": d.ID, "amount": d.Amount.Amount, "currency": o.Currency, "reason": d.Reason}
		opened, err := disputeBooked(ctx, tx.JournalEntry, d.ID)
		if err != nil {
			return nil, err
		}
		if !opened {
			// A dispute first reported closed was opened all the same.
			if err := journal.Book(ctx, tx, s.events, journal.Disputed(o, d.Amount.Amount, d.ID)); err != nil {
				return nil, err
			}
			if err := eventWith(ctx, tx, o.ID, EventDisputeOpened, "The buyer disputed the payment: "+d.Reason, "", data); err != nil {
				return nil, err
			}
			open := d
			if d.Closed { // its disputes/create says how it began, its disputes/update how it ended
				open.Closed, open.Won, open.Status = false, false, "needs_response"
			}
			if err := s.events.Record(ctx, tx, events.DisputesCreate, "Order", o.ID, NewDisputePayload(o, open)); err != nil {
				return nil, err
			}
			outcome = EventDisputeOpened
		}
		if !d.Closed {
			return nil, nil
		}
		kind := EventDisputeLost
		if d.Won {
			kind = EventDisputeWon
		}
		closed, err := tx.OrderEvent.Query().Where(orderevent.OrderID(o.ID), orderevent.KindIn(EventDisputeWon, EventDisputeLost)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, e := range closed {
			if e.Data["disputeId"] == d.ID {
				return nil, nil
			}
		}
		if d.Won {
			if err := journal.Book(ctx, tx, s.events, journal.DisputeWon(o, d.Amount.Amount, d.ID)); err != nil {
				return nil, err
			}
		}
		outcome = kind
		if err := s.events.Record(ctx, tx, events.DisputesUpdate, "Order", o.ID, NewDisputePayload(o, d)); err != nil {
			return nil, err
		}
		return nil, eventWith(ctx, tx, o.ID, kind, "The dispute was decided", "", data)
	})
	if err != nil {
		return "", fmt.Errorf("orders: dispute %s: %w", d.ID, err)
	}
	if errs.Any() {
		return "", fmt.Errorf("orders: dispute %s: %v", d.ID, errs)
	}
	return outcome, nil
}

// disputeBooked tells whether the dispute id has been booked as opened: its journal entry carries the ID.
func disputeBooked(ctx context.Context, entries *ent.JournalEntryClient, id string) (bool, error) {
	return entries.Query().Where(journalentry.Kind(journal.KindDispute), journalentry.PaymentReference(id)).Exist(ctx)
}

// DisputePayload is a dispute as disputes/create and disputes/update carry it, in Shopify's shape.
type DisputePayload struct {
	ID      string       `json:"id"` // the provider's (dp_…)
	OrderID string       `json:"orderId"`
	Type    string       `json:"type"` // chargeback
	Amount  events.Money `json:"amount"`
	Reason  string       `json:"reason"`
	// Status is the provider's: needs_response, under_review, won, lost…
	Status string `json:"status"`
	// FinalizedOn is when the dispute was decided (the report's time), or null while open.
	FinalizedOn *time.Time `json:"finalizedOn"`
}

// NewDisputePayload is dispute d of order o as its events carry it.
func NewDisputePayload(o *ent.Order, d payments.Dispute) DisputePayload {
	p := DisputePayload{ID: d.ID, OrderID: gid.Encode("Order", o.ID), Type: "chargeback",
		Amount: events.MoneyOf(d.Amount.Amount, o.Currency), Reason: d.Reason, Status: d.Status}
	if d.Closed {
		now := time.Now().UTC()
		p.FinalizedOn = &now
	}
	return p
}
