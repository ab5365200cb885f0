package integration

import (
	"testing"
)

// TestCollectionOrderFollowsProductChanges renames a product and changes a price, then reads the
// collection sorted by title and by price: on PostgreSQL those orders read copies of the products' keys
// kept on each membership, which must follow the product.
func TestCollectionOrderFollowsProductChanges(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		const page = `query($k: ProductCollectionSortKeys!) { collection(handle: "all") { products(first: 3, sortKey: $k) { nodes { handle } } } }`
		first := func(key string) string {
			t.Helper()
			return str(s.data(t, nil, page, map[string]any{"k": key}), "collection.products.nodes.0.handle")
		}
		const handle = "waxed-canvas-backpack"
		if first("TITLE") == handle || first("PRICE") == handle {
			t.Fatalf("%s already leads the collection", handle)
		}
		d := s.data(t, owner, `{ productByHandle(handle: "waxed-canvas-backpack") { id variants(first: 10) { nodes { id } } } }`, nil)
		productID := str(d, "productByHandle.id")

		noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { productUpdate(product: {id: $id, title: "Aardvark Backpack"}) { userErrors { message } } }`,
			map[string]any{"id": productID}), "productUpdate")
		if got := first("TITLE"); got != handle {
			t.Errorf("after renaming it Aardvark Backpack, the collection by title starts with %s", got)
		}

		var variants []any
		for _, v := range at(d, "productByHandle.variants.nodes").([]any) {
			variants = append(variants, map[string]any{"id": str(v, "id"), "price": "0.50"})
		}
		noUserErrors(t, s.data(t, owner, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) { userErrors { message } } }`,
			map[string]any{"p": productID, "v": variants}), "productVariantsBulkUpdate")
		if got := first("PRICE"); got != handle {
			t.Errorf("after pricing it at 0.50, the collection by price starts with %s", got)
		}

		// Every membership carries its product's current keys, the seeded ones and those changed above.
		if s.name == "postgres" {
			var stale int
			if err := s.svc.DB.SQL.QueryRow(`SELECT COUNT(*) FROM collection_products cp JOIN products p ON p.id = cp.product_id
				WHERE cp.product_title IS DISTINCT FROM p.title OR cp.product_min_price IS DISTINCT FROM p.min_price
				OR cp.product_sales_count IS DISTINCT FROM p.sales_count OR cp.product_created_at IS DISTINCT FROM p.created_at`).Scan(&stale); err != nil || stale != 0 {
				t.Errorf("%d memberships whose sort keys differ from their product's (%v)", stale, err)
			}
		}
	})
}
