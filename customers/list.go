package customers

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// List returns a page of customers for staff, newest first; search matches email and names.
func (s *Service) List(ctx context.Context, args pagination.Args, search string) (keyset.Page[*ent.Customer], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.Customer]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	q := s.client.Customer.Query().Modify(func(sel *sql.Selector) {
		if term := strings.ToLower(strings.TrimSpace(search)); term != "" {
			pattern := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term) + "%"
			var ors []*sql.Predicate
			for _, col := range []string{customer.FieldEmail, customer.FieldFirstName, customer.FieldLastName} {
				ors = append(ors, sql.P(func(b *sql.Builder) {
					b.WriteString("lower(" + sel.C(col) + ") LIKE ").Arg(pattern).WriteString(` ESCAPE '\'`)
				}))
			}
			sel.Where(sql.Or(ors...))
		}
		applyErr = o.Apply(sel, w, args.Reverse, customer.FieldID)
	})
	rows, err := q.All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.Customer]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.Customer]{}, fmt.Errorf("customers: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(c *ent.Customer) int { return c.ID })
}
