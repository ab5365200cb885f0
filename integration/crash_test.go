package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/completionattempt"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/inventorylevel"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/ent/testpayment"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/failpoint"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
)

// The recovery settings of the crash test, short so that it runs in seconds; the README documents the
// bound for the defaults (lease + sweep + gateway time).
const (
	crashLease = 2 * time.Second
	crashSweep = 250 * time.Millisecond
	// crashMargin covers starting the recovering process's first sweep and a busy machine.
	crashMargin = 10 * time.Second
)

// TestCrashDuringCompletion kills an `emporium serve` process (SIGKILL, from inside, by a failpoint) at
// each step of completion, starts a fresh process on the same database, and checks that every attempt
// ends definitely (SUCCEEDED or FAILED) within lease + sweep, that a failed cart can be completed again,
// that no order is left PENDING, that the stock equals the initial stock less the units of the orders
// placed, and that the gateway holds no authorization for a voided order. PostgreSQL, and SQLite with one
// process at a time on the same file.
func TestCrashDuringCompletion(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	steps := []string{failpoint.BeforeAttempt, failpoint.AfterAttempt, failpoint.AfterOrderCommit,
		failpoint.AfterCharge, failpoint.AfterSettle}
	recovery := []string{"EMPORIUM_COMPLETION_LEASE=" + crashLease.String(), "EMPORIUM_COMPLETION_SWEEP=" + crashSweep.String()}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "crash.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			var (
				db, gateway *database.DB // the test gateway keeps its payments apart on SQLite
				variant     string
				initial     int
			)
			for _, step := range steps {
				t.Run(step, func(t *testing.T) {
					armed := startProcess(t, dsn, append([]string{"EMPORIUM_FAILPOINTS=" + step}, recovery...)...)
					s := armed.asServer()
					if db == nil {
						var err error
						if db, err = database.Open(context.Background(), dsn, database.Options{MaxOpenConns: 2}); err != nil {
							t.Fatal(err)
						}
						gateway = db
						if kind == "sqlite" {
							if gateway, err = database.Open(context.Background(), dsn+"-test-gateway", database.Options{}); err != nil {
								t.Fatal(err)
							}
						}
						variant = variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
						initial = stockIn(t, db, variant)
					}
					cards := []string{payments.CardSuccess, payments.CardSuccess, payments.CardDecline}
					carts := make([]string, len(cards))
					tokens := make([]string, len(cards))
					for i, card := range cards {
						carts[i], _ = readyCart(t, s, variant, 1+i%2, card)
						tokens[i] = fmt.Sprintf("%s-%d", step, i)
					}

					// All at once, so that the others are caught at whatever step they reached.
					var wg sync.WaitGroup
					for i := range carts {
						wg.Go(func() { submitTo(armed.url, carts[i], tokens[i]) })
					}
					wg.Wait()
					exited := make(chan error, 1)
					go func() { exited <- armed.cmd.Wait() }()
					select {
					case <-exited:
					case <-time.After(30 * time.Second):
						t.Fatalf("the process armed at %s did not die", step)
					}

					fresh := startProcess(t, dsn, recovery...)
					started := time.Now()
					deadline := started.Add(crashLease + crashSweep + crashMargin)
					outcomes := make([]string, len(carts))
					attempts := make([]string, len(carts))
					for i := range carts {
						first := submitTo(fresh.url, carts[i], tokens[i])
						if first.err != nil {
							t.Fatalf("re-sending %s: %v", tokens[i], first.err)
						}
						if step == failpoint.BeforeAttempt && first.kind == "SubmitAlreadyAccepted" {
							t.Errorf("%s: an attempt was written before the attempt row's step", tokens[i])
						}
						attempts[i] = first.attempt
						if first.kind == "SubmitFailed" && first.attempt == "" {
							outcomes[i] = "CartCompletionFailed" // refused before any attempt row: nothing taken
							continue
						}
						outcomes[i] = awaitAttempt(t, fresh.asServer(), attempts[i], deadline)
					}
					t.Logf("%s: outcomes %v, all definite %v after the fresh process was ready", step, outcomes, time.Since(started).Round(10*time.Millisecond))

					for i, o := range outcomes {
						want := "CartCompletionSuccess"
						if cards[i] == payments.CardDecline {
							want = "CartCompletionFailed"
						}
						if o == want {
							continue
						}
						if o != "CartCompletionFailed" {
							t.Errorf("%s ended %s, want %s", tokens[i], o, want)
							continue
						}
						// Failed by the crash: the cart is open again, with its stock back, and completes.
						again := submitTo(fresh.url, carts[i], tokens[i]+"-again")
						if again.err != nil || again.kind != "SubmitSuccess" {
							t.Errorf("completing %s again after it failed: %+v", carts[i], again)
							continue
						}
						if o := awaitAttempt(t, fresh.asServer(), again.attempt, time.Now().Add(crashMargin)); o != want {
							t.Errorf("completing %s again ended %s", carts[i], o)
						}
					}
					checkCrashInvariants(t, db, gateway, variant, initial)
				})
			}
			if db != nil {
				db.Close()
				gateway.Close()
			}
		})
	}
}

// awaitAttempt polls an attempt until it is definite (succeeded or failed) or the deadline passes.
func awaitAttempt(t *testing.T, s *server, attempt string, deadline time.Time) string {
	t.Helper()
	for {
		var a struct {
			CartCompletionAttempt *struct {
				Typename string `json:"__typename"`
			}
		}
		err := s.tryQuery(`query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename } }`, map[string]any{"a": attempt}, &a)
		if err == nil && a.CartCompletionAttempt != nil {
			switch kind := a.CartCompletionAttempt.Typename; kind {
			case "CartCompletionSuccess", "CartCompletionFailed":
				return kind
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("attempt %s not definite by the deadline: %+v, %v", attempt, a.CartCompletionAttempt, err)
			return "not definite"
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkCrashInvariants checks what a crash must never leave behind.
func checkCrashInvariants(t *testing.T, db, gateway *database.DB, variantID string, initial int) {
	t.Helper()
	ctx := context.Background()
	c := db.Client
	if n, err := c.CompletionAttempt.Query().Where(completionattempt.StatusEQ(completionattempt.StatusPROCESSING)).Count(ctx); err != nil || n > 0 {
		t.Errorf("%d attempts still PROCESSING (%v)", n, err)
	}
	pending, err := c.Order.Query().Where(entorder.FinancialStatusEQ(entorder.FinancialStatusPENDING)).All(ctx)
	if err != nil || len(pending) > 0 {
		t.Errorf("orders left PENDING: %d (%v)", len(pending), err)
	}
	id, _ := gid.DecodeType(variantID, "ProductVariant")
	lines, err := c.OrderLine.Query().Where(orderline.VariantID(id),
		orderline.HasOrderWith(entorder.FinancialStatusNEQ(entorder.FinancialStatusVOIDED))).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sold := 0
	for _, l := range lines {
		sold += l.Quantity
	}
	if got := stockIn(t, db, variantID); got != initial-sold {
		t.Errorf("stock %d, want the initial %d less the %d units of placed orders: %d", got, initial, sold, initial-sold)
	}
	orders, err := c.Order.Query().All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orders {
		checkAnnounced(t, db, o)
		a, err := c.CompletionAttempt.Query().Where(completionattempt.OrderID(o.ID)).Only(ctx)
		if err != nil {
			t.Errorf("order %d has no attempt: %v", o.ID, err)
			continue
		}
		p, err := gateway.Client.TestPayment.Query().Where(testpayment.IdempotencyKey(a.ID)).Only(ctx)
		if ent.IsNotFound(err) {
			if o.FinancialStatus != entorder.FinancialStatusVOIDED {
				t.Errorf("order %d is %s without a payment at the gateway", o.ID, o.FinancialStatus)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case o.FinancialStatus == entorder.FinancialStatusVOIDED && (p.Status == string(payments.Authorized) || p.Status == string(payments.Captured)):
			t.Errorf("voided order %d keeps a live %s payment at the gateway", o.ID, p.Status)
		case o.FinancialStatus == entorder.FinancialStatusPAID && (p.Status != string(payments.Captured) || p.Captured != o.Total):
			t.Errorf("paid order %d (total %d): gateway payment %s, captured %d", o.ID, o.Total, p.Status, p.Captured)
		case a.Status == completionattempt.StatusSUCCEEDED && o.FinancialStatus != entorder.FinancialStatusPAID:
			t.Errorf("order %d of a succeeded attempt is %s", o.ID, o.FinancialStatus)
		}
	}
}

// checkAnnounced checks an order's events after crashes and recovery: a paid order was announced
// created and paid exactly once, an authorized one created once, an order undone by a declined or lost
// payment never.
func checkAnnounced(t *testing.T, db *database.DB, o *ent.Order) {
	t.Helper()
	evs, err := db.Client.Event.Query().Where(event.ResourceID(o.GlobalID())).Order(ent.Asc(event.FieldID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Topic)
	}
	var want []string
	switch o.FinancialStatus {
	case entorder.FinancialStatusPAID:
		want = []string{events.OrdersCreate, events.OrdersPaid}
	case entorder.FinancialStatusAUTHORIZED:
		want = []string{events.OrdersCreate}
	}
	if !slices.Equal(got, want) {
		t.Errorf("order %d (%s) has events %v, want %v", o.ID, o.FinancialStatus, got, want)
	}
}

func stockIn(t *testing.T, db *database.DB, variantID string) int {
	t.Helper()
	id, err := gid.DecodeType(variantID, "ProductVariant")
	if err != nil {
		t.Fatal(err)
	}
	levels, err := db.Client.InventoryLevel.Query().Where(inventorylevel.VariantID(id)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range levels {
		n += l.Available
	}
	return n
}
