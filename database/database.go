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
	Client *ent.Client
	SQL    *sql.DB
	// ReadSQL is the read replica's pool, or nil without one. The Client reads from it only for
	// contexts marked by WithReplicaReads.
	ReadSQL *sql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	driver  *CountingDriver
	// dsn is the SQLite file's DSN, for the job queue's pool of its own (OpenJobsPool).
	dsn string
}

// Options tune the connection pool.
type Options struct {
	// MaxOpenConns bounds each PostgreSQL pool (20 by default).
	MaxOpenConns int
	// ReadURL, when set, is a postgres:// URL of a read replica of the PostgreSQL database (a hot
	// standby): a second pool, of the same size, that serves the reads of contexts marked by
	// WithReplicaReads.
	ReadURL string
	// OnStatement, when set, observes every statement's pool and duration (for metrics).
	OnStatement func(ctx context.Context, pool Pool, d time.Duration)
}

// Pool names the connection pool a statement ran on.
type Pool string

// The pools.
const (
	Primary Pool = "primary"
	Replica Pool = "replica"
)

// Open connects to the database named by dsn: a postgres:// or postgresql:// URL selects PostgreSQL,
// anything else is a SQLite file path (or a file: URI). With opts.ReadURL it connects to the read replica
// too, and fails if either does not answer.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	var (
		db   *sql.DB
		dial string
		err  error
	)
	if isPostgres(dsn) {
		dial = dialect.Postgres
		if db, err = openPostgres(ctx, dsn, opts.MaxOpenConns); err != nil {
			return nil, fmt.Errorf("connect to postgres database: %w", err)
		}
	} else {
		if opts.ReadURL != "" {
			return nil, errors.New("a read replica needs PostgreSQL: the database is SQLite")
		}
		dial = dialect.SQLite
		db, err = sql.Open("sqlite", sqliteDSN(dsn))
		if err != nil {
			return nil, fmt.Errorf("open sqlite %s: %w", dsn, err)
		}
		// WAL lets readers run beside the single writer; more connections than that only queue on the lock.
		db.SetMaxOpenConns(8)
		db.SetMaxIdleConns(8)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to sqlite database: %w", err)
		}
	}
	drv := &CountingDriver{Driver: entsql.OpenDB(dial, db), onStatement: opts.OnStatement, postgres: dial == dialect.Postgres}
	if dial == dialect.SQLite {
		drv.writeGate = make(chan struct{}, 1)
	}
	var readDB *sql.DB
	if opts.ReadURL != "" {
		if !isPostgres(opts.ReadURL) {
			db.Close()
			return nil, errors.New("the read replica's URL must be a postgres:// URL")
		}
		if readDB, err = openPostgres(ctx, opts.ReadURL, opts.MaxOpenConns); err != nil {
			db.Close()
			return nil, fmt.Errorf("connect to the read replica: %w", err)
		}
		drv.replica = entsql.OpenDB(dial, readDB)
	}
	out := &DB{Client: ent.NewClient(ent.Driver(drv)), SQL: db, ReadSQL: readDB, Dialect: dial, driver: drv}
	if dial == dialect.SQLite {
		out.dsn = dsn
	}
	return out, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openPostgres opens and pings a PostgreSQL pool of at most maxConns connections.
func openPostgres(ctx context.Context, dsn string, maxConns int) (*sql.DB, error) {
	db, err := sql.Open("postgres", postgresDSN(dsn))
	if err != nil {
		return nil, err
	}
	if maxConns <= 0 {
		maxConns = 20
	}
	// Exclusive holds one connection while the migration it guards needs another.
	maxConns = max(maxConns, 2)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// postgresDSN turns on lib/pq's binary_parameters unless the URL chooses. With it, a statement with
// parameters travels as one Parse/Bind/Execute/Sync exchange instead of two (Parse/Describe/Sync, then
// Bind/Execute/Sync on the unnamed statement): one round trip less, and correct behind PgBouncer in
// transaction mode, which may hand the second exchange to another server connection, where the unnamed
// statement is missing or, worse, another client's. Its cost, []byte parameters sent as binary, is
// taken care of by CountingDriver.
func postgresDSN(dsn string) string {
	if strings.Contains(dsn, "binary_parameters=") {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "binary_parameters=yes"
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

// Close closes the client and its pools.
func (db *DB) Close() error { return db.Client.Close() }

// Ping checks that the database answers.
//
// Only the primary must answer. A read replica that does not is reported by ReplicaErr and its reads go
// to the primary meanwhile: carts and checkout never needed it, and the storefront can do without it.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("primary: %w", err)
	}
	return nil
}

// ReplicaErr pings the read replica: nil when it answers or there is none. A replica that does not answer
// has its reads sent to the primary for a while.
func (db *DB) ReplicaErr(ctx context.Context) error {
	if db.ReadSQL == nil {
		return nil
	}
	err := db.ReadSQL.PingContext(ctx)
	if err != nil && ctx.Err() == nil {
		db.driver.failover(ctx, Replica, err)
	}
	return err
}

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
