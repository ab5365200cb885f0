package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

const markAsPaid = `mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { order { financialStatus } userErrors { field message code } } }`

// TestMarkAsPaidIsForManualPayments: staff mark a manual payment (bank transfer) as paid; a gateway
// payment waiting on 3-D Secure is the gateway's to settle, and once it has, refunds go through it.
func TestMarkAsPaidIsForManualPayments(t *testing.T) {
	order := `query($id: ID!) { order(id: $id) { financialStatus totalRefunded { amount } } }`
	t.Run("3-D Secure", func(t *testing.T) {
		eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
			attempt := placeOrder(t, s, tee, 1, payments.CardRequiresAction)
			a, err := s.svc.DB.Client.CompletionAttempt.Get(context.Background(), attempt)
			if err != nil || a.OrderID == nil {
				t.Fatalf("attempt %+v: %v", a, err)
			}
			id := gid.Encode("Order", *a.OrderID)

			d := s.data(t, owner, markAsPaid, map[string]any{"id": id})
			if userErrorCode(d, "orderMarkAsPaid") != "ORDER_NOT_PAYABLE" {
				t.Errorf("marking a payment pending at the gateway as paid: %v", d)
			}
			if got := str(s.data(t, owner, order, map[string]any{"id": id}), "order.financialStatus"); got != "PENDING" {
				t.Errorf("order %s after a refused mark as paid, want PENDING", got)
			}

			// The gateway's real settlement: the buyer passes 3-D Secure and the gateway reports back.
			o, err := s.svc.DB.Client.Order.Get(context.Background(), *a.OrderID)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.Post(s.http.URL+"/payments/test-gateway/webhook", "application/json",
				strings.NewReader(`{"reference": "`+o.PaymentReference+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]string
			_ = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || body["status"] != "CAPTURED" {
				t.Fatalf("webhook: %d %v", res.StatusCode, body)
			}
			refund := `mutation($in: RefundInput!) { refundCreate(input: $in) { order { financialStatus totalRefunded { amount } } userErrors { field message code } } }`
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "amount": "10.00"}})
			noUserErrors(t, d, "refundCreate")
			if str(d, "refundCreate.order.financialStatus") != "PARTIALLY_REFUNDED" || str(d, "refundCreate.order.totalRefunded.amount") != "10.00" {
				t.Errorf("refund after the gateway settled: %v", d)
			}
		})
	})
	t.Run("manual", func(t *testing.T) {
		manual := func(o *service.Options) { withOwner(nil)(o); o.Payments = payments.Manual{} }
		eachFreshDB(t, manual, func(t *testing.T, s *server) {
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
			id := placeOrder(t, s, tee, 1, payments.CardSuccess)
			// A bank transfer has not arrived when the order is placed.
			if got := str(s.data(t, owner, order, map[string]any{"id": id}), "order.financialStatus"); got != "PENDING" {
				t.Fatalf("manual order placed as %s, want PENDING", got)
			}
			d := s.data(t, owner, markAsPaid, map[string]any{"id": id})
			noUserErrors(t, d, "orderMarkAsPaid")
			if str(d, "orderMarkAsPaid.order.financialStatus") != "PAID" {
				t.Errorf("manual order marked as paid: %v", d)
			}
		})
	})
}

// TestDatabaseOutageIsRetryable stops the PostgreSQL under a running server: reads and writes answer a
// retryable SERVICE_UNAVAILABLE, never "does not exist" nor INTERNAL_SERVER_ERROR, and once the
// database is back everything works.
func TestDatabaseOutageIsRetryable(t *testing.T) {
	if os.Getenv(pgtest.EnvDatabaseURL) != "" {
		t.Skip("stops its PostgreSQL: needs a cluster of its own, not " + pgtest.EnvDatabaseURL)
	}
	own, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	s := startServer(t, "postgres", own.NewDatabase(t))
	t.Cleanup(s.close)
	v := variantIDs(t, s, "organic-cotton-tee")
	tee := v["EMP-TEE-ORG-M-NVY"]
	cartID, _ := readyCart(t, s, tee, 1, payments.CardSuccess)
	var menu struct{ Menu struct{ ID string } }
	s.query(t, `{ menu(handle: "next-js-frontend-header-menu") { id } }`, nil, &menu)
	var groups struct {
		Cart struct {
			DeliveryGroups struct{ Nodes []struct{ ID string } }
		}
	}
	s.query(t, `query($id: ID!) { cart(id: $id) { deliveryGroups(first: 1) { nodes { id } } } }`, map[string]any{"id": cartID}, &groups)

	requests := []struct {
		name, query string
		vars        map[string]any
	}{
		{"cart", `query($id: ID!) { cart(id: $id) { id totalQuantity } }`, map[string]any{"id": cartID}},
		{"cartLinesAdd", `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 1}]) { cart { id } userErrors { message code } } }`,
			map[string]any{"id": cartID, "v": tee}},
		{"cartSelectedDeliveryOptionsUpdate", `mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) { cart { id } userErrors { message code } } }`,
			map[string]any{"id": cartID, "g": groups.Cart.DeliveryGroups.Nodes[0].ID}},
		{"cartSubmitForCompletion", submit, map[string]any{"id": cartID, "t": "during-outage"}},
		{"cartCompletionAttempt", `query { cartCompletionAttempt(attemptId: "att-unknown") { __typename } }`, nil},
		{"node", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": menu.Menu.ID}},
	}
	if err := own.Halt(); err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		res := s.post(t, r.query, r.vars)
		raw := string(res.Data)
		if len(res.Errors) == 0 || strings.Contains(raw, "does not exist") {
			t.Errorf("%s with the database down: data %s, errors %+v; want SERVICE_UNAVAILABLE", r.name, raw, res.Errors)
			continue
		}
		for _, e := range res.Errors {
			if e.code() != "SERVICE_UNAVAILABLE" {
				t.Errorf("%s with the database down: error %+v, want code SERVICE_UNAVAILABLE", r.name, e)
			}
		}
	}

	if err := own.Resume(); err != nil {
		t.Fatal(err)
	}
	// The pool drops its broken connections as it meets them; give it a few requests.
	deadline := time.Now().Add(15 * time.Second)
	for s.tryQuery(`query($id: ID!) { cart(id: $id) { id } }`, map[string]any{"id": cartID}, nil) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the server did not recover after the database came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	var c struct {
		Cart struct{ TotalQuantity int }
	}
	s.query(t, `query($id: ID!) { cart(id: $id) { totalQuantity } }`, map[string]any{"id": cartID}, &c)
	if c.Cart.TotalQuantity != 1 {
		t.Errorf("cart after the outage has %d units, want the 1 from before (nothing changed during it)", c.Cart.TotalQuantity)
	}
	var sub submitResult
	s.query(t, submit, map[string]any{"id": cartID, "t": "after-outage"}, &sub)
	if r := sub.CartSubmitForCompletion.Result; r == nil || r.Typename != "SubmitSuccess" {
		t.Fatalf("submit after the outage: %+v", sub.CartSubmitForCompletion)
	}
	var a struct {
		CartCompletionAttempt struct {
			Typename string `json:"__typename"`
		}
	}
	s.query(t, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename } }`,
		map[string]any{"a": sub.CartSubmitForCompletion.Result.AttemptID}, &a)
	if a.CartCompletionAttempt.Typename != "CartCompletionSuccess" {
		t.Errorf("attempt after the outage: %s", a.CartCompletionAttempt.Typename)
	}
}
