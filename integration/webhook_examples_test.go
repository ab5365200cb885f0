package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/webhooks"
)

// exampleTopics are the topics TestWebhookPayloadExamples makes happen. A topic recorded later is added
// here with the change that records it; docs/webhooks.md lists the others as to come.
var exampleTopics = []string{
	events.OrdersCreate, events.OrdersPaid, events.OrdersCancelled, events.OrdersFulfilled, events.OrdersPartiallyFulfilled,
	events.OrdersUpdated, events.RefundsCreate, events.FulfillmentsCreate, events.FulfillmentsUpdate,
	events.ProductsCreate, events.ProductsUpdate, events.ProductsDelete,
	events.CollectionsCreate, events.CollectionsUpdate, events.CollectionsDelete,
	events.CustomersCreate, events.CustomersUpdate, events.CustomersDelete,
	events.DiscountsCreate, events.DiscountsUpdate, events.DiscountsDelete,
	events.CartsCreate, events.CartsUpdate, events.InventoryLevelsUpdate,
	events.AccountingJournalEntry,
}

const docsPath = "../docs/webhooks.md"

// exampleBlock is one topic's place in docs/webhooks.md: its example between the markers, or a line
// saying it is to come.
var exampleBlock = regexp.MustCompile("(?s)<!-- example: ([a-z_/]+) -->\n(.*?)<!-- /example -->")

// TestWebhookPayloadExamples makes a change of each topic through the GraphQL API, captures the payload
// a signature-checking receiver gets, and checks that docs/webhooks.md shows an example of each with the
// same shape (the same keys at every level; values such as IDs and times may differ). With
// EMPORIUM_UPDATE_DOCS=1 it writes the captured payloads into docs/webhooks.md instead. SQLite only:
// payloads are the same JSON on both databases (TestEventsRecordedWithTheirChange checks both).
func TestWebhookPayloadExamples(t *testing.T) {
	docs, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]string{}
	for _, m := range exampleBlock.FindAllStringSubmatch(string(docs), -1) {
		documented[m[1]] = m[2]
	}
	for _, topic := range events.Topics {
		if _, ok := documented[topic]; !ok {
			t.Errorf("docs/webhooks.md has no <!-- example: %s --> block", topic)
		}
	}

	s := startServerWith(t, "sqlite", t.TempDir()+"/examples.db", func(o *service.Options) {
		withOwner(nil)(o)
		o.Payments = payments.NewTestGateway()
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	t.Cleanup(s.close)
	ctx := context.Background()
	if err := s.svc.StartJobs(ctx); err != nil {
		t.Fatal(err)
	}
	owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
	rcv := newReceiver(t)
	for _, topic := range exampleTopics {
		rcv.subscribeTo(t, s, owner, webhooks.TopicEnum(topic), "/examples")
	}

	// The changes, as in TestEventsRecordedWithTheirChange.
	grace, _ := signUpAndLogIn(t, s, "grace@example.com")
	_, token := signUpAndLogIn(t, s, "ada@example.com")
	ada := bearer(token)
	if d := s.data(t, ada, `mutation($c: CustomerUpdateInput!) { customerUpdate(customer: $c) { customerUserErrors { code } } }`,
		map[string]any{"c": map[string]any{"firstName": "Ada", "lastName": "Lovelace"}}); at(d, "customerUpdate.customerUserErrors.0") != nil {
		t.Fatalf("customerUpdate: %v", d)
	}
	if d := s.data(t, ada, `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { customerAddress { id } customerUserErrors { code } } }`,
		map[string]any{"a": map[string]any{"firstName": "Ada", "lastName": "Lovelace", "address1": "12 St James's Square", "city": "London", "country": "GB", "zip": "SW1Y 4JH"}}); at(d, "customerAddressCreate.customerUserErrors.0") != nil {
		t.Fatalf("customerAddressCreate: %v", d)
	}

	noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { customerDelete(input: {id: $id}) { userErrors { field message code } } }`,
		map[string]any{"id": grace}), "customerDelete")

	d := s.data(t, owner, `mutation($in: CollectionInput!) { collectionCreate(input: $in) { collection { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"title": "Rain Gear", "descriptionHtml": "<p>Dry.</p>"}})
	noUserErrors(t, d, "collectionCreate")
	collection := str(d, "collectionCreate.collection.id")
	noUserErrors(t, s.data(t, owner, `mutation($in: CollectionInput!) { collectionUpdate(input: $in) { userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"id": collection, "title": "Wet Weather"}}), "collectionUpdate")
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { collectionDelete(input: {id: $id}) { userErrors { field message } } }`,
		map[string]any{"id": collection}), "collectionDelete")

	d = s.data(t, owner, `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"title": "Welcome", "code": "hello10", "kind": "PERCENTAGE", "percentage": "10", "minimumSubtotal": "50.00", "currencyCode": "USD"}})
	noUserErrors(t, d, "discountCreate")
	discount := str(d, "discountCreate.discount.id")
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!, $in: DiscountInput!) { discountUpdate(id: $id, input: $in) { userErrors { field message } } }`,
		map[string]any{"id": discount, "in": map[string]any{"percentage": "15"}}), "discountUpdate")
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { discountDelete(id: $id) { userErrors { field message } } }`,
		map[string]any{"id": discount}), "discountDelete")

	d = s.data(t, owner, `mutation($p: ProductCreateInput!) { productCreate(product: $p) { product { id } userErrors { field message } } }`,
		map[string]any{"p": map[string]any{"title": "Rain Hat", "vendor": "Trailmark", "tags": []string{"rain"},
			"productOptions": []any{map[string]any{"name": "Size", "values": []any{map[string]any{"name": "One size"}}}},
			"variants": []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "One size"}}, "price": "19.90", "sku": "HAT-1",
				"prices": []any{map[string]any{"currencyCode": "EUR", "amount": "18.50"}}}}}})
	noUserErrors(t, d, "productCreate")
	hat := str(d, "productCreate.product.id")
	updateProductTitle(t, s, owner, hat, "Rain Hat II")
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { productDelete(input: {id: $id}) { userErrors { field message } } }`,
		map[string]any{"id": hat}), "productDelete")

	tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
	order := placeOrder(t, s, tee, 3, payments.CardSuccess)
	line := str(s.data(t, owner, `query($id: ID!) { order(id: $id) { lineItems(first: 1) { nodes { id } } } }`, map[string]any{"id": order}), "order.lineItems.nodes.0.id")
	fulfil := `mutation($in: FulfillmentInput!) { fulfillmentCreate(fulfillment: $in) { fulfillment { id } userErrors { field message code } } }`
	d = s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": order, "lineItems": []any{map[string]any{"id": line, "quantity": 1}},
		"trackingInfo": map[string]any{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}}})
	noUserErrors(t, d, "fulfillmentCreate")
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) {
		userErrors { field message code } } }`, map[string]any{"id": str(d, "fulfillmentCreate.fulfillment.id"),
		"t": map[string]any{"company": "UPS", "number": "1Z1000", "url": "https://ups.example/1Z1000"}}), "fulfillmentTrackingInfoUpdate")
	noUserErrors(t, s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": order}}), "fulfillmentCreate")
	noUserErrors(t, s.data(t, owner, `mutation($in: RefundInput!) { refundCreate(input: $in) { userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"orderId": order, "note": "Too small", "refundLineItems": []any{map[string]any{"lineItemId": line, "quantity": 1}}}}), "refundCreate")
	noUserErrors(t, s.data(t, owner, `mutation($in: OrderInput!) { orderUpdate(input: $in) { userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"id": order, "note": "Gift wrap"}}), "orderUpdate")
	other := placeOrder(t, s, tee, 1, payments.CardSuccess)
	noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message code } } }`,
		map[string]any{"id": other}), "orderCancel")

	// Of each topic, the largest payload received: the richest example.
	captured := map[string][]byte{}
	waitFor(t, 60*time.Second, "a delivery of every topic", func() bool {
		for _, got := range rcv.at("/examples") {
			raw := eventPayload(t, s, got)
			if len(raw) > len(captured[got.topic]) {
				captured[got.topic] = raw
			}
		}
		return len(captured) == len(exampleTopics)
	})

	if os.Getenv("EMPORIUM_UPDATE_DOCS") == "1" {
		out := exampleBlock.ReplaceAllStringFunc(string(docs), func(block string) string {
			topic := exampleBlock.FindStringSubmatch(block)[1]
			raw, ok := captured[topic]
			if !ok {
				return block
			}
			var b bytes.Buffer
			if err := json.Indent(&b, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("<!-- example: %s -->\n```json\n%s\n```\n<!-- /example -->", topic, b.String())
		})
		if err := os.WriteFile(docsPath, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %d examples to %s", len(captured), docsPath)
		return
	}
	for _, topic := range exampleTopics {
		block := documented[topic]
		body, ok := strings.CutPrefix(strings.TrimSpace(block), "```json")
		if !ok {
			t.Errorf("docs/webhooks.md has no example of %s: run EMPORIUM_UPDATE_DOCS=1 go test ./integration -run TestWebhookPayloadExamples", topic)
			continue
		}
		var doc, got any
		if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(body), "```")), &doc); err != nil {
			t.Errorf("the example of %s in docs/webhooks.md is not JSON: %v", topic, err)
			continue
		}
		if err := json.Unmarshal(captured[topic], &got); err != nil {
			t.Fatal(err)
		}
		if diffs := shapeDiff(doc, got, topic); len(diffs) > 0 {
			t.Errorf("the example of %s in docs/webhooks.md has another shape than what is sent (run EMPORIUM_UPDATE_DOCS=1):\n%s",
				topic, strings.Join(diffs, "\n"))
		}
	}
}

// eventPayload is the stored payload of a delivery's event, byte for byte in field order, after checking
// that it is what the receiver got.
func eventPayload(t *testing.T, s *server, got delivered) []byte {
	t.Helper()
	id, err := strconv.Atoi(got.eventID)
	if err != nil {
		t.Fatalf("X-Emporium-Event-Id %q", got.eventID)
	}
	e, err := s.svc.DB.Client.Event.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	if err := json.Unmarshal(e.Payload, &stored); err != nil || !reflect.DeepEqual(stored, got.payload) {
		t.Fatalf("the delivery of event %d differs from the event's payload: %v", id, err)
	}
	return e.Payload
}

// shapeDiff lists where a and b differ in keys: objects must have the same keys, arrays the same shape
// of elements (an empty array matches any), other values anything.
func shapeDiff(a, b any, at string) []string {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			if b == nil {
				return nil // an object the sample happens to lack (a null address)
			}
			return []string{at + ": an object in the docs, not in the payload"}
		}
		var diffs []string
		for _, k := range mergedKeys(a, bm) {
			av, aok := a[k]
			bv, bok := bm[k]
			switch {
			case !bok:
				diffs = append(diffs, at+"."+k+": documented, not sent")
			case !aok:
				diffs = append(diffs, at+"."+k+": sent, not documented")
			default:
				diffs = append(diffs, shapeDiff(av, bv, at+"."+k)...)
			}
		}
		return diffs
	case []any:
		bs, ok := b.([]any)
		if !ok {
			if b == nil {
				return nil
			}
			return []string{at + ": an array in the docs, not in the payload"}
		}
		if len(a) == 0 || len(bs) == 0 {
			return nil
		}
		return shapeDiff(a[0], bs[0], at+"[]")
	}
	return nil
}

func mergedKeys(ms ...map[string]any) []string {
	var out []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	slices.Sort(out)
	return out
}

// checkDocumentedShape checks that docs/webhooks.md shows an example of topic with the shape of payload,
// for the topics other tests make happen (those of payment providers' reports, which need a provider's
// signed events).
func checkDocumentedShape(t *testing.T, topic string, payload map[string]any) {
	t.Helper()
	docs, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range exampleBlock.FindAllStringSubmatch(string(docs), -1) {
		if m[1] != topic {
			continue
		}
		body, ok := strings.CutPrefix(strings.TrimSpace(m[2]), "```json")
		var doc any
		if !ok || json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(body), "```")), &doc) != nil {
			t.Errorf("docs/webhooks.md: the example of %s is not a JSON block", topic)
			return
		}
		raw, _ := json.Marshal(payload)
		var got any
		_ = json.Unmarshal(raw, &got)
		if diffs := shapeDiff(doc, got, topic); len(diffs) > 0 {
			t.Errorf("the example of %s in docs/webhooks.md has another shape than what is sent:\n%s\nsent: %s", topic, strings.Join(diffs, "\n"), raw)
		}
		return
	}
	t.Errorf("docs/webhooks.md has no <!-- example: %s --> block", topic)
}
