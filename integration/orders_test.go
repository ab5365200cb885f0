package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// data sends a request that must succeed and returns its data as nested maps, for flows that read many
// fields; at reads a value by a dotted path.
func (s *server) data(t *testing.T, header http.Header, query string, vars map[string]any) map[string]any {
	t.Helper()
	var out map[string]any
	s.queryAs(t, header, query, vars, &out)
	return out
}

// at reads a value out of decoded JSON by a dotted path; list elements are named by their index.
func at(v any, path string) any {
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[key]
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func str(v any, path string) string {
	s, _ := at(v, path).(string)
	return s
}

// noUserErrors fails when a payload at path reports userErrors.
func noUserErrors(t *testing.T, d map[string]any, payload string) {
	t.Helper()
	if errs, _ := at(d, payload+".userErrors").([]any); len(errs) > 0 {
		t.Fatalf("%s: userErrors %v", payload, errs)
	}
}

// userErrorCode is the code of the first userError of a payload, or "".
func userErrorCode(d map[string]any, payload string) string {
	return str(d, payload+".userErrors.0.code")
}

const flowCartFields = `id checkoutUrl totalQuantity
	cost { subtotalAmount { amount currencyCode } totalAmount { amount currencyCode } totalTaxAmount { amount } }
	lines(first: 10) { nodes { id quantity merchandise { ... on ProductVariant { sku } } cost { totalAmount { amount } } } }
	discountCodes { code applicable }
	deliveryGroups(first: 1) { nodes { id deliveryOptions { handle estimatedCost { amount } } } }`

const orderFields = `id name orderNumber processedAt email currencyCode financialStatus fulfillmentStatus statusUrl taxesIncluded
	subtotalPrice { amount currencyCode } totalPrice { amount } currentTotalPrice { amount } totalTax { amount }
	totalShippingPrice { amount } totalDiscounts { amount } totalRefunded { amount }
	shippingAddress { id address1 city countryCodeV2 } billingAddress { id city } shippingLine { title originalPrice { amount } discountedPrice { amount } tax { amount } }
	taxLines { title rate ratePercentage price { amount } }
	discountApplications(first: 5) { nodes { targetType allocatedAmount { amount } value { __typename ... on PricingPercentageValue { percentage } ... on MoneyV2 { amount } } ... on DiscountCodeApplication { code } } }
	lineItems(first: 10) { nodes { id title sku quantity currentQuantity fulfillableQuantity refundableQuantity
		originalTotalPrice { amount } discountedTotalPrice { amount } totalTax { amount } variant { id } } }
	successfulFulfillments { trackingCompany trackingInfo { number url } }`

// lineSKUs maps the SKUs of a cart's lines to their line IDs.
func lineSKUs(d map[string]any, cart string) map[string]string {
	out := map[string]string{}
	nodes, _ := at(d, cart+".lines.nodes").([]any)
	for _, n := range nodes {
		out[str(n, "merchandise.sku")] = str(n, "id")
	}
	return out
}

// purchase is the storefront's whole checkout for one market, with the figures a person worked out for it.
type purchase struct {
	country, currency       string
	address                 map[string]any
	lines                   map[string]int // final quantities by SKU
	code                    string
	delivery                string
	subtotal, total, tax    string // after discounts
	shipping, shippingTax   string
	lineTotals, lineTaxes   map[string]string
	taxLines                map[string]string // title → amount
	discounted              string
	taxesIncluded           bool
	customerToken, customer string
}

// checkout runs the storefront flow of p (create, add, update, remove lines, buyer identity with
// address, delivery option, discount code, payment, submit) and returns the placed order's ID.
func checkout(t *testing.T, s *server, v map[string]string, p purchase) string {
	t.Helper()
	// Start with the wrong quantities and an extra line, then correct them as a shopper would.
	var first string
	for sku := range p.lines {
		first = sku
		break
	}
	d := s.data(t, nil, `mutation($in: CartInput) { cartCreate(input: $in) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"lines": []any{map[string]any{"merchandiseId": v[first], "quantity": 1}},
			"buyerIdentity": map[string]any{"countryCode": p.country}}})
	noUserErrors(t, d, "cartCreate")
	id := str(d, "cartCreate.cart.id")
	if got := str(d, "cartCreate.cart.cost.totalAmount.currencyCode"); got != p.currency {
		t.Fatalf("cart currency %s, want %s", got, p.currency)
	}
	var add []any
	for sku, q := range p.lines {
		if sku != first {
			add = append(add, map[string]any{"merchandiseId": v[sku], "quantity": q + 1})
		}
	}
	add = append(add, map[string]any{"merchandiseId": v["EMP-GFT-CRD-25"], "quantity": 1})
	d = s.data(t, nil, `mutation($id: ID!, $l: [CartLineInput!]!) { cartLinesAdd(cartId: $id, lines: $l) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
		map[string]any{"id": id, "l": add})
	noUserErrors(t, d, "cartLinesAdd")
	lines := lineSKUs(d, "cartLinesAdd.cart")
	var upd []any
	for sku, q := range p.lines {
		upd = append(upd, map[string]any{"id": lines[sku], "quantity": q})
	}
	d = s.data(t, nil, `mutation($id: ID!, $l: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $id, lines: $l) { cart { id } userErrors { field message code } } }`,
		map[string]any{"id": id, "l": upd})
	noUserErrors(t, d, "cartLinesUpdate")
	if _, wanted := p.lines["EMP-GFT-CRD-25"]; !wanted {
		d = s.data(t, nil, `mutation($id: ID!, $l: [ID!]!) { cartLinesRemove(cartId: $id, lineIds: $l) { cart { id } userErrors { field message code } } }`,
			map[string]any{"id": id, "l": []string{lines["EMP-GFT-CRD-25"]}})
		noUserErrors(t, d, "cartLinesRemove")
	}

	identity := map[string]any{"email": p.customer, "countryCode": p.country}
	if p.customerToken != "" {
		identity["customerAccessToken"] = p.customerToken
	}
	d = s.data(t, nil, `mutation($id: ID!, $b: CartBuyerIdentityInput!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: $b) { cart { id } userErrors { field message code } } }`,
		map[string]any{"id": id, "b": identity})
	noUserErrors(t, d, "cartBuyerIdentityUpdate")
	d = s.data(t, nil, `mutation($id: ID!, $a: [CartSelectableAddressInput!]!) { cartDeliveryAddressesAdd(cartId: $id, addresses: $a) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
		map[string]any{"id": id, "a": []any{map[string]any{"selected": true, "address": map[string]any{"deliveryAddress": p.address}}}})
	noUserErrors(t, d, "cartDeliveryAddressesAdd")
	group := str(d, "cartDeliveryAddressesAdd.cart.deliveryGroups.nodes.0.id")
	d = s.data(t, nil, `mutation($id: ID!, $g: ID!, $h: String!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: $h}]) { cart { id } userErrors { field message code } } }`,
		map[string]any{"id": id, "g": group, "h": p.delivery})
	noUserErrors(t, d, "cartSelectedDeliveryOptionsUpdate")
	d = s.data(t, nil, `mutation($id: ID!, $c: [String!]!) { cartDiscountCodesUpdate(cartId: $id, discountCodes: $c) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
		map[string]any{"id": id, "c": []string{p.code}})
	noUserErrors(t, d, "cartDiscountCodesUpdate")
	c := at(d, "cartDiscountCodesUpdate.cart")
	if str(c, "discountCodes.0.code") != p.code || at(c, "discountCodes.0.applicable") != true {
		t.Fatalf("discount code: %v", at(c, "discountCodes"))
	}
	if str(c, "cost.totalAmount.amount") != p.total || str(c, "cost.totalTaxAmount.amount") != p.tax {
		t.Fatalf("cart cost %v, want total %s, tax %s", at(c, "cost"), p.total, p.tax)
	}
	for sku, want := range p.lineTotals {
		for _, n := range at(c, "lines.nodes").([]any) {
			if str(n, "merchandise.sku") == sku && str(n, "cost.totalAmount.amount") != want {
				t.Errorf("cart line %s costs %s, want %s", sku, str(n, "cost.totalAmount.amount"), want)
			}
		}
	}

	const billing = `mutation($id: ID!, $a: MailingAddressInput) { cartBillingAddressUpdate(cartId: $id, billingAddress: $a) { cart { id } userErrors { field message code } } }`
	d = s.data(t, nil, billing, map[string]any{"id": id, "a": map[string]any{"city": "<script>", "country": p.country}})
	if userErrorCode(d, "cartBillingAddressUpdate") != "INVALID" || at(d, "cartBillingAddressUpdate.cart") != nil {
		t.Errorf("a billing address with markup: %v", d)
	}
	d = s.data(t, nil, billing, map[string]any{"id": id, "a": map[string]any{"address1": "1 Billing Rd", "city": "Billing Town", "country": p.country}})
	noUserErrors(t, d, "cartBillingAddressUpdate")
	d = s.data(t, nil, `mutation($id: ID!, $p: CartPaymentInput!) { cartPaymentUpdate(cartId: $id, payment: $p) { cart { id } userErrors { field message code } } }`,
		map[string]any{"id": id, "p": map[string]any{"amount": map[string]any{"amount": p.total, "currencyCode": p.currency},
			"directPaymentMethod": map[string]any{"sessionId": payments.CardSuccess, "billingAddress": map[string]any{"city": "Billing Town", "country": p.country}}}})
	noUserErrors(t, d, "cartPaymentUpdate")
	d = s.data(t, nil, submit, map[string]any{"id": id, "t": "full-flow-" + p.country})
	if str(d, "cartSubmitForCompletion.result.__typename") != "SubmitSuccess" {
		t.Fatalf("submit: %v", d)
	}
	d = s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId } } }`,
		map[string]any{"a": str(d, "cartSubmitForCompletion.result.attemptId")})
	orderID := str(d, "cartCompletionAttempt.orderId")
	if orderID == "" {
		t.Fatalf("attempt: %v", d)
	}
	return orderID
}

// checkOrder compares an order as the API shows it with the figures of p.
func checkOrder(t *testing.T, o any, p purchase) {
	t.Helper()
	want := map[string]any{
		"currencyCode": p.currency, "financialStatus": "PAID", "fulfillmentStatus": "UNFULFILLED", "email": p.customer,
		"taxesIncluded": p.taxesIncluded, "subtotalPrice.amount": p.subtotal, "totalPrice.amount": p.total,
		"currentTotalPrice.amount": p.total, "totalTax.amount": p.tax, "totalShippingPrice.amount": p.shipping,
		"totalDiscounts.amount": p.discounted, "totalRefunded.amount": "0.00", "shippingLine.discountedPrice.amount": p.shipping,
		"shippingLine.tax.amount": p.shippingTax, "shippingAddress.countryCodeV2": p.country, "billingAddress.city": "Billing Town",
		"discountApplications.nodes.0.code": p.code, "discountApplications.nodes.0.allocatedAmount.amount": p.discounted,
		"discountApplications.nodes.0.value.percentage": 10.0,
	}
	for path, w := range want {
		if got := at(o, path); fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("order %s = %v, want %v", path, got, w)
		}
	}
	if a, b := str(o, "shippingAddress.id"), str(o, "billingAddress.id"); a == "" || a == b {
		t.Errorf("address IDs %q and %q are not distinct", a, b)
	}
	if !strings.HasPrefix(str(o, "name"), "#") || str(o, "name") != fmt.Sprintf("#%v", at(o, "orderNumber")) {
		t.Errorf("order name %q, number %v", str(o, "name"), at(o, "orderNumber"))
	}
	lines, _ := at(o, "lineItems.nodes").([]any)
	if len(lines) != len(p.lines) {
		t.Fatalf("order lines %v, want %d", lines, len(p.lines))
	}
	for _, l := range lines {
		sku := str(l, "sku")
		if at(l, "quantity") != float64(p.lines[sku]) || str(l, "discountedTotalPrice.amount") != p.lineTotals[sku] ||
			str(l, "totalTax.amount") != p.lineTaxes[sku] || str(l, "variant.id") == "" {
			t.Errorf("order line %s: %v, want quantity %d, total %s, tax %s", sku, l, p.lines[sku], p.lineTotals[sku], p.lineTaxes[sku])
		}
	}
	got := map[string]string{}
	for _, tl := range at(o, "taxLines").([]any) {
		got[str(tl, "title")] = str(tl, "price.amount")
	}
	if fmt.Sprint(got) != fmt.Sprint(p.taxLines) {
		t.Errorf("tax lines %v, want %v", got, p.taxLines)
	}
}

func TestOrderFullFlow(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee", "mountain-sunrise-poster", "gift-card")
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		for _, code := range []string{"SAVE10", "TENOFF"} {
			d := s.data(t, owner, `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`,
				map[string]any{"in": map[string]any{"title": code, "code": code, "kind": "PERCENTAGE", "percentage": "10", "oncePerCustomer": code == "SAVE10"}})
			noUserErrors(t, d, "discountCreate")
		}
		_, ada := signUpAndLogIn(t, s, "ada@example.com")
		_, bob := signUpAndLogIn(t, s, "bob@example.com")
		tee, poster := "EMP-TEE-ORG-M-NVY", "EMP-PST-MTN-12X16IN"

		// Germany, prices with VAT inside. Lines: tee 2 × 26.50 = 53.00 (19%), poster 2 × 26.00 = 52.00
		// (reduced, 7%): 105.00. SAVE10 takes 10.50, spread by amount: 5.30 off the tee, 5.20 off the
		// poster, leaving 47.70 and 46.80. Express shipping 14.90. VAT in them, rounded per line:
		// 47.70 × 19/119 = 7.62, 46.80 × 7/107 = 3.06, 14.90 × 19/119 = 2.38; 13.06 in all.
		// Total 94.50 + 14.90 = 109.40.
		eu := purchase{country: "DE", currency: "EUR", customer: "ada@example.com", customerToken: ada, code: "SAVE10", delivery: "express",
			address:  map[string]any{"firstName": "Ada", "address1": "Unter den Linden 1", "city": "Berlin", "zip": "10117", "countryCode": "DE"},
			lines:    map[string]int{tee: 2, poster: 2},
			subtotal: "94.50", total: "109.40", tax: "13.06", shipping: "14.90", shippingTax: "2.38", discounted: "10.50", taxesIncluded: true,
			lineTotals: map[string]string{tee: "47.70", poster: "46.80"}, lineTaxes: map[string]string{tee: "7.62", poster: "3.06"},
			taxLines: map[string]string{"MwSt": "10.00", "MwSt (ermäßigt)": "3.06"}}
		// Ohio, tax added. Lines: tee 2 × 29.00 = 58.00, poster 28.00, gift card 25.00: 111.00. TENOFF
		// takes 11.10: 5.80, 2.80 and 2.50, leaving 52.20, 25.20, 22.50 = 99.90. Express 15.00, which Ohio
		// does not tax. Ohio has no reduced rate, so the poster falls back to the standard 5.75% (issue 13:
		// it was sold untaxed); the gift card is zero-rated. Tee 52.20 × 5.75% = 3.0015 → 3.00, poster
		// 25.20 × 5.75% = 1.449 → 1.45: 4.45. Total 99.90 + 15.00 + 4.45 = 119.35.
		us := purchase{country: "US", currency: "USD", customer: "bob@example.com", customerToken: bob, code: "TENOFF", delivery: "express",
			address:  map[string]any{"firstName": "Bob", "address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "zip": "43004", "countryCode": "US"},
			lines:    map[string]int{tee: 2, poster: 1, "EMP-GFT-CRD-25": 1},
			subtotal: "99.90", total: "119.35", tax: "4.45", shipping: "15.00", shippingTax: "0.00", discounted: "11.10",
			lineTotals: map[string]string{tee: "52.20", poster: "25.20", "EMP-GFT-CRD-25": "22.50"},
			lineTaxes:  map[string]string{tee: "3.00", poster: "1.45", "EMP-GFT-CRD-25": "0.00"},
			taxLines:   map[string]string{"Ohio sales tax": "4.45"}}

		orderIDs := map[string]string{}
		for _, p := range []purchase{eu, us} {
			t.Run(p.country, func(t *testing.T) {
				id := checkout(t, s, v, p)
				orderIDs[p.country] = id
				d := s.data(t, bearer(p.customerToken), `{ customer { orders(first: 5) { nodes { `+orderFields+` } } } }`, nil)
				orders, _ := at(d, "customer.orders.nodes").([]any)
				if len(orders) != 1 || str(orders[0], "id") != id {
					t.Fatalf("the customer's orders: %v, want %s", orders, id)
				}
				checkOrder(t, orders[0], p)
				d = s.data(t, owner, `query($q: String!) { orders(first: 5, query: $q) { nodes { `+orderFields+` customer { email } note } } }`,
					map[string]any{"q": "email:" + p.customer})
				staffView, _ := at(d, "orders.nodes").([]any)
				if len(staffView) != 1 || str(staffView[0], "customer.email") != p.customer {
					t.Fatalf("staff search by email: %v", staffView)
				}
				checkOrder(t, staffView[0], p)
			})
		}
		if t.Failed() {
			return
		}

		t.Run("once per customer", func(t *testing.T) {
			d := s.data(t, nil, `mutation($in: CartInput) { cartCreate(input: $in) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"lines": []any{map[string]any{"merchandiseId": v[tee], "quantity": 1}},
					"buyerIdentity": map[string]any{"email": "ada@example.com", "countryCode": "DE"}, "discountCodes": []string{"SAVE10"}}})
			if at(d, "cartCreate.cart.discountCodes.0.applicable") != false {
				t.Errorf("SAVE10 is once per customer, yet applies to Ada again: %v", at(d, "cartCreate.cart.discountCodes"))
			}
			d = s.data(t, nil, `mutation($in: CartInput) { cartCreate(input: $in) { cart { `+flowCartFields+` } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"lines": []any{map[string]any{"merchandiseId": v[tee], "quantity": 1}},
					"buyerIdentity": map[string]any{"email": "carol@example.com", "countryCode": "DE"}, "discountCodes": []string{"SAVE10"}}})
			if at(d, "cartCreate.cart.discountCodes.0.applicable") != true {
				t.Errorf("SAVE10 refused to a new customer: %v", at(d, "cartCreate.cart.discountCodes"))
			}
			d = s.data(t, owner, `{ discounts(first: 5) { nodes { code usageCount } } }`, nil)
			for _, n := range at(d, "discounts.nodes").([]any) {
				if at(n, "usageCount") != 1.0 {
					t.Errorf("discount %s used %v times, want 1", str(n, "code"), at(n, "usageCount"))
				}
			}
		})

		t.Run("nobody else sees an order", func(t *testing.T) {
			const byNode = `query($id: ID!) { node(id: $id) { id ... on Order { name } } }`
			if d := s.data(t, bearer(ada), byNode, map[string]any{"id": orderIDs["DE"]}); str(d, "node.id") != orderIDs["DE"] {
				t.Errorf("Ada cannot reach her own order: %v", d)
			}
			for name, h := range map[string]http.Header{"Bob": bearer(bob), "a guest": nil} {
				if d := s.data(t, h, byNode, map[string]any{"id": orderIDs["DE"]}); at(d, "node") != nil {
					t.Errorf("%s reached Ada's order: %v", name, d)
				}
				d := s.data(t, h, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{orderIDs["DE"]}})
				if at(d, "nodes.0") != nil {
					t.Errorf("%s reached Ada's order through nodes: %v", name, d)
				}
			}
			r := s.postAs(t, bearer(bob), `{ orders(first: 5) { nodes { id } } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" || strings.Contains(string(r.Data), "Order/") {
				t.Errorf("a customer listed all orders: %s %+v", r.Data, r.Errors)
			}
			r = s.post(t, `{ orders(first: 5) { nodes { id } } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("a guest listed all orders: %s %+v", r.Data, r.Errors)
			}
			r = s.postAs(t, bearer(bob), `query($id: ID!) { node(id: $id) { ... on Order { note } } }`, map[string]any{"id": orderIDs["US"]})
			if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
				t.Errorf("a customer read the staff's note: %s %+v", r.Data, r.Errors)
			}
		})

		t.Run("the order-status page", func(t *testing.T) {
			d := s.data(t, owner, `query($id: ID!) { order(id: $id) { statusUrl } }`, map[string]any{"id": orderIDs["US"]})
			url := str(d, "order.statusUrl")
			token := url[strings.LastIndex(url, "/")+1:]
			if len(token) < 32 {
				t.Fatalf("status URL %q has no unguessable token", url)
			}
			d = s.data(t, nil, `query($t: String!) { orderByStatusToken(token: $t) { id totalPrice { amount } } }`, map[string]any{"t": token})
			if str(d, "orderByStatusToken.id") != orderIDs["US"] || str(d, "orderByStatusToken.totalPrice.amount") != us.total {
				t.Errorf("order by its status token: %v", d)
			}
			d = s.data(t, nil, `query($t: String!) { orderByStatusToken(token: $t) { id } }`, map[string]any{"t": token[:len(token)-1] + "0"})
			if at(d, "orderByStatusToken") != nil && !strings.HasSuffix(token, "0") {
				t.Errorf("a guessed token found an order: %v", d)
			}
		})
	})
}

// placeOrder completes a guest order in Ohio for quantity units of variant and returns the order ID.
func placeOrder(t *testing.T, s *server, variantID string, quantity int, card string) string {
	t.Helper()
	id, _ := readyCart(t, s, variantID, quantity, card)
	d := s.data(t, nil, submit, map[string]any{"id": id, "t": "place"})
	attempt := str(d, "cartSubmitForCompletion.result.attemptId")
	d = s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId }
		... on CartCompletionActionRequired { id action { ... on CompletePaymentChallenge { redirectUrl } } } } }`,
		map[string]any{"a": attempt})
	if card == payments.CardRequiresAction || card == payments.CardActionThenDecline {
		if str(d, "cartCompletionAttempt.__typename") != "CartCompletionActionRequired" ||
			!strings.HasPrefix(str(d, "cartCompletionAttempt.action.redirectUrl"), "https://test-gateway.invalid/3ds/") {
			t.Fatalf("3-D Secure attempt: %v", d)
		}
		return attempt
	}
	if str(d, "cartCompletionAttempt.orderId") == "" {
		t.Fatalf("attempt: %v", d)
	}
	return str(d, "cartCompletionAttempt.orderId")
}

const staffOrder = `query($id: ID!) { order(id: $id) { id financialStatus fulfillmentStatus canceledAt cancelReason note
	totalPrice { amount } currentTotalPrice { amount } currentSubtotalPrice { amount } totalRefunded { amount }
	lineItems(first: 5) { nodes { id quantity currentQuantity fulfillableQuantity refundableQuantity discountedTotalPrice { amount } totalTax { amount } } }
	successfulFulfillments { trackingInfo { number url } fulfillmentLineItems(first: 5) { nodes { quantity lineItem { id } } } }
	refunds { totalRefunded { amount } refundLineItems { quantity restocked restockedQuantity } }
	events(first: 50) { nodes { kind message actorId data } } } }`

func eventKinds(o any) []string {
	var kinds []string
	for _, e := range at(o, "events.nodes").([]any) {
		kinds = append(kinds, str(e, "kind"))
	}
	return kinds
}

func TestOrderManagement(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.Payments = gateway }, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		tee := v["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		read := func(id string) any { return at(s.data(t, owner, staffOrder, map[string]any{"id": id}), "order") }
		fulfil := `mutation($in: FulfillmentInput!) { fulfillmentCreate(fulfillment: $in) { fulfillment { id trackingInfo { number url } }
			order { fulfillmentStatus } userErrors { field message code } } }`
		refund := `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { totalRefunded { amount } } order { financialStatus totalRefunded { amount } }
			userErrors { field message code } } }`
		cancel := `mutation($id: ID!, $refund: Boolean!, $restock: Boolean!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: $refund, restock: $restock, staffNote: "asked by phone") {
			order { financialStatus canceledAt cancelReason } userErrors { field message code } } }`

		t.Run("fulfil, refund, restock", func(t *testing.T) {
			start := stockOf(t, s, tee)
			// 3 tees at 29.00 = 87.00, shipping free above 75.00, Ohio tax 87.00 × 5.75% = 5.0025 → 5.00: 92.00.
			id := placeOrder(t, s, tee, 3, payments.CardSuccess)
			o := read(id)
			line := str(o, "lineItems.nodes.0.id")
			if str(o, "financialStatus") != "PAID" || str(o, "totalPrice.amount") != "92.00" || stockOf(t, s, tee) != start-3 {
				t.Fatalf("placed order %v, stock %d (was %d)", o, stockOf(t, s, tee), start)
			}

			d := s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id, "lineItems": []any{map[string]any{"id": line, "quantity": 4}}}})
			if userErrorCode(d, "fulfillmentCreate") != "EXCEEDS_FULFILLABLE_QUANTITY" || at(d, "fulfillmentCreate.fulfillment") != nil {
				t.Errorf("fulfilling 4 of 3: %v", d)
			}
			d = s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id, "lineItems": []any{map[string]any{"id": line, "quantity": 1}},
				"trackingInfo": map[string]any{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}}})
			noUserErrors(t, d, "fulfillmentCreate")
			if str(d, "fulfillmentCreate.order.fulfillmentStatus") != "PARTIALLY_FULFILLED" || str(d, "fulfillmentCreate.fulfillment.trackingInfo.0.number") != "1Z999" {
				t.Errorf("partial fulfilment: %v", d)
			}
			d = s.data(t, owner, cancel, map[string]any{"id": id, "refund": true, "restock": true})
			if userErrorCode(d, "orderCancel") != "ORDER_HAS_FULFILLMENTS" {
				t.Errorf("cancelling a shipped order: %v", d)
			}

			// One unit back: a third of the line (29.00) and of its tax (5.00 / 3 = 1.66, cut down so
			// that the three thirds add up to 5.00): 30.66.
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
				map[string]any{"lineItemId": line, "quantity": 1, "restockType": "RETURN"}}}})
			noUserErrors(t, d, "refundCreate")
			if str(d, "refundCreate.refund.totalRefunded.amount") != "30.66" || str(d, "refundCreate.order.financialStatus") != "PARTIALLY_REFUNDED" {
				t.Errorf("refund of one unit: %v", d)
			}
			if got := stockOf(t, s, tee); got != start-2 {
				t.Errorf("stock %d after a returned unit, want %d", got, start-2)
			}
			before := read(id)
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "amount": "70.00"}})
			if userErrorCode(d, "refundCreate") != "EXCEEDS_REFUNDABLE" {
				t.Errorf("refunding more than was paid: %v", d)
			}
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
				map[string]any{"lineItemId": line, "quantity": 3}}}})
			if userErrorCode(d, "refundCreate") != "EXCEEDS_REFUNDABLE" {
				t.Errorf("refunding 3 more units of 3 with 1 refunded: %v", d)
			}
			if after := read(id); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("refused refunds changed the order:\n%v\n%v", before, after)
			}

			// The two units left, never shipped, back in stock: the rest of the money, 61.34.
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
				map[string]any{"lineItemId": line, "quantity": 2, "restockType": "CANCEL"}}}})
			noUserErrors(t, d, "refundCreate")
			if str(d, "refundCreate.refund.totalRefunded.amount") != "61.34" || str(d, "refundCreate.order.financialStatus") != "REFUNDED" ||
				str(d, "refundCreate.order.totalRefunded.amount") != "92.00" {
				t.Errorf("refund of the rest: %v", d)
			}
			o = read(id)
			if stockOf(t, s, tee) != start || str(o, "fulfillmentStatus") != "FULFILLED" || at(o, "lineItems.nodes.0.fulfillableQuantity") != 0.0 ||
				at(o, "lineItems.nodes.0.currentQuantity") != 0.0 || str(o, "currentTotalPrice.amount") != "0.00" || str(o, "currentSubtotalPrice.amount") != "0.00" {
				t.Errorf("after refunding everything: stock %d (want %d), %v", stockOf(t, s, tee), start, o)
			}
			d = s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id}})
			if userErrorCode(d, "fulfillmentCreate") != "EXCEEDS_FULFILLABLE_QUANTITY" {
				t.Errorf("fulfilling refunded units: %v", d)
			}
			kinds := strings.Join(eventKinds(o), ",")
			for _, k := range []string{"order_created", "paid", "fulfilled", "refund_created", "inventory_changed"} {
				if !strings.Contains(kinds, k) {
					t.Errorf("events %s lack %s", kinds, k)
				}
			}
		})

		t.Run("cancel with refund and restock", func(t *testing.T) {
			start := stockOf(t, s, tee)
			id := placeOrder(t, s, tee, 2, payments.CardSuccess)
			d := s.data(t, owner, cancel, map[string]any{"id": id, "refund": true, "restock": true})
			noUserErrors(t, d, "orderCancel")
			if str(d, "orderCancel.order.financialStatus") != "REFUNDED" || str(d, "orderCancel.order.cancelReason") != "CUSTOMER" || at(d, "orderCancel.order.canceledAt") == nil {
				t.Errorf("cancelled: %v", d)
			}
			if got := stockOf(t, s, tee); got != start {
				t.Errorf("stock %d after cancelling, want %d", got, start)
			}
			before := read(id)
			d = s.data(t, owner, cancel, map[string]any{"id": id, "refund": true, "restock": true})
			if userErrorCode(d, "orderCancel") != "ORDER_CANCELLED" || stockOf(t, s, tee) != start {
				t.Errorf("cancelling twice: %v, stock %d", d, stockOf(t, s, tee))
			}
			d = s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id}})
			if userErrorCode(d, "fulfillmentCreate") != "ORDER_CANCELLED" {
				t.Errorf("fulfilling a cancelled order: %v", d)
			}
			d = s.data(t, owner, `mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { userErrors { code } } }`, map[string]any{"id": id})
			if userErrorCode(d, "orderMarkAsPaid") != "ORDER_CANCELLED" {
				t.Errorf("paying a cancelled order: %v", d)
			}
			if after := read(id); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("refused changes changed the order:\n%v\n%v", before, after)
			}
			kinds := strings.Join(eventKinds(before), ",")
			if !strings.Contains(kinds, "cancelled") || !strings.Contains(kinds, "refund_created") {
				t.Errorf("events: %s", kinds)
			}
			for _, e := range at(before, "events.nodes").([]any) {
				if str(e, "kind") == "cancelled" && (str(e, "message") != "asked by phone" || !strings.HasPrefix(str(e, "actorId"), "gid://emporium/StaffMember/")) {
					t.Errorf("cancel event: %v", e)
				}
				if str(e, "kind") == "inventory_changed" {
					var data map[string]any
					if err := json.Unmarshal([]byte(str(e, "data")), &data); err != nil || data["variantId"] != tee {
						t.Errorf("inventory event data %q: %v", str(e, "data"), err)
					}
				}
			}
		})

		t.Run("mark as paid after 3-D Secure", func(t *testing.T) {
			// A gateway payment waiting on 3-D Secure is settled by the gateway's outcome, never by staff:
			// marking it paid would record money never captured (TestMarkAsPaidIsForManualPayments).
			attempt := placeOrder(t, s, tee, 1, payments.CardRequiresAction)
			d := s.data(t, owner, `{ orders(first: 1, reverse: true, query: "financial_status:pending") { nodes { id financialStatus } } }`, nil)
			id := str(d, "orders.nodes.0.id")
			if id == "" {
				t.Fatalf("pending orders: %v", d)
			}
			d = s.data(t, owner, `mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { order { financialStatus } userErrors { code } } }`, map[string]any{"id": id})
			if userErrorCode(d, "orderMarkAsPaid") != "ORDER_NOT_PAYABLE" || str(read(id), "financialStatus") != "PENDING" {
				t.Errorf("marking a pending gateway payment as paid: %v, order %v", d, read(id))
			}
			d = s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename } }`, map[string]any{"a": attempt})
			if str(d, "cartCompletionAttempt.__typename") != "CartCompletionActionRequired" {
				t.Errorf("the buyer's attempt after a refused mark as paid: %v", d)
			}
		})

		t.Run("3-D Secure settled by the gateway's report", func(t *testing.T) {
			webhook := func(ref string) (int, string) {
				res, err := http.Post(s.http.URL+"/payments/test-gateway/webhook", "application/json", strings.NewReader(`{"reference": "`+ref+`"}`))
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body map[string]string
				_ = json.NewDecoder(res.Body).Decode(&body)
				return res.StatusCode, body["status"]
			}
			pendingReference := func() string {
				o, err := s.svc.DB.Client.Order.Query().Where(entorder.FinancialStatusEQ(entorder.FinancialStatusPENDING), entorder.CancelledAtIsNil()).
					Order(ent.Desc(entorder.FieldID)).First(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return o.PaymentReference
			}
			attemptOf := func(a string) map[string]any {
				return s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId }
					... on CartCompletionFailed { errors { code } } } }`, map[string]any{"a": a})
			}

			attempt := placeOrder(t, s, tee, 1, payments.CardRequiresAction)
			ref := pendingReference()
			if code, status := webhook(ref); code != http.StatusOK || status != "CAPTURED" {
				t.Fatalf("webhook: %d %s", code, status)
			}
			d := attemptOf(attempt)
			id := str(d, "cartCompletionAttempt.orderId")
			if id == "" || str(read(id), "financialStatus") != "PAID" {
				t.Errorf("after 3-D Secure: %v, order %v", d, read(id))
			}
			if code, _ := webhook(ref); code != http.StatusNotFound {
				t.Errorf("a second report of a settled payment: %d", code)
			}
			if code, _ := webhook("pay_forged"); code != http.StatusNotFound {
				t.Errorf("a report of an unknown payment: %d", code)
			}

			before := stockOf(t, s, tee)
			attempt = placeOrder(t, s, tee, 2, payments.CardActionThenDecline)
			if got := stockOf(t, s, tee); got != before-2 {
				t.Errorf("stock %d while 3-D Secure is pending, want %d held", got, before-2)
			}
			if code, status := webhook(pendingReference()); code != http.StatusOK || status != "DECLINED" {
				t.Fatalf("webhook of a declined payment: %d %s", code, status)
			}
			if d := attemptOf(attempt); str(d, "cartCompletionAttempt.__typename") != "CartCompletionFailed" ||
				str(d, "cartCompletionAttempt.errors.0.code") != "PAYMENT_CARD_DECLINED" {
				t.Errorf("attempt after a declined confirmation: %v", d)
			}
			if got := stockOf(t, s, tee); got != before {
				t.Errorf("stock %d after the declined confirmation, want %d back", got, before)
			}
		})

		t.Run("notes, search and sorting", func(t *testing.T) {
			d := s.data(t, owner, `{ orders(first: 50, sortKey: TOTAL_PRICE, reverse: true) { nodes { id totalPrice { amount } } pageInfo { hasNextPage } } }`, nil)
			nodes := at(d, "orders.nodes").([]any)
			if len(nodes) < 3 {
				t.Fatalf("orders: %v", d)
			}
			for i := 1; i < len(nodes); i++ {
				if cents(t, str(nodes[i], "totalPrice.amount")) > cents(t, str(nodes[i-1], "totalPrice.amount")) {
					t.Errorf("orders by total, descending: %v", nodes)
				}
			}
			id := str(nodes[0], "id")
			d = s.data(t, owner, `mutation($id: ID!) { orderUpdate(input: {id: $id, note: "gift wrap"}) { order { note } userErrors { code } } }`, map[string]any{"id": id})
			if str(d, "orderUpdate.order.note") != "gift wrap" {
				t.Errorf("note: %v", d)
			}
			// The order cancelled by staff, and the one whose card was declined after 3-D Secure.
			d = s.data(t, owner, `query($q: String!) { orders(first: 5, query: $q) { nodes { id cancelReason } } }`, map[string]any{"q": "status:cancelled"})
			if nodes := at(d, "orders.nodes").([]any); len(nodes) != 2 || str(nodes[0], "cancelReason") != "CUSTOMER" || str(nodes[1], "cancelReason") != "DECLINED" {
				t.Errorf("cancelled orders: %v", d)
			}
			r := s.postAs(t, owner, `{ orders(first: 5, query: "colour:red") { nodes { id } } }`, nil)
			if len(r.Errors) == 0 || r.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("unknown search field: %s %+v", r.Data, r.Errors)
			}
		})

		t.Run("reading orders is not managing them", func(t *testing.T) {
			ownerToken := staffLogin(t, s, ownerEmail, ownerPassword)
			group := mustGroup(t, s, ownerToken, "Order readers", "READ_ORDERS")
			d := s.data(t, owner, `mutation($g: ID!) { staffMemberCreate(input: {email: "reader@example.com", password: "reader-password-1", name: "Rea", groupIds: [$g]}) {
				staffMember { id } userErrors { field message } } }`, map[string]any{"g": group})
			noUserErrors(t, d, "staffMemberCreate")
			reader := bearer(staffLogin(t, s, "reader@example.com", "reader-password-1"))
			d = s.data(t, reader, `{ orders(first: 1) { nodes { id financialStatus } } }`, nil)
			id := str(d, "orders.nodes.0.id")
			if id == "" {
				t.Fatalf("a reader lists no orders: %v", d)
			}
			before := read(id)
			for name, q := range map[string]string{
				"cancel": `mutation($id: ID!) { orderCancel(orderId: $id, reason: STAFF, refund: true, restock: true) { order { id } } }`,
				"fulfil": `mutation($id: ID!) { fulfillmentCreate(fulfillment: {orderId: $id}) { order { id } } }`,
				"refund": `mutation($id: ID!) { refundCreate(input: {orderId: $id, amount: "1.00"}) { order { id } } }`,
				"pay":    `mutation($id: ID!) { orderMarkAsPaid(input: {id: $id}) { order { id } } }`,
				"note":   `mutation($id: ID!) { orderUpdate(input: {id: $id, note: "x"}) { order { id } } }`,
			} {
				r := s.postAs(t, reader, q, map[string]any{"id": id})
				if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
					t.Errorf("%s by a reader: %s %+v", name, r.Data, r.Errors)
				}
			}
			if after := read(id); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("refused mutations changed the order")
			}
		})

		t.Run("statements do not grow with the page", func(t *testing.T) {
			q := `query($n: Int!) { orders(first: $n) { nodes { ` + orderFields + ` refunds { totalRefunded { amount } } events(first: 5) { nodes { kind } } } } }`
			s.data(t, owner, q, map[string]any{"n": 1})
			one := s.lastStatements()
			s.data(t, owner, q, map[string]any{"n": 50})
			if many := s.lastStatements(); many != one || one > 12 {
				t.Errorf("orders(first: 1) took %d statements, orders(first: 50) %d", one, many)
			}
			t.Logf("orders with lines, fulfilments, refunds, events and variants: %d statements", one)
		})
	})
}
