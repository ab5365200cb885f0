package pgtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"
)

// standbySlot is the physical replication slot the standby streams from, so that the primary keeps the
// WAL the standby has not received yet.
const standbySlot = "pgtest_standby"

// Replicated is a throwaway primary and a hot standby that replays the primary's WAL over streaming
// replication. Databases are created on the primary and read on both.
type Replicated struct {
	// Primary accepts reads and writes.
	Primary *Server
	// Standby is read-only: its NewDatabase fails, use Replicated.NewDatabase.
	Standby *Server
}

// StartReplicated starts two throwaway clusters, each on its own free port of 127.0.0.1 and in its own
// directory: a primary with wal_level=replica and WAL senders, and a standby cloned from it with
// pg_basebackup -R (its connection to the primary and standby.signal written by pg_basebackup), which
// streams through a replication slot and answers read-only queries (hot standby). initdb's pg_hba.conf
// trusts replication connections from 127.0.0.1, and the superuser may replicate. It needs the
// server binaries even when EnvDatabaseURL is set; without them the error wraps ErrNoBinaries.
// Stop both with Stop.
func StartReplicated() (*Replicated, error) {
	// Unlike the plain cluster's, these settings keep the WAL complete enough for a base backup; the
	// standby gets the same ones, as a hot standby needs limits at least as high as its primary's.
	settings := []string{"wal_level=replica", "max_wal_senders=4", "max_replication_slots=4", "full_page_writes=on"}
	pc, err := newCluster(settings...)
	if err != nil {
		return nil, err
	}
	if err := pc.initdb(); err != nil {
		return nil, errors.Join(err, pc.destroy())
	}
	primary, err := pc.serve()
	if err != nil {
		return nil, err
	}
	sc, err := newCluster(settings...)
	if err != nil {
		return nil, errors.Join(err, primary.Stop())
	}
	if out, err := sc.run("pg_basebackup", "-D", sc.dataDir(), "-h", "127.0.0.1", "-p", strconv.Itoa(pc.port),
		"-U", superuser, "-R", "-X", "stream", "-C", "-S", standbySlot, "-c", "fast", "--no-sync"); err != nil {
		err = fmt.Errorf("pgtest: pg_basebackup from the primary: %w\n%s", err, out)
		return nil, errors.Join(err, sc.destroy(), primary.Stop())
	}
	standby, err := sc.serve()
	if err != nil {
		return nil, errors.Join(err, primary.Stop())
	}
	return &Replicated{Primary: primary, Standby: standby}, nil
}

// NewDatabase creates a fresh database on the primary, waits until the standby has it too, and returns
// the DSNs of the database on each. The database is dropped when tb finishes.
func (r *Replicated) NewDatabase(tb testing.TB) (primary, standby string) {
	tb.Helper()
	name := r.Primary.newDatabase(tb)
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if err := r.WaitReplay(ctx); err != nil {
		tb.Fatalf("pgtest: database %s on the standby: %v", name, err)
	}
	return r.Primary.dsnFor(name), r.Standby.dsnFor(name)
}

// WaitReplay waits until the standby has replayed everything written on the primary before the call:
// up to the primary's insert position, since with synchronous_commit off (as the clusters run) a
// committed transaction's record may not be written out yet.
// It waits for ever (or until ctx ends) while replay is paused with pg_wal_replay_pause().
func (r *Replicated) WaitReplay(ctx context.Context) error {
	var lsn string
	if err := r.Primary.admin.QueryRowContext(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		return fmt.Errorf("pgtest: primary's WAL position: %w", err)
	}
	for {
		var done bool
		err := r.Standby.admin.QueryRowContext(ctx,
			"SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", lsn).Scan(&done)
		if err != nil {
			return fmt.Errorf("pgtest: standby's replay position: %w", err)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pgtest: standby has not replayed %s: %w", lsn, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Stop stops the standby, then the primary, and removes their directories.
func (r *Replicated) Stop() error {
	return errors.Join(r.Standby.Stop(), r.Primary.Stop())
}
