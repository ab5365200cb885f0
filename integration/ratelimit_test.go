package integration

import (
	"encoding/json"
	"testing"

	"github.com/emporium/emporium/service"
)

// queryCost is a response's extensions.cost.
type queryCost struct {
	RequestedQueryCost int
	ActualQueryCost    *int
	ThrottleStatus     struct {
		MaximumAvailable   float64
		CurrentlyAvailable int
		RestoreRate        float64
	}
}

func costOf(t *testing.T, r response) queryCost {
	t.Helper()
	raw, _ := json.Marshal(r.Extensions["cost"])
	var c queryCost
	if err := json.Unmarshal(raw, &c); err != nil || c.RequestedQueryCost == 0 {
		t.Fatalf("extensions.cost = %s (%v), want a cost", raw, err)
	}
	return c
}

// TestActualQueryCost: a paged field is charged for the entries it returned, with the prices of the
// complexity limit: a full page costs what it requested, a short page less, an empty page one entry.
func TestActualQueryCost(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var tee struct {
			Product struct {
				Variants struct{ Nodes []struct{ ID string } }
			}
		}
		s.query(t, `{ product(handle: "organic-cotton-tee") { variants(first: 250) { nodes { id } } } }`, nil, &tee)
		variants := len(tee.Product.Variants.Nodes)
		if variants == 0 {
			t.Fatal("the demo tee has no variants")
		}
		for _, tc := range []struct {
			name, query       string
			requested, actual int
		}{
			// 44 active demo products: 1 + 44 entries of nodes (1) + id (1).
			{"short page", `{ products(first: 100) { nodes { id } } }`, 1 + 100*2, 1 + 44*2},
			// Every field of the connection is paid per entry, as in the requested cost.
			{"full page", `{ products(first: 2) { edges { cursor node { id } } pageInfo { hasNextPage } } }`, 1 + 2*6, 1 + 2*6},
			{"empty page", `{ products(first: 100, query: "title:no-such-product-anywhere") { nodes { id } pageInfo { hasNextPage } } }`, 1 + 100*4, 1 + 1 + 2},
			{"nested page", `{ product(handle: "organic-cotton-tee") { variants(first: 250) { nodes { id } } } }`, 1 + 1 + 250*2, 1 + 1 + variants*2},
			{"aliases and fragments", `{ a: products(first: 3) { ...ids } b: products(first: 50) { ...ids } } fragment ids on ProductConnection { nodes { id } }`,
				(1 + 3*2) + (1 + 50*2), (1 + 3*2) + (1 + 44*2)},
			{"no page", `{ shop { name } }`, 2, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.post(t, tc.query, nil)
				if len(r.Errors) > 0 {
					t.Fatalf("errors: %+v", r.Errors)
				}
				c := costOf(t, r)
				if c.RequestedQueryCost != tc.requested || c.ActualQueryCost == nil || *c.ActualQueryCost != tc.actual {
					t.Errorf("cost = requested %d, actual %v; want %d, %d", c.RequestedQueryCost, c.ActualQueryCost, tc.requested, tc.actual)
				}
			})
		}
	})
}

// TestRateLimitRefundsUnusedCost: the Next.js storefront's product listing asks for 100 products with
// 250 variants and 20 images each (about 290,000) but the demo shop has 44 products with a few variants:
// the bucket is charged the requested cost to admit it, then gets back all but the actual cost. With a
// bucket of 400,000 that barely refills, a second listing would be THROTTLED without the refund; with
// it, listing after listing passes, computed (the first) or from the response cache (the others).
func TestRateLimitRefundsUnusedCost(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { o.RateCapacity, o.RestoreRate = 400_000, 1 }, func(t *testing.T, s *server) {
		vars := map[string]any{"sortKey": "RELEVANCE", "reverse": false, "query": ""}
		available := 400_000
		for i := range 5 {
			r := s.post(t, getProductsQuery, vars)
			if len(r.Errors) > 0 {
				t.Fatalf("listing %d: %+v", i+1, r.Errors)
			}
			var out struct{ Products productEdges }
			if err := json.Unmarshal(r.Data, &out); err != nil || len(out.Products.Edges) != 44 {
				t.Fatalf("listing %d: %d products (%v), want 44", i+1, len(out.Products.Edges), err)
			}
			c := costOf(t, r)
			if c.RequestedQueryCost < 250_000 || c.ActualQueryCost == nil || *c.ActualQueryCost*10 > c.RequestedQueryCost {
				t.Fatalf("listing %d: requested %d, actual %v; want an actual cost under a tenth of the requested", i+1, c.RequestedQueryCost, c.ActualQueryCost)
			}
			// The bucket regains 1 a second, so allow a few.
			available -= *c.ActualQueryCost
			if got := c.ThrottleStatus.CurrentlyAvailable; got < available || got > available+5 {
				t.Errorf("listing %d: currently available %d, want %d (charged the actual cost)", i+1, got, available)
			}
			available = c.ThrottleStatus.CurrentlyAvailable
			t.Logf("listing %d: requested %d, actual %d, available %d", i+1, c.RequestedQueryCost, *c.ActualQueryCost, available)
		}
	})
}
