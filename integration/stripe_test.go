package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
}

func (c *stripeCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return res, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, r.Method+" "+r.URL.Path)
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
	return a.cur.Load().Refund(ctx, ref, m)
}
func (a *stripeAccount) Confirm(ctx context.Context, ref string) (payments.Result, error) {
	return a.cur.Load().Confirm(ctx, ref)
}
func (a *stripeAccount) Lookup(ctx context.Context, key string) (payments.Result, error) {
	return a.cur.Load().Lookup(ctx, key)
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
	}, func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
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
			d := s.data(t, owner, `query($from: DateTime!, $to: DateTime!) { journalEntries(from: $from, to: $to, first: 100) { nodes {
				kind paymentReference orderId lines { account { code } debit { amount } credit { amount } } } } }`,
				map[string]any{"from": time.Now().Add(-time.Hour).Format(time.RFC3339), "to": time.Now().Add(time.Hour).Format(time.RFC3339)})
			var got []string
			for _, e := range at(d, "journalEntries.nodes").([]any) {
				if str(e, "orderId") != order || !strings.HasPrefix(str(e, "kind"), "dispute") {
					continue
				}
				line := str(e, "kind") + " " + str(e, "paymentReference")
				for _, l := range at(e, "lines").([]any) {
					line += fmt.Sprintf(" %s:%s/%s", str(l, "account.code"), str(l, "debit.amount"), str(l, "credit.amount"))
				}
				got = append(got, line)
			}
			ref := "dp_" + intent[3:]
			want := []string{"dispute " + ref + " 6200:" + total + "/0.00 1200:0.00/" + total, "dispute_won " + ref + " 6200:0.00/" + total + " 1200:" + total + "/0.00"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("dispute entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			events := eventKinds(at(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order"))
			if !slices.Contains(events, "dispute_opened") || !slices.Contains(events, "dispute_won") {
				t.Errorf("timeline: %v", events)
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
