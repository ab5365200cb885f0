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
	"fmt"
	"sync"

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
// decides the outcome. It keeps payments in memory.
type TestGateway struct {
	mu       sync.Mutex
	byKey    map[string]Result
	payments map[string]*payment
}

type payment struct {
	declineOnConfirm   bool
	status             Status
	authorized         money.Money
	captured, refunded int64
}

// NewTestGateway returns an empty test gateway.
func NewTestGateway() *TestGateway {
	return &TestGateway{byKey: map[string]Result{}, payments: map[string]*payment{}}
}

// Name implements Provider.
func (g *TestGateway) Name() string { return "test-gateway" }

// Authorize implements Provider.
func (g *TestGateway) Authorize(_ context.Context, r Request) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if res, ok := g.byKey[r.IdempotencyKey]; ok && r.IdempotencyKey != "" {
		return res, nil
	}
	var res Result
	switch r.Source {
	case CardSuccess:
		res = Result{Status: Authorized, Reference: newReference()}
	case CardRequiresAction, CardActionThenDecline:
		ref := newReference()
		res = Result{Status: RequiresAction, Reference: ref, ActionURL: "https://test-gateway.invalid/3ds/" + ref}
	case CardDecline:
		res = Result{Status: Declined, Message: "The card was declined."}
	case CardError:
		return Result{}, errors.New("payments: test gateway processing error")
	default:
		res = Result{Status: Declined, Message: "Unknown test card."}
	}
	if res.Reference != "" {
		g.payments[res.Reference] = &payment{status: res.Status, authorized: r.Amount, declineOnConfirm: r.Source == CardActionThenDecline}
	}
	if r.IdempotencyKey != "" {
		g.byKey[r.IdempotencyKey] = res
	}
	return res, nil
}

func (g *TestGateway) find(ref string) (*payment, error) {
	p, ok := g.payments[ref]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrUnknownPayment, ref)
	}
	return p, nil
}

// Confirm implements Provider: the buyer completed the action.
func (g *TestGateway) Confirm(_ context.Context, ref string) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := g.find(ref)
	if err != nil {
		return Result{}, err
	}
	switch {
	case p.status == RequiresAction && p.declineOnConfirm:
		p.status = Declined
	case p.status == RequiresAction:
		p.status = Authorized
	}
	return Result{Status: p.status, Reference: ref}, nil
}

// Capture implements Provider.
func (g *TestGateway) Capture(_ context.Context, ref string, amount money.Money) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := g.find(ref)
	if err != nil {
		return Result{}, err
	}
	if p.status != Authorized || amount.Currency != p.authorized.Currency || amount.Amount > p.authorized.Amount {
		return Result{Status: p.status, Reference: ref, Message: "Nothing to capture."}, nil
	}
	p.status, p.captured = Captured, amount.Amount
	return Result{Status: Captured, Reference: ref}, nil
}

// Void implements Provider.
func (g *TestGateway) Void(_ context.Context, ref string) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := g.find(ref)
	if err != nil {
		return Result{}, err
	}
	if p.status == Authorized || p.status == RequiresAction {
		p.status = Voided
	}
	return Result{Status: p.status, Reference: ref}, nil
}

// Refund implements Provider.
func (g *TestGateway) Refund(_ context.Context, ref string, amount money.Money) (Result, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	p, err := g.find(ref)
	if err != nil {
		return Result{}, err
	}
	if p.status != Captured && p.status != Refunded || amount.Amount <= 0 || p.refunded+amount.Amount > p.captured {
		return Result{Status: p.status, Reference: ref, Message: "Cannot refund more than was captured."}, nil
	}
	p.refunded += amount.Amount
	p.status = Refunded
	return Result{Status: Refunded, Reference: ref}, nil
}

// Charges counts authorized payments, for tests that check nothing was charged twice.
func (g *TestGateway) Charges() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.payments)
}

// Manual is a bank transfer or cash on delivery: authorization is pending until staff mark the order
// paid; nothing is charged through Emporium.
type Manual struct{}

// Name implements Provider.
func (Manual) Name() string { return "manual" }

// Authorize implements Provider.
func (Manual) Authorize(_ context.Context, _ Request) (Result, error) {
	return Result{Status: Pending, Reference: "manual-" + newReference()}, nil
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
