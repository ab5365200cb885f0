package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emporium/emporium/ent/variantprice"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// noPositiveWords are searches without a positive free-text word: only a filter, a negated word, or
// punctuation that holds no word.
var noPositiveWords = []string{"tag:eco", "-cotton", "'", "%", "NOT cotton", "tag:eco -cotton", `"'"`, "%*", "_", `\`, "-'"}

// Issue 10, finding 18: a RELEVANCE search whose query has no positive free-text word had no relevance
// expression and panicked (INTERNAL_SERVER_ERROR) on both databases. It now answers in the default order,
// page after page.
func TestHardenSearchWithoutPositiveWords(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, q := range noPositiveWords {
			for _, key := range []string{"RELEVANCE", "TITLE"} {
				var after any
				for page := 0; page < 3; page++ {
					r := s.post(t, `query($q: String, $k: ProductSortKeys, $after: String) { products(first: 5, query: $q, sortKey: $k, after: $after) {
						edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"q": q, "k": key, "after": after})
					if len(r.Errors) > 0 || r.Status != 200 {
						t.Fatalf("products(query: %q, sortKey: %s) page %d: status %d, errors %+v", q, key, page+1, r.Status, r.Errors)
					}
					var d struct {
						Products struct {
							PageInfo struct {
								HasNextPage bool
								EndCursor   string
							}
						}
					}
					decode(t, r, &d)
					if !d.Products.PageInfo.HasNextPage {
						break
					}
					after = d.Products.PageInfo.EndCursor
				}
			}
		}
	})
}

// A RELEVANCE cursor taken from a search with words and given to one without (and back) is bad input at
// worst, never an internal error.
func TestHardenRelevanceCursorAcrossQueries(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		page := func(q string, after any) response {
			return s.post(t, `query($q: String, $after: String) { products(first: 2, query: $q, sortKey: RELEVANCE, after: $after) {
				pageInfo { endCursor } } }`, map[string]any{"q": q, "after": after})
		}
		cursorOf := func(q string) string {
			var d struct {
				Products struct{ PageInfo struct{ EndCursor string } }
			}
			decode(t, page(q, nil), &d)
			return d.Products.PageInfo.EndCursor
		}
		for _, pair := range [][2]string{{"tee", "tag:eco"}, {"tag:eco", "tee"}, {"-cotton", "tee"}, {"tee", "'"}} {
			r := page(pair[1], cursorOf(pair[0]))
			for _, e := range r.Errors {
				if e.code() != "BAD_USER_INPUT" {
					t.Errorf("a cursor of %q used with %q: %+v", pair[0], pair[1], r.Errors)
				}
			}
		}
	})
}

// The admin order search shares the parser: the same queries answer there too.
func TestHardenAdminSearchWithoutPositiveWords(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		staff := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		for _, q := range append(noPositiveWords, "email:'", "%@%") {
			for _, doc := range []string{
				`query($q: String) { orders(first: 5, query: $q) { nodes { id } } }`,
				`query($q: String) { customers(first: 5, query: $q) { nodes { id } } }`,
			} {
				r := s.postAs(t, staff, doc, map[string]any{"q": q})
				for _, e := range r.Errors {
					if e.code() != "BAD_USER_INPUT" {
						t.Errorf("%s with %q: %+v", doc, q, r.Errors)
					}
				}
			}
		}
	})
}

// decode unmarshals a response's data.
func decode(t *testing.T, r response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}

// wantBadInput fails unless r was refused with BAD_USER_INPUT.
func wantBadInput(t *testing.T, what string, r response) {
	t.Helper()
	if len(r.Errors) == 0 || r.Errors[0].code() != "BAD_USER_INPUT" {
		t.Errorf("%s: want BAD_USER_INPUT, got errors %+v, data %s", what, r.Errors, r.Data)
	}
}

// Issue 10, finding 12: a price of 99999999999999.99 times 1,000 units wrapped to a negative subtotal.
// Amounts are bounded where they come in (prices, weights, discount amounts, payments), refused with
// BAD_USER_INPUT with nothing written, and the largest price allowed makes an exact total.
func TestHardenMoneyBounds(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		const huge = "99999999999999.99"

		// Product creation: refused, and no product exists.
		r := s.postAs(t, owner, productCreateMutation, map[string]any{"p": map[string]any{"title": "Overflow", "handle": "overflow",
			"status": "ACTIVE", "variants": []any{map[string]any{"price": huge, "tracked": false}}}})
		wantBadInput(t, "productCreate with price "+huge, r)
		r = s.postAs(t, owner, productCreateMutation, map[string]any{"p": map[string]any{"title": "Overflow", "handle": "overflow",
			"status": "ACTIVE", "variants": []any{map[string]any{"price": "10.00", "prices": []any{map[string]any{"currencyCode": "EUR", "amount": "10.00", "compareAtAmount": huge}}}}}})
		wantBadInput(t, "productCreate with an EUR compare-at price of "+huge, r)
		d := s.data(t, owner, `{ product(handle: "overflow") { id } }`, nil)
		if at(d, "product") != nil {
			t.Errorf("a refused productCreate wrote a product: %v", d)
		}

		// The largest price allowed: 1,000 units make an exact, positive subtotal.
		var created productCreateResult
		s.queryAs(t, owner, productCreateMutation, map[string]any{"p": map[string]any{"title": "Dear", "handle": "dear",
			"status": "ACTIVE", "variants": []any{map[string]any{"price": "1000000000.00", "tracked": false}}}}, &created)
		if created.ProductCreate.Product == nil {
			t.Fatalf("productCreate at the largest price: %+v", created.ProductCreate.UserErrors)
		}
		product, variant := created.ProductCreate.Product.ID, created.ProductCreate.Product.Variants.Nodes[0].ID
		d = s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1000}]}) {
			cart { id cost { subtotalAmount { amount } } } userErrors { field message code } } }`, map[string]any{"v": variant})
		noUserErrors(t, d, "cartCreate")
		if got := str(d, "cartCreate.cart.cost.subtotalAmount.amount"); got != "1000000000000.0" && got != "1000000000000.00" {
			t.Errorf("1,000 × 1,000,000,000.00: subtotal %s", got)
		}
		cart := str(d, "cartCreate.cart.id")

		// Variant updates: a price or a weight beyond the bounds is refused and the price stays.
		for name, v := range map[string]map[string]any{
			"price":       {"id": variant, "price": huge},
			"EUR price":   {"id": variant, "prices": []any{map[string]any{"currencyCode": "EUR", "amount": huge}}},
			"price above": {"id": variant, "price": "1000000000.01"},
			"weight":      {"id": variant, "weight": 1e300, "weightUnit": "KILOGRAMS"},
		} {
			r := s.postAs(t, owner, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
				productVariants { id } userErrors { field message } } }`, map[string]any{"p": product, "v": []any{v}})
			wantBadInput(t, "productVariantsBulkUpdate of the "+name, r)
		}
		d = s.data(t, nil, `query($v: ID!) { node(id: $v) { ... on ProductVariant { price { amount } weight } } }`, map[string]any{"v": variant})
		if got := str(d, "node.price.amount"); got != "1000000000.0" && got != "1000000000.00" {
			t.Errorf("a refused update changed the price to %s", got)
		}

		// Discounts: an amount or a minimum beyond the bounds is refused, and the code stays free.
		create := `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`
		for _, field := range []string{"amount", "minimumSubtotal"} {
			in := map[string]any{"title": "Huge", "code": "HUGE", "kind": "FIXED_AMOUNT", "currencyCode": "USD", "amount": "5.00"}
			in[field] = huge
			wantBadInput(t, "discountCreate with "+field+" "+huge, s.postAs(t, owner, create, map[string]any{"in": in}))
		}
		d = s.data(t, owner, create, map[string]any{"in": map[string]any{"title": "Huge", "code": "HUGE", "kind": "FIXED_AMOUNT", "currencyCode": "USD", "amount": "5.00"}})
		noUserErrors(t, d, "discountCreate")

		// Payments: an amount beyond any total is bad input; the cart keeps no payment.
		for _, amount := range []string{"10000000000000000.00", "99999999999999999999"} {
			r := s.post(t, `mutation($id: ID!, $a: Decimal!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: USD},
				directPaymentMethod: {sessionId: "4242424242424242", billingAddress: {city: "Columbus", country: "US"}}}) { userErrors { field message code } } }`,
				map[string]any{"id": cart, "a": amount})
			wantBadInput(t, "cartPaymentUpdate of "+amount, r)
		}

		// Quantities are bounded already (1,000 a line): more is a userError.
		d = s.data(t, nil, `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 1}]) {
			cart { totalQuantity } userErrors { field message code } } }`, map[string]any{"id": cart, "v": variant})
		if userErrorCode(d, "cartLinesAdd") != "MAXIMUM_EXCEEDED" {
			t.Errorf("1,001 units: %v", d)
		}
	})
}

// Issue 10, finding 6: whoever held a customer's cart ID (it is in checkoutUrl) read the customer's email,
// phone, address book and the delivery addresses copied from it. A customer's cart now shows its buyer's
// personal data only to that customer's token and to staff who read customers; customer B never reaches
// it at all.
func TestHardenCustomerCartKeepsTheCustomerPrivate(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := staffLogin(t, s, ownerEmail, ownerPassword)
		_, alice := signUpAndLogIn(t, s, "alice@example.com")
		_, bob := signUpAndLogIn(t, s, "bob@example.com")
		var book struct {
			CustomerAddressCreate struct{ CustomerAddress struct{ ID string } }
		}
		s.queryAs(t, bearer(alice), `mutation { customerAddressCreate(address: {address1: "7 Secret Garden", city: "Lyon", country: "FR", phone: "+33100000000"}) {
			customerAddress { id } } }`, nil, &book)
		v := variantIDs(t, s, "organic-cotton-tee")

		// Alice's storefront makes the cart hers with her token in the input, then copies her address.
		d := s.data(t, nil, `mutation($v: ID!, $t: String!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], buyerIdentity: {customerAccessToken: $t}}) {
			cart { id checkoutUrl buyerIdentity { email customer { email } } } userErrors { field message code } } }`, map[string]any{"v": v["EMP-TEE-ORG-M-NVY"], "t": alice})
		noUserErrors(t, d, "cartCreate")
		if str(d, "cartCreate.cart.buyerIdentity.customer.email") != "alice@example.com" {
			t.Errorf("the request that presented alice's token does not see her in its answer: %v", d)
		}
		cart := str(d, "cartCreate.cart.id")
		d = s.data(t, nil, `mutation($id: ID!, $a: [CartSelectableAddressInput!]!) { cartDeliveryAddressesAdd(cartId: $id, addresses: $a) {
			cart { delivery { addresses { id } } } userErrors { field message code } } }`,
			map[string]any{"id": cart, "a": []any{map[string]any{"selected": true, "address": map[string]any{"copyFromCustomerAddressId": book.CustomerAddressCreate.CustomerAddress.ID}}}})
		noUserErrors(t, d, "cartDeliveryAddressesAdd")
		if addrs, _ := at(d, "cartDeliveryAddressesAdd.cart.delivery.addresses").([]any); len(addrs) != 0 {
			t.Errorf("an anonymous answer lists alice's delivery addresses: %v", d)
		}

		const read = `query($id: ID!) { cart(id: $id) { id buyerIdentity { email phone countryCode customer { id email phone firstName
			addresses(first: 5) { nodes { address1 city phone } } defaultAddress { address1 } orders(first: 5) { nodes { id } } } }
			delivery { addresses { id address { ... on CartDeliveryAddress { address1 city phone formatted formattedArea } } } }
			deliveryGroups(first: 1) { nodes { id } } } }`
		const node = `query($id: ID!) { node(id: $id) { id ... on Cart { buyerIdentity { email customer { email } } delivery { addresses { id } } } } }`
		private := []string{"alice@example.com", "Secret Garden", "+33100000000"}
		leaks := func(raw []byte) []string {
			var found []string
			for _, p := range private {
				if strings.Contains(string(raw), p) {
					found = append(found, p)
				}
			}
			return found
		}

		for _, tc := range []struct {
			name   string
			as     http.Header
			cart   bool // the cart is answered
			sees   bool // with alice's data
			within string
		}{
			{name: "anonymous", cart: true},
			{name: "customer B", as: bearer(bob)},
			{name: "customer A", as: bearer(alice), cart: true, sees: true},
			{name: "staff who read customers", as: bearer(owner), cart: true, sees: true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, q := range []string{read, node} {
					r := s.postAs(t, tc.as, q, map[string]any{"id": cart})
					for _, e := range r.Errors {
						if e.code() == "INTERNAL_SERVER_ERROR" {
							t.Fatalf("%s: %+v", q, r.Errors)
						}
					}
					found := leaks(r.Data)
					switch {
					case !tc.sees && len(found) > 0:
						t.Errorf("%s sees alice's %v: %s", tc.name, found, r.Data)
					case tc.sees && q == read && len(found) != len(private):
						t.Errorf("%s sees only %v of alice's data: %s %+v", tc.name, found, r.Data, r.Errors)
					}
					if q == read {
						var got struct{ Cart *struct{ ID string } }
						_ = json.Unmarshal(r.Data, &got)
						if (got.Cart != nil) != tc.cart {
							t.Errorf("%s: cart answered %v, want %v: %s", tc.name, got.Cart != nil, tc.cart, r.Data)
						}
					}
				}
			})
		}

		// Staff without READ_CUSTOMERS read carts but not their customers.
		group := mustGroup(t, s, owner, "Fulfilment", "READ_ORDERS")
		s.queryAs(t, bearer(owner), `mutation($g: ID!) { staffMemberCreate(input: {email: "packer@example.com", password: "packer-password-1", name: "Pat", groupIds: [$g]}) {
			staffMember { id } } }`, map[string]any{"g": group}, nil)
		packer := staffLogin(t, s, "packer@example.com", "packer-password-1")
		r := s.postAs(t, bearer(packer), read, map[string]any{"id": cart})
		if found := leaks(r.Data); len(found) > 0 {
			t.Errorf("staff without READ_CUSTOMERS see alice's %v: %s", found, r.Data)
		}
	})
}

// Issue 10, finding 7: a line whose product staff set to DRAFT or ARCHIVED (or whose price in the cart's
// currency went away) was still sold. The cart now warns MERCHANDISE_NOT_FOR_SALE on the line, and
// completion, which re-reads the catalog, refuses with that code, placing no order and taking no stock.
func TestHardenUnsellableLinesAreNotSold(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.Payments = gateway }, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		ctx := context.Background()
		setStatus := func(status string) func(t *testing.T, product, variant string) {
			return func(t *testing.T, product, variant string) {
				d := s.data(t, owner, `mutation($id: ID!, $s: ProductStatus!) { productUpdate(product: {id: $id, status: $s}) { product { status } userErrors { message } } }`,
					map[string]any{"id": product, "s": status})
				noUserErrors(t, d, "productUpdate")
			}
		}
		for _, tc := range []struct {
			name, handle, sku string
			change            func(t *testing.T, product, variant string)
		}{
			{"draft", "organic-cotton-tee", "EMP-TEE-ORG-S-BLK", setStatus("DRAFT")},
			{"archived", "classic-crew-tee", "EMP-TEE-CRW-S-WHT", setStatus("ARCHIVED")},
			{"price removed", "pocket-tee", "EMP-TEE-PKT-S-OLV", func(t *testing.T, product, variant string) {
				// No mutation removes a price today (an import or a currency change would): remove it in the
				// database, then make a catalog write through the API so that memos of the catalog move on.
				id, err := gid.DecodeType(variant, "ProductVariant")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.svc.DB.Client.VariantPrice.Delete().Where(variantprice.VariantID(id), variantprice.Currency("USD")).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				d := s.data(t, owner, `mutation($id: ID!) { productUpdate(product: {id: $id, vendor: "Emporium"}) { userErrors { message } } }`, map[string]any{"id": product})
				noUserErrors(t, d, "productUpdate")
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var p struct {
					Product struct {
						ID       string
						Variants struct{ Nodes []struct{ ID, SKU string } }
					}
				}
				s.query(t, `query($h: String!) { product(handle: $h) { id variants(first: 50) { nodes { id sku } } } }`, map[string]any{"h": tc.handle}, &p)
				var variant string
				for _, v := range p.Product.Variants.Nodes {
					if v.SKU == tc.sku {
						variant = v.ID
					}
				}
				cart, _ := readyCart(t, s, variant, 1, payments.CardSuccess)
				stock := stockOf(t, s, variant)
				orders, err := s.svc.DB.Client.Order.Query().Count(ctx)
				if err != nil {
					t.Fatal(err)
				}

				tc.change(t, p.Product.ID, variant)

				// The cart answers, with a warning on the line.
				d := s.data(t, nil, `mutation($id: ID!) { cartNoteUpdate(cartId: $id, note: "gift") {
					cart { id lines(first: 5) { nodes { id cost { totalAmount { amount } } } } cost { subtotalAmount { amount } totalAmount { amount } } }
					userErrors { field message code } warnings { code message target } } }`, map[string]any{"id": cart})
				noUserErrors(t, d, "cartNoteUpdate")
				if str(d, "cartNoteUpdate.warnings.0.code") != "MERCHANDISE_NOT_FOR_SALE" ||
					str(d, "cartNoteUpdate.warnings.0.target") != str(d, "cartNoteUpdate.cart.lines.nodes.0.id") {
					t.Errorf("cart warnings: %v", at(d, "cartNoteUpdate"))
				}
				s.data(t, nil, `query($id: ID!) { cart(id: $id) { cost { totalAmount { amount } } lines(first: 5) { nodes { cost { totalAmount { amount } } } } } }`, map[string]any{"id": cart})

				// Completion refuses, and neither an order nor a unit of stock moves.
				d = s.data(t, nil, submit, map[string]any{"id": cart, "t": "unsellable-" + tc.name})
				code := ""
				switch str(d, "cartSubmitForCompletion.result.__typename") {
				case "SubmitFailed":
					code = str(d, "cartSubmitForCompletion.result.errors.0.code")
				case "SubmitSuccess":
					a := s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionFailed { errors { code message } } } }`,
						map[string]any{"a": str(d, "cartSubmitForCompletion.result.attemptId")})
					code = str(a, "cartCompletionAttempt.errors.0.code")
				}
				if code != "MERCHANDISE_NOT_FOR_SALE" {
					t.Errorf("submitting a cart with an unsellable line: %v", d)
				}
				if got := stockOf(t, s, variant); got != stock {
					t.Errorf("stock went from %d to %d", stock, got)
				}
				if n, err := s.svc.DB.Client.Order.Query().Count(ctx); err != nil || n != orders {
					t.Errorf("orders went from %d to %d (%v)", orders, n, err)
				}
			})
		}
	})
}

// customerCheckout builds a cart for variant with a buyer identity, a discount code and an Ohio address,
// selects standard shipping and pays the total by card; it returns the cart and whether the code applied.
func customerCheckout(t *testing.T, s *server, variant string, identity map[string]any, code string) (cart string, applicable bool) {
	t.Helper()
	d := s.data(t, nil, `mutation($in: CartInput) { cartCreate(input: $in) { cart { id discountCodes { code applicable } deliveryGroups(first: 1) { nodes { id } } }
		userErrors { field message code } } }`, map[string]any{"in": map[string]any{
		"lines": []any{map[string]any{"merchandiseId": variant, "quantity": 1}}, "buyerIdentity": identity, "discountCodes": []string{code},
		"delivery": map[string]any{"addresses": []any{map[string]any{"selected": true, "address": map[string]any{"deliveryAddress": map[string]any{
			"address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "countryCode": "US", "zip": "43004"}}}}}}})
	noUserErrors(t, d, "cartCreate")
	cart = str(d, "cartCreate.cart.id")
	applicable = at(d, "cartCreate.cart.discountCodes.0.applicable") == true
	d = s.data(t, nil, `mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
		cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, map[string]any{"id": cart, "g": str(d, "cartCreate.cart.deliveryGroups.nodes.0.id")})
	noUserErrors(t, d, "cartSelectedDeliveryOptionsUpdate")
	d = s.data(t, nil, `mutation($id: ID!, $a: Decimal!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: USD},
		directPaymentMethod: {sessionId: "4242424242424242", billingAddress: {city: "Columbus", country: "US"}}}) { userErrors { message } } }`,
		map[string]any{"id": cart, "a": str(d, "cartSelectedDeliveryOptionsUpdate.cart.cost.totalAmount.amount")})
	noUserErrors(t, d, "cartPaymentUpdate")
	return cart, applicable
}

// completeCart submits a ready cart and returns the order's ID, or "" with the failure's code.
func completeCart(t *testing.T, s *server, cart, attemptToken string) (order, failure string) {
	t.Helper()
	d := s.data(t, nil, submit, map[string]any{"id": cart, "t": attemptToken})
	switch str(d, "cartSubmitForCompletion.result.__typename") {
	case "SubmitFailed":
		return "", str(d, "cartSubmitForCompletion.result.errors.0.code")
	case "SubmitSuccess":
		a := s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId }
			... on CartCompletionFailed { errors { code message } } } }`, map[string]any{"a": str(d, "cartSubmitForCompletion.result.attemptId")})
		if id := str(a, "cartCompletionAttempt.orderId"); id != "" {
			return id, ""
		}
		return "", str(a, "cartCompletionAttempt.errors.0.code") + " " + fmt.Sprint(a)
	}
	t.Fatalf("submit: %v", d)
	return "", ""
}

// Issue 10, finding 10: "once per customer" was keyed on the cart's email, so a signed-in customer used
// the code again by typing another email. Usage is keyed on the customer when there is one, on the
// normalised email otherwise.
func TestHardenOncePerCustomerFollowsTheCustomer(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.Payments = gateway }, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		d := s.data(t, owner, `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`,
			map[string]any{"in": map[string]any{"title": "Welcome", "code": "WELCOME10", "kind": "PERCENTAGE", "percentage": "10", "oncePerCustomer": true}})
		noUserErrors(t, d, "discountCreate")
		_, ada := signUpAndLogIn(t, s, "ada@example.com")
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]

		// Two carts of the same customer with two emails, both ready before either is completed.
		first, ok1 := customerCheckout(t, s, tee, map[string]any{"customerAccessToken": ada, "email": "ada@example.com"}, "WELCOME10")
		second, ok2 := customerCheckout(t, s, tee, map[string]any{"customerAccessToken": ada, "email": "ada+again@example.com"}, "WELCOME10")
		if !ok1 || !ok2 {
			t.Fatalf("the code should apply to both carts before any order: %v %v", ok1, ok2)
		}
		if order, failure := completeCart(t, s, first, "first"); order == "" {
			t.Fatalf("the first order: %s", failure)
		}
		if order, _ := completeCart(t, s, second, "second"); order != "" {
			t.Errorf("the same customer used WELCOME10 twice by changing the email: order %s", order)
		}

		// A new cart of the customer under yet another email: the code no longer applies.
		if _, ok := customerCheckout(t, s, tee, map[string]any{"customerAccessToken": ada, "email": "ada.lovelace@example.com"}, "WELCOME10"); ok {
			t.Error("WELCOME10 applies again to the customer under a new email")
		}
		// Guests are still keyed on the normalised email: another guest may use it once, then not again.
		guest, ok := customerCheckout(t, s, tee, map[string]any{"email": "Guest@Example.com"}, "WELCOME10")
		if !ok {
			t.Fatal("WELCOME10 does not apply to a guest who never used it")
		}
		if order, failure := completeCart(t, s, guest, "guest"); order == "" {
			t.Fatalf("the guest's order: %s", failure)
		}
		if _, ok := customerCheckout(t, s, tee, map[string]any{"email": "guest@example.com "}, "WELCOME10"); ok {
			t.Error("WELCOME10 applies twice to the same guest email")
		}
	})
}

// codesUpdate sets a cart's codes; it returns the first userError's code ("" for none).
func codesUpdate(t *testing.T, s *server, cart string, codes ...string) string {
	t.Helper()
	d := s.data(t, nil, `mutation($id: ID!, $c: [String!]!) { cartDiscountCodesUpdate(cartId: $id, discountCodes: $c) {
		cart { id } userErrors { field message code } } }`, map[string]any{"id": cart, "c": codes})
	return userErrorCode(d, "cartDiscountCodesUpdate")
}

// Issue 10, finding 11: discount codes could be guessed at hundreds per request (aliases × codes). Codes
// that name no discount now spend a budget per cart (10) and per client address (100) per 10 minutes, in
// the database; once one is spent, new codes are refused with THROTTLED, across aliases, requests and
// replicas, while known codes cost nothing.
func TestHardenDiscountCodeGuessingIsThrottled(t *testing.T) {
	run := func(t *testing.T, s, other *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		d := s.data(t, owner, `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`,
			map[string]any{"in": map[string]any{"title": "Real", "code": "REAL10", "kind": "PERCENTAGE", "percentage": "10"}})
		noUserErrors(t, d, "discountCreate")
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		newCart := func() string {
			d := s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { id } userErrors { message } } }`, map[string]any{"v": tee})
			noUserErrors(t, d, "cartCreate")
			return str(d, "cartCreate.cart.id")
		}
		guesses := func(from, n int) []string {
			var out []string
			for i := from; i < from+n; i++ {
				out = append(out, fmt.Sprintf("GUESS%d", i))
			}
			return out
		}

		// One request, three aliases of four unknown codes each: 12 guesses against a budget of 10.
		cart := newCart()
		d = s.data(t, nil, `mutation($id: ID!, $a: [String!]!, $b: [String!]!, $c: [String!]!) {
			a: cartDiscountCodesUpdate(cartId: $id, discountCodes: $a) { cart { discountCodes { code } } userErrors { code } }
			b: cartDiscountCodesUpdate(cartId: $id, discountCodes: $b) { cart { discountCodes { code } } userErrors { code } }
			c: cartDiscountCodesUpdate(cartId: $id, discountCodes: $c) { cart { discountCodes { code } } userErrors { code } } }`,
			map[string]any{"id": cart, "a": guesses(1, 4), "b": guesses(1, 8), "c": guesses(1, 12)})
		if str(d, "a.userErrors.0.code") != "" || str(d, "b.userErrors.0.code") != "" {
			t.Errorf("the first 8 unknown codes: %v", d)
		}
		if str(d, "c.userErrors.0.code") != "THROTTLED" || at(d, "c.cart") != nil {
			t.Errorf("the 11th unknown code of one request across aliases: %v", at(d, "c"))
		}
		var c struct {
			Cart struct{ DiscountCodes []struct{ Code string } }
		}
		s.query(t, `query($id: ID!) { cart(id: $id) { discountCodes { code } } }`, map[string]any{"id": cart}, &c)
		if len(c.Cart.DiscountCodes) != 8 {
			t.Errorf("the refused update changed the cart's codes: %+v", c.Cart.DiscountCodes)
		}

		// Later requests (on another replica where there is one) stay refused, known codes too: a guesser
		// must not learn which codes exist from which are let through.
		if code := codesUpdate(t, other, cart, "ANOTHER-GUESS"); code != "THROTTLED" {
			t.Errorf("an unknown code in a later request: %q", code)
		}
		if code := codesUpdate(t, other, cart, "REAL10"); code != "THROTTLED" {
			t.Errorf("a known code on a cart whose budget is spent: %q", code)
		}
		// Codes already on the cart cost nothing: the shopper may still remove one.
		if code := codesUpdate(t, other, cart, guesses(1, 7)...); code != "" {
			t.Errorf("removing a code from a throttled cart: %q", code)
		}

		// Another cart is not throttled by this one: the known code applies.
		d = s.data(t, nil, `mutation($id: ID!) { cartDiscountCodesUpdate(cartId: $id, discountCodes: ["real10"]) {
			cart { discountCodes { code applicable } } userErrors { code } } }`, map[string]any{"id": newCart()})
		if at(d, "cartDiscountCodesUpdate.cart.discountCodes.0.applicable") != true {
			t.Errorf("a known code on another cart: %v", d)
		}

		// The client address has its own budget of 100 over all carts (10 are spent): carts created with
		// codes count too. Once it is spent, every new cart from the address is refused new codes.
		spent := 10
		for i := 0; spent < 100; i++ {
			n := min(10, 100-spent)
			if i%2 == 0 {
				if code := codesUpdate(t, s, newCart(), guesses(1000+spent, n)...); code != "" {
					t.Fatalf("unknown codes %d to %d from the address: %q", spent+1, spent+n, code)
				}
			} else {
				d := s.data(t, nil, `mutation($v: ID!, $c: [String!]) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], discountCodes: $c}) {
					cart { id } userErrors { code } } }`, map[string]any{"v": tee, "c": guesses(1000+spent, n)})
				noUserErrors(t, d, "cartCreate")
			}
			spent += n
		}
		if code := codesUpdate(t, other, newCart(), "REAL10"); code != "THROTTLED" {
			t.Errorf("a new code from an address whose budget is spent: %q", code)
		}
		d = s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], discountCodes: ["GUESS-AT-CREATE"]}) {
			cart { id } userErrors { code } } }`, map[string]any{"v": tee})
		if userErrorCode(d, "cartCreate") != "THROTTLED" {
			t.Errorf("cartCreate with a code from an address whose budget is spent: %v", d)
		}
	}
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) { run(t, s, s) })
	t.Run("two replicas", func(t *testing.T) {
		a, b := startTwoReplicas(t)
		run(t, a, b)
	})
}
