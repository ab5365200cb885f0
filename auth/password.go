package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane), which keeps a login
// around 20 ms on a laptop core.
const (
	argonMemory  = 19 * 1024
	argonTime    = 2
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength and MaxPasswordLength bound passwords; the upper bound keeps hashing cost bounded.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// computations counts argon2id runs in this process. It is how tests see, without timing anything, that
// a request did no password work; like a metric, it is only ever added to.
var computations atomic.Int64

// PasswordComputations returns how many argon2id hashes this process has computed.
func PasswordComputations() int64 { return computations.Load() }

func idKey(password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) []byte {
	computations.Add(1)
	return argon2.IDKey(password, salt, passes, memory, threads, keyLen)
}

// ErrPasswordBudget refuses a second password hash or check within one request: a request with many
// aliases of a login or a sign-up would otherwise cost many times the CPU of one.
var ErrPasswordBudget = errors.New("only one password can be checked per request: send this one on its own")

type passwordBudgetKey struct{}

// passwordBudget is one request's allowance of argon2id work: one hash or check.
type passwordBudget struct{ spent atomic.Bool }

// WithPasswordBudget returns a context whose password work is bounded to one hash or check. A context
// without a budget (the command line, tests of this package) is not bounded.
func WithPasswordBudget(ctx context.Context) context.Context {
	return context.WithValue(ctx, passwordBudgetKey{}, &passwordBudget{})
}

// PasswordBudgetLeft reports whether ctx may still hash or check a password, so that callers can refuse
// before doing anything else.
func PasswordBudgetLeft(ctx context.Context) bool {
	b, _ := ctx.Value(passwordBudgetKey{}).(*passwordBudget)
	return b == nil || !b.spent.Load()
}

func spendPasswordBudget(ctx context.Context) error {
	if b, _ := ctx.Value(passwordBudgetKey{}).(*passwordBudget); b != nil && !b.spent.CompareAndSwap(false, true) {
		return ErrPasswordBudget
	}
	return nil
}

// HashPassword returns an argon2id hash in the PHC string format; ErrPasswordBudget when the request has
// already done its password work.
func HashPassword(ctx context.Context, password string) (string, error) {
	if err := spendPasswordBudget(ctx); err != nil {
		return "", err
	}
	return hashPassword(password)
}

func hashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := idKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("auth: malformed password hash")

// CheckPassword reports whether password matches hash, in constant time; ErrPasswordBudget when the
// request has already done its password work.
func CheckPassword(ctx context.Context, hash, password string) (bool, error) {
	if err := spendPasswordBudget(ctx); err != nil {
		return false, err
	}
	return checkPassword(hash, password)
}

func checkPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false, errBadHash
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false, errBadHash
	}
	got := idKey([]byte(password), salt, passes, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when an account does not exist, so that a login for an unknown email
// takes as long as one with a wrong password.
var dummyHash, _ = hashPassword("emporium-timing-equaliser")

// CheckNoPassword spends the time (and the request's budget) a real check would; ErrPasswordBudget when
// the request has already done its password work.
func CheckNoPassword(ctx context.Context, password string) error {
	_, err := CheckPassword(ctx, dummyHash, password)
	return err
}
