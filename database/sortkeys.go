package database

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// On PostgreSQL each collection membership carries its product's sort keys (title, lowest price, sales,
// creation), kept by triggers, with an index per key. A page of a collection sorted by one of them is
// then a range scan of its index, whatever the collection's size, where joining every member to its
// product and sorting them cost in proportion to the collection: 24 ms instead of 13 for a 10,000-member
// collection of a million-product catalog. ent does not know these columns; only the collection
// listing's SQL reads them.

// sortKeyColumns are the columns added to collection_products.
const sortKeyColumns = `ADD COLUMN IF NOT EXISTS product_title varchar,
	ADD COLUMN IF NOT EXISTS product_min_price bigint,
	ADD COLUMN IF NOT EXISTS product_sales_count bigint,
	ADD COLUMN IF NOT EXISTS product_created_at timestamptz`

var sortKeyDDL = []string{
	`CREATE INDEX IF NOT EXISTS collection_products_by_title ON collection_products (collection_id, product_title, product_id)`,
	`CREATE INDEX IF NOT EXISTS collection_products_by_price ON collection_products (collection_id, product_min_price, product_id)`,
	`CREATE INDEX IF NOT EXISTS collection_products_by_sales ON collection_products (collection_id, product_sales_count, product_id)`,
	`CREATE INDEX IF NOT EXISTS collection_products_by_created ON collection_products (collection_id, product_created_at, product_id)`,
	`CREATE OR REPLACE FUNCTION emporium_member_sort_keys() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		SELECT title, min_price, sales_count, created_at
		INTO NEW.product_title, NEW.product_min_price, NEW.product_sales_count, NEW.product_created_at
		FROM products WHERE id = NEW.product_id;
		RETURN NEW;
	END $$`,
	`CREATE OR REPLACE TRIGGER collection_products_sort_keys BEFORE INSERT OR UPDATE OF product_id ON collection_products
	FOR EACH ROW EXECUTE FUNCTION emporium_member_sort_keys()`,
	`CREATE OR REPLACE FUNCTION emporium_product_sort_keys() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		UPDATE collection_products SET product_title = NEW.title, product_min_price = NEW.min_price,
			product_sales_count = NEW.sales_count, product_created_at = NEW.created_at
		WHERE product_id = NEW.id;
		RETURN NULL;
	END $$`,
	`CREATE OR REPLACE TRIGGER products_sort_keys AFTER UPDATE OF title, min_price, sales_count, created_at ON products
	FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.min_price IS DISTINCT FROM NEW.min_price
		OR OLD.sales_count IS DISTINCT FROM NEW.sales_count OR OLD.created_at IS DISTINCT FROM NEW.created_at)
	EXECUTE FUNCTION emporium_product_sort_keys()`,
}

// migrateSortKeys adds the sort-key columns, filling them for the rows there are in the same transaction
// (so that a crash cannot leave them empty), then their indexes and triggers.
func (db *DB) migrateSortKeys(ctx context.Context, log *slog.Logger) error {
	var present bool
	err := db.SQL.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = 'collection_products' AND column_name = 'product_title')`).Scan(&present)
	if err != nil {
		return fmt.Errorf("migrate: collection sort keys: %w", err)
	}
	if !present {
		start := time.Now()
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: collection sort keys: %w", err)
		}
		defer func() { _ = tx.Rollback() }()
		res, err := tx.ExecContext(ctx, `ALTER TABLE collection_products `+sortKeyColumns)
		if err == nil {
			res, err = tx.ExecContext(ctx, `UPDATE collection_products cp SET product_title = p.title, product_min_price = p.min_price,
				product_sales_count = p.sales_count, product_created_at = p.created_at FROM products p WHERE p.id = cp.product_id`)
		}
		if err == nil {
			err = tx.Commit()
		}
		if err != nil {
			return fmt.Errorf("migrate: collection sort keys: %w", err)
		}
		n, _ := res.RowsAffected()
		log.InfoContext(ctx, "collection memberships given their products' sort keys", "rows", n, "took", time.Since(start).Round(time.Millisecond))
	}
	for _, stmt := range sortKeyDDL {
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrate: collection sort keys: %w", err)
		}
	}
	return nil
}
