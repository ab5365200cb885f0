package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
)

// SQLTx returns the *sql.Tx under an ent transaction begun by a client of Open, for libraries that write
// their own rows in the caller's transaction (the job queue's InsertTx): what they write commits or rolls
// back with the ent statements around it.
func SQLTx(tx *ent.Tx) (*sql.Tx, error) {
	dtx := tx.DialectTx()
	if c, ok := dtx.(*countingTx); ok {
		dtx = c.Tx
	}
	if etx, ok := dtx.(*entsql.Tx); ok {
		if stx, ok := etx.Tx.(*sql.Tx); ok {
			return stx, nil
		}
	}
	return nil, fmt.Errorf("database: the transaction is a %T, not one of database/sql", dtx)
}

// OpenJobsPool opens the pool the job queue runs its own statements on (fetching, completing, electing a
// leader). On PostgreSQL it is the shared pool. On SQLite it is a second pool of ONE connection to the
// same file, with the same pragmas, as River's SQLite driver advises: River runs its maintenance
// concurrently and would otherwise hit SQLITE_BUSY against itself. Its own pool, rather than the app's,
// because the app's writers go through a gate of one (CountingDriver.writeGate) that River would bypass
// while taking the app's connections: a River write waiting in BEGIN IMMEDIATE on the app's pool could
// hold the connection a gated writer needs. On a pool of its own it only waits its turn for the file's
// write lock (busy_timeout), and no transaction of the app ever waits for River's connection, so the
// two cannot deadlock. Jobs inserted in an app transaction go through that transaction (SQLTx), not
// this pool. The caller closes the pool it gets only if it differs from db.SQL.
func (db *DB) OpenJobsPool(ctx context.Context) (*sql.DB, error) {
	if db.Postgres() {
		return db.SQL, nil
	}
	if db.dsn == "" || strings.Contains(db.dsn, ":memory:") || strings.Contains(db.dsn, "mode=memory") {
		// A second connection to an in-memory database would open another, empty database.
		return nil, errors.New("database: the job queue needs a SQLite file, not an in-memory database")
	}
	pool, err := sql.Open("sqlite", sqliteDSN(db.dsn))
	if err != nil {
		return nil, fmt.Errorf("open the job queue's sqlite pool: %w", err)
	}
	pool.SetMaxOpenConns(1)
	pool.SetMaxIdleConns(1)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect the job queue's sqlite pool: %w", err)
	}
	return pool, nil
}

// TxKey names tx's transaction, for hooks that gather what one transaction writes. Each mutation's
// Tx() is a new *ent.Tx over the same transaction, so the *ent.Tx cannot be the key; the dialect
// transaction under them is the one they share (a pointer in every driver here; anything else, which
// might not be comparable, falls back to tx itself and only loses the sharing).
func TxKey(tx *ent.Tx) any {
	d := tx.DialectTx()
	if t := reflect.TypeOf(d); t != nil && t.Kind() == reflect.Pointer {
		return d
	}
	return tx
}
