package integration

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent/completionattempt"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/service"
)

// TestPeriodicRecoverySweep leaves a completion attempt abandoned (PROCESSING, its lease run out) and
// checks that the periodic sweep, queued by River's leader, ends it; the lease is long, so that the
// sweep a start queues for after the lease cannot be the one. On PostgreSQL a second replica runs its
// jobs too, and the sweeps stay one a period across both.
func TestPeriodicRecoverySweep(t *testing.T) {
	const sweep = 200 * time.Millisecond
	configure := func(o *service.Options) { o.CompletionLease, o.CompletionSweep = time.Minute, sweep }
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "sweep.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			s := startServerWith(t, kind, dsn, configure)
			t.Cleanup(s.close)
			err := s.svc.DB.Client.CompletionAttempt.Create().SetID("att-abandoned").SetCartID("cart-abandoned").
				SetAttemptToken("t").SetLeaseUntil(time.Now().Add(-time.Second)).Exec(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.svc.StartJobs(ctx); err != nil {
				t.Fatal(err)
			}
			started := time.Now()
			for {
				a, err := s.svc.DB.Client.CompletionAttempt.Get(ctx, "att-abandoned")
				if err != nil {
					t.Fatal(err)
				}
				if a.Status == completionattempt.StatusFAILED {
					t.Logf("recovered %v after the jobs started", time.Since(started).Round(10*time.Millisecond))
					break
				}
				if time.Since(started) > 15*time.Second {
					t.Fatalf("the abandoned attempt is still %s; the queue holds %s", a.Status, queueRows(t, s))
				}
				time.Sleep(50 * time.Millisecond)
			}
			if kind != "postgres" {
				return
			}
			other := startServerWith(t, kind, dsn, configure)
			t.Cleanup(other.close)
			if err := other.svc.StartJobs(ctx); err != nil {
				t.Fatal(err)
			}
			before := jobsOfKind(t, s, "orders.recovery_sweep")
			const window = 3 * time.Second
			time.Sleep(window)
			n := jobsOfKind(t, s, "orders.recovery_sweep") - before
			if n < 3 || n > int(window/sweep)+2 {
				t.Errorf("%d sweeps in %v across two replicas sweeping every %v", n, window, sweep)
			}
		})
	}
}

// queueRows lists the job queue's rows (kind, state, queue, errors), for a failure's message.
func queueRows(t *testing.T, s *server) string {
	rows, err := s.svc.DB.SQL.Query("SELECT kind, state, queue, cast(errors as text) FROM river_job ORDER BY id")
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var kind, state, queue string
		var errs sql.NullString
		if err := rows.Scan(&kind, &state, &queue, &errs); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "\n%s %s %s %s", kind, state, queue, errs.String)
	}
	return b.String()
}

// TestJobsSurviveACrashAndWorkerStops records an event in an `emporium serve` that works no jobs
// (EMPORIUM_JOBS=off), kills it with SIGKILL before anything works the event's job, then starts
// `emporium worker` on the database: it works the job, answers /healthz, and stops cleanly on SIGTERM.
func TestJobsSurviveACrashAndWorkerStops(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills processes")
	}
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "crash.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			p := startProcess(t, dsn, "EMPORIUM_JOBS=off")
			customer, _ := signUpAndLogIn(t, p.asServer(), "crash@example.com")
			if err := p.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = p.cmd.Wait()

			db, err := database.Open(ctx, dsn, database.Options{MaxOpenConns: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			processed := func() bool {
				e, err := db.Client.Event.Query().Where(event.ResourceID(customer)).Only(ctx)
				if err != nil {
					t.Fatalf("the event of %s: %v", customer, err)
				}
				return e.ProcessedAt != nil
			}
			if processed() {
				t.Fatal("the event was processed by a server with EMPORIUM_JOBS=off")
			}

			w := startWorker(t, dsn)
			deadline := time.Now().Add(20 * time.Second)
			for !processed() {
				if time.Now().After(deadline) {
					t.Fatalf("the worker did not work the event's job:\n%s", w.log.String())
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- w.cmd.Wait() }()
			select {
			case err := <-exited:
				if err != nil || !strings.Contains(w.log.String(), `"stopped"`) {
					t.Errorf("the worker exited with %v:\n%s", err, w.log.String())
				}
			case <-time.After(30 * time.Second):
				_ = w.cmd.Process.Kill()
				t.Fatalf("the worker did not stop on SIGTERM:\n%s", w.log.String())
			}
		})
	}
}

// startWorker runs `emporium worker` on dsn and waits until its /healthz answers.
func startWorker(t *testing.T, dsn string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	w := &process{url: "http://" + addr}
	w.cmd = exec.Command(emporiumBinary(t), "worker")
	w.cmd.Env = append(os.Environ(), "EMPORIUM_DATABASE_URL="+dsn, "EMPORIUM_WORKER_ADDR="+addr, "EMPORIUM_LOG_LEVEL=info")
	w.cmd.Stdout, w.cmd.Stderr = &w.log, &w.log
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if w.cmd.ProcessState == nil {
			_ = w.cmd.Process.Kill()
			_ = w.cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(w.url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return w
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker's /healthz does not answer: %v\n%s", err, w.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
