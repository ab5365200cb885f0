package integration

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/seed"
)

// demoProduct is a product of the demo file with the facts the tests derive expectations from.
type demoProduct struct {
	seed.Product
	index     int   // position in the file: the order of IDs, creation and update times
	minUSD    int64 // lowest variant price in USD
	available bool
}

// demoProducts returns the active products of the demo file, computed independently of the service.
func demoProducts(t *testing.T) []demoProduct {
	t.Helper()
	f, err := seed.Decode(bytes.NewReader(demoCatalog(t)))
	if err != nil {
		t.Fatal(err)
	}
	var out []demoProduct
	for i, p := range f.Products {
		if p.Status != "" && p.Status != "ACTIVE" {
			continue
		}
		d := demoProduct{Product: p, index: i, minUSD: -1}
		for _, v := range p.Variants {
			m, err := money.Parse(v.Prices["USD"], "USD")
			if err != nil {
				t.Fatal(err)
			}
			if d.minUSD < 0 || m.Amount < d.minUSD {
				d.minUSD = m.Amount
			}
			stock := 0
			for _, n := range v.Inventory {
				stock += n
			}
			if v.Inventory == nil || v.InventoryPolicy == "CONTINUE" || stock > 0 {
				d.available = true
			}
		}
		out = append(out, d)
	}
	return out
}

func handlesOf(ps []demoProduct) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Handle
	}
	return out
}

const productPageQuery = `query($first: Int, $after: String, $last: Int, $before: String, $sortKey: ProductSortKeys, $reverse: Boolean, $query: String) {
  products(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey, reverse: $reverse, query: $query) {
    edges { cursor node { handle } }
    nodes { handle }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

type productPage struct {
	Products struct {
		Edges []struct {
			Cursor string
			Node   struct{ Handle string }
		}
		Nodes    []struct{ Handle string }
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func (p productPage) handles() []string {
	var out []string
	for _, e := range p.Products.Edges {
		out = append(out, e.Node.Handle)
	}
	return out
}

// walk pages through a product listing forward and backward with pages of size n and returns both
// sequences, checking pageInfo on the way.
func walk(t *testing.T, s *server, query string, vars map[string]any, n int) (forward, backward []string) {
	t.Helper()
	with := func(extra map[string]any) map[string]any {
		v := map[string]any{}
		for k, x := range vars {
			v[k] = x
		}
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	var after any
	for i := 0; ; i++ {
		var p productPage
		s.query(t, query, with(map[string]any{"first": n, "after": after}), &p)
		forward = append(forward, p.handles()...)
		nodes := make([]string, len(p.Products.Nodes))
		for j, nd := range p.Products.Nodes {
			nodes[j] = nd.Handle
		}
		if !slices.Equal(nodes, p.handles()) {
			t.Fatalf("nodes %v differ from edges %v", nodes, p.handles())
		}
		if p.Products.PageInfo.HasPreviousPage != (i > 0) {
			t.Errorf("page %d forward: hasPreviousPage = %v", i, p.Products.PageInfo.HasPreviousPage)
		}
		if !p.Products.PageInfo.HasNextPage {
			break
		}
		if i > 100 {
			t.Fatal("forward pagination does not end")
		}
		after = *p.Products.PageInfo.EndCursor
	}
	var before any
	for i := 0; ; i++ {
		var p productPage
		s.query(t, query, with(map[string]any{"last": n, "before": before}), &p)
		backward = append(p.handles(), backward...)
		if p.Products.PageInfo.HasNextPage != (i > 0) {
			t.Errorf("page %d backward: hasNextPage = %v", i, p.Products.PageInfo.HasNextPage)
		}
		if !p.Products.PageInfo.HasPreviousPage {
			break
		}
		if i > 100 {
			t.Fatal("backward pagination does not end")
		}
		before = *p.Products.PageInfo.StartCursor
	}
	return forward, backward
}

func TestProductsSortAndPaginate(t *testing.T) {
	demo := demoProducts(t)
	byIndex := func(a, b demoProduct) int { return cmp.Compare(a.index, b.index) }
	sorts := []struct {
		key  string
		less func(a, b demoProduct) int
	}{
		{"ID", byIndex},
		{"TITLE", func(a, b demoProduct) int { return cmp.Or(strings.Compare(a.Title, b.Title), byIndex(a, b)) }},
		{"PRICE", func(a, b demoProduct) int { return cmp.Or(cmp.Compare(a.minUSD, b.minUSD), byIndex(a, b)) }},
		{"BEST_SELLING", func(a, b demoProduct) int { return cmp.Or(cmp.Compare(b.SalesCount, a.SalesCount), byIndex(b, a)) }},
		{"CREATED_AT", byIndex},
		{"UPDATED_AT", byIndex},
		{"PRODUCT_TYPE", func(a, b demoProduct) int {
			return cmp.Or(strings.Compare(a.ProductType, b.ProductType), byIndex(a, b))
		}},
		{"VENDOR", func(a, b demoProduct) int { return cmp.Or(strings.Compare(a.Vendor, b.Vendor), byIndex(a, b)) }},
		{"RELEVANCE", byIndex}, // without a search, relevance is the ID order
	}
	eachDB(t, func(t *testing.T, s *server) {
		for _, sk := range sorts {
			for _, reverse := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s reverse=%v", sk.key, reverse), func(t *testing.T) {
					want := slices.Clone(demo)
					slices.SortStableFunc(want, sk.less)
					if reverse {
						slices.Reverse(want)
					}
					fwd, back := walk(t, s, productPageQuery, map[string]any{"sortKey": sk.key, "reverse": reverse}, 7)
					if !slices.Equal(fwd, handlesOf(want)) {
						t.Errorf("forward:\n got %v\nwant %v", fwd, handlesOf(want))
					}
					if !slices.Equal(back, handlesOf(want)) {
						t.Errorf("backward:\n got %v\nwant %v", back, handlesOf(want))
					}
				})
			}
		}
	})
}

func TestProductSearch(t *testing.T) {
	demo := demoProducts(t)
	hasTag := func(p demoProduct, tag string) bool {
		return slices.ContainsFunc(p.Tags, func(x string) bool { return strings.EqualFold(x, tag) })
	}
	maxUSD := func(p demoProduct, over int64) bool {
		for _, v := range p.Variants {
			m, _ := money.Parse(v.Prices["USD"], "USD")
			if m.Amount > over {
				return true
			}
		}
		return false
	}
	tests := []struct {
		query string
		match func(demoProduct) bool
	}{
		{"tag:cotton", func(p demoProduct) bool { return hasTag(p, "cotton") }},
		{"tag:Cotton", func(p demoProduct) bool { return hasTag(p, "cotton") }},
		{"product_type:Mugs", func(p demoProduct) bool { return p.ProductType == "Mugs" }},
		{`vendor:"Loom Studio"`, func(p demoProduct) bool { return p.Vendor == "Loom Studio" }},
		{"available_for_sale:true", func(p demoProduct) bool { return p.available }},
		{"available_for_sale:false", func(p demoProduct) bool { return !p.available }},
		{"variants.price:>50", func(p demoProduct) bool { return maxUSD(p, 5000) }},
		{"variants.price:<=10", func(p demoProduct) bool { return p.minUSD <= 1000 }},
		{"tag:cotton AND NOT tag:summer", func(p demoProduct) bool { return hasTag(p, "cotton") && !hasTag(p, "summer") }},
		{"tag:cotton -tag:summer", func(p demoProduct) bool { return hasTag(p, "cotton") && !hasTag(p, "summer") }},
		{"tag:winter OR tag:summer", func(p demoProduct) bool { return hasTag(p, "winter") || hasTag(p, "summer") }},
		{"(tag:winter OR tag:summer) product_type:T-Shirts", func(p demoProduct) bool {
			return (hasTag(p, "winter") || hasTag(p, "summer")) && p.ProductType == "T-Shirts"
		}},
		{"tag_not:cotton", func(p demoProduct) bool { return !hasTag(p, "cotton") }},
	}
	eachDB(t, func(t *testing.T, s *server) {
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				var want []string
				for _, p := range demo {
					if tt.match(p) {
						want = append(want, p.Handle)
					}
				}
				var got productPage
				s.query(t, productPageQuery, map[string]any{"first": 250, "query": tt.query}, &got)
				if !slices.Equal(got.handles(), want) {
					t.Errorf("got  %v\nwant %v", got.handles(), want)
				}
				if len(want) == 0 {
					t.Fatalf("the expectation matches nothing: a weak test")
				}
			})
		}
		t.Run("free text ranks title matches first", func(t *testing.T) {
			var got productPage
			s.query(t, productPageQuery, map[string]any{"first": 250, "query": "tee", "sortKey": "RELEVANCE"}, &got)
			var tees []string
			for _, p := range demo {
				if slices.Contains(strings.Fields(strings.ToLower(p.Title)), "tee") {
					tees = append(tees, p.Handle)
				}
			}
			h := got.handles()
			if len(h) < len(tees) {
				t.Fatalf("got %v, want at least the tees %v", h, tees)
			}
			if top := h[:len(tees)]; !sameSet(top, tees) {
				t.Errorf("top results %v, want the products titled tee %v", top, tees)
			}
			fwd, back := walk(t, s, productPageQuery, map[string]any{"query": "tee", "sortKey": "RELEVANCE"}, 3)
			if !slices.Equal(fwd, h) || !slices.Equal(back, h) {
				t.Errorf("paginated relevance order differs:\n  one page %v\n forward %v\nbackward %v", h, fwd, back)
			}
		})
		t.Run("free text prefix, phrase and negation", func(t *testing.T) {
			var got productPage
			s.query(t, productPageQuery, map[string]any{"first": 250, "query": "mug"}, &got)
			if !slices.Contains(got.handles(), "stoneware-coffee-mug") || !slices.Contains(got.handles(), "enamel-camp-mug") {
				t.Errorf("mug: got %v", got.handles())
			}
			s.query(t, productPageQuery, map[string]any{"first": 250, "query": "hood"}, &got)
			if !slices.Contains(got.handles(), "essential-pullover-hoodie") {
				t.Errorf("prefix hood: got %v", got.handles())
			}
			s.query(t, productPageQuery, map[string]any{"first": 250, "query": `"coffee mug"`}, &got)
			if !slices.Contains(got.handles(), "stoneware-coffee-mug") || slices.Contains(got.handles(), "enamel-camp-mug") {
				t.Errorf("phrase: got %v", got.handles())
			}
			s.query(t, productPageQuery, map[string]any{"first": 250, "query": "mug -enamel"}, &got)
			if !slices.Contains(got.handles(), "stoneware-coffee-mug") || slices.Contains(got.handles(), "enamel-camp-mug") {
				t.Errorf("negation: got %v", got.handles())
			}
		})
		t.Run("bad queries", func(t *testing.T) {
			for _, q := range []string{"tag:(", `title:"open`, "foo:bar", "variants.price:>abc", "available_for_sale:maybe", "OR"} {
				e := s.queryError(t, productPageQuery, map[string]any{"first": 5, "query": q})
				if e.code() != "BAD_USER_INPUT" {
					t.Errorf("query %q: error %+v, want BAD_USER_INPUT", q, e)
				}
			}
		})
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
