// Package payments charges buyers through a Provider: authorize, capture, void, refund, and confirm an
// authorization that needed the buyer's action (3-D Secure and the like). Two providers are built in:
// TestGateway, whose outcomes depend on the card number, and Manual, for bank transfers and cash on
// delivery that staff mark as paid.
package payments

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"

	"github.com/emporium/emporium/money"
)

// Status is where a payment stands.
type Status string

// Payment statuses.
const (
	Authorized     Status = "AUTHORIZED"
	Captured       Status = "CAPTURED"
	Pending        Status = "PENDING" // waiting for money that arrives outside Emporium (manual)
	RequiresAction Status = "REQUIRES_ACTION"
	Declined       Status = "DECLINED"
	Failed         Status = "ERROR"
	Voided         Status = "VOIDED"
	Refunded       Status = "REFUNDED"
)

// Request asks to authorize an amount. IdempotencyKey makes retries safe: the same key never charges
// twice.
type Request struct {
	IdempotencyKey string
	Amount         money.Money
	// Source is what the buyer pays with: a card session for gateways.
	Source string
}

// Result is a provider's answer.
type Result struct {
	Status    Status
	Reference string // the provider's ID of the payment
	Message   string
	// ActionURL is where the buyer completes a RequiresAction payment.
	ActionURL string
}

// Provider is a payment service.
type Provider interface {
	Name() string
	Authorize(ctx context.Context, r Request) (Result, error)
	Capture(ctx context.Context, reference string, amount money.Money) (Result, error)
	Void(ctx context.Context, reference string) (Result, error)
	Refund(ctx context.Context, reference string, amount money.Money) (Result, error)
	// Confirm settles an authorization that required the buyer's action.
	Confirm(ctx context.Context, reference string) (Result, error)
	// Lookup tells what the provider did for an idempotency key, so that a completion interrupted by a
	// crash is decided by the provider's own record (authorized, captured, declined…), never by a
	// guess; ErrUnknownPayment when it never saw the key. (Stripe: search PaymentIntents by metadata.)
	Lookup(ctx context.Context, idempotencyKey string) (Result, error)
}

// ErrUnknownPayment is returned for a reference the provider never issued.
var ErrUnknownPayment = errors.New("payments: unknown payment")

// Cards of the test gateway.
const (
	CardSuccess        = "4242424242424242"
	CardDecline        = "4000000000000002"
	CardError          = "4000000000000119"
	CardRequiresAction = "4000002500003155"
	// CardActionThenDecline requires the buyer's action, then is declined when confirmed.
	CardActionThenDecline = "4000008260003178"
)

// TestGateway is a deterministic gateway for development and tests: the card (the payment session ID)
// decides the outcome. It keeps its payments in a store: in memory (NewTestGateway), or in a table of
// the database (NewStoredTestGateway), so that, like a real gateway, it remembers what it did when the
// process that asked dies, and answers the same idempotency key the same way on every replica.
type TestGateway struct {
	store store
}

// NewTestGateway returns an empty test gateway that keeps its payments in memory.
func NewTestGateway() *TestGateway {
	return &TestGateway{store: &memoryStore{byRef: map[string]record{}}}
}

// Name implements Provider.
func (g *TestGateway) Name() string { return "test-gateway" }

// Authorize implements Provider.
func (g *TestGateway) Authorize(ctx context.Context, r Request) (Result, error) {
	if r.IdempotencyKey != "" {
		rec, err := g.store.byKey(ctx, r.IdempotencyKey)
		if err == nil {
			return rec.result(), nil
		}
		if !errors.Is(err, ErrUnknownPayment) {
			return Result{}, err
		}
	}
	rec := record{Key: r.IdempotencyKey, Currency: r.Amount.Currency, Authorized: r.Amount.Amount}
	switch r.Source {
	case CardSuccess:
		rec.Status, rec.Reference = Authorized, newReference()
	case CardRequiresAction, CardActionThenDecline:
		rec.Status, rec.Reference = RequiresAction, newReference()
		rec.ActionURL = "https://test-gateway.invalid/3ds/" + rec.Reference
		rec.DeclineOnConfirm = r.Source == CardActionThenDecline
	case CardDecline:
		rec.Status, rec.Message = Declined, "The card was declined."
	case CardError:
		return Result{}, errors.New("payments: test gateway processing error")
	default:
		rec.Status, rec.Message = Declined, "Unknown test card."
	}
	// A concurrent authorization with the same key may have been kept first: its outcome stands.
	rec, err := g.store.add(ctx, rec)
	if err != nil {
		return Result{}, err
	}
	return rec.result(), nil
}

// Lookup implements Provider.
func (g *TestGateway) Lookup(ctx context.Context, idempotencyKey string) (Result, error) {
	if idempotencyKey == "" {
		return Result{}, ErrUnknownPayment
	}
	rec, err := g.store.byKey(ctx, idempotencyKey)
	if err != nil {
		return Result{}, err
	}
	return rec.result(), nil
}

// change applies fn to the payment ref and keeps the result, again on fresh data if another change of
// the payment came first.
func (g *TestGateway) change(ctx context.Context, ref string, fn func(p *record) Result) (Result, error) {
	for {
		old, err := g.store.byReference(ctx, ref)
		if err != nil {
			return Result{}, err
		}
		next := old
		res := fn(&next)
		if next == old {
			return res, nil
		}
		swapped, err := g.store.swap(ctx, old, next)
		if err != nil {
			return Result{}, err
		}
		if swapped {
			return res, nil
		}
	}
}

// Confirm implements Provider: the buyer completed the action.
func (g *TestGateway) Confirm(ctx context.Context, ref string) (Result, error) {
	return g.change(ctx, ref, func(p *record) Result {
		switch {
		case p.Status == RequiresAction && p.DeclineOnConfirm:
			p.Status = Declined
		case p.Status == RequiresAction:
			p.Status = Authorized
		}
		return Result{Status: p.Status, Reference: ref}
	})
}

// Capture implements Provider.
func (g *TestGateway) Capture(ctx context.Context, ref string, amount money.Money) (Result, error) {
	return g.change(ctx, ref, func(p *record) Result {
		if p.Status != Authorized || amount.Currency != p.Currency || amount.Amount > p.Authorized {
			return Result{Status: p.Status, Reference: ref, Message: "Nothing to capture."}
		}
		p.Status, p.Captured = Captured, amount.Amount
		return Result{Status: Captured, Reference: ref}
	})
}

// Void implements Provider.
func (g *TestGateway) Void(ctx context.Context, ref string) (Result, error) {
	return g.change(ctx, ref, func(p *record) Result {
		if p.Status == Authorized || p.Status == RequiresAction {
			p.Status = Voided
		}
		return Result{Status: p.Status, Reference: ref}
	})
}

// Refund implements Provider.
func (g *TestGateway) Refund(ctx context.Context, ref string, amount money.Money) (Result, error) {
	return g.change(ctx, ref, func(p *record) Result {
		if p.Status != Captured && p.Status != Refunded || amount.Amount <= 0 || p.Refunded+amount.Amount > p.Captured {
			return Result{Status: p.Status, Reference: ref, Message: "Cannot refund more than was captured."}
		}
		p.Refunded += amount.Amount
		p.Status = Refunded
		return Result{Status: Refunded, Reference: ref}
	})
}

// Charges counts authorized payments, for tests that check nothing was charged twice.
func (g *TestGateway) Charges() int {
	n, err := g.store.count(context.Background())
	if err != nil {
		return -1
	}
	return n
}

// Manual is a bank transfer or cash on delivery: authorization is pending until staff mark the order
// paid; nothing is charged through Emporium.
type Manual struct{}

// Name implements Provider.
func (Manual) Name() string { return "manual" }

// Authorize implements Provider. The reference follows from the idempotency key, so a retry names the
// same payment.
func (Manual) Authorize(_ context.Context, r Request) (Result, error) {
	if r.IdempotencyKey == "" {
		return Result{Status: Pending, Reference: "manual-" + newReference()}, nil
	}
	return Result{Status: Pending, Reference: "manual-" + r.IdempotencyKey}, nil
}

// Lookup implements Provider: a manual payment is always waiting for staff.
func (Manual) Lookup(_ context.Context, idempotencyKey string) (Result, error) {
	if idempotencyKey == "" {
		return Result{}, ErrUnknownPayment
	}
	return Result{Status: Pending, Reference: "manual-" + idempotencyKey}, nil
}

// Capture implements Provider: staff have received the money.
func (Manual) Capture(_ context.Context, ref string, _ money.Money) (Result, error) {
	return Result{Status: Captured, Reference: ref}, nil
}

// Void implements Provider.
func (Manual) Void(_ context.Context, ref string) (Result, error) {
	return Result{Status: Voided, Reference: ref}, nil
}

// Refund implements Provider: the shop pays back outside Emporium.
func (Manual) Refund(_ context.Context, ref string, _ money.Money) (Result, error) {
	return Result{Status: Refunded, Reference: ref}, nil
}

// Confirm implements Provider.
func (Manual) Confirm(_ context.Context, ref string) (Result, error) {
	return Result{Status: Pending, Reference: ref}, nil
}

func newReference() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "pay_" + hex.EncodeToString(b)
}
