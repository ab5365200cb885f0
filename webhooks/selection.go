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
	if !strings.HasPrefix(src, "{") && !isOperation(src) {
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

// isOperation tells whether src starts with an operation keyword, rather than a field name that may
// merely begin like one (queryCount).
func isOperation(src string) bool {
	for _, op := range []string{"query", "mutation", "subscription"} {
		if rest, ok := strings.CutPrefix(src, op); ok && (rest == "" || strings.ContainsRune(" \t\n\r{(", rune(rest[0]))) {
			return true
		}
	}
	return false
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
	if n := len(strings.Join(paths, "")); n > MaxSelectionLength {
		return nil, selectionErrorf("is longer than %d bytes in all", MaxSelectionLength)
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
// value as it is. Values are copied byte for byte, so amounts and numbers keep their exact text. raw
// is checked once, then walked by a scanner that allocates nothing: this runs for every delivery.
func (s selection) cut(buf *bytes.Buffer, raw []byte) error {
	if s == nil {
		buf.Write(raw)
		return nil
	}
	if !json.Valid(raw) {
		return errors.New("webhooks: payload is not JSON")
	}
	s.cutValid(buf, raw, skipSpace(raw, 0))
	return nil
}

// cutValid writes the cut of the valid JSON value starting at raw[i] and returns where it ends.
func (s selection) cutValid(buf *bytes.Buffer, raw []byte, i int) int {
	end := skipValue(raw, i)
	if s == nil {
		buf.Write(raw[i:end])
		return end
	}
	switch raw[i] {
	case '{':
		// The selected fields' spans, in the object's order, then written in the selection's.
		spans := make([][2]int, len(s))
		for j := skipSpace(raw, i+1); raw[j] != '}'; {
			kEnd := skipValue(raw, j)
			key := raw[j+1 : kEnd-1]
			v := skipSpace(raw, skipSpace(raw, kEnd)+1) // past the colon
			vEnd := skipValue(raw, v)
			for n, f := range s {
				if keyIs(key, f.name) {
					spans[n] = [2]int{v, vEnd}
				}
			}
			j = skipSpace(raw, vEnd)
			if raw[j] == ',' {
				j = skipSpace(raw, j+1)
			}
		}
		buf.WriteByte('{')
		first := true
		for n, f := range s {
			if spans[n][1] == 0 {
				continue
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			key, _ := json.Marshal(f.name)
			buf.Write(key)
			buf.WriteByte(':')
			f.sub.cutValid(buf, raw, spans[n][0])
		}
		buf.WriteByte('}')
	case '[':
		buf.WriteByte('[')
		for j, n := skipSpace(raw, i+1), 0; raw[j] != ']'; n++ {
			if n > 0 {
				buf.WriteByte(',')
			}
			j = skipSpace(raw, s.cutValid(buf, raw, j))
			if raw[j] == ',' {
				j = skipSpace(raw, j+1)
			}
		}
		buf.WriteByte(']')
	default:
		buf.Write(raw[i:end]) // null, or a scalar where an object was expected: nothing to cut
	}
	return end
}

// keyIs tells whether the raw key (between its quotes) is name; escaped keys are decoded first.
func keyIs(key []byte, name string) bool {
	if bytes.IndexByte(key, '\\') < 0 {
		return string(key) == name
	}
	var k string
	err := json.Unmarshal(append(append([]byte{'"'}, key...), '"'), &k)
	return err == nil && k == name
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the end of the valid JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		for i++; b[i] != '"'; i++ {
			if b[i] == '\\' {
				i++
			}
		}
		return i + 1
	case '{', '[':
		depth := 0
		for ; ; i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				i = skipValue(b, i) - 1
			}
		}
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\t' && b[i] != '\r' {
		i++
	}
	return i
}
