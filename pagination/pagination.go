// Package pagination validates Relay connection arguments and encodes keyset cursors. A cursor holds the
// sort key it was made for, the sort value of its row and the row's ID, so that the next page starts with
// an indexed range condition instead of an offset: page 1,000 costs what page 1 costs.
package pagination

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxPageSize is the largest first or last a connection accepts, as in the Storefront API.
const MaxPageSize = 250

// ErrInvalidArgs is wrapped by every error about connection arguments or cursors.
var ErrInvalidArgs = errors.New("invalid pagination arguments")

// Args are a connection field's arguments.
type Args struct {
	First, Last   *int
	After, Before *string
	Reverse       bool
}

// Window is a validated request for one page.
type Window struct {
	Limit int
	// Backward is true for last/before: rows are read in the opposite order and flipped back.
	Backward bool
	// Start, when set, is the cursor the page starts after (forward) or before (backward).
	Start *Cursor
	// End bounds the other side when both after and before are given.
	End *Cursor
}

// Cursor is the position of one row in an ordered list.
type Cursor struct {
	Key   string `json:"k"`
	Value string `json:"v,omitempty"`
	ID    int    `json:"i"`
}

// Encode returns the opaque string form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c) // a struct of strings and ints always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode parses an opaque cursor that must have been made for sortKey.
func Decode(s, sortKey string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: cursor %q is malformed", ErrInvalidArgs, s)
	}
	var c Cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID <= 0 {
		return Cursor{}, fmt.Errorf("%w: cursor %q is malformed", ErrInvalidArgs, s)
	}
	if c.Key != sortKey {
		return Cursor{}, fmt.Errorf("%w: cursor %q was made for sort key %s, not %s", ErrInvalidArgs, s, c.Key, sortKey)
	}
	return c, nil
}

// NewWindow validates a and decodes its cursors for sortKey.
func NewWindow(a Args, sortKey string) (Window, error) {
	switch {
	case a.First == nil && a.Last == nil:
		return Window{}, fmt.Errorf("%w: give either first or last", ErrInvalidArgs)
	case a.First != nil && a.Last != nil:
		return Window{}, fmt.Errorf("%w: give first or last, not both", ErrInvalidArgs)
	}
	w := Window{Backward: a.Last != nil}
	n := a.First
	if w.Backward {
		n = a.Last
	}
	if *n < 0 || *n > MaxPageSize {
		return Window{}, fmt.Errorf("%w: first and last must be between 0 and %d, got %d", ErrInvalidArgs, MaxPageSize, *n)
	}
	w.Limit = *n
	start, end := a.After, a.Before
	if w.Backward {
		start, end = a.Before, a.After
	}
	for _, p := range []struct {
		s   *string
		dst **Cursor
	}{{start, &w.Start}, {end, &w.End}} {
		if p.s == nil {
			continue
		}
		c, err := Decode(*p.s, sortKey)
		if err != nil {
			return Window{}, err
		}
		*p.dst = &c
	}
	return w, nil
}

// Info describes a fetched page for PageInfo.
type Info struct {
	HasNextPage, HasPreviousPage bool
}

// Trim cuts rows read with Limit+1 down to the page, flips backward pages into display order, and reports
// which neighbours exist. rows must be in read order.
func Trim[T any](w Window, rows []T) ([]T, Info) {
	more := len(rows) > w.Limit
	if more {
		rows = rows[:w.Limit]
	}
	if w.Backward {
		for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
			rows[i], rows[j] = rows[j], rows[i]
		}
		return rows, Info{HasPreviousPage: more, HasNextPage: w.Start != nil}
	}
	return rows, Info{HasNextPage: more, HasPreviousPage: w.Start != nil}
}
