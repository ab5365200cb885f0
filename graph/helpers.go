package graph

import (
	"context"
	"errors"
	"fmt"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/pagination"
)

func args(first *int, after *string, last *int, before *string, reverse *bool) pagination.Args {
	return pagination.Args{First: first, After: after, Last: last, Before: before, Reverse: reverse != nil && *reverse}
}

func pageInfo(info pagination.Info, cursors []string) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: info.HasNextPage, HasPreviousPage: info.HasPreviousPage}
	if len(cursors) > 0 {
		pi.StartCursor, pi.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return pi
}

// connection turns a page into the parts every connection type has: edges built by edge, the nodes
// (never null) and pageInfo.
func connection[T, E any](p catalog.Page[T], edge func(cursor string, node T) E) ([]E, []T, *model.PageInfo) {
	edges := make([]E, len(p.Rows))
	for i, r := range p.Rows {
		edges[i] = edge(p.Cursors[i], r)
	}
	nodes := p.Rows
	if nodes == nil {
		nodes = []T{}
	}
	return edges, nodes, pageInfo(p.Info, p.Cursors)
}

func productConnection(p catalog.Page[*ent.Product]) *model.ProductConnection {
	edges, nodes, info := connection(p, func(c string, n *ent.Product) *model.ProductEdge { return &model.ProductEdge{Cursor: c, Node: n} })
	return &model.ProductConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func variantConnection(p catalog.Page[*ent.ProductVariant]) *model.ProductVariantConnection {
	edges, nodes, info := connection(p, func(c string, n *ent.ProductVariant) *model.ProductVariantEdge {
		return &model.ProductVariantEdge{Cursor: c, Node: n}
	})
	return &model.ProductVariantConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func imageConnection(p catalog.Page[*ent.Image]) *model.ImageConnection {
	edges, nodes, info := connection(p, func(c string, n *ent.Image) *model.ImageEdge { return &model.ImageEdge{Cursor: c, Node: n} })
	return &model.ImageConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func collectionConnection(p catalog.Page[*ent.Collection]) *model.CollectionConnection {
	edges, nodes, info := connection(p, func(c string, n *ent.Collection) *model.CollectionEdge {
		return &model.CollectionEdge{Cursor: c, Node: n}
	})
	return &model.CollectionConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func pageConnection(p catalog.Page[*ent.Page]) *model.PageConnection {
	edges, nodes, info := connection(p, func(c string, n *ent.Page) *model.PageEdge { return &model.PageEdge{Cursor: c, Node: n} })
	return &model.PageConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

func seo(title, description string) *model.Seo {
	s := &model.Seo{}
	if title != "" {
		s.Title = &title
	}
	if description != "" {
		s.Description = &description
	}
	return s
}

// currencies returns the currency prices are shown in for this request and the shop's default, which
// stands in for a variant without a price in the former.
func currencies(ctx context.Context) (want, fallback string, err error) {
	shop, err := loaders.For(ctx).Shop(ctx)
	if err != nil {
		return "", "", fmt.Errorf("read shop: %w", err)
	}
	return shopCurrency(ctx, shop), shop.DefaultCurrency, nil
}

// shopCurrency picks the buyer's currency from @inContext(country:) when the shop prices in it.
func shopCurrency(ctx context.Context, shop *ent.Shop) string {
	if bc := BuyerContextFrom(ctx); bc.Country != "" {
		if cur, ok := money.CountryCurrency(bc.Country); ok {
			for _, enabled := range shop.Currencies {
				if enabled == cur {
					return cur
				}
			}
		}
	}
	return shop.DefaultCurrency
}

// variantPrices returns the price of each variant in the request's currency.
func variantPrices(ctx context.Context, variants []*ent.ProductVariant) ([]catalog.Price, string, error) {
	want, fallback, err := currencies(ctx)
	if err != nil {
		return nil, "", err
	}
	ids := make([]int, len(variants))
	for i, v := range variants {
		ids[i] = v.ID
	}
	lists, errs := loaders.For(ctx).PricesByVariant.LoadMany(ctx, ids)()
	if err := errors.Join(errs...); err != nil {
		return nil, "", err
	}
	prices := make([]catalog.Price, 0, len(variants))
	for _, l := range lists {
		if p, ok := catalog.PriceIn(l, want, fallback); ok {
			prices = append(prices, p)
		}
	}
	return prices, want, nil
}

func variantAvailability(ctx context.Context, v *ent.ProductVariant) (catalog.Availability, error) {
	stock, err := loaders.For(ctx).StockByVariant.Load(ctx, v.ID)()
	if err != nil {
		return catalog.Availability{}, err
	}
	return catalog.VariantAvailability(v, stock), nil
}

// decodeID parses a global ID of type typ; a malformed one is the caller's error.
func decodeID(id, typ string) (int, error) {
	n, err := gid.DecodeType(id, typ)
	if err != nil {
		return 0, userError(err)
	}
	return n, nil
}

// visibleProduct returns p when the viewer may see it: the storefront sees active, published products;
// staff and keys with READ_PRODUCTS see drafts and archived ones too.
func (r *Resolver) visibleProduct(ctx context.Context, p *ent.Product) *ent.Product {
	if p != nil && (r.catalog.Visible(p) || auth.ViewerFrom(ctx).Can(auth.ReadProducts)) {
		return p
	}
	return nil
}

// captureMode names when card authorizations are captured, for PaymentSettings.captureMode.
func captureMode(onFulfilment bool) *string {
	m := "COMPLETION"
	if onFulfilment {
		m = "FULFILMENT"
	}
	return &m
}
