package integration

import (
	"strings"
	"testing"
	"time"
)

// Carts read the shop, discounts and their variants' prices, visibility and stock through memos that
// last while nothing is written (catalog.Memoize). These tests change each behind a warm memo and check
// that the next cart request sees the change.

const memoCart = `query($id: ID!) { cart(id: $id) { cost { subtotalAmount { amount } } lines(first: 5) { nodes { quantity
	merchandise { ... on ProductVariant { price { amount } quantityAvailable product { title } } } } } } }`

const memoAdd = `mutation($id: ID!, $v: ID!, $q: Int!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: $q}]) {
	cart { cost { subtotalAmount { amount } } } userErrors { field message code } } }`

func TestCartReadsFollowWrites(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		const sku = "EMP-TEE-ORG-M-NVY"
		variant := variantIDs(t, s, "organic-cotton-tee")[sku]
		productID := str(s.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil), "productByHandle.id")
		created := s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { id } } }`,
			map[string]any{"v": variant})
		cartID := str(created, "cartCreate.cart.id")
		s.data(t, nil, memoCart, map[string]any{"id": cartID}) // warm

		t.Run("a price change", func(t *testing.T) {
			noUserErrors(t, s.data(t, owner, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "31.00"}]) { userErrors { message } } }`,
				map[string]any{"p": productID, "v": variant}), "productVariantsBulkUpdate")
			d := s.data(t, nil, memoCart, map[string]any{"id": cartID})
			if got := str(d, "cart.cost.subtotalAmount.amount"); got != "31.00" {
				t.Errorf("cart subtotal after the price change: %s, want 31.00", got)
			}
			d = s.data(t, nil, memoAdd, map[string]any{"id": cartID, "v": variant, "q": 1})
			if got := str(d, "cartLinesAdd.cart.cost.subtotalAmount.amount"); got != "62.00" {
				t.Errorf("subtotal after adding one more: %s, want 62.00 (%v)", got, d)
			}
		})

		t.Run("stock counted down", func(t *testing.T) {
			locs := at(s.data(t, owner, `{ locations(first: 10) { nodes { id } } }`, nil), "locations.nodes").([]any)
			for i, l := range locs {
				q := 0
				if i == 0 {
					q = 3
				}
				noUserErrors(t, s.data(t, owner, `mutation($v: ID!, $l: ID!, $q: Int!) { inventorySetQuantities(input: {reason: "count",
					quantities: [{inventoryItemId: $v, locationId: $l, quantity: $q}]}) { userErrors { message } } }`,
					map[string]any{"v": variant, "l": str(l, "id"), "q": q}), "inventorySetQuantities")
			}
			if got := at(s.data(t, nil, memoCart, map[string]any{"id": cartID}), "cart.lines.nodes.0.merchandise.quantityAvailable"); got != 3.0 {
				t.Errorf("quantityAvailable after the count: %v, want 3", got)
			}
			d := s.data(t, nil, memoAdd, map[string]any{"id": cartID, "v": variant, "q": 2}) // 2 in the cart + 2 > 3
			if msg := str(d, "cartLinesAdd.userErrors.0.message"); !strings.Contains(msg, "Only 3") {
				t.Errorf("adding beyond the counted stock: %v, want a userError naming 3 in stock", d)
			}
		})

		t.Run("a product unpublished", func(t *testing.T) {
			noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { productUpdate(product: {id: $id, status: DRAFT}) { userErrors { message } } }`,
				map[string]any{"id": productID}), "productUpdate")
			d := s.data(t, nil, memoAdd, map[string]any{"id": cartID, "v": variant, "q": 1})
			if code := str(d, "cartLinesAdd.userErrors.0.code"); code != "INVALID_MERCHANDISE_LINE" {
				t.Errorf("adding a draft product's variant: %v, want INVALID_MERCHANDISE_LINE", d)
			}
		})
	})
}

// TestCartReadsFollowWritesAcrossReplicas changes a price on one replica while another holds it in its
// memo: PostgreSQL's NOTIFY must reach the second before long.
func TestCartReadsFollowWritesAcrossReplicas(t *testing.T) {
	a, b := startTwoReplicas(t)
	variant := variantIDs(t, a, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
	cartID := str(a.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 2}]}) { cart { id } } }`,
		map[string]any{"v": variant}), "cartCreate.cart.id")
	a.data(t, nil, memoCart, map[string]any{"id": cartID})
	a.data(t, nil, memoCart, map[string]any{"id": cartID})
	owner := bearer(staffLogin(t, b, ownerEmail, ownerPassword))
	productID := str(b.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil), "productByHandle.id")
	noUserErrors(t, b.data(t, owner, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "40.00"}]) { userErrors { message } } }`,
		map[string]any{"p": productID, "v": variant}), "productVariantsBulkUpdate")
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := str(a.data(t, nil, memoCart, map[string]any{"id": cartID}), "cart.cost.subtotalAmount.amount")
		if got == "80.00" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica A prices the cart at %s five seconds after replica B's price change, want 80.00", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
