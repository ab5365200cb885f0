// Package stripemock gives tests Stripe's own mock server, stripe-mock: a throwaway process on a free
// port of 127.0.0.1 that answers the Stripe API from Stripe's OpenAPI specification, rejecting any
// request the specification does not allow.
//
// stripe-mock answers every call with one fixture per resource, so a PaymentIntent always has the
// fixture's status. A test that needs another outcome (an authorization waiting for capture, a 3-D
// Secure challenge) starts a server whose fixtures it changes: Start takes the fixtures bundled with
// the same stripe-mock version and lets the caller edit them.
//
// # Where the binary comes from
//
// At $EMPORIUM_STRIPE_MOCK, else ${XDG_CACHE_HOME:-$HOME/.cache}/emporium/stripe-mock-<version>/, where
// Start installs it with "go install github.com/stripe/stripe-mock@<version>" (seconds, through the
// module proxy) when it is missing. The bundled fixtures are read from the module's source in the
// module cache, which that install fills.
package stripemock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the stripe-mock release the tests run against.
const Version = "v0.203.0"

// EnvBinary names the environment variable that points to a stripe-mock binary.
const EnvBinary = "EMPORIUM_STRIPE_MOCK"

const module = "github.com/stripe/stripe-mock"

// Fixtures are stripe-mock's fixtures: resources["payment_intent"] is the PaymentIntent every call
// answers with, and so on for each resource.
type Fixtures struct {
	Resources map[string]map[string]any `json:"resources"`
}

// Intent is an edit for Start: the PaymentIntent every call answers with gets fields (Stripe's names).
func Intent(fields map[string]any) func(*Fixtures) {
	return Set("payment_intent", fields)
}

// Set is an edit for Start: the resource every call about it answers with (balance_transaction,
// payout…) gets fields.
func Set(resource string, fields map[string]any) func(*Fixtures) {
	return func(f *Fixtures) {
		for k, v := range fields {
			f.Resources[resource][k] = v
		}
	}
}

// Both is an edit for Start that makes edits a and b.
func Both(a, b func(*Fixtures)) func(*Fixtures) {
	return func(f *Fixtures) {
		a(f)
		b(f)
	}
}

// RequiresCapture are the fields of a PaymentIntent authorized and waiting for its capture.
func RequiresCapture() map[string]any {
	return map[string]any{"status": "requires_capture", "capture_method": "manual", "next_action": nil, "last_payment_error": nil}
}

var install sync.Mutex

// binary finds stripe-mock, installing it into the cache when it is missing.
func binary(ctx context.Context) (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		return p, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("stripemock: cache directory: %w", err)
	}
	dir := filepath.Join(cache, "emporium", "stripe-mock-"+Version)
	bin := filepath.Join(dir, "stripe-mock")
	install.Lock()
	defer install.Unlock()
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("stripemock: go install %s@%s: %w\n%s", module, Version, err, out)
	}
	return bin, nil
}

// bundled reads the fixtures stripe-mock embeds, from its module's source.
func bundled(ctx context.Context) (Fixtures, error) {
	var f Fixtures
	out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+Version).Output()
	if err != nil {
		return f, fmt.Errorf("stripemock: go mod download %s@%s: %w", module, Version, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return f, fmt.Errorf("stripemock: module directory of %s: %v", module, err)
	}
	b, err := os.ReadFile(filepath.Join(mod.Dir, "embedded", "openapi", "fixtures3.json"))
	if err != nil {
		return f, fmt.Errorf("stripemock: bundled fixtures: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("stripemock: bundled fixtures: %w", err)
	}
	return f, nil
}

// Start runs stripe-mock for the test, with the bundled fixtures changed by edit (nil keeps them), and
// returns its base URL. The server stops when the test ends. Without a binary, or when it cannot be
// installed, the test fails: skipping would let CI pass without Stripe.
func Start(tb testing.TB, edit func(*Fixtures)) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bin, err := binary(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{}
	if edit != nil {
		f, err := bundled(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		edit(&f)
		b, err := json.Marshal(f)
		if err != nil {
			tb.Fatal(err)
		}
		path := filepath.Join(tb.TempDir(), "fixtures.json")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			tb.Fatal(err)
		}
		args = append(args, "-fixtures", path)
	}
	// stripe-mock serves HTTPS as well, on a fixed port unless told: each server gets free ports for both.
	addr, err := freeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	tlsAddr, err := freeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	args = append(args, "-http-addr", addr, "-https-addr", tlsAddr)
	cmd := exec.Command(bin, args...)
	log := &syncWriter{}
	cmd.Stdout, cmd.Stderr = log, log
	// The server dies with the thread that started it, so a test binary that is killed leaves none behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("stripemock: start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	if err := waitReady(addr, exited); err != nil {
		tb.Fatalf("stripemock: %v (%v)\n%s", err, waitErr, log.String())
	}
	return "http://" + addr
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("stripemock: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitReady waits until the server accepts connections, or exits.
func waitReady(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not ready after 30 s")
}

// syncWriter collects the server's output, written from two pipes.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
