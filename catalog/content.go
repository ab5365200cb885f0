package catalog

import (
	"context"
	"fmt"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/menu"
	"github.com/emporium/emporium/ent/page"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// PageQuery asks for one page of content pages.
type PageQuery struct {
	Args    pagination.Args
	SortKey string // a PageSortKeys value
	Search  string
	// Unpublished includes pages the storefront does not show yet, for staff.
	Unpublished bool
}

// PageVisible reports whether the storefront may show p.
func (c *Catalog) PageVisible(p *ent.Page) bool {
	return p != nil && p.PublishedAt != nil && !p.PublishedAt.After(c.now())
}

// Pages returns one page of content pages: published ones unless q.Unpublished.
func (c *Catalog) Pages(ctx context.Context, q PageQuery) (keyset.Page[*ent.Page], error) {
	key := q.SortKey
	if key == "" || key == "RELEVANCE" {
		key = "ID"
	}
	w, err := pagination.NewWindow(q.Args, key)
	if err != nil {
		return keyset.Page[*ent.Page]{}, err
	}
	var (
		o       keyset.Order
		sortErr error
	)
	query := c.client.Page.Query().Modify(func(s *entsql.Selector) {
		if !q.Unpublished {
			s.Where(entsql.And(entsql.NotNull(s.C(page.FieldPublishedAt)), entsql.LTE(s.C(page.FieldPublishedAt), c.now())))
		}
		if text := titleSearch(q.Search); text != "" {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString("lower(" + s.C(page.FieldTitle) + ") LIKE ").Arg("%" + likeEscape(text) + "%").WriteString(" ESCAPE '\\'")
			}))
		}
		switch key {
		case "ID":
			o = keyset.Order{Key: key}
		case "TITLE":
			o = keyset.Order{Key: key, Expr: keyset.Column(s, page.FieldTitle), Kind: keyset.String,
				Value: func(r any) (string, error) { return r.(*ent.Page).Title, nil }}
		case "UPDATED_AT":
			o = keyset.Order{Key: key, Expr: keyset.Column(s, page.FieldUpdatedAt), Kind: keyset.Time,
				Value: func(r any) (string, error) { return keyset.FormatTime(r.(*ent.Page).UpdatedAt), nil }}
		default:
			sortErr = fmt.Errorf("%w: unknown page sort key %s", ErrInvalidInput, key)
			return
		}
		sortErr = o.Apply(s, w, q.Args.Reverse, page.FieldID)
	})
	if w.Limit == 0 {
		return keyset.Page[*ent.Page]{}, nil
	}
	rows, err := query.All(ctx)
	if sortErr != nil {
		return keyset.Page[*ent.Page]{}, sortErr
	}
	if err != nil {
		return keyset.Page[*ent.Page]{}, fmt.Errorf("catalog: list pages: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(p *ent.Page) int { return p.ID })
}

// PageByHandle returns the published page with handle, or nil.
func (c *Catalog) PageByHandle(ctx context.Context, handle string) (*ent.Page, error) {
	p, err := c.client.Page.Query().Where(page.Handle(handle)).Only(ctx)
	if ent.IsNotFound(err) || err == nil && !c.PageVisible(p) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: page %q: %w", handle, err)
	}
	return p, nil
}

// MenuByHandle returns the menu with handle, or nil.
func (c *Catalog) MenuByHandle(ctx context.Context, handle string) (*ent.Menu, error) {
	m, err := c.client.Menu.Query().Where(menu.Handle(handle)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: menu %q: %w", handle, err)
	}
	return m, nil
}

// titleSearch reads the simple queries collections and pages accept: free text or title:text.
func titleSearch(q string) string {
	q = strings.TrimSpace(q)
	q = strings.TrimPrefix(q, "title:")
	return strings.ToLower(strings.Trim(q, `"*`))
}
