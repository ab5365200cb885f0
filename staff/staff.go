// Package staff holds the shop's staff accounts and permission groups: creating members, logging in
// with admin-audience tokens, and resolving a token to the permissions it carries.
package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/staffmember"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/sessions"
	"github.com/emporium/emporium/throttle"
	"github.com/emporium/emporium/validation"
)

// Lifetimes of staff tokens and sessions: shorter than a customer's, since they open the shop.
const (
	TokenTTL      = 30 * time.Minute
	SessionMaxAge = 12 * time.Hour
)

// ErrThrottled is returned when an email or a client address failed to log in too often.
var ErrThrottled = errors.New("too many failed login attempts: try again later")

// Limits of failed logins per 15 minutes.
const (
	failuresPerEmail   = 5
	failuresPerAddress = 20
)

// passwordBudgetSpent answers a second password hash or check within one request.
var passwordBudgetSpent = validation.Errors{{Message: auth.ErrPasswordBudget.Error(), Code: "THROTTLED"}}

// ErrInvalidToken is returned for a token that is not a live staff token.
var ErrInvalidToken = errors.New("invalid staff access token")

// Service manages staff.
type Service struct {
	client   *ent.Client
	tokens   *auth.Tokens
	sessions *sessions.Store
	limiter  *throttle.Limiter
}

// New returns the staff service.
func New(client *ent.Client, tokens *auth.Tokens) *Service {
	return &Service{client: client, tokens: tokens, sessions: sessions.New(client), limiter: throttle.New(client, 15*time.Minute)}
}

// CreateInput is a new staff member.
type CreateInput struct {
	Email, Password, Name string
	Owner                 bool
	GroupIDs              []int
}

// Create adds a staff member.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.StaffMember, validation.Errors, error) {
	return s.create(ctx, nil, in)
}

// CreateAs adds a staff member for an actor, who may only give groups they could grant themselves.
func (s *Service) CreateAs(ctx context.Context, a Actor, in CreateInput) (*ent.StaffMember, validation.Errors, error) {
	return s.create(ctx, &a, in)
}

func (s *Service) create(ctx context.Context, a *Actor, in CreateInput) (*ent.StaffMember, validation.Errors, error) {
	var errs validation.Errors
	email := validation.Email(in.Email)
	if email == "" {
		errs.Add("input.email", validation.Invalid, "Email is invalid")
	}
	if n := len([]rune(in.Password)); n < 12 || n > auth.MaxPasswordLength {
		errs.Add("input.password", validation.TooShort, "Staff passwords have 12 to 256 characters")
	}
	name := errs.Text("input.name", in.Name, 255)
	if errs.Any() {
		return nil, errs, nil
	}
	if !auth.PasswordBudgetLeft(ctx) {
		return nil, passwordBudgetSpent, nil
	}
	// Cheap refusals come before the hash: a taken email, and groups the actor cannot give.
	taken, err := s.client.StaffMember.Query().Where(staffmember.Email(email)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("staff: create: %w", err)
	}
	if taken {
		errs.Add("input.email", validation.Taken, "Email has already been taken")
		return nil, errs, nil
	}
	if a != nil {
		if errs, err := CheckGroups(ctx, s.client, *a, "input.groupIds", in.GroupIDs); err != nil || errs.Any() {
			return nil, errs, err
		}
	}
	// Hashed outside the transaction, which would otherwise hold its locks for the length of the hash.
	hash, err := auth.HashPassword(ctx, in.Password)
	if errors.Is(err, auth.ErrPasswordBudget) {
		return nil, passwordBudgetSpent, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var m *ent.StaffMember
	err = database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if a != nil {
			// Checked again inside the transaction: a group may have changed while the password hashed.
			if errs, err = CheckGroups(ctx, tx.Client(), *a, "input.groupIds", in.GroupIDs); err != nil || errs.Any() {
				return cmpErr(err)
			}
		}
		m, err = tx.StaffMember.Create().SetEmail(email).SetPasswordHash(hash).SetName(name).
			SetOwner(in.Owner).AddGroupIDs(in.GroupIDs...).Save(ctx)
		if ent.IsConstraintError(err) {
			errs.Add("input.email", validation.Taken, "Email has already been taken")
			return errRollback
		}
		return err
	})
	if m, errs, err = result(m, errs, err); m != nil {
		// Read again outside the finished transaction, which its fields would otherwise resolve through.
		m, err = s.client.StaffMember.Get(ctx, m.ID)
	}
	return m, errs, err
}

// EnsureOwner creates the first owner when the shop has no staff yet; it does nothing otherwise.
func (s *Service) EnsureOwner(ctx context.Context, email, password string) (bool, error) {
	n, err := s.client.StaffMember.Query().Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	_, errs, err := s.Create(ctx, CreateInput{Email: email, Password: password, Name: "Owner", Owner: true})
	if err != nil {
		return false, err
	}
	if errs.Any() {
		return false, fmt.Errorf("staff: first owner: %s", errs[0].Message)
	}
	return true, nil
}

// Token is a staff access token.
type Token struct {
	Token     string
	ExpiresAt time.Time
}

var unidentified = validation.Errors{{Message: "Unidentified staff member", Code: "UNIDENTIFIED"}}

// Login checks a staff member's email and password and opens a session. The attempt is counted before
// the password is checked, in one atomic step, so that concurrent guesses cannot all slip under the limit.
func (s *Service) Login(ctx context.Context, email, password, clientAddr string) (*Token, validation.Errors, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !auth.PasswordBudgetLeft(ctx) {
		return nil, passwordBudgetSpent, nil
	}
	keys := []throttle.Key{{Name: "staff-email:" + email, Limit: failuresPerEmail}}
	if clientAddr != "" {
		keys = append(keys, throttle.Key{Name: "staff-addr:" + clientAddr, Limit: failuresPerAddress})
	}
	allowed, err := s.limiter.Attempt(ctx, keys...)
	if err != nil {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	if !allowed {
		return nil, nil, ErrThrottled
	}
	m, err := s.client.StaffMember.Query().Where(staffmember.Email(email)).Only(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	ok := false
	if m == nil {
		err = auth.CheckNoPassword(ctx, password)
	} else {
		ok, err = auth.CheckPassword(ctx, m.PasswordHash, password)
	}
	if errors.Is(err, auth.ErrPasswordBudget) {
		// No password was checked, so the attempt does not count.
		if err := s.limiter.Release(ctx, keys...); err != nil {
			return nil, nil, fmt.Errorf("staff: login: %w", err)
		}
		return nil, passwordBudgetSpent, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	if !ok || !m.Active {
		return nil, unidentified, nil
	}
	// Success forgives the email's failures, and does not count against a shared client address.
	if err := s.limiter.Reset(ctx, keys[0].Name); err != nil {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	if err := s.limiter.Release(ctx, keys[1:]...); err != nil {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	sid, err := s.sessions.Start(ctx, nil, sessions.Staff, m.ID, SessionMaxAge)
	if err != nil {
		return nil, nil, err
	}
	tok, exp, err := s.tokens.Issue(gid.Encode("StaffMember", m.ID), auth.Admin, sid, m.TokenVersion, TokenTTL)
	if err != nil {
		return nil, nil, err
	}
	return &Token{Token: tok, ExpiresAt: exp}, nil, nil
}

// Authenticate resolves an admin token to the viewer it acts as, with the member's permissions.
func (s *Service) Authenticate(ctx context.Context, token string) (auth.Viewer, error) {
	claims, err := s.tokens.Verify(token, auth.Admin)
	if err != nil {
		return auth.Viewer{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	id, err := gid.DecodeType(claims.Subject, "StaffMember")
	if err != nil {
		return auth.Viewer{}, ErrInvalidToken
	}
	sess, err := s.sessions.Active(ctx, claims.Session, sessions.Staff, id)
	if err != nil {
		return auth.Viewer{}, err
	}
	if sess == nil {
		return auth.Viewer{}, fmt.Errorf("%w: session ended", ErrInvalidToken)
	}
	m, err := s.client.StaffMember.Query().Where(staffmember.ID(id)).WithGroups().Only(ctx)
	if ent.IsNotFound(err) {
		return auth.Viewer{}, ErrInvalidToken
	}
	if err != nil {
		return auth.Viewer{}, fmt.Errorf("staff: authenticate: %w", err)
	}
	if !m.Active || m.TokenVersion != claims.Version {
		return auth.Viewer{}, fmt.Errorf("%w: revoked", ErrInvalidToken)
	}
	return auth.Viewer{Kind: auth.Staff, ID: m.ID, Session: claims.Session, Permissions: Permissions(m)}, nil
}

// Logout revokes the session of an admin token.
func (s *Service) Logout(ctx context.Context, v auth.Viewer) (bool, error) {
	return s.sessions.Revoke(ctx, v.Session, sessions.Staff, v.ID)
}

// Permissions returns what a member (loaded with its groups) may do: everything for an owner.
func Permissions(m *ent.StaffMember) []string {
	if m.Owner {
		return slices.Clone(auth.AllPermissions)
	}
	var perms []string
	for _, g := range m.Edges.Groups {
		for _, p := range g.Permissions {
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
	}
	slices.Sort(perms)
	return perms
}
