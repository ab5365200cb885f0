// Package apikeys lets staff give partner integrations keys with a set of permissions. A key's secret is
// shown once and stored only as a hash; revoking a key refuses its very next request.
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
	CreatedBy   *int
}

// Create makes a key and returns it with its secret, which is not kept.
func (s *Service) Create(ctx context.Context, in CreateInput) (*ent.APIKey, string, validation.Errors, error) {
	var errs validation.Errors
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
		SetNillableExpiresAt(in.ExpiresAt).SetNillableCreatedBy(in.CreatedBy).Save(ctx)
	if err != nil {
		return nil, "", nil, fmt.Errorf("apikeys: create: %w", err)
	}
	return k, secret, nil, nil
}

// Revoke ends a key at once; it reports whether there was a live key to revoke.
func (s *Service) Revoke(ctx context.Context, id int) (bool, error) {
	n, err := s.client.APIKey.Update().Where(apikey.ID(id), apikey.RevokedAtIsNil()).SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("apikeys: revoke: %w", err)
	}
	return n > 0, nil
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
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUseResolution {
		if err := k.Update().SetLastUsedAt(now).Exec(ctx); err != nil {
			return auth.Viewer{}, fmt.Errorf("apikeys: record use: %w", err)
		}
	}
	return auth.Viewer{Kind: auth.APIKey, ID: k.ID, Permissions: k.Permissions}, nil
}
