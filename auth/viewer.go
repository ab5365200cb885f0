package auth

import (
	"context"
	"slices"
	"strings"
)

// Kind is what sort of caller a request comes from.
type Kind int

// The kinds of callers.
const (
	Anonymous Kind = iota
	Customer
	Staff
	APIKey
)

// Viewer is who a request acts as.
type Viewer struct {
	Kind Kind
	// ID is the customer's, staff member's or API key's ID.
	ID int
	// Session is the login session of a customer or staff token.
	Session string
	// Permissions are a staff member's or API key's grants.
	Permissions []string
}

type viewerKey struct{}

// WithViewer returns a context acting as v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the request's viewer; anonymous when none was set.
func ViewerFrom(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}

// Can reports whether the viewer holds permission. MANAGE_X includes READ_X.
func (v Viewer) Can(permission string) bool {
	if v.Kind != Staff && v.Kind != APIKey {
		return false
	}
	if slices.Contains(v.Permissions, permission) {
		return true
	}
	if rest, ok := strings.CutPrefix(permission, "READ_"); ok {
		return slices.Contains(v.Permissions, "MANAGE_"+rest)
	}
	return false
}

type clientAddrKey struct{}

// WithClientAddr records the caller's network address, for throttling.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// ClientAddr is the caller's network address, or "".
func ClientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientAddrKey{}).(string)
	return a
}

// StorefrontToken is the storefront access token a request came with. It names a storefront, not a
// person: the request's viewer stays whoever else it authenticates as (anonymous, or a customer).
type StorefrontToken struct {
	ID int
	// Private tokens belong to a storefront's server, which may name its buyer's address.
	Private bool
}

type storefrontTokenKey struct{}

// WithStorefrontToken returns a context of a request that came with t.
func WithStorefrontToken(ctx context.Context, t StorefrontToken) context.Context {
	return context.WithValue(ctx, storefrontTokenKey{}, t)
}

// StorefrontTokenFrom returns the request's storefront access token, if it came with one.
func StorefrontTokenFrom(ctx context.Context) (StorefrontToken, bool) {
	t, ok := ctx.Value(storefrontTokenKey{}).(StorefrontToken)
	return t, ok
}
