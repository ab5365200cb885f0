package httpapi

import (
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Defaults of the limits a document meets before it is validated. Validation compares fields that share
// a response name pairwise, so its cost grows with the square of a document's fields: 6,000 copies of
// one field, a 30 KB request, took seconds. Counting is linear, so a document is counted first.
const (
	DefaultMaxTokens = 15_000
	DefaultMaxFields = 500
)

// docLimits bounds a document before validation.
type docLimits struct {
	// maxTokens bounds the lexer tokens of a document (gqlgen's parser limit, applied here first).
	maxTokens int
	// maxFields bounds the fields, fragment spreads, inline fragments and directives in a document,
	// counted where they are written (a fragment counts once however often it is spread).
	maxFields int
}

// check refuses a request whose document or variables would cost more to validate than it is worth, or
// hold a NUL character, which no database column accepts (PostgreSQL refuses it in text). It parses the
// document once more than gqlgen does, which is linear and cheap next to validation.
func (l docLimits) check(p *graphql.RawParams) *gqlerror.Error {
	if path, ok := findNUL(p.Variables, "variables"); ok {
		if len(path) > 64 {
			path = path[:64] + "…" // the caller's own names, possibly huge
		}
		return badInput("%s contains a NUL character, which no text may hold", path)
	}
	if p.Query == "" {
		return nil // an automatically persisted query, checked before it was kept
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, l.maxTokens)
	if err != nil {
		gqlErr, ok := err.(*gqlerror.Error)
		if !ok {
			gqlErr = gqlerror.Errorf("the query does not parse")
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		return gqlErr
	}
	c := counter{}
	for _, op := range doc.Operations {
		c.directives(op.Directives)
		for _, v := range op.VariableDefinitions {
			c.directives(v.Directives)
			c.value(v.DefaultValue)
		}
		c.selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		c.directives(f.Directives)
		c.selections(f.SelectionSet)
	}
	if c.nul {
		return badInput("a string in the query contains a NUL character, which no text may hold")
	}
	if c.fields > l.maxFields {
		err := gqlerror.Errorf("the document has %d fields, fragment spreads and directives, more than the limit of %d",
			c.fields, l.maxFields)
		err.Extensions = map[string]any{"code": "MAX_FIELDS_EXCEEDED"}
		return err
	}
	return nil
}

func badInput(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
	return err
}

// counter walks a document as written, without following fragment spreads, so its work is linear in
// the document's size whatever its fragments do.
type counter struct {
	fields int
	nul    bool
}

func (c *counter) selections(set ast.SelectionSet) {
	for _, sel := range set {
		c.fields++
		switch s := sel.(type) {
		case *ast.Field:
			c.directives(s.Directives)
			c.arguments(s.Arguments)
			c.selections(s.SelectionSet)
		case *ast.InlineFragment:
			c.directives(s.Directives)
			c.selections(s.SelectionSet)
		case *ast.FragmentSpread:
			c.directives(s.Directives)
		}
	}
}

func (c *counter) directives(list ast.DirectiveList) {
	for _, d := range list {
		c.fields++
		c.arguments(d.Arguments)
	}
}

func (c *counter) arguments(list ast.ArgumentList) {
	for _, a := range list {
		c.value(a.Value)
	}
}

func (c *counter) value(v *ast.Value) {
	if v == nil {
		return
	}
	if (v.Kind == ast.StringValue || v.Kind == ast.BlockValue) && strings.IndexByte(v.Raw, 0) >= 0 {
		c.nul = true
	}
	for _, child := range v.Children {
		c.value(child.Value)
	}
}

// findNUL finds a NUL character in a decoded JSON value (in a string or an object's key) and names where.
func findNUL(v any, path string) (string, bool) {
	switch v := v.(type) {
	case string:
		return path, strings.IndexByte(v, 0) >= 0
	case map[string]any:
		for k, child := range v {
			if strings.IndexByte(k, 0) >= 0 {
				return path, true
			}
			if p, ok := findNUL(child, path+"."+k); ok {
				return p, true
			}
		}
	case []any:
		for i, child := range v {
			if p, ok := findNUL(child, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}
