// Package apikeys lets staff give partner integrations keys with a set of permissions. A key's secret is
// shown once and stored only as a hash; revoking a key refuses its very next request.
//
// A key answers to the staff member who made it (or who made the key that made it): it never holds more
// than that member holds now, and it stops working while the member is deactivated. A key outliving the
// grant that made it would let a member who is let go keep the shop's doors open.
package apikeys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/apikey"
	"github.com/emporium/emporium/ent/staffmember"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/validation"
)

// ErrInvalidKey is returned for a secret that is unknown, revoked or expired.
var ErrInvalidKey = errors.New("invalid API key")

// Service manages API keys.
type Service struct {
	client *ent.Client
	now    func() time.Time
}

// New returns the API key service.
func New(client *ent.Client) *Service { return &Service{client: client, now: time.Now} }

// CreateInput is a new key.
type CreateInput struct {
	Name        string
	Permissions []string
	ExpiresAt   *time.Time
}

// Create makes a key for creator (a staff member or a key) and returns it with its secret, which is not
// kept. A key never holds more than its creator: otherwise MANAGE_APPS alone would grant everything.
func (s *Service) Create(ctx context.Context, creator auth.Viewer, in CreateInput) (*ent.APIKey, string, validation.Errors, error) {
	var errs validation.Errors
	for _, perm := range in.Permissions {
		if !creator.Can(perm) {
			errs.Add("input.permissions", validation.Forbidden, "You cannot grant "+perm+", which you do not hold")
			return nil, "", errs, nil
		}
	}
	createdBy, err := s.responsible(ctx, creator)
	if err != nil {
		return nil, "", nil, err
	}
	name := errs.Text("input.name", in.Name, 255)
	if name == "" {
		errs.Add("input.name", validation.Blank, "Name can't be blank")
	}
	if len(in.Permissions) == 0 {
		errs.Add("input.permissions", validation.Blank, "A key needs at least one permission")
	}
	for _, p := range in.Permissions {
		if !auth.ValidPermission(p) {
			errs.Add("input.permissions", validation.Invalid, fmt.Sprintf("Unknown permission %s", p))
		}
	}
	if in.ExpiresAt != nil && !in.ExpiresAt.After(s.now()) {
		errs.Add("input.expiresAt", validation.Invalid, "Expiry must be in the future")
	}
	if errs.Any() {
		return nil, "", errs, nil
	}
	secret, err := auth.NewSecret(auth.APIKeyPrefix)
	if err != nil {
		return nil, "", nil, err
	}
	k, err := s.client.APIKey.Create().SetName(name).SetSecretHash(auth.HashSecret(secret)).
		SetPrefix(secret[:len(auth.APIKeyPrefix)+6]).SetPermissions(in.Permissions).
		SetNillableExpiresAt(in.ExpiresAt).SetNillableCreatedBy(createdBy).Save(ctx)
	if err != nil {
		return nil, "", nil, fmt.Errorf("apikeys: create: %w", err)
	}
	return k, secret, nil, nil
}

// responsible is the staff member a new key answers to: the creating member, or the member the creating
// key answers to.
func (s *Service) responsible(ctx context.Context, creator auth.Viewer) (*int, error) {
	switch creator.Kind {
	case auth.Staff:
		return &creator.ID, nil
	case auth.APIKey:
		k, err := s.client.APIKey.Get(ctx, creator.ID)
		if err != nil {
			return nil, fmt.Errorf("apikeys: creating key: %w", err)
		}
		return k.CreatedBy, nil
	}
	return nil, nil
}

var noLiveKey = validation.Errors{{Field: []string{"id"}, Message: "No live API key has this ID", Code: validation.NotFound}}

// Revoke ends a key at once for revoker, who must hold every permission the key holds: revoking a
// stronger key would let MANAGE_APPS alone cut off any integration.
func (s *Service) Revoke(ctx context.Context, revoker auth.Viewer, id int) (validation.Errors, error) {
	k, err := s.client.APIKey.Query().Where(apikey.ID(id), apikey.RevokedAtIsNil()).Only(ctx)
	if ent.IsNotFound(err) {
		return noLiveKey, nil
	}
	if err != nil {
		return nil, fmt.Errorf("apikeys: revoke: %w", err)
	}
	for _, p := range k.Permissions {
		if !revoker.Can(p) {
			var errs validation.Errors
			errs.Add("id", validation.Forbidden, "You cannot revoke a key holding "+p+", which you do not hold")
			return errs, nil
		}
	}
	// A key's permissions never change, so the check above still holds; the condition settles two
	// concurrent revokes.
	n, err := s.client.APIKey.Update().Where(apikey.ID(id), apikey.RevokedAtIsNil()).SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("apikeys: revoke: %w", err)
	}
	if n == 0 {
		return noLiveKey, nil
	}
	return nil, nil
}

// lastUseResolution limits how often a key's last use is written: at most once a minute per key.
const lastUseResolution = time.Minute

// Authenticate resolves a secret to the viewer it acts as and records the key's use.
func (s *Service) Authenticate(ctx context.Context, secret string) (auth.Viewer, error) {
	if !strings.HasPrefix(secret, auth.APIKeyPrefix) {
		return auth.Viewer{}, ErrInvalidKey
	}
	k, err := s.client.APIKey.Query().Where(apikey.SecretHash(auth.HashSecret(secret))).Only(ctx)
	if ent.IsNotFound(err) {
		return auth.Viewer{}, ErrInvalidKey
	}
	if err != nil {
		return auth.Viewer{}, fmt.Errorf("apikeys: authenticate: %w", err)
	}
	now := s.now()
	if k.RevokedAt != nil || k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		return auth.Viewer{}, ErrInvalidKey
	}
	permissions := k.Permissions
	if k.CreatedBy != nil {
		m, err := s.client.StaffMember.Query().Where(staffmember.ID(*k.CreatedBy)).WithGroups().Only(ctx)
		if ent.IsNotFound(err) {
			return auth.Viewer{}, ErrInvalidKey
		}
		if err != nil {
			return auth.Viewer{}, fmt.Errorf("apikeys: creator: %w", err)
		}
		if !m.Active {
			return auth.Viewer{}, fmt.Errorf("%w: its creator is deactivated", ErrInvalidKey)
		}
		permissions = Bounded(k.Permissions, auth.Viewer{Kind: auth.Staff, Permissions: staff.Permissions(m)})
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUseResolution {
		if err := k.Update().SetLastUsedAt(now).Exec(ctx); err != nil {
			return auth.Viewer{}, fmt.Errorf("apikeys: record use: %w", err)
		}
	}
	return auth.Viewer{Kind: auth.APIKey, ID: k.ID, Permissions: permissions}, nil
}

// Bounded returns the permissions of a key that its creator still holds. A MANAGE_X its creator now only
// reads becomes READ_X.
func Bounded(key []string, creator auth.Viewer) []string {
	out := make([]string, 0, len(key))
	for _, p := range key {
		if creator.Can(p) {
			out = append(out, p)
		} else if rest, ok := strings.CutPrefix(p, "MANAGE_"); ok && auth.ValidPermission("READ_"+rest) && creator.Can("READ_"+rest) {
			out = append(out, "READ_"+rest)
		}
	}
	return out
}
