package carts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cartaddress"
	"github.com/emporium/emporium/ent/customeraddress"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/ent/discountusage"
	"github.com/emporium/emporium/shipping"
	"github.com/emporium/emporium/tax"
	"github.com/emporium/emporium/validation"
)

// Codes of delivery userErrors.
const (
	CodeAddressRequired   = "ADDRESS_FIELD_IS_REQUIRED"
	CodeAddressTooLong    = "ADDRESS_FIELD_IS_TOO_LONG"
	CodeAddressHTML       = "ADDRESS_FIELD_CONTAINS_HTML_TAGS"
	CodeInvalidAddressID  = "INVALID_DELIVERY_ADDRESS_ID"
	CodeInvalidGroup      = "INVALID_DELIVERY_GROUP"
	CodeInvalidOption     = "INVALID_DELIVERY_OPTION"
	CodeOneSelected       = "ONLY_ONE_DELIVERY_ADDRESS_CAN_BE_SELECTED"
	CodeTooManyAddresses  = "TOO_MANY_DELIVERY_ADDRESSES"
	maxDeliveryAddresses  = 20
	maxAddressFieldLength = 255
)

// DeliveryAddress is an address as a storefront sends it; nil fields stay as they are on update.
type DeliveryAddress struct {
	FirstName, LastName, Company, Address1, Address2, City, ProvinceCode, CountryCode, Zip, Phone *string
}

// AddressInput adds (ID nil) or changes a delivery address of a cart.
type AddressInput struct {
	ID                        *int
	Address                   *DeliveryAddress
	CopyFromCustomerAddressID *int
	Selected, OneTimeUse      *bool
}

func (a DeliveryAddress) apply(m *ent.CartAddressMutation, field string, errs *validation.Errors) {
	for _, f := range []struct {
		name  string
		value *string
		set   func(string)
	}{
		{"firstName", a.FirstName, m.SetFirstName}, {"lastName", a.LastName, m.SetLastName}, {"company", a.Company, m.SetCompany},
		{"address1", a.Address1, m.SetAddress1}, {"address2", a.Address2, m.SetAddress2}, {"city", a.City, m.SetCity},
		{"provinceCode", a.ProvinceCode, m.SetProvinceCode}, {"countryCode", a.CountryCode, m.SetCountryCode},
		{"zip", a.Zip, m.SetZip}, {"phone", a.Phone, m.SetPhone},
	} {
		if f.value == nil {
			continue
		}
		v := strings.TrimSpace(*f.value)
		switch {
		case len(v) > maxAddressFieldLength:
			errs.Add(field+"."+f.name, CodeAddressTooLong, f.name+" is too long")
		case strings.ContainsAny(v, "<>"):
			errs.Add(field+"."+f.name, CodeAddressHTML, f.name+" cannot contain HTML tags")
		default:
			f.set(v)
		}
	}
}

// AddAddresses adds delivery addresses. At most one address of a cart is selected: selecting one
// unselects the others.
func (s *Service) AddAddresses(ctx context.Context, token string, in []AddressInput) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		return s.saveAddresses(ctx, tx, c, in, "addresses")
	})
}

// ReplaceAddresses replaces every delivery address.
func (s *Service) ReplaceAddresses(ctx context.Context, token string, in []AddressInput) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		if _, err := tx.CartAddress.Delete().Where(cartaddress.CartID(token)).Exec(ctx); err != nil {
			return validation.Errors{{Message: "The addresses could not be replaced", Code: CodeInvalid}}
		}
		return s.saveAddresses(ctx, tx, c, in, "addresses")
	})
}

// UpdateAddresses changes delivery addresses.
func (s *Service) UpdateAddresses(ctx context.Context, token string, in []AddressInput) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		return s.saveAddresses(ctx, tx, c, in, "addresses")
	})
}

// RemoveAddresses removes delivery addresses.
func (s *Service) RemoveAddresses(ctx context.Context, token string, ids []int) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		n, err := tx.CartAddress.Delete().Where(cartaddress.CartID(token), cartaddress.IDIn(ids...)).Exec(ctx)
		var errs validation.Errors
		if err != nil || n != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
			errs.Add("addressIds", CodeInvalidAddressID, "An address does not exist in this cart")
		}
		return errs
	})
}

func (s *Service) saveAddresses(ctx context.Context, tx *ent.Tx, c *ent.Cart, in []AddressInput, field string) validation.Errors {
	var errs validation.Errors
	selected := 0
	for _, a := range in {
		if a.Selected != nil && *a.Selected {
			selected++
		}
	}
	if selected > 1 {
		errs.Add(field, CodeOneSelected, "Only one delivery address can be selected")
		return errs
	}
	for i, a := range in {
		f := fmt.Sprintf("%s.%d", field, i)
		var m *ent.CartAddressMutation
		var save func() (*ent.CartAddress, error)
		if a.ID == nil {
			b := tx.CartAddress.Create().SetCartID(c.ID)
			m, save = b.Mutation(), func() (*ent.CartAddress, error) { return b.Save(ctx) }
		} else {
			owned, err := tx.CartAddress.Query().Where(cartaddress.ID(*a.ID), cartaddress.CartID(c.ID)).Exist(ctx)
			if err != nil || !owned {
				errs.Add(f+".id", CodeInvalidAddressID, "The address does not exist in this cart")
				continue
			}
			u := tx.CartAddress.UpdateOneID(*a.ID)
			m, save = u.Mutation(), func() (*ent.CartAddress, error) { return u.Save(ctx) }
		}
		switch {
		case a.CopyFromCustomerAddressID != nil:
			ca, err := tx.CustomerAddress.Query().Where(customeraddress.ID(*a.CopyFromCustomerAddressID)).Only(ctx)
			if err != nil || c.CustomerID == nil || ca.CustomerID != *c.CustomerID {
				errs.Add(f+".address.copyFromCustomerAddressId", CodeInvalidAddressID, "The customer has no such address")
				continue
			}
			m.SetFirstName(ca.FirstName)
			m.SetLastName(ca.LastName)
			m.SetCompany(ca.Company)
			m.SetAddress1(ca.Address1)
			m.SetAddress2(ca.Address2)
			m.SetCity(ca.City)
			m.SetProvinceCode(ca.ProvinceCode)
			m.SetCountryCode(ca.CountryCode)
			m.SetZip(ca.Zip)
			m.SetPhone(ca.Phone)
		case a.Address != nil:
			a.Address.apply(m, f+".address.deliveryAddress", &errs)
		case a.ID == nil:
			errs.Add(f+".address", CodeAddressRequired, "Give a delivery address")
			continue
		}
		if a.OneTimeUse != nil {
			m.SetOneTimeUse(*a.OneTimeUse)
		}
		if a.Selected != nil {
			m.SetSelected(*a.Selected)
		}
		if errs.Any() {
			continue
		}
		saved, err := save()
		if err != nil {
			errs.Add(f, CodeInvalid, "The address could not be saved")
			continue
		}
		if saved.CountryCode == "" {
			errs.Add(f+".address.deliveryAddress.countryCode", CodeAddressRequired, "Country is required")
		}
		if saved.Selected {
			if err := tx.CartAddress.Update().Where(cartaddress.CartID(c.ID), cartaddress.IDNEQ(saved.ID)).
				SetSelected(false).Exec(ctx); err != nil {
				errs.Add(f, CodeInvalid, "The address could not be selected")
			}
		}
	}
	if n, err := tx.CartAddress.Query().Where(cartaddress.CartID(c.ID)).Count(ctx); err != nil || n > maxDeliveryAddresses {
		errs.Add(field, CodeTooManyAddresses, fmt.Sprintf("A cart has at most %d delivery addresses", maxDeliveryAddresses))
	}
	return errs
}

// SelectedAddress is the cart's selected delivery address (loaded with the cart), or nil.
func SelectedAddress(c *ent.Cart) *ent.CartAddress {
	for _, a := range c.Edges.Addresses {
		if a.Selected {
			return a
		}
	}
	return nil
}

// Group is the cart's delivery group: the ways its lines can ship to the selected address.
type Group struct {
	Options  []shipping.Option
	Selected *shipping.Option
}

// Quote reads what Price needs for c straight from the database (no per-request loaders here) and
// prices it, with tax when tp is not nil.
func (s *Service) Quote(ctx context.Context, c *ent.Cart, tp tax.Provider) (*Pricing, error) {
	ids := make([]int, len(c.Edges.Lines))
	for i, l := range c.Edges.Lines {
		ids[i] = l.VariantID
	}
	variants, err := s.catalog.VariantsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	prices, err := s.catalog.PricesByVariant(ctx, ids)
	if err != nil {
		return nil, err
	}
	var productIDs []int
	for _, v := range variants {
		productIDs = append(productIDs, v.ProductID)
	}
	cols, err := s.catalog.CollectionsByProduct(ctx, productIDs)
	if err != nil {
		return nil, err
	}
	collections := map[int][]int{}
	for pid, cs := range cols {
		for _, col := range cs {
			collections[pid] = append(collections[pid], col.ID)
		}
	}
	ds, err := s.client.Discount.Query().Where(discount.Active(true)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("carts: discounts: %w", err)
	}
	zones, err := s.client.ShippingZone.Query().WithRates().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("carts: shipping zones: %w", err)
	}
	used, err := s.UsedDiscounts(ctx, c, ds)
	if err != nil {
		return nil, err
	}
	products, err := s.catalog.ProductsByID(ctx, productIDs)
	if err != nil {
		return nil, err
	}
	in := PriceInput{Cart: c, Variants: variants, Prices: prices, Products: products, Collections: collections,
		Discounts: ds, Zones: zones, Now: time.Now(), Used: used}
	if tp != nil {
		in.Tax = func(r tax.Request) (tax.Result, error) { return tp.Calculate(ctx, r) }
	}
	return Price(in)
}

// Load reads a cart that is not completed, with its lines and addresses.
func (s *Service) Load(ctx context.Context, token string) (*ent.Cart, error) {
	return s.load(ctx, token)
}

// SelectDeliveryOption picks one of the options the cart's delivery group offers.
func (s *Service) SelectDeliveryOption(ctx context.Context, token, groupKey, handle string) (*ent.Cart, validation.Errors, error) {
	c, err := s.load(ctx, token)
	if err != nil {
		return nil, nil, err // ErrNotFound, or the database failing: never the one for the other
	}
	if !allowed(ctx, c) {
		return nil, nil, ErrNotFound
	}
	var errs validation.Errors
	if groupKey != token {
		errs.Add("selectedDeliveryOptions.deliveryGroupId", CodeInvalidGroup, "The cart has no such delivery group")
		return nil, errs, nil
	}
	// The options are those the cart's price offers, the same the storefront was shown.
	p, err := s.Quote(ctx, c, nil)
	if err != nil {
		return nil, nil, err
	}
	g := p.Group
	if g == nil || !slices.ContainsFunc(g.Options, func(o shipping.Option) bool { return o.Handle == handle }) {
		errs.Add("selectedDeliveryOptions.deliveryOptionHandle", CodeInvalidOption, "The delivery option is not offered for this cart")
		return nil, errs, nil
	}
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		if err := tx.Cart.UpdateOneID(token).SetDeliveryOption(handle).Exec(ctx); err != nil {
			return validation.Errors{{Message: "The delivery option could not be saved", Code: CodeInvalid}}
		}
		return nil
	})
}

// UsedDiscounts lists which of the once-per-customer discounts among ds the buyer of c has used already.
// It reads nothing when none of ds is once per customer.
func (s *Service) UsedDiscounts(ctx context.Context, c *ent.Cart, ds []*ent.Discount) (map[int]bool, error) {
	keys := discounts.UsageKeys(c.CustomerID, c.Email)
	if len(keys) == 0 || !slices.ContainsFunc(ds, func(d *ent.Discount) bool { return d.OncePerCustomer }) {
		return nil, nil
	}
	rows, err := s.client.DiscountUsage.Query().Where(discountusage.CustomerKeyIn(keys...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("carts: discount usage: %w", err)
	}
	used := map[int]bool{}
	for _, r := range rows {
		used[r.DiscountID] = true
	}
	return used, nil
}
