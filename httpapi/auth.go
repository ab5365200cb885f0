package httpapi

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/emporium/emporium/apikeys"
	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/staff"
)

// authenticate resolves the request's credentials to the viewer it acts as: an API key (Bearer emp_… or
// X-API-Key), a staff token (admin audience) or a customer token (storefront audience). No credentials
// means anonymous; credentials that do not verify are refused with 401 rather than silently ignored.
// Shopify's public X-Shopify-Storefront-Access-Token identifies a storefront, not a person, and is
// accepted without effect.
func authenticate(cfg Config, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			// Its bearer token is the metrics token (RequireToken), not a viewer's credential.
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			ctx = auth.WithClientAddr(ctx, host)
		}
		secret := r.Header.Get("X-API-Key")
		bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if secret == "" && hasBearer && strings.HasPrefix(bearer, auth.APIKeyPrefix) {
			secret, hasBearer = bearer, false
		}
		var (
			viewer auth.Viewer
			err    error
		)
		switch {
		case secret != "":
			viewer, err = cfg.APIKeys.Authenticate(ctx, secret)
		case hasBearer && auth.AudienceOf(bearer) == auth.Admin:
			viewer, err = cfg.Staff.Authenticate(ctx, bearer)
		case hasBearer:
			c, sid, cerr := cfg.Customers.Authenticate(ctx, bearer)
			if err = cerr; err == nil {
				viewer = auth.Viewer{Kind: auth.Customer, ID: c.ID, Session: sid}
			}
		}
		switch {
		case errors.Is(err, apikeys.ErrInvalidKey), errors.Is(err, staff.ErrInvalidToken), errors.Is(err, customers.ErrInvalidToken):
			writeJSONError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "invalid or revoked credentials")
			return
		case err != nil:
			cfg.Log.ErrorContext(ctx, "authentication failed", "err", err)
			writeJSONError(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "internal server error")
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithViewer(ctx, viewer)))
	})
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="emporium"`)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"errors":[{"message":"` + message + `","extensions":{"code":"` + code + `"}}]}`))
}
