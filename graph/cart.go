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
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/shipping"
	"github.com/emporium/emporium/tax"
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

func attributeInputs(in []*model.AttributeInput) []schema.Attribute {
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
		out[i] = carts.LineInput{VariantID: v, Quantity: q, Attributes: attributeInputs(l.Attributes)}
	}
	return out, nil
}

func buyerInput(b model.CartBuyerIdentityInput) carts.BuyerInput {
	return carts.BuyerInput{Email: b.Email, Phone: b.Phone, CountryCode: b.CountryCode, CustomerAccessToken: b.CustomerAccessToken}
}

func catalogPageByID[T any](rows []T, a pagination.Args, id func(T) int) (catalog.Page[T], error) {
	return catalog.PageByID(rows, a, id)
}

// deliveryGroup quotes the cart's delivery from the request's loaders (prefetched for the cart).
func (r *Resolver) deliveryGroup(ctx context.Context, c *ent.Cart) (*carts.Group, error) {
	l := loaders.For(ctx)
	ids := make([]int, len(carts.LinesOf(c)))
	for i, line := range carts.LinesOf(c) {
		ids[i] = line.VariantID
	}
	variants, err := l.Variant.Prefetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	prices, err := l.PricesByVariant.Prefetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	zones, err := l.ShippingZones(ctx)
	if err != nil {
		return nil, err
	}
	return carts.Quote(c, variants, prices, zones)
}

func deliveryOption(o shipping.Option) *model.CartDeliveryOption {
	cost := o.Cost
	title := o.Title
	return &model.CartDeliveryOption{Handle: o.Handle, Title: &title, Code: &o.Handle, DeliveryMethodType: "SHIPPING", EstimatedCost: &cost}
}

func cartAddressInput(a *model.CartAddressInput, selected, oneTimeUse *bool) (carts.AddressInput, error) {
	in := carts.AddressInput{Selected: selected, OneTimeUse: oneTimeUse}
	if a == nil {
		return in, nil
	}
	if a.CopyFromCustomerAddressID != nil {
		id, err := decodeID(*a.CopyFromCustomerAddressID, "MailingAddress")
		if err != nil {
			return in, err
		}
		in.CopyFromCustomerAddressID = &id
	}
	if d := a.DeliveryAddress; d != nil {
		in.Address = &carts.DeliveryAddress{FirstName: d.FirstName, LastName: d.LastName, Company: d.Company, Address1: d.Address1,
			Address2: d.Address2, City: d.City, ProvinceCode: d.ProvinceCode, CountryCode: d.CountryCode, Zip: d.Zip, Phone: d.Phone}
	}
	return in, nil
}

func selectableAddresses(in []*model.CartSelectableAddressInput) ([]carts.AddressInput, error) {
	out := make([]carts.AddressInput, len(in))
	for i, a := range in {
		ai, err := cartAddressInput(a.Address, a.Selected, a.OneTimeUse)
		if err != nil {
			return nil, err
		}
		out[i] = ai
	}
	return out, nil
}

// cartTax asks the tax provider about the cart once it has a delivery address; nil before.
func (r *Resolver) cartTax(ctx context.Context, c *ent.Cart, lines []carts.LineCost, g *carts.Group) (*tax.Result, error) {
	l := loaders.For(ctx)
	ids := make([]int, len(carts.LinesOf(c)))
	for i, line := range carts.LinesOf(c) {
		ids[i] = line.VariantID
	}
	variants, err := l.Variant.Prefetch(ctx, ids)
	if err != nil {
		return nil, err
	}
	var productIDs []int
	for _, v := range variants {
		if v != nil {
			productIDs = append(productIDs, v.ProductID)
		}
	}
	products, err := l.Product.Prefetch(ctx, productIDs)
	if err != nil {
		return nil, err
	}
	req := carts.TaxRequest(c, lines, variants, products, g)
	if req == nil {
		return nil, nil
	}
	res, err := r.tax.Calculate(ctx, *req)
	if err != nil {
		return nil, err
	}
	if res.Total.Currency == "" {
		res.Total = money.New(0, c.Currency)
	}
	return &res, nil
}
