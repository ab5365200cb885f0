package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/emporium/emporium/service"
)

// rssOf is the resident set size of process pid, in bytes.
func rssOf(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestLiveTenThousand opens 10,000 live subscriptions (100 WebSocket connections of 100) on one
// `emporium serve` process on SQLite, reports its RSS before and after, and the time one stock change
// takes to reach all of them. It runs only with EMPORIUM_LIVE_BENCH=1:
//
//	EMPORIUM_LIVE_BENCH=1 go test ./integration -run TestLiveTenThousand -count=1 -v
func TestLiveTenThousand(t *testing.T) {
	if os.Getenv("EMPORIUM_LIVE_BENCH") != "1" {
		t.Skip("set EMPORIUM_LIVE_BENCH=1 to open 10,000 subscriptions")
	}
	const conns, perConn = 100, 100
	p := startProcess(t, filepath.Join(t.TempDir(), "live.db"), "EMPORIUM_LIVE_MAX_PER_CONN=100",
		"EMPORIUM_LIVE_MAX_PER_CALLER=20000", "EMPORIUM_JOBS=off")
	s := p.asServer()
	owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
	tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
	loc := stockLocation(t, s, owner, tee)
	pid := p.cmd.Process.Pid
	before := rssOf(t, pid)

	query := `subscription { productAvailability(handles: ["organic-cotton-tee"]) { totalInventory } }`
	var received atomic.Int64
	var measuring atomic.Bool
	var opened sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := "ws" + strings.TrimPrefix(p.url, "http") + "/graphql"
	start := time.Now()
	for range conns {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		send := func(v any) {
			b, _ := json.Marshal(v)
			if err := c.Write(ctx, websocket.MessageText, b); err != nil {
				t.Error(err)
			}
		}
		send(map[string]any{"type": "connection_init"})
		opened.Add(perConn)
		go func() {
			for {
				_, b, err := c.Read(ctx)
				if err != nil {
					return
				}
				var m liveMsg
				_ = json.Unmarshal(b, &m)
				switch m.Type {
				case "connection_ack":
					for i := range perConn {
						send(map[string]any{"type": "subscribe", "id": strconv.Itoa(i), "payload": map[string]any{"query": query}})
					}
				case "ping":
					send(map[string]any{"type": "pong"})
				case "next":
					if received.Add(1); !measuring.Load() {
						opened.Done()
					}
				case "error":
					t.Errorf("refused: %s", m.Payload)
					opened.Done()
				}
			}
		}()
	}
	opened.Wait()
	t.Logf("%d subscriptions open and answered in %v", conns*perConn, time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // let the garbage collector settle
	after := rssOf(t, pid)

	measuring.Store(true)
	received.Store(0)
	changed := time.Now()
	noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -1}), "inventoryAdjustQuantities")
	for received.Load() < conns*perConn {
		if time.Since(changed) > time.Minute {
			t.Fatalf("%d of %d values after a minute", received.Load(), conns*perConn)
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("one change reached all %d subscriptions in %v", conns*perConn, time.Since(changed).Round(time.Millisecond))
	t.Logf("server RSS: %d MiB before, %d MiB with %d subscriptions (%.1f KiB each)",
		before>>20, after>>20, conns*perConn, float64(after-before)/1024/float64(conns*perConn))
}

// BenchmarkAddToCart adds a line to a cart over HTTP (cartLinesAdd), the path whose outbox event
// (carts/update) is written only while a webhook subscription wants it:
//
//	go test ./integration -run '^$' -bench BenchmarkAddToCart -benchtime 2000x -count 1
func BenchmarkAddToCart(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "bench.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(b)
			}
			s := startServerWith(b, kind, dsn, func(o *service.Options) { o.RateCapacity = -1 })
			defer s.close()
			var vs struct {
				Product struct {
					Variants struct{ Nodes []struct{ ID string } }
				}
			}
			s.query(b, `{ product(handle: "organic-cotton-tee") { variants(first: 1) { nodes { id } } } }`, nil, &vs)
			variant := vs.Product.Variants.Nodes[0].ID
			newCart := func() string {
				var c struct {
					CartCreate struct{ Cart struct{ ID string } }
				}
				s.query(b, `mutation { cartCreate { cart { id } } }`, nil, &c)
				return c.CartCreate.Cart.ID
			}
			add := `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 1}]) { cart { id } userErrors { message } } }`
			client := &http.Client{}
			cart := newCart()
			b.ResetTimer()
			for i := range b.N {
				if i%500 == 499 {
					b.StopTimer()
					cart = newCart() // a line holds at most 1,000
					b.StartTimer()
				}
				r, err := s.sendWith(client, nil, map[string]any{"query": add, "variables": map[string]any{"id": cart, "v": variant}})
				if err != nil || len(r.Errors) > 0 {
					b.Fatalf("cartLinesAdd: %v %+v", err, r.Errors)
				}
			}
		})
	}
}
