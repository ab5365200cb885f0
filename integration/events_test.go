package integration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// recorded is the events of the resources whose global IDs are given (all events without any), oldest
// first, with their payloads decoded.
type recorded struct {
	topic, resource string
	payload         map[string]any
	processed       bool
}

func eventsOf(t *testing.T, s *server, resources ...string) []recorded {
	t.Helper()
	q := s.svc.DB.Client.Event.Query().Order(ent.Asc(event.FieldID))
	if len(resources) > 0 {
		q.Where(event.ResourceIDIn(resources...))
	}
	rows, err := q.All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]recorded, len(rows))
	for i, e := range rows {
		out[i] = recorded{topic: e.Topic, resource: e.ResourceID, processed: e.ProcessedAt != nil}
		if err := json.Unmarshal(e.Payload, &out[i].payload); err != nil {
			t.Fatalf("event %d: payload %s: %v", e.ID, e.Payload, err)
		}
	}
	return out
}

func topics(evs []recorded) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.topic
	}
	return out
}

// jobsOfKind counts the job queue's rows of one kind, in whatever state.
func jobsOfKind(t *testing.T, s *server, kind string) int {
	t.Helper()
	var n int
	q := "SELECT count(*) FROM river_job WHERE kind = $1"
	if !s.svc.DB.Postgres() {
		q = "SELECT count(*) FROM river_job WHERE kind = ?"
	}
	if err := s.svc.DB.SQL.QueryRow(q, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEventsRecordedWithTheirChange makes each change that records an event through the API, and a
// refused change beside it: the event is there, with the resource's Admin API shape, exactly when the
// change is; then the queue's workers mark every event processed.
func TestEventsRecordedWithTheirChange(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.Payments = gateway }, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		if evs := eventsOf(t, s); len(evs) != 0 {
			t.Fatalf("a new shop has events: %v", topics(evs))
		}

		t.Run("customers", func(t *testing.T) {
			id, _ := signUpAndLogIn(t, s, "grace@example.com")
			evs := eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.CustomersCreate}) {
				t.Fatalf("events of a new customer: %v", topics(evs))
			}
			p := evs[0].payload
			if p["id"] != id || p["email"] != "grace@example.com" || p["state"] != "ENABLED" || p["passwordHash"] != nil {
				t.Errorf("customers/create payload: %v", p)
			}
			before := len(eventsOf(t, s))
			d := s.data(t, nil, `mutation { customerCreate(input: {email: "grace@example.com", password: "another-password-1"}) {
				customer { id } customerUserErrors { code } } }`, nil)
			if str(d, "customerCreate.customerUserErrors.0.code") != "TAKEN" {
				t.Errorf("a taken email: %v", d)
			}
			if after := len(eventsOf(t, s)); after != before {
				t.Errorf("a refused customerCreate recorded %d events", after-before)
			}

			// Each change of the profile or the address book is customers/update, with the book.
			adaID, token := signUpAndLogIn(t, s, "ada@example.com")
			ada := bearer(token)
			upd := `mutation($c: CustomerUpdateInput!) { customerUpdate(customer: $c) { customer { id } customerUserErrors { code } } }`
			if d := s.data(t, ada, upd, map[string]any{"c": map[string]any{"firstName": "Ada", "lastName": "Lovelace"}}); at(d, "customerUpdate.customerUserErrors.0") != nil {
				t.Fatalf("customerUpdate: %v", d)
			}
			if d := s.data(t, ada, upd, map[string]any{"c": map[string]any{"email": "grace@example.com"}}); str(d, "customerUpdate.customerUserErrors.0.code") != "TAKEN" {
				t.Errorf("taking another's email: %v", d)
			}
			add := `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { customerAddress { id } customerUserErrors { code } } }`
			d = s.data(t, ada, add, map[string]any{"a": map[string]any{"address1": "12 St James's Square", "city": "London", "country": "GB"}})
			address := str(d, "customerAddressCreate.customerAddress.id")
			if address == "" {
				t.Fatalf("customerAddressCreate: %v", d)
			}
			del := `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedCustomerAddressId customerUserErrors { code } } }`
			if d := s.data(t, ada, del, map[string]any{"id": "gid://emporium/MailingAddress/999999"}); at(d, "customerAddressDelete.customerUserErrors.0") == nil {
				t.Errorf("deleting an address that is not there: %v", d)
			}
			evs = eventsOf(t, s, adaID)
			if want := []string{events.CustomersCreate, events.CustomersUpdate, events.CustomersUpdate}; !slices.Equal(topics(evs), want) {
				t.Fatalf("events of a customer who changed name and added an address, with two refused changes: %v, want %v", topics(evs), want)
			}
			if p := evs[1].payload; p["firstName"] != "Ada" || p["lastName"] != "Lovelace" || p["email"] != "ada@example.com" || fmt.Sprint(p["addresses"]) != "[]" {
				t.Errorf("customers/update after the name: %v", p)
			}
			if p := evs[2].payload; str(p, "addresses.0.id") != address || str(p, "addresses.0.city") != "London" || p["defaultAddressId"] != address || p["passwordHash"] != nil {
				t.Errorf("customers/update after the address: %v", p)
			}

			// customers/delete carries only the ID; deleting again is refused and records nothing.
			del = `mutation($id: ID!) { customerDelete(input: {id: $id}) { deletedCustomerId userErrors { field message code } } }`
			noUserErrors(t, s.data(t, owner, del, map[string]any{"id": adaID}), "customerDelete")
			if d := s.data(t, owner, del, map[string]any{"id": adaID}); userErrorCode(d, "customerDelete") != "NOT_FOUND" {
				t.Errorf("deleting a deleted customer: %v", d)
			}
			evs = eventsOf(t, s, adaID)
			if want := []string{events.CustomersCreate, events.CustomersUpdate, events.CustomersUpdate, events.CustomersDelete}; !slices.Equal(topics(evs), want) {
				t.Fatalf("events of a deleted customer, with a refused second deletion: %v, want %v", topics(evs), want)
			}
			if fmt.Sprint(evs[3].payload) != fmt.Sprintf("map[id:%s]", adaID) {
				t.Errorf("customers/delete payload: %v", evs[3].payload)
			}
		})

		t.Run("collections", func(t *testing.T) {
			create := `mutation($in: CollectionInput!) { collectionCreate(input: $in) { collection { id } userErrors { field message } } }`
			d := s.data(t, owner, create, map[string]any{"in": map[string]any{"title": "Rain Gear", "descriptionHtml": "<p>Dry.</p>"}})
			noUserErrors(t, d, "collectionCreate")
			id := str(d, "collectionCreate.collection.id")
			if d := s.data(t, owner, create, map[string]any{"in": map[string]any{"title": ""}}); at(d, "collectionCreate.userErrors.0") == nil {
				t.Errorf("a blank title was accepted: %v", d)
			}
			update := `mutation($in: CollectionInput!) { collectionUpdate(input: $in) { collection { id } userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, update, map[string]any{"in": map[string]any{"id": id, "title": "Wet Weather"}}), "collectionUpdate")
			if d := s.data(t, owner, update, map[string]any{"in": map[string]any{"id": id, "handle": "Not A Handle"}}); at(d, "collectionUpdate.userErrors.0") == nil {
				t.Errorf("a bad handle was accepted: %v", d)
			}
			tee := str(s.data(t, nil, `{ product(handle: "organic-cotton-tee") { id } }`, nil), "product.id")
			addProducts := `mutation($id: ID!, $p: [ID!]!) { collectionAddProducts(id: $id, productIds: $p) { userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, addProducts, map[string]any{"id": id, "p": []any{tee}}), "collectionAddProducts")
			if d := s.data(t, owner, addProducts, map[string]any{"id": id, "p": []any{"gid://emporium/Product/999999"}}); at(d, "collectionAddProducts.userErrors.0") == nil {
				t.Errorf("adding a missing product: %v", d)
			}
			del := `mutation($id: ID!) { collectionDelete(input: {id: $id}) { deletedCollectionId userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, del, map[string]any{"id": id}), "collectionDelete")
			if d := s.data(t, owner, del, map[string]any{"id": id}); at(d, "collectionDelete.userErrors.0") == nil {
				t.Errorf("deleting a deleted collection: %v", d)
			}
			evs := eventsOf(t, s, id)
			want := []string{events.CollectionsCreate, events.CollectionsUpdate, events.CollectionsUpdate, events.CollectionsDelete}
			if !slices.Equal(topics(evs), want) {
				t.Fatalf("events of a collection: %v, want %v", topics(evs), want)
			}
			if p := evs[0].payload; p["id"] != id || p["title"] != "Rain Gear" || p["handle"] != "rain-gear" || p["descriptionHtml"] != "<p>Dry.</p>" || p["sortOrder"] == "" {
				t.Errorf("collections/create payload: %v", p)
			}
			if p := evs[1].payload; p["title"] != "Wet Weather" || p["handle"] != "rain-gear" {
				t.Errorf("collections/update payload: %v", p)
			}
			if fmt.Sprint(evs[3].payload) != fmt.Sprintf("map[id:%s]", id) {
				t.Errorf("collections/delete payload: %v", evs[3].payload)
			}
		})

		t.Run("discounts", func(t *testing.T) {
			create := `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id } userErrors { field message } } }`
			d := s.data(t, owner, create, map[string]any{"in": map[string]any{"title": "Welcome", "code": "hello10", "kind": "PERCENTAGE",
				"percentage": "10", "minimumSubtotal": "50.00", "currencyCode": "USD"}})
			noUserErrors(t, d, "discountCreate")
			id := str(d, "discountCreate.discount.id")
			if d := s.data(t, owner, create, map[string]any{"in": map[string]any{"title": "Again", "code": "HELLO10", "kind": "PERCENTAGE", "percentage": "5"}}); at(d, "discountCreate.userErrors.0") == nil {
				t.Errorf("a taken code was accepted: %v", d)
			}
			update := `mutation($id: ID!, $in: DiscountInput!) { discountUpdate(id: $id, input: $in) { discount { id } userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, update, map[string]any{"id": id, "in": map[string]any{"percentage": "15"}}), "discountUpdate")
			if d := s.data(t, owner, update, map[string]any{"id": id, "in": map[string]any{"percentage": "150"}}); at(d, "discountUpdate.userErrors.0") == nil {
				t.Errorf("150%% was accepted: %v", d)
			}
			del := `mutation($id: ID!) { discountDelete(id: $id) { deletedDiscountId userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, del, map[string]any{"id": id}), "discountDelete")
			if d := s.data(t, owner, del, map[string]any{"id": id}); at(d, "discountDelete.userErrors.0") == nil {
				t.Errorf("deleting a deleted discount: %v", d)
			}
			evs := eventsOf(t, s, id)
			if want := []string{events.DiscountsCreate, events.DiscountsUpdate, events.DiscountsDelete}; !slices.Equal(topics(evs), want) {
				t.Fatalf("events of a discount: %v, want %v", topics(evs), want)
			}
			if p := evs[0].payload; p["id"] != id || p["code"] != "HELLO10" || p["kind"] != "PERCENTAGE" || p["percentage"] != 10.0 ||
				fmt.Sprint(p["minimumSubtotal"]) != "map[amount:50.00 currencyCode:USD]" || p["usageCount"] != 0.0 {
				t.Errorf("discounts/create payload: %v", p)
			}
			if p := evs[1].payload; p["percentage"] != 15.0 {
				t.Errorf("discounts/update payload: %v", p)
			}
			if fmt.Sprint(evs[2].payload) != fmt.Sprintf("map[id:%s]", id) {
				t.Errorf("discounts/delete payload: %v", evs[2].payload)
			}
		})

		t.Run("products", func(t *testing.T) {
			create := `mutation($p: ProductCreateInput!) { productCreate(product: $p) { product { id } userErrors { field message } } }`
			d := s.data(t, owner, create, map[string]any{"p": map[string]any{"title": "Rain Hat", "vendor": "Trailmark",
				"productOptions": []any{map[string]any{"name": "Size", "values": []any{map[string]any{"name": "One size"}}}},
				"variants": []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "One size"}}, "price": "19.90", "sku": "HAT-1",
					"prices": []any{map[string]any{"currencyCode": "EUR", "amount": "18.50"}}}}}})
			noUserErrors(t, d, "productCreate")
			id := str(d, "productCreate.product.id")
			evs := eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.ProductsCreate}) {
				t.Fatalf("events of a new product: %v", topics(evs))
			}
			p := evs[0].payload
			prices := fmt.Sprint(at(p, "variants.0.prices"))
			if p["id"] != id || p["title"] != "Rain Hat" || p["status"] != "DRAFT" || str(p, "variants.0.sku") != "HAT-1" ||
				prices != "[map[amount:18.50 currencyCode:EUR] map[amount:19.90 currencyCode:USD]]" {
				t.Errorf("products/create payload: %v (prices %s)", p, prices)
			}

			update := `mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { id } userErrors { field message } } }`
			d = s.data(t, owner, update, map[string]any{"p": map[string]any{"id": id, "title": "Rain Hat II"}})
			noUserErrors(t, d, "productUpdate")
			d = s.data(t, owner, update, map[string]any{"p": map[string]any{"id": id, "title": ""}})
			if at(d, "productUpdate.userErrors.0") == nil {
				t.Errorf("a blank title was accepted: %v", d)
			}
			evs = eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.ProductsCreate, events.ProductsUpdate}) || evs[1].payload["title"] != "Rain Hat II" {
				t.Fatalf("after one update and one refused: %v, %v", topics(evs), evs[len(evs)-1].payload)
			}

			del := `mutation($id: ID!) { productDelete(input: {id: $id}) { deletedProductId userErrors { field message } } }`
			noUserErrors(t, s.data(t, owner, del, map[string]any{"id": id}), "productDelete")
			if d := s.data(t, owner, del, map[string]any{"id": id}); at(d, "productDelete.userErrors.0") == nil {
				t.Errorf("deleting a deleted product: %v", d)
			}
			evs = eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.ProductsCreate, events.ProductsUpdate, events.ProductsDelete}) ||
				fmt.Sprint(evs[2].payload) != fmt.Sprintf("map[id:%s]", id) {
				t.Errorf("after delete and a refused delete: %v, %v", topics(evs), evs[len(evs)-1].payload)
			}
		})

		t.Run("orders", func(t *testing.T) {
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			orderEvents := func() int {
				n, err := s.svc.DB.Client.Event.Query().Where(event.ResourceTypeIn("Order", "Fulfillment", "Refund")).Count(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			// A declined card undoes the order: nothing is announced.
			before := orderEvents()
			cart, _ := readyCart(t, s, tee, 1, payments.CardDecline)
			if order, failure := completeCart(t, s, cart, "declined"); order != "" || failure == "" {
				t.Fatalf("a declined card placed order %s", order)
			}
			if n := orderEvents() - before; n != 0 {
				t.Errorf("a declined completion recorded %d order events", n)
			}

			// 3 tees at 29.00, Ohio tax 5.00: 92.00 (see TestOrderManagement).
			id := placeOrder(t, s, tee, 3, payments.CardSuccess)
			evs := eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.OrdersCreate, events.OrdersPaid}) {
				t.Fatalf("events of a paid order: %v", topics(evs))
			}
			p := evs[0].payload
			if p["id"] != id || p["financialStatus"] != "PAID" || fmt.Sprint(p["totalPrice"]) != "map[amount:92.00 currencyCode:USD]" ||
				fmt.Sprint(p["totalTax"]) != "map[amount:5.00 currencyCode:USD]" || at(p, "lineItems.0.quantity") != 3.0 ||
				fmt.Sprint(at(p, "lineItems.0.originalUnitPrice")) != "map[amount:29.00 currencyCode:USD]" || str(p, "lineItems.0.variantId") != tee {
				t.Errorf("orders/create payload: %v", p)
			}
			line := str(p, "lineItems.0.id")

			fulfil := `mutation($in: FulfillmentInput!) { fulfillmentCreate(fulfillment: $in) { fulfillment { id } userErrors { field message code } } }`
			d := s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id, "lineItems": []any{map[string]any{"id": line, "quantity": 4}}}})
			if userErrorCode(d, "fulfillmentCreate") != "EXCEEDS_FULFILLABLE_QUANTITY" {
				t.Errorf("fulfilling 4 of 3: %v", d)
			}
			d = s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id, "lineItems": []any{map[string]any{"id": line, "quantity": 1}},
				"trackingInfo": map[string]any{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}}})
			noUserErrors(t, d, "fulfillmentCreate")
			fulfillment := str(d, "fulfillmentCreate.fulfillment.id")
			if evs := eventsOf(t, s, fulfillment); !slices.Equal(topics(evs), []string{events.FulfillmentsCreate}) ||
				evs[0].payload["orderId"] != id || str(evs[0].payload, "trackingInfo.number") != "1Z999" ||
				fmt.Sprint(evs[0].payload["fulfillmentLineItems"]) != fmt.Sprintf("[map[lineItemId:%s quantity:1]]", line) {
				t.Errorf("fulfillments/create: %v %v", topics(evs), evs)
			}
			tracking := `mutation($id: ID!, $t: FulfillmentTrackingInput!) { fulfillmentTrackingInfoUpdate(fulfillmentId: $id, trackingInfoInput: $t) {
				fulfillment { trackingInfo { number url } } userErrors { field message code } } }`
			d = s.data(t, owner, tracking, map[string]any{"id": fulfillment, "t": map[string]any{"company": "UPS", "number": "1Z1000", "url": "https://ups.example/1Z1000"}})
			noUserErrors(t, d, "fulfillmentTrackingInfoUpdate")
			if str(d, "fulfillmentTrackingInfoUpdate.fulfillment.trackingInfo.0.number") != "1Z1000" {
				t.Errorf("fulfillmentTrackingInfoUpdate: %v", d)
			}
			if d := s.data(t, owner, tracking, map[string]any{"id": fulfillment, "t": map[string]any{"url": "ftp://ups.example/x"}}); userErrorCode(d, "fulfillmentTrackingInfoUpdate") != "INVALID" {
				t.Errorf("an ftp tracking URL: %v", d)
			}
			if d := s.data(t, owner, tracking, map[string]any{"id": "gid://emporium/Fulfillment/999999", "t": map[string]any{"number": "X"}}); userErrorCode(d, "fulfillmentTrackingInfoUpdate") != "NOT_FOUND" {
				t.Errorf("a missing fulfillment: %v", d)
			}
			if evs := eventsOf(t, s, fulfillment); !slices.Equal(topics(evs), []string{events.FulfillmentsCreate, events.FulfillmentsUpdate}) ||
				str(evs[1].payload, "trackingInfo.number") != "1Z1000" || evs[1].payload["orderId"] != id {
				t.Errorf("fulfillments/update: %v %v", topics(evs), evs)
			}
			noUserErrors(t, s.data(t, owner, fulfil, map[string]any{"in": map[string]any{"orderId": id}}), "fulfillmentCreate")

			refund := `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { id } userErrors { field message code } } }`
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "amount": "500.00"}})
			if userErrorCode(d, "refundCreate") != "EXCEEDS_REFUNDABLE" {
				t.Errorf("refunding more than was paid: %v", d)
			}
			d = s.data(t, owner, refund, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
				map[string]any{"lineItemId": line, "quantity": 1}}}})
			noUserErrors(t, d, "refundCreate")
			refundID := str(d, "refundCreate.refund.id")
			if evs := eventsOf(t, s, refundID); !slices.Equal(topics(evs), []string{events.RefundsCreate}) ||
				fmt.Sprint(evs[0].payload["totalRefunded"]) != "map[amount:30.66 currencyCode:USD]" {
				t.Errorf("refunds/create: %v %v", topics(evs), evs)
			}
			note := `mutation($in: OrderInput!) { orderUpdate(input: $in) { order { id } userErrors { field message code } } }`
			noUserErrors(t, s.data(t, owner, note, map[string]any{"in": map[string]any{"id": id, "note": "Gift wrap"}}), "orderUpdate")
			if d := s.data(t, owner, note, map[string]any{"in": map[string]any{"id": id, "note": strings.Repeat("x", 5001)}}); at(d, "orderUpdate.userErrors.0") == nil {
				t.Errorf("a note too long was accepted: %v", d)
			}
			// Each staff change is announced by its own topic where it has one, then orders/updated.
			evs = eventsOf(t, s, id)
			// fulfil 1, tracking update, fulfil the rest, refund, note.
			want := []string{events.OrdersCreate, events.OrdersPaid, events.OrdersPartiallyFulfilled, events.OrdersUpdated, events.OrdersUpdated,
				events.OrdersFulfilled, events.OrdersUpdated, events.OrdersUpdated, events.OrdersUpdated}
			if !slices.Equal(topics(evs), want) {
				t.Fatalf("events of the order: %v, want %v", topics(evs), want)
			}
			if p := evs[5].payload; p["fulfillmentStatus"] != "FULFILLED" {
				t.Errorf("orders/fulfilled payload: %v", p)
			}
			if p := evs[3].payload; p["fulfillmentStatus"] != "PARTIALLY_FULFILLED" {
				t.Errorf("orders/updated after the first fulfillment: %v", p)
			}
			if p := evs[7].payload; p["financialStatus"] != "PARTIALLY_REFUNDED" {
				t.Errorf("orders/updated after the refund: %v", p)
			}
			if p := evs[8].payload; p["note"] != "Gift wrap" {
				t.Errorf("orders/updated after the note: %v", p)
			}

			// A cancelled order with its refund.
			other := placeOrder(t, s, tee, 1, payments.CardSuccess)
			d = s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message code } } }`,
				map[string]any{"id": other})
			noUserErrors(t, d, "orderCancel")
			evs = eventsOf(t, s, other)
			if !slices.Equal(topics(evs), []string{events.OrdersCreate, events.OrdersPaid, events.OrdersCancelled, events.OrdersUpdated}) ||
				evs[2].payload["cancelReason"] != "CUSTOMER" || evs[2].payload["financialStatus"] != "REFUNDED" {
				t.Errorf("events of a cancelled order: %v %v", topics(evs), evs[len(evs)-1].payload)
			}
			d = s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message code } } }`,
				map[string]any{"id": other})
			if userErrorCode(d, "orderCancel") != "ORDER_CANCELLED" || len(eventsOf(t, s, other)) != 4 {
				t.Errorf("cancelling twice: %v, %d events", d, len(eventsOf(t, s, other)))
			}
		})

		t.Run("3-D Secure", func(t *testing.T) {
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			// latestPending is the newest order waiting on the buyer, with its payment's reference.
			latestPending := func() (string, string) {
				o, err := s.svc.DB.Client.Order.Query().Where(entorder.FinancialStatusEQ(entorder.FinancialStatusPENDING), entorder.CancelledAtIsNil()).
					Order(ent.Desc(entorder.FieldID)).First(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return o.GlobalID(), o.PaymentReference
			}
			report := func(ref string) string {
				res, err := http.Post(s.http.URL+"/payments/test-gateway/webhook", "application/json", strings.NewReader(`{"reference": "`+ref+`"}`))
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				var body map[string]string
				_ = json.NewDecoder(res.Body).Decode(&body)
				return body["status"]
			}

			// Waiting on the buyer, the order is announced; paid once the gateway reports the capture.
			placeOrder(t, s, tee, 1, payments.CardRequiresAction)
			id, ref := latestPending()
			if evs := eventsOf(t, s, id); !slices.Equal(topics(evs), []string{events.OrdersCreate}) || evs[0].payload["financialStatus"] != "PENDING" {
				t.Fatalf("events of an order waiting on 3-D Secure: %v", evs)
			}
			if status := report(ref); status != "CAPTURED" {
				t.Fatalf("the gateway's report: %s", status)
			}
			if evs := eventsOf(t, s, id); !slices.Equal(topics(evs), []string{events.OrdersCreate, events.OrdersPaid, events.OrdersUpdated}) {
				t.Errorf("events after the capture: %v", topics(evs))
			}

			// Refused after it was announced, the voided order is announced cancelled.
			placeOrder(t, s, tee, 1, payments.CardActionThenDecline)
			id, ref = latestPending()
			if status := report(ref); status != "DECLINED" {
				t.Fatalf("the gateway's report: %s", status)
			}
			evs := eventsOf(t, s, id)
			if !slices.Equal(topics(evs), []string{events.OrdersCreate, events.OrdersCancelled, events.OrdersUpdated}) ||
				evs[1].payload["financialStatus"] != "VOIDED" || evs[1].payload["cancelReason"] != "DECLINED" {
				t.Errorf("events of a declined 3-D Secure order: %v %v", topics(evs), evs[len(evs)-1].payload)
			}
		})

		t.Run("worked", func(t *testing.T) {
			// The relay, which runs only in a process working jobs, hands events on: none is processed yet.
			all := eventsOf(t, s)
			for _, e := range all {
				if e.processed {
					t.Errorf("an event processed before the jobs started: %+v", e)
				}
			}
			if err := s.svc.StartJobs(context.Background()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				left := 0
				for _, e := range eventsOf(t, s) {
					if !e.processed {
						left++
					}
				}
				if left == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d events still unprocessed", left, len(all))
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	})
}

// probeArgs are the arguments of a job that only tells the test it ran.
type probeArgs struct {
	N int `json:"n"`
}

func (probeArgs) Kind() string { return "test_probe" }

type probeWorker struct {
	jobs.WorkerDefaults[probeArgs]
	worked chan int
}

func (w *probeWorker) Work(_ context.Context, j *jobs.Job[probeArgs]) error {
	w.worked <- j.Args.N
	return nil
}

// TestOutboxRollsBackWithItsChange records an event and inserts a job in transactions that roll back,
// and in one that commits: only the committed ones exist, and only the committed job is ever worked.
func TestOutboxRollsBackWithItsChange(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		ctx := context.Background()
		probe := &probeWorker{worked: make(chan int, 10)}
		if err := jobs.Register(s.svc.Jobs, jobs.Worker[probeArgs](probe)); err != nil {
			t.Fatal(err)
		}
		refused := errors.New("refused")
		err := database.WithTx(ctx, s.svc.DB.Client, func(tx *ent.Tx) error {
			if err := s.svc.Events.Record(ctx, tx, events.OrdersCreate, "Order", 424242, map[string]any{"id": "gid://emporium/Order/424242"}); err != nil {
				return err
			}
			if err := s.svc.Jobs.InsertTx(ctx, tx, probeArgs{N: 1}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance}); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("the transaction: %v", err)
		}
		if evs := eventsOf(t, s); len(evs) != 0 || jobsOfKind(t, s, "event") != 0 || jobsOfKind(t, s, "test_probe") != 0 {
			t.Fatalf("a rolled-back transaction left %d events, %d event jobs, %d probe jobs", len(evs), jobsOfKind(t, s, "event"), jobsOfKind(t, s, "test_probe"))
		}
		err = database.WithTx(ctx, s.svc.DB.Client, func(tx *ent.Tx) error {
			return s.svc.Jobs.InsertTx(ctx, tx, probeArgs{N: 2}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-probe.worked:
			if n != 2 {
				t.Fatalf("worked job %d, want 2", n)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the committed job was not worked")
		}
		// Several polls later, still nothing else.
		select {
		case n := <-probe.worked:
			t.Errorf("job %d worked after its transaction rolled back", n)
		case <-time.After(time.Second):
		}
	})
}
