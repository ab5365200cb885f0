package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/payouts"
)

// publishableKey is the public key of a provider that has one (Stripe's, for Stripe.js), or empty.
func publishableKey(p payments.Provider) string {
	if k, ok := p.(interface{ PublishableKey() string }); ok {
		return k.PublishableKey()
	}
	return ""
}

// maxStripeEvent bounds a Stripe webhook body; Stripe's events are a few KiB.
const maxStripeEvent = 256 << 10

// paymentWebhook takes a payment provider's report that a payment waiting on the buyer (3-D Secure) has
// moved on. The report names the payment only; its outcome is asked of the provider, so the endpoint
// needs no secret to be safe.
func paymentWebhook(log *slog.Logger, o *orders.Service, p *payouts.Service, stripeSecret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("provider") == payments.StripeName {
			stripeWebhook(w, r, log, o, p, stripeSecret)
			return
		}
		var body struct {
			Reference string `json:"reference"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Reference == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": `the body must be {"reference": "<payment reference>"}`})
			return
		}
		status, err := o.ConfirmPayment(r.Context(), r.PathValue("provider"), body.Reference)
		switch {
		case errors.Is(err, orders.ErrUnknownPayment):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no order waits on this payment"})
		case err != nil:
			log.ErrorContext(r.Context(), "payment webhook", "provider", r.PathValue("provider"), "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the payment could not be settled"})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": string(status)})
		}
	})
}

// stripeWebhook takes Stripe's own events, signed with the endpoint's secret: a payment_intent event
// settles the order waiting on that intent by asking Stripe for the intent's status, like any report;
// a dispute opened or closed is booked and put on the order's timeline, a refund made in Stripe's
// dashboard (charge.refunded) is recorded as the order's refund, and a payout is recorded and queued for
// booking (the signature vouches for these). Events of other kinds, and payments no order has, are
// acknowledged so that Stripe stops sending them; only a body that does not verify is refused. A
// failure of Emporium's own answers 500, and Stripe delivers the event again later.
func stripeWebhook(w http.ResponseWriter, r *http.Request, log *slog.Logger, o *orders.Service, po *payouts.Service, secret string) {
	if secret == "" {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Stripe webhooks are not configured (EMPORIUM_STRIPE_WEBHOOK_SECRET)"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxStripeEvent))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "the event is too large"})
		return
	}
	e, err := payments.ParseStripeEvent(body, r.Header.Get("Stripe-Signature"), secret)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the event does not verify"})
		return
	}
	answer := func(what, outcome string, err error) {
		switch {
		case errors.Is(err, orders.ErrUnknownPayment), err == nil && outcome == "":
			writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		case err != nil:
			log.ErrorContext(r.Context(), "stripe webhook", "event", e.ID, "type", e.Type, "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the " + what + " could not be recorded"})
		default:
			writeJSON(w, http.StatusOK, map[string]string{"status": outcome})
		}
	}
	switch {
	case e.Refund != nil:
		outcome, err := o.RecordProviderRefund(r.Context(), payments.StripeName, *e.Refund)
		answer("refund", outcome, err)
		return
	case e.Payout != nil:
		outcome, err := po.Receive(r.Context(), payments.StripeName, *e.Payout)
		answer("payout", outcome, err)
		return
	case e.Dispute != nil:
		outcome, err := o.RecordDispute(r.Context(), payments.StripeName, *e.Dispute)
		answer("dispute", outcome, err)
		return
	}
	if e.IntentID == "" {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
		return
	}
	status, err := o.ConfirmPayment(r.Context(), payments.StripeName, e.IntentID)
	switch {
	case errors.Is(err, orders.ErrUnknownPayment):
		writeJSON(w, http.StatusOK, map[string]string{"status": "ignored"})
	case err != nil:
		// Stripe retries a failed delivery for days: the order is settled once Stripe answers again.
		log.ErrorContext(r.Context(), "stripe webhook", "event", e.ID, "type", e.Type, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "the payment could not be settled"})
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": string(status)})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
