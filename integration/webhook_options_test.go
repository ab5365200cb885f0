package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/webhooks"
)

const subscribeWith = `mutation($t: WebhookSubscriptionTopic!, $s: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $t, webhookSubscription: $s) {
	webhookSubscription { id topic status apiVersion fieldSelection includeFields filter } secret userErrors { field message code } } }`

const updateWith = `mutation($id: ID!, $s: WebhookSubscriptionInput!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: $s) {
	webhookSubscription { id status apiVersion fieldSelection includeFields filter } userErrors { field message code } } }`

// subscribeWithOptions creates a subscription of topic to the receiver's path with the options in
// (callbackUrl is set here), tells the receiver its secret and returns its ID.
func (r *receiver) subscribeWithOptions(t *testing.T, s *server, h http.Header, topic, path string, in map[string]any) string {
	t.Helper()
	in["callbackUrl"] = r.srv.URL + path
	d := s.data(t, h, subscribeWith, map[string]any{"t": topic, "s": in})
	noUserErrors(t, d, "webhookSubscriptionCreate")
	r.mu.Lock()
	r.secrets[path+" "+webhooks.TopicOf(topic)] = str(d, "webhookSubscriptionCreate.secret")
	r.mu.Unlock()
	return str(d, "webhookSubscriptionCreate.webhookSubscription.id")
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestWebhookSubscriptionOptions subscribes with a field selection, includeFields, filters and an API
// version, makes changes through the API and checks what the signature-checking receiver gets: payloads
// cut to the selection, events the filter refuses never delivered, the version header; and that invalid
// options are userErrors that change nothing.
func TestWebhookSubscriptionOptions(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments = payments.NewTestGateway()
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = 200 * time.Millisecond
	}, func(t *testing.T, s *server) {
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		rcv := newReceiver(t)
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		product := str(s.data(t, nil, `{ product(handle: "organic-cotton-tee") { id } }`, nil), "product.id")

		t.Run("userErrors", func(t *testing.T) {
			for _, c := range []struct {
				name  string
				in    map[string]any
				field string
				msg   string
			}{
				{"unknown field", map[string]any{"fieldSelection": "{ id name totalPriceSet { shopMoney { amount currencyCode } } }"}, "webhookSubscription.fieldSelection", "totalPriceSet"},
				{"unknown nested field", map[string]any{"fieldSelection": "{ lineItems { title price } }"}, "webhookSubscription.fieldSelection", "lineItems.price"},
				{"not GraphQL", map[string]any{"fieldSelection": "{ id "}, "webhookSubscription.fieldSelection", "GraphQL"},
				{"too deep", map[string]any{"fieldSelection": strings.Repeat("{ lineItems ", 8) + strings.Repeat("}", 8)}, "webhookSubscription.fieldSelection", ""},
				{"unknown include", map[string]any{"includeFields": []string{"id", "lineItems.cost"}}, "webhookSubscription.includeFields", "lineItems.cost"},
				{"both", map[string]any{"fieldSelection": "{ id }", "includeFields": []string{"id"}}, "webhookSubscription.includeFields", "either"},
				{"unknown filter field", map[string]any{"filter": "financial_state:paid"}, "webhookSubscription.filter", "financial_state"},
				{"filter syntax", map[string]any{"filter": `note:"open`}, "webhookSubscription.filter", "unterminated"},
				{"filter without field", map[string]any{"filter": "paid"}, "webhookSubscription.filter", "field"},
				{"unknown version", map[string]any{"apiVersion": "2019-10"}, "webhookSubscription.apiVersion", "2025-01"},
			} {
				t.Run(c.name, func(t *testing.T) {
					c.in["callbackUrl"] = rcv.srv.URL + "/never"
					d := s.data(t, owner, subscribeWith, map[string]any{"t": "ORDERS_CREATE", "s": c.in})
					e, _ := at(d, "webhookSubscriptionCreate.userErrors.0").(map[string]any)
					if e == nil || at(d, "webhookSubscriptionCreate.webhookSubscription") != nil || e["code"] != "INVALID" ||
						fmt.Sprint(e["field"]) != fmt.Sprint(strings.Split(c.field, ".")) || !strings.Contains(fmt.Sprint(e["message"]), c.msg) {
						t.Errorf("got %v; want INVALID on %s naming %q", d, c.field, c.msg)
					}
				})
			}
			if d := s.data(t, owner, `{ webhookSubscriptions(first: 5) { nodes { id } } }`, nil); len(at(d, "webhookSubscriptions.nodes").([]any)) != 0 {
				t.Errorf("refused subscriptions were saved: %v", d)
			}
		})

		// One subscription per option, all made before the changes; the plain ones are the barriers that
		// show each event was handed on (a subscription's deliveries are made with the event's others).
		selected := rcv.subscribeWithOptions(t, s, owner, "ORDERS_CREATE", "/opt/selected",
			map[string]any{"fieldSelection": "{ id name totalPrice { amount } lineItems { title quantity } }", "apiVersion": "2025-01"})
		included := rcv.subscribeWithOptions(t, s, owner, "ORDERS_CREATE", "/opt/included",
			map[string]any{"includeFields": []string{"id", "financialStatus", "lineItems.sku"}})
		paidCheap := rcv.subscribeWithOptions(t, s, owner, "ORDERS_CREATE", "/opt/paid-cheap",
			map[string]any{"filter": "financial_status:paid AND total_price:<1000.00"})
		expensive := rcv.subscribeWithOptions(t, s, owner, "ORDERS_CREATE", "/opt/expensive",
			map[string]any{"filter": "total_price:>=1000.00"})
		keep := rcv.subscribeWithOptions(t, s, owner, "PRODUCTS_UPDATE", "/opt/keep",
			map[string]any{"filter": `title:keep* AND status:active`, "fieldSelection": "title"})
		rcv.subscribeWithOptions(t, s, owner, "PRODUCTS_UPDATE", "/opt/all-products", map[string]any{})

		t.Run("shown on the subscription", func(t *testing.T) {
			d := s.data(t, owner, `{ webhookSubscriptions(first: 10, topics: [ORDERS_CREATE]) { nodes { id apiVersion fieldSelection includeFields filter } } }`, nil)
			got := map[string]string{}
			for _, n := range at(d, "webhookSubscriptions.nodes").([]any) {
				got[str(n, "id")] = fmt.Sprintf("%v|%v|%v|%v", at(n, "apiVersion"), at(n, "fieldSelection"), at(n, "includeFields"), at(n, "filter"))
			}
			want := map[string]string{
				selected:  "2025-01|{ id name totalPrice { amount } lineItems { title quantity } }|[]|<nil>",
				included:  "2025-01|<nil>|[id financialStatus lineItems.sku]|<nil>",
				paidCheap: "2025-01|<nil>|[]|financial_status:paid AND total_price:<1000.00",
				expensive: "2025-01|<nil>|[]|total_price:>=1000.00",
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("subscriptions:\n got %v\nwant %v", got, want)
			}
		})

		t.Run("selection cuts, filter chooses, version sent", func(t *testing.T) {
			order := placeOrder(t, s, tee, 2, payments.CardSuccess)
			waitFor(t, 20*time.Second, "the order's deliveries", func() bool {
				return len(rcv.at("/opt/selected")) > 0 && len(rcv.at("/opt/included")) > 0 && len(rcv.at("/opt/paid-cheap")) > 0
			})
			sel := rcv.at("/opt/selected")[0]
			if fmt.Sprint(keysOf(sel.payload)) != "[id lineItems name totalPrice]" || sel.payload["id"] != order ||
				fmt.Sprint(keysOf(sel.payload["totalPrice"].(map[string]any))) != "[amount]" || sel.apiVersion != "2025-01" {
				t.Errorf("selected delivery: %+v", sel)
			}
			for _, l := range sel.payload["lineItems"].([]any) {
				if fmt.Sprint(keysOf(l.(map[string]any))) != "[quantity title]" || l.(map[string]any)["quantity"] != 2.0 {
					t.Errorf("selected line: %v", l)
				}
			}
			inc := rcv.at("/opt/included")[0]
			if fmt.Sprint(keysOf(inc.payload)) != "[financialStatus id lineItems]" || inc.payload["financialStatus"] != "PAID" ||
				fmt.Sprint(inc.payload["lineItems"]) != "[map[sku:EMP-TEE-ORG-M-NVY]]" {
				t.Errorf("included delivery: %+v", inc.payload)
			}
			if p := rcv.at("/opt/paid-cheap")[0]; p.payload["id"] != order || len(p.payload) < 10 || p.apiVersion != webhooks.APIVersion {
				t.Errorf("the filtered subscription got the whole payload? %+v", p)
			}
			// The expensive subscription's delivery would have been made with the others: none was.
			if n := at(s.data(t, owner, deliveriesQuery, map[string]any{"id": expensive}), "webhookDeliveries.nodes").([]any); len(n) != 0 || len(rcv.at("/opt/expensive")) != 0 {
				t.Errorf("an order below 1000.00 was delivered to total_price:>=1000.00: %v", n)
			}
		})

		t.Run("filter drops non-matching events, lets matching ones through", func(t *testing.T) {
			for _, title := range []string{"Dropped tee", "Keep tee", "Also dropped", "keep TEE too"} {
				updateProductTitle(t, s, owner, product, title)
			}
			waitFor(t, 20*time.Second, "the four unfiltered deliveries", func() bool { return len(rcv.at("/opt/all-products")) >= 4 })
			waitFor(t, 10*time.Second, "the kept deliveries", func() bool { return len(rcv.at("/opt/keep")) >= 2 })
			var got []string
			for _, d := range rcv.at("/opt/keep") {
				if len(d.payload) != 1 {
					t.Errorf("field selection title: %v", d.payload)
				}
				got = append(got, fmt.Sprint(d.payload["title"]))
			}
			if fmt.Sprint(got) != "[Keep tee keep TEE too]" {
				t.Errorf("filtered deliveries: %v, want [Keep tee keep TEE too]", got)
			}
			if n := at(s.data(t, owner, deliveriesQuery, map[string]any{"id": keep}), "webhookDeliveries.nodes").([]any); len(n) != 2 {
				t.Errorf("the filtered subscription has %d deliveries, want 2", len(n))
			}
		})

		t.Run("invalid update changes nothing; valid update applies", func(t *testing.T) {
			d := s.data(t, owner, updateWith, map[string]any{"id": keep, "s": map[string]any{"filter": "titel:keep", "fieldSelection": "{ id }"}})
			if userErrorCode(d, "webhookSubscriptionUpdate") != "INVALID" || at(d, "webhookSubscriptionUpdate.webhookSubscription") != nil {
				t.Errorf("invalid update: %v", d)
			}
			q := `query { webhookSubscriptions(first: 10, topics: [PRODUCTS_UPDATE]) { nodes { id fieldSelection filter } } }`
			for _, n := range at(s.data(t, owner, q, nil), "webhookSubscriptions.nodes").([]any) {
				if str(n, "id") == keep && (str(n, "filter") != "title:keep* AND status:active" || str(n, "fieldSelection") != "title") {
					t.Errorf("an invalid update changed the subscription: %v", n)
				}
			}
			d = s.data(t, owner, updateWith, map[string]any{"id": keep, "s": map[string]any{"filter": "", "includeFields": []string{"id", "handle"}}})
			noUserErrors(t, d, "webhookSubscriptionUpdate")
			if got := fmt.Sprintf("%v|%v|%v", at(d, "webhookSubscriptionUpdate.webhookSubscription.filter"),
				at(d, "webhookSubscriptionUpdate.webhookSubscription.fieldSelection"), at(d, "webhookSubscriptionUpdate.webhookSubscription.includeFields")); got != "<nil>|<nil>|[id handle]" {
				t.Errorf("after update: %s", got)
			}
			before := len(rcv.at("/opt/keep"))
			updateProductTitle(t, s, owner, product, "Dropped no more")
			waitFor(t, 20*time.Second, "the unfiltered delivery", func() bool { return len(rcv.at("/opt/keep")) > before })
			if d := rcv.at("/opt/keep")[before]; fmt.Sprint(keysOf(d.payload)) != "[handle id]" {
				t.Errorf("after the update the cached selection was kept: %v", d.payload)
			}
		})
	})
}

// TestWebhookFailingAlert gives up a subscription's delivery (short give-up time, a receiver that
// refuses connections) and checks that the staff are told once per failure: the subscription is
// FAILING, a webhook_subscriptions/failing event is recorded, and the staff email arrives through the
// real SMTP server; re-activated and failing again, a second email.
func TestWebhookFailingAlert(t *testing.T) {
	var srv *mailtest.Server
	eachFreshDB(t, func(o *service.Options) {
		srv = mailtest.Start(t)
		withOwner(nil)(o)
		o.Mailer = mail.SMTPSender{Addr: srv.Addr, From: "Shop <shop@example.com>"}
		o.StaffEmail = "staff@example.com"
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		o.WebhookRetryBase = 100 * time.Millisecond
		o.WebhookGiveUpAfter = time.Second
	}, func(t *testing.T, s *server) {
		ctx := context.Background()
		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		product := str(s.data(t, nil, `{ product(handle: "organic-cotton-tee") { id } }`, nil), "product.id")
		// A port nobody listens on: every attempt is refused.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := fmt.Sprintf("http://%s/hooks", l.Addr())
		l.Close()
		d := s.data(t, owner, subscribe, map[string]any{"t": "PRODUCTS_UPDATE", "u": dead})
		noUserErrors(t, d, "webhookSubscriptionCreate")
		sub := str(d, "webhookSubscriptionCreate.webhookSubscription.id")
		subID, _ := gid.DecodeType(sub, "WebhookSubscription")
		isAlert := func(p *mailtest.Parsed) bool {
			return strings.Contains(p.Subject, "Webhook subscription failing: products/update")
		}
		status := func() string {
			q := `{ webhookSubscriptions(first: 5, topics: [PRODUCTS_UPDATE]) { nodes { id status } } }`
			return str(s.data(t, owner, q, nil), "webhookSubscriptions.nodes.0.status")
		}

		for round := 1; round <= 2; round++ {
			updateProductTitle(t, s, owner, product, fmt.Sprintf("Alert tee %d", round))
			got := srv.Wait(t, 30*time.Second, round, isAlert)
			if len(got) != round {
				t.Fatalf("round %d: %d alert emails", round, len(got))
			}
			m := got[round-1]
			if to, err := m.Header.AddressList("To"); err != nil || len(to) != 1 || to[0].Address != "staff@example.com" {
				t.Errorf("alert addressed to %v, %v", to, err)
			}
			if text := m.Parts["text/plain"]; !strings.Contains(text, dead) || !strings.Contains(text, sub) || !strings.Contains(text, "Last error:") {
				t.Errorf("alert text:\n%s", text)
			}
			if !strings.Contains(m.Parts["text/html"], "<strong>products/update</strong>") {
				t.Errorf("alert html:\n%s", m.Parts["text/html"])
			}
			if st := status(); st != "FAILING" {
				t.Errorf("round %d: subscription %s", round, st)
			}
			evs, err := s.svc.DB.Client.Event.Query().Where(event.Topic(events.WebhookSubscriptionsFailing)).All(ctx)
			if err != nil || len(evs) != round || evs[round-1].ResourceID != gid.Encode("WebhookSubscription", subID) {
				t.Fatalf("round %d: failing events %v, %v", round, evs, err)
			}
			// More changes while failing make no deliveries, hence no more alerts.
			updateProductTitle(t, s, owner, product, fmt.Sprintf("Alert tee %d while failing", round))
			time.Sleep(1500 * time.Millisecond)
			if n := len(srv.Wait(t, 0, round, isAlert)); n != round {
				t.Errorf("round %d: %d alert emails after more changes, want %d", round, n, round)
			}
			// Updating makes it active again: the next failure is told again.
			d := s.data(t, owner, updateWith, map[string]any{"id": sub, "s": map[string]any{"callbackUrl": dead}})
			noUserErrors(t, d, "webhookSubscriptionUpdate")
		}
	})
}
