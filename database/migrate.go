package database

import (
	"context"
	"fmt"
	"log/slog"

	"entgo.io/ent/dialect/sql/schema"
)

// migrationLock is the PostgreSQL advisory lock key that serialises migrations of replicas starting at
// once ("emporium" in ASCII, folded into an int64).
const migrationLock = 0x656d706f7269756d

// Exclusive runs fn while holding a PostgreSQL advisory lock, so that replicas starting together migrate
// and seed one after another. SQLite serialises writers itself.
func (db *DB) Exclusive(ctx context.Context, fn func(context.Context) error) error {
	if !db.Postgres() {
		return fn(ctx)
	}
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	defer func() {
		// The lock is released with the session anyway; unlocking early lets the next replica go on.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLock)
	}()
	return fn(ctx)
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
