package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Limits of a field selection: it is applied to every delivery of its subscription, so it stays small.
const (
	MaxSelectionLength = 4096 // bytes of fieldSelection
	MaxSelectionDepth  = 6    // nested selection sets
	MaxSelectionFields = 200  // fields in all
	MaxIncludeFields   = 100  // entries of includeFields
)

// A selection is the part of a payload a subscription receives: for each named field, in order, either
// all of its value (sub nil) or the selection sub of it (of each element, for an array).
type selection []selected

type selected struct {
	name string
	sub  selection
}

// add puts the path into s, merging with what s already has: a field selected whole stays whole.
func (s selection) add(path []string, sub selection) selection {
	for i := range s {
		if s[i].name != path[0] {
			continue
		}
		if len(path) == 1 {
			if sub == nil {
				s[i].sub = nil
			} else if s[i].sub != nil {
				for _, f := range sub {
					s[i].sub = s[i].sub.add([]string{f.name}, f.sub)
				}
			}
			return s
		}
		if s[i].sub != nil { // selected whole already otherwise
			s[i].sub = s[i].sub.add(path[1:], sub)
		}
		return s
	}
	f := selected{name: path[0], sub: sub}
	if len(path) > 1 {
		f.sub = selection(nil).add(path[1:], sub)
	}
	return append(s, f)
}

// A selectionError is a field selection that cannot be accepted, said for the caller.
type selectionError struct{ msg string }

func (e *selectionError) Error() string { return e.msg }

func selectionErrorf(format string, args ...any) error {
	return &selectionError{msg: fmt.Sprintf(format, args...)}
}

// parseSelection parses a GraphQL selection set on a payload, "{ id lineItems { title } }" (the braces
// may be left out), and checks it against the payload's shape (nil: not known, not checked). Aliases,
// arguments, directives and fragments have no meaning on a payload and are refused.
func parseSelection(src string, sh *shape) (selection, error) {
	src = strings.TrimSpace(src)
	if len(src) > MaxSelectionLength {
		return nil, selectionErrorf("is longer than %d bytes", MaxSelectionLength)
	}
	if !strings.HasPrefix(src, "{") && !strings.HasPrefix(src, "query") {
		src = "{" + src + "}"
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: src})
	if err != nil {
		msg := err.Error()
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			msg = ge.Message
		}
		return nil, selectionErrorf("is not a GraphQL selection set: %s", msg)
	}
	if len(doc.Fragments) > 0 {
		return nil, selectionErrorf("may not use fragments")
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query ||
		len(doc.Operations[0].VariableDefinitions) > 0 || len(doc.Operations[0].Directives) > 0 {
		return nil, selectionErrorf("must be one selection set, without variables or directives")
	}
	count := 0
	return convertSelection(doc.Operations[0].SelectionSet, sh, "", 1, &count)
}

func convertSelection(set ast.SelectionSet, sh *shape, at string, depth int, count *int) (selection, error) {
	if depth > MaxSelectionDepth {
		return nil, selectionErrorf("is nested deeper than %d levels", MaxSelectionDepth)
	}
	var out selection
	for _, s := range set {
		f, ok := s.(*ast.Field)
		if !ok {
			return nil, selectionErrorf("may not use fragments")
		}
		path := f.Name
		if at != "" {
			path = at + "." + f.Name
		}
		switch {
		case f.Alias != "" && f.Alias != f.Name:
			return nil, selectionErrorf("may not rename %s", path)
		case len(f.Arguments) > 0 || len(f.Directives) > 0:
			return nil, selectionErrorf("may not give %s arguments or directives", path)
		}
		if *count++; *count > MaxSelectionFields {
			return nil, selectionErrorf("has more than %d fields", MaxSelectionFields)
		}
		fsh, err := sh.field(f.Name, path)
		if err != nil {
			return nil, err
		}
		var sub selection
		if len(f.SelectionSet) > 0 {
			if fsh != nil && fsh.leaf() {
				return nil, selectionErrorf("selects fields of %s, which has none", path)
			}
			if sub, err = convertSelection(f.SelectionSet, fsh, path, depth+1, count); err != nil {
				return nil, err
			}
		}
		out = out.add([]string{f.Name}, sub)
	}
	return out, nil
}

// includeSelection is the selection of Shopify's includeFields: top-level names or dotted paths.
func includeSelection(paths []string, sh *shape) (selection, error) {
	if len(paths) > MaxIncludeFields {
		return nil, selectionErrorf("has more than %d entries", MaxIncludeFields)
	}
	var out selection
	for _, p := range paths {
		names := strings.Split(strings.TrimSpace(p), ".")
		if len(names) > MaxSelectionDepth {
			return nil, selectionErrorf("has %s, nested deeper than %d levels", p, MaxSelectionDepth)
		}
		at, s := "", sh
		for _, n := range names {
			if n == "" {
				return nil, selectionErrorf("has an empty field name in %q", p)
			}
			if s != nil && s.leaf() {
				return nil, selectionErrorf("selects fields of %s, which has none", at)
			}
			if at != "" {
				at += "."
			}
			at += n
			var err error
			if s, err = s.field(n, at); err != nil {
				return nil, err
			}
		}
		out = out.add(names, nil)
	}
	return out, nil
}

// cut writes to buf the part of the JSON value raw that s selects: an object's selected fields in the
// selection's order (those it lacks are left out), each element of an array cut alike, any other
// value as it is. Values are copied byte for byte, so amounts and numbers keep their exact text.
func (s selection) cut(buf *bytes.Buffer, raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if s == nil || len(raw) == 0 {
		buf.Write(raw)
		return nil
	}
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return err
		}
		buf.WriteByte('{')
		first := true
		for _, f := range s {
			v, ok := obj[f.name]
			if !ok {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			key, _ := json.Marshal(f.name)
			buf.Write(key)
			buf.WriteByte(':')
			if err := f.sub.cut(buf, v); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return err
		}
		buf.WriteByte('[')
		for i, v := range arr {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := s.cut(buf, v); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		buf.Write(raw) // null, or a scalar where an object was expected: nothing to cut
	}
	return nil
}
