// Package throttle slows down password guessing: it counts failed logins per email and per client
// address in the database, so that every replica sees the same counts, and blocks a key that failed too
// often within a window.
package throttle

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/loginthrottle"
)

// Key is a throttled name with its limit of failures per window.
type Key struct {
	Name  string
	Limit int
}

// Limiter counts failures.
type Limiter struct {
	client *ent.Client
	window time.Duration
	now    func() time.Time
}

// New returns a limiter whose counts reset window after the first failure.
func New(client *ent.Client, window time.Duration) *Limiter {
	return &Limiter{client: client, window: window, now: time.Now}
}

// Blocked reports whether any key has reached its limit within the current window.
func (l *Limiter) Blocked(ctx context.Context, keys ...Key) (bool, error) {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	rows, err := l.client.LoginThrottle.Query().
		Where(loginthrottle.KeyIn(names...), loginthrottle.WindowStartGT(l.now().Add(-l.window))).
		All(ctx)
	if err != nil {
		return false, fmt.Errorf("throttle: %w", err)
	}
	for _, r := range rows {
		for _, k := range keys {
			if r.Key == k.Name && r.Failures >= k.Limit {
				return true, nil
			}
		}
	}
	return false, nil
}

// Fail counts one failure against each key, starting a new window for keys whose window has passed.
func (l *Limiter) Fail(ctx context.Context, keys ...Key) error {
	now := l.now()
	for _, k := range keys {
		// The upsert keeps concurrent failures from losing counts: the row is created or incremented in
		// one statement, and an expired window restarts at one.
		err := l.client.LoginThrottle.Create().SetKey(k.Name).SetFailures(1).SetWindowStart(now).
			OnConflict(sql.ConflictColumns(loginthrottle.FieldKey), sql.ResolveWith(func(u *sql.UpdateSet) {
				cutoff := now.Add(-l.window)
				tbl := u.Table()
				u.Set(loginthrottle.FieldFailures, sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("CASE WHEN " + tbl.C(loginthrottle.FieldWindowStart) + " < ").Arg(cutoff).
						WriteString(" THEN 1 ELSE " + tbl.C(loginthrottle.FieldFailures) + " + 1 END")
				}))
				u.Set(loginthrottle.FieldWindowStart, sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("CASE WHEN " + tbl.C(loginthrottle.FieldWindowStart) + " < ").Arg(cutoff).
						WriteString(" THEN ").Arg(now).WriteString(" ELSE " + tbl.C(loginthrottle.FieldWindowStart) + " END")
				}))
			})).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("throttle: count failure: %w", err)
		}
	}
	return nil
}

// Reset forgets a key's failures, after a successful login.
func (l *Limiter) Reset(ctx context.Context, name string) error {
	if _, err := l.client.LoginThrottle.Delete().Where(loginthrottle.Key(name)).Exec(ctx); err != nil {
		return fmt.Errorf("throttle: reset: %w", err)
	}
	return nil
}
