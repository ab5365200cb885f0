package graph

import (
	"context"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
)

// visiblePage returns p if the caller may see it: the storefront sees published pages, staff who manage
// content see every page, so that they can find and edit drafts.
func (r *Resolver) visiblePage(ctx context.Context, p *ent.Page) *ent.Page {
	if p != nil && (r.catalog.PageVisible(p) || auth.ViewerFrom(ctx).Can(auth.ManageContent)) {
		return p
	}
	return nil
}
