// Package gid encodes and decodes Emporium's global IDs, gid://emporium/<Type>/<id>.
package gid

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

const prefix = "gid://emporium/"

// ErrMalformed is returned for an ID that is not a well-formed Emporium global ID.
var ErrMalformed = errors.New("malformed global ID")

// ID is a decoded global ID.
type ID struct {
	Type string
	ID   int
}

// Encode returns the global ID of the object typ with numeric id.
func Encode(typ string, id int) string { return prefix + typ + "/" + strconv.Itoa(id) }

// Decode parses a global ID.
func Decode(s string) (ID, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return ID{}, fmt.Errorf("%w: %q", ErrMalformed, s)
	}
	typ, num, ok := strings.Cut(rest, "/")
	if !ok || typ == "" {
		return ID{}, fmt.Errorf("%w: %q", ErrMalformed, s)
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || strconv.Itoa(n) != num {
		return ID{}, fmt.Errorf("%w: %q", ErrMalformed, s)
	}
	return ID{Type: typ, ID: n}, nil
}

// Foreign reports whether s is a well-formed global ID of another application, such as a Shopify
// store's gid://shopify/Product/1: it names nothing here, but is not malformed either.
func Foreign(s string) bool {
	rest, ok := strings.CutPrefix(s, "gid://")
	if !ok || strings.HasPrefix(s, prefix) {
		return false
	}
	app, rest, ok := strings.Cut(rest, "/")
	if !ok || app == "" {
		return false
	}
	typ, key, ok := strings.Cut(rest, "/")
	return ok && typ != "" && key != ""
}

// DecodeType parses a global ID that must name an object of type typ.
func DecodeType(s, typ string) (int, error) {
	id, err := Decode(s)
	if err != nil {
		return 0, err
	}
	if id.Type != typ {
		return 0, fmt.Errorf("%w: %q is not a %s ID", ErrMalformed, s, typ)
	}
	return id.ID, nil
}

// EncodeKey returns the global ID of an object keyed by a token rather than a number, such as a cart.
func EncodeKey(typ, key string) string { return prefix + typ + "/" + key }

// DecodeKey parses a global ID of type typ whose key is a token of letters and digits.
func DecodeKey(s, typ string) (string, error) {
	rest, ok := strings.CutPrefix(s, prefix+typ+"/")
	if !ok || len(rest) < 16 || len(rest) > 64 {
		return "", fmt.Errorf("%w: %q is not a %s ID", ErrMalformed, s, typ)
	}
	for _, r := range rest {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return "", fmt.Errorf("%w: %q is not a %s ID", ErrMalformed, s, typ)
		}
	}
	return rest, nil
}
