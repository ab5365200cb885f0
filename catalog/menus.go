package catalog

import (
	"context"
	"fmt"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/menu"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// Menus returns a page of every menu by ID, for staff.
func (c *Catalog) Menus(ctx context.Context, args pagination.Args) (keyset.Page[*ent.Menu], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.Menu]{}, err
	}
	o := keyset.Order{Key: "ID"}
	var applyErr error
	rows, err := c.client.Menu.Query().Modify(func(s *entsql.Selector) {
		applyErr = o.Apply(s, w, args.Reverse, menu.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.Menu]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.Menu]{}, fmt.Errorf("catalog: list menus: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(m *ent.Menu) int { return m.ID })
}
