package integration

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

const productCreateMutation = `mutation($p: ProductCreateInput!, $m: [CreateMediaInput!]) { productCreate(product: $p, media: $m) {
	product { id handle status variants(first: 10) { nodes { id sku } } } userErrors { field message } } }`

type productCreateResult struct {
	ProductCreate struct {
		Product *struct {
			ID, Handle, Status string
			Variants           struct{ Nodes []struct{ ID, SKU string } }
		}
		UserErrors []userError
	}
}

func TestAdminCatalogRoundTrip(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := staffLogin(t, s, ownerEmail, ownerPassword)
		as := bearer(owner)
		var locs struct {
			Locations struct{ Nodes []struct{ ID, Name string } }
		}
		s.queryAs(t, as, `{ locations(first: 10) { nodes { id name } } }`, nil, &locs)
		if len(locs.Locations.Nodes) == 0 {
			t.Fatal("no locations")
		}
		loc := locs.Locations.Nodes[0].ID

		input := map[string]any{
			"title": "Trail Runner Jacket", "descriptionHtml": "<p>Light and <strong>waterproof</strong>.</p>",
			"vendor": "Trailmark Goods", "productType": "Jackets", "tags": []string{"Outdoor", "rain-ready"}, "status": "ACTIVE",
			"seo":            map[string]any{"title": "Trail Runner", "description": "A jacket for wet runs"},
			"productOptions": []any{map[string]any{"name": "Size", "values": []any{map[string]any{"name": "S"}, map[string]any{"name": "M"}}}},
			"variants": []any{
				map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}}, "price": "120.00", "compareAtPrice": "150.00",
					"prices": []any{map[string]any{"currencyCode": "EUR", "amount": "110.50"}}, "sku": "TRJ-S",
					"inventoryQuantities": []any{map[string]any{"locationId": loc, "availableQuantity": 4}}},
				map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "M"}}, "price": "125.00", "sku": "TRJ-M",
					"inventoryQuantities": []any{map[string]any{"locationId": loc, "availableQuantity": 0}}},
			},
		}
		media := []any{map[string]any{"originalSource": s.http.URL + "/media/demo/organic-cotton-tee-1.png", "alt": "The jacket"}}

		t.Run("invalid input writes nothing", func(t *testing.T) {
			bad := []func(map[string]any){
				func(p map[string]any) { p["handle"] = "organic-cotton-tee" }, // taken by the demo shop
				func(p map[string]any) { p["title"] = "" },
				func(p map[string]any) { p["handle"] = "Not A Handle" },
				func(p map[string]any) {
					p["variants"] = []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}}, "price": "-1.00"}}
				},
				func(p map[string]any) {
					p["variants"] = []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}}, "price": "1.00", "sku": "EMP-TEE-ORG-S-BLK"}}
				},
				func(p map[string]any) {
					v := map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}}, "price": "1.00"}
					p["variants"] = []any{v, v}
				},
				func(p map[string]any) {
					p["variants"] = []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Colour", "name": "Red"}}, "price": "1.00"}}
				},
				func(p map[string]any) {
					p["variants"] = []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}}, "price": "1.00",
						"prices": []any{map[string]any{"currencyCode": "JPY", "amount": "100"}}}}
				},
			}
			for i, mutate := range bad {
				p := map[string]any{}
				for k, v := range input {
					p[k] = v
				}
				mutate(p)
				var out productCreateResult
				s.queryAs(t, as, productCreateMutation, map[string]any{"p": p}, &out)
				if out.ProductCreate.Product != nil || len(out.ProductCreate.UserErrors) == 0 {
					t.Errorf("case %d: %+v, want userErrors", i, out.ProductCreate)
				}
			}
			var all struct {
				Products struct{ Nodes []struct{ Handle string } }
			}
			s.query(t, `{ products(first: 250) { nodes { handle } } }`, nil, &all)
			if len(all.Products.Nodes) != 44 {
				t.Errorf("products after rejected creates: %d, want 44", len(all.Products.Nodes))
			}
		})

		var created productCreateResult
		s.queryAs(t, as, productCreateMutation, map[string]any{"p": input, "m": media}, &created)
		p := created.ProductCreate.Product
		if p == nil || p.Handle != "trail-runner-jacket" || p.Status != "ACTIVE" || len(p.Variants.Nodes) != 2 {
			t.Fatalf("productCreate: %+v", created.ProductCreate)
		}

		t.Run("the storefront sees it", func(t *testing.T) {
			var out struct {
				Product *struct {
					Title, Vendor, ProductType string
					Tags                       []string
					AvailableForSale           bool
					PriceRange                 struct{ MinVariantPrice, MaxVariantPrice moneyV2 }
					Options                    []struct {
						Name   string
						Values []string
					}
					FeaturedImage *struct{ URL string }
					Variants      struct {
						Nodes []struct {
							SKU               string
							QuantityAvailable *int
							AvailableForSale  bool
							CompareAtPrice    *moneyV2
						}
					}
				}
			}
			s.query(t, `{ product(handle: "trail-runner-jacket") { title vendor productType tags availableForSale
				priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
				options { name values } featuredImage { url }
				variants(first: 5) { nodes { sku quantityAvailable availableForSale compareAtPrice { amount } } } } }`, nil, &out)
			sp := out.Product
			if sp == nil || sp.PriceRange.MinVariantPrice.Amount != "120.00" || sp.PriceRange.MaxVariantPrice.Amount != "125.00" ||
				!sp.AvailableForSale || sp.FeaturedImage == nil || !slices.Equal(sp.Options[0].Values, []string{"S", "M"}) ||
				*sp.Variants.Nodes[0].QuantityAvailable != 4 || sp.Variants.Nodes[1].AvailableForSale ||
				sp.Variants.Nodes[0].CompareAtPrice == nil || sp.Variants.Nodes[0].CompareAtPrice.Amount != "150.00" {
				t.Fatalf("storefront product: %+v", sp)
			}
			var eur struct {
				Product struct {
					PriceRange struct{ MinVariantPrice moneyV2 }
				}
			}
			s.query(t, `query @inContext(country: DE) { product(handle: "trail-runner-jacket") { priceRange { minVariantPrice { amount currencyCode } } } }`, nil, &eur)
			if eur.Product.PriceRange.MinVariantPrice != (moneyV2{Amount: "110.50", CurrencyCode: "EUR"}) {
				t.Errorf("EUR price: %+v", eur.Product.PriceRange)
			}
			var search productPage
			s.query(t, productPageQuery, map[string]any{"first": 10, "query": "tag:rain-ready"}, &search)
			if !slices.Equal(search.handles(), []string{"trail-runner-jacket"}) {
				t.Errorf("search by the new tag: %v", search.handles())
			}
			s.query(t, productPageQuery, map[string]any{"first": 10, "query": "waterproof jacket"}, &search)
			if !slices.Contains(search.handles(), "trail-runner-jacket") {
				t.Errorf("full-text search misses the new product: %v", search.handles())
			}
		})

		t.Run("collections", func(t *testing.T) {
			var col struct {
				Collection struct{ ID string }
			}
			s.query(t, `{ collection(handle: "apparel") { id } }`, nil, &col)
			r := s.postAs(t, as, `mutation($c: ID!, $p: ID!) { collectionAddProducts(id: $c, productIds: [$p]) { collection { handle } userErrors { message } } }`,
				map[string]any{"c": col.Collection.ID, "p": p.ID})
			if len(r.Errors) > 0 || strings.Contains(string(r.Data), "message") {
				t.Fatalf("collectionAddProducts: %s %+v", r.Data, r.Errors)
			}
			r = s.postAs(t, as, `mutation($c: ID!, $p: ID!) { collectionReorderProducts(id: $c, moves: [{id: $p, newPosition: 0}]) { collection { handle } userErrors { message } } }`,
				map[string]any{"c": col.Collection.ID, "p": p.ID})
			if len(r.Errors) > 0 || strings.Contains(string(r.Data), "message") {
				t.Fatalf("collectionReorderProducts: %s %+v", r.Data, r.Errors)
			}
			var out struct {
				Collection struct{ Products productEdges }
			}
			s.query(t, `{ collection(handle: "apparel") { products(first: 3, sortKey: MANUAL) { edges { node { handle } } } } }`, nil, &out)
			if h := out.Collection.Products.handles(); len(h) == 0 || h[0] != "trail-runner-jacket" {
				t.Errorf("apparel after the move: %v", h)
			}
			var made struct {
				CollectionCreate struct {
					Collection *struct{ Handle string }
					UserErrors []userError
				}
			}
			s.queryAs(t, as, `mutation($p: ID!) { collectionCreate(input: {title: "Rain Gear", products: [$p], sortOrder: ALPHA_ASC}) { collection { handle } userErrors { message } } }`,
				map[string]any{"p": p.ID}, &made)
			var rain struct {
				Collection struct{ Products productEdges }
			}
			s.query(t, `{ collection(handle: "rain-gear") { products(first: 5) { edges { node { handle } } } } }`, nil, &rain)
			if made.CollectionCreate.Collection == nil || !slices.Equal(rain.Collection.Products.handles(), []string{"trail-runner-jacket"}) {
				t.Errorf("collectionCreate: %+v, products %v", made, rain.Collection.Products.handles())
			}
		})

		t.Run("variants and inventory", func(t *testing.T) {
			v := p.Variants.Nodes[1].ID
			r := s.postAs(t, as, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "99.00"}]) {
				product { priceRange { minVariantPrice { amount } } } userErrors { message } } }`, map[string]any{"p": p.ID, "v": v})
			if !strings.Contains(string(r.Data), `"99.00"`) {
				t.Errorf("variant price update: %s %+v", r.Data, r.Errors)
			}
			set := `mutation($v: ID!, $l: ID!, $q: Int!) { inventorySetQuantities(input: {reason: "stock count", quantities: [{inventoryItemId: $v, locationId: $l, quantity: $q}]}) {
				adjustments { delta quantityAfter } userErrors { message } } }`
			adjust := `mutation($v: ID!, $l: ID!, $d: Int!) { inventoryAdjustQuantities(input: {reason: "damaged", changes: [{inventoryItemId: $v, locationId: $l, delta: $d}]}) {
				adjustments { delta quantityAfter } userErrors { message } } }`
			s.queryAs(t, as, set, map[string]any{"v": v, "l": loc, "q": 5}, nil)
			r = s.postAs(t, as, adjust, map[string]any{"v": v, "l": loc, "d": -7})
			if !strings.Contains(string(r.Data), "below zero") {
				t.Errorf("adjusting below zero: %s", r.Data)
			}
			r = s.postAs(t, as, adjust, map[string]any{"v": v, "l": loc, "d": -2})
			if !strings.Contains(string(r.Data), `"quantityAfter":3`) {
				t.Errorf("adjust: %s %+v", r.Data, r.Errors)
			}
			var hist struct {
				InventoryAdjustments struct {
					Nodes []struct {
						Delta, QuantityAfter int
						Reason, Actor        string
					}
				}
			}
			s.queryAs(t, as, `query($v: ID!) { inventoryAdjustments(variantId: $v, first: 10) { nodes { delta quantityAfter reason actor } } }`, map[string]any{"v": v}, &hist)
			n := hist.InventoryAdjustments.Nodes
			if len(n) != 2 || n[0].Delta != -2 || n[0].Reason != "damaged" || n[1].Delta != 5 || !strings.HasPrefix(n[0].Actor, "gid://emporium/StaffMember/") {
				t.Errorf("history: %+v", n)
			}
			var out struct {
				Product struct {
					Variants struct {
						Nodes []struct{ QuantityAvailable int }
					}
				}
			}
			s.query(t, `{ product(handle: "trail-runner-jacket") { variants(first: 5) { nodes { quantityAvailable } } } }`, nil, &out)
			if out.Product.Variants.Nodes[1].QuantityAvailable != 3 {
				t.Errorf("storefront quantity: %+v", out.Product.Variants)
			}
		})

		t.Run("content and settings", func(t *testing.T) {
			s.queryAs(t, as, `mutation { pageCreate(page: {title: "Care guide", body: "<p>Wash cold.</p>"}) { page { handle } userErrors { message } } }`, nil, nil)
			var page struct {
				Page *struct{ Title, BodySummary string }
			}
			s.query(t, `{ page(handle: "care-guide") { title bodySummary } }`, nil, &page)
			if page.Page == nil || page.Page.BodySummary != "Wash cold." {
				t.Errorf("page: %+v", page.Page)
			}
			s.queryAs(t, as, `mutation($p: ID!) { menuCreate(title: "Promo", handle: "promo", items: [{title: "Jacket", type: PRODUCT, url: "/products/trail-runner-jacket", resourceId: $p}]) {
				menu { handle } userErrors { message } } }`, map[string]any{"p": p.ID}, nil)
			var menu struct {
				Menu *struct {
					Items []struct {
						Resource *struct{ Handle string }
					}
				}
			}
			s.query(t, `{ menu(handle: "promo") { items { resource { ... on Product { handle } } } } }`, nil, &menu)
			if menu.Menu == nil || len(menu.Menu.Items) != 1 || menu.Menu.Items[0].Resource == nil || menu.Menu.Items[0].Resource.Handle != "trail-runner-jacket" {
				t.Errorf("menu: %+v", menu.Menu)
			}
			s.queryAs(t, as, `mutation { shopUpdate(input: {name: "Renamed Shop"}) { shop { name } userErrors { message } } }`, nil, nil)
			var shop struct{ Shop struct{ Name string } }
			s.query(t, `{ shop { name } }`, nil, &shop)
			if shop.Shop.Name != "Renamed Shop" {
				t.Errorf("shop name: %q", shop.Shop.Name)
			}
		})

		t.Run("an archived product disappears", func(t *testing.T) {
			r := s.postAs(t, as, `mutation($id: ID!) { productUpdate(product: {id: $id, status: ARCHIVED}) { product { status } userErrors { message } } }`, map[string]any{"id": p.ID})
			if !strings.Contains(string(r.Data), "ARCHIVED") {
				t.Fatalf("productUpdate: %s %+v", r.Data, r.Errors)
			}
			var one struct{ Product *struct{ ID string } }
			s.query(t, `{ product(handle: "trail-runner-jacket") { id } }`, nil, &one)
			var search productPage
			s.query(t, productPageQuery, map[string]any{"first": 10, "query": "tag:rain-ready"}, &search)
			var col struct {
				Collection struct{ Products productEdges }
			}
			s.query(t, `{ collection(handle: "apparel") { products(first: 250) { edges { node { handle } } } } }`, nil, &col)
			var node struct{ Node *struct{ ID string } }
			s.query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": p.ID}, &node)
			if one.Product != nil || len(search.handles()) != 0 || slices.Contains(col.Collection.Products.handles(), "trail-runner-jacket") || node.Node != nil {
				t.Errorf("archived product still shows: product %v search %v collection has it %v node %v",
					one.Product, search.handles(), slices.Contains(col.Collection.Products.handles(), "trail-runner-jacket"), node.Node)
			}
			var staffView struct{ Product *struct{ Status string } }
			s.queryAs(t, as, `{ product(handle: "trail-runner-jacket") { status } }`, nil, &staffView)
			if staffView.Product == nil || staffView.Product.Status != "ARCHIVED" {
				t.Errorf("staff cannot see the archived product: %+v", staffView.Product)
			}
		})

		t.Run("permissions", func(t *testing.T) {
			s.queryAs(t, as, `mutation($g: ID!) { staffMemberCreate(input: {email: "clerk@example.com", password: "clerk-password-1", groupIds: [$g]}) { staffMember { id } } }`,
				map[string]any{"g": mustGroup(t, s, owner, "Clerks", "READ_PRODUCTS")}, nil)
			clerk := staffLogin(t, s, "clerk@example.com", "clerk-password-1")
			var key struct {
				APIKeyCreate struct{ Secret *string } `json:"apiKeyCreate"`
			}
			s.queryAs(t, as, `mutation { apiKeyCreate(input: {name: "Feed", permissions: [READ_PRODUCTS]}) { secret } }`, nil, &key)
			for name, h := range map[string]http.Header{"staff without MANAGE_PRODUCTS": bearer(clerk), "read-only key": bearer(*key.APIKeyCreate.Secret)} {
				var status struct{ Product struct{ Status string } }
				s.queryAs(t, h, `{ product(handle: "organic-cotton-tee") { status } }`, nil, &status)
				if status.Product.Status != "ACTIVE" {
					t.Errorf("%s cannot read status: %+v", name, status)
				}
				r := s.postAs(t, h, productCreateMutation, map[string]any{"p": map[string]any{"title": "Sneaky"}})
				if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" || strings.Contains(string(r.Data), "sneaky") {
					t.Errorf("%s created a product: %s %+v", name, r.Data, r.Errors)
				}
			}
			if r := s.post(t, `{ product(handle: "organic-cotton-tee") { status } }`, nil); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("anonymous read of status: %s %+v", r.Data, r.Errors)
			}
			var search productPage
			s.query(t, productPageQuery, map[string]any{"first": 10, "query": "sneaky"}, &search)
			if len(search.handles()) != 0 {
				t.Errorf("a forbidden create wrote: %v", search.handles())
			}
		})

		t.Run("audit log", func(t *testing.T) {
			var audit struct {
				AuditLog struct {
					Nodes []struct{ Action, Resource, ActorType string }
				}
			}
			s.queryAs(t, as, `{ auditLog(first: 250) { nodes { action resource actorType } } }`, nil, &audit)
			seen := map[string]bool{}
			for _, e := range audit.AuditLog.Nodes {
				seen[e.Action] = true
			}
			for _, a := range []string{"productCreate", "productUpdate", "productVariantsBulkUpdate", "collectionAddProducts", "collectionReorderProducts",
				"collectionCreate", "inventorySetQuantities", "inventoryAdjustQuantities", "pageCreate", "menuCreate", "shopUpdate"} {
				if !seen[a] {
					t.Errorf("no audit entry for %s", a)
				}
			}
			// Rejected creates wrote nothing, so every product row productCreate touched is the created one.
			var products []string
			for _, e := range audit.AuditLog.Nodes {
				if e.Action == "productCreate" && strings.HasPrefix(e.Resource, "gid://emporium/Product/") && !slices.Contains(products, e.Resource) {
					products = append(products, e.Resource)
				}
			}
			if !slices.Equal(products, []string{p.ID}) {
				t.Errorf("productCreate audit entries name products %v, want only %s", products, p.ID)
			}
		})
	})
}
