package journal

import (
	"context"
	"fmt"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/journalentry"
	"github.com/emporium/emporium/ent/journalline"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// pageKey is the sort key journal cursors are made for: posting time, then entry ID, the order of the
// (created_at, id) index, so that a page deep in the books costs what the first one costs.
const pageKey = "POSTED_AT"

// EntryPage is one page of the journal: entries with their lines, oldest first.
type EntryPage = keyset.Page[*ent.JournalEntry]

// EntriesPage is one page of the entries posted in [from, to), oldest first, each with its lines in
// posting order. Pages are keyset pages over (posted at, ID): a page is two SQL statements (the entries,
// then the lines of all of them), whatever its size. A malformed cursor or page size wraps
// pagination.ErrInvalidArgs.
func EntriesPage(ctx context.Context, c *ent.Client, from, to time.Time, args pagination.Args) (EntryPage, error) {
	w, err := pagination.NewWindow(args, pageKey)
	if err != nil {
		return EntryPage{}, err // the caller's mistake, shown to them as it is
	}
	if w.Limit == 0 || !from.Before(to) {
		return EntryPage{Info: pagination.Info{HasPreviousPage: w.Start != nil}}, nil
	}
	var applyErr error
	q := c.JournalEntry.Query().
		Where(journalentry.CreatedAtGTE(from.UTC()), journalentry.CreatedAtLT(to.UTC())).
		WithLines(func(q *ent.JournalLineQuery) { q.Order(ent.Asc(journalline.FieldID)) }).
		Modify(func(s *entsql.Selector) {
			o := entryOrder(s)
			applyErr = o.Apply(s, w, false, journalentry.FieldID)
		})
	rows, err := q.All(ctx)
	if applyErr != nil {
		return EntryPage{}, applyErr // a cursor value that does not parse: the caller's too
	}
	if err != nil {
		return EntryPage{}, fmt.Errorf("journal: entries page: %w", err)
	}
	return keyset.NewPage(w, entryOrder(nil), rows, func(e *ent.JournalEntry) int { return e.ID })
}

// entryOrder sorts entries by posting time, then ID. s is the selector the order is applied to; NewPage
// needs only the key and the cursor value, so it may be nil there.
func entryOrder(s *entsql.Selector) keyset.Order {
	o := keyset.Order{Key: pageKey, Kind: keyset.Time,
		Value: func(r any) (string, error) { return keyset.FormatTime(r.(*ent.JournalEntry).CreatedAt), nil }}
	if s != nil {
		o.Expr = keyset.Column(s, journalentry.FieldCreatedAt)
	}
	return o
}

// OrderName is the name staff know the order of an entry by (#1001), as orders.Name gives it.
func OrderName(orderID int) string { return orderName(&ent.Order{ID: orderID}) }

// AccountType is the type of the chart's account for role r (ASSET, LIABILITY, REVENUE, EXPENSE), or ""
// for a role the chart no longer has.
func AccountType(r Role) string {
	for _, a := range DefaultChart {
		if a.Role == r {
			return a.Type
		}
	}
	return ""
}
