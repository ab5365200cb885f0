package graph

import (
	"context"

	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
)

// maxNodes bounds nodes(ids:), like a connection's page size.
const maxNodes = 250

// node resolves a global ID to the object, or nil when it does not exist or is not visible.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	ref, err := gid.Decode(id)
	if err != nil {
		return nil, userError(err)
	}
	l := loaders.For(ctx)
	switch ref.Type {
	case "Product":
		p, err := l.Product.Load(ctx, ref.ID)()
		if err != nil || r.visibleProduct(p) == nil {
			return nil, err
		}
		return p, nil
	case "ProductVariant":
		v, err := l.Variant.Load(ctx, ref.ID)()
		if err != nil || v == nil {
			return nil, err
		}
		p, err := l.Product.Load(ctx, v.ProductID)()
		if err != nil || r.visibleProduct(p) == nil {
			return nil, err
		}
		return v, nil
	case "ProductOption":
		o, err := l.Option.Load(ctx, ref.ID)()
		if err != nil || o == nil {
			return nil, err
		}
		p, err := l.Product.Load(ctx, o.ProductID)()
		if err != nil || r.visibleProduct(p) == nil {
			return nil, err
		}
		return o, nil
	case "Collection":
		c, err := l.Collection.Load(ctx, ref.ID)()
		if err != nil || c == nil {
			return nil, err
		}
		return c, nil
	case "Page":
		p, err := l.Page.Load(ctx, ref.ID)()
		if err != nil || !r.catalog.PageVisible(p) {
			return nil, err
		}
		return p, nil
	case "Menu":
		m, err := r.client.Menu.Get(ctx, ref.ID)
		if err != nil {
			return nil, nil
		}
		return m, nil
	case "Shop":
		s, err := l.Shop(ctx)
		if err != nil || s == nil || s.ID != ref.ID {
			return nil, err
		}
		return s, nil
	}
	return nil, nil
}
