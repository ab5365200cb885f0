package integration

import (
	"encoding/json"
	"testing"
)

// noPositiveWords are searches without a positive free-text word: only a filter, a negated word, or
// punctuation that holds no word.
var noPositiveWords = []string{"tag:eco", "-cotton", "'", "%", "NOT cotton", "tag:eco -cotton", `"'"`, "%*", "_", `\`, "-'"}

// Issue 10, finding 18: a RELEVANCE search whose query has no positive free-text word had no relevance
// expression and panicked (INTERNAL_SERVER_ERROR) on both databases. It now answers in the default order,
// page after page.
func TestHardenSearchWithoutPositiveWords(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, q := range noPositiveWords {
			for _, key := range []string{"RELEVANCE", "TITLE"} {
				var after any
				for page := 0; page < 3; page++ {
					r := s.post(t, `query($q: String, $k: ProductSortKeys, $after: String) { products(first: 5, query: $q, sortKey: $k, after: $after) {
						edges { cursor node { handle } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"q": q, "k": key, "after": after})
					if len(r.Errors) > 0 || r.Status != 200 {
						t.Fatalf("products(query: %q, sortKey: %s) page %d: status %d, errors %+v", q, key, page+1, r.Status, r.Errors)
					}
					var d struct {
						Products struct {
							PageInfo struct {
								HasNextPage bool
								EndCursor   string
							}
						}
					}
					decode(t, r, &d)
					if !d.Products.PageInfo.HasNextPage {
						break
					}
					after = d.Products.PageInfo.EndCursor
				}
			}
		}
	})
}

// The admin order search shares the parser: the same queries answer there too.
func TestHardenAdminSearchWithoutPositiveWords(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		staff := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		for _, q := range append(noPositiveWords, "email:'", "%@%") {
			for _, doc := range []string{
				`query($q: String) { orders(first: 5, query: $q) { nodes { id } } }`,
				`query($q: String) { customers(first: 5, query: $q) { nodes { id } } }`,
			} {
				r := s.postAs(t, staff, doc, map[string]any{"q": q})
				for _, e := range r.Errors {
					if e.code() != "BAD_USER_INPUT" {
						t.Errorf("%s with %q: %+v", doc, q, r.Errors)
					}
				}
			}
		}
	})
}

// decode unmarshals a response's data.
func decode(t *testing.T, r response, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decode data: %v: %s", err, r.Data)
	}
}
