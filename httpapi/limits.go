package httpapi

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/emporium/emporium/graph/generated"
	"github.com/emporium/emporium/graph/model"
)

// depthLimit rejects operations whose selections nest deeper than max, before anything runs.
// Introspection fields are not counted: tools' introspection queries nest deeply but cheaply.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, map[string]bool{}); depth > d.max {
		err := gqlerror.Errorf("operation has depth %d, more than the limit of %d", depth, d.max)
		err.Extensions = map[string]any{"code": "MAX_DEPTH_EXCEEDED"}
		return err
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, depth int, visiting map[string]bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = selectionDepth(s.SelectionSet, depth+1, visiting)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth, visiting)
		case *ast.FragmentSpread:
			// Validation rejects fragment cycles; the guard only keeps this walk safe regardless.
			if s.Definition == nil || visiting[s.Name] {
				continue
			}
			visiting[s.Name] = true
			d = selectionDepth(s.Definition.SelectionSet, depth, visiting)
			delete(visiting, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// PasswordHashCost is what a mutation that hashes or verifies a password costs in the complexity limit
// and the rate limit. One argon2id hash takes about 20 ms of a core (auth.HashPassword), as much as a
// query of about 250,000 cost at the measured rate of the catalog (a listing of 100 products, 290,000,
// answers in 15 to 25 ms): so four such fields fit in one request's limit of 1,000,000, and a caller's
// bucket (4,000,000, refilled 1,000,000 a second) pays for 4 hashes a second, not 50 aliases of them.
const PasswordHashCost = 250_000

// complexity prices list fields in proportion to the page they ask for, so products(first: 250) with
// variants(first: 250) costs what it will cost the database.
func complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	page := func(child int, first, last *int) int {
		n := 1
		if first != nil {
			n = max(n, *first)
		}
		if last != nil {
			n = max(n, *last)
		}
		return 1 + child*n
	}
	c.Query.Products = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.ProductSortKeys, _ *string) int {
		return page(child, first, last)
	}
	c.Query.Collections = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.CollectionSortKeys, _ *string) int {
		return page(child, first, last)
	}
	c.Query.Pages = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.PageSortKeys, _ *string) int {
		return page(child, first, last)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + child*max(1, len(ids)) }
	c.Query.ProductRecommendations = func(child int, _ *string, _ *string, _ *model.ProductRecommendationIntent) int {
		return 1 + child*10
	}
	c.Collection.Products = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.ProductCollectionSortKeys) int {
		return page(child, first, last)
	}
	c.Product.Variants = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.ProductVariantSortKeys) int {
		return page(child, first, last)
	}
	c.Product.Images = func(child int, first *int, _ *string, last *int, _ *string, _ *bool, _ *model.ProductImageSortKeys) int {
		return page(child, first, last)
	}
	c.Product.Collections = func(child int, first *int, _ *string, last *int, _ *string, _ *bool) int {
		return page(child, first, last)
	}
	// Mutations that hash or verify a password cost what the hash costs, so aliases of them hit the limits.
	hash := func(child int) int { return PasswordHashCost + child }
	c.Mutation.CustomerCreate = func(child int, _ model.CustomerCreateInput) int { return hash(child) }
	c.Mutation.CustomerAccessTokenCreate = func(child int, _ model.CustomerAccessTokenCreateInput) int { return hash(child) }
	c.Mutation.CustomerReset = func(child int, _ string, _ model.CustomerResetInput) int { return hash(child) }
	c.Mutation.CustomerResetByURL = func(child int, _ string, _ string) int { return hash(child) }
	c.Mutation.CustomerUpdate = func(child int, _ *string, in model.CustomerUpdateInput) int {
		if in.Password != nil {
			return hash(child)
		}
		return 1 + child
	}
	c.Mutation.StaffAccessTokenCreate = func(child int, _ model.StaffAccessTokenCreateInput) int { return hash(child) }
	c.Mutation.StaffMemberCreate = func(child int, _ model.StaffMemberCreateInput) int { return hash(child) }
	return c
}

// noIntrospection rejects __schema and __type in production, where the schema is not published; gqlgen
// alone would answer them with an unexplained error.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string                   { return "NoIntrospection" }
func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation != nil && introspects(oc.Operation.SelectionSet, map[string]bool{}) {
		err := gqlerror.Errorf("introspection is disabled")
		err.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		return err
	}
	return nil
}

func introspects(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || introspects(s.SelectionSet, seen) {
				return true
			}
		case *ast.InlineFragment:
			if introspects(s.SelectionSet, seen) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if introspects(s.Definition.SelectionSet, seen) {
					return true
				}
			}
		}
	}
	return false
}

// fieldLimits bounds how many root fields and aliases an operation has, so that one request cannot run
// the same expensive field hundreds of times under different names.
type fieldLimits struct{ maxRoot, maxAliases int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = fieldLimits{}

func (fieldLimits) ExtensionName() string                   { return "FieldLimits" }
func (fieldLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l fieldLimits) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if n := len(oc.Operation.SelectionSet); n > l.maxRoot {
		err := gqlerror.Errorf("operation has %d root fields, more than the limit of %d", n, l.maxRoot)
		err.Extensions = map[string]any{"code": "MAX_ROOT_FIELDS_EXCEEDED"}
		return err
	}
	if n := countAliases(oc.Operation.SelectionSet, map[string]bool{}); n > l.maxAliases {
		err := gqlerror.Errorf("operation has %d aliases, more than the limit of %d", n, l.maxAliases)
		err.Extensions = map[string]any{"code": "MAX_ALIASES_EXCEEDED"}
		return err
	}
	return nil
}

func countAliases(set ast.SelectionSet, seen map[string]bool) int {
	n := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				n++
			}
			n += countAliases(s.SelectionSet, seen)
		case *ast.InlineFragment:
			n += countAliases(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				n += countAliases(s.Definition.SelectionSet, seen)
			}
		}
	}
	return n
}
