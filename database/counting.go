package database

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
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

// CountingDriver wraps ent's SQL driver and counts each statement against the context's Counter.
type CountingDriver struct {
	*entsql.Driver
	onStatement func(context.Context, time.Duration)
	// writeGate, for SQLite, lets one transaction at a time open. SQLite has a single writer: without the
	// gate, every pooled connection could sit in BEGIN IMMEDIATE waiting for the lock while the holder
	// waits for a free connection to read outside its transaction, and all of them stall until the busy
	// timeout. Waiting here keeps the other connections free for reads.
	writeGate chan struct{}
}

func (d *CountingDriver) observe(ctx context.Context, start time.Time) {
	el := time.Since(start)
	if c := CounterFrom(ctx); c != nil {
		c.n.Add(1)
		c.dur.Add(int64(el))
	}
	if d.onStatement != nil {
		d.onStatement(ctx, el)
	}
}

// Exec implements dialect.Driver.
func (d *CountingDriver) Exec(ctx context.Context, query string, args, v any) error {
	defer d.observe(ctx, time.Now())
	return d.Driver.Exec(ctx, query, args, v)
}

// Query implements dialect.Driver.
func (d *CountingDriver) Query(ctx context.Context, query string, args, v any) error {
	defer d.observe(ctx, time.Now())
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext serves ent's sql/execquery feature.
func (d *CountingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer d.observe(ctx, time.Now())
	return d.Driver.ExecContext(ctx, query, args...)
}

// QueryContext serves ent's sql/execquery feature and hand-written queries.
func (d *CountingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer d.observe(ctx, time.Now())
	return d.Driver.QueryContext(ctx, query, args...)
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
	defer d.observe(ctx, time.Now())
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
	defer t.d.observe(ctx, time.Now())
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	defer t.d.observe(ctx, time.Now())
	return t.Tx.Query(ctx, query, args, v)
}

func (t *countingTx) Commit() error {
	defer t.release()
	defer t.d.observe(t.ctx, time.Now())
	return t.Tx.Commit()
}

func (t *countingTx) Rollback() error {
	defer t.release()
	defer t.d.observe(t.ctx, time.Now())
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
	defer t.d.observe(ctx, time.Now())
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext serves hand-written queries inside the transaction.
func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, errors.New("database: the transaction does not run hand-written queries")
	}
	defer t.d.observe(ctx, time.Now())
	return q.QueryContext(ctx, query, args...)
}
