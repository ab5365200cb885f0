package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func testKeys(t *testing.T) (*Keyring, []byte) {
	t.Helper()
	pemKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseKeys(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, pemKey
}

func TestTokenRoundTrip(t *testing.T) {
	k, _ := testKeys(t)
	tokens := NewTokens(k, "emporium")
	tok, exp, err := tokens.Issue("gid://emporium/Customer/7", Storefront, "s1", 3, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(exp) < 59*time.Minute {
		t.Errorf("expiry %v, want an hour from now", exp)
	}
	c, err := tokens.Verify(tok, Storefront)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject != "gid://emporium/Customer/7" || c.Session != "s1" || c.Version != 3 {
		t.Errorf("claims = %+v", c)
	}
	if AudienceOf(tok) != Storefront {
		t.Errorf("AudienceOf = %q", AudienceOf(tok))
	}
}

func TestRejectedTokens(t *testing.T) {
	k, _ := testKeys(t)
	other, _ := testKeys(t)
	tokens := NewTokens(k, "emporium")
	good, _, _ := tokens.Issue("gid://emporium/Customer/1", Storefront, "s", 0, time.Hour)
	pub := k.verify[k.signKID]

	sign := func(method jwt.SigningMethod, key any, mutate func(*Claims), header map[string]any) string {
		now := time.Now()
		c := &Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "emporium", Subject: "gid://emporium/Customer/1",
			Audience: jwt.ClaimStrings{"storefront"}, ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour)),
			NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)), IssuedAt: jwt.NewNumericDate(now)}, Session: "s"}
		if mutate != nil {
			mutate(c)
		}
		tok := jwt.NewWithClaims(method, c)
		tok.Header["kid"] = k.signKID
		for h, v := range header {
			tok.Header[h] = v
		}
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	claims["sub"] = "gid://emporium/Customer/2"
	tamperedPayload, _ := json.Marshal(claims)
	sig := []byte(parts[2])
	sig[5] ^= 1

	tests := []struct {
		name  string
		token string
		aud   Audience
	}{
		{"alg none", sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil, nil), Storefront},
		{"HS256 signed with the public key", sign(jwt.SigningMethodHS256, []byte(pub), nil, nil), Storefront},
		{"expired", sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }, nil), Storefront},
		{"no expiry", sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.ExpiresAt = nil }, nil), Storefront},
		{"not yet valid", sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) }, nil), Storefront},
		{"wrong issuer", sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.Issuer = "someone-else" }, nil), Storefront},
		{"wrong audience", good, Admin},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString(tamperedPayload) + "." + parts[2], Storefront},
		{"tampered signature", parts[0] + "." + parts[1] + "." + string(sig), Storefront},
		{"signed by another key", sign(jwt.SigningMethodEdDSA, other.signer, nil, nil), Storefront},
		{"unknown kid", sign(jwt.SigningMethodEdDSA, k.signer, nil, map[string]any{"kid": "nope"}), Storefront},
		{"no session", sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.Session = "" }, nil), Storefront},
		{"garbage", "not.a.token", Storefront},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tokens.Verify(tt.token, tt.aud); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
	t.Run("a small clock skew is tolerated", func(t *testing.T) {
		tok := sign(jwt.SigningMethodEdDSA, k.signer, func(c *Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Second)) }, nil)
		if _, err := tokens.Verify(tok, Storefront); err != nil {
			t.Errorf("Verify = %v", err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	oldKeys, oldPEM := testKeys(t)
	_, newPEM := testKeys(t)
	oldTok, _, _ := NewTokens(oldKeys, "emporium").Issue("gid://emporium/Staff/1", Admin, "s", 0, time.Hour)
	rotated, err := ParseKeys(append(newPEM, oldPEM...))
	if err != nil {
		t.Fatal(err)
	}
	tokens := NewTokens(rotated, "emporium")
	if _, err := tokens.Verify(oldTok, Admin); err != nil {
		t.Errorf("a token of the previous key no longer verifies: %v", err)
	}
	newTok, _, _ := tokens.Issue("gid://emporium/Staff/1", Admin, "s", 0, time.Hour)
	if _, err := NewTokens(oldKeys, "emporium").Verify(newTok, Admin); err == nil {
		t.Error("the new key's token verifies with the old keyring alone: the new key does not sign")
	}
	var set struct {
		Keys []struct{ Kty, Crv, X, Kid, Alg string }
	}
	if err := json.Unmarshal(rotated.JWKS(), &set); err != nil || len(set.Keys) != 2 {
		t.Fatalf("JWKS = %s, %v", rotated.JWKS(), err)
	}
	x, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
	if set.Keys[0].Kty != "OKP" || set.Keys[0].Crv != "Ed25519" || set.Keys[0].Alg != "EdDSA" || KeyID(ed25519.PublicKey(x)) != set.Keys[0].Kid {
		t.Errorf("JWK = %+v", set.Keys[0])
	}
	if _, err := ParseKeys([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")); err == nil {
		t.Error("a keyring without a private key parsed")
	}
}

func TestPasswords(t *testing.T) {
	ctx := context.Background()
	h, err := HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := CheckPassword(ctx, h, "correct horse battery"); !ok || err != nil {
		t.Errorf("right password: %v %v", ok, err)
	}
	if ok, _ := CheckPassword(ctx, h, "correct horse batterx"); ok {
		t.Error("wrong password accepted")
	}
	h2, _ := HashPassword(ctx, "correct horse battery")
	if h == h2 || !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hashes %q %q: want salted argon2id", h, h2)
	}
	if _, err := CheckPassword(ctx, "$2a$10$bcrypt", "x"); err == nil {
		t.Error("a foreign hash was accepted")
	}
}

func TestPasswordBudget(t *testing.T) {
	ctx := WithPasswordBudget(context.Background())
	if !PasswordBudgetLeft(ctx) {
		t.Fatal("a new request has no password budget")
	}
	h, err := HashPassword(ctx, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	before := PasswordComputations()
	if _, err := CheckPassword(ctx, h, "correct horse battery"); !errors.Is(err, ErrPasswordBudget) {
		t.Errorf("second password work in one request: %v, want ErrPasswordBudget", err)
	}
	if err := CheckNoPassword(ctx, "x"); !errors.Is(err, ErrPasswordBudget) {
		t.Errorf("dummy check after the budget: %v", err)
	}
	if _, err := HashPassword(ctx, "x"); !errors.Is(err, ErrPasswordBudget) || PasswordBudgetLeft(ctx) {
		t.Errorf("hash after the budget: %v", err)
	}
	if n := PasswordComputations() - before; n != 0 {
		t.Errorf("refused password work computed %d hashes", n)
	}
}

func TestViewerPermissions(t *testing.T) {
	v := Viewer{Kind: Staff, Permissions: []string{"MANAGE_PRODUCTS", "READ_ORDERS"}}
	for perm, want := range map[string]bool{"MANAGE_PRODUCTS": true, "READ_PRODUCTS": true, "READ_ORDERS": true, "MANAGE_ORDERS": false, "MANAGE_STAFF": false} {
		if v.Can(perm) != want {
			t.Errorf("Can(%s) = %v, want %v", perm, !want, want)
		}
	}
	if (Viewer{Kind: Customer, Permissions: []string{"MANAGE_PRODUCTS"}}).Can("MANAGE_PRODUCTS") {
		t.Error("a customer viewer holds staff permissions")
	}
}
