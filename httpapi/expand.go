package httpapi

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Defaults of the limits on a document as it would run, with its fragments spread in place. Counting
// fields as written bounds the text; these bound what validation does with it: its rule that fields of
// one response name must merge compares them in pairs, across every spread of every fragment, so a
// few hundred copies of `product(handle: …)`, or a fragment spread a few hundred times, cost it tenths
// of a second while staying under the written limit.
const (
	// DefaultMaxExpandedFields bounds the fields, spreads and inline fragments of a document counted
	// once per place a fragment is spread (the Next.js Commerce product page has about 100).
	DefaultMaxExpandedFields = 2_000
	// DefaultMaxSameName bounds the fields of one response name in one selection set, its fragments
	// included (Apollo's `__typename` in each fragment is the usual reason for more than one).
	DefaultMaxSameName = 20
)

// expansion walks a document as it would execute, fragments spread in place, and stops at the first
// limit it passes: its work is bounded by maxFields whatever the document. It also refuses fragment
// cycles, which validation would refuse after a walk that grows with the cycle's length squared.
type expansion struct {
	fragments   map[string]*ast.FragmentDefinition
	maxFields   int
	maxSameName int
	fields      int
	active      map[string]bool // fragments being spread, to find cycles
	visited     map[string]bool // fragments spread at least once
	err         *gqlerror.Error
}

func checkExpansion(doc *ast.QueryDocument, maxFields, maxSameName int) *gqlerror.Error {
	e := &expansion{
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		maxFields: maxFields, maxSameName: maxSameName,
		active: map[string]bool{}, visited: map[string]bool{},
	}
	for _, f := range doc.Fragments {
		if _, dup := e.fragments[f.Name]; !dup {
			e.fragments[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		e.set(op.SelectionSet)
	}
	// Validation also walks fragments that no operation spreads.
	for _, f := range doc.Fragments {
		if !e.visited[f.Name] {
			e.visited[f.Name] = true
			e.active[f.Name] = true
			e.set(f.SelectionSet)
			delete(e.active, f.Name)
		}
	}
	return e.err
}

// set walks one selection set, merging the fields its inline fragments and spreads bring into it.
func (e *expansion) set(set ast.SelectionSet) {
	if len(set) == 0 {
		return
	}
	names := map[string]int{}
	e.flatten(set, names)
}

func (e *expansion) flatten(set ast.SelectionSet, names map[string]int) {
	for _, sel := range set {
		if e.err != nil {
			return
		}
		if e.fields++; e.fields > e.maxFields {
			e.err = limitError("MAX_FIELDS_EXCEEDED",
				"with its fragments spread, the document has more than %d fields, fragment spreads and inline fragments", e.maxFields)
			return
		}
		switch s := sel.(type) {
		case *ast.Field:
			name := s.Alias
			if name == "" {
				name = s.Name
			}
			if names[name]++; names[name] > e.maxSameName {
				e.err = limitError("MAX_FIELDS_EXCEEDED",
					"%q is selected more than %d times in one selection set", name, e.maxSameName)
				return
			}
			e.set(s.SelectionSet)
		case *ast.InlineFragment:
			e.flatten(s.SelectionSet, names)
		case *ast.FragmentSpread:
			f := e.fragments[s.Name]
			if f == nil {
				continue // validation says it is unknown
			}
			if e.active[s.Name] {
				e.err = limitError("GRAPHQL_VALIDATION_FAILED", "fragment %q spreads itself", s.Name)
				return
			}
			e.visited[s.Name] = true
			e.active[s.Name] = true
			e.flatten(f.SelectionSet, names)
			delete(e.active, s.Name)
		}
	}
}

func limitError(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	return err
}
