package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// BuyerContext is what @inContext tells about the buyer.
type BuyerContext struct {
	Country  string // ISO 3166-1 alpha-2, "" when not given
	Language string
}

type buyerKey struct{}

// BuyerContextFrom returns the request's buyer context.
func BuyerContextFrom(ctx context.Context) BuyerContext {
	bc, _ := ctx.Value(buyerKey{}).(BuyerContext)
	return bc
}

// InContext implements the @inContext operation directive.
func InContext(ctx context.Context, _ any, next graphql.Resolver, country, language *string) (any, error) {
	var bc BuyerContext
	if country != nil {
		bc.Country = *country
	}
	if language != nil {
		bc.Language = *language
	}
	return next(context.WithValue(ctx, buyerKey{}, bc))
}
