package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/webhookdelivery"
	"github.com/emporium/emporium/ent/webhookdeliveryattempt"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/webhooks"
)

// longDrills runs the fault drills at full length (EMPORIUM_LONG_DRILLS=1); the normal run scales them
// down.
var longDrills = os.Getenv("EMPORIUM_LONG_DRILLS") == "1"

// faultReceiver is a partner's endpoint that checks every signature (a bad one fails the test) and
// keeps, per path, the event IDs of the requests it answered, in arrival order, with the status it gave.
type faultReceiver struct {
	t       *testing.T
	srv     *httptest.Server
	secrets map[string]string // by path and topic
	// answer chooses the status of a request to path; nil answers 200.
	answer func(path string) int
	// delay is slept before answering.
	delay time.Duration

	mu   sync.Mutex
	got  map[string][]faultHit
	seen map[string]time.Time // first 2xx per webhook ID
}

type faultHit struct {
	event, status int
	resource      string
	at            time.Time
}

func newFaultReceiver(t *testing.T) *faultReceiver {
	r := &faultReceiver{t: t, secrets: map[string]string{}, got: map[string][]faultHit{}, seen: map[string]time.Time{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		secret := r.secrets[req.URL.Path+" "+req.Header.Get("X-Emporium-Topic")]
		r.mu.Unlock()
		if got := req.Header.Get("X-Emporium-Hmac-Sha256"); secret == "" || got != webhooks.Sign(secret, body) {
			t.Errorf("receiver %s: bad signature %q", req.URL.Path, got)
		}
		if r.delay > 0 {
			select {
			case <-time.After(r.delay):
			case <-req.Context().Done():
			}
		}
		status := http.StatusOK
		if r.answer != nil {
			status = r.answer(req.URL.Path)
		}
		if req.Context().Err() != nil {
			status = 0 // the sender went away (killed) before the answer: not a delivery
		}
		id, _ := strconv.Atoi(req.Header.Get("X-Emporium-Event-Id"))
		var p struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(body, &p)
		r.mu.Lock()
		r.got[req.URL.Path] = append(r.got[req.URL.Path], faultHit{event: id, status: status, resource: p.ID, at: time.Now()})
		if status > 0 && status < 300 {
			if _, ok := r.seen[req.Header.Get("X-Emporium-Webhook-Id")]; !ok {
				r.seen[req.Header.Get("X-Emporium-Webhook-Id")] = time.Now()
			}
		}
		r.mu.Unlock()
		if status == 0 {
			// Nobody is listening for an answer; ErrAbortHandler ends the request without a logged stack.
			panic(http.ErrAbortHandler)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// hits returns the requests to path so far.
func (r *faultReceiver) hits(path string) []faultHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[path])
}

// deliveredEvents returns the distinct event IDs answered with success at path.
func (r *faultReceiver) deliveredEvents(path string) map[int]bool {
	out := map[int]bool{}
	for _, h := range r.hits(path) {
		if h.status > 0 && h.status < 300 {
			out[h.event] = true
		}
	}
	return out
}

// subscribe makes a subscription of topic to path through the service, and learns its secret.
func (r *faultReceiver) subscribe(t *testing.T, svc *webhooks.Service, topic, path string) {
	t.Helper()
	_, secret, errs, err := svc.Create(context.Background(), auth.Viewer{Kind: auth.Staff, ID: 1}, topic,
		webhooks.Input{CallbackURL: ptrTo(r.srv.URL + path)})
	if err != nil || errs.Any() {
		t.Fatal(err, errs)
	}
	r.mu.Lock()
	r.secrets[path+" "+topic] = secret
	r.mu.Unlock()
}

// recordEvents records, for each of n resources of type Order numbered from base, the topics in turn, one
// transaction each, interleaving the resources.
func recordEvents(t *testing.T, client *ent.Client, rec *events.Recorder, base, n int, topics ...string) {
	t.Helper()
	ctx := context.Background()
	for _, topic := range topics {
		for i := range n {
			id := base + i
			err := database.WithTx(ctx, client, func(tx *ent.Tx) error {
				return rec.Record(ctx, tx, topic, "Order", id, map[string]any{"id": fmt.Sprintf("gid://emporium/Order/%d", id), "topic": topic})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkResourceOrder fails the test if, at path, any request about a resource came for an event earlier than
// one already answered with success for it: an orders/paid overtaking its orders/create, retries
// included.
func checkResourceOrder(t *testing.T, hits []faultHit) {
	t.Helper()
	last := map[string]int{}
	for _, h := range hits {
		if h.event < last[h.resource] {
			t.Errorf("resource %s: event %d sent after event %d", h.resource, h.event, last[h.resource])
			return
		}
		if h.status > 0 && h.status < 300 {
			last[h.resource] = h.event
		}
	}
}

// TestWebhooksAfterAFailingReceiver: a receiver answers 500 to everything for a while (10 minutes with
// EMPORIUM_LONG_DRILLS=1, 3 s otherwise, with a retry schedule shortened to match); every event is
// delivered after, and no request for a resource's event ever came before its earlier events were
// delivered (per-resource order, retries included).
func TestWebhooksAfterAFailingReceiver(t *testing.T) {
	outage, retryMax, limit := 3*time.Second, time.Second, 30*time.Second
	if longDrills {
		outage, retryMax, limit = 10*time.Minute, 30*time.Second, 13*time.Minute
	}
	eachFreshDB(t, func(o *service.Options) {
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = 100 * time.Millisecond
		o.WebhookRetryMax = retryMax
	}, func(t *testing.T, s *server) {
		rcv := newFaultReceiver(t)
		var mu sync.Mutex
		var until time.Time
		rcv.answer = func(string) int {
			mu.Lock()
			defer mu.Unlock()
			if time.Now().Before(until) {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		}
		topics := []string{events.OrdersPaid, events.OrdersFulfilled, events.OrdersUpdated}
		for _, topic := range topics {
			rcv.subscribe(t, s.svc.Webhooks, topic, "/orders")
		}
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		until = time.Now().Add(outage)
		mu.Unlock()
		const resources = 20
		recordEvents(t, s.svc.DB.Client, s.svc.Events, 1, resources, topics...)
		want := resources * len(topics)
		waitFor(t, limit, "every event delivered after the receiver's outage", func() bool {
			return len(rcv.deliveredEvents("/orders")) == want
		})
		hits := rcv.hits("/orders")
		failed := 0
		for _, h := range hits {
			if h.status >= 300 {
				failed++
			}
		}
		if failed == 0 {
			t.Errorf("the receiver refused no request: the drill tested nothing")
		}
		checkResourceOrder(t, hits)
		t.Logf("%d requests, %d refused, all %d events delivered", len(hits), failed, want)
		// The attempts are in the history: refusals then the success, newest first.
		d, err := s.svc.DB.Client.WebhookDelivery.Query().Order(ent.Asc(webhookdelivery.FieldID)).First(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		attempts, err := d.QueryAttemptHistory().All(context.Background())
		if err != nil || len(attempts) != d.Attempts || d.Status != webhookdelivery.StatusDelivered || len(attempts) < 2 {
			t.Errorf("delivery %d: %s after %d attempts, history %d rows (%v)", d.ID, d.Status, d.Attempts, len(attempts), err)
		}
	})
}

// TestWebhooksHangingReceiverStarvesNoOne: one receiver never answers; the deliveries of the same
// events to a healthy receiver keep flowing, each within a second of its commit (p99), while the
// hanging ones time out after 5 s.
func TestWebhooksHangingReceiverStarvesNoOne(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) {
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = time.Minute
	}, func(t *testing.T, s *server) {
		hang, ok := newFaultReceiver(t), newFaultReceiver(t)
		hang.delay = time.Minute
		hang.subscribe(t, s.svc.Webhooks, events.ProductsUpdate, "/hang")
		ok.subscribe(t, s.svc.Webhooks, events.ProductsUpdate, "/ok")
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		const n = 300
		committed := make(map[int]time.Time, n)
		start := time.Now()
		// 100 events a second for 3 s, every one to both receivers: the hanging one holds every
		// attempt it gets for the full timeout.
		for i := range n {
			time.Sleep(time.Until(start.Add(time.Duration(i) * 10 * time.Millisecond)))
			at := time.Now()
			if err := database.WithTx(ctx, s.svc.DB.Client, func(tx *ent.Tx) error {
				return s.svc.Events.Record(ctx, tx, events.ProductsUpdate, "Product", i+1, map[string]any{"id": fmt.Sprintf("gid://emporium/Product/%d", i+1)})
			}); err != nil {
				t.Fatal(err)
			}
			committed[i+1] = at
		}
		waitFor(t, 20*time.Second, "every delivery to the healthy receiver", func() bool { return len(ok.deliveredEvents("/ok")) == n })
		var lat []time.Duration
		firstOf := map[int]bool{}
		for _, h := range ok.hits("/ok") {
			if firstOf[h.event] {
				continue
			}
			firstOf[h.event] = true
			ref := 0
			fmt.Sscanf(h.resource, "gid://emporium/Product/%d", &ref)
			lat = append(lat, h.at.Sub(committed[ref]))
		}
		slices.Sort(lat)
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		t.Logf("healthy receiver beside a hanging one: %d deliveries, p50 %s, p99 %s", len(lat), p50, p99)
		if p99 > time.Second {
			t.Errorf("the healthy receiver's p99 is %s beside a hanging receiver, want ≤ 1 s", p99)
		}
		// The hanging receiver's attempts end at the 5 s timeout.
		failedAttempts := s.svc.DB.Client.WebhookDeliveryAttempt.Query().Where(webhookdeliveryattempt.ErrorNEQ(""))
		waitFor(t, 15*time.Second, "the hanging attempts' timeouts", func() bool {
			ok, err := failedAttempts.Clone().Exist(ctx)
			return err == nil && ok
		})
		a, err := failedAttempts.Clone().First(ctx)
		if err != nil || a.LatencyMs < 4900 || a.LatencyMs > 6500 || a.StatusCode != nil {
			t.Errorf("a hanging attempt: %+v, %v", a, err)
		}
	})
}

// TestWebhooksSurviveAKilledReplica kills (SIGKILL) an `emporium serve` in the middle of delivering
// events: on PostgreSQL a second replica takes over the dead one's leases, on SQLite the restarted
// process does; every event is delivered, none lost.
func TestWebhooksSurviveAKilledReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "kill.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			env := []string{"EMPORIUM_WEBHOOK_ALLOW=127.0.0.1/32"}
			a := startProcess(t, dsn, env...)
			var b *process
			if kind == "postgres" {
				b = startProcess(t, dsn, env...)
			}
			db, err := database.Open(ctx, dsn, database.Options{MaxOpenConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			q, err := jobs.New(ctx, db, jobs.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer q.Close()
			svc := webhooks.New(db.Client, q, webhooks.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
			rcv := newFaultReceiver(t)
			rcv.delay = 20 * time.Millisecond // attempts stay in flight long enough to be cut
			rcv.subscribe(t, svc, events.OrdersPaid, "/orders")
			const n = 400
			recordEvents(t, db.Client, events.NewRecorder(q), 1, n, events.OrdersPaid)
			waitFor(t, 20*time.Second, "the first deliveries", func() bool { return len(rcv.deliveredEvents("/orders")) >= 40 })
			if err := a.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = a.cmd.Wait()
			killed := len(rcv.deliveredEvents("/orders"))
			if kind == "sqlite" {
				b = startProcess(t, dsn, env...)
			}
			waitFor(t, 60*time.Second, "every event delivered after the kill", func() bool { return len(rcv.deliveredEvents("/orders")) == n })
			waitFor(t, 20*time.Second, "every delivery marked delivered", func() bool {
				left, err := db.Client.WebhookDelivery.Query().Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusDelivered)).Count(ctx)
				return err == nil && left == 0
			})
			checkResourceOrder(t, rcv.hits("/orders"))
			t.Logf("%d of %d delivered when the replica was killed; all delivered after, %d requests in all (%s took over)",
				killed, n, len(rcv.hits("/orders")), b.url)
		})
	}
}

// TestWebhooksThroughADatabaseOutage stops the PostgreSQL under a running server for 5 s while events
// are being delivered: every event is delivered after.
func TestWebhooksThroughADatabaseOutage(t *testing.T) {
	if os.Getenv(pgtest.EnvDatabaseURL) != "" {
		t.Skip("stops its PostgreSQL: needs a cluster of its own, not " + pgtest.EnvDatabaseURL)
	}
	own, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	s := startServerWith(t, "postgres", own.NewDatabase(t), func(o *service.Options) {
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = 200 * time.Millisecond
	})
	t.Cleanup(s.close)
	rcv := newFaultReceiver(t)
	rcv.delay = 20 * time.Millisecond
	rcv.subscribe(t, s.svc.Webhooks, events.OrdersPaid, "/orders")
	if err := s.svc.StartJobs(context.Background()); err != nil {
		t.Fatal(err)
	}
	const n = 300
	recordEvents(t, s.svc.DB.Client, s.svc.Events, 1, n, events.OrdersPaid)
	waitFor(t, 20*time.Second, "the first deliveries", func() bool { return len(rcv.deliveredEvents("/orders")) >= 20 })
	if err := own.Halt(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Second)
	during := len(rcv.deliveredEvents("/orders"))
	if err := own.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "every event delivered after the outage", func() bool { return len(rcv.deliveredEvents("/orders")) == n })
	waitFor(t, 20*time.Second, "every delivery marked", func() bool {
		left, err := s.svc.DB.Client.WebhookDelivery.Query().Where(webhookdelivery.StatusNEQ(webhookdelivery.StatusDelivered)).Count(context.Background())
		return err == nil && left == 0
	})
	checkResourceOrder(t, rcv.hits("/orders"))
	t.Logf("%d of %d delivered by the end of the 5 s outage; all after", during, n)
}
