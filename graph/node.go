package graph

import (
	"context"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customeraddress"
	"github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
)

// maxNodes bounds nodes(ids:), like a connection's page size.
const maxNodes = 250

// node resolves a global ID to the object, or nil when it does not exist or is not visible.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	ref, err := gid.Decode(id)
	if gid.Foreign(id) {
		return nil, nil // another shop's object (a storefront moved from Shopify), as for one of ours that is gone
	}
	if err != nil {
		return nil, userError(err)
	}
	l := loaders.For(ctx)
	switch ref.Type {
	case "Product":
		p, err := l.Product.Load(ctx, ref.ID)()
		if err != nil || r.visibleProduct(ctx, p) == nil {
			return nil, err
		}
		return p, nil
	case "ProductVariant":
		v, err := l.Variant.Load(ctx, ref.ID)()
		if err != nil || v == nil {
			return nil, err
		}
		p, err := l.Product.Load(ctx, v.ProductID)()
		if err != nil || r.visibleProduct(ctx, p) == nil {
			return nil, err
		}
		return v, nil
	case "ProductOption":
		o, err := l.Option.Load(ctx, ref.ID)()
		if err != nil || o == nil {
			return nil, err
		}
		p, err := l.Product.Load(ctx, o.ProductID)()
		if err != nil || r.visibleProduct(ctx, p) == nil {
			return nil, err
		}
		return o, nil
	case ent.DefaultOptionType:
		p, err := l.Product.Load(ctx, ref.ID)()
		if err != nil || r.visibleProduct(ctx, p) == nil {
			return nil, err
		}
		opts, err := l.OptionsByProduct.Load(ctx, p.ID)()
		if err != nil || len(opts) > 0 {
			return nil, err
		}
		return catalog.DefaultOption(p.ID), nil
	case "Collection":
		c, err := l.Collection.Load(ctx, ref.ID)()
		if err != nil || c == nil {
			return nil, err
		}
		return c, nil
	case "Page":
		p, err := l.Page.Load(ctx, ref.ID)()
		if err != nil || r.visiblePage(ctx, p) == nil {
			return nil, err
		}
		return p, nil
	case "Menu":
		return nilIfNotFound(r.client.Menu.Get(ctx, ref.ID))
	case "Customer", "MailingAddress", "StaffMember", "PermissionGroup", "ApiKey", "StorefrontAccessToken", "Order", "Fulfillment", "Refund":
		return r.privateNode(ctx, ref)
	case "Shop":
		s, err := l.Shop(ctx)
		if err != nil || s == nil || s.ID != ref.ID {
			return nil, err
		}
		return s, nil
	}
	return nil, nil
}

// privateNode resolves the IDs of people and credentials: a customer reaches only itself and its own
// addresses; staff and keys need the permission for the kind. Anything else is null, whether or not it
// exists, so that IDs cannot be probed.
func (r *Resolver) privateNode(ctx context.Context, ref gid.ID) (model.Node, error) {
	v := auth.ViewerFrom(ctx)
	switch ref.Type {
	case "Customer":
		if v.Kind == auth.Customer && v.ID == ref.ID || v.Can(auth.ReadCustomers) {
			return nilIfNotFound(r.client.Customer.Get(ctx, ref.ID))
		}
	case "MailingAddress":
		q := r.client.CustomerAddress.Query().Where(customeraddress.ID(ref.ID))
		switch {
		case v.Kind == auth.Customer:
			q = q.Where(customeraddress.CustomerID(v.ID))
		case !v.Can(auth.ReadCustomers):
			return nil, nil
		}
		return nilIfNotFound(q.Only(ctx))
	case "StaffMember":
		if v.Kind == auth.Staff && v.ID == ref.ID || v.Can(auth.ManageStaff) {
			return nilIfNotFound(r.client.StaffMember.Get(ctx, ref.ID))
		}
	case "PermissionGroup":
		if v.Can(auth.ManageStaff) {
			return nilIfNotFound(r.client.PermissionGroup.Get(ctx, ref.ID))
		}
	case "ApiKey":
		if v.Can(auth.ManageApps) {
			return nilIfNotFound(r.client.APIKey.Get(ctx, ref.ID))
		}
	case "StorefrontAccessToken":
		if v.Can(auth.ManageApps) {
			return nilIfNotFound(r.client.StorefrontAccessToken.Get(ctx, ref.ID))
		}
	case "Order":
		q := r.client.Order.Query().Where(order.ID(ref.ID))
		switch {
		case v.Kind == auth.Customer:
			q = q.Where(order.CustomerID(v.ID))
		case !v.Can(auth.ReadOrders):
			return nil, nil
		}
		return nilIfNotFound(q.Only(ctx))
	case "Fulfillment":
		if v.Can(auth.ReadOrders) {
			return nilIfNotFound(r.client.Fulfillment.Get(ctx, ref.ID))
		}
	case "Refund":
		if v.Can(auth.ReadOrders) {
			return nilIfNotFound(r.client.Refund.Get(ctx, ref.ID))
		}
	}
	return nil, nil
}

func nilIfNotFound[T model.Node](n T, err error) (model.Node, error) {
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}
