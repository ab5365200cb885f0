// Package carts keeps shoppers' carts: lines of variants and quantities checked against the catalog and
// its stock, the buyer's identity and country (which picks the currency), note, attributes and discount
// codes. Prices are never taken from the client: a cart's cost is computed from current prices.
package carts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/cartaddress"
	"github.com/emporium/emporium/ent/cartline"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/throttle"
	"github.com/emporium/emporium/validation"
)

// Bounds of a cart.
const (
	maxLines         = 250
	maxQuantity      = 1000
	maxNoteLength    = 5000
	maxAttributes    = 250
	maxDiscountCodes = 25
)

// Codes of cart userErrors, as the Storefront API names them.
const (
	CodeInvalid         = "INVALID"
	CodeInvalidLine     = "INVALID_MERCHANDISE_LINE"
	CodeLessThan        = "LESS_THAN"
	CodeMaximumExceeded = "MAXIMUM_EXCEEDED"
	CodeNoteTooLong     = "NOTE_TOO_LONG"
	CodeCartTooLarge    = "CART_TOO_LARGE"
)

// ErrNotFound is returned for a cart that does not exist, is completed, or belongs to another customer.
var ErrNotFound = errors.New("cart not found")

// Service manages carts.
type Service struct {
	client    *ent.Client
	catalog   *catalog.Catalog
	customers *customers.Service
	checkout  string
	postgres  bool
	// attempts counts discount codes that name no discount (see guardCodes).
	attempts *throttle.Limiter
}

// New returns the cart service over client, a PostgreSQL database's when postgres is set. checkoutURL
// is the template of a cart's checkout page, in which {cartToken} stands for the cart's token.
func New(client *ent.Client, c *catalog.Catalog, cs *customers.Service, checkoutURL string, postgres bool) *Service {
	if checkoutURL == "" {
		checkoutURL = "http://localhost:3000/checkout/{cartToken}"
	}
	return &Service{client: client, catalog: c, customers: cs, checkout: checkoutURL, postgres: postgres,
		attempts: throttle.New(client, UnknownCodesWindow)}
}

// CheckoutURL is where the buyer completes c.
func (s *Service) CheckoutURL(c *ent.Cart) string {
	return strings.ReplaceAll(s.checkout, "{cartToken}", c.ID)
}

// LineInput adds a variant to a cart.
type LineInput struct {
	VariantID  int
	Quantity   int
	Attributes []schema.Attribute
}

// LineUpdate changes a line; nil fields stay. A quantity of zero removes the line.
type LineUpdate struct {
	LineID     int
	VariantID  *int
	Quantity   *int
	Attributes []schema.Attribute
}

// BuyerInput is who buys; a customer access token makes the cart the customer's.
type BuyerInput struct {
	Email, Phone, CountryCode, CustomerAccessToken *string

	// customer is who CustomerAccessToken names, resolved before the cart's transaction opens (so that
	// the transaction never waits for a second connection); authErr when it names nobody.
	customer *ent.Customer
	authErr  error
}

// authenticate resolves the buyer's customer token, outside any transaction.
func (s *Service) authenticate(ctx context.Context, in *BuyerInput) {
	if in == nil || in.CustomerAccessToken == nil {
		return
	}
	in.customer, _, in.authErr = s.customers.Authenticate(ctx, *in.CustomerAccessToken)
}

// Input creates a cart; every field is optional.
type Input struct {
	Lines         []LineInput
	Buyer         *BuyerInput
	DiscountCodes []string
	Note          *string
	Attributes    []schema.Attribute
	Addresses     []AddressInput
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("carts: random id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Create makes a cart, in the shop's default currency unless the buyer's country has an enabled one.
func (s *Service) Create(ctx context.Context, in Input) (*ent.Cart, validation.Errors, error) {
	token, err := newToken()
	if err != nil {
		return nil, nil, err
	}
	if s.linesOnly(ctx, in) {
		c, errs, err := s.createWithLines(ctx, token, in.Lines)
		if !errors.Is(err, errEventWanted) {
			return c, errs, err
		}
	}
	if in.DiscountCodes != nil {
		if errs, err := s.guardCodes(ctx, "", in.DiscountCodes, "input.discountCodes"); err != nil || errs.Any() {
			return nil, errs, err
		}
	}
	var errs validation.Errors
	var created *ent.Cart
	s.authenticate(ctx, in.Buyer)
	err = database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		shop, err := s.catalog.Shop(ctx, tx.Client())
		if err != nil {
			return err
		}
		c, err := tx.Cart.Create().SetID(token).SetCurrency(shop.DefaultCurrency).Save(ctx)
		if err != nil {
			return err
		}
		if in.Buyer != nil {
			errs = append(errs, s.applyBuyer(ctx, tx, c, shop, *in.Buyer, "input.buyerIdentity")...)
		}
		if in.Note != nil {
			errs = append(errs, applyNote(ctx, tx, token, *in.Note, "input.note")...)
		}
		if in.Attributes != nil {
			errs = append(errs, applyAttributes(ctx, tx, token, in.Attributes, "input.attributes")...)
		}
		if in.DiscountCodes != nil {
			errs = append(errs, applyDiscountCodes(ctx, tx, token, in.DiscountCodes, "input.discountCodes")...)
		}
		if len(in.Addresses) > 0 {
			if c, err = tx.Cart.Get(ctx, token); err != nil { // with the buyer just recorded
				return err
			}
			errs = append(errs, s.saveAddresses(ctx, tx, c, in.Addresses, "input.delivery.addresses")...)
		}
		if len(in.Lines) > 0 {
			if in.Buyer != nil {
				if c, err = tx.Cart.Get(ctx, token); err != nil { // in the buyer's currency
					return err
				}
			}
			lines, lineErrs := s.addLines(ctx, tx, c, true, in.Lines, "input.lines")
			errs = append(errs, lineErrs...)
			created = c
			created.Edges.Lines = lines
		}
		if errs.Any() {
			return errRollback
		}
		return nil
	})
	if err == nil && created != nil && in.Buyer == nil && in.Note == nil && in.Attributes == nil && in.DiscountCodes == nil && len(in.Addresses) == 0 {
		// Lines alone, the storefront's usual first call: the cart is what was just written.
		for _, l := range created.Edges.Lines {
			l.Edges.Cart = created
		}
		return created, nil, nil
	}
	return s.result(ctx, token, errs, err)
}

var errRollback = errors.New("rolled back for user errors")

// result reads the cart back after a change, or returns the change's userErrors.
func (s *Service) result(ctx context.Context, token string, errs validation.Errors, err error) (*ent.Cart, validation.Errors, error) {
	if errors.Is(err, errRollback) {
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("carts: %w", err)
	}
	c, err := s.load(ctx, token)
	return c, nil, err
}

// load reads a cart with its lines in order.
func (s *Service) load(ctx context.Context, token string) (*ent.Cart, error) {
	c, err := s.client.Cart.Query().Where(cart.ID(token), cart.CompletedAtIsNil()).
		WithLines(func(q *ent.CartLineQuery) { q.Order(ent.Asc(cartline.FieldID)) }).
		WithAddresses(func(q *ent.CartAddressQuery) { q.Order(ent.Asc(cartaddress.FieldID)) }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("carts: load: %w", err)
	}
	// Lines know their cart (for its currency) without another query.
	for _, l := range c.Edges.Lines {
		l.Edges.Cart = c
	}
	return c, nil
}

// Get returns a cart the viewer may see: any cart by its ID, except that a signed-in customer never
// reaches another customer's cart.
func (s *Service) Get(ctx context.Context, token string) (*ent.Cart, error) {
	c, err := s.load(ctx, token)
	if err != nil {
		return nil, err
	}
	if !allowed(ctx, c) {
		return nil, ErrNotFound
	}
	return c, nil
}

// BuyerVisible reports whether the caller may read the personal data of c's buyer: the customer (and
// through it the address book and orders), the email and phone, and the delivery addresses. A guest
// cart's ID is its only key, so whoever holds it may. A customer's cart also travels by ID (in
// checkoutUrl), so it shows them only to that customer, signed in or proven (the caller presented the
// customer's token in this request, as cartBuyerIdentityUpdate's input does), and to staff or API keys
// that read customers.
func BuyerVisible(ctx context.Context, c *ent.Cart, proven func(customerID int) bool) bool {
	if c.CustomerID == nil {
		return true
	}
	v := auth.ViewerFrom(ctx)
	switch v.Kind {
	case auth.Customer:
		return v.ID == *c.CustomerID
	case auth.Staff, auth.APIKey:
		return v.Can(auth.ReadCustomers)
	}
	return proven != nil && proven(*c.CustomerID)
}

func allowed(ctx context.Context, c *ent.Cart) bool {
	v := auth.ViewerFrom(ctx)
	return c.CustomerID == nil || v.Kind != auth.Customer || v.ID == *c.CustomerID
}

// change runs fn on an existing cart in a transaction and returns the cart after it.
func (s *Service) change(ctx context.Context, token string, fn func(tx *ent.Tx, c *ent.Cart) validation.Errors) (*ent.Cart, validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		c, err := tx.Cart.Query().Where(cart.ID(token), cart.CompletedAtIsNil()).Only(ctx)
		if ent.IsNotFound(err) || err == nil && !allowed(ctx, c) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if errs = fn(tx, c); errs.Any() {
			return errRollback
		}
		return tx.Cart.UpdateOneID(token).SetUpdatedAt(time.Now().UTC().Truncate(time.Microsecond)).Exec(ctx)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil, ErrNotFound
	}
	return s.result(ctx, token, errs, err)
}

// AddLines adds variants; a variant already in the cart (with the same attributes) adds to its line.
func (s *Service) AddLines(ctx context.Context, token string, lines []LineInput) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		_, errs := s.addLines(ctx, tx, c, false, lines, "lines")
		return errs
	})
}

// UpdateLines changes quantities, variants or attributes of lines.
func (s *Service) UpdateLines(ctx context.Context, token string, updates []LineUpdate) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		return s.updateLines(ctx, tx, token, updates)
	})
}

// RemoveLines removes lines.
func (s *Service) RemoveLines(ctx context.Context, token string, lineIDs []int) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		n, err := tx.CartLine.Query().Where(cartline.CartID(token), cartline.IDIn(lineIDs...)).Count(ctx)
		var errs validation.Errors
		if err != nil {
			errs.Add("lineIds", CodeInvalid, err.Error())
			return errs
		}
		if n != len(slices.Compact(slices.Sorted(slices.Values(lineIDs)))) {
			errs.Add("lineIds", CodeInvalidLine, "A line does not exist in this cart")
			return errs
		}
		if _, err := tx.CartLine.Delete().Where(cartline.CartID(token), cartline.IDIn(lineIDs...)).Exec(ctx); err != nil {
			errs.Add("lineIds", CodeInvalid, "The lines could not be removed")
		}
		return errs
	})
}

// UpdateBuyer sets who buys; see BuyerInput.
func (s *Service) UpdateBuyer(ctx context.Context, token string, in BuyerInput) (*ent.Cart, validation.Errors, error) {
	s.authenticate(ctx, &in)
	return s.change(ctx, token, func(tx *ent.Tx, c *ent.Cart) validation.Errors {
		shop, err := s.catalog.Shop(ctx, tx.Client())
		if err != nil {
			return validation.Errors{{Message: "The shop is unavailable", Code: CodeInvalid}}
		}
		return s.applyBuyer(ctx, tx, c, shop, in, "buyerIdentity")
	})
}

// UpdateNote sets the note.
func (s *Service) UpdateNote(ctx context.Context, token, note string) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		return applyNote(ctx, tx, token, note, "note")
	})
}

// UpdateAttributes replaces the attributes.
func (s *Service) UpdateAttributes(ctx context.Context, token string, attrs []schema.Attribute) (*ent.Cart, validation.Errors, error) {
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		return applyAttributes(ctx, tx, token, attrs, "attributes")
	})
}

// UpdateDiscountCodes replaces the discount codes.
func (s *Service) UpdateDiscountCodes(ctx context.Context, token string, codes []string) (*ent.Cart, validation.Errors, error) {
	if errs, err := s.guardCodes(ctx, token, codes, "discountCodes"); err != nil || errs.Any() {
		return nil, errs, err
	}
	return s.change(ctx, token, func(tx *ent.Tx, _ *ent.Cart) validation.Errors {
		return applyDiscountCodes(ctx, tx, token, codes, "discountCodes")
	})
}

func applyNote(ctx context.Context, tx *ent.Tx, token, note, field string) validation.Errors {
	var errs validation.Errors
	if len([]rune(note)) > maxNoteLength {
		errs.Add(field, CodeNoteTooLong, fmt.Sprintf("The note is longer than %d characters", maxNoteLength))
		return errs
	}
	if err := tx.Cart.UpdateOneID(token).SetNote(note).Exec(ctx); err != nil {
		errs.Add(field, CodeInvalid, "The note could not be saved")
	}
	return errs
}

func checkAttributes(attrs []schema.Attribute, field string, errs *validation.Errors) {
	if len(attrs) > maxAttributes {
		errs.Add(field, CodeInvalid, fmt.Sprintf("At most %d attributes", maxAttributes))
	}
	for i, a := range attrs {
		if strings.TrimSpace(a.Key) == "" || len(a.Key) > 255 || len(a.Value) > 5000 {
			errs.Add(fmt.Sprintf("%s.%d", field, i), CodeInvalid, "Attribute keys have 1 to 255 characters and values at most 5000")
		}
	}
}

func applyAttributes(ctx context.Context, tx *ent.Tx, token string, attrs []schema.Attribute, field string) validation.Errors {
	var errs validation.Errors
	checkAttributes(attrs, field, &errs)
	if errs.Any() {
		return errs
	}
	if err := tx.Cart.UpdateOneID(token).SetAttributes(attrs).Exec(ctx); err != nil {
		errs.Add(field, CodeInvalid, "The attributes could not be saved")
	}
	return errs
}

func applyDiscountCodes(ctx context.Context, tx *ent.Tx, token string, codes []string, field string) validation.Errors {
	var errs validation.Errors
	var clean []string
	for _, c := range codes {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 255 {
			errs.Add(field, CodeInvalid, "Discount codes have 1 to 255 characters")
			continue
		}
		if !slices.ContainsFunc(clean, func(x string) bool { return strings.EqualFold(x, c) }) {
			clean = append(clean, c)
		}
	}
	if len(clean) > maxDiscountCodes {
		errs.Add(field, CodeInvalid, fmt.Sprintf("At most %d discount codes", maxDiscountCodes))
	}
	if errs.Any() {
		return errs
	}
	if err := tx.Cart.UpdateOneID(token).SetDiscountCodes(clean).Exec(ctx); err != nil {
		errs.Add(field, CodeInvalid, "The discount codes could not be saved")
	}
	return errs
}

// applyBuyer records the buyer. A country whose currency the shop sells in switches the cart to it; a
// customer token (which must verify) makes the cart the customer's.
func (s *Service) applyBuyer(ctx context.Context, tx *ent.Tx, c *ent.Cart, shop *ent.Shop, in BuyerInput, field string) validation.Errors {
	var errs validation.Errors
	u := tx.Cart.UpdateOneID(c.ID)
	if in.Email != nil {
		if e := validation.Email(*in.Email); e == "" {
			errs.Add(field+".email", CodeInvalid, "Email is invalid")
		} else {
			u.SetEmail(e)
		}
	}
	if in.Phone != nil {
		p := strings.TrimSpace(*in.Phone)
		if len(p) > 32 || strings.ContainsAny(p, "<>") {
			errs.Add(field+".phone", CodeInvalid, "Phone is invalid")
		} else {
			u.SetPhone(p)
		}
	}
	currency := c.Currency
	if in.CountryCode != nil {
		u.SetCountryCode(*in.CountryCode)
		currency = shop.DefaultCurrency
		if cur, ok := money.CountryCurrency(*in.CountryCode); ok && slices.Contains(shop.Currencies, cur) {
			currency = cur
		}
		u.SetCurrency(currency)
	}
	if in.CustomerAccessToken != nil {
		customer := in.customer
		switch {
		case in.authErr != nil || customer == nil:
			errs.Add(field+".customerAccessToken", CodeInvalid, "Customer access token is invalid")
		case c.CustomerID != nil && *c.CustomerID != customer.ID:
			errs.Add(field+".customerAccessToken", CodeInvalid, "The cart belongs to another customer")
		default:
			u.SetCustomerID(customer.ID)
			if in.Email == nil {
				u.SetEmail(customer.Email)
			}
		}
	}
	if errs.Any() {
		return errs
	}
	if err := u.Exec(ctx); err != nil {
		errs.Add(field, CodeInvalid, "The buyer could not be saved")
		return errs
	}
	if currency != c.Currency {
		// Every line must be sold in the new currency.
		lines, err := tx.CartLine.Query().Where(cartline.CartID(c.ID)).All(ctx)
		if err != nil {
			errs.Add(field, CodeInvalid, "The cart could not be read")
			return errs
		}
		ids := make([]int, len(lines))
		for i, l := range lines {
			ids[i] = l.VariantID
		}
		sales, err := s.catalog.Sales(ctx, tx.Client(), ids)
		if err != nil {
			errs.Add(field, CodeInvalid, "Prices could not be read")
			return errs
		}
		for _, id := range ids {
			if sale, ok := sales[id]; ok && !pricedIn(sale, currency) {
				errs.Add(field+".countryCode", CodeInvalidLine, fmt.Sprintf("A line is not sold in %s", currency))
				return errs
			}
		}
	}
	return errs
}
