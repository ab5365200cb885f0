// Package failpoint is a testing aid: it kills the process at named steps of its work, the way a power
// cut or `kill -9` would, so that crash tests can show that every step recovers. Failpoints are armed
// only by the environment variable EMPORIUM_FAILPOINTS (comma-separated names), read once at start;
// unarmed, Hit costs one nil check. Never set it in production.
package failpoint

import (
	"os"
	"strings"
)

// Names of the failpoints, in the order completion passes them.
const (
	BeforeAttempt    = "orders/before-attempt"     // the cart is loaded, no attempt row yet
	AfterAttempt     = "orders/after-attempt"      // the attempt row is written, no order
	AfterOrderCommit = "orders/after-order-commit" // the order, its stock and the cart claim are committed
	AfterCharge      = "orders/after-charge"       // the gateway authorized and captured, the order is not settled
	AfterSettle      = "orders/after-settle"       // the order and the attempt are settled
)

// armed holds the armed names; nil when none is. It is written once, before main runs.
var armed = parse(os.Getenv("EMPORIUM_FAILPOINTS"))

func parse(v string) map[string]bool {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	m := map[string]bool{}
	for _, name := range strings.Split(v, ",") {
		m[strings.TrimSpace(name)] = true
	}
	return m
}

// Hit kills the process on the spot with SIGKILL when name is armed: no deferred function runs, no
// connection is closed politely, nothing is flushed.
func Hit(name string) {
	if armed == nil || !armed[name] {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		_ = p.Kill()
	}
	select {} // the signal is on its way; do nothing more meanwhile
}
