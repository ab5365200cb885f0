// Package customers holds shoppers' accounts: sign-up, login with throttling, access tokens and their
// renewal and revocation, profile and address book, and password recovery.
package customers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/customeraddress"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/sessions"
	"github.com/emporium/emporium/throttle"
	"github.com/emporium/emporium/validation"
)

// Lifetimes of access tokens and of the sessions they renew within.
const (
	TokenTTL      = time.Hour
	SessionMaxAge = 30 * 24 * time.Hour
	resetTTL      = time.Hour
)

// Limits per 15 minutes: failed logins per email and per client address, password resets per customer
// and per address (whether or not their token is right), recovery emails per email and per address.
const (
	failuresPerEmail   = 5
	failuresPerAddress = 30
	resetsPerCustomer  = 5
	resetsPerAddress   = 20
	recoversPerEmail   = 3
	recoversPerAddress = 10
	throttleWindow     = 15 * time.Minute
)

// ErrThrottled is returned when an email, a customer or a client address tried too often.
var ErrThrottled = errors.New("too many attempts: try again later")

// passwordBudgetSpent answers a second password hash or check within one request.
var passwordBudgetSpent = validation.Errors{{Message: auth.ErrPasswordBudget.Error(), Code: "THROTTLED"}}

// throttleKeys are the keys of one attempt: per subject, and per client address when it is known.
func throttleKeys(subject string, subjectLimit int, addrKey string, addrLimit int, clientAddr string) []throttle.Key {
	keys := []throttle.Key{{Name: subject, Limit: subjectLimit}}
	if clientAddr != "" {
		keys = append(keys, throttle.Key{Name: addrKey + clientAddr, Limit: addrLimit})
	}
	return keys
}

// ErrInvalidToken is returned for an access token that is malformed, expired, revoked or not a customer's.
var ErrInvalidToken = errors.New("invalid customer access token")

// Service manages customer accounts.
type Service struct {
	client   *ent.Client
	tokens   *auth.Tokens
	sessions *sessions.Store
	limiter  *throttle.Limiter
	mailer   mail.Sender
	// resetMessage writes the reset email; a plain English one when nil.
	resetMessage func(ctx context.Context, c *ent.Customer, link string) (mail.Message, error)
	resetURL     string // storefront URL prefix of reset links; the customer number and token follow
	log          *slog.Logger
	now          func() time.Time
	// events records customers/create in the transaction of the change.
	events *events.Recorder
}

// Options configure the service.
type Options struct {
	Mailer mail.Sender
	// ResetMessage writes the password reset email of c with link (emails.Worker.PasswordResetMessage);
	// a plain English one when nil.
	ResetMessage func(ctx context.Context, c *ent.Customer, link string) (mail.Message, error)
	// ResetURL is where reset links point, e.g. https://shop.example/account/reset.
	ResetURL string
	Log      *slog.Logger
	// Events records the customers' events.
	Events *events.Recorder
}

// New returns the customer service.
func New(client *ent.Client, tokens *auth.Tokens, opts Options) *Service {
	return &Service{
		client: client, tokens: tokens, sessions: sessions.New(client),
		limiter: throttle.New(client, throttleWindow), mailer: opts.Mailer, resetMessage: opts.ResetMessage,
		resetURL: strings.TrimRight(opts.ResetURL, "/"), log: opts.Log, now: time.Now, events: opts.Events,
	}
}

// AccessToken is a token given to a customer.
type AccessToken struct {
	Token     string
	ExpiresAt time.Time
}

// CreateInput is a sign-up.
type CreateInput struct {
	Email, Password, FirstName, LastName string
	Phone                                *string
	AcceptsMarketing                     bool
	// Locale is the language of the customer's emails (BCP 47); empty for the shop's.
	Locale string
}

// Create signs a customer up. An email already in use is TAKEN.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.Customer, validation.Errors, error) {
	var errs validation.Errors
	email := validation.Email(in.Email)
	if email == "" {
		errs.Add("input.email", validation.Invalid, "Email is invalid")
	}
	checkPassword(&errs, "input.password", in.Password)
	first := errs.Text("input.firstName", in.FirstName, 255)
	last := errs.Text("input.lastName", in.LastName, 255)
	phone := optionalPhone(&errs, "input.phone", in.Phone)
	locale := checkLocale(&errs, "input.locale", in.Locale)
	if errs.Any() {
		return nil, errs, nil
	}
	if !auth.PasswordBudgetLeft(ctx) {
		return nil, passwordBudgetSpent, nil
	}
	// A taken email is answered before the password is hashed; the unique index still settles races.
	taken, err := s.client.Customer.Query().Where(customer.Email(email)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("customers: create: %w", err)
	}
	if taken {
		errs.Add("input.email", validation.Taken, "Email has already been taken")
		return nil, errs, nil
	}
	hash, err := auth.HashPassword(ctx, in.Password)
	if errors.Is(err, auth.ErrPasswordBudget) {
		return nil, passwordBudgetSpent, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var c *ent.Customer
	err = database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		c, err = tx.Customer.Create().SetEmail(email).SetPasswordHash(hash).SetFirstName(first).SetLastName(last).
			SetNillablePhone(phone).SetAcceptsMarketing(in.AcceptsMarketing).SetLocale(locale).Save(ctx)
		if err != nil {
			return err
		}
		return s.events.Record(ctx, tx, events.CustomersCreate, "Customer", c.ID, NewPayload(c))
	})
	if ent.IsConstraintError(err) {
		errs.Add("input.email", validation.Taken, "Email has already been taken")
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("customers: create: %w", err)
	}
	return c, nil, nil
}

// unidentified is the one answer to every failed login, so that it never tells whether the email exists.
var unidentified = validation.Errors{{Message: "Unidentified customer", Code: "UNIDENTIFIED_CUSTOMER"}}

// Login checks an email and password and opens a session. Throttled logins return ErrThrottled whether
// or not the email exists. The attempt is counted before the password is checked, in one atomic step,
// so that concurrent guesses cannot all slip under the limit.
func (s *Service) Login(ctx context.Context, email, password, clientAddr string) (*AccessToken, validation.Errors, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !auth.PasswordBudgetLeft(ctx) {
		return nil, passwordBudgetSpent, nil
	}
	keys := throttleKeys("customer-email:"+email, failuresPerEmail, "customer-addr:", failuresPerAddress, clientAddr)
	allowed, err := s.limiter.Attempt(ctx, keys...)
	if err != nil {
		return nil, nil, fmt.Errorf("customers: login: %w", err)
	}
	if !allowed {
		return nil, nil, ErrThrottled
	}
	c, err := s.client.Customer.Query().Where(customer.Email(email)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, nil, fmt.Errorf("customers: login: %w", err)
	}
	ok := false
	if c == nil {
		err = auth.CheckNoPassword(ctx, password)
	} else {
		ok, err = auth.CheckPassword(ctx, c.PasswordHash, password)
	}
	if errors.Is(err, auth.ErrPasswordBudget) {
		// No password was checked, so the attempt does not count.
		if err := s.limiter.Release(ctx, keys...); err != nil {
			return nil, nil, fmt.Errorf("customers: login: %w", err)
		}
		return nil, passwordBudgetSpent, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("customers: login: %w", err)
	}
	if !ok || c.Disabled {
		return nil, unidentified, nil
	}
	// Success forgives the email's failures, and does not count against a shared client address.
	if err := s.limiter.Reset(ctx, keys[0].Name); err != nil {
		return nil, nil, fmt.Errorf("customers: login: %w", err)
	}
	if err := s.limiter.Release(ctx, keys[1:]...); err != nil {
		return nil, nil, fmt.Errorf("customers: login: %w", err)
	}
	tok, err := s.startSession(ctx, s.client, c)
	return tok, nil, err
}

func (s *Service) startSession(ctx context.Context, client *ent.Client, c *ent.Customer) (*AccessToken, error) {
	sid, err := s.sessions.Start(ctx, client, sessions.Customer, c.ID, SessionMaxAge)
	if err != nil {
		return nil, err
	}
	return s.issue(c, sid)
}

func (s *Service) issue(c *ent.Customer, sid string) (*AccessToken, error) {
	tok, exp, err := s.tokens.Issue(gid.Encode("Customer", c.ID), auth.Storefront, sid, c.TokenVersion, TokenTTL)
	if err != nil {
		return nil, err
	}
	return &AccessToken{Token: tok, ExpiresAt: exp}, nil
}

// Authenticate resolves an access token to its customer and session, checking the signature, the
// session and the token version: a logout or a password change takes effect on the next request.
func (s *Service) Authenticate(ctx context.Context, token string) (*ent.Customer, string, error) {
	claims, err := s.tokens.Verify(token, auth.Storefront)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := gid.DecodeType(claims.Subject, "Customer")
	if err != nil {
		return nil, "", ErrInvalidToken
	}
	sess, err := s.sessions.Active(ctx, claims.Session, sessions.Customer, id)
	if err != nil {
		return nil, "", err
	}
	if sess == nil {
		return nil, "", fmt.Errorf("%w: session ended", ErrInvalidToken)
	}
	c, err := s.client.Customer.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, "", ErrInvalidToken
	}
	if err != nil {
		return nil, "", fmt.Errorf("customers: authenticate: %w", err)
	}
	if c.Disabled || c.TokenVersion != claims.Version {
		return nil, "", fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	return c, claims.Session, nil
}

// Renew issues a fresh token in the same session, while the session lasts.
func (s *Service) Renew(ctx context.Context, token string) (*AccessToken, error) {
	c, sid, err := s.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.issue(c, sid)
}

// Logout revokes the token's session; it reports whether there was one.
func (s *Service) Logout(ctx context.Context, token string) (bool, error) {
	c, sid, err := s.Authenticate(ctx, token)
	if err != nil {
		return false, err
	}
	return s.sessions.Revoke(ctx, sid, sessions.Customer, c.ID)
}

func checkPassword(errs *validation.Errors, field, password string) {
	switch n := len([]rune(password)); {
	case n < auth.MinPasswordLength:
		errs.Add(field, validation.TooShort, fmt.Sprintf("Password is too short (minimum is %d characters)", auth.MinPasswordLength))
	case n > auth.MaxPasswordLength:
		errs.Add(field, validation.TooLong, fmt.Sprintf("Password is too long (maximum is %d characters)", auth.MaxPasswordLength))
	case strings.TrimSpace(password) != password:
		errs.Add(field, "PASSWORD_STARTS_OR_ENDS_WITH_WHITESPACE", "Password cannot start or end with whitespace")
	}
}

// checkLocale is locale as a canonical BCP 47 tag ("de-AT"), or empty; anything else is INVALID.
func checkLocale(errs *validation.Errors, field, locale string) string {
	locale = strings.TrimSpace(locale)
	if locale == "" {
		return ""
	}
	tag, err := language.Parse(locale)
	if err != nil || len(locale) > 35 {
		errs.Add(field, validation.Invalid, "Locale is invalid")
		return ""
	}
	return tag.String()
}

func optionalPhone(errs *validation.Errors, field string, phone *string) *string {
	if phone == nil {
		return nil
	}
	p := strings.TrimSpace(*phone)
	if p == "" {
		return nil
	}
	digits := 0
	for _, r := range p {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+ -().", r):
		default:
			errs.Add(field, validation.Invalid, "Phone is invalid")
			return nil
		}
	}
	if digits < 6 || digits > 15 {
		errs.Add(field, validation.Invalid, "Phone is invalid")
		return nil
	}
	return &p
}

// Payload is a customer as customers/… events carry it: the Admin API's Customer, without secrets.
type Payload struct {
	ID               string    `json:"id"`
	Email            string    `json:"email"`
	FirstName        string    `json:"firstName"`
	LastName         string    `json:"lastName"`
	Phone            *string   `json:"phone"`
	AcceptsMarketing bool      `json:"acceptsMarketing"`
	State            string    `json:"state"`
	CreatedAt        time.Time `json:"createdAt"`
	UpdatedAt        time.Time `json:"updatedAt"`
	// Addresses and DefaultAddressID are filled in customers/update; a new customer has none.
	Addresses        []AddressPayload `json:"addresses"`
	DefaultAddressID *string          `json:"defaultAddressId"`
}

// AddressPayload is an address of the customer's book as events carry it (the Admin API's MailingAddress).
type AddressPayload struct {
	ID           string `json:"id"`
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"provinceCode"`
	Country      string `json:"country"`
	CountryCode  string `json:"countryCode"`
	Zip          string `json:"zip"`
	Phone        string `json:"phone"`
}

// recordUpdate records customers/update for customer id as tx sees it now, with its address book. Every
// change of a profile or an address book calls it in the change's transaction.
func (s *Service) recordUpdate(ctx context.Context, tx *ent.Tx, id int) error {
	c, err := tx.Customer.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("customers: read customer %d for customers/update: %w", id, err)
	}
	book, err := tx.CustomerAddress.Query().Where(customeraddress.CustomerID(id)).Order(ent.Asc(customeraddress.FieldID)).All(ctx)
	if err != nil {
		return fmt.Errorf("customers: read addresses of %d for customers/update: %w", id, err)
	}
	p := NewPayload(c)
	for _, a := range book {
		p.Addresses = append(p.Addresses, AddressPayload{ID: gid.Encode("MailingAddress", a.ID), FirstName: a.FirstName,
			LastName: a.LastName, Company: a.Company, Address1: a.Address1, Address2: a.Address2, City: a.City,
			Province: a.Province, ProvinceCode: a.ProvinceCode, Country: a.Country, CountryCode: a.CountryCode,
			Zip: a.Zip, Phone: a.Phone})
	}
	if c.DefaultAddressID != nil {
		d := gid.Encode("MailingAddress", *c.DefaultAddressID)
		p.DefaultAddressID = &d
	}
	return s.events.Record(ctx, tx, events.CustomersUpdate, "Customer", id, p)
}

// NewPayload is c as its events carry it.
func NewPayload(c *ent.Customer) Payload {
	state := "ENABLED"
	if c.Disabled {
		state = "DISABLED"
	}
	return Payload{ID: gid.Encode("Customer", c.ID), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName,
		Phone: c.Phone, AcceptsMarketing: c.AcceptsMarketing, State: state, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		Addresses: []AddressPayload{}}
}
