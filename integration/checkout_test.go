package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"

	entcart "github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// readyCart builds a guest cart in Ohio with standard shipping and a payment by card, ready to submit.
func readyCart(t *testing.T, s *server, variantID string, quantity int, card string) (id string, total moneyV2) {
	t.Helper()
	var c struct {
		CartCreate struct {
			Cart struct {
				ID             string
				DeliveryGroups struct{ Nodes []struct{ ID string } }
			}
			UserErrors []userError
		}
	}
	s.query(t, `mutation($v: ID!, $q: Int!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: $q}], buyerIdentity: {email: "buyer@example.com"},
		delivery: {addresses: [{selected: true, address: {deliveryAddress: {address1: "1 Main St", city: "Columbus", provinceCode: "OH", countryCode: US, zip: "43004"}}}]}}) {
		cart { id deliveryGroups(first: 1) { nodes { id } } } userErrors { field message code } } }`, map[string]any{"v": variantID, "q": quantity}, &c)
	if len(c.CartCreate.UserErrors) > 0 {
		t.Fatalf("cartCreate: %+v", c.CartCreate.UserErrors)
	}
	id = c.CartCreate.Cart.ID
	var sel struct {
		CartSelectedDeliveryOptionsUpdate struct {
			Cart       *struct{ Cost struct{ TotalAmount moneyV2 } }
			UserErrors []userError
		}
	}
	s.query(t, `mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
		cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, map[string]any{"id": id, "g": c.CartCreate.Cart.DeliveryGroups.Nodes[0].ID}, &sel)
	if sel.CartSelectedDeliveryOptionsUpdate.Cart == nil {
		t.Fatalf("delivery: %+v", sel.CartSelectedDeliveryOptionsUpdate.UserErrors)
	}
	total = sel.CartSelectedDeliveryOptionsUpdate.Cart.Cost.TotalAmount
	var pay struct {
		CartPaymentUpdate struct{ UserErrors []userError }
	}
	s.query(t, `mutation($id: ID!, $a: Decimal!, $c: CurrencyCode!, $card: String!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: $c},
		directPaymentMethod: {sessionId: $card, billingAddress: {city: "Columbus", country: "US"}}}) { userErrors { message } } }`,
		map[string]any{"id": id, "a": total.Amount, "c": total.CurrencyCode, "card": card}, &pay)
	if len(pay.CartPaymentUpdate.UserErrors) > 0 {
		t.Fatalf("payment: %+v", pay.CartPaymentUpdate.UserErrors)
	}
	return id, total
}

type submitResult struct {
	CartSubmitForCompletion struct {
		Result *struct {
			Typename  string `json:"__typename"`
			AttemptID string
			Errors    []struct{ Code, Message string }
		}
		UserErrors []userError
	}
}

const submit = `mutation($id: ID!, $t: String!) { cartSubmitForCompletion(cartId: $id, attemptToken: $t) {
	result { __typename ... on SubmitSuccess { attemptId } ... on SubmitAlreadyAccepted { attemptId } ... on SubmitFailed { errors { code message } } }
	userErrors { message } } }`

func stockOf(t *testing.T, s *server, variantID string) int {
	t.Helper()
	id, err := gid.DecodeType(variantID, "ProductVariant")
	if err != nil {
		t.Fatal(err)
	}
	levels, err := s.svc.DB.Client.InventoryLevel.Query().Where(inventorylevel.VariantID(id)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range levels {
		if l.Available < 0 {
			t.Errorf("stock of %s went below zero at a location: %d", variantID, l.Available)
		}
		n += l.Available
	}
	return n
}

func TestCheckout(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { o.Payments = gateway }, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		tee := v["EMP-TEE-ORG-M-NVY"] // 66 in stock
		ctx := context.Background()

		t.Run("an order, once", func(t *testing.T) {
			before := stockOf(t, s, tee)
			charges := gateway.Charges()
			id, total := readyCart(t, s, tee, 3, payments.CardSuccess)
			var r submitResult
			s.query(t, submit, map[string]any{"id": id, "t": "attempt-1"}, &r)
			res := r.CartSubmitForCompletion.Result
			if res == nil || res.Typename != "SubmitSuccess" || res.AttemptID == "" {
				t.Fatalf("submit: %+v", r.CartSubmitForCompletion)
			}
			var a struct {
				CartCompletionAttempt struct {
					Typename string `json:"__typename"`
					OrderID  string
					OrderURL string
				}
			}
			s.query(t, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId orderUrl } } }`, map[string]any{"a": res.AttemptID}, &a)
			if a.CartCompletionAttempt.Typename != "CartCompletionSuccess" || a.CartCompletionAttempt.OrderID == "" {
				t.Fatalf("attempt: %+v", a)
			}
			if after := stockOf(t, s, tee); after != before-3 {
				t.Errorf("stock %d after ordering 3 of %d", after, before)
			}
			orderID, _ := gid.DecodeType(a.CartCompletionAttempt.OrderID, "Order")
			o, err := s.svc.DB.Client.Order.Get(ctx, orderID)
			if err != nil || fmt.Sprint(o.Total) != fmt.Sprint(centsOf(t, total.Amount)) || o.FinancialStatus != order.FinancialStatusPAID || gateway.Charges() != charges+1 {
				t.Errorf("order %+v (%v), total %s, charges %d", o, err, total.Amount, gateway.Charges()-charges)
			}
			var gone struct{ Cart *struct{ ID string } }
			s.query(t, `query($id: ID!) { cart(id: $id) { id } }`, map[string]any{"id": id}, &gone)
			if gone.Cart != nil {
				t.Error("the completed cart is still open")
			}
			s.query(t, submit, map[string]any{"id": id, "t": "attempt-1"}, &r)
			if r.CartSubmitForCompletion.Result == nil || r.CartSubmitForCompletion.Result.Typename != "SubmitAlreadyAccepted" || r.CartSubmitForCompletion.Result.AttemptID != res.AttemptID {
				t.Errorf("the same token again: %+v", r.CartSubmitForCompletion)
			}
			s.query(t, submit, map[string]any{"id": id, "t": "attempt-2"}, &r)
			if r.CartSubmitForCompletion.Result != nil && r.CartSubmitForCompletion.Result.Typename == "SubmitSuccess" {
				t.Error("a completed cart made a second order")
			}
		})

		t.Run("a declined card changes nothing", func(t *testing.T) {
			before := stockOf(t, s, tee)
			id, _ := readyCart(t, s, tee, 2, payments.CardDecline)
			var r submitResult
			s.query(t, submit, map[string]any{"id": id, "t": "declined"}, &r)
			res := r.CartSubmitForCompletion.Result
			if res == nil || res.Typename != "SubmitFailed" || res.Errors[0].Code != "PAYMENT_CARD_DECLINED" {
				t.Fatalf("declined: %+v", r.CartSubmitForCompletion)
			}
			if after := stockOf(t, s, tee); after != before {
				t.Errorf("stock %d after a declined order, was %d", after, before)
			}
			token, _ := gid.DecodeKey(id, "Cart")
			if c, err := s.svc.DB.Client.Cart.Get(ctx, token); err != nil || c.CompletedAt != nil {
				t.Errorf("the cart is not open again: %+v %v", c, err)
			}
			live, _ := s.svc.DB.Client.Order.Query().Where(order.CartID(token)).Count(ctx)
			if live != 0 {
				t.Errorf("%d live orders for a declined cart", live)
			}
		})

		t.Run("a payment that no longer matches the total", func(t *testing.T) {
			id, _ := readyCart(t, s, tee, 1, payments.CardSuccess)
			s.query(t, `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 1}]) { cart { id } } }`,
				map[string]any{"id": id, "v": v["EMP-TEE-ORG-S-BLK"]}, nil)
			var r submitResult
			s.query(t, submit, map[string]any{"id": id, "t": "stale"}, &r)
			if res := r.CartSubmitForCompletion.Result; res == nil || res.Typename != "SubmitFailed" {
				t.Errorf("stale payment: %+v", r.CartSubmitForCompletion)
			}
		})

		t.Run("one token sent many times at once makes one order", func(t *testing.T) {
			id, _ := readyCart(t, s, tee, 1, payments.CardSuccess)
			charges := gateway.Charges()
			var wg sync.WaitGroup
			attempts := make([]string, 10)
			for i := range attempts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var r submitResult
					if err := s.tryQuery(submit, map[string]any{"id": id, "t": "same-token"}, &r); err != nil {
						t.Error(err)
					}
					if r.CartSubmitForCompletion.Result != nil {
						attempts[i] = r.CartSubmitForCompletion.Result.AttemptID
					}
				}()
			}
			wg.Wait()
			token, _ := gid.DecodeKey(id, "Cart")
			n, _ := s.svc.DB.Client.Order.Query().Where(order.CartID(token)).Count(ctx)
			if n != 1 || gateway.Charges() != charges+1 {
				t.Errorf("%d orders and %d charges for one token", n, gateway.Charges()-charges)
			}
			for _, a := range attempts {
				if a != attempts[0] {
					t.Errorf("attempts differ: %v", attempts)
					break
				}
			}
		})

		t.Run("no overselling", func(t *testing.T) {
			scarce := v["EMP-TEE-ORG-L-BLK"] // 2 in stock
			ids := make([]string, 6)
			for i := range ids {
				ids[i], _ = readyCart(t, s, scarce, 1, payments.CardSuccess)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			outcomes := map[string]int{}
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var r submitResult
					if err := s.tryQuery(submit, map[string]any{"id": id, "t": fmt.Sprintf("race-%d", i)}, &r); err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					if res := r.CartSubmitForCompletion.Result; res != nil {
						key := res.Typename
						if len(res.Errors) > 0 {
							key += ":" + res.Errors[0].Code
						}
						outcomes[key]++
					}
				}()
			}
			wg.Wait()
			if outcomes["SubmitSuccess"] != 2 || outcomes["SubmitFailed:INVENTORY_RESERVATION_ERROR"] != 4 || stockOf(t, s, scarce) != 0 {
				t.Errorf("outcomes %v, stock %d; want 2 orders, 4 out of stock, stock 0", outcomes, stockOf(t, s, scarce))
			}
			completed, _ := s.svc.DB.Client.Cart.Query().Where(entcart.CompletedAtNotNil()).Count(ctx)
			if completed < 2 {
				t.Errorf("%d completed carts", completed)
			}
		})
	})
}

func centsOf(t *testing.T, amount string) int64 { return cents(t, amount) }
