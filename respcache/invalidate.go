package respcache

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"github.com/emporium/emporium/ent"
)

// Channel is the PostgreSQL NOTIFY channel on which replicas announce catalog writes.
const Channel = "emporium_catalog"

// catalogTypes are the ent types whose rows anonymous catalog queries read, stock levels among them
// (availability is part of a product's answer), and those whose rows carts keep in memos of the
// generation (see catalog.Memoize): discounts and shipping zones.
var catalogTypes = map[string]bool{
	ent.TypeProduct: true, ent.TypeProductVariant: true, ent.TypeVariantPrice: true, ent.TypeProductOption: true,
	ent.TypeProductTag: true, ent.TypeImage: true, ent.TypeCollection: true, ent.TypeCollectionProduct: true,
	ent.TypeInventoryLevel: true, ent.TypeLocation: true, ent.TypeMenu: true, ent.TypeMenuItem: true,
	ent.TypePage: true, ent.TypeShop: true, ent.TypeDiscount: true, ent.TypeShippingZone: true, ent.TypeShippingRate: true,
}

// Hook invalidates c when a catalog write commits, and, on PostgreSQL (notify true), announces it to
// the other replicas with a NOTIFY in the same transaction, which PostgreSQL delivers at commit.
func Hook(c *Cache, notify bool) ent.Hook {
	var announced sync.Map // *ent.Tx already announced
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !catalogTypes[m.Type()] {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
			if tx, terr := txm.Tx(); ok && terr == nil {
				if _, seen := announced.LoadOrStore(tx, true); seen {
					return v, nil
				}
				tx.OnCommit(func(next ent.Committer) ent.Committer {
					return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
						err := next.Commit(ctx, tx)
						announced.Delete(tx)
						if err == nil {
							c.Invalidate()
						}
						return err
					})
				})
				tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
					return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
						announced.Delete(tx)
						return next.Rollback(ctx, tx)
					})
				})
				if notify {
					if _, err := tx.ExecContext(ctx, "SELECT pg_notify($1, '')", Channel); err != nil {
						return nil, fmt.Errorf("respcache: notify: %w", err)
					}
				}
				return v, nil
			}
			c.Invalidate()
			if cm, ok := m.(interface{ Client() *ent.Client }); ok && notify {
				if _, err := cm.Client().ExecContext(ctx, "SELECT pg_notify($1, '')", Channel); err != nil {
					return v, fmt.Errorf("respcache: notify: %w", err)
				}
			}
			return v, nil
		})
	}
}

// probePrefix starts the payload of the announcements Listen sends itself to check that they arrive;
// they announce no write.
const probePrefix = "probe:"

// Listen invalidates c whenever another replica announces a catalog write, until ctx ends. A lost
// connection invalidates too: announcements may have been missed while it was down.
//
// dsn must reach PostgreSQL with a session of its own: through PgBouncer in transaction mode, LISTEN
// holds a pooled server connection for a moment and announcements never arrive. So Listen announces a
// probe through db, the pool that carries the writes' announcements, and fails unless it arrives
// within probeTimeout: a cache that misses writes would not be exact.
func Listen(ctx context.Context, dsn string, db *sql.DB, c *Cache, log *slog.Logger) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("catalog announcements: connection lost", "err", err)
			c.Invalidate()
		case pq.ListenerEventReconnected:
			log.Info("catalog announcements: reconnected")
			c.Invalidate()
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn("catalog announcements: cannot connect", "err", err)
		}
	})
	if err := l.Listen(Channel); err != nil {
		l.Close()
		return fmt.Errorf("respcache: listen: %w", err)
	}
	probe := probePrefix + rand.Text()
	arrived := make(chan struct{})
	go func() {
		defer l.Close()
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if n != nil && strings.HasPrefix(n.Extra, probePrefix) {
					if n.Extra == probe {
						close(arrived)
					}
					continue
				}
				// nil after a reconnection; either way something may have changed.
				c.Invalidate()
			case <-ping.C:
				go func() { _ = l.Ping() }()
			}
		}
	}()
	if _, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel, probe); err != nil {
		return fmt.Errorf("respcache: announce a probe: %w", err)
	}
	select {
	case <-arrived:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(probeTimeout):
		return fmt.Errorf("respcache: catalog announcements do not arrive at the LISTEN connection within %v: "+
			"it needs a PostgreSQL session of its own, not PgBouncer in transaction mode "+
			"(set EMPORIUM_DATABASE_LISTEN_URL to a direct connection)", probeTimeout)
	}
}

// probeTimeout bounds the wait for Listen's probe.
const probeTimeout = 5 * time.Second
