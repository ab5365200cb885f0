package storefronttokens

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/storefrontaccesstoken"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// List returns a page of tokens, newest first.
func (s *Service) List(ctx context.Context, args pagination.Args) (keyset.Page[*ent.StorefrontAccessToken], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.StorefrontAccessToken]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := s.client.StorefrontAccessToken.Query().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, storefrontaccesstoken.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.StorefrontAccessToken]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.StorefrontAccessToken]{}, fmt.Errorf("storefronttokens: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(t *ent.StorefrontAccessToken) int { return t.ID })
}
