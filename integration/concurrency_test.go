package integration

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
)

var binary struct {
	once sync.Once
	path string
	err  error
}

// emporiumBinary builds the emporium command once per test binary.
func emporiumBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "emporium-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "emporium")
		out, err := exec.Command("go", "build", "-o", binary.path, "..").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// process is an emporium server running as its own OS process.
type process struct {
	url string
	cmd *exec.Cmd
	log bytes.Buffer
}

// startProcess runs `emporium serve` on dsn, with env added to its environment, and waits until it is
// ready. The process is stopped at the end of the test.
func startProcess(t *testing.T, dsn string, env ...string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &process{url: "http://" + addr}
	p.cmd = exec.Command(emporiumBinary(t), "serve")
	// These tests are about stock and idempotency, not overload: bursts wait for a turn instead of being shed.
	p.cmd.Env = append(os.Environ(), "EMPORIUM_DATABASE_URL="+dsn, "EMPORIUM_ADDR="+addr, "EMPORIUM_RATE_LIMIT=off",
		"EMPORIUM_LOG_LEVEL=warn", "EMPORIUM_QUEUE_TIMEOUT=1m", "EMPORIUM_ADMIN_EMAIL="+ownerEmail, "EMPORIUM_ADMIN_PASSWORD="+ownerPassword)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = &p.log, &p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", p.url, p.log.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after a minute: %v\n%s", p.url, err, p.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// asServer lets the request helpers of the in-process harness talk to a process.
func (p *process) asServer() *server {
	return &server{name: "process", http: &httptest.Server{URL: p.url}}
}

// submitOutcome is what one cartSubmitForCompletion answered, told apart without failing the test from
// a goroutine other than the test's.
type submitOutcome struct {
	kind, code, attempt string
	err                 error
}

var submitClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func submitTo(url, cartID, token string) submitOutcome {
	body, _ := json.Marshal(map[string]any{"query": submit, "variables": map[string]any{"id": cartID, "t": token}})
	res, err := submitClient.Post(url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return submitOutcome{err: err}
	}
	defer res.Body.Close()
	var r struct {
		Data   submitResult
		Errors []gqlError
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		return submitOutcome{err: fmt.Errorf("status %d, %v, %+v", res.StatusCode, err, r.Errors)}
	}
	result := r.Data.CartSubmitForCompletion.Result
	if result == nil {
		return submitOutcome{err: fmt.Errorf("no result: %+v", r.Data.CartSubmitForCompletion.UserErrors)}
	}
	o := submitOutcome{kind: result.Typename, attempt: result.AttemptID}
	if len(result.Errors) > 0 {
		o.code = result.Errors[0].Code
	}
	return o
}

// twoProcesses starts two server processes on one new PostgreSQL database, and a connection to it.
func twoProcesses(t *testing.T) (a, b *process, db *sql.DB) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	dsn := pg.NewDatabase(t)
	a, b = startProcess(t, dsn), startProcess(t, dsn)
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return a, b, db
}

// TestNoOversellAcrossProcesses runs 200 concurrent completions, spread over two server processes on
// one PostgreSQL database, for a variant with 10 in stock, five times over.
func TestNoOversellAcrossProcesses(t *testing.T) {
	a, b, db := twoProcesses(t)
	ctx := context.Background()
	v := variantIDs(t, a.asServer(), "organic-cotton-tee")
	scarce := v["EMP-TEE-ORG-XL-NVY"]
	variant, _ := gid.DecodeType(scarce, "ProductVariant")
	var policy string
	if err := db.QueryRowContext(ctx, `SELECT inventory_policy FROM product_variants WHERE id = $1`, variant).Scan(&policy); err != nil || policy != "DENY" {
		t.Fatalf("the variant must deny backorders: %q, %v", policy, err)
	}
	const rounds, buyers, stock = 5, 200, 10
	for round := 1; round <= rounds; round++ {
		// Stock 10 at one location, none elsewhere.
		if _, err := db.ExecContext(ctx, `UPDATE inventory_levels SET available = CASE WHEN id = (SELECT MIN(id) FROM inventory_levels WHERE variant_id = $1) THEN $2 ELSE 0 END WHERE variant_id = $1`, variant, stock); err != nil {
			t.Fatal(err)
		}
		var before int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.variant_id = $1 AND o.financial_status <> 'VOIDED'`, variant).Scan(&before); err != nil {
			t.Fatal(err)
		}
		carts := make([]string, buyers)
		for i := range carts {
			carts[i], _ = readyCart(t, []*process{a, b}[i%2].asServer(), scarce, 1, payments.CardSuccess)
		}
		outcomes := make([]submitOutcome, buyers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, id := range carts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				outcomes[i] = submitTo([]*process{a, b}[i%2].url, id, fmt.Sprintf("round-%d-buyer-%d", round, i))
			}()
		}
		close(start)
		wg.Wait()
		counts := map[string]int{}
		for _, o := range outcomes {
			switch {
			case o.err != nil:
				t.Errorf("round %d: a submission failed: %v", round, o.err)
			case o.kind == "SubmitSuccess":
				counts["success"]++
			case o.kind == "SubmitFailed" && o.code == "INVENTORY_RESERVATION_ERROR":
				counts["out of stock"]++
			default:
				counts[o.kind+" "+o.code]++
			}
		}
		var orders, available, negative int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE l.variant_id = $1 AND o.financial_status <> 'VOIDED'`, variant).Scan(&orders); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(available), 0), COUNT(*) FILTER (WHERE available < 0) FROM inventory_levels WHERE variant_id = $1`, variant).Scan(&available, &negative); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: %v; %d new orders, stock %d", round, counts, orders-before, available)
		if counts["success"] != stock || counts["out of stock"] != buyers-stock || orders-before != stock || available != 0 || negative != 0 {
			t.Fatalf("round %d: outcomes %v, %d orders, stock %d (%d levels below zero); want %d orders, %d clear out-of-stock answers, stock 0",
				round, counts, orders-before, available, negative, stock, buyers-stock)
		}
	}
}

// TestIdempotencyAcrossProcesses sends one attempt token 20 times at once to two server processes.
func TestIdempotencyAcrossProcesses(t *testing.T) {
	a, b, db := twoProcesses(t)
	v := variantIDs(t, a.asServer(), "organic-cotton-tee")
	cart, _ := readyCart(t, a.asServer(), v["EMP-TEE-ORG-M-NVY"], 2, payments.CardSuccess)
	outcomes := make([]submitOutcome, 20)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			outcomes[i] = submitTo([]*process{a, b}[i%2].url, cart, "the-one-token")
		}()
	}
	close(start)
	wg.Wait()
	attempts := map[string]int{}
	for _, o := range outcomes {
		if o.err != nil || (o.kind != "SubmitSuccess" && o.kind != "SubmitAlreadyAccepted") {
			t.Errorf("an answer: %+v", o)
		}
		attempts[o.attempt]++
	}
	token, _ := gid.DecodeKey(cart, "Cart")
	var orders, charged int
	err := db.QueryRowContext(context.Background(), `SELECT COUNT(*), COUNT(*) FILTER (WHERE payment_reference <> '' AND financial_status = 'PAID')
		FROM orders WHERE cart_id LIKE $1`, token+"%").Scan(&orders, &charged)
	if err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 1 || orders != 1 || charged != 1 {
		t.Errorf("attempts %v, %d orders, %d charged; want one attempt, one order, one charge", attempts, orders, charged)
	}
}

// TestCancelledCompletion drops the connection of submissions at various moments: each either placed
// its whole order and took its stock once, or placed nothing; re-sent, the token answers for it.
func TestCancelledCompletion(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		tee := v["EMP-TEE-ORG-M-NVY"]
		ctx := context.Background()
		for i, wait := range []time.Duration{0, 200 * time.Microsecond, time.Millisecond, 3 * time.Millisecond, 10 * time.Millisecond} {
			cart, _ := readyCart(t, s, tee, 2, payments.CardSuccess)
			before := stockOf(t, s, tee)
			body, _ := json.Marshal(map[string]any{"query": submit, "variables": map[string]any{"id": cart, "t": fmt.Sprint("cancel-", i)}})
			reqCtx, cancel := context.WithCancel(ctx)
			req, _ := http.NewRequestWithContext(reqCtx, http.MethodPost, s.http.URL+"/graphql", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			go func() { time.Sleep(wait); cancel() }()
			res, err := http.DefaultClient.Do(req)
			if err == nil {
				res.Body.Close()
			} else if !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
			cancel()
			// Re-sent, the token makes sure the submission happened, now or before; the work of the first
			// request runs to its end on the server even though its caller left.
			again := s.data(t, nil, submit, map[string]any{"id": cart, "t": fmt.Sprint("cancel-", i)})
			if kind := str(again, "cartSubmitForCompletion.result.__typename"); kind != "SubmitSuccess" && kind != "SubmitAlreadyAccepted" {
				t.Errorf("cancel after %v: the token re-sent answers %v", wait, again)
			}
			token, _ := gid.DecodeKey(cart, "Cart")
			var lines, orders int
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				all, err := s.svc.DB.Client.Order.Query().WithLines().All(ctx)
				if err != nil {
					t.Fatal(err)
				}
				orders, lines = 0, 0
				for _, o := range all {
					if o.CartID == token {
						orders++
						lines += len(o.Edges.Lines)
					}
				}
				if orders > 0 {
					break
				}
			}
			after := stockOf(t, s, tee)
			if orders != 1 || lines != 1 || after != before-2 {
				t.Errorf("cancel after %v: %d orders with %d lines, stock %d → %d; want one whole order, stock taken once", wait, orders, lines, before, after)
			}
		}
	})
}
