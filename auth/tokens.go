package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Audience says which API a token is for; a storefront token never opens admin fields.
type Audience string

// The audiences.
const (
	Storefront Audience = "storefront"
	Admin      Audience = "admin"
)

// ErrInvalidToken is returned for any token that does not verify; the reason is wrapped for logs only.
var ErrInvalidToken = errors.New("invalid access token")

// Claims are an access token's contents.
type Claims struct {
	jwt.RegisteredClaims
	// Session is the login session the token belongs to; revoking the session revokes the token.
	Session string `json:"sid"`
	// Version is the account's token version when the token was issued; a password change bumps it.
	Version int `json:"ver"`
}

// Tokens issues and verifies access tokens.
type Tokens struct {
	keys   *Keyring
	issuer string
	now    func() time.Time
}

// leeway tolerates clock skew between replicas and other verifiers.
const leeway = 30 * time.Second

// NewTokens returns a token service signing with keys as issuer.
func NewTokens(keys *Keyring, issuer string) *Tokens {
	return &Tokens{keys: keys, issuer: issuer, now: time.Now}
}

// Keys returns the keyring, for the JWK set.
func (t *Tokens) Keys() *Keyring { return t.keys }

// Issue signs a token for subject, valid for ttl.
func (t *Tokens) Issue(subject string, aud Audience, session string, version int, ttl time.Duration) (string, time.Time, error) {
	now := t.now().UTC().Truncate(time.Second)
	exp := now.Add(ttl)
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   subject,
			Audience:  jwt.ClaimStrings{string(aud)},
			IssuedAt:  jwt.NewNumericDate(now),
			NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        session,
		},
		Session: session,
		Version: version,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = t.keys.signKID
	signed, err := tok.SignedString(t.keys.signer)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return signed, exp, nil
}

// Verify checks a token's signature, algorithm, issuer, audience, expiry and not-before and returns its
// claims. Only EdDSA is accepted, so "none" and HMAC tokens signed with a public key never verify.
func (t *Tokens) Verify(token string, aud Audience) (*Claims, error) {
	claims := &Claims{}
	_, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		key, ok := t.keys.verify[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key %q", kid)
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(string(aud)),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if claims.Session == "" || claims.Subject == "" {
		return nil, fmt.Errorf("%w: no session or subject", ErrInvalidToken)
	}
	return claims, nil
}

// AudienceOf reads a token's audience without verifying it, to pick the verifier; never trust it alone.
func AudienceOf(token string) Audience {
	claims := &jwt.RegisteredClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil || len(claims.Audience) != 1 {
		return ""
	}
	return Audience(claims.Audience[0])
}
