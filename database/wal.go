package database

import (
	"context"
	"errors"
	"time"

	entsql "entgo.io/ent/dialect/sql"
)

// ErrNoReplica is returned by ReplicaReplayed without a read replica, or while it is held down after
// failing to answer (see CountingDriver.failover).
var ErrNoReplica = errors.New("database: no read replica")

// PrimaryWAL returns the primary's WAL insert position, as a byte offset. Read after a commit, it is at
// or past the end of the commit's record: a standby that has replayed this far shows the commit. The
// insert position rather than pg_current_wal_lsn (the write position) because, with synchronous_commit
// off, a commit may return before its record is written out.
func (db *DB) PrimaryWAL(ctx context.Context) (uint64, error) {
	return db.lsn(ctx, db.driver.Driver, Primary, "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
}

// ReplicaReplayed returns how far the read replica has replayed the primary's WAL, as a byte offset
// comparable with PrimaryWAL's; 0 when the replica is not a standby (it is not in recovery).
func (db *DB) ReplicaReplayed(ctx context.Context) (uint64, error) {
	if !db.driver.ReplicaAvailable() {
		return 0, ErrNoReplica
	}
	n, err := db.lsn(ctx, db.driver.replica, Replica, "SELECT coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)")
	db.driver.failover(ctx, Replica, err)
	return n, err
}

// lsn runs query, which answers one bigint, on drv, counting it as a statement of ctx's request.
func (db *DB) lsn(ctx context.Context, drv *entsql.Driver, pool Pool, query string) (uint64, error) {
	defer db.driver.observe(ctx, pool, time.Now())
	rows, err := drv.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	if !rows.Next() {
		return 0, errors.Join(errors.New("database: no WAL position"), rows.Err())
	}
	if err := rows.Scan(&n); err != nil {
		return 0, err
	}
	return uint64(max(n, 0)), rows.Close()
}
