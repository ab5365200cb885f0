package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/jobs"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "jobs: PostgreSQL is required:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// eachDB runs fn on a new, migrated database of each kind.
func eachDB(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "jobs.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			db, err := database.Open(ctx, dsn, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			for range 2 { // migrating again changes nothing
				if err := db.Exclusive(ctx, func(ctx context.Context) error { return jobs.Migrate(ctx, db, log) }); err != nil {
					t.Fatal(err)
				}
			}
			fn(t, db)
		})
	}
}

type probeArgs struct {
	N int `json:"n"`
}

func (probeArgs) Kind() string { return "probe" }

type probe struct {
	jobs.WorkerDefaults[probeArgs]
	worked chan int
}

func (p *probe) Work(_ context.Context, j *jobs.Job[probeArgs]) error {
	p.worked <- j.Args.N
	return nil
}

// TestInsertTx inserts jobs in ent transactions: the job of one that rolls back is never worked, the
// job of one that commits is, and a job without a queue is refused.
func TestInsertTx(t *testing.T) {
	eachDB(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		q, err := jobs.New(ctx, db, jobs.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		p := &probe{worked: make(chan int, 4)}
		if err := jobs.Register(q, jobs.Worker[probeArgs](p)); err != nil {
			t.Fatal(err)
		}
		on := &jobs.InsertOpts{Queue: jobs.QueueEvents}
		rollback := errors.New("rolled back")
		err = database.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			if err := q.InsertTx(ctx, tx, probeArgs{N: 1}, on); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatal(err)
		}
		err = database.WithTx(ctx, db.Client, func(tx *ent.Tx) error { return q.InsertTx(ctx, tx, probeArgs{N: 3}, nil) })
		if err == nil {
			t.Error("a job without a queue was taken")
		}
		if err := database.WithTx(ctx, db.Client, func(tx *ent.Tx) error { return q.InsertTx(ctx, tx, probeArgs{N: 2}, on) }); err != nil {
			t.Fatal(err)
		}
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-p.worked:
			if n != 2 {
				t.Fatalf("worked %d, want 2", n)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the committed job was not worked")
		}
		select {
		case n := <-p.worked:
			t.Errorf("worked %d too", n)
		case <-time.After(time.Second):
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := errors.Join(q.Stop(stopCtx), q.Close()); err != nil {
			t.Fatal(err)
		}
		if err := jobs.Register(q, jobs.Worker[probeArgs](p)); err == nil {
			t.Error("a worker was registered twice")
		}
	})
}
