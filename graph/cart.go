package graph

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/discount"
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

// cartToken is the token of an Emporium cart ID. An ID that is not one (a Shopify store's
// gid://shopify/Cart/…?key=… left in a storefront's cookie, or any other string) names no cart here:
// ok is false and callers answer as for a cart that does not exist, since storefronts read the cookie's
// cart on every page and a top-level error would break the page.
func cartToken(id string) (token string, ok bool) {
	token, err := gid.DecodeKey(id, "Cart")
	return token, err == nil
}

var cartNotFound = []*model.CartUserError{{Field: []string{"cartId"}, Message: "The specified cart does not exist.", Code: ptr(carts.CodeInvalid)}}

// changeCart runs a cart mutation and shapes its result for a payload.
func (r *Resolver) changeCart(ctx context.Context, id string, fn func(token string) (*ent.Cart, []*model.CartUserError, error)) (*ent.Cart, []*model.CartUserError, error) {
	token, ok := cartToken(id)
	if !ok {
		return nil, cartNotFound, nil
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

// prefetchCart loads the variants and prices of a cart's lines in one statement each, or none when the
// catalog's memo holds them.
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
	l.SeedSales(ctx, ids)
	_, _ = l.Variant.Prefetch(ctx, ids)
	_, _ = l.PricesByVariant.Prefetch(ctx, ids)
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

// cartPricing prices a cart once per request: lines, discounts, delivery and tax.
func (r *Resolver) cartPricing(ctx context.Context, c *ent.Cart) (*carts.Pricing, error) {
	l := loaders.For(ctx)
	v, err := l.Memo("cart-pricing:"+c.ID+":"+c.UpdatedAt.String(), func() (any, error) {
		ids := make([]int, len(carts.LinesOf(c)))
		for i, line := range carts.LinesOf(c) {
			ids[i] = line.VariantID
		}
		// Every cart reaches its resolvers through prefetchCart, which seeded these from the memos.
		variants, err := l.Variant.Prefetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		prices, err := l.PricesByVariant.Prefetch(ctx, ids)
		if err != nil {
			return nil, err
		}
		var productIDs []int
		for _, v := range variants {
			if v != nil {
				productIDs = append(productIDs, v.ProductID)
			}
		}
		ds, err := l.Discounts(ctx)
		if err != nil {
			return nil, err
		}
		// Collections matter only to collection discounts; products (tax classes) and zones only once
		// the cart has a delivery address.
		collections := map[int][]int{}
		if slices.ContainsFunc(ds, func(d *ent.Discount) bool { return d.Target == discount.TargetCOLLECTIONS }) {
			cols, err := l.CollectionsByProd.Prefetch(ctx, productIDs)
			if err != nil {
				return nil, err
			}
			for pid, cs := range cols {
				for _, col := range cs {
					collections[pid] = append(collections[pid], col.ID)
				}
			}
		}
		// Products always: pricing reports lines whose product is no longer on sale.
		products, err := l.Product.Prefetch(ctx, productIDs)
		if err != nil {
			return nil, err
		}
		var zones []*ent.ShippingZone
		if carts.SelectedAddress(c) != nil {
			if zones, err = l.ShippingZones(ctx); err != nil {
				return nil, err
			}
		}
		used, err := r.carts.UsedDiscounts(ctx, c, ds)
		if err != nil {
			return nil, err
		}
		return carts.Price(carts.PriceInput{
			Cart: c, Variants: variants, Prices: prices, Products: products, Collections: collections,
			Discounts: ds, Zones: zones, Now: time.Now(), Used: used,
			Tax: func(req tax.Request) (tax.Result, error) { return r.tax.Calculate(ctx, req) },
		})
	})
	if err != nil {
		return nil, err
	}
	return v.(*carts.Pricing), nil
}

func discountAllocation(d *ent.Discount, amount money.Money, shipping bool) model.CartDiscountAllocation {
	target := "LINE_ITEM"
	if shipping {
		target = "SHIPPING_LINE"
	}
	if d.Code != nil {
		return &model.CartCodeDiscountAllocation{Code: *d.Code, DiscountedAmount: &amount, TargetType: target}
	}
	return &model.CartAutomaticDiscountAllocation{Title: d.Title, DiscountedAmount: &amount, TargetType: target}
}

func mailingAddressMap(a *model.MailingAddressInput) map[string]string {
	out := map[string]string{}
	if a == nil {
		return out
	}
	for k, v := range map[string]*string{"firstName": a.FirstName, "lastName": a.LastName, "company": a.Company,
		"address1": a.Address1, "address2": a.Address2, "city": a.City, "province": a.Province, "country": a.Country,
		"zip": a.Zip, "phone": a.Phone} {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// provenBuyers are the customers whose token the request presented in a cart mutation's input, for
// carts.BuyerVisible: one set per request, kept with the request's loaders.
func provenBuyers(ctx context.Context) *sync.Map {
	v, _ := loaders.For(ctx).Memo("cart-proven-buyers", func() (any, error) { return &sync.Map{}, nil })
	return v.(*sync.Map)
}

// proveBuyer records that the request presented token and that it made c its customer's: the
// mutation's answer may then show that customer's data without a signed-in session.
func (r *Resolver) proveBuyer(ctx context.Context, token *string, c *ent.Cart) {
	if token != nil && c != nil && c.CustomerID != nil {
		provenBuyers(ctx).Store(*c.CustomerID, true)
	}
}

// buyerVisible is carts.BuyerVisible for this request.
func (r *Resolver) buyerVisible(ctx context.Context, c *ent.Cart) bool {
	return carts.BuyerVisible(ctx, c, func(id int) bool {
		_, ok := provenBuyers(ctx).Load(id)
		return ok
	})
}

// cartWarnings are the warnings every cart mutation answers about the cart after it: lines that can no
// longer be bought (carts.Pricing.Unsellable), with extra appended by the mutation.
func (r *Resolver) cartWarnings(ctx context.Context, c *ent.Cart, extra ...*model.CartWarning) ([]*model.CartWarning, error) {
	out := []*model.CartWarning{}
	if c != nil {
		p, err := r.cartPricing(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, u := range p.Unsellable {
			out = append(out, &model.CartWarning{Code: carts.CodeNotForSale, Message: u.Message, Target: gid.Encode("CartLine", u.LineID)})
		}
	}
	return append(out, extra...), nil
}
