package customers

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/customeraddress"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/validation"
)

// UpdateInput changes a profile; nil fields stay as they are.
type UpdateInput struct {
	Email, Password, FirstName, LastName, Phone *string
	AcceptsMarketing                            *bool
	// Locale is the language of the customer's emails; empty for the shop's.
	Locale *string
}

// Update changes a customer's profile in one transaction. A new password revokes every token of the
// customer and returns a fresh one for this session's caller.
func (s *Service) Update(ctx context.Context, id int, in UpdateInput) (*ent.Customer, *AccessToken, validation.Errors, error) {
	var errs validation.Errors
	var email *string
	if in.Email != nil {
		e := validation.Email(*in.Email)
		if e == "" {
			errs.Add("customer.email", validation.Invalid, "Email is invalid")
		}
		email = &e
	}
	if in.Password != nil {
		checkPassword(&errs, "customer.password", *in.Password)
	}
	var first, last *string
	if in.FirstName != nil {
		v := errs.Text("customer.firstName", *in.FirstName, 255)
		first = &v
	}
	if in.LastName != nil {
		v := errs.Text("customer.lastName", *in.LastName, 255)
		last = &v
	}
	phone := optionalPhone(&errs, "customer.phone", in.Phone)
	var locale *string
	if in.Locale != nil {
		l := checkLocale(&errs, "customer.locale", *in.Locale)
		locale = &l
	}
	if errs.Any() {
		return nil, nil, errs, nil
	}
	// The password is hashed before the transaction, which would otherwise hold its locks (on SQLite the
	// database's write lock) for the length of the hash.
	var hash *string
	if in.Password != nil {
		h, err := auth.HashPassword(ctx, *in.Password)
		if errors.Is(err, auth.ErrPasswordBudget) {
			return nil, nil, passwordBudgetSpent, nil
		}
		if err != nil {
			return nil, nil, nil, err
		}
		hash = &h
	}
	var (
		updated *ent.Customer
		tok     *AccessToken
	)
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		u := tx.Customer.UpdateOneID(id).SetNillableEmail(email).SetNillableFirstName(first).SetNillableLastName(last).
			SetNillableAcceptsMarketing(in.AcceptsMarketing).SetNillableLocale(locale)
		if in.Phone != nil {
			if phone == nil {
				u.ClearPhone()
			} else {
				u.SetPhone(*phone)
			}
		}
		if hash != nil {
			u.SetPasswordHash(*hash).AddTokenVersion(1)
		}
		var err error
		if updated, err = u.Save(ctx); err != nil {
			return err
		}
		if in.Password != nil {
			if tok, err = s.startSession(ctx, tx.Client(), updated); err != nil {
				return err
			}
		}
		return s.recordUpdate(ctx, tx, id)
	})
	if ent.IsConstraintError(err) {
		errs.Add("customer.email", validation.Taken, "Email has already been taken")
		return nil, nil, errs, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("customers: update: %w", err)
	}
	return updated, tok, nil, nil
}

// AddressInput is a mailing address as a storefront sends it.
type AddressInput struct {
	FirstName, LastName, Company, Address1, Address2, City, Province, Country, Zip, Phone *string
}

// maxAddresses bounds an address book.
const maxAddresses = 100

func (in AddressInput) apply(errs *validation.Errors, set func(field string, value string)) {
	for _, f := range []struct {
		name  string
		value *string
		max   int
	}{
		{"firstName", in.FirstName, 255}, {"lastName", in.LastName, 255}, {"company", in.Company, 255},
		{"address1", in.Address1, 255}, {"address2", in.Address2, 255}, {"city", in.City, 255},
		{"province", in.Province, 255}, {"country", in.Country, 255}, {"zip", in.Zip, 32}, {"phone", in.Phone, 32},
	} {
		if f.value != nil {
			set(f.name, errs.Text("address."+f.name, *f.value, f.max))
		}
	}
}

func setAddressField(m interface {
	SetFirstName(string)
	SetLastName(string)
	SetCompany(string)
	SetAddress1(string)
	SetAddress2(string)
	SetCity(string)
	SetProvince(string)
	SetCountry(string)
	SetCountryCode(string)
	SetZip(string)
	SetPhone(string)
}) func(string, string) {
	return func(field, v string) {
		switch field {
		case "firstName":
			m.SetFirstName(v)
		case "lastName":
			m.SetLastName(v)
		case "company":
			m.SetCompany(v)
		case "address1":
			m.SetAddress1(v)
		case "address2":
			m.SetAddress2(v)
		case "city":
			m.SetCity(v)
		case "province":
			m.SetProvince(v)
		case "country":
			m.SetCountry(v)
			m.SetCountryCode(countryCode(v))
		case "zip":
			m.SetZip(v)
		case "phone":
			m.SetPhone(v)
		}
	}
}

// AddAddress adds an address to a customer's book; the first one becomes the default.
func (s *Service) AddAddress(ctx context.Context, customerID int, in AddressInput) (*ent.CustomerAddress, validation.Errors, error) {
	var errs validation.Errors
	var created *ent.CustomerAddress
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.CustomerAddress.Query().Where(customeraddress.CustomerID(customerID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= maxAddresses {
			errs.Add("address", validation.TooLong, fmt.Sprintf("An address book holds at most %d addresses", maxAddresses))
			return nil
		}
		c := tx.CustomerAddress.Create().SetCustomerID(customerID)
		in.apply(&errs, setAddressField(c.Mutation()))
		if errs.Any() {
			return nil
		}
		if created, err = c.Save(ctx); err != nil {
			return err
		}
		if err := tx.Customer.Update().Where(customer.ID(customerID), customer.DefaultAddressIDIsNil()).
			SetDefaultAddressID(created.ID).Exec(ctx); err != nil {
			return err
		}
		return s.recordUpdate(ctx, tx, customerID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("customers: add address: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	return created, nil, nil
}

var addressNotFound = validation.Errors{{Field: []string{"id"}, Message: "Address does not exist", Code: validation.NotFound}}

// UpdateAddress changes an address of the customer's own book.
func (s *Service) UpdateAddress(ctx context.Context, customerID, addressID int, in AddressInput) (*ent.CustomerAddress, validation.Errors, error) {
	var errs validation.Errors
	var updated *ent.CustomerAddress
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		u := tx.CustomerAddress.Update().Where(customeraddress.ID(addressID), customeraddress.CustomerID(customerID))
		in.apply(&errs, setAddressField(u.Mutation()))
		if errs.Any() {
			return nil
		}
		n, err := u.Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			errs = addressNotFound
			return nil
		}
		if updated, err = tx.CustomerAddress.Get(ctx, addressID); err != nil {
			return err
		}
		return s.recordUpdate(ctx, tx, customerID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("customers: update address: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	return updated, nil, nil
}

// DeleteAddress removes an address of the customer's own book; deleting the default clears it.
func (s *Service) DeleteAddress(ctx context.Context, customerID, addressID int) (validation.Errors, error) {
	var deleted int
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		deleted, err = tx.CustomerAddress.Delete().
			Where(customeraddress.ID(addressID), customeraddress.CustomerID(customerID)).Exec(ctx)
		if err != nil || deleted == 0 {
			return err
		}
		if err := tx.Customer.Update().Where(customer.ID(customerID), customer.DefaultAddressID(addressID)).
			ClearDefaultAddressID().Exec(ctx); err != nil {
			return err
		}
		return s.recordUpdate(ctx, tx, customerID)
	})
	if err != nil {
		return nil, fmt.Errorf("customers: delete address: %w", err)
	}
	if deleted == 0 {
		return addressNotFound, nil
	}
	return nil, nil
}

// SetDefaultAddress makes one of the customer's own addresses the default.
func (s *Service) SetDefaultAddress(ctx context.Context, customerID, addressID int) (*ent.Customer, validation.Errors, error) {
	var c *ent.Customer
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		owned, err := tx.CustomerAddress.Query().
			Where(customeraddress.ID(addressID), customeraddress.CustomerID(customerID)).Exist(ctx)
		if err != nil || !owned {
			return err
		}
		if c, err = tx.Customer.UpdateOneID(customerID).SetDefaultAddressID(addressID).Save(ctx); err != nil {
			return err
		}
		return s.recordUpdate(ctx, tx, customerID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("customers: default address: %w", err)
	}
	if c == nil {
		return nil, validation.Errors{{Field: []string{"addressId"}, Message: "Address does not exist", Code: validation.NotFound}}, nil
	}
	return c, nil, nil
}

// Recover sends a password reset link to email when it belongs to a customer. It answers the same
// either way, and sends at most a few links per email and per client address per window.
func (s *Service) Recover(ctx context.Context, email, clientAddr string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	keys := throttleKeys("customer-recover:"+email, recoversPerEmail, "customer-recover-addr:", recoversPerAddress, clientAddr)
	if allowed, err := s.limiter.Attempt(ctx, keys...); err != nil || !allowed {
		return err
	}
	c, err := s.client.Customer.Query().Where(customer.Email(email), customer.Disabled(false)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("customers: recover: %w", err)
	}
	token, err := auth.NewSecret("")
	if err != nil {
		return err
	}
	err = c.Update().SetResetTokenHash(auth.HashSecret(token)).SetResetExpiresAt(s.now().Add(resetTTL)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("customers: recover: %w", err)
	}
	link := fmt.Sprintf("%s/%d/%s", s.resetURL, c.ID, token)
	// Sent now, not by a job: the link holds a live token, which a job's arguments would keep in the
	// job table after sending.
	m := mail.Message{
		To: c.Email, Subject: "Reset your password", Link: link,
		Body: "Someone asked to reset the password of your account. If it was you, open this link within an hour:\n\n" +
			link + "\n\nIf it was not you, ignore this message.",
	}
	if s.resetMessage != nil {
		if m, err = s.resetMessage(ctx, c, link); err != nil {
			return fmt.Errorf("customers: recover: %w", err)
		}
	}
	return s.mailer.Send(ctx, m)
}

var invalidResetToken = validation.Errors{{Field: []string{"input", "resetToken"}, Message: "Reset token is invalid or has expired", Code: "TOKEN_INVALID"}}

// Reset sets a new password with a reset token, which works once and for an hour. It revokes every
// existing token and logs the customer in. Attempts are throttled per customer and per client address,
// and the token is looked up before the new password is hashed, so that a wrong token costs no hash.
func (s *Service) Reset(ctx context.Context, customerID int, resetToken, password, clientAddr string) (*ent.Customer, *AccessToken, validation.Errors, error) {
	var errs validation.Errors
	checkPassword(&errs, "input.password", password)
	if errs.Any() {
		return nil, nil, errs, nil
	}
	if !auth.PasswordBudgetLeft(ctx) {
		return nil, nil, passwordBudgetSpent, nil
	}
	keys := throttleKeys("customer-reset:"+strconv.Itoa(customerID), resetsPerCustomer, "customer-reset-addr:", resetsPerAddress, clientAddr)
	allowed, err := s.limiter.Attempt(ctx, keys...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("customers: reset: %w", err)
	}
	if !allowed {
		return nil, nil, nil, ErrThrottled
	}
	tokenHash := auth.HashSecret(resetToken)
	live := []predicate.Customer{customer.ID(customerID), customer.ResetTokenHash(tokenHash),
		customer.ResetExpiresAtGT(s.now()), customer.Disabled(false)}
	valid, err := s.client.Customer.Query().Where(live...).Exist(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("customers: reset: %w", err)
	}
	if !valid {
		return nil, nil, invalidResetToken, nil
	}
	hash, err := auth.HashPassword(ctx, password)
	if errors.Is(err, auth.ErrPasswordBudget) {
		return nil, nil, passwordBudgetSpent, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var (
		c   *ent.Customer
		tok *AccessToken
	)
	err = database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// The conditional update consumes the token: of two concurrent resets, one matches.
		n, err := tx.Customer.Update().Where(live...).
			SetPasswordHash(hash).AddTokenVersion(1).ClearResetTokenHash().ClearResetExpiresAt().
			SetFailedLogins(0).Save(ctx)
		if err != nil || n == 0 {
			return err
		}
		if c, err = tx.Customer.Get(ctx, customerID); err != nil {
			return err
		}
		tok, err = s.startSession(ctx, tx.Client(), c)
		return err
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("customers: reset: %w", err)
	}
	if c == nil {
		return nil, nil, invalidResetToken, nil
	}
	if err := s.limiter.Reset(ctx, keys[0].Name); err != nil {
		return nil, nil, nil, fmt.Errorf("customers: reset: %w", err)
	}
	return c, tok, nil, nil
}

// ResetByURL is Reset with the link from the reset email.
func (s *Service) ResetByURL(ctx context.Context, resetURL, password, clientAddr string) (*ent.Customer, *AccessToken, validation.Errors, error) {
	u, err := url.Parse(resetURL)
	if err != nil {
		return nil, nil, validation.Errors{{Field: []string{"resetUrl"}, Message: "Reset URL is invalid", Code: validation.Invalid}}, nil
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return nil, nil, validation.Errors{{Field: []string{"resetUrl"}, Message: "Reset URL is invalid", Code: validation.Invalid}}, nil
	}
	id, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil {
		return nil, nil, validation.Errors{{Field: []string{"resetUrl"}, Message: "Reset URL is invalid", Code: validation.Invalid}}, nil
	}
	return s.Reset(ctx, id, parts[len(parts)-1], password, clientAddr)
}

// countryCode takes a two-letter code as given; names are kept as entered without a code.
func countryCode(country string) string {
	if len(country) == 2 {
		return strings.ToUpper(country)
	}
	return ""
}
