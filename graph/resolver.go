// Package graph holds the GraphQL resolvers. They authorise, call one domain function or one query, and
// map errors; rules live in the domain packages.
package graph

import (
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
)

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver; its dependencies come in through NewResolver.
type Resolver struct {
	client  *ent.Client
	catalog *catalog.Catalog
}

// NewResolver returns the root resolver.
func NewResolver(client *ent.Client, c *catalog.Catalog) *Resolver {
	return &Resolver{client: client, catalog: c}
}
