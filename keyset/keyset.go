// Package keyset pages through ordered rows by position instead of offset: the next page starts with an
// indexed range condition on (sort value, ID), so a page deep in a large table costs what page 1 costs.
// Rows already in memory page the same way.
package keyset

import (
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/pagination"
)

// Order is one way of sorting a table for keyset pagination: a sort expression (nil for the ID alone)
// with the row ID as tie-breaker, both in the same direction so that one composite index serves both.
type Order struct {
	Key   string                        // the sort key a cursor is tied to
	Expr  func(*sql.Builder)            // the sort value; nil when sorting by ID
	Desc  bool                          // the natural direction of the key
	Kind  ValueKind                     // how a cursor's value is parsed back
	Value func(row any) (string, error) // the cursor value of a row
}

// ValueKind says how a cursor value is parsed back.
type ValueKind int

const (
	None ValueKind = iota
	String
	Int
	Time
	Float
)

// Parse turns a cursor value back into a typed SQL argument.
func (k ValueKind) Parse(s string) (any, error) {
	var (
		v   any
		err error
	)
	switch k {
	case String:
		v = s
	case Int:
		v, err = strconv.ParseInt(s, 10, 64)
	case Time:
		var t time.Time
		t, err = time.Parse(time.RFC3339Nano, s)
		v = t.UTC()
	case Float:
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cursor value %q is malformed", pagination.ErrInvalidArgs, s)
	}
	return v, nil
}

// FormatTime is the cursor form of a time.
func FormatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// readDesc is the direction rows are read in for window w: backward pages read against the display order.
func (o Order) readDesc(w pagination.Window, reverse bool) bool {
	d := o.Desc != reverse
	if w.Backward {
		d = !d
	}
	return d
}

// Column returns an expression for a column of the selector's table.
func Column(s *sql.Selector, name string) func(*sql.Builder) {
	c := s.C(name)
	return func(b *sql.Builder) { b.WriteString(c) }
}

// Apply adds the keyset bounds and the ordering of window w to s.
func (o Order) Apply(s *sql.Selector, w pagination.Window, reverse bool, id string) error {
	desc := o.readDesc(w, reverse)
	idCol := s.C(id)
	bound := func(c *pagination.Cursor, after bool) error {
		if c == nil {
			return nil
		}
		op := ">"
		if desc == after {
			op = "<"
		}
		if o.Expr == nil {
			s.Where(sql.P(func(b *sql.Builder) { b.WriteString(idCol + " " + op + " ").Arg(c.ID) }))
			return nil
		}
		v, err := o.Kind.Parse(c.Value)
		if err != nil {
			return err
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(")
			o.Expr(b)
			b.WriteString(", " + idCol + ") " + op + " (").Arg(v).Comma().Arg(c.ID).WriteString(")")
		}))
		return nil
	}
	if err := bound(w.Start, true); err != nil {
		return err
	}
	if err := bound(w.End, false); err != nil {
		return err
	}
	dir := ""
	if desc {
		dir = " DESC"
	}
	if o.Expr != nil {
		s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) { o.Expr(b); b.WriteString(dir) }))
	}
	s.OrderExpr(sql.Expr(idCol + dir))
	s.Limit(w.Limit + 1)
	return nil
}

// Page is one page of a connection: rows in display order, their cursors, and the neighbours' existence.
type Page[T any] struct {
	Rows    []T
	Cursors []string
	Info    pagination.Info
}

// NewPage trims rows read for w and makes their cursors.
func NewPage[T any](w pagination.Window, o Order, rows []T, id func(T) int) (Page[T], error) {
	rows, info := pagination.Trim(w, rows)
	p := Page[T]{Rows: rows, Cursors: make([]string, len(rows)), Info: info}
	for i, r := range rows {
		c := pagination.Cursor{Key: o.Key, ID: id(r)}
		if o.Value != nil {
			v, err := o.Value(r)
			if err != nil {
				return Page[T]{}, err
			}
			c.Value = v
		}
		p.Cursors[i] = c.Encode()
	}
	return p, nil
}

// sliceByPosition pages through rows already held in memory (a product's variants or images), sorted by
// (position, id) ascending.
func sliceByPosition[T any](w pagination.Window, key string, reverse bool, rows []T, pos func(T) (int64, int)) Page[T] {
	desc := reverse
	if w.Backward {
		desc = !desc
	}
	cmp := func(r T, c *pagination.Cursor) int {
		p, id := pos(r)
		cv, _ := strconv.ParseInt(c.Value, 10, 64)
		switch {
		case p != cv:
			if p < cv {
				return -1
			}
			return 1
		case id != c.ID:
			if id < c.ID {
				return -1
			}
			return 1
		}
		return 0
	}
	// ahead is the sign of cmp for a row that comes later in read order.
	ahead := 1
	if desc {
		ahead = -1
	}
	read := make([]T, 0, min(len(rows), w.Limit+1))
	for i := range rows {
		r := rows[i]
		if desc {
			r = rows[len(rows)-1-i]
		}
		if w.Start != nil && cmp(r, w.Start)*ahead <= 0 {
			continue
		}
		if w.End != nil && cmp(r, w.End)*ahead >= 0 {
			break
		}
		read = append(read, r)
		if len(read) > w.Limit {
			break
		}
	}
	rows, info := pagination.Trim(w, read)
	p := Page[T]{Rows: rows, Cursors: make([]string, len(rows)), Info: info}
	for i, r := range rows {
		v, id := pos(r)
		p.Cursors[i] = pagination.Cursor{Key: key, Value: strconv.FormatInt(v, 10), ID: id}.Encode()
	}
	return p
}

// InMemory pages through rows already in display order; a row's cursor value is its rank in it.
func InMemory[T any](sorted []T, args pagination.Args, key string, id func(T) int) (Page[T], error) {
	w, err := pagination.NewWindow(args, key)
	if err != nil {
		return Page[T]{}, err
	}
	rank := make(map[int]int64, len(sorted))
	for i, r := range sorted {
		rank[id(r)] = int64(i)
	}
	return sliceByPosition(w, key, args.Reverse, sorted, func(r T) (int64, int) { return rank[id(r)], id(r) }), nil
}
