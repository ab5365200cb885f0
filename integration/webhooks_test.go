package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/webhooks"
)

// delivered is one request a receiver got.
type delivered struct {
	path, topic, webhookID, eventID, triggeredAt, apiVersion string
	payload                                                  map[string]any
	status                                                   int
	at                                                       time.Time
}

// receiver is a partner's endpoint on 127.0.0.1. It knows the secret of each subscription (by path and
// topic), and it checks the signature of every request it gets: a bad one fails the test.
// Paths starting /flaky/ answer 500 to their first two requests; /hang/ answers only after 8 s.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	secrets map[string]string
	got     []delivered
	flaky   map[string]int
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t, secrets: map[string]string{}, flaky: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		return
	}
	r.mu.Lock()
	secret := r.secrets[req.URL.Path+" "+req.Header.Get("X-Emporium-Topic")]
	r.mu.Unlock()
	if got, want := req.Header.Get("X-Emporium-Hmac-Sha256"), webhooks.Sign(secret, body); secret == "" || got != want {
		r.t.Errorf("receiver %s: signature %q, want %q (secret known: %v)", req.URL.Path, got, want, secret != "")
	}
	d := delivered{path: req.URL.Path, topic: req.Header.Get("X-Emporium-Topic"), webhookID: req.Header.Get("X-Emporium-Webhook-Id"),
		eventID: req.Header.Get("X-Emporium-Event-Id"), triggeredAt: req.Header.Get("X-Emporium-Triggered-At"),
		apiVersion: req.Header.Get("X-Emporium-Api-Version"), status: http.StatusOK, at: time.Now()}
	if err := json.Unmarshal(body, &d.payload); err != nil {
		r.t.Errorf("receiver %s: body %s: %v", req.URL.Path, body, err)
	}
	switch {
	case strings.HasPrefix(req.URL.Path, "/hang/"):
		select {
		case <-time.After(8 * time.Second):
		case <-req.Context().Done():
		}
	case strings.HasPrefix(req.URL.Path, "/flaky/"):
		r.mu.Lock()
		r.flaky[req.URL.Path]++
		if r.flaky[req.URL.Path] <= 2 {
			d.status = http.StatusInternalServerError
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
	w.WriteHeader(d.status)
}

// at returns the requests to path so far.
func (r *receiver) at(path string) []delivered {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []delivered
	for _, d := range r.got {
		if d.path == path {
			out = append(out, d)
		}
	}
	return out
}

// waitFor polls until cond holds, failing after limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const subscribe = `mutation($t: WebhookSubscriptionTopic!, $u: URL!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: {callbackUrl: $u, format: JSON}) {
	webhookSubscription { id topic callbackUrl format status apiVersion } secret userErrors { field message code } } }`

// subscribeTo creates a subscription of topic to the receiver's path, and tells the receiver its secret.
func (r *receiver) subscribeTo(t *testing.T, s *server, h http.Header, topic, path string) string {
	t.Helper()
	d := s.data(t, h, subscribe, map[string]any{"t": topic, "u": r.srv.URL + path})
	noUserErrors(t, d, "webhookSubscriptionCreate")
	secret := str(d, "webhookSubscriptionCreate.secret")
	if !strings.HasPrefix(secret, webhooks.SecretPrefix) || str(d, "webhookSubscriptionCreate.webhookSubscription.topic") != topic ||
		str(d, "webhookSubscriptionCreate.webhookSubscription.status") != "ACTIVE" {
		t.Fatalf("webhookSubscriptionCreate: %v", d)
	}
	r.mu.Lock()
	r.secrets[path+" "+webhooks.TopicOf(topic)] = secret
	r.mu.Unlock()
	return str(d, "webhookSubscriptionCreate.webhookSubscription.id")
}

const deliveriesQuery = `query($id: ID!) { webhookDeliveries(subscriptionId: $id, first: 20) { nodes {
	id webhookId topic eventId resourceId status attempts responseCode latencyMs error nextAttemptAt deliveredAt } } }`

func updateProductTitle(t *testing.T, s *server, h http.Header, id, title string) {
	t.Helper()
	update := `mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } userErrors { field message } } }`
	noUserErrors(t, s.data(t, h, update, map[string]any{"p": map[string]any{"id": id, "title": title}}), "productUpdate")
}

// TestWebhooks subscribes a receiver that checks every signature, makes changes through the API and
// waits for their deliveries: payload and headers, retries in order per resource, a hanging receiver,
// API keys' own subscriptions and the SSRF guard.
func TestWebhooks(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments = gateway
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = 200 * time.Millisecond
		// Short enough that the hanging receiver's first attempt, 5 s, is its last.
		o.WebhookGiveUpAfter = 4 * time.Second
	}, func(t *testing.T, s *server) {
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		rcv := newReceiver(t)
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		product := str(s.data(t, nil, `{ product(handle: "organic-cotton-tee") { id } }`, nil), "product.id")

		ordersSub := rcv.subscribeTo(t, s, owner, "ORDERS_CREATE", "/ok/orders")
		productsSub := rcv.subscribeTo(t, s, owner, "PRODUCTS_UPDATE", "/ok/products")

		t.Run("delivered and signed", func(t *testing.T) {
			order := placeOrder(t, s, tee, 1, payments.CardSuccess)
			updateProductTitle(t, s, owner, product, "Organic Cotton Tee II")
			waitFor(t, 20*time.Second, "both deliveries", func() bool { return len(rcv.at("/ok/orders")) > 0 && len(rcv.at("/ok/products")) > 0 })
			o, p := rcv.at("/ok/orders")[0], rcv.at("/ok/products")[0]
			if o.topic != "orders/create" || o.payload["id"] != order || o.webhookID == "" || o.eventID == "" || o.apiVersion != webhooks.APIVersion {
				t.Errorf("orders/create delivery: %+v", o)
			}
			if _, err := time.Parse(time.RFC3339Nano, o.triggeredAt); err != nil {
				t.Errorf("X-Emporium-Triggered-At %q: %v", o.triggeredAt, err)
			}
			if p.topic != "products/update" || p.payload["id"] != product || p.payload["title"] != "Organic Cotton Tee II" {
				t.Errorf("products/update delivery: %+v", p)
			}
			// The receiver answers before the sender records the answer: wait for the record.
			var d map[string]any
			waitFor(t, 10*time.Second, "the delivery's record", func() bool {
				d = s.data(t, owner, deliveriesQuery, map[string]any{"id": ordersSub})
				st := str(d, "webhookDeliveries.nodes.0.status")
				return st != "" && st != "PENDING"
			})
			if str(d, "webhookDeliveries.nodes.0.status") != "DELIVERED" || at(d, "webhookDeliveries.nodes.0.responseCode") != 200.0 ||
				at(d, "webhookDeliveries.nodes.0.attempts") != 1.0 || str(d, "webhookDeliveries.nodes.0.webhookId") != o.webhookID ||
				str(d, "webhookDeliveries.nodes.0.resourceId") != order {
				t.Errorf("webhookDeliveries: %v", d)
			}
		})

		t.Run("retried in order per resource", func(t *testing.T) {
			rcv.subscribeTo(t, s, owner, "ORDERS_CREATE", "/flaky/orders")
			rcv.subscribeTo(t, s, owner, "ORDERS_PAID", "/flaky/orders")
			order := placeOrder(t, s, tee, 1, payments.CardSuccess)
			ok := func() []delivered {
				var out []delivered
				for _, d := range rcv.at("/flaky/orders") {
					if d.status == http.StatusOK {
						out = append(out, d)
					}
				}
				return out
			}
			waitFor(t, 20*time.Second, "orders/create and orders/paid after two 500s", func() bool { return len(ok()) >= 2 })
			all := rcv.at("/flaky/orders")
			var seq []string
			for _, d := range all {
				seq = append(seq, fmt.Sprintf("%s:%d", d.topic, d.status))
				if d.payload["id"] != order {
					t.Errorf("delivery of another order: %+v", d)
				}
			}
			want := "[orders/create:500 orders/create:500 orders/create:200 orders/paid:200]"
			if fmt.Sprint(seq) != want {
				t.Errorf("requests to the flaky receiver: %v, want %s", seq, want)
			}
			if all[0].webhookID != all[2].webhookID {
				t.Errorf("a retry changed X-Emporium-Webhook-Id: %s then %s", all[0].webhookID, all[2].webhookID)
			}
		})

		t.Run("a hanging receiver times out, others are served, then it is given up", func(t *testing.T) {
			hang := rcv.subscribeTo(t, s, owner, "PRODUCTS_UPDATE", "/hang/products")
			before := len(rcv.at("/ok/products"))
			start := time.Now()
			updateProductTitle(t, s, owner, product, "Organic Cotton Tee III")
			waitFor(t, 5*time.Second, "the healthy receiver", func() bool { return len(rcv.at("/ok/products")) > before })
			if d := time.Since(start); d > 4*time.Second {
				t.Errorf("the healthy receiver waited %s behind the hanging one", d)
			}
			var d map[string]any
			waitFor(t, 20*time.Second, "the hanging delivery's timeout", func() bool {
				d = s.data(t, owner, deliveriesQuery, map[string]any{"id": hang})
				return at(d, "webhookDeliveries.nodes.0.attempts") != nil && at(d, "webhookDeliveries.nodes.0.attempts").(float64) >= 1
			})
			if !strings.Contains(str(d, "webhookDeliveries.nodes.0.error"), "timeout") || at(d, "webhookDeliveries.nodes.0.latencyMs").(float64) < 4900 ||
				str(d, "webhookDeliveries.nodes.0.status") != "FAILED" {
				t.Errorf("the hanging delivery, past the give-up time: %v", d)
			}
			status := `{ webhookSubscriptions(first: 50, topics: [PRODUCTS_UPDATE]) { nodes { id status } } }`
			want := fmt.Sprintf("map[id:%s status:FAILING]", hang)
			// The subscription is marked (with its event, in a transaction of its own) just after the
			// delivery is given up: give it a moment.
			var got string
			deadline := time.Now().Add(5 * time.Second)
			for got != want && time.Now().Before(deadline) {
				if got = fmt.Sprint(at(s.data(t, owner, status, nil), "webhookSubscriptions.nodes.0")); got != want {
					time.Sleep(50 * time.Millisecond)
				}
			}
			if got != want {
				t.Errorf("the given-up subscription: %s, want %s", got, want)
			}
			// A failing subscription gets no deliveries until it is updated.
			seen := len(rcv.at("/ok/products"))
			updateProductTitle(t, s, owner, product, "Organic Cotton Tee IIIb")
			// The healthy subscription's delivery shows the event was handed on.
			waitFor(t, 10*time.Second, "the event's other delivery", func() bool { return len(rcv.at("/ok/products")) > seen })
			upd := `mutation($id: ID!, $u: URL!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: {callbackUrl: $u}) { webhookSubscription { status } userErrors { code } } }`
			d = s.data(t, owner, upd, map[string]any{"id": hang, "u": rcv.srv.URL + "/hang/products"})
			if str(d, "webhookSubscriptionUpdate.webhookSubscription.status") != "ACTIVE" {
				t.Errorf("updating a failing subscription: %v", d)
			}
			if n, _ := at(s.data(t, owner, deliveriesQuery, map[string]any{"id": hang}), "webhookDeliveries.nodes").([]any); len(n) != 1 {
				t.Errorf("a failing subscription got %d deliveries, want 1", len(n))
			}
			del := `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { code } } }`
			noUserErrors(t, s.data(t, owner, del, map[string]any{"id": hang}), "webhookSubscriptionDelete")
		})

		t.Run("an API key manages only its own", func(t *testing.T) {
			_, secret := createKey(t, s, owner, "MANAGE_WEBHOOKS")
			key := bearer(secret)
			own := rcv.subscribeTo(t, s, key, "CUSTOMERS_CREATE", "/ok/customers")
			list := `{ webhookSubscriptions(first: 50) { nodes { id } } }`
			if ids := at(s.data(t, key, list, nil), "webhookSubscriptions.nodes"); fmt.Sprint(ids) != fmt.Sprintf("[map[id:%s]]", own) {
				t.Errorf("the key lists %v, want only %s", ids, own)
			}
			if ids, _ := at(s.data(t, owner, list, nil), "webhookSubscriptions.nodes").([]any); len(ids) < 4 {
				t.Errorf("the owner lists %v", ids)
			}
			upd := `mutation($id: ID!, $u: URL!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: {callbackUrl: $u}) { webhookSubscription { id } userErrors { code } } }`
			if d := s.data(t, key, upd, map[string]any{"id": productsSub, "u": rcv.srv.URL + "/stolen"}); userErrorCode(d, "webhookSubscriptionUpdate") != "NOT_FOUND" {
				t.Errorf("the key changed the owner's subscription: %v", d)
			}
			del := `mutation($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { code } } }`
			if d := s.data(t, key, del, map[string]any{"id": ordersSub}); userErrorCode(d, "webhookSubscriptionDelete") != "NOT_FOUND" {
				t.Errorf("the key deleted the owner's subscription: %v", d)
			}
			filtered := `{ webhookSubscriptions(first: 50, topics: [CUSTOMERS_CREATE]) { nodes { id topic } } }`
			if n, _ := at(s.data(t, owner, filtered, nil), "webhookSubscriptions.nodes").([]any); len(n) != 1 {
				t.Errorf("filtered by topic: %v", n)
			}
		})

		t.Run("SSRF guard", func(t *testing.T) {
			for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/hook", "http://[::1]/hook",
				"http://127.0.0.2/hook", "ftp://example.com/hook", "http://user:pw@127.0.0.1/hook", "not a url"} {
				d := s.data(t, owner, subscribe, map[string]any{"t": "ORDERS_CREATE", "u": u})
				if userErrorCode(d, "webhookSubscriptionCreate") != "INVALID" || at(d, "webhookSubscriptionCreate.webhookSubscription") != nil {
					t.Errorf("%s: %v", u, d)
				}
			}
			// A callback whose name resolved to a public address when saved and to a private one now: the
			// dialer refuses it at delivery.
			id := rcv.subscribeTo(t, s, owner, "PRODUCTS_UPDATE", "/ok/rebound")
			n, _ := gid.DecodeType(id, "WebhookSubscription")
			port := rcv.srv.Listener.Addr().(*net.TCPAddr).Port
			if err := s.svc.DB.Client.WebhookSubscription.UpdateOneID(n).SetCallbackURL(fmt.Sprintf("http://127.0.0.2:%d/ok/rebound", port)).
				Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			updateProductTitle(t, s, owner, product, "Organic Cotton Tee IV")
			var d map[string]any
			waitFor(t, 15*time.Second, "the refused attempt", func() bool {
				d = s.data(t, owner, deliveriesQuery, map[string]any{"id": id})
				return strings.Contains(str(d, "webhookDeliveries.nodes.0.error"), "refused")
			})
			if got := rcv.at("/ok/rebound"); len(got) != 0 {
				t.Errorf("a private address was reached: %+v", got)
			}
			if _, err := s.svc.DB.Client.WebhookSubscription.Delete().Where(webhooksubscription.ID(n)).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	})
}
