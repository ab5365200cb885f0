package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"

	"github.com/emporium/emporium/internal/stripemock"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

const stripeWebhookSecret = "whsec_test_emporium"

// stripeCalls records the Stripe API calls of a provider and the PaymentIntents it created.
type stripeCalls struct {
	mu      sync.Mutex
	calls   []string
	intents []string
	// refundKeys are the Idempotency-Keys of the refunds asked for.
	refundKeys []string
}

func (c *stripeCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return res, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, r.Method+" "+r.URL.Path)
	if r.URL.Path == "/v1/refunds" {
		c.refundKeys = append(c.refundKeys, r.Header.Get("Idempotency-Key"))
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1/payment_intents" && res.StatusCode == http.StatusOK {
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(body))
		var pi struct{ ID string }
		if err == nil && json.Unmarshal(body, &pi) == nil {
			c.intents = append(c.intents, pi.ID)
		}
	}
	return res, nil
}

func (c *stripeCalls) snapshot() (calls, intents []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...), append([]string(nil), c.intents...)
}

// stripeAccount stands for one Stripe account whose PaymentIntents move on between calls, as a buyer's
// 3-D Secure challenge moves them on Stripe: stripe-mock answers every call with one fixture, so each
// state is a stripe-mock of its own and the account points the provider at the one the test is in.
type stripeAccount struct {
	calls  *stripeCalls
	states map[string]*payments.Stripe
	cur    atomic.Pointer[payments.Stripe]
	// later is the shop's setting: capture on fulfilment instead of at completion.
	later atomic.Bool
	// loseRefund loses the answer to the next refund after Stripe made it, as a connection cut
	// between Stripe's answer and Emporium would.
	loseRefund atomic.Bool
}

func newStripeAccount(t *testing.T) *stripeAccount {
	a := &stripeAccount{calls: &stripeCalls{}, states: map[string]*payments.Stripe{}}
	fixtures := map[string]map[string]any{
		"requires_capture": stripemock.RequiresCapture(),
		"requires_action": {"status": "requires_action", "capture_method": "manual", "last_payment_error": nil,
			"next_action": map[string]any{"type": "redirect_to_url", "redirect_to_url": map[string]any{
				"url": "https://hooks.stripe.com/3d_secure_2/hosted", "return_url": "https://shop.example/return"}}},
		"declined": nil, // the bundled fixture: requires_payment_method
	}
	for state, fields := range fixtures {
		var edit func(*stripemock.Fixtures)
		if fields != nil {
			edit = stripemock.Intent(fields)
		}
		if state == "requires_capture" {
			// The charge's balance transaction: Stripe kept 2.9 % + 0.30 of 10.00.
			edit = stripemock.Both(edit, stripemock.Set("balance_transaction", map[string]any{"amount": 1000, "fee": 59, "net": 941}))
		}
		a.states[state] = payments.NewStripe(payments.StripeConfig{SecretKey: "sk_test_emporium", PublishableKey: "pk_test_emporium", APIBase: stripemock.Start(t, edit),
			HTTPClient: &http.Client{Transport: a.calls, Timeout: 10 * time.Second}})
	}
	a.set("requires_capture")
	return a
}

func (a *stripeAccount) set(state string) { a.cur.Store(a.states[state]) }

func (a *stripeAccount) Name() string               { return payments.StripeName }
func (a *stripeAccount) PublishableKey() string     { return a.cur.Load().PublishableKey() }
func (a *stripeAccount) CapturesOnFulfilment() bool { return a.later.Load() }
func (a *stripeAccount) Authorize(ctx context.Context, r payments.Request) (payments.Result, error) {
	return a.cur.Load().Authorize(ctx, r)
}
func (a *stripeAccount) Capture(ctx context.Context, ref string, m money.Money) (payments.Result, error) {
	return a.cur.Load().Capture(ctx, ref, m)
}
func (a *stripeAccount) Void(ctx context.Context, ref string) (payments.Result, error) {
	return a.cur.Load().Void(ctx, ref)
}
func (a *stripeAccount) Refund(ctx context.Context, ref string, m money.Money) (payments.Result, error) {
	res, err := a.cur.Load().Refund(ctx, ref, m)
	if err == nil && a.loseRefund.CompareAndSwap(true, false) {
		return payments.Result{}, errors.New("read tcp: connection reset by peer")
	}
	return res, err
}
func (a *stripeAccount) Confirm(ctx context.Context, ref string) (payments.Result, error) {
	return a.cur.Load().Confirm(ctx, ref)
}
func (a *stripeAccount) Lookup(ctx context.Context, key string) (payments.Result, error) {
	return a.cur.Load().Lookup(ctx, key)
}
func (a *stripeAccount) PayoutFees(ctx context.Context, payout string) (int64, error) {
	return a.cur.Load().PayoutFees(ctx, payout)
}

// stripeEvent is a Stripe webhook delivery of an event about a PaymentIntent, signed as Stripe signs.
func stripeEvent(t *testing.T, typ, intent, secret string) (body []byte, signature string) {
	t.Helper()
	return signedStripeEvent(t, typ, map[string]any{"id": intent, "object": "payment_intent"}, secret)
}

// signedStripeEvent is a Stripe webhook delivery of an event about object, signed as Stripe signs.
func signedStripeEvent(t *testing.T, typ string, object map[string]any, secret string) (body []byte, signature string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_%s_%d", object["id"], time.Now().UnixNano()), "object": "event", "type": typ,
		"api_version": "2020-08-27", "created": time.Now().Unix(), "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	return body, fmt.Sprintf("t=%d,v1=%x", now.Unix(), webhook.ComputeSignature(now, body, secret))
}

func postStripeEvent(t *testing.T, s *server, body []byte, signature string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/payments/stripe/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if signature != "" {
		req.Header.Set("Stripe-Signature", signature)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, strings.TrimSpace(string(b))
}

// TestStripeCheckout takes cards through the Stripe provider against Stripe's own mock server, on both
// databases: a card authorized and captured at completion; a decline that places no order; a 3-D
// Secure challenge settled by Stripe's signed webhook event, which only a correct signature moves.
func TestStripeCheckout(t *testing.T) {
	account := newStripeAccount(t)
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments, o.StripeWebhookSecret = account, stripeWebhookSecret
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}, func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		rcv := newReceiver(t)
		rcv.subscribeTo(t, s, owner, "DISPUTES_CREATE", "/disputes")
		rcv.subscribeTo(t, s, owner, "DISPUTES_UPDATE", "/disputes")
		rcv.subscribeTo(t, s, owner, "PAYOUTS_PAID", "/payouts")
		rcv.subscribeTo(t, s, owner, "PAYOUTS_FAILED", "/payouts")
		financial := func(order string) string {
			return str(s.data(t, owner, `query($id: ID!) { order(id: $id) { financialStatus } }`, map[string]any{"id": order}), "order.financialStatus")
		}

		// The storefront learns the key Stripe.js creates PaymentMethods with.
		if got := str(s.data(t, nil, `{ shop { paymentSettings { stripePublishableKey } } }`, nil), "shop.paymentSettings.stripePublishableKey"); got != "pk_test_emporium" {
			t.Errorf("publishable key %q", got)
		}

		t.Run("captured at completion", func(t *testing.T) {
			account.set("requires_capture")
			before, _ := account.calls.snapshot()
			cart, _ := readyCart(t, s, tee, 1, "pm_card_visa")
			order, failure := completeCart(t, s, cart, "stripe-paid")
			if order == "" {
				t.Fatalf("no order: %s", failure)
			}
			if got := financial(order); got != "PAID" {
				t.Errorf("financial status %s, want PAID", got)
			}
			calls, _ := account.calls.snapshot()
			made := strings.Join(calls[len(before):], ", ")
			if !strings.HasPrefix(made, "POST /v1/payment_intents, POST /v1/payment_intents/pi_") || !strings.HasSuffix(made, "/capture") {
				t.Errorf("Stripe calls: %s", made)
			}
		})

		t.Run("captured on fulfilment", func(t *testing.T) {
			account.set("requires_capture")
			account.later.Store(true)
			defer account.later.Store(false)
			before, _ := account.calls.snapshot()
			cart, _ := readyCart(t, s, tee, 1, "pm_card_visa")
			order, failure := completeCart(t, s, cart, "stripe-later")
			if order == "" {
				t.Fatalf("no order: %s", failure)
			}
			calls, _ := account.calls.snapshot()
			if got := financial(order); got != "AUTHORIZED" || len(calls)-len(before) != 1 {
				t.Fatalf("after completion: %s, Stripe calls %v", got, calls[len(before):])
			}
			d := s.data(t, owner, `mutation($in: FulfillmentInput!) { fulfillmentCreate(fulfillment: $in) { order { financialStatus fulfillmentStatus }
				userErrors { field message code } } }`, map[string]any{"in": map[string]any{"orderId": order}})
			noUserErrors(t, d, "fulfillmentCreate")
			if got := str(d, "fulfillmentCreate.order.financialStatus"); got != "PAID" {
				t.Errorf("after the fulfilment: %s", got)
			}
			calls, _ = account.calls.snapshot()
			if last := calls[len(calls)-1]; !strings.HasSuffix(last, "/capture") {
				t.Errorf("the fulfilment's Stripe call: %s", last)
			}
		})

		t.Run("cancelled before the capture: the authorization is voided", func(t *testing.T) {
			account.set("requires_capture")
			account.later.Store(true)
			defer account.later.Store(false)
			cart, _ := readyCart(t, s, tee, 1, "pm_card_visa")
			order, failure := completeCart(t, s, cart, "stripe-voided")
			if order == "" {
				t.Fatalf("no order: %s", failure)
			}
			before, _ := account.calls.snapshot()
			d := s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) {
				order { financialStatus } userErrors { field message code } } }`, map[string]any{"id": order})
			noUserErrors(t, d, "orderCancel")
			if got := str(d, "orderCancel.order.financialStatus"); got != "VOIDED" {
				t.Errorf("after the cancellation: %s", got)
			}
			calls, _ := account.calls.snapshot()
			if made := calls[len(before):]; len(made) != 1 || !strings.HasPrefix(made[0], "POST /v1/payment_intents/pi_") || !strings.HasSuffix(made[0], "/cancel") {
				t.Errorf("the cancellation's Stripe calls: %v", made)
			}
			// Nothing was taken, so nothing is refunded: the placement is reversed in the journal.
			got := journalLines(t, s, owner, func(e any) bool { return str(e, "orderId") == order })
			if len(got) != 2 || !strings.HasPrefix(got[0], "order_placed ") || !strings.HasPrefix(got[1], "order_cancelled ") {
				t.Errorf("journal of the voided order: %v", got)
			}
		})

		t.Run("a dispute, opened then won", func(t *testing.T) {
			account.set("requires_capture")
			cart, _ := readyCart(t, s, tee, 1, "pm_card_visa")
			order, failure := completeCart(t, s, cart, "stripe-disputed")
			if order == "" {
				t.Fatalf("no order: %s", failure)
			}
			_, intents := account.calls.snapshot()
			intent := intents[len(intents)-1]
			total := str(s.data(t, owner, `query($id: ID!) { order(id: $id) { totalPrice { amount } } }`, map[string]any{"id": order}), "order.totalPrice.amount")
			m, err := money.Parse(total, "USD")
			if err != nil {
				t.Fatal(err)
			}
			dispute := func(status string) map[string]any {
				return map[string]any{"id": "dp_" + intent[3:], "object": "dispute", "amount": m.Amount, "currency": "usd",
					"payment_intent": intent, "charge": "ch_1", "reason": "fraudulent", "status": status}
			}
			body, sig := signedStripeEvent(t, "charge.dispute.created", dispute("needs_response"), stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "dispute_opened") {
				t.Fatalf("dispute created: %d %s", code, msg)
			}
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("the same event again: %d %s", code, msg)
			}
			body, sig = signedStripeEvent(t, "charge.dispute.closed", dispute("won"), stripeWebhookSecret)
			for range 2 {
				if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK {
					t.Fatalf("dispute closed: %d %s", code, msg)
				}
			}
			// The journal: the disputed amount left the clearing account for the disputes account, once,
			// and came back once the dispute was won.
			got := journalLines(t, s, owner, func(e any) bool { return str(e, "orderId") == order && strings.HasPrefix(str(e, "kind"), "dispute") })
			ref := "dp_" + intent[3:]
			want := []string{"dispute " + ref + " 6200:" + total + "/0.00 1200:0.00/" + total, "dispute_won " + ref + " 6200:0.00/" + total + " 1200:" + total + "/0.00"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("dispute entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			events := eventKinds(at(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order"))
			if !slices.Contains(events, "dispute_opened") || !slices.Contains(events, "dispute_won") {
				t.Errorf("timeline: %v", events)
			}
			// Partners hear of it once each: disputes/create, then disputes/update once decided.
			waitFor(t, 20*time.Second, "the dispute's webhooks", func() bool { return len(rcv.at("/disputes")) >= 2 })
			time.Sleep(300 * time.Millisecond) // a duplicate would arrive within the relay's next passes
			got = nil
			for _, d := range rcv.at("/disputes") {
				got = append(got, fmt.Sprintf("%s %v %v %v %v", d.topic, d.payload["id"], d.payload["orderId"], d.payload["status"], at(d.payload, "amount.amount")))
				checkDocumentedShape(t, d.topic, d.payload)
			}
			want = []string{"disputes/create " + ref + " " + order + " needs_response " + total, "disputes/update " + ref + " " + order + " won " + total}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("dispute webhooks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})

		t.Run("a refund made in Stripe's dashboard", func(t *testing.T) {
			account.set("requires_capture")
			cart, _ := readyCart(t, s, tee, 1, "pm_card_visa")
			order, failure := completeCart(t, s, cart, "stripe-dashboard-refund")
			if order == "" {
				t.Fatalf("no order: %s", failure)
			}
			_, intents := account.calls.snapshot()
			intent := intents[len(intents)-1]
			charge := func(refunded int64) map[string]any {
				return map[string]any{"id": "ch_" + intent[3:], "object": "charge", "amount": 100000, "amount_refunded": refunded,
					"currency": "usd", "payment_intent": intent, "refunded": false, "status": "succeeded"}
			}
			// Staff refunded 5.00 in Stripe: Emporium records it, once however often Stripe reports it.
			body, sig := signedStripeEvent(t, "charge.refunded", charge(500), stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "refund_recorded") {
				t.Fatalf("charge.refunded: %d %s", code, msg)
			}
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("the same event again: %d %s", code, msg)
			}
			o := at(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order")
			if str(o, "financialStatus") != "PARTIALLY_REFUNDED" || str(o, "totalRefunded.amount") != "5.00" || len(at(o, "refunds").([]any)) != 1 ||
				!slices.Contains(eventKinds(o), "refund_created") {
				t.Fatalf("after Stripe's refund: %v", o)
			}
			// A refund made through Emporium: Stripe reports it too (8.00 refunded in all), and that echo
			// records nothing more.
			if got := refundOrder(t, s, owner, map[string]any{"orderId": order, "amount": "3.00"}); got != "3.00" {
				t.Fatalf("refundCreate: %s", got)
			}
			body, sig = signedStripeEvent(t, "charge.refunded", charge(800), stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("the echo of Emporium's refund: %d %s", code, msg)
			}
			o = at(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order")
			if str(o, "totalRefunded.amount") != "8.00" || len(at(o, "refunds").([]any)) != 2 {
				t.Errorf("after the echo: %v", o)
			}
			// Two refunds of one amount are two refunds to Stripe; a retry of one whose answer was lost
			// is the same refund (one idempotency key), recorded once.
			keys := func() []string {
				account.calls.mu.Lock()
				defer account.calls.mu.Unlock()
				return slices.Clone(account.calls.refundKeys)
			}
			before := len(keys())
			account.loseRefund.Store(true)
			d := s.data(t, owner, `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { id } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"orderId": order, "amount": "1.00"}})
			if code := str(d, "refundCreate.userErrors.0.code"); code != "PAYMENT_FAILED" {
				t.Fatalf("a refund whose answer was lost: %v", d)
			}
			for range 2 {
				if got := refundOrder(t, s, owner, map[string]any{"orderId": order, "amount": "1.00"}); got != "1.00" {
					t.Fatalf("refundCreate: %s", got)
				}
			}
			k := keys()[before:]
			if len(k) != 3 || k[0] != k[1] || k[1] == k[2] || !strings.HasPrefix(k[0], "emporium-refund-"+intent+"-") {
				t.Errorf("refund keys: lost, retried, second: %q", k)
			}
			o = at(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order")
			if str(o, "totalRefunded.amount") != "10.00" || len(at(o, "refunds").([]any)) != 4 {
				t.Errorf("after the lost answer and its retry: %v", o)
			}
			// All refunds left the clearing account through the refunds account.
			got := journalLines(t, s, owner, func(e any) bool { return str(e, "orderId") == order && str(e, "kind") == "refund" })
			want := []string{"refund " + intent + " 4950:5.00/0.00 1200:0.00/5.00", "refund " + intent + " 4950:3.00/0.00 1200:0.00/3.00",
				"refund " + intent + " 4950:1.00/0.00 1200:0.00/1.00", "refund " + intent + " 4950:1.00/0.00 1200:0.00/1.00"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("refund entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// An unknown payment is acknowledged, so that Stripe stops sending it.
			other := charge(100)
			other["payment_intent"] = "pi_not_ours"
			body, sig = signedStripeEvent(t, "charge.refunded", other, stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("another account's charge: %d %s", code, msg)
			}
		})

		t.Run("a payout, booked with Stripe's fees, then failed", func(t *testing.T) {
			account.set("requires_capture")
			payout := map[string]any{"id": "po_emporium_" + s.name, "object": "payout", "amount": 10000, "currency": "usd",
				"arrival_date": time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC).Unix(), "status": "paid"}
			body, sig := signedStripeEvent(t, "payout.paid", payout, stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "queued") {
				t.Fatalf("payout.paid: %d %s", code, msg)
			}
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("the same event again: %d %s", code, msg)
			}
			ref := payout["id"].(string)
			payouts := func() []string {
				return journalLines(t, s, owner, func(e any) bool { return strings.HasPrefix(str(e, "kind"), "payout") })
			}
			// 100.00 reached the bank; Stripe kept 0.59 of the one charge it paid out (stripe-mock's
			// balance transaction): the clearing account gives up 100.59.
			waitFor(t, 20*time.Second, "the payout's booking", func() bool { return len(payouts()) == 1 })
			if got, want := payouts()[0], "payout "+ref+" 1000:100.00/0.00 6100:0.59/0.00 1200:0.00/100.59"; got != want {
				t.Errorf("payout entry %q, want %q", got, want)
			}
			payout["status"] = "failed"
			body, sig = signedStripeEvent(t, "payout.failed", payout, stripeWebhookSecret)
			for range 2 {
				if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK {
					t.Fatalf("payout.failed: %d %s", code, msg)
				}
			}
			waitFor(t, 20*time.Second, "the failed payout's booking", func() bool { return len(payouts()) == 2 })
			if got, want := payouts()[1], "payout_failed "+ref+" 1200:100.00/0.00 1000:0.00/100.00"; got != want {
				t.Errorf("failed payout entry %q, want %q", got, want)
			}
			waitFor(t, 20*time.Second, "the payout's webhooks", func() bool { return len(rcv.at("/payouts")) >= 2 })
			time.Sleep(300 * time.Millisecond)
			var got []string
			for _, d := range rcv.at("/payouts") {
				got = append(got, fmt.Sprintf("%s %v %v %v %v", d.topic, d.payload["providerId"], d.payload["status"], at(d.payload, "amount.amount"), at(d.payload, "fees.amount")))
				checkDocumentedShape(t, d.topic, d.payload)
			}
			want := []string{"payouts/paid " + ref + " PAID 100.00 0.59", "payouts/failed " + ref + " FAILED 100.00 0.59"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("payout webhooks:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})

		t.Run("declined", func(t *testing.T) {
			account.set("declined")
			cart, _ := readyCart(t, s, tee, 1, "pm_card_chargeDeclined")
			if order, failure := completeCart(t, s, cart, "stripe-declined"); order != "" || failure != "PAYMENT_CARD_DECLINED" {
				t.Errorf("a declined card: order %q, failure %q", order, failure)
			}
		})

		t.Run("3-D Secure settled by Stripe's event", func(t *testing.T) {
			account.set("requires_action")
			cart, _ := readyCart(t, s, tee, 1, "pm_card_threeDSecure2Required")
			d := s.data(t, nil, submit, map[string]any{"id": cart, "t": "stripe-3ds"})
			attempt := str(d, "cartSubmitForCompletion.result.attemptId")
			state := func() any {
				return at(s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId }
					... on CartCompletionActionRequired { action { __typename ... on CompletePaymentChallenge { redirectUrl } } } } }`,
					map[string]any{"a": attempt}), "cartCompletionAttempt")
			}
			// The storefront sends the buyer to Stripe's challenge page, from the intent's next_action.
			if got := state(); str(got, "__typename") != "CartCompletionActionRequired" ||
				str(got, "action.redirectUrl") != "https://hooks.stripe.com/3d_secure_2/hosted" {
				t.Fatalf("attempt: %v", got)
			}
			_, intents := account.calls.snapshot()
			intent := intents[len(intents)-1]

			// The buyer passed the challenge: Stripe now holds the authorization.
			account.set("requires_capture")
			body, sig := stripeEvent(t, "payment_intent.amount_capturable_updated", intent, stripeWebhookSecret)
			for name, bad := range map[string]string{
				"unsigned":            "",
				"another secret":      func() string { _, s := stripeEvent(t, "x", intent, "whsec_other"); return s }(),
				"a changed body":      strings.Replace(sig, "v1=", "v1=00", 1),
				"a made-up signature": "t=1,v1=00",
			} {
				if code, msg := postStripeEvent(t, s, body, bad); code != http.StatusBadRequest {
					t.Errorf("%s: %d %s", name, code, msg)
				}
			}
			if got := str(state(), "__typename"); got != "CartCompletionActionRequired" {
				t.Fatalf("an event that does not verify moved the attempt: %s", got)
			}
			// The generic report format is not taken for Stripe: only its signed events are.
			if code, _ := postStripeEvent(t, s, []byte(`{"reference":"`+intent+`"}`), ""); code != http.StatusBadRequest {
				t.Errorf("an unsigned report: %d", code)
			}
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "CAPTURED") {
				t.Fatalf("the signed event: %d %s", code, msg)
			}
			order := str(state(), "orderId")
			if order == "" || financial(order) != "PAID" {
				t.Fatalf("after the event: %v", state())
			}
			// Stripe delivers an event more than once: the second changes nothing.
			if code, msg := postStripeEvent(t, s, body, sig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("the same event again: %d %s", code, msg)
			}
			// Events about other objects are acknowledged, so that Stripe stops sending them.
			other, osig := stripeEvent(t, "charge.dispute.created", "dp_1", stripeWebhookSecret)
			if code, msg := postStripeEvent(t, s, other, osig); code != http.StatusOK || !strings.Contains(msg, "ignored") {
				t.Errorf("another event: %d %s", code, msg)
			}
		})
	})
}

// journalLines are the journal entries of the last hour that match, oldest first, each as
// "kind reference code:debit/credit…".
func journalLines(t *testing.T, s *server, owner http.Header, match func(e any) bool) []string {
	t.Helper()
	d := s.data(t, owner, `query($from: DateTime!, $to: DateTime!) { journalEntries(from: $from, to: $to, first: 100) { nodes {
		kind paymentReference orderId lines { account { code } debit { amount } credit { amount } } } } }`,
		map[string]any{"from": time.Now().Add(-time.Hour).Format(time.RFC3339), "to": time.Now().Add(time.Hour).Format(time.RFC3339)})
	var got []string
	for _, e := range at(d, "journalEntries.nodes").([]any) {
		if !match(e) {
			continue
		}
		line := str(e, "kind") + " " + str(e, "paymentReference")
		for _, l := range at(e, "lines").([]any) {
			line += fmt.Sprintf(" %s:%s/%s", str(l, "account.code"), str(l, "debit.amount"), str(l, "credit.amount"))
		}
		got = append(got, line)
	}
	return got
}
