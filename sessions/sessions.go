// Package sessions keeps login sessions of customers and staff. A token names its session; revoking the
// session (logout) or bumping the account's token version (password change) ends every token at once.
package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/session"
)

// Kind is whose session it is.
type Kind = session.Kind

// The kinds of sessions.
const (
	Customer = session.KindCustomer
	Staff    = session.KindStaff
)

// Store keeps sessions in the database.
type Store struct {
	client *ent.Client
	now    func() time.Time
}

// New returns a store over client.
func New(client *ent.Client) *Store { return &Store{client: client, now: time.Now} }

// Start opens a session that may be renewed until maxAge from now.
func (s *Store) Start(ctx context.Context, client *ent.Client, kind Kind, subject int, maxAge time.Duration) (string, error) {
	if client == nil {
		client = s.client
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("sessions: random id: %w", err)
	}
	id := hex.EncodeToString(b)
	err := client.Session.Create().SetID(id).SetKind(kind).SetSubjectID(subject).
		SetExpiresAt(s.now().Add(maxAge)).Exec(ctx)
	if err != nil {
		return "", fmt.Errorf("sessions: start: %w", err)
	}
	return id, nil
}

// Active returns the session when it belongs to kind and subject and is neither revoked nor past its
// renewal limit; nil otherwise.
func (s *Store) Active(ctx context.Context, id string, kind Kind, subject int) (*ent.Session, error) {
	sess, err := s.client.Session.Query().
		Where(session.ID(id), session.KindEQ(kind), session.SubjectID(subject), session.RevokedAtIsNil()).
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sessions: check: %w", err)
	}
	if !sess.ExpiresAt.After(s.now()) {
		return nil, nil
	}
	return sess, nil
}

// Revoke ends a session; it reports whether there was an active one to end.
func (s *Store) Revoke(ctx context.Context, id string, kind Kind, subject int) (bool, error) {
	n, err := s.client.Session.Update().
		Where(session.ID(id), session.KindEQ(kind), session.SubjectID(subject), session.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("sessions: revoke: %w", err)
	}
	return n > 0, nil
}
