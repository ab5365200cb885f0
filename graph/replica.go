package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
)

// catalogRootFields are the root query fields that read only the public catalog and shop settings:
// data that staff change now and then and a storefront may see a moment late. node and nodes are not
// among them, as they also reach carts, orders and customers.
var catalogRootFields = map[string]bool{
	"products": true, "product": true, "productByHandle": true, "productRecommendations": true,
	"collections": true, "collection": true, "collectionByHandle": true,
	"menu": true, "page": true, "pageByHandle": true, "pages": true, "shop": true,
	"__typename": true, "__schema": true, "__type": true,
}

// ReplicaReads sends a request's reads to the read replica when a storefront (anonymous or a customer)
// asks a query whose root fields all read the catalog. Everything else reads the primary: mutations and
// the reads of their results, carts, checkout and orders, which must see the caller's own writes, and
// whatever staff and API keys ask, so that an admin reads back what it has just written. The database
// keeps writes and transactions on the primary whatever the context says.
func ReplicaReads(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	if k := auth.ViewerFrom(ctx).Kind; k != auth.Anonymous && k != auth.Customer {
		return next(ctx)
	}
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"}) {
		if !catalogRootFields[f.Name] {
			return next(ctx)
		}
	}
	return next(database.WithReplicaReads(ctx))
}
