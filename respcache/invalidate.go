package respcache

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/pgnotify"
)

// Channel is the PostgreSQL NOTIFY channel on which replicas announce catalog writes.
const Channel = "emporium_catalog"

// catalogTypes are the ent types whose rows anonymous catalog queries read, stock levels among them
// (availability is part of a product's answer), and those whose rows carts keep in memos of the
// generation (see catalog.Memoize): discounts and shipping zones; and tax rates, which cart totals use.
var catalogTypes = map[string]bool{
	ent.TypeProduct: true, ent.TypeProductVariant: true, ent.TypeVariantPrice: true, ent.TypeProductOption: true,
	ent.TypeProductTag: true, ent.TypeImage: true, ent.TypeCollection: true, ent.TypeCollectionProduct: true,
	ent.TypeInventoryLevel: true, ent.TypeLocation: true, ent.TypeMenu: true, ent.TypeMenuItem: true,
	ent.TypePage: true, ent.TypeShop: true, ent.TypeDiscount: true, ent.TypeShippingZone: true, ent.TypeShippingRate: true,
	ent.TypeTaxRate: true, // carts' totals
}

// Hook invalidates c when a catalog write commits, and, on PostgreSQL (notify true), announces it to
// the other replicas with a NOTIFY in the same transaction, which PostgreSQL delivers at commit.
func Hook(c *Cache, notify bool) ent.Hook {
	var announced sync.Map // database.TxKey of the transactions announced
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
				key := database.TxKey(tx)
				if _, seen := announced.LoadOrStore(key, true); seen {
					return v, nil
				}
				tx.OnCommit(func(next ent.Committer) ent.Committer {
					return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
						err := next.Commit(ctx, tx)
						announced.Delete(key)
						if err == nil {
							c.Invalidate()
						}
						return err
					})
				})
				tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
					return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
						announced.Delete(key)
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

// Listen invalidates c whenever another replica announces a catalog write, until ctx ends. A lost
// connection invalidates too: announcements may have been missed while it was down. dsn needs a
// PostgreSQL session of its own (see pgnotify.Listen).
func Listen(ctx context.Context, dsn string, db *sql.DB, c *Cache, log *slog.Logger) error {
	invalidate := func() { c.Invalidate() }
	err := pgnotify.Listen(ctx, dsn, db, Channel, "catalog announcements",
		pgnotify.Handler{Notify: func(string) { invalidate() }, Gap: invalidate}, log)
	if err != nil {
		return fmt.Errorf("respcache: %w", err)
	}
	return nil
}
