// Package auth holds Emporium's credentials machinery: signing keys and their JWK set, access tokens
// (EdDSA-signed JWTs), password hashing, API key secrets, and the viewer a request acts as.
package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// Keyring holds the key that signs new tokens and every key that verifies them. Rotation: add the new
// key first in the keys file (it signs from then on), keep the old one after it until the tokens it
// signed have expired, then drop it.
type Keyring struct {
	signer  ed25519.PrivateKey
	signKID string
	verify  map[string]ed25519.PublicKey
	order   []string // kids in file order, for a stable JWK set
}

// ParseKeys reads PEM blocks: PKCS #8 Ed25519 private keys ("PRIVATE KEY") sign and verify, the first
// of them signing; PKIX public keys ("PUBLIC KEY") only verify, for keys being retired elsewhere.
func ParseKeys(data []byte) (*Keyring, error) {
	k := &Keyring{verify: map[string]ed25519.PublicKey{}}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		var pub ed25519.PublicKey
		switch block.Type {
		case "PRIVATE KEY":
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("auth: private key: %w", err)
			}
			priv, ok := key.(ed25519.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("auth: private key is %T, want Ed25519", key)
			}
			pub = priv.Public().(ed25519.PublicKey)
			if k.signer == nil {
				k.signer, k.signKID = priv, KeyID(pub)
			}
		case "PUBLIC KEY":
			key, err := x509.ParsePKIXPublicKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("auth: public key: %w", err)
			}
			var ok bool
			if pub, ok = key.(ed25519.PublicKey); !ok {
				return nil, fmt.Errorf("auth: public key is %T, want Ed25519", key)
			}
		default:
			return nil, fmt.Errorf("auth: unexpected PEM block %q", block.Type)
		}
		kid := KeyID(pub)
		if _, dup := k.verify[kid]; !dup {
			k.verify[kid] = pub
			k.order = append(k.order, kid)
		}
	}
	if k.signer == nil {
		return nil, errors.New("auth: no Ed25519 private key to sign with")
	}
	return k, nil
}

// GenerateKey returns a new Ed25519 private key in PEM form.
func GenerateKey() ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("auth: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// KeyID names a public key: the first 16 characters of the base64url SHA-256 of the key.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:])[:16]
}

// JWKS returns the public verification keys as a JSON Web Key Set (RFC 7517, RFC 8037), so that other
// services can verify Emporium's tokens.
func (k *Keyring) JWKS() []byte {
	type jwk struct {
		Kty string `json:"kty"`
		Crv string `json:"crv"`
		X   string `json:"x"`
		Kid string `json:"kid"`
		Use string `json:"use"`
		Alg string `json:"alg"`
	}
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, kid := range k.order {
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.verify[kid]),
			Kid: kid, Use: "sig", Alg: "EdDSA"})
	}
	b, _ := json.Marshal(set) // strings only: always marshals
	return b
}

// Derive returns a secret for purpose, derived from the signing key: HMAC-SHA256 keyed by the private
// key's seed. Replicas that share the keys derive the same secret, and nothing derived reveals the key.
func (k *Keyring) Derive(purpose string) []byte {
	m := hmac.New(sha256.New, k.signer.Seed())
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
