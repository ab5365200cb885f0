package graph

import (
	"context"
	"errors"

	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

func cartToken(id string) (string, error) {
	token, err := gid.DecodeKey(id, "Cart")
	if err != nil {
		return "", userError(err)
	}
	return token, nil
}

var cartNotFound = []*model.CartUserError{{Field: []string{"cartId"}, Message: "The specified cart does not exist.", Code: ptr(carts.CodeInvalid)}}

// changeCart runs a cart mutation and shapes its result for a payload.
func (r *Resolver) changeCart(ctx context.Context, id string, fn func(token string) (*ent.Cart, []*model.CartUserError, error)) (*ent.Cart, []*model.CartUserError, error) {
	token, err := cartToken(id)
	if err != nil {
		return nil, nil, err
	}
	c, errs, err := fn(token)
	if errors.Is(err, carts.ErrNotFound) {
		return nil, cartNotFound, nil
	}
	if err != nil {
		return nil, nil, err
	}
	r.prefetchCart(ctx, c)
	return c, errs, nil
}

// prefetchCart loads the variants and prices of a cart's lines in one statement each.
func (r *Resolver) prefetchCart(ctx context.Context, c *ent.Cart) {
	if c == nil {
		return
	}
	var ids []int
	for _, l := range carts.LinesOf(c) {
		ids = append(ids, l.VariantID)
	}
	if len(ids) == 0 {
		return
	}
	l := loaders.For(ctx)
	_, _ = l.Variant.Prefetch(ctx, ids)
	_, _ = l.PricesByVariant.Prefetch(ctx, ids)
}

func (r *Resolver) lineCost(ctx context.Context, c *ent.Cart, l *ent.CartLine) (carts.LineCost, error) {
	prices, err := loaders.For(ctx).PricesByVariant.Load(ctx, l.VariantID)()
	if err != nil {
		return carts.LineCost{}, err
	}
	return carts.CostOfLine(l, prices, c.Currency)
}

func cartUserErrors(errs validation.Errors) []*model.CartUserError {
	out := make([]*model.CartUserError, len(errs))
	for i, e := range errs {
		out[i] = &model.CartUserError{Field: e.Field, Message: e.Message}
		if e.Code != "" {
			out[i].Code = ptr(e.Code)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func attributes(in []*model.AttributeInput) []schema.Attribute {
	if in == nil {
		return nil
	}
	out := make([]schema.Attribute, len(in))
	for i, a := range in {
		out[i] = schema.Attribute{Key: a.Key, Value: a.Value}
	}
	return out
}

func findAttribute(attrs []schema.Attribute, key string) *schema.Attribute {
	for i := range attrs {
		if attrs[i].Key == key {
			return &attrs[i]
		}
	}
	return nil
}

func cartLineInputs(in []*model.CartLineInput) ([]carts.LineInput, error) {
	out := make([]carts.LineInput, len(in))
	for i, l := range in {
		v, err := decodeID(l.MerchandiseID, "ProductVariant")
		if err != nil {
			return nil, err
		}
		q := 1
		if l.Quantity != nil {
			q = *l.Quantity
		}
		out[i] = carts.LineInput{VariantID: v, Quantity: q, Attributes: attributes(l.Attributes)}
	}
	return out, nil
}

func buyerInput(b model.CartBuyerIdentityInput) carts.BuyerInput {
	return carts.BuyerInput{Email: b.Email, Phone: b.Phone, CountryCode: b.CountryCode, CustomerAccessToken: b.CustomerAccessToken}
}

func catalogPageByID[T any](rows []T, a pagination.Args, id func(T) int) (catalog.Page[T], error) {
	return catalog.PageByID(rows, a, id)
}
