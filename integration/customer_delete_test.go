package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/completionattempt"
	entcustomer "github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/customeraddress"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/session"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

const customerDelete = `mutation($id: ID!) { customerDelete(input: {id: $id}) { deletedCustomerId shop { name } userErrors { field message code } } }`

// TestCustomerDelete deletes customers through the Admin API: one without orders goes with their address
// book, sessions and open carts, is announced once as customers/delete (and delivered to a webhook) and
// audited; one with orders, callers without MANAGE_CUSTOMERS and unknown or malformed IDs change nothing.
func TestCustomerDelete(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments = gateway
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}, func(t *testing.T, s *server) {
		ctx := context.Background()
		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		ownerToken := staffLogin(t, s, ownerEmail, ownerPassword)
		owner := bearer(ownerToken)
		rcv := newReceiver(t)
		rcv.subscribeTo(t, s, owner, "CUSTOMERS_DELETE", "/ok/customers")
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]

		// withAddress gives a customer an address and returns its ID.
		withAddress := func(token, city string) string {
			d := s.data(t, bearer(token), `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { customerAddress { id } customerUserErrors { code } } }`,
				map[string]any{"a": map[string]any{"address1": "1 Main St", "city": city, "country": "US"}})
			if str(d, "customerAddressCreate.customerAddress.id") == "" {
				t.Fatalf("customerAddressCreate: %v", d)
			}
			return str(d, "customerAddressCreate.customerAddress.id")
		}
		// openCart starts a cart that belongs to the customer of token.
		openCart := func(token string) string {
			d := s.data(t, nil, `mutation($v: ID!, $t: String!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], buyerIdentity: {customerAccessToken: $t}}) {
				cart { id buyerIdentity { email } } userErrors { field message code } } }`, map[string]any{"v": tee, "t": token})
			noUserErrors(t, d, "cartCreate")
			return str(d, "cartCreate.cart.id")
		}
		// exists reports whether a staff member still reads the customer, by customer(id) and by node(id).
		exists := func(id string) bool {
			d := s.data(t, owner, `query($id: ID!) { customer(id: $id) { id } node(id: $id) { id } }`, map[string]any{"id": id})
			byID, byNode := at(d, "customer.id") != nil, at(d, "node.id") != nil
			if byID != byNode {
				t.Errorf("customer(id) found %v, node(id) found %v", byID, byNode)
			}
			return byID
		}
		// signedIn reports whether token still identifies its customer; an ended one is UNAUTHENTICATED.
		signedIn := func(token string) bool {
			r := s.postAs(t, bearer(token), `{ customer { id } }`, nil)
			if r.Status == http.StatusUnauthorized && len(r.Errors) == 1 && r.Errors[0].code() == "UNAUTHENTICATED" {
				return false
			}
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("customer by bearer token: status %d, %+v", r.Status, r.Errors)
			}
			return string(r.Data) != `{"customer":null}`
		}
		deleteEvents := func() []recorded {
			var out []recorded
			for _, e := range eventsOf(t, s) {
				if e.topic == events.CustomersDelete {
					out = append(out, e)
				}
			}
			return out
		}

		t.Run("refused without MANAGE_CUSTOMERS", func(t *testing.T) {
			id, token := signUpAndLogIn(t, s, "kept@example.com")
			withAddress(token, "Columbus")
			readers := createGroup(t, s, ownerToken, "Readers", "READ_CUSTOMERS", "MANAGE_PRODUCTS")
			createStaff(t, s, ownerToken, "reader@example.com", "reader-password-1", readers)
			reader := bearer(staffLogin(t, s, "reader@example.com", "reader-password-1"))
			for _, c := range []struct {
				name   string
				header http.Header
				code   string
			}{
				{"anonymous", nil, "UNAUTHENTICATED"},
				{"the customer themselves", bearer(token), "FORBIDDEN"},
				{"staff who only read customers", reader, "FORBIDDEN"},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := s.postAs(t, c.header, customerDelete, map[string]any{"id": id})
					if len(r.Errors) != 1 || r.Errors[0].code() != c.code || string(r.Data) != `{"customerDelete":null}` {
						t.Errorf("status %d, data %s, errors %+v; want %s and no data", r.Status, r.Data, r.Errors, c.code)
					}
				})
			}
			if !exists(id) || !signedIn(token) || len(deleteEvents()) != 0 {
				t.Errorf("a refused caller changed something: exists %v, signed in %v, %d customers/delete events",
					exists(id), signedIn(token), len(deleteEvents()))
			}
		})

		t.Run("unknown and malformed IDs", func(t *testing.T) {
			for _, c := range []struct{ id, code string }{
				{gid.Encode("Customer", 999999), "NOT_FOUND"},
				{"not-a-global-id", "INVALID"},
				{"gid://emporium/Customer/abc", "INVALID"},
				{gid.Encode("Product", 1), "INVALID"},
				{"", "INVALID"},
			} {
				r := s.postAs(t, owner, customerDelete, map[string]any{"id": c.id})
				d := mustDecode(t, r.Data)
				if r.Status != http.StatusOK || len(r.Errors) > 0 || userErrorCode(d, "customerDelete") != c.code ||
					fmt.Sprint(at(d, "customerDelete.userErrors.0.field")) != "[input id]" || at(d, "customerDelete.deletedCustomerId") != nil {
					t.Errorf("customerDelete(%q): status %d, data %s, errors %+v; want userError %s", c.id, r.Status, r.Data, r.Errors, c.code)
				}
			}
			if n := len(deleteEvents()); n != 0 {
				t.Errorf("refused deletions recorded %d customers/delete events", n)
			}
		})

		t.Run("refused with orders", func(t *testing.T) {
			id, token := signUpAndLogIn(t, s, "buyer-with-orders@example.com")
			address := withAddress(token, "Columbus")
			// An order of theirs: a ready guest cart that the customer's token claims, then completes.
			ready, _ := readyCart(t, s, tee, 1, payments.CardSuccess)
			d := s.data(t, nil, `mutation($id: ID!, $t: String!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: {customerAccessToken: $t}) {
				cart { id } userErrors { field message code } } }`, map[string]any{"id": ready, "t": token})
			noUserErrors(t, d, "cartBuyerIdentityUpdate")
			order, failure := completeCart(t, s, ready, "with-customer")
			if order == "" {
				t.Fatalf("the customer's order failed: %s", failure)
			}
			if d := s.data(t, owner, `query($id: ID!) { order(id: $id) { customer { id } } }`, map[string]any{"id": order}); str(d, "order.customer.id") != id {
				t.Fatalf("the order's customer: %v, want %s", d, id)
			}
			// An open cart too: the deletion removes open carts before it counts orders, so the refusal
			// must roll that back.
			open := openCart(token)
			before := len(eventsOf(t, s))

			d = s.data(t, owner, customerDelete, map[string]any{"id": id})
			if userErrorCode(d, "customerDelete") != "CUSTOMER_HAS_ORDERS" || at(d, "customerDelete.deletedCustomerId") != nil ||
				str(d, "customerDelete.userErrors.0.message") != "Customer can't be deleted because they have existing orders" {
				t.Fatalf("deleting a customer with an order: %v", d)
			}
			if after := len(eventsOf(t, s)); after != before {
				t.Errorf("the refused deletion recorded %d events", after-before)
			}
			if !exists(id) || !signedIn(token) {
				t.Errorf("the customer with orders: exists %v, signed in %v", exists(id), signedIn(token))
			}
			d = s.data(t, bearer(token), `query($c: ID!, $a: ID!) { cart(id: $c) { id } node(id: $a) { id } }`, map[string]any{"c": open, "a": address})
			if str(d, "cart.id") != open || str(d, "node.id") != address {
				t.Errorf("after the refusal, the customer's open cart and address: %v", d)
			}
		})

		t.Run("deleted", func(t *testing.T) {
			id, token := signUpAndLogIn(t, s, "leaving@example.com")
			n, err := gid.DecodeType(id, "Customer")
			if err != nil {
				t.Fatal(err)
			}
			home, work := withAddress(token, "Columbus"), withAddress(token, "Dayton")
			var second loginResult
			s.query(t, logIn, map[string]any{"email": "leaving@example.com", "password": "s3cret-pass"}, &second)
			otherToken := second.CustomerAccessTokenCreate.CustomerAccessToken.AccessToken
			open := openCart(token)
			neighbourID, neighbour := signUpAndLogIn(t, s, "staying@example.com")
			neighbourAddress := withAddress(neighbour, "Akron")
			neighbourCart := openCart(neighbour)
			if !signedIn(otherToken) {
				t.Fatal("the second session's token does not work")
			}

			d := s.data(t, owner, customerDelete, map[string]any{"id": id})
			noUserErrors(t, d, "customerDelete")
			if str(d, "customerDelete.deletedCustomerId") != id || str(d, "customerDelete.shop.name") == "" {
				t.Fatalf("customerDelete: %v", d)
			}

			if exists(id) {
				t.Error("customer(id) or node(id) still answers the deleted customer")
			}
			if signedIn(token) || signedIn(otherToken) {
				t.Error("a token of the deleted customer still works")
			}
			if d := s.data(t, nil, whoAmI, map[string]any{"token": token}); at(d, "customer") != nil {
				t.Errorf("the deleted customer's token as an argument: %v", d)
			}
			for _, a := range []string{home, work} {
				if d := s.data(t, owner, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": a}); at(d, "node") != nil {
					t.Errorf("address %s of the deleted customer: %v", a, d)
				}
			}
			if d := s.data(t, owner, `query($id: ID!) { cart(id: $id) { id } }`, map[string]any{"id": open}); at(d, "cart") != nil {
				t.Errorf("the deleted customer's open cart: %v", d)
			}
			db := s.svc.DB.Client
			addresses, err := db.CustomerAddress.Query().Where(customeraddress.CustomerID(n)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			sessions, err := db.Session.Query().Where(session.KindEQ(session.KindCustomer), session.SubjectID(n)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			carts, err := db.Cart.Query().Where(cart.CustomerID(n)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if addresses != 0 || sessions != 0 || carts != 0 {
				t.Errorf("left behind: %d addresses, %d sessions, %d carts", addresses, sessions, carts)
			}

			// Another customer is untouched.
			if !exists(neighbourID) || !signedIn(neighbour) {
				t.Error("the other customer was touched")
			}
			d = s.data(t, bearer(neighbour), `query($c: ID!, $a: ID!) { cart(id: $c) { id } node(id: $a) { id } }`, map[string]any{"c": neighbourCart, "a": neighbourAddress})
			if str(d, "cart.id") != neighbourCart || str(d, "node.id") != neighbourAddress {
				t.Errorf("the other customer's cart and address: %v", d)
			}

			// One customers/delete, carrying only the ID, delivered to the subscriber.
			evs := deleteEvents()
			if len(evs) != 1 || evs[0].resource != id || fmt.Sprint(evs[0].payload) != fmt.Sprintf("map[id:%s]", id) {
				t.Fatalf("customers/delete events: %+v", evs)
			}
			waitFor(t, 20*time.Second, "the customers/delete delivery", func() bool { return len(rcv.at("/ok/customers")) > 0 })
			if got := rcv.at("/ok/customers"); len(got) != 1 || got[0].topic != events.CustomersDelete || fmt.Sprint(got[0].payload) != fmt.Sprintf("map[id:%s]", id) {
				t.Errorf("deliveries of customers/delete: %+v", got)
			}

			// The deletion is audited under the staff member, naming the customer.
			d = s.data(t, owner, `{ auditLog(first: 100) { nodes { action resource operation actorType } } }`, nil)
			var audited bool
			for _, e := range at(d, "auditLog.nodes").([]any) {
				if str(e, "action") == "customerDelete" && str(e, "resource") == id && str(e, "operation") == "delete" && str(e, "actorType") == "STAFF" {
					audited = true
				}
			}
			if !audited {
				t.Errorf("no audit entry deletes %s: %v", id, d)
			}

			// Deleting again finds nothing and announces nothing; the email is free again.
			if d := s.data(t, owner, customerDelete, map[string]any{"id": id}); userErrorCode(d, "customerDelete") != "NOT_FOUND" {
				t.Errorf("deleting twice: %v", d)
			}
			if n := len(deleteEvents()); n != 1 {
				t.Errorf("%d customers/delete events after a second deletion", n)
			}
			again, _ := signUpAndLogIn(t, s, "leaving@example.com")
			if again == id {
				t.Errorf("a new sign-up got the deleted customer's ID %s", id)
			}
			if !slices.Contains(topics(eventsOf(t, s, again)), events.CustomersCreate) {
				t.Errorf("the new sign-up's events: %v", topics(eventsOf(t, s, again)))
			}
		})
	})
}

// TestCustomerDeleteRacesCheckout deletes customers while a checkout of their cart completes, the two
// requests sent at once: whichever wins, no order is left naming a deleted customer. Either the order
// is placed and the deletion is refused, or the customer and their cart go and the completion fails.
func TestCustomerDeleteRacesCheckout(t *testing.T) {
	const rounds = 10
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments = gateway
		// Each round signs a customer up and in from one address: two password hashes, which the rate
		// limit prices high. The limit is not what this test is about.
		o.RateCapacity = -1
	}, func(t *testing.T, s *server) {
		ctx := context.Background()
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		var placed, deleted int
		for i := range rounds {
			id, token := signUpAndLogIn(t, s, fmt.Sprintf("racer-%d@example.com", i))
			n, err := gid.DecodeType(id, "Customer")
			if err != nil {
				t.Fatal(err)
			}
			ready, _ := readyCart(t, s, tee, 1, payments.CardSuccess)
			d := s.data(t, nil, `mutation($id: ID!, $t: String!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: {customerAccessToken: $t}) {
				cart { id } userErrors { field message code } } }`, map[string]any{"id": ready, "t": token})
			noUserErrors(t, d, "cartBuyerIdentityUpdate")

			start := make(chan struct{})
			done := make(chan error, 2)
			var del response
			go func() {
				<-start
				_, err := s.sendWith(http.DefaultClient, nil, map[string]any{"query": submit, "variables": map[string]any{"id": ready, "t": "race"}})
				done <- err
			}()
			go func() {
				<-start
				var err error
				del, err = s.sendWith(http.DefaultClient, owner, map[string]any{"query": customerDelete, "variables": map[string]any{"id": id}})
				done <- err
			}()
			close(start)
			for range 2 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if del.Status != http.StatusOK || len(del.Errors) > 0 {
				t.Fatalf("customerDelete: status %d, %+v", del.Status, del.Errors)
			}
			// A completion runs on after its request answers: wait until its attempt has ended.
			waitFor(t, 10*time.Second, "the completion attempt to end", func() bool {
				n, err := s.svc.DB.Client.CompletionAttempt.Query().Where(completionattempt.CartID(ready),
					completionattempt.StatusEQ(completionattempt.StatusPROCESSING)).Count(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n == 0
			})
			orders, err := s.svc.DB.Client.Order.Query().Where(entorder.CustomerID(n)).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			customerLeft, err := s.svc.DB.Client.Customer.Query().Where(entcustomer.ID(n)).Exist(ctx)
			if err != nil {
				t.Fatal(err)
			}
			code := userErrorCode(mustDecode(t, del.Data), "customerDelete")
			switch {
			case orders == 1 && customerLeft && code == "CUSTOMER_HAS_ORDERS":
				placed++
			case orders == 0 && !customerLeft && code == "":
				deleted++
			default:
				t.Errorf("round %d: %d orders, customer left %v, deletion's userError %q", i, orders, customerLeft, code)
			}
		}
		t.Logf("%d rounds: the order won %d, the deletion %d", rounds, placed, deleted)
	})
}
