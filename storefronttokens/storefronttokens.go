// Package storefronttokens lets staff give storefronts access tokens, as Shopify's Storefront API has
// them. A public token (X-Shopify-Storefront-Access-Token) is meant for browsers and apps, which show
// it to anyone: it may be listed again. A private token (Shopify-Storefront-Private-Token) is meant for
// a storefront's server, which may then name its buyer's address (Shopify-Storefront-Buyer-IP) so that
// each buyer gets a bucket of their own: it is shown once. Both are found by their hash, like API keys;
// deleting a token refuses its very next request.
package storefronttokens

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/storefrontaccesstoken"
	"github.com/emporium/emporium/validation"
)

// ErrInvalidToken is returned for a token that is unknown or deleted, or sent in the other kind's header.
var ErrInvalidToken = errors.New("invalid storefront access token")

// Prefixes of the tokens, so that leaked ones are recognisable by secret scanners and a token sent in
// the wrong header is refused before any lookup.
const (
	PublicPrefix  = "empsf_"
	PrivatePrefix = "empsfp_"
)

// Scope is a permission a storefront token holds.
type Scope struct{ Handle, Description string }

// AccessScopes are what every storefront token may do: the Storefront API's unauthenticated scopes that
// Emporium serves. Tokens do not narrow them (Shopify's apps choose theirs; a token here is for a whole
// storefront).
var AccessScopes = []Scope{
	{"unauthenticated_read_product_listings", "Read products, variants and collections"},
	{"unauthenticated_read_product_inventory", "Read the availability of products"},
	{"unauthenticated_read_product_tags", "Read product tags"},
	{"unauthenticated_read_collection_listings", "Read collections"},
	{"unauthenticated_read_content", "Read pages and menus"},
	{"unauthenticated_write_checkouts", "Create and change carts"},
	{"unauthenticated_read_checkouts", "Read carts"},
	{"unauthenticated_write_customers", "Create customers and sign them in"},
	{"unauthenticated_read_customers", "Read the signed-in customer"},
}

// Service manages storefront access tokens.
type Service struct {
	client *ent.Client
	now    func() time.Time
	// noneUntil is when the shop was last seen without tokens, plus noneFor (Unix nanoseconds; 0: not
	// known). Storefronts set up for Shopify send a public token header with every request: without
	// this, each of them would cost two look-ups even when the answer comes from the response cache.
	noneUntil atomic.Int64
}

// noneFor is how long "the shop has no storefront token" is believed. Believing it a little too long
// after another replica made the first token only lets an unknown public token pass as anonymous, which
// is what the caller would be without it; a token is never trusted from memory.
const noneFor = 5 * time.Second

// New returns the storefront access token service.
func New(client *ent.Client) *Service { return &Service{client: client, now: time.Now} }

// CreateInput is a new token.
type CreateInput struct {
	Title   string
	Private bool
}

// Create makes a token and returns it with its secret: for a private token, the only time it is shown.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.StorefrontAccessToken, string, validation.Errors, error) {
	var errs validation.Errors
	title := errs.Text("input.title", in.Title, 255)
	if title == "" {
		errs.Add("input.title", validation.Blank, "Title can't be blank")
	}
	if errs.Any() {
		return nil, "", errs, nil
	}
	prefix := PublicPrefix
	if in.Private {
		prefix = PrivatePrefix
	}
	secret, err := auth.NewSecret(prefix)
	if err != nil {
		return nil, "", nil, err
	}
	create := s.client.StorefrontAccessToken.Create().SetTitle(title).SetPrivate(in.Private).
		SetTokenHash(auth.HashSecret(secret)).SetPrefix(secret[:len(prefix)+6])
	if !in.Private {
		create.SetAccessToken(secret)
	}
	t, err := create.Save(ctx)
	if err != nil {
		return nil, "", nil, fmt.Errorf("storefronttokens: create: %w", err)
	}
	s.noneUntil.Store(0)
	// The payload of the creation shows a private token's secret, this once; it is not stored.
	t.AccessToken = &secret
	return t, secret, nil, nil
}

// Delete ends a token at once.
func (s *Service) Delete(ctx context.Context, id int) (validation.Errors, error) {
	// One row by its ID, so that the audit log names the token.
	err := s.client.StorefrontAccessToken.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return validation.Errors{{Field: []string{"input", "id"}, Message: "No storefront access token has this ID", Code: validation.NotFound}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("storefronttokens: delete: %w", err)
	}
	return nil, nil
}

// Authenticate resolves a token sent in the header of its kind (private or public) to the token.
func (s *Service) Authenticate(ctx context.Context, secret string, private bool) (auth.StorefrontToken, error) {
	prefix := PublicPrefix
	if private {
		prefix = PrivatePrefix
	}
	if !strings.HasPrefix(secret, prefix) {
		return auth.StorefrontToken{}, ErrInvalidToken
	}
	t, err := s.client.StorefrontAccessToken.Query().Where(storefrontaccesstoken.TokenHash(auth.HashSecret(secret))).
		Select(storefrontaccesstoken.FieldPrivate).Only(ctx)
	if ent.IsNotFound(err) {
		return auth.StorefrontToken{}, ErrInvalidToken
	}
	if err != nil {
		return auth.StorefrontToken{}, fmt.Errorf("storefronttokens: authenticate: %w", err)
	}
	if t.Private != private {
		return auth.StorefrontToken{}, ErrInvalidToken
	}
	return auth.StorefrontToken{ID: t.ID, Private: t.Private}, nil
}

// Any reports whether the shop has any storefront token. Until it has one, a storefront's public token
// header is not checked: storefronts set up for development (or for Shopify) keep working unchanged.
func (s *Service) Any(ctx context.Context) (bool, error) {
	now := s.now().UnixNano()
	if now < s.noneUntil.Load() {
		return false, nil
	}
	ok, err := s.client.StorefrontAccessToken.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("storefronttokens: %w", err)
	}
	if !ok {
		s.noneUntil.Store(now + int64(noneFor))
	}
	return ok, nil
}
