// Package catalog answers the storefront's catalog questions: which products, collections and pages are
// visible, in which order, matching which search, and the batched look-ups behind every nested field.
package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/keyset"
)

// ErrInvalidInput is wrapped by errors caused by the caller's arguments (a bad search query, a bad cursor).
var ErrInvalidInput = errors.New("invalid input")

// Querier runs hand-written SQL; database.CountingDriver implements it.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Catalog reads the catalog. It is safe for concurrent use.
type Catalog struct {
	client   *ent.Client
	db       Querier
	postgres bool
	now      func() time.Time
	memos    memos
	// events records products/create, products/update and products/delete in each change's transaction.
	events *events.Recorder
}

// New returns a Catalog over client; db runs the queries ent cannot express, in the dialect named by
// postgres. Product changes are announced through rec.
func New(client *ent.Client, db Querier, postgres bool, rec *events.Recorder) *Catalog {
	return &Catalog{client: client, db: db, postgres: postgres, now: func() time.Time { return time.Now().UTC() }, events: rec}
}

// Visible reports whether the storefront may show p: active and published.
func (c *Catalog) Visible(p *ent.Product) bool { return OnSale(p, c.now()) }

// OnSale reports whether p is active and published at now: what the storefront shows and sells.
func OnSale(p *ent.Product, now time.Time) bool {
	return p != nil && p.Status == product.StatusACTIVE && p.PublishedAt != nil && !p.PublishedAt.After(now)
}

// Truncate cuts plain text at n characters (runes), adding an ellipsis, as description(truncateAt:) does.
func Truncate(s string, n *int) string {
	if n == nil || *n < 0 {
		return s
	}
	r := []rune(s)
	if len(r) <= *n {
		return s
	}
	return strings.TrimRight(string(r[:*n]), " ") + "…"
}

// rawQuery builds hand-written SQL with the dialect's placeholders.
type rawQuery struct {
	postgres bool
	sb       strings.Builder
	args     []any
}

func (q *rawQuery) arg(v any) string {
	q.args = append(q.args, v)
	if q.postgres {
		return "$" + strconv.Itoa(len(q.args))
	}
	return "?"
}

func (q *rawQuery) ints(ids []int) string {
	ph := make([]string, len(ids))
	for i, id := range ids {
		ph[i] = q.arg(id)
	}
	return strings.Join(ph, ", ")
}

func (q *rawQuery) write(parts ...string) {
	for _, p := range parts {
		q.sb.WriteString(p)
	}
}

func (c *Catalog) raw() *rawQuery { return &rawQuery{postgres: c.postgres} }

func (c *Catalog) run(ctx context.Context, q *rawQuery, scan func(*sql.Rows) error) error {
	rows, err := c.db.QueryContext(ctx, q.sb.String(), q.args...)
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("catalog: scan: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// Page is one page of a connection.
type Page[T any] = keyset.Page[T]

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
