package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/emporium/emporium/orders"
)

// paymentWebhook takes a payment provider's report that a payment waiting on the buyer (3-D Secure) has
// moved on. The report names the payment only; its outcome is asked of the provider, so the endpoint
// needs no secret to be safe.
func paymentWebhook(log *slog.Logger, o *orders.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
