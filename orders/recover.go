package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/completionattempt"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/payments"
)

// DefaultSweep is how often a recoverer looks for attempts whose lease ran out.
const DefaultSweep = 5 * time.Second

// sweepBatch bounds the attempts one sweep takes over, so that a backlog is worked off in turns.
const sweepBatch = 100

// Recoverer brings completion attempts that their request abandoned (the process died, or the database
// went away mid-way) to a definite end. An attempt is PROCESSING under a lease; once the lease has run
// out, a recoverer on any replica takes it over with a conditional update that sets a new lease (so two
// replicas never work on one attempt at once), then:
//   - no order: FAILED. The order's transaction claims the cart, takes the stock and links the order
//     to the attempt together, so without an order nothing was taken and the cart is still open.
//   - an order: the payment provider is asked what it did for the attempt (its idempotency key), and
//     the order is settled as the request would have settled it: captured → PAID, authorized → captured
//     then PAID (AUTHORIZED if the capture fails), waiting on 3-D Secure → ACTION_REQUIRED, pending
//     manual payment → SUCCEEDED with the order PENDING; declined, voided or never seen → FAILED, with
//     the stock, the discount uses and the cart given back and the order VOIDED.
//
// Every move out of PROCESSING is conditional on the attempt still being PROCESSING, in the transaction
// of its effects, so when the request and a recoverer race exactly one outcome is recorded.
//
// The sweep is a periodic job on the queue (Schedule): River's elected leader queues one every sweep
// period, so it runs once across all replicas, on whichever fetches it.
type Recoverer struct {
	orders *Service
	every  time.Duration
	log    *slog.Logger
}

// NewRecoverer returns a recoverer that takes over attempts whose lease ran out, every sweep (DefaultSweep
// when not positive), taking leases of lease (DefaultLease when not positive). The orders it settles
// are announced through rec.
func NewRecoverer(client *ent.Client, gateway payments.Provider, log *slog.Logger, lease, sweep time.Duration, rec *events.Recorder) *Recoverer {
	s := New(client, nil, nil, gateway, "", log, rec) // settling needs neither carts nor tax
	s.SetLease(lease)
	if sweep <= 0 {
		sweep = DefaultSweep
	}
	return &Recoverer{orders: s, every: sweep, log: log}
}

// RecoverySweepArgs are the arguments of a recovery sweep job: it has none.
type RecoverySweepArgs struct{}

// Kind names the recovery sweep's worker.
func (RecoverySweepArgs) Kind() string { return "orders.recovery_sweep" }

// recoveryWorker works recovery sweeps.
type recoveryWorker struct {
	jobs.WorkerDefaults[RecoverySweepArgs]
	r *Recoverer
}

func (w *recoveryWorker) Work(ctx context.Context, _ *jobs.Job[RecoverySweepArgs]) error {
	_, err := w.r.Sweep(ctx)
	return err
}

// sweepOpts queue a sweep on the maintenance queue, never retried (the next sweep is the retry), and
// at most one a period, so that two leaders overlapping at a hand-over do not double the sweeps. River
// keys uniqueness by whole seconds at least: a sub-second period (tests) goes without, which only the
// leader's being alone bounds. Two sweeps at once are harmless anyway: each takeover is conditional.
func (r *Recoverer) sweepOpts() *jobs.InsertOpts {
	opts := &jobs.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 1}
	if r.every >= time.Second {
		opts.UniqueOpts = jobs.UniqueOpts{ByPeriod: r.every}
	}
	return opts
}

// Schedule registers the sweep's worker on q and makes it periodic. Call it before q starts.
func (r *Recoverer) Schedule(q *jobs.Queue) error {
	if err := jobs.Register(q, &recoveryWorker{r: r}); err != nil {
		return err
	}
	q.Every(r.every, func() (jobs.Args, *jobs.InsertOpts) { return RecoverySweepArgs{}, r.sweepOpts() })
	return nil
}

// SweepAfterStart queues one sweep for when every lease taken before now has run out (a lease from
// now). A process that starts may follow a crash of the queue's leader, whose leadership River keeps
// for its term (about 15 s) before another process is elected and schedules the periodic sweeps; this
// sweep ends what the crash abandoned within a lease of the restart and the queue's poll, inside the
// lease and a sweep promised before the sweeps moved onto the queue.
func (r *Recoverer) SweepAfterStart(q *jobs.Queue) {
	q.InsertAfter(r.orders.lease, RecoverySweepArgs{}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 1})
}

// Sweep takes over the attempts whose lease ran out and brings each to its end; it returns how many it
// ended. An attempt it cannot end now (the database or the gateway is away) keeps its new lease and is
// tried again when that runs out.
func (r *Recoverer) Sweep(ctx context.Context) (int, error) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	stale := completionattempt.Or(completionattempt.LeaseUntilLT(now),
		// attempts written before leases existed
		completionattempt.And(completionattempt.LeaseUntilIsNil(), completionattempt.CreatedAtLT(now.Add(-r.orders.lease))))
	ids, err := r.orders.client.CompletionAttempt.Query().
		Where(completionattempt.StatusEQ(completionattempt.StatusPROCESSING), stale).Limit(sweepBatch).IDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("orders: find stale attempts: %w", err)
	}
	ended := 0
	var errs []error
	for _, id := range ids {
		n, err := r.orders.client.CompletionAttempt.Update().
			Where(completionattempt.ID(id), completionattempt.StatusEQ(completionattempt.StatusPROCESSING), stale).
			SetLeaseUntil(r.orders.leaseUntil()).Save(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("orders: take over attempt %s: %w", id, err))
			continue
		}
		if n == 0 {
			continue // another replica took it, or its request finished meanwhile
		}
		if err := r.orders.resume(context.WithoutCancel(ctx), id); err != nil {
			errs = append(errs, fmt.Errorf("orders: recover attempt %s: %w", id, err))
			continue
		}
		r.log.InfoContext(ctx, "recovered an abandoned completion", "attempt", id)
		ended++
	}
	return ended, errors.Join(errs...)
}

// resume brings an attempt this process holds the lease of to its end.
func (s *Service) resume(ctx context.Context, attemptID string) error {
	a, err := s.client.CompletionAttempt.Get(ctx, attemptID)
	if err != nil {
		return err
	}
	if a.Status != completionattempt.StatusPROCESSING {
		return nil
	}
	if a.OrderID == nil {
		_, err := s.client.CompletionAttempt.Update().Where(completionattempt.ID(attemptID),
			completionattempt.StatusEQ(completionattempt.StatusPROCESSING), completionattempt.OrderIDIsNil()).
			SetStatus(completionattempt.StatusFAILED).SetErrorCode(CodeError).
			SetErrorMessage("The order could not be completed; submit the cart again.").ClearLeaseUntil().Save(ctx)
		return err
	}
	order, err := s.client.Order.Get(ctx, *a.OrderID)
	if err != nil {
		return fmt.Errorf("order %d: %w", *a.OrderID, err)
	}
	free, err := s.client.Cart.Query().Where(cart.ID(order.CartID), cart.PaymentMethodEQ(cart.PaymentMethodFREE)).Exist(ctx)
	if err != nil {
		return err
	}
	if free {
		return s.settleOrLose(ctx, attemptID, order, "PAID", "", EventPaid, "")
	}
	res, err := s.provider(order).Lookup(ctx, attemptID)
	if errors.Is(err, payments.ErrUnknownPayment) {
		// The gateway never saw this payment: nothing was charged, so the order is undone.
		_, err = s.refuse(ctx, attemptID, completionattempt.StatusPROCESSING, order,
			Problem{CodePaymentError, "The payment could not be processed."})
		return err
	}
	if err != nil {
		return fmt.Errorf("ask the payment provider: %w", err)
	}
	_, err = s.finish(ctx, attemptID, order, res)
	return err
}
