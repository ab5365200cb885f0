package integration

import "testing"

// maxStatements bounds the SQL statements of one storefront request, whatever its page size.
const maxStatements = 10

func TestSQLStatementsAreBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		cases := []struct {
			name  string
			query string
			vars  func(n int) map[string]any
		}{
			{"products", getProductsQuery, func(n int) map[string]any { return map[string]any{"first": n} }},
			{"products search", getProductsQuery, func(n int) map[string]any {
				return map[string]any{"first": n, "query": "tag:cotton OR tee", "sortKey": "RELEVANCE"}
			}},
			{"products search by a word", getProductsQuery, func(n int) map[string]any {
				return map[string]any{"first": n, "query": "cotton available_for_sale:true", "sortKey": "PRICE"}
			}},
			{"collection products", getCollectionProductsQuery, func(n int) map[string]any {
				return map[string]any{"handle": "all", "first": n}
			}},
			{"collections with products", `query($n: Int) { collections(first: 3) { nodes { handle products(first: $n) { nodes { ...product } } } } }
` + productFragment, func(n int) map[string]any { return map[string]any{"n": n} }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				// One request first, so that what the server memoises on first use (a shared server may
				// meet this query before any other) is not counted against the page size.
				var warm map[string]any
				s.query(t, c.query, c.vars(1), &warm)
				counts := map[int]int{}
				for _, n := range []int{10, 100} {
					var out map[string]any
					s.query(t, c.query, c.vars(n), &out)
					counts[n] = s.lastStatements()
					t.Logf("%s first: %d: %d statements", s.name, n, counts[n])
				}
				if counts[10] > maxStatements || counts[100] > maxStatements {
					t.Errorf("statements %v, want at most %d", counts, maxStatements)
				}
				if counts[10] != counts[100] {
					t.Errorf("statements grow with page size: %v", counts)
				}
				if counts[10] == 0 {
					t.Errorf("no statement counted: the counter is not wired")
				}
			})
		}
	})
}
