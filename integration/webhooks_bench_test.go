package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/webhooks"
)

// BenchmarkWebhookDeliveries reports webhook deliveries per second to a local receiver (which checks
// every signature) and the time from an event's commit to its delivery, p50 and p99, on each database.
// Each event (products/update of a resource of its own) goes to 5 subscriptions; b.N is the number of
// deliveries (run with -benchtime 10000x). "burst" commits the events as fast as 4 writers can;
// "paced" commits 40 events (200 deliveries) a second while 4 buyers run guest checkouts back to back
// beside it, for the latency of a pipeline that keeps up on a busy shop; "paced1000" does the same at
// 200 events (1,000 deliveries) a second, half the throughput target.
func BenchmarkWebhookDeliveries(b *testing.B) {
	for _, kind := range []string{"sqlite", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "bench.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(b)
			}
			s := startServerWith(b, kind, dsn, func(o *service.Options) {
				o.RateCapacity = -1
				o.JobWorkers = benchJobWorkers
				o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			})
			b.Cleanup(s.close)
			if err := s.svc.StartJobs(context.Background()); err != nil {
				b.Fatal(err)
			}
			for _, mode := range []struct {
				name string
				rate int // events a second; 0: as fast as possible
			}{{"burst", 0}, {"paced", 40}, {"paced1000", 200}, {"paced2000", 400}} {
				b.Run(mode.name, func(b *testing.B) { benchDeliveries(b, s, mode.rate, mode.rate > 0) })
			}
		})
	}
}

var benchRound atomic.Int64

// benchJobWorkers is EMPORIUM_BENCH_JOB_WORKERS: the events queue's workers per process (the service's
// default, 10, when unset).
var benchJobWorkers, _ = strconv.Atoi(os.Getenv("EMPORIUM_BENCH_JOB_WORKERS"))

func benchDeliveries(b *testing.B, s *server, rate int, checkouts bool) {
	const subs = 5
	ctx := context.Background()
	round := benchRound.Add(1)
	n := max(b.N/subs, 1)
	committed := make([]time.Time, n)
	var mu sync.Mutex
	var latencies []time.Duration
	var last time.Time
	var bad atomic.Int64
	secrets := map[string]string{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhooks.Sign(secrets[r.URL.Path], body) != r.Header.Get("X-Emporium-Hmac-Sha256") {
			bad.Add(1)
		}
		var p struct {
			Seq   int   `json:"seq"`
			Round int64 `json:"round"`
		}
		_ = json.Unmarshal(body, &p)
		now := time.Now()
		if p.Round == round {
			mu.Lock()
			latencies = append(latencies, now.Sub(committed[p.Seq]))
			last = now
			mu.Unlock()
		}
	}))
	defer rcv.Close()
	for i := range subs {
		path := fmt.Sprintf("/r%d/s%d", round, i)
		_, secret, errs, err := s.svc.Webhooks.Create(ctx, auth.Viewer{Kind: auth.Staff, ID: 1}, events.ProductsUpdate,
			webhooks.Input{CallbackURL: ptrTo(rcv.URL + path)})
		if err != nil || errs.Any() {
			b.Fatal(err, errs)
		}
		secrets[path] = secret
	}
	stopBuyers, checkedOut := make(chan struct{}), atomic.Int64{}
	var buyers sync.WaitGroup
	if checkouts {
		variant := benchVariant(b, s)
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		for range 4 {
			buyers.Add(1)
			go func() {
				defer buyers.Done()
				for {
					select {
					case <-stopBuyers:
						return
					default:
					}
					if err := checkoutOnce(client, s.http.URL, variant, payments.CardSuccess); err != nil {
						b.Error(err)
						return
					}
					checkedOut.Add(1)
				}
			}()
		}
	}
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if rate > 0 {
					time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
				}
				// The commit time is taken just before the commit: the latency includes the commit.
				err := database.WithTx(ctx, s.svc.DB.Client, func(tx *ent.Tx) error {
					mu.Lock()
					committed[i] = time.Now()
					mu.Unlock()
					return s.svc.Events.Record(ctx, tx, events.ProductsUpdate, "Product", int(round)*10_000_000+i+1,
						map[string]any{"id": fmt.Sprintf("gid://emporium/Product/%d", i+1), "seq": i, "round": round, "title": "Bench"})
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want := n * subs
	if testing.Verbose() {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(time.Second):
				}
				ev, _ := s.svc.DB.Client.Event.Query().Where(event.ProcessedAtNotNil()).Count(ctx)
				dl, _ := s.svc.DB.Client.WebhookDelivery.Query().Where(webhookdelivery.StatusEQ(webhookdelivery.StatusDelivered)).Count(ctx)
				all, _ := s.svc.DB.Client.WebhookDelivery.Query().Count(ctx)
				b.Logf("%s: events processed %d, deliveries %d made, %d delivered", time.Since(start).Round(time.Millisecond), ev, all, dl)
			}
		}()
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		mu.Lock()
		got := len(latencies)
		mu.Unlock()
		if got >= want {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d deliveries after 5 minutes", got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.StopTimer()
	close(stopBuyers)
	buyers.Wait()
	if checkouts {
		b.ReportMetric(float64(checkedOut.Load())/time.Since(start).Seconds(), "checkouts/s")
	}
	if bad.Load() > 0 {
		b.Errorf("%d deliveries with a bad signature", bad.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(latencies)
	elapsed := last.Sub(start)
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(0, "ns/op")
	if testing.Verbose() {
		// Where the time goes: waiting in the queue and running, per kind of job.
		q := `SELECT kind, count(*), avg(EXTRACT(EPOCH FROM attempted_at - scheduled_at)), avg(EXTRACT(EPOCH FROM finalized_at - attempted_at)) FROM river_job WHERE state = 'completed' GROUP BY kind`
		if !s.svc.DB.Postgres() {
			q = `SELECT kind, count(*), avg((julianday(attempted_at) - julianday(scheduled_at)) * 86400), avg((julianday(finalized_at) - julianday(attempted_at)) * 86400) FROM river_job WHERE state = 'completed' GROUP BY kind`
		}
		rows, err := s.svc.DB.SQL.QueryContext(ctx, q)
		if err == nil {
			for rows.Next() {
				var kind string
				var n int
				var wait, run float64
				if err := rows.Scan(&kind, &n, &wait, &run); err == nil {
					b.Logf("%s: %d jobs, %.0f ms waiting, %.0f ms from start to completion", kind, n, wait*1000, run*1000)
				}
			}
			rows.Close()
		} else {
			b.Log(err)
		}
	}
	// The next round starts without these subscriptions.
	if _, err := s.svc.DB.Client.WebhookSubscription.Delete().Exec(ctx); err != nil {
		b.Fatal(err)
	}
}

func ptrTo[T any](v T) *T { return &v }

// benchVariant is a variant of the demo shop with stock for any run.
func benchVariant(b *testing.B, s *server) string {
	var tee struct {
		Product struct {
			Variants struct{ Nodes []struct{ ID string } }
		}
	}
	s.query(b, `{ product(handle: "organic-cotton-tee") { variants(first: 1) { nodes { id } } } }`, nil, &tee)
	variant := tee.Product.Variants.Nodes[0].ID
	id, _ := gid.DecodeType(variant, "ProductVariant")
	if _, err := s.svc.DB.Client.InventoryLevel.Update().Where(inventorylevel.VariantID(id)).SetAvailable(100_000_000).Save(context.Background()); err != nil {
		b.Fatal(err)
	}
	return variant
}
