// Package payouts books the money a payment provider pays out of the shop's balance to its bank account.
// A provider's report (Stripe's payout.paid and payout.failed events) is recorded as a Payout row in
// one transaction with the job that books it; the job asks the provider for the fees it kept from the
// transactions paid out (a network call, so never on the report's request) and posts the payout to the
// journal, with its payouts/paid event, exactly once however often the report or the job runs: the
// posting is conditional on the row's booked flag, in the posting's transaction. A payout that comes
// back (payout.failed) reverses the bank line once, with payouts/failed.
package payouts

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/payout"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/payments"
)

// Outcomes of Receive.
const (
	Queued  = "queued"  // the payout's booking (or its reversal) is queued
	Ignored = "ignored" // a report seen before, or of another provider
)

// Service records payouts and books them.
type Service struct {
	client   *ent.Client
	queue    *jobs.Queue
	events   *events.Recorder
	provider payments.Provider
	log      *slog.Logger
}

// New returns the payouts of provider; Register its worker on the queue before it starts.
func New(client *ent.Client, queue *jobs.Queue, rec *events.Recorder, provider payments.Provider, log *slog.Logger) *Service {
	return &Service{client: client, queue: queue, events: rec, provider: provider, log: log}
}

// Register adds the booking worker to q.
func (s *Service) Register(q *jobs.Queue) error {
	return jobs.Register(q, &worker{s: s})
}

// BookArgs are a booking job's: the payout, and the status it was queued for (so that the job of a
// payout's failure is not taken for the job of its payment).
type BookArgs struct {
	PayoutID int    `json:"payoutId"`
	Status   string `json:"status"`
}

// Kind names the booking worker.
func (BookArgs) Kind() string { return "payouts.book" }

// Receive records provider's report of payout p and queues its booking, in one transaction. A report of
// a payout already recorded changes nothing, unless it reports a paid payout failed.
func (s *Service) Receive(ctx context.Context, provider string, p payments.Payout) (string, error) {
	if s == nil || s.provider == nil || provider != s.provider.Name() || p.ID == "" || p.Amount.Amount <= 0 {
		return Ignored, nil
	}
	status := payout.StatusPAID
	if p.Failed {
		status = payout.StatusFAILED
	}
	outcome := Ignored
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		outcome = Ignored
		cur, err := tx.Payout.Query().Where(payout.Provider(provider), payout.ProviderID(p.ID)).Only(ctx)
		var id int
		switch {
		case ent.IsNotFound(err):
			row, err := tx.Payout.Create().SetProvider(provider).SetProviderID(p.ID).SetAmount(p.Amount.Amount).
				SetCurrency(strings.ToUpper(p.Amount.Currency)).SetStatus(status).SetArrivalDate(p.Arrival).Save(ctx)
			if err != nil {
				return err
			}
			id = row.ID
		case err != nil:
			return err
		case cur.Status == payout.StatusPAID && status == payout.StatusFAILED:
			if err := tx.Payout.UpdateOneID(cur.ID).SetStatus(status).Exec(ctx); err != nil {
				return err
			}
			id = cur.ID
		default:
			return nil
		}
		outcome = Queued
		return s.queue.InsertTx(ctx, tx, BookArgs{PayoutID: id, Status: string(status)}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance})
	})
	if ent.IsConstraintError(err) {
		return Ignored, nil // the same report, recorded by a concurrent delivery
	}
	if err != nil {
		return "", fmt.Errorf("payouts: receive %s: %w", p.ID, err)
	}
	return outcome, nil
}

type worker struct {
	jobs.WorkerDefaults[BookArgs]
	s *Service
}

// Timeout bounds a booking: the provider's fee listing is paged, a few calls at most.
func (w *worker) Timeout(*jobs.Job[BookArgs]) time.Duration { return 2 * time.Minute }

func (w *worker) Work(ctx context.Context, job *jobs.Job[BookArgs]) error {
	return w.s.book(ctx, job.Args.PayoutID)
}

// book posts payout id as it now stands: paid and not booked, it is booked with its fees; failed and
// not reversed, its booking (if any) is reversed. Each posting is conditional on the flag it sets.
func (s *Service) book(ctx context.Context, id int) error {
	p, err := s.client.Payout.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("payouts: book %d: %w", id, err)
	}
	switch {
	case p.Status == payout.StatusPAID && !p.Booked:
		var fees int64
		if fr, ok := s.provider.(payments.FeeReporter); ok {
			if fees, err = fr.PayoutFees(ctx, p.ProviderID); err != nil {
				return err // retried with River's backoff
			}
		}
		return database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			n, err := tx.Payout.Update().Where(payout.ID(id), payout.StatusEQ(payout.StatusPAID), payout.Booked(false)).
				SetBooked(true).SetFees(fees).Save(ctx)
			if err != nil || n == 0 {
				return err // n == 0: booked meanwhile, or failed before it was
			}
			p.Booked, p.Fees = true, fees
			if err := journal.Book(ctx, tx, s.events, journal.PaidOut(p.Currency, p.Amount, fees, p.ProviderID)); err != nil {
				return err
			}
			return s.events.Record(ctx, tx, events.PayoutsPaid, "Payout", id, NewPayload(p))
		})
	case p.Status == payout.StatusFAILED && !p.Reversed:
		return database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			cur, err := tx.Payout.Get(ctx, id)
			if err != nil {
				return err
			}
			n, err := tx.Payout.Update().Where(payout.ID(id), payout.Reversed(false)).SetReversed(true).Save(ctx)
			if err != nil || n == 0 {
				return err
			}
			if cur.Booked {
				if err := journal.Book(ctx, tx, s.events, journal.PayoutFailed(cur.Currency, cur.Amount, cur.ProviderID)); err != nil {
					return err
				}
			}
			cur.Reversed = true
			return s.events.Record(ctx, tx, events.PayoutsFailed, "Payout", id, NewPayload(cur))
		})
	}
	return nil
}

// Payload is a payout as payouts/paid and payouts/failed carry it.
type Payload struct {
	ID          string       `json:"id"`
	Provider    string       `json:"provider"`
	ProviderID  string       `json:"providerId"`
	Status      string       `json:"status"`
	Amount      events.Money `json:"amount"`
	Fees        events.Money `json:"fees"`
	ArrivalDate time.Time    `json:"arrivalDate"`
	CreatedAt   time.Time    `json:"createdAt"`
}

// NewPayload is p as its events carry it.
func NewPayload(p *ent.Payout) Payload {
	return Payload{ID: gid.Encode("Payout", p.ID), Provider: p.Provider, ProviderID: p.ProviderID, Status: string(p.Status),
		Amount: events.MoneyOf(p.Amount, p.Currency), Fees: events.MoneyOf(p.Fees, p.Currency),
		ArrivalDate: p.ArrivalDate.UTC(), CreatedAt: p.CreatedAt.UTC()}
}
