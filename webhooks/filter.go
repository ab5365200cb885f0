package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emporium/emporium/searchquery"
)

// A filter is Shopify's webhook filter: the search syntax (package searchquery) over the event's
// payload, "financial_status:paid", "variants.prices:>=10.00 AND status:active". Field names may be
// Shopify's snake_case or the payload's camelCase (financial_status is financialStatus); a dotted path
// goes into objects and across arrays, where any element matching is enough. A field holding money
// is compared by its amount. Numbers and amounts compare as exact decimals, everything else as text,
// case-insensitively.
type filter struct{ root searchquery.Node }

// parseFilter parses src and checks that its fields are the payload's (sh nil: not known, not checked).
func parseFilter(src string, sh *shape) (*filter, error) {
	root, err := searchquery.Parse(src)
	if err != nil {
		var se *searchquery.SyntaxError
		if errors.As(err, &se) {
			return nil, selectionErrorf("%s at position %d", se.Msg, se.Pos)
		}
		return nil, err
	}
	if root == nil {
		return nil, nil
	}
	if err := checkFilter(root, sh); err != nil {
		return nil, err
	}
	return &filter{root: root}, nil
}

func checkFilter(n searchquery.Node, sh *shape) error {
	switch n := n.(type) {
	case searchquery.And:
		for _, t := range n.Terms {
			if err := checkFilter(t, sh); err != nil {
				return err
			}
		}
	case searchquery.Or:
		for _, t := range n.Terms {
			if err := checkFilter(t, sh); err != nil {
				return err
			}
		}
	case searchquery.Not:
		return checkFilter(n.Term, sh)
	case searchquery.Term:
		if n.Field == "" {
			return selectionErrorf("term %q names no field (write field:value)", n.Value)
		}
		s, at := sh, ""
		for _, name := range strings.Split(n.Field, ".") {
			if s == nil || s.open {
				return nil
			}
			if at != "" {
				at += "."
			}
			at += name
			next, ok := s.fields[fieldKey(s, name)]
			if !ok {
				return selectionErrorf("names %s, which the payload does not have", at)
			}
			s = next
		}
	}
	return nil
}

// fieldKey is the JSON name of s's field written name, in either case style; "" if none.
func fieldKey(s *shape, name string) string {
	if _, ok := s.fields[name]; ok {
		return name
	}
	want := normalName(name)
	for k := range s.fields {
		if normalName(k) == want {
			return k
		}
	}
	return ""
}

// normalName makes financial_status and financialStatus the same.
func normalName(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "")) }

// matches evaluates f on the JSON payload.
func (f *filter) matches(payload []byte) (bool, error) {
	if f == nil {
		return true, nil
	}
	v, err := decodePayload(payload)
	if err != nil {
		return false, err
	}
	return f.eval(v), nil
}

// eval evaluates f on a payload decoded by decodePayload.
func (f *filter) eval(v any) bool { return f == nil || eval(f.root, v) }

// decodePayload decodes a payload for filters, numbers kept as their text.
func decodePayload(payload []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("filter: payload: %w", err)
	}
	return v, nil
}

func eval(n searchquery.Node, payload any) bool {
	switch n := n.(type) {
	case searchquery.And:
		for _, t := range n.Terms {
			if !eval(t, payload) {
				return false
			}
		}
		return true
	case searchquery.Or:
		for _, t := range n.Terms {
			if eval(t, payload) {
				return true
			}
		}
		return false
	case searchquery.Not:
		return !eval(n.Term, payload)
	case searchquery.Term:
		for _, v := range valuesAt(payload, strings.Split(n.Field, "."), nil) {
			if compare(v, n) {
				return true
			}
		}
	}
	return false
}

// valuesAt appends to out the values at path in v, across arrays.
func valuesAt(v any, path []string, out []any) []any {
	if arr, ok := v.([]any); ok {
		for _, e := range arr {
			out = valuesAt(e, path, out)
		}
		return out
	}
	if len(path) == 0 {
		if obj, ok := v.(map[string]any); ok {
			if amount, ok := obj["amount"]; ok { // money: its amount
				return append(out, amount)
			}
		}
		return append(out, v)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return out
	}
	if next, ok := obj[path[0]]; ok {
		return valuesAt(next, path[1:], out)
	}
	want := normalName(path[0])
	for k, next := range obj {
		if normalName(k) == want {
			return valuesAt(next, path[1:], out)
		}
	}
	return out
}

// compare tells whether the payload's value v satisfies the term.
func compare(v any, t searchquery.Term) bool {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = v.String()
	case bool:
		s = strconv.FormatBool(v)
	default:
		return false // null, or an object or array where a value was expected
	}
	if t.Prefix {
		return t.Op == searchquery.Eq && strings.HasPrefix(strings.ToLower(s), strings.ToLower(t.Value))
	}
	c, ok := compareDecimals(s, t.Value)
	if !ok {
		c = strings.Compare(strings.ToLower(s), strings.ToLower(t.Value))
	}
	switch t.Op {
	case searchquery.Gt:
		return c > 0
	case searchquery.Ge:
		return c >= 0
	case searchquery.Lt:
		return c < 0
	case searchquery.Le:
		return c <= 0
	}
	return c == 0
}

// compareDecimals compares two decimal numbers written as text ("10.5", "-3", "10.50"), exactly;
// ok is false unless both are decimals.
func compareDecimals(a, b string) (int, bool) {
	an, ai, af, ok := splitDecimal(a)
	if !ok {
		return 0, false
	}
	bn, bi, bf, ok := splitDecimal(b)
	if !ok {
		return 0, false
	}
	if ai == "" && af == "" {
		an = false // -0 is 0
	}
	if bi == "" && bf == "" {
		bn = false
	}
	if an != bn {
		if an {
			return -1, true
		}
		return 1, true
	}
	c := len(ai) - len(bi)
	if c == 0 {
		c = strings.Compare(ai, bi)
	}
	if c == 0 {
		n := max(len(af), len(bf))
		c = strings.Compare(af+strings.Repeat("0", n-len(af)), bf+strings.Repeat("0", n-len(bf)))
	}
	if c > 0 {
		c = 1
	} else if c < 0 {
		c = -1
	}
	if an {
		c = -c
	}
	return c, true
}

// splitDecimal splits s into its sign, integer digits without leading zeros and fraction digits without
// trailing zeros.
func splitDecimal(s string) (neg bool, whole, frac string, ok bool) {
	if s == "" {
		return false, "", "", false
	}
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || dot && (frac == "" || !digits(frac)) {
		return false, "", "", false
	}
	return neg, strings.TrimLeft(whole, "0"), strings.TrimRight(frac, "0"), true
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
