package catalog

import (
	"fmt"
	"strconv"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/pagination"
)

// order is one way of sorting a table for keyset pagination: a sort expression (nil for the ID alone)
// with the row ID as tie-breaker, both in the same direction so that one composite index serves both.
type order struct {
	key  string                        // the sort key a cursor is tied to
	expr func(*sql.Builder)            // the sort value; nil when sorting by ID
	desc bool                          // the natural direction of the key
	kind valueKind                     // how a cursor's value is parsed back
	val  func(row any) (string, error) // the cursor value of a row
}

type valueKind int

const (
	kindNone valueKind = iota
	kindString
	kindInt
	kindTime
	kindFloat
)

// parse turns a cursor value back into a typed SQL argument.
func (k valueKind) parse(s string) (any, error) {
	var (
		v   any
		err error
	)
	switch k {
	case kindString:
		v = s
	case kindInt:
		v, err = strconv.ParseInt(s, 10, 64)
	case kindTime:
		var t time.Time
		t, err = time.Parse(time.RFC3339Nano, s)
		v = t.UTC()
	case kindFloat:
		v, err = strconv.ParseFloat(s, 64)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: cursor value %q is malformed", ErrInvalidInput, s)
	}
	return v, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// readDesc is the direction rows are read in for window w: backward pages read against the display order.
func (o order) readDesc(w pagination.Window, reverse bool) bool {
	d := o.desc != reverse
	if w.Backward {
		d = !d
	}
	return d
}

// column returns an expression for a column of the selector's table.
func column(s *sql.Selector, name string) func(*sql.Builder) {
	c := s.C(name)
	return func(b *sql.Builder) { b.WriteString(c) }
}

// apply adds the keyset bounds and the ordering of window w to s.
func (o order) apply(s *sql.Selector, w pagination.Window, reverse bool, id string) error {
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
		if o.expr == nil {
			s.Where(sql.P(func(b *sql.Builder) { b.WriteString(idCol + " " + op + " ").Arg(c.ID) }))
			return nil
		}
		v, err := o.kind.parse(c.Value)
		if err != nil {
			return err
		}
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(")
			o.expr(b)
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
	if o.expr != nil {
		s.OrderExpr(sql.ExprFunc(func(b *sql.Builder) { o.expr(b); b.WriteString(dir) }))
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

// newPage trims rows read for w and makes their cursors.
func newPage[T any](w pagination.Window, o order, rows []T, id func(T) int) (Page[T], error) {
	rows, info := pagination.Trim(w, rows)
	p := Page[T]{Rows: rows, Cursors: make([]string, len(rows)), Info: info}
	for i, r := range rows {
		c := pagination.Cursor{Key: o.key, ID: id(r)}
		if o.val != nil {
			v, err := o.val(r)
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
