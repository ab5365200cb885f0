//go:build tools

// Package tools pins the code generators so `go run` uses the versions in go.mod.
package main

import (
	_ "entgo.io/ent/cmd/ent"
	_ "github.com/99designs/gqlgen"
)
