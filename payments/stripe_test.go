package payments_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/internal/stripemock"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/payments"
)

// keyRecorder keeps the Idempotency-Key of every call the SDK makes, and its method and path.
type keyRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (k *keyRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	k.calls = append(k.calls, r.Method+" "+r.URL.Path+" "+r.Header.Get("Idempotency-Key"))
	k.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (k *keyRecorder) last() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.calls[len(k.calls)-1]
}

func newStripe(t *testing.T, base string) (*payments.Stripe, *keyRecorder) {
	rec := &keyRecorder{}
	return payments.NewStripe(payments.StripeConfig{SecretKey: "sk_test_123", APIBase: base,
		ReturnURL: "https://shop.example/checkout/return", HTTPClient: &http.Client{Transport: rec}}), rec
}

// TestStripeAgainstStripeMock runs the provider against Stripe's own mock server, which rejects any
// parameter Stripe's API does not take: so every call below is one Stripe would accept. stripe-mock
// answers with fixed fixtures, so each outcome of a PaymentIntent runs on a server whose fixture has that
// status.
func TestStripeAgainstStripeMock(t *testing.T) {
	ctx := context.Background()
	eur := func(n int64) money.Money { return money.Money{Amount: n, Currency: "EUR"} }

	t.Run("authorized, then captured, voided, refunded", func(t *testing.T) {
		s, rec := newStripe(t, stripemock.Start(t, stripemock.Intent(stripemock.RequiresCapture())))
		res, err := s.Authorize(ctx, payments.Request{IdempotencyKey: "attempt-1", Amount: eur(4990), Source: "pm_card_visa"})
		if err != nil || res.Status != payments.Authorized || !strings.HasPrefix(res.Reference, "pi_") {
			t.Fatalf("authorize: %+v, %v", res, err)
		}
		if got := rec.last(); got != "POST /v1/payment_intents emporium-authorize-attempt-1" {
			t.Errorf("authorize call: %q", got)
		}
		ref := res.Reference

		// stripe-mock gives a created object a fresh ID but answers a search with the fixture's.
		looked, err := s.Lookup(ctx, "attempt-1")
		if err != nil || looked.Status != payments.Authorized || !strings.HasPrefix(looked.Reference, "pi_") {
			t.Errorf("lookup: %+v, %v", looked, err)
		}
		if got := rec.last(); !strings.HasPrefix(got, "GET /v1/payment_intents/search") {
			t.Errorf("lookup call: %q", got)
		}
		if res, err := s.Lookup(ctx, `it's`); err != payments.ErrUnknownPayment {
			t.Errorf("lookup of a key that cannot be searched: %+v, %v", res, err)
		}

		confirmed, err := s.Confirm(ctx, ref)
		if err != nil || confirmed.Status != payments.Authorized {
			t.Errorf("confirm: %+v, %v", confirmed, err)
		}

		captured, err := s.Capture(ctx, ref, eur(4990))
		if err != nil || captured.Status != payments.Captured || captured.Reference != ref {
			t.Errorf("capture: %+v, %v", captured, err)
		}
		if got := rec.last(); got != "POST /v1/payment_intents/"+ref+"/capture emporium-capture-"+ref+"-4990" {
			t.Errorf("capture call: %q", got)
		}

		refunded, err := s.Refund(payments.WithIdempotencyKey(ctx, "emporium-refund-r1"), ref, eur(1000))
		if err != nil || refunded.Status != payments.Refunded {
			t.Errorf("refund: %+v, %v", refunded, err)
		}
		if got := rec.last(); got != "POST /v1/refunds emporium-refund-r1" {
			t.Errorf("refund call: %q", got)
		}

		voided, err := s.Void(ctx, ref)
		if err != nil || voided.Status != payments.Voided {
			t.Errorf("void: %+v, %v", voided, err)
		}
		if got := rec.last(); got != "POST /v1/payment_intents/"+ref+"/cancel emporium-void-"+ref {
			t.Errorf("void call: %q", got)
		}
	})

	t.Run("a payout's fees", func(t *testing.T) {
		// stripe-mock lists one balance transaction: a charge of 10.00 of which Stripe kept 0.59.
		s, rec := newStripe(t, stripemock.Start(t, stripemock.Set("balance_transaction", map[string]any{"amount": 1000, "fee": 59, "net": 941})))
		fees, err := s.PayoutFees(ctx, "po_123")
		if err != nil || fees != 59 {
			t.Fatalf("fees: %d, %v", fees, err)
		}
		if got := rec.last(); got != "GET /v1/balance_transactions " {
			t.Errorf("call: %q", got)
		}
		// A balance transaction of the payout itself is no fee of it.
		s, _ = newStripe(t, stripemock.Start(t, stripemock.Set("balance_transaction", map[string]any{"type": "payout", "amount": -941, "fee": 25, "net": -966})))
		if fees, err := s.PayoutFees(ctx, "po_123"); err != nil || fees != 0 {
			t.Errorf("the payout's own transaction: %d, %v", fees, err)
		}
	})

	t.Run("3-D Secure", func(t *testing.T) {
		const challenge = "https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=pi_1"
		s, _ := newStripe(t, stripemock.Start(t, stripemock.Intent(map[string]any{
			"status": "requires_action", "capture_method": "manual", "last_payment_error": nil,
			"next_action": map[string]any{"type": "redirect_to_url",
				"redirect_to_url": map[string]any{"url": challenge, "return_url": "https://shop.example/checkout/return"}}})))
		res, err := s.Authorize(ctx, payments.Request{IdempotencyKey: "attempt-2", Amount: eur(12000), Source: "pm_card_threeDSecure2Required"})
		if err != nil || res.Status != payments.RequiresAction || res.ActionURL != challenge {
			t.Fatalf("authorize: %+v, %v", res, err)
		}
	})

	t.Run("declined", func(t *testing.T) {
		// The bundled fixture's PaymentIntent requires a payment method: the card did not go through.
		s, rec := newStripe(t, stripemock.Start(t, nil))
		res, err := s.Authorize(ctx, payments.Request{IdempotencyKey: "attempt-3", Amount: eur(500), Source: "pm_card_chargeDeclined"})
		if err != nil || res.Status != payments.Declined || res.Message == "" {
			t.Fatalf("authorize: %+v, %v", res, err)
		}
		// A source that is not a PaymentMethod never reaches Stripe: raw card numbers have no place here.
		n := len(rec.calls)
		res, err = s.Authorize(ctx, payments.Request{IdempotencyKey: "attempt-4", Amount: eur(500), Source: "4242424242424242"})
		if err != nil || res.Status != payments.Declined || len(rec.calls) != n {
			t.Fatalf("a card number as source: %+v, %v, calls %v", res, err, rec.calls[n:])
		}
	})

}
