package integration

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestNodeAndNodes(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var ids struct {
			Product struct {
				ID       string
				Variants struct{ Nodes []struct{ ID string } }
				Options  []struct{ ID string }
			}
			Collection struct{ ID string }
			Page       struct{ ID string }
		}
		s.query(t, `{
			product(handle: "organic-cotton-tee") { id variants(first: 2) { nodes { id } } options { id } }
			collection(handle: "apparel") { id }
			page(handle: "about") { id }
		}`, nil, &ids)

		var one struct {
			Node *struct {
				Typename string `json:"__typename"`
				Handle   string
			}
		}
		s.query(t, `query($id: ID!) { node(id: $id) { __typename ... on Product { handle } } }`, map[string]any{"id": ids.Product.ID}, &one)
		if one.Node == nil || one.Node.Typename != "Product" || one.Node.Handle != "organic-cotton-tee" {
			t.Errorf("node(product) = %+v", one.Node)
		}

		want := []string{ids.Product.ID, ids.Product.Variants.Nodes[0].ID, ids.Product.Options[0].ID, ids.Collection.ID, ids.Page.ID,
			"gid://emporium/Product/999999"}
		var many struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		s.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": want}, &many)
		var got []string
		for _, n := range many.Nodes {
			if n == nil {
				got = append(got, "null")
				continue
			}
			got = append(got, n.ID)
		}
		wantGot := append(slices.Clone(want[:5]), "null")
		if !slices.Equal(got, wantGot) {
			t.Errorf("nodes = %v, want %v", got, wantGot)
		}
		types := []string{}
		for _, n := range many.Nodes[:5] {
			types = append(types, n.Typename)
		}
		if !slices.Equal(types, []string{"Product", "ProductVariant", "ProductOption", "Collection", "Page"}) {
			t.Errorf("node types = %v", types)
		}
	})
}

func TestHiddenAndUnknownAreNull(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, q := range []string{
			`{ product(handle: "no-such-product") { id } }`,
			`{ product(handle: "prototype-rain-jacket") { id } }`,     // a draft
			`{ product(handle: "holiday-knit-sweater-2024") { id } }`, // archived
			`{ product(id: "gid://emporium/Product/987654") { id } }`,
			`{ collection(handle: "nope") { id } }`,
			`{ menu(handle: "nope") { id } }`,
			`{ page(handle: "nope") { id } }`,
			`{ pageByHandle(handle: "nope") { id } }`,
			`{ node(id: "gid://emporium/Page/987654") { id } }`,
		} {
			r := s.post(t, q, nil)
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "null") || strings.Contains(string(r.Data), "gid:") {
				t.Errorf("%s: got %s %+v, want null", q, r.Data, r.Errors)
			}
		}
		// A draft's ID must not leak through node() either.
		var all struct {
			Products struct{ Nodes []struct{ Handle string } }
		}
		s.query(t, `{ products(first: 250) { nodes { handle } } }`, nil, &all)
		for _, p := range all.Products.Nodes {
			if p.Handle == "prototype-rain-jacket" || p.Handle == "glass-water-bottle" {
				t.Errorf("hidden product %s is listed", p.Handle)
			}
		}
	})
}

func TestBadInputErrors(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		tests := []struct {
			name, query string
			code        string
		}{
			{"first over 250", `{ products(first: 251) { nodes { id } } }`, "BAD_USER_INPUT"},
			{"last over 250", `{ collections(last: 300) { nodes { id } } }`, "BAD_USER_INPUT"},
			{"nested first over 250", `{ product(handle: "organic-cotton-tee") { variants(first: 1000) { nodes { id } } } }`, "BAD_USER_INPUT"},
			{"no first or last", `{ products { nodes { id } } }`, "BAD_USER_INPUT"},
			{"garbage cursor", `{ products(first: 2, after: "not-a-cursor") { nodes { id } } }`, "BAD_USER_INPUT"},
			{"cursor of another sort", fmt.Sprintf(`{ products(first: 2, after: %q, sortKey: PRICE) { nodes { id } } }`, cursorOf(t, s, "TITLE")), "BAD_USER_INPUT"},
			{"malformed ID", `{ product(id: "42") { id } }`, "BAD_USER_INPUT"},
			{"ID of another type", `{ product(id: "gid://emporium/Collection/1") { id } }`, "BAD_USER_INPUT"},
			{"malformed node ID", `{ node(id: "gid://emporium/Product/abc") { id } }`, "BAD_USER_INPUT"},
			{"both id and handle", `{ product(id: "gid://emporium/Product/1", handle: "x") { id } }`, "BAD_USER_INPUT"},
			{"unknown field", `{ products(first: 1) { nodes { price } } }`, "GRAPHQL_VALIDATION_FAILED"},
			{"syntax error", `{ products(first: 1) { nodes { id }`, "GRAPHQL_PARSE_FAILED"},
			{"bad enum", `{ products(first: 1, sortKey: CHEAPEST) { nodes { id } } }`, "GRAPHQL_VALIDATION_FAILED"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := s.queryError(t, tt.query, nil)
				if e.code() != tt.code {
					t.Errorf("error %+v, want code %s", e, tt.code)
				}
				if strings.Contains(e.Message, "ent:") || strings.Contains(e.Message, "sql") {
					t.Errorf("message leaks internals: %q", e.Message)
				}
			})
		}
		t.Run("malformed JSON is 400", func(t *testing.T) {
			res, err := http.Post(s.http.URL+"/graphql", "application/json", strings.NewReader(`{"query": "{ shop { name } }"`))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.StatusCode)
			}
		})
		t.Run("too deep", func(t *testing.T) {
			q := "{ products(first: 1) { nodes { " + strings.Repeat("variants(first: 1) { nodes { product { ", 8) + "id" +
				strings.Repeat(" } } }", 8) + " } } }"
			if e := s.queryError(t, q, nil); e.code() != "MAX_DEPTH_EXCEEDED" {
				t.Errorf("error %+v, want MAX_DEPTH_EXCEEDED", e)
			}
		})
		t.Run("too complex", func(t *testing.T) {
			q := `{ products(first: 250) { nodes { variants(first: 250) { nodes { product { variants(first: 250) { nodes { id } } } } } } } }`
			if e := s.queryError(t, q, nil); e.code() != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("error %+v, want COMPLEXITY_LIMIT_EXCEEDED", e)
			}
		})
	})
}

// cursorOf returns a cursor of the first product in the given sort.
func cursorOf(t *testing.T, s *server, sortKey string) string {
	var p productPage
	s.query(t, productPageQuery, map[string]any{"first": 1, "sortKey": sortKey}, &p)
	return p.Products.Edges[0].Cursor
}

func TestInContextCurrency(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		q := `query($country: CountryCode) @inContext(country: $country) {
			product(handle: "organic-cotton-tee") {
				priceRange { minVariantPrice { amount currencyCode } }
				variants(first: 1) { nodes { price { amount currencyCode } } }
			}
			products(first: 1, query: "variants.price:>=27") { nodes { handle } }
		}`
		for _, tt := range []struct{ country, currency string }{{"DE", "EUR"}, {"FR", "EUR"}, {"US", "USD"}, {"JP", "USD"}} {
			var out struct {
				Product struct {
					PriceRange struct{ MinVariantPrice moneyV2 }
					Variants   struct{ Nodes []struct{ Price moneyV2 } }
				}
			}
			s.query(t, q, map[string]any{"country": tt.country}, &out)
			if got := out.Product.PriceRange.MinVariantPrice.CurrencyCode; got != tt.currency {
				t.Errorf("country %s: priceRange in %s, want %s", tt.country, got, tt.currency)
			}
			if got := out.Product.Variants.Nodes[0].Price.CurrencyCode; got != tt.currency {
				t.Errorf("country %s: variant price in %s, want %s", tt.country, got, tt.currency)
			}
		}
		var out struct {
			Product struct {
				Variants struct{ Nodes []struct{ Price moneyV2 } }
			}
		}
		s.query(t, `query @inContext(country: DE) { product(handle: "organic-cotton-tee") { variants(first: 1) { nodes { price { amount currencyCode } } } } }`, nil, &out)
		if p := out.Product.Variants.Nodes[0].Price; p.Amount != "26.50" {
			t.Errorf("EUR price = %+v, want the demo file's 26.50", p)
		}
	})
}

func TestCollectionProducts(t *testing.T) {
	demo := demoProducts(t)
	byHandle := map[string]demoProduct{}
	for _, p := range demo {
		byHandle[p.Handle] = p
	}
	eachDB(t, func(t *testing.T, s *server) {
		q := `query($handle: String!, $first: Int, $after: String, $last: Int, $before: String, $sortKey: ProductCollectionSortKeys, $reverse: Boolean) {
			collection(handle: $handle) { products(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey, reverse: $reverse) {
				edges { cursor node { handle } } nodes { handle } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }
		}`
		var full struct {
			Collection struct{ Products productEdges }
		}
		s.query(t, q, map[string]any{"handle": "all", "first": 250, "sortKey": "MANUAL"}, &full)
		manual := full.Collection.Products.handles()
		if len(manual) != 44 {
			t.Fatalf("collection all has %d products, want 44", len(manual))
		}
		for _, tt := range []struct {
			sortKey string
			sorted  func(a, b demoProduct) bool
		}{
			{"TITLE", func(a, b demoProduct) bool { return a.Title <= b.Title }},
			{"PRICE", func(a, b demoProduct) bool { return a.minUSD <= b.minUSD }},
			{"BEST_SELLING", func(a, b demoProduct) bool { return a.SalesCount >= b.SalesCount }},
			{"CREATED", func(a, b demoProduct) bool { return a.index <= b.index }},
			{"ID", func(a, b demoProduct) bool { return a.index <= b.index }},
		} {
			t.Run(tt.sortKey, func(t *testing.T) {
				fwd, back := walkCollection(t, s, q, map[string]any{"handle": "all", "sortKey": tt.sortKey}, 9)
				if len(fwd) != 44 || !slices.Equal(fwd, back) {
					t.Fatalf("forward %v\nbackward %v", fwd, back)
				}
				for i := 1; i < len(fwd); i++ {
					if !tt.sorted(byHandle[fwd[i-1]], byHandle[fwd[i]]) {
						t.Errorf("%s before %s breaks the %s order", fwd[i-1], fwd[i], tt.sortKey)
					}
				}
			})
		}
		t.Run("MANUAL both ways", func(t *testing.T) {
			fwd, back := walkCollection(t, s, q, map[string]any{"handle": "all", "sortKey": "MANUAL"}, 5)
			if !slices.Equal(fwd, manual) || !slices.Equal(back, manual) {
				t.Errorf("forward %v\nbackward %v\nwant %v", fwd, back, manual)
			}
			rev, _ := walkCollection(t, s, q, map[string]any{"handle": "all", "sortKey": "MANUAL", "reverse": true}, 5)
			slices.Reverse(rev)
			if !slices.Equal(rev, manual) {
				t.Errorf("reversed %v", rev)
			}
		})
		t.Run("COLLECTION_DEFAULT follows the collection's sort order", func(t *testing.T) {
			var c struct {
				Collection struct{ Products productEdges }
			}
			s.query(t, q, map[string]any{"handle": "accessories", "first": 250}, &c) // PRICE_ASC in the demo file
			h := c.Collection.Products.handles()
			if len(h) < 4 {
				t.Fatalf("accessories: %v", h)
			}
			for i := 1; i < len(h); i++ {
				if byHandle[h[i-1]].minUSD > byHandle[h[i]].minUSD {
					t.Errorf("accessories not by price: %s before %s", h[i-1], h[i])
				}
			}
		})
	})
}

func walkCollection(t *testing.T, s *server, q string, vars map[string]any, n int) (fwd, back []string) {
	t.Helper()
	type page struct {
		Collection struct {
			Products struct {
				productEdges
				PageInfo struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       *string
				}
			}
		}
	}
	v := func(extra map[string]any) map[string]any {
		out := map[string]any{}
		for k, x := range vars {
			out[k] = x
		}
		for k, x := range extra {
			out[k] = x
		}
		return out
	}
	var after any
	for i := 0; i < 100; i++ {
		var p page
		s.query(t, q, v(map[string]any{"first": n, "after": after}), &p)
		fwd = append(fwd, p.Collection.Products.handles()...)
		if !p.Collection.Products.PageInfo.HasNextPage {
			break
		}
		after = *p.Collection.Products.PageInfo.EndCursor
	}
	var before any
	for i := 0; i < 100; i++ {
		var p page
		s.query(t, q, v(map[string]any{"last": n, "before": before}), &p)
		back = append(p.Collection.Products.handles(), back...)
		if !p.Collection.Products.PageInfo.HasPreviousPage {
			break
		}
		before = *p.Collection.Products.PageInfo.StartCursor
	}
	return fwd, back
}
