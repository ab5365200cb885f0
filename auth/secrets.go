package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
)

// APIKeyPrefix starts every API key secret, so that leaked keys are recognisable by secret scanners.
const APIKeyPrefix = "emp_"

// NewSecret returns a random secret of 160 bits with prefix, in lowercase base32.
func NewSecret(prefix string) (string, error) {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: random secret: %w", err)
	}
	return prefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// HashSecret returns the SHA-256 of a high-entropy secret (an API key or a reset token). Unlike a
// password, such a secret cannot be guessed, so a fast hash suffices and lets it be looked up by hash.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
