package graph

import (
	"context"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/loaders"
)

// menuChildren returns the items directly under parent (the menu's top level when nil). A menu's items
// are read in one batch and the tree is walked in memory.
func menuChildren(ctx context.Context, menuID int, parent *int) ([]*ent.MenuItem, error) {
	items, err := loaders.For(ctx).MenuItemsByMenu.Load(ctx, menuID)()
	if err != nil {
		return nil, err
	}
	out := []*ent.MenuItem{}
	for _, it := range items {
		if parent == nil && it.ParentID == nil || parent != nil && it.ParentID != nil && *it.ParentID == *parent {
			out = append(out, it)
		}
	}
	return out, nil
}
