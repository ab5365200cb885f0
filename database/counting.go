package database

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
)

// Counter counts the statements issued under one context, typically one GraphQL request.
type Counter struct {
	n   atomic.Int64
	dur atomic.Int64
}

// Statements is the number of statements counted so far.
func (c *Counter) Statements() int { return int(c.n.Load()) }

// Duration is the time spent in those statements.
func (c *Counter) Duration() time.Duration { return time.Duration(c.dur.Load()) }

type counterKey struct{}

// WithCounter returns a context whose statements are counted by a new Counter.
func WithCounter(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// CounterFrom returns the context's Counter, or nil.
func CounterFrom(ctx context.Context) *Counter {
	c, _ := ctx.Value(counterKey{}).(*Counter)
	return c
}

type replicaKey struct{}

// WithReplicaReads marks ctx's reads as free to go to the read replica, when there is one: reads that
// may see the data as it was a moment ago (the replica's lag) and need not see the caller's own writes.
// Whatever the context says, a statement that is not a SELECT, and every statement in a transaction, runs
// on the primary.
func WithReplicaReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, replicaKey{}, true)
}

type primaryKey struct{}

// WithPrimaryReads keeps ctx's reads on the primary even if WithReplicaReads marks it later: for reads
// whose answer is kept for others (the response cache, memos) while the replica may lag behind a write
// the keeper has heard of.
func WithPrimaryReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, primaryKey{}, true)
}

func replicaReads(ctx context.Context) bool {
	ok, _ := ctx.Value(replicaKey{}).(bool)
	primary, _ := ctx.Value(primaryKey{}).(bool)
	return ok && !primary
}

// CountingDriver wraps ent's SQL driver and counts each statement against the context's Counter. With a
// read replica, it routes the SELECTs of contexts marked by WithReplicaReads to it.
type CountingDriver struct {
	*entsql.Driver
	// replica is the read replica's driver, or nil.
	replica *entsql.Driver
	// replicaDownUntil (Unix nanoseconds) sends reads to the primary for a while after the replica
	// failed to answer, instead of failing the storefront while it is down.
	replicaDownUntil atomic.Int64
	onStatement      func(context.Context, Pool, time.Duration)
	postgres         bool
	// writeGate, for SQLite, lets one transaction at a time open. SQLite has a single writer: without the
	// gate, every pooled connection could sit in BEGIN IMMEDIATE waiting for the lock while the holder
	// waits for a free connection to read outside its transaction, and all of them stall until the busy
	// timeout. Waiting here keeps the other connections free for reads.
	writeGate chan struct{}
}

func (d *CountingDriver) observe(ctx context.Context, pool Pool, start time.Time) {
	el := time.Since(start)
	if c := CounterFrom(ctx); c != nil {
		c.n.Add(1)
		c.dur.Add(int64(el))
	}
	if d.onStatement != nil {
		d.onStatement(ctx, pool, el)
	}
}

// reader returns the driver that answers query: the replica for a SELECT of a marked context.
func (d *CountingDriver) reader(ctx context.Context, query string) (*entsql.Driver, Pool) {
	if d.replica != nil && replicaReads(ctx) && isSelect(query) && time.Now().UnixNano() >= d.replicaDownUntil.Load() {
		return d.replica, Replica
	}
	return d.Driver, Primary
}

// replicaRetry is how long reads stay on the primary after the replica failed to answer.
const replicaRetry = 5 * time.Second

// failover reports whether err, from the replica, means the replica cannot answer at all (it is down,
// unreachable or not accepting connections), rather than that the statement failed; then it sends reads
// to the primary for replicaRetry, and the caller runs the statement again there. A statement the
// server refused (a *pq.Error) or a request that went away is not the replica's fault.
func (d *CountingDriver) failover(ctx context.Context, pool Pool, err error) bool {
	if pool != Replica || err == nil || ctx.Err() != nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code == "40001":
			// A hot standby cancels a read that conflicts with the WAL it replays: the primary answers it,
			// and the replica stays in use.
			return true
		case !strings.HasPrefix(string(pqErr.Code), "57P") && !strings.HasPrefix(string(pqErr.Code), "08"):
			return false // 57P: shutting down or not accepting connections; 08: connection errors
		}
	}
	d.replicaDownUntil.Store(time.Now().Add(replicaRetry).UnixNano())
	slog.WarnContext(ctx, "read replica unavailable; reading the primary", "err", err, "retry_in", replicaRetry)
	return true
}

// ReplicaAvailable reports whether reads are going to the read replica (false without one, or while it
// is held down after a failure).
func (d *CountingDriver) ReplicaAvailable() bool {
	return d.replica != nil && time.Now().UnixNano() >= d.replicaDownUntil.Load()
}

// isSelect reports whether query is a plain SELECT, which a read-only standby can answer; INSERT …
// RETURNING, which ent sends as a query, is not.
func isSelect(query string) bool {
	query = strings.TrimLeft(query, " \t\r\n(")
	return len(query) >= 6 && strings.EqualFold(query[:6], "SELECT")
}

// args adapts ent's arguments for lib/pq's binary_parameters (see postgresDSN): it would send a []byte
// as binary, which is right for bytea but not for the JSON documents ent marshals into []byte, as jsonb's
// binary format differs from its text. Sent as text, they are parsed by the type the column has. The
// schema has no bytea column (database_test checks).
func (d *CountingDriver) args(args []any) []any {
	if !d.postgres {
		return args
	}
	var out []any
	for i, a := range args {
		b, ok := a.([]byte)
		if !ok {
			if raw, isRaw := a.(json.RawMessage); isRaw {
				b, ok = raw, true
			}
		}
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = string(b)
	}
	if out == nil {
		return args
	}
	return out
}

// entArgs is args for ent's untyped argument list.
func (d *CountingDriver) entArgs(args any) any {
	if a, ok := args.([]any); ok {
		return d.args(a)
	}
	return args
}

// Exec implements dialect.Driver; it always runs on the primary.
func (d *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	defer d.observe(ctx, Primary, time.Now())
	return d.Driver.Exec(ctx, query, d.entArgs(args), v)
}

// Query implements dialect.Driver.
func (d *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	drv, pool := d.reader(ctx, query)
	start := time.Now()
	err := drv.Query(ctx, query, d.entArgs(args), v)
	d.observe(ctx, pool, start)
	if d.failover(ctx, pool, err) {
		start = time.Now()
		err = d.Driver.Query(ctx, query, d.entArgs(args), v)
		d.observe(ctx, Primary, start)
	}
	return err
}

// ExecContext serves ent's sql/execquery feature; it always runs on the primary.
func (d *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer d.observe(ctx, Primary, time.Now())
	return d.Driver.ExecContext(ctx, query, d.args(args)...)
}

// QueryContext serves ent's sql/execquery feature and hand-written queries.
func (d *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	drv, pool := d.reader(ctx, query)
	start := time.Now()
	rows, err := drv.QueryContext(ctx, query, d.args(args)...)
	d.observe(ctx, pool, start)
	if d.failover(ctx, pool, err) {
		start = time.Now()
		rows, err = d.Driver.QueryContext(ctx, query, d.args(args)...)
		d.observe(ctx, Primary, start)
	}
	return rows, err
}

// Close closes the pools.
func (d *CountingDriver) Close() error {
	err := d.Driver.Close()
	if d.replica != nil {
		err = errors.Join(err, d.replica.Close())
	}
	return err
}

// Tx implements dialect.Driver; statements inside the transaction are counted too.
func (d *CountingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	return d.BeginTx(ctx, nil)
}

// BeginTx starts a transaction with options.
func (d *CountingDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	release := func() {}
	if d.writeGate != nil {
		select {
		case d.writeGate <- struct{}{}:
			release = sync.OnceFunc(func() { <-d.writeGate })
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	defer d.observe(ctx, Primary, time.Now())
	tx, err := d.Driver.BeginTx(ctx, opts)
	if err != nil {
		release()
		return nil, err
	}
	return &countingTx{Tx: tx, d: d, ctx: ctx, release: release}, nil
}

type countingTx struct {
	dialect.Tx
	d       *CountingDriver
	ctx     context.Context
	release func()
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	defer t.d.observe(ctx, Primary, time.Now())
	return t.Tx.Exec(ctx, query, t.d.entArgs(args), v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	defer t.d.observe(ctx, Primary, time.Now())
	return t.Tx.Query(ctx, query, t.d.entArgs(args), v)
}

func (t *countingTx) Commit() error {
	defer t.release()
	defer t.d.observe(t.ctx, Primary, time.Now())
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	defer t.release()
	defer t.d.observe(t.ctx, Primary, time.Now())
	return t.Tx.Rollback()
}

// ExecContext serves hand-written statements inside the transaction (ent's sql/execquery feature).
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, errors.New("database: the transaction does not run hand-written statements")
	}
	defer t.d.observe(ctx, Primary, time.Now())
	return ex.ExecContext(ctx, query, t.d.args(args)...)
}

// QueryContext serves hand-written queries inside the transaction.
func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("database: the transaction does not run hand-written queries")
	}
	defer t.d.observe(ctx, Primary, time.Now())
	return q.QueryContext(ctx, query, t.d.args(args)...)
}
