package httpapi

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// actualCost prices an executed operation from its response: the same prices as the complexity limit
// (the schema's complexity functions), but a paged field (one whose price grows with first, last or a
// list of ids) is charged for the entries it returned rather than the entries it asked for. So
// products(first: 100) that returned 8 products costs 1 + the 8 products' own costs, each of them
// priced the same way (their variants(first: 250) as many variants as they have).
//
// Walking the response, rather than counting in resolvers, keeps the price in one place (limits.go)
// and covers every paged field, fragment and alias without touching a resolver; the response is
// already in memory, so the walk costs a light reading of it (parseCostTree), once per computed answer:
// the response cache keeps the figure with the body. A field absent from the response (skipped, or
// selected for another concrete type) costs nothing; a null costs the field alone. Every rule charges at
// most what the static price charged, and the caller caps the result at the requested cost anyway.
func actualCost(ctx context.Context, es graphql.ExecutableSchema, oc *graphql.OperationContext, data json.RawMessage) (int, bool) {
	if es == nil || oc.Operation == nil || len(data) == 0 {
		return 0, false
	}
	tree, err := parseCostTree(data)
	if err != nil || tree.kind != 'o' {
		return 0, false
	}
	w := costWalker{ctx: ctx, es: es, schema: es.Schema(), vars: oc.Variables}
	return w.selection(oc.Operation.SelectionSet, tree), true
}

type costWalker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
}

// selection is the cost of set as it was answered by data, one object of the response.
func (w costWalker) selection(set ast.SelectionSet, data costNode) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if v, ok := data.member(s.Alias); ok {
				total = safeAdd(total, w.field(s, v))
			}
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total = safeAdd(total, w.selection(s.Definition.SelectionSet, data))
			}
		case *ast.InlineFragment:
			total = safeAdd(total, w.selection(s.SelectionSet, data))
		}
	}
	return total
}

// field is the cost of one field whose response value is v.
func (w costWalker) field(f *ast.Field, v costNode) int {
	if f.Definition == nil || f.ObjectDefinition == nil {
		return 0
	}
	typ := w.schema.Types[f.Definition.Type.Name()]
	if typ == nil || typ.Name == "__Schema" {
		return 0
	}
	args := f.ArgumentMap(w.vars)
	composite := typ.Kind == ast.Object || typ.Kind == ast.Interface || typ.Kind == ast.Union
	price := func(child int) int { return w.price(f, composite, child, args) }
	if !composite || v.kind == 'n' {
		return price(0)
	}
	base := price(0)
	if price(1)-base <= 1 {
		// Not paged: the static price counts its selection once, so the dearest item of a list is charged.
		return price(w.value(f.SelectionSet, v))
	}
	// Paged: one entry per item returned, each priced on its own.
	total := base
	switch v.kind {
	case 'a':
		for _, item := range v.items {
			total = safeAdd(total, w.value(f.SelectionSet, item))
		}
	case 'o':
		// A connection: its lists (nodes, edges) hold the entries; an entry also pays for the
		// connection's other fields (pageInfo), as the static price does.
		n := 1
		for _, fv := range v.items {
			if fv.kind == 'a' {
				n = max(n, len(fv.items))
			}
		}
		for i := range n {
			total = safeAdd(total, w.selection(f.SelectionSet, connectionEntry(v, i)))
		}
	}
	return total
}

// value is the cost of a selection answered by v: an object, a list of them (charged as its dearest
// item) or null.
func (w costWalker) value(set ast.SelectionSet, v costNode) int {
	switch v.kind {
	case 'o':
		return w.selection(set, v)
	case 'a':
		dearest := 0
		for _, item := range v.items {
			dearest = max(dearest, w.value(set, item))
		}
		return dearest
	}
	return 0
}

// price is the field's price with the given child cost, as gqlgen's complexity walker computes it:
// the schema's complexity function, the dearest implementation for an interface's field, or else 1 +
// child.
func (w costWalker) price(f *ast.Field, composite bool, child int, args map[string]any) int {
	of := func(def *ast.Definition) int {
		if c, ok := w.es.Complexity(w.ctx, def.Name, f.Name, child, args); ok && c >= 1 {
			return c
		}
		if !composite {
			return 1
		}
		return safeAdd(1, child)
	}
	if f.ObjectDefinition.Kind != ast.Interface {
		return of(f.ObjectDefinition)
	}
	dearest := 0
	for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
		dearest = max(dearest, of(t))
	}
	return dearest
}

// connectionEntry is the connection conn seen as its i-th entry: each list replaced by its i-th item,
// or by null past its end (so the field still costs itself).
func connectionEntry(conn costNode, i int) costNode {
	entry := costNode{kind: 'o', keys: conn.keys, items: make([]costNode, len(conn.items))}
	for k, v := range conn.items {
		if v.kind == 'a' {
			v = costNode{kind: 'n'}
			if i < len(conn.items[k].items) {
				v = conn.items[k].items[i]
			}
		}
		entry.items[k] = v
	}
	return entry
}

// safeAdd adds costs without overflowing, as gqlgen's complexity walker does.
func safeAdd(a, b int) int {
	if c := a + b; c >= a {
		return c
	}
	return int(^uint(0) >> 1)
}
