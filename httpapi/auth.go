package httpapi

import (
	"cmp"
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/emporium/emporium/apikeys"
	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/storefronttokens"
)

// authenticate resolves the request's credentials to the viewer it acts as: an API key (Bearer emp_… or
// X-API-Key), a staff token (admin audience) or a customer token (storefront audience). No credentials
// means anonymous; credentials that do not verify are refused with 401 rather than silently ignored.
// A storefront access token (storefrontToken) names a storefront, not a person, and is checked beside them.
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
		ctx, refusal := authenticateHeaders(ctx, cfg, r.Header)
		if refusal != nil {
			if refusal.status == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			writeJSONError(w, refusal.status, refusal.code, refusal.message)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// authenticateHeaders returns ctx with the viewer and the storefront token that the headers h name,
// or why they are refused. Live subscriptions over WebSocket pass their connection_init payload here
// as headers, since browsers cannot set headers on a WebSocket.
func authenticateHeaders(ctx context.Context, cfg Config, h http.Header) (context.Context, *requestError) {
	ctx, refusal := storefrontToken(ctx, cfg, h)
	if refusal != nil {
		return ctx, refusal
	}
	secret := h.Get("X-API-Key")
	bearer, hasBearer := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
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
		return ctx, &requestError{status: http.StatusUnauthorized, code: "UNAUTHENTICATED", message: "invalid or revoked credentials"}
	case err != nil:
		cfg.Log.ErrorContext(ctx, "authentication failed", "err", err)
		return ctx, &requestError{status: http.StatusInternalServerError, code: "INTERNAL_SERVER_ERROR", message: "internal server error"}
	}
	return auth.WithViewer(ctx, viewer), nil
}

// Headers of storefront access tokens, as Shopify's Storefront API names them.
const (
	headerPublicToken  = "X-Shopify-Storefront-Access-Token"
	headerPrivateToken = "Shopify-Storefront-Private-Token"
	headerBuyerIP      = "Shopify-Storefront-Buyer-IP"
)

// storefrontToken checks the request's storefront access token and returns a context that carries it:
// a private token (Shopify-Storefront-Private-Token, sent by a storefront's server) may name the buyer's
// address in Shopify-Storefront-Buyer-IP, which then stands for the client's address (its rate-limit
// bucket, its login throttles). The header is ignored without a valid private token, and an address
// that does not parse is refused with 400, so that a misconfigured server does not put every buyer in
// one bucket unnoticed. An unknown or deleted token is refused with 401, except a public token
// while the shop has no storefront token at all: storefronts set up for development, or for Shopify,
// send one that means nothing here, and keep working as anonymous callers.
func storefrontToken(ctx context.Context, cfg Config, h http.Header) (context.Context, *requestError) {
	secret, private := h.Get(headerPrivateToken), true
	if secret == "" {
		secret, private = h.Get(headerPublicToken), false
	}
	if secret == "" || cfg.StorefrontTokens == nil {
		return ctx, nil
	}
	t, err := cfg.StorefrontTokens.Authenticate(ctx, secret, private)
	if errors.Is(err, storefronttokens.ErrInvalidToken) && !private {
		var exists bool
		if exists, err = cfg.StorefrontTokens.Any(ctx); err == nil && !exists {
			return ctx, nil
		}
		err = cmp.Or(err, storefronttokens.ErrInvalidToken)
	}
	switch {
	case errors.Is(err, storefronttokens.ErrInvalidToken):
		return ctx, &requestError{status: http.StatusUnauthorized, code: "UNAUTHENTICATED", message: "invalid or deleted storefront access token"}
	case err != nil:
		// The database did not answer: the caller may retry, as after any outage.
		cfg.Log.ErrorContext(ctx, "storefront token check failed", "err", err)
		return ctx, &requestError{status: http.StatusServiceUnavailable, code: "SERVICE_UNAVAILABLE",
			message: "the storefront access token could not be checked; try again"}
	}
	ctx = auth.WithStorefrontToken(ctx, t)
	if buyer := h.Get(headerBuyerIP); private && buyer != "" {
		addr, err := netip.ParseAddr(strings.TrimSpace(buyer))
		if err != nil {
			return ctx, badRequest("%s must be an IPv4 or IPv6 address", headerBuyerIP)
		}
		ctx = auth.WithClientAddr(ctx, addr.Unmap().String())
	}
	return ctx, nil
}

func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="emporium"`)
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(`{"errors":[{"message":"` + message + `","extensions":{"code":"` + code + `"}}]}`))
}
