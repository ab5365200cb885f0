// Package database opens Emporium's database (embedded SQLite or PostgreSQL), migrates its schema and
// counts the SQL statements each request issues.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // PostgreSQL driver, registered as "postgres"
	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"

	"github.com/emporium/emporium/ent"
)

// DB is an open database with its ent client.
type DB struct {
	Client  *ent.Client
	SQL     *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	driver  *CountingDriver
}

// Options tune the connection pool.
type Options struct {
	MaxOpenConns int
	// OnStatement, when set, observes every statement's duration (for metrics).
	OnStatement func(ctx context.Context, d time.Duration)
}

// Open connects to the database named by dsn: a postgres:// or postgresql:// URL selects PostgreSQL,
// anything else is a SQLite file path (or a file: URI).
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	var (
		db   *sql.DB
		dial string
		err  error
	)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		dial = dialect.Postgres
		db, err = sql.Open("postgres", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		max := opts.MaxOpenConns
		if max <= 0 {
			max = 20
		}
		db.SetMaxOpenConns(max)
		db.SetMaxIdleConns(max)
		db.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		dial = dialect.SQLite
		db, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// WAL lets readers run beside the single writer; more connections than that only queue on the lock.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dial, err)
	}
	drv := &CountingDriver{Driver: entsql.OpenDB(dial, db), onStatement: opts.OnStatement}
	if dial == dialect.SQLite {
		drv.writeGate = make(chan struct{}, 1)
	}
	return &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, Dialect: dial, driver: drv}, nil
}

// sqliteDSN turns a path into a URI with the pragmas Emporium relies on: foreign keys (ent's cascades),
// WAL, and a busy timeout so concurrent writers wait instead of failing.
func sqliteDSN(path string) string {
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	return path + sep + q.Encode()
}

// Close closes the client and its pool.
func (db *DB) Close() error { return db.Client.Close() }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Postgres reports whether the database is PostgreSQL.
func (db *DB) Postgres() bool { return db.Dialect == dialect.Postgres }

// Querier runs hand-written SQL through the counting driver.
func (db *DB) Querier() *CountingDriver { return db.driver }

// WithTx runs fn in a transaction of client, committing when fn returns nil and rolling back otherwise.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer RollbackOnPanic(tx)
	if err := fn(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// RollbackOnPanic, deferred right after a transaction begins, ends the transaction when the code using it
// panics: a transaction left open would hold its connection and, on SQLite, the write lock for good.
func RollbackOnPanic(tx *ent.Tx) {
	if p := recover(); p != nil {
		_ = tx.Rollback()
		panic(p)
	}
}
