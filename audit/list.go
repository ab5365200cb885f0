package audit

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	gen "github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/auditentry"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// List returns a page of entries, newest first.
func List(ctx context.Context, client *gen.Client, args pagination.Args) (keyset.Page[*gen.AuditEntry], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*gen.AuditEntry]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := client.AuditEntry.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, auditentry.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*gen.AuditEntry]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*gen.AuditEntry]{}, fmt.Errorf("audit: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(e *gen.AuditEntry) int { return e.ID })
}
