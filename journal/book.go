package journal

import (
	"context"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
)

// Book posts e in tx, the transaction of the change it records, and records accounting/journal_entry
// with it through rec, so that partners follow the books live.
func Book(ctx context.Context, tx *ent.Tx, rec *events.Recorder, e Entry) error {
	return Post(ctx, tx, e, func(ctx context.Context, tx *ent.Tx, je *ent.JournalEntry) error {
		return rec.Record(ctx, tx, events.AccountingJournalEntry, "JournalEntry", je.ID, NewPayload(je))
	})
}

// BookRefund posts the entry of refund r of order o (see Refunded) in tx and announces it through rec.
func BookRefund(ctx context.Context, tx *ent.Tx, rec *events.Recorder, o *ent.Order, r *ent.Refund) error {
	e, err := Refunded(ctx, tx, o, r)
	if err != nil {
		return err
	}
	return Book(ctx, tx, rec, e)
}

// Payload is a journal entry as accounting/journal_entry carries it: money as exact decimals.
type Payload struct {
	ID               string        `json:"id"`
	Kind             string        `json:"kind"`
	CurrencyCode     string        `json:"currencyCode"`
	OrderID          *string       `json:"orderId"`
	RefundID         *string       `json:"refundId"`
	PaymentReference string        `json:"paymentReference"`
	Memo             string        `json:"memo"`
	CreatedAt        time.Time     `json:"createdAt"`
	Lines            []LinePayload `json:"lines"`
}

// LinePayload is one line of a Payload.
type LinePayload struct {
	Account     string       `json:"account"`
	AccountCode string       `json:"accountCode"`
	AccountName string       `json:"accountName"`
	Debit       events.Money `json:"debit"`
	Credit      events.Money `json:"credit"`
}

// NewPayload is je, with its lines loaded, as events carry it.
func NewPayload(je *ent.JournalEntry) Payload {
	p := Payload{ID: gid.Encode("JournalEntry", je.ID), Kind: je.Kind, CurrencyCode: je.Currency,
		PaymentReference: je.PaymentReference, Memo: je.Memo, CreatedAt: je.CreatedAt.UTC(), Lines: []LinePayload{}}
	if je.OrderID != nil {
		id := gid.Encode("Order", *je.OrderID)
		p.OrderID = &id
	}
	if je.RefundID != nil {
		id := gid.Encode("Refund", *je.RefundID)
		p.RefundID = &id
	}
	for _, l := range je.Edges.Lines {
		p.Lines = append(p.Lines, LinePayload{Account: l.Account, AccountCode: l.AccountCode, AccountName: l.AccountName,
			Debit: events.MoneyOf(l.Debit, l.Currency), Credit: events.MoneyOf(l.Credit, l.Currency)})
	}
	return p
}
