package apikeys

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/apikey"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// List returns a page of keys, newest first.
func (s *Service) List(ctx context.Context, args pagination.Args) (keyset.Page[*ent.APIKey], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.APIKey]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := s.client.APIKey.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, apikey.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.APIKey]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.APIKey]{}, fmt.Errorf("apikeys: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(k *ent.APIKey) int { return k.ID })
}
