// Package throttle bounds how often something may be tried: password logins per email and per client
// address, password resets per customer and per address, and anything else a caller names. Counts live
// in the database, so that every replica sees the same ones.
//
// An attempt is reserved before the work it guards, in one transaction of conditional updates: of many
// concurrent attempts on one key, on any number of replicas, exactly the first Limit get through. A
// check followed by a separate count would let every concurrent attempt see the count before anyone
// added to it.
package throttle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/loginthrottle"
)

// Key is a throttled name with its limit of attempts per window.
type Key struct {
	Name  string
	Limit int
}

// Limiter counts attempts per key in fixed windows: a key's window starts at its first attempt and its
// count starts again once the window has passed.
type Limiter struct {
	client *ent.Client
	window time.Duration
	now    func() time.Time
}

// New returns a limiter whose counts reset window after a key's first attempt.
func New(client *ent.Client, window time.Duration) *Limiter {
	return &Limiter{client: client, window: window, now: time.Now}
}

// errRefused rolls back the reservations of an attempt that one of its keys refused.
var errRefused = errors.New("throttle: refused")

// Attempt reserves one attempt on every key, all or none: allowed is false, and nothing is counted,
// when any key has used up its limit in its window. An allowed attempt counts whether or not it then
// succeeds; Release gives it back and Reset forgets a key's count.
func (l *Limiter) Attempt(ctx context.Context, keys ...Key) (allowed bool, err error) {
	if len(keys) == 0 {
		return true, nil
	}
	// Rows are locked in name order, so that two attempts on the same keys never wait on each other.
	keys = slices.SortedFunc(slices.Values(keys), func(a, b Key) int { return cmp.Compare(a.Name, b.Name) })
	now := l.now()
	err = database.WithTx(ctx, l.client, func(tx *ent.Tx) error {
		for _, k := range keys {
			if err := l.openWindow(ctx, tx.Client(), k.Name, now); err != nil {
				return err
			}
			// The conditional update is the check and the count in one step: of concurrent attempts on
			// one row, each sees the count the previous one left.
			n, err := tx.LoginThrottle.Update().
				Where(loginthrottle.Key(k.Name), loginthrottle.FailuresLT(k.Limit)).
				AddFailures(1).Save(ctx)
			if err != nil {
				return fmt.Errorf("throttle: count attempt: %w", err)
			}
			if n == 0 {
				return errRefused
			}
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("throttle: %w", err)
	}
	return true, nil
}

// openWindow makes sure key has a row, and starts its window again at zero when the last one has passed.
func (l *Limiter) openWindow(ctx context.Context, client *ent.Client, key string, now time.Time) error {
	cutoff := now.Add(-l.window)
	err := client.LoginThrottle.Create().SetKey(key).SetFailures(0).SetWindowStart(now).
		OnConflict(sql.ConflictColumns(loginthrottle.FieldKey), sql.ResolveWith(func(u *sql.UpdateSet) {
			expired := func(then func(b *sql.Builder), otherwise string) sql.Querier {
				return sql.ExprFunc(func(b *sql.Builder) {
					b.WriteString("CASE WHEN " + u.Table().C(loginthrottle.FieldWindowStart) + " < ").Arg(cutoff).WriteString(" THEN ")
					then(b)
					b.WriteString(" ELSE " + u.Table().C(otherwise) + " END")
				})
			}
			u.Set(loginthrottle.FieldFailures, expired(func(b *sql.Builder) { b.WriteString("0") }, loginthrottle.FieldFailures))
			u.Set(loginthrottle.FieldWindowStart, expired(func(b *sql.Builder) { b.Arg(now) }, loginthrottle.FieldWindowStart))
		})).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("throttle: open window: %w", err)
	}
	return nil
}

// Release gives back the attempt reserved on each key: for an attempt that did not happen after all, or
// one that should not count (a successful login from a shared client address).
func (l *Limiter) Release(ctx context.Context, keys ...Key) error {
	for _, k := range keys {
		err := l.client.LoginThrottle.Update().Where(loginthrottle.Key(k.Name), loginthrottle.FailuresGT(0)).
			AddFailures(-1).Exec(ctx)
		if err != nil {
			return fmt.Errorf("throttle: release: %w", err)
		}
	}
	return nil
}

// Reset forgets the counts of names: a successful login forgives its email's failures.
func (l *Limiter) Reset(ctx context.Context, names ...string) error {
	if _, err := l.client.LoginThrottle.Delete().Where(loginthrottle.KeyIn(names...)).Exec(ctx); err != nil {
		return fmt.Errorf("throttle: reset: %w", err)
	}
	return nil
}
