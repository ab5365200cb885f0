package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/emporium/emporium/money"
)

// StripeConfig connects the Stripe provider.
type StripeConfig struct {
	// SecretKey is the account's secret API key (sk_live_… or sk_test_…).
	SecretKey string
	// APIBase overrides https://api.stripe.com, for stripe-mock in tests and development.
	APIBase string
	// ReturnURL is where Stripe sends the buyer back after a 3-D Secure challenge.
	ReturnURL string
	// CaptureOnFulfilment leaves an authorization uncaptured at completion: the first fulfilment
	// captures it. Otherwise completion captures at once.
	CaptureOnFulfilment bool
	// HTTPClient carries the API calls (a 30 s timeout by default).
	HTTPClient *http.Client
	// PublishableKey (pk_…) is the key storefronts give Stripe.js; it is public.
	PublishableKey string
}

// Stripe charges cards through Stripe PaymentIntents with manual capture: completion authorizes, and the
// capture follows at once or on fulfilment. Card data never reaches Emporium: a buyer's Source is a
// PaymentMethod ID (pm_…) that Stripe.js created on the storefront. Every call carries an idempotency
// key derived from Emporium's own IDs, so a retried call never charges, captures or refunds twice.
type Stripe struct {
	client         *stripe.Client
	returnURL      string
	captureLater   bool
	publishableKey string
}

// StripeName is the Stripe provider's name, as orders record it.
const StripeName = "stripe"

// metaAttempt is the PaymentIntent metadata key holding Emporium's completion attempt.
const metaAttempt = "emporium_attempt"

// NewStripe returns the Stripe provider.
func NewStripe(cfg StripeConfig) *Stripe {
	bc := &stripe.BackendConfig{
		HTTPClient:    cfg.HTTPClient,
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if bc.HTTPClient == nil {
		bc.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.APIBase != "" {
		bc.URL = stripe.String(strings.TrimSuffix(cfg.APIBase, "/"))
	}
	return &Stripe{
		client:       stripe.NewClient(cfg.SecretKey, stripe.WithBackends(stripe.NewBackendsWithConfig(bc))),
		returnURL:    cfg.ReturnURL,
		captureLater: cfg.CaptureOnFulfilment, publishableKey: cfg.PublishableKey,
	}
}

// Name implements Provider.
func (s *Stripe) Name() string { return StripeName }

// PublishableKey is the key storefronts create PaymentMethods with through Stripe.js.
func (s *Stripe) PublishableKey() string { return s.publishableKey }

// CapturesOnFulfilment implements DeferredCapture.
func (s *Stripe) CapturesOnFulfilment() bool { return s.captureLater }

// DeferredCapture is a provider whose authorizations wait for the first fulfilment to be captured.
type DeferredCapture interface {
	CapturesOnFulfilment() bool
}

// CapturesOnFulfilment tells whether p leaves its authorizations for the first fulfilment to capture.
func CapturesOnFulfilment(p Provider) bool {
	d, ok := p.(DeferredCapture)
	return ok && d.CapturesOnFulfilment()
}

type keyCtx struct{}

// WithIdempotencyKey names the provider call made with ctx (a refund: several refunds of one payment
// must not share a key, and orders name each by what was refunded before it), so that a retry of the
// same change is recognised.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, keyCtx{}, key)
}

func keyFrom(ctx context.Context, fallback string) string {
	if k, ok := ctx.Value(keyCtx{}).(string); ok && k != "" {
		return k
	}
	return fallback
}

// Authorize implements Provider: a PaymentIntent confirmed at once with capture_method=manual.
func (s *Stripe) Authorize(ctx context.Context, r Request) (Result, error) {
	if !strings.HasPrefix(r.Source, "pm_") {
		return Result{Status: Declined, Message: "The payment method is not a Stripe PaymentMethod."}, nil
	}
	p := &stripe.PaymentIntentCreateParams{
		Amount:             stripe.Int64(r.Amount.Amount),
		Currency:           stripe.String(strings.ToLower(r.Amount.Currency)),
		PaymentMethod:      stripe.String(r.Source),
		PaymentMethodTypes: []*string{stripe.String("card")},
		CaptureMethod:      stripe.String(string(stripe.PaymentIntentCaptureMethodManual)),
		Confirm:            stripe.Bool(true),
	}
	if s.returnURL != "" {
		p.ReturnURL = stripe.String(s.returnURL)
	}
	if r.IdempotencyKey != "" {
		p.AddMetadata(metaAttempt, r.IdempotencyKey)
		p.SetIdempotencyKey("emporium-authorize-" + r.IdempotencyKey)
	}
	pi, err := s.client.V1PaymentIntents.Create(ctx, p)
	if err != nil {
		return declinedOr(err, "authorize")
	}
	return intentResult(pi), nil
}

// Lookup implements Provider: the PaymentIntent whose metadata names the attempt, by Stripe's search.
func (s *Stripe) Lookup(ctx context.Context, idempotencyKey string) (Result, error) {
	if idempotencyKey == "" || strings.ContainsAny(idempotencyKey, `'\`) {
		return Result{}, ErrUnknownPayment
	}
	p := &stripe.PaymentIntentSearchParams{}
	p.Query = fmt.Sprintf("metadata['%s']:'%s'", metaAttempt, idempotencyKey)
	p.Limit = stripe.Int64(1)
	for pi, err := range s.client.V1PaymentIntents.Search(ctx, p) {
		if err != nil {
			return Result{}, fmt.Errorf("payments: stripe lookup: %w", err)
		}
		return intentResult(pi), nil
	}
	return Result{}, ErrUnknownPayment
}

// Capture implements Provider. Stripe either captures or answers an error, so an answer is a capture.
func (s *Stripe) Capture(ctx context.Context, ref string, amount money.Money) (Result, error) {
	p := &stripe.PaymentIntentCaptureParams{AmountToCapture: stripe.Int64(amount.Amount)}
	p.SetIdempotencyKey(keyFrom(ctx, fmt.Sprintf("emporium-capture-%s-%d", ref, amount.Amount)))
	pi, err := s.client.V1PaymentIntents.Capture(ctx, ref, p)
	if err != nil {
		return refusal(ref, err, "capture")
	}
	return Result{Status: Captured, Reference: pi.ID}, nil
}

// Void implements Provider: the PaymentIntent is cancelled, which releases the authorization.
func (s *Stripe) Void(ctx context.Context, ref string) (Result, error) {
	p := &stripe.PaymentIntentCancelParams{}
	p.SetIdempotencyKey(keyFrom(ctx, "emporium-void-"+ref))
	pi, err := s.client.V1PaymentIntents.Cancel(ctx, ref, p)
	if err != nil {
		return refusal(ref, err, "void")
	}
	return Result{Status: Voided, Reference: pi.ID}, nil
}

// Refund implements Provider: a Refund of the PaymentIntent's charge, whole or in part. The caller names
// the refund with WithIdempotencyKey; without it the key follows from the payment and amount.
func (s *Stripe) Refund(ctx context.Context, ref string, amount money.Money) (Result, error) {
	p := &stripe.RefundCreateParams{PaymentIntent: stripe.String(ref), Amount: stripe.Int64(amount.Amount)}
	p.SetIdempotencyKey(keyFrom(ctx, fmt.Sprintf("emporium-refund-%s-%d", ref, amount.Amount)))
	r, err := s.client.V1Refunds.Create(ctx, p)
	if err != nil {
		return refusal(ref, err, "refund")
	}
	if r.Status == stripe.RefundStatusFailed || r.Status == stripe.RefundStatusCanceled {
		return Result{Status: Captured, Reference: ref, Message: "Stripe did not refund: " + string(r.FailureReason)}, nil
	}
	return Result{Status: Refunded, Reference: ref}, nil
}

// Confirm implements Provider: after the buyer's challenge, the PaymentIntent's own status decides.
func (s *Stripe) Confirm(ctx context.Context, ref string) (Result, error) {
	pi, err := s.client.V1PaymentIntents.Retrieve(ctx, ref, nil)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
			return Result{}, ErrUnknownPayment
		}
		return Result{}, fmt.Errorf("payments: stripe confirm: %w", err)
	}
	return intentResult(pi), nil
}

// intentResult maps a PaymentIntent's status to Emporium's.
func intentResult(pi *stripe.PaymentIntent) Result {
	res := Result{Reference: pi.ID}
	switch pi.Status {
	case stripe.PaymentIntentStatusRequiresCapture:
		res.Status = Authorized
	case stripe.PaymentIntentStatusSucceeded:
		res.Status = Captured
	case stripe.PaymentIntentStatusRequiresAction, stripe.PaymentIntentStatusRequiresConfirmation:
		res.Status = RequiresAction
		if pi.NextAction != nil && pi.NextAction.RedirectToURL != nil {
			res.ActionURL = pi.NextAction.RedirectToURL.URL
		}
	case stripe.PaymentIntentStatusProcessing:
		res.Status = Pending
	case stripe.PaymentIntentStatusCanceled:
		res.Status = Voided
	default: // requires_payment_method: the method failed and the buyer must bring another
		res.Status = Declined
		res.Message = "The card was declined."
		if pi.LastPaymentError != nil && pi.LastPaymentError.Msg != "" {
			res.Message = pi.LastPaymentError.Msg
		}
	}
	return res
}

// declinedOr turns a card error into a decline; any other error is the call's failure.
func declinedOr(err error, op string) (Result, error) {
	var se *stripe.Error
	if errors.As(err, &se) && se.Type == stripe.ErrorTypeCard {
		res := Result{Status: Declined, Message: se.Msg}
		if se.PaymentIntent != nil {
			res.Reference = se.PaymentIntent.ID
		}
		return res, nil
	}
	return Result{}, fmt.Errorf("payments: stripe %s: %w", op, err)
}

// refusal is Stripe's answer to a capture, void or refund it would not do: an invalid request (already
// captured, nothing left to refund) is a refusal with Stripe's message, anything else an error.
func refusal(ref string, err error, op string) (Result, error) {
	var se *stripe.Error
	if errors.As(err, &se) && (se.Type == stripe.ErrorTypeInvalidRequest || se.Type == stripe.ErrorTypeCard) {
		return Result{Reference: ref, Message: se.Msg}, nil
	}
	return Result{}, fmt.Errorf("payments: stripe %s: %w", op, err)
}

// StripeEvent is what a Stripe webhook event tells Emporium (Type is Stripe's event type): that the
// PaymentIntent IntentID moved on (payment_intent.*), that a buyer disputed a payment (Dispute, for
// charge.dispute.created, .updated and .closed), that a payment was refunded in Stripe itself (Refund,
// for charge.refunded), or that Stripe paid the balance out to the shop's bank (Payout, for
// payout.paid and payout.failed). At most one of them is set.
type StripeEvent struct {
	ID, Type, IntentID string
	Dispute            *Dispute
	Refund             *ProviderRefund
	Payout             *Payout
}

// Dispute is a buyer's dispute (chargeback) of a payment, as its provider reports it.
type Dispute struct {
	// ID is the provider's (dp_…); Reference the disputed payment's.
	ID, Reference string
	Amount        money.Money
	Reason        string
	// Status is the provider's word for where the dispute stands (needs_response, under_review, won, lost…).
	Status string
	// Won is true once the dispute is closed in the shop's favour; Closed once it is decided at all.
	Closed, Won bool
}

// ProviderRefund is a provider's report that a payment was refunded: Refunded is everything refunded of
// it so far, whoever asked (the shop through Emporium, or its staff in the provider's own dashboard).
type ProviderRefund struct {
	Reference string
	Refunded  money.Money
}

// Payout is money a provider paid out of the shop's balance to its bank account (or, Failed, a payout
// that came back).
type Payout struct {
	ID      string
	Amount  money.Money
	Arrival time.Time
	Failed  bool
}

// ErrStripeSignature is returned for a webhook body whose Stripe-Signature does not verify.
var ErrStripeSignature = errors.New("payments: the Stripe signature does not verify")

// ParseStripeEvent verifies a Stripe webhook request (its body and Stripe-Signature header) with the
// endpoint's signing secret and returns what it tells Emporium; nothing is set for an event of another
// kind. A signature older than five minutes is refused, as Stripe advises against replays. The event's
// API version may differ from the SDK's: only fields every version has are read.
func ParseStripeEvent(payload []byte, signature, secret string) (StripeEvent, error) {
	e, err := webhook.ConstructEventWithOptions(payload, signature, secret,
		webhook.ConstructEventOptions{IgnoreAPIVersionMismatch: true})
	if err != nil {
		if errors.Is(err, webhook.ErrNotSigned) || errors.Is(err, webhook.ErrInvalidHeader) ||
			errors.Is(err, webhook.ErrNoValidSignature) || errors.Is(err, webhook.ErrTooOld) {
			return StripeEvent{}, ErrStripeSignature
		}
		return StripeEvent{}, fmt.Errorf("payments: stripe event: %w", err)
	}
	out := StripeEvent{ID: e.ID, Type: string(e.Type)}
	if e.Data == nil {
		return out, nil
	}
	switch out.Type {
	case "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed":
		var d stripe.Dispute
		if err := json.Unmarshal(e.Data.Raw, &d); err != nil {
			return out, fmt.Errorf("payments: stripe dispute: %w", err)
		}
		if d.PaymentIntent == nil || d.PaymentIntent.ID == "" || d.Amount <= 0 || d.Currency == "" {
			return out, nil // a dispute of a charge made outside PaymentIntents: not Emporium's
		}
		out.Dispute = &Dispute{ID: d.ID, Reference: d.PaymentIntent.ID, Reason: string(d.Reason), Status: string(d.Status),
			Amount: money.Money{Amount: d.Amount, Currency: strings.ToUpper(string(d.Currency))},
			Closed: out.Type == "charge.dispute.closed", Won: d.Status == stripe.DisputeStatusWon}
	case "charge.refunded":
		var c stripe.Charge
		if err := json.Unmarshal(e.Data.Raw, &c); err != nil {
			return out, fmt.Errorf("payments: stripe charge: %w", err)
		}
		if c.PaymentIntent == nil || c.PaymentIntent.ID == "" || c.AmountRefunded <= 0 || c.Currency == "" {
			return out, nil
		}
		out.Refund = &ProviderRefund{Reference: c.PaymentIntent.ID,
			Refunded: money.Money{Amount: c.AmountRefunded, Currency: strings.ToUpper(string(c.Currency))}}
	case "payout.paid", "payout.failed":
		var p stripe.Payout
		if err := json.Unmarshal(e.Data.Raw, &p); err != nil {
			return out, fmt.Errorf("payments: stripe payout: %w", err)
		}
		if p.ID == "" || p.Amount <= 0 || p.Currency == "" {
			return out, nil
		}
		out.Payout = &Payout{ID: p.ID, Amount: money.Money{Amount: p.Amount, Currency: strings.ToUpper(string(p.Currency))},
			Arrival: time.Unix(p.ArrivalDate, 0).UTC(), Failed: out.Type == "payout.failed"}
	default:
		if strings.HasPrefix(out.Type, "payment_intent.") {
			if id, ok := e.Data.Object["id"].(string); ok && strings.HasPrefix(id, "pi_") {
				out.IntentID = id
			}
		}
	}
	return out, nil
}

// PayoutFees implements FeeReporter: the fees Stripe kept from the transactions payout paid out, in the
// payout's currency (its balance transactions, read page by page; a refund's returned fee counts back).
func (s *Stripe) PayoutFees(ctx context.Context, payout string) (int64, error) {
	p := &stripe.BalanceTransactionListParams{Payout: stripe.String(payout)}
	p.Limit = stripe.Int64(100)
	var fees int64
	for bt, err := range s.client.V1BalanceTransactions.List(ctx, p) {
		if err != nil {
			return 0, fmt.Errorf("payments: stripe payout %s: %w", payout, err)
		}
		if bt.Type != stripe.BalanceTransactionTypePayout {
			fees += bt.Fee
		}
	}
	return fees, nil
}

// FeeReporter is a provider that reports the fees it kept from a payout.
type FeeReporter interface {
	PayoutFees(ctx context.Context, payout string) (int64, error)
}
