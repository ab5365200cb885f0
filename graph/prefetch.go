package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/pagination"
)

// Loaders batch the keys that arrive within a short wait. Under load, the resolvers of one level do not
// always arrive within it, so a page of products could cost several statements per kind. Prefetching
// looks ahead at the selection under a list of products and loads each kind it will need for the whole
// list at once; the resolvers then find everything in the loaders' caches. That keeps the statements of
// a request fixed, whatever the page size and the scheduling.

// productFieldsOfConnection returns the names of the Product fields selected under a connection field
// (through edges.node and nodes).
func productFieldsOfConnection(ctx context.Context) map[string]bool {
	return connectionNodeFields(graphql.GetOperationContext(ctx), graphql.CollectFieldsCtx(ctx, nil), "Product")
}

// connectionNodeFields returns the names of the fields selected on the nodes of a connection, given the
// connection's own selected fields.
func connectionNodeFields(oc *graphql.OperationContext, connection []graphql.CollectedField, typ string) map[string]bool {
	fields := map[string]bool{}
	for _, f := range nodeSelections(oc, connection, typ) {
		fields[f.Name] = true
	}
	return fields
}

// nodeSelections returns the fields selected on the nodes of a connection, through nodes and edges.node.
func nodeSelections(oc *graphql.OperationContext, connection []graphql.CollectedField, typ string) []graphql.CollectedField {
	var out []graphql.CollectedField
	for _, f := range connection {
		switch f.Name {
		case "nodes":
			out = append(out, graphql.CollectFields(oc, f.Selections, []string{typ})...)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, nil) {
				if e.Name == "node" {
					out = append(out, graphql.CollectFields(oc, e.Selections, []string{typ})...)
				}
			}
		}
	}
	return out
}

// productFieldsOfList returns the names of the Product fields selected under a field of type Product
// or [Product].
func productFieldsOfList(ctx context.Context) map[string]bool {
	fields := map[string]bool{}
	addFields(fields, graphql.CollectFieldsCtx(ctx, []string{"Product"}))
	return fields
}

func addFields(set map[string]bool, fields []graphql.CollectedField) {
	for _, f := range fields {
		set[f.Name] = true
	}
}

// prefetchProducts loads, for all of products at once, what the selected fields will read.
func prefetchProducts(ctx context.Context, products []*ent.Product, fields map[string]bool) {
	if len(products) == 0 || len(fields) == 0 {
		return
	}
	l := loaders.For(ctx)
	ids := make([]int, len(products))
	for i, p := range products {
		ids[i] = p.ID
	}
	needPrices := fields["priceRange"] || fields["compareAtPriceRange"] || fields["variants"]
	needStock := fields["availableForSale"] || fields["totalInventory"] || fields["variants"] ||
		fields["selectedOrFirstAvailableVariant"]
	needVariants := needPrices || needStock || fields["variantBySelectedOptions"]

	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	// A failed prefetch primes nothing: the resolvers then load through the loaders and report the error.
	if fields["options"] {
		run(func() { _, _ = l.OptionsByProduct.Prefetch(ctx, ids) })
	}
	if fields["images"] || fields["featuredImage"] {
		run(func() { _, _ = l.ImagesByProduct.Prefetch(ctx, ids) })
	}
	if fields["collections"] {
		run(func() { _, _ = l.CollectionsByProd.Prefetch(ctx, ids) })
	}
	if needVariants {
		run(func() {
			lists, err := l.VariantsByProduct.Prefetch(ctx, ids)
			if err != nil {
				return
			}
			var vids []int
			for _, vs := range lists {
				for _, v := range vs {
					vids = append(vids, v.ID)
				}
			}
			if len(vids) == 0 {
				return
			}
			if needPrices {
				run(func() { _, _ = l.PricesByVariant.Prefetch(ctx, vids) })
			}
			if needStock {
				run(func() { _, _ = l.StockByVariant.Prefetch(ctx, vids) })
			}
		})
	}
	if needPrices || fields["onlineStoreUrl"] {
		run(func() { _, _ = l.Shop(ctx) })
	}
	wg.Wait()
}

// prefetchCollectionProducts looks ahead from a list of collections at their products fields: each is read
// for all the collections in one windowed query, and the products' own fields are prefetched for the
// union of the pages.
func prefetchCollectionProducts(ctx context.Context, cols []*ent.Collection, collectionFields []graphql.CollectedField) {
	if len(cols) == 0 {
		return
	}
	oc := graphql.GetOperationContext(ctx)
	l := loaders.For(ctx)
	for _, f := range collectionFields {
		if f.Name != "products" {
			continue
		}
		a := f.ArgumentMap(oc.Variables)
		pa := pagination.Args{First: intArg(a["first"]), Last: intArg(a["last"]), After: stringArg(a["after"]),
			Before: stringArg(a["before"])}
		pa.Reverse, _ = a["reverse"].(bool)
		sortKey := ""
		if sk := stringArg(a["sortKey"]); sk != nil {
			sortKey = *sk
		}
		products, err := l.PrefetchCollectionProducts(ctx, cols, loaders.NewProductsArgs(pa, sortKey))
		if err != nil {
			continue // the products field will load, and report, on its own
		}
		fields := connectionNodeFields(oc, graphql.CollectFields(oc, f.Selections, nil), "Product")
		prefetchProducts(ctx, products, fields)
	}
}

// intArg reads an Int argument as gqlparser or a JSON variable gives it.
func intArg(v any) *int {
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		n = int(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return nil
		}
		n = int(i)
	default:
		return nil
	}
	return &n
}

func stringArg(v any) *string {
	switch x := v.(type) {
	case string:
		return &x
	case fmt.Stringer:
		s := x.String()
		return &s
	}
	return nil
}
