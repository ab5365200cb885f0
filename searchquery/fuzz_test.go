package searchquery_test

import (
	"testing"

	"github.com/emporium/emporium/searchquery"
)

// FuzzSearchQuery checks that no query makes Parse, or the walk a compiler does over its tree, panic.
// The seeds are the queries of issue 10 that once crashed the product search (no positive word to rank
// by): the compilers in catalog and orders must cope with every tree Parse returns.
func FuzzSearchQuery(f *testing.F) {
	for _, q := range []string{
		"tag:eco", "-cotton", "'", "%", "NOT cotton", "tag:eco -cotton", `"'"`, "%*", "_", `\`, "-'", "*",
		"(", ")", `"`, "a:", ":", "-", "NOT", "OR", "AND", "a OR", "--a", "((a))", "variants.price:<=", "\x00", "\xff",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := searchquery.Parse(q)
		if err != nil || n == nil {
			return
		}
		_ = n.String()
		walk(t, n)
	})
}

// walk visits every node as a compiler does, reading every field.
func walk(t *testing.T, n searchquery.Node) {
	switch n := n.(type) {
	case searchquery.And:
		for _, c := range n.Terms {
			walk(t, c)
		}
	case searchquery.Or:
		for _, c := range n.Terms {
			walk(t, c)
		}
	case searchquery.Not:
		walk(t, n.Term)
	case searchquery.Term:
		_ = n.Op.String()
		if n.Value == "" {
			t.Fatalf("empty term value: %#v", n)
		}
	default:
		t.Fatalf("unexpected node %T", n)
	}
}
