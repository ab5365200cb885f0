package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/dialect/sql/schema"
)

// migrationLock is the PostgreSQL advisory lock key that serialises migrations of replicas starting at
// once ("emporium" in ASCII, folded into an int64).
const migrationLock = 0x656d706f7269756d

// Exclusive runs fn while holding a PostgreSQL advisory lock, so that replicas starting together migrate
// and seed one after another. SQLite serialises writers itself.
//
// The lock is transaction-level (pg_advisory_xact_lock), held by a transaction that stays open, idle,
// while fn works on other connections, and released when it ends. A session-level lock would break behind
// PgBouncer in transaction mode: the lock and its unlock could reach different server connections, and the
// lock would stay for good on a pooled connection, blocking every later start. An open transaction pins
// its server connection there, so the lock lives exactly as long as it. Waiters try again now and then
// rather than block in a transaction, so that they do not hold server connections the migrating replica
// needs from a small PgBouncer pool.
func (db *DB) Exclusive(ctx context.Context, fn func(context.Context) error) error {
	if !db.Postgres() {
		return fn(ctx)
	}
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		tx, locked, err := db.tryMigrationLock(ctx)
		if err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if locked {
			// The transaction wrote nothing: rolling it back only releases the lock.
			defer func() { _ = tx.Rollback() }()
			return fn(ctx)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("take migration lock: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
}

// tryMigrationLock begins a transaction holding the migration lock, or reports that another holds it.
func (db *DB) tryMigrationLock(ctx context.Context) (*sql.Tx, bool, error) {
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	var locked bool
	if err := tx.QueryRowContext(ctx, "SELECT pg_try_advisory_xact_lock($1)", migrationLock).Scan(&locked); err != nil || !locked {
		return nil, false, errors.Join(err, tx.Rollback())
	}
	return tx, true, nil
}

// Migrate brings the schema up to date. It is idempotent; run it inside Exclusive.
func (db *DB) Migrate(ctx context.Context, log *slog.Logger) error {
	if err := db.Client.Schema.Create(ctx, schema.WithDropColumn(false), schema.WithDropIndex(false)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	extra := sqliteSearchDDL
	if db.Postgres() {
		extra = postgresSearchDDL
	}
	// Tax rates became unique per ZIP prefix too: the older, narrower unique index would refuse a
	// state's ZIP rates (WithDropIndex is off, so it is dropped by name).
	extra = append([]string{`DROP INDEX IF EXISTS taxrate_country_code_province_code_tax_class`}, extra...)
	for _, stmt := range extra {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate: full-text search: %w", err)
		}
	}
	if db.Postgres() {
		if err := db.migrateSortKeys(ctx, log); err != nil {
			return err
		}
	}
	log.InfoContext(ctx, "schema migrated", "dialect", db.Dialect)
	return nil
}

// postgresSearchDDL adds the weighted full-text document of each product as a generated column with a
// GIN index (titles weigh most, then vendor, type and tags, then the description), and the indexes of
// the search filters ent cannot declare.
var postgresSearchDDL = []string{
	`ALTER TABLE products ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
		setweight(to_tsvector('simple', coalesce(vendor, '') || ' ' || coalesce(product_type, '') || ' ' ||
			coalesce(tags::text, '')), 'B') ||
		setweight(to_tsvector('english', coalesce(description, '')), 'C')
	) STORED`,
	`CREATE INDEX IF NOT EXISTS products_search_vector ON products USING GIN (search_vector)`,
	// Search filters match vendor and product type case-insensitively. Indexes on the lowered values
	// serve a rare one directly, and give the planner statistics that tell a rare one from a common one.
	`CREATE INDEX IF NOT EXISTS products_lower_vendor ON products (lower(vendor))`,
	`CREATE INDEX IF NOT EXISTS products_lower_product_type ON products (lower(product_type))`,
}

// sqliteSearchDDL keeps an FTS5 index of the products table up to date through triggers.
var sqliteSearchDDL = []string{
	`CREATE VIRTUAL TABLE IF NOT EXISTS product_fts USING fts5(
		title, vendor, product_type, tags, description,
		content='products', content_rowid='id', tokenize='porter unicode61')`,
	`CREATE TRIGGER IF NOT EXISTS products_fts_insert AFTER INSERT ON products BEGIN
		INSERT INTO product_fts(rowid, title, vendor, product_type, tags, description)
		VALUES (new.id, new.title, new.vendor, new.product_type, new.tags, new.description);
	END`,
	`CREATE TRIGGER IF NOT EXISTS products_fts_delete AFTER DELETE ON products BEGIN
		INSERT INTO product_fts(product_fts, rowid, title, vendor, product_type, tags, description)
		VALUES ('delete', old.id, old.title, old.vendor, old.product_type, old.tags, old.description);
	END`,
	`CREATE TRIGGER IF NOT EXISTS products_fts_update AFTER UPDATE ON products BEGIN
		INSERT INTO product_fts(product_fts, rowid, title, vendor, product_type, tags, description)
		VALUES ('delete', old.id, old.title, old.vendor, old.product_type, old.tags, old.description);
		INSERT INTO product_fts(rowid, title, vendor, product_type, tags, description)
		VALUES (new.id, new.title, new.vendor, new.product_type, new.tags, new.description);
	END`,
}
