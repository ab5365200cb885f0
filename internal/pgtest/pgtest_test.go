package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

var server *Server

func TestMain(m *testing.M) {
	begin := time.Now()
	s, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kind := "throwaway cluster"
	if s.cluster == nil {
		kind = "server of " + EnvDatabaseURL
	}
	fmt.Fprintf(os.Stderr, "pgtest: Start took %v (%s)\n", time.Since(begin).Round(time.Millisecond), kind)
	server = s
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// open connects to dsn and closes the connection at the end of the test.
func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatalf("ping %s: %v", dsn, err)
	}
	return db
}

func exec1(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func currentDatabase(t *testing.T, db *sql.DB) string {
	t.Helper()
	var name string
	if err := db.QueryRow("SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestDatabasesAreIsolated(t *testing.T) {
	t.Parallel()
	a := open(t, server.NewDatabase(t))
	b := open(t, server.NewDatabase(t))

	nameA, nameB := currentDatabase(t, a), currentDatabase(t, b)
	if nameA == nameB {
		t.Fatalf("both databases are %s", nameA)
	}
	for _, name := range []string{nameA, nameB} {
		if !strings.HasPrefix(name, dbNamePrefix) {
			t.Errorf("database name %q lacks prefix %q", name, dbNamePrefix)
		}
	}

	exec1(t, a, "CREATE TABLE item (name text NOT NULL)")
	exec1(t, a, "INSERT INTO item VALUES ('only in a')")
	exec1(t, b, "CREATE TABLE item (name text NOT NULL)") // no clash with a's table

	var n int
	if err := b.QueryRow("SELECT count(*) FROM item").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("b's item table has %d rows, want 0", n)
	}
	exec1(t, a, "CREATE TABLE only_a (id int)")
	var reg sql.NullString
	if err := b.QueryRow("SELECT to_regclass('only_a')::text").Scan(&reg); err != nil {
		t.Fatal(err)
	}
	if reg.Valid {
		t.Errorf("table only_a of %s is visible in %s", nameA, nameB)
	}
}

func TestDatabaseDroppedOnCleanup(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("use", func(t *testing.T) {
		db := open(t, server.NewDatabase(t))
		name = currentDatabase(t, db)
		exec1(t, db, "CREATE TABLE t (id int)")
		// A connection that is still open when the database is dropped:
		// registered before NewDatabase's cleanup, it is closed after it.
		leftOpen, err := sql.Open("postgres", server.dsnFor(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { leftOpen.Close() })
		if err := leftOpen.Ping(); err != nil {
			t.Fatal(err)
		}
	})
	if name == "" {
		t.Fatal("subtest did not report its database")
	}
	admin := open(t, server.AdminDSN())
	var n int
	if err := admin.QueryRow("SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still exists after its test finished", name)
	}
}

func TestManyDatabasesInParallel(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			db := open(t, server.NewDatabase(t))
			exec1(t, db, "CREATE TABLE t (id int PRIMARY KEY)")
			exec1(t, db, "INSERT INTO t VALUES ($1)", i)
		})
	}
}

// TestStopIsIdempotent starts a second server and checks that Stop shuts it
// down, removes its directory and may be called again.
func TestStopIsIdempotent(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	dsn := s.AdminDSN()
	var pid int
	if s.cluster != nil {
		// The cleanup of this database runs after Stop, and must accept
		// that the database is gone with the cluster.
		dsn = s.NewDatabase(t)
		var ok bool
		if pid, ok = postmasterPID(s.cluster.dataDir()); !ok {
			t.Fatal("no postmaster.pid in a running cluster")
		}
	}
	db := open(t, dsn)
	exec1(t, db, "SELECT 1")
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if s.cluster == nil {
		return // external server: nothing else to check
	}
	if isPostmasterOf(pid, s.cluster.dataDir()) {
		t.Errorf("postmaster %d still running after Stop", pid)
	}
	if _, err := os.Stat(s.cluster.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s not removed: %v", s.cluster.dir, err)
	}
	if err := db.PingContext(context.Background()); err == nil {
		t.Errorf("database still reachable after Stop")
	}
}

func TestStartWithoutBinaries(t *testing.T) {
	t.Setenv(EnvDatabaseURL, "")
	t.Setenv(EnvPGBin, "")
	t.Setenv("PATH", t.TempDir())
	old := binGlob
	binGlob = filepath.Join(t.TempDir(), "*", "bin")
	t.Cleanup(func() { binGlob = old })

	s, err := Start()
	if err == nil {
		s.Stop()
		t.Fatal("Start succeeded without PostgreSQL binaries")
	}
	for _, want := range []string{"no PostgreSQL server binaries found", "initdb", EnvPGBin, EnvDatabaseURL} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	t.Setenv(EnvPGBin, t.TempDir())
	if _, err := Start(); err == nil || !strings.Contains(err.Error(), EnvPGBin) {
		t.Errorf("Start with an empty %s: error %v, want one naming %s", EnvPGBin, err, EnvPGBin)
	}
}

func TestReapStale(t *testing.T) {
	root := t.TempDir()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID := strconv.Itoa(dead.Process.Pid)

	stale := filepath.Join(root, dirPrefix+"stale")
	live := filepath.Join(root, dirPrefix+"live")
	setup := filepath.Join(root, dirPrefix+"setup") // no owner file yet
	for dir, owner := range map[string]string{stale: deadPID, live: strconv.Itoa(os.Getpid()), setup: ""} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(owner), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	reapStale(root)
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cluster directory not removed: %v", err)
	}
	for _, dir := range []string{live, setup} {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("%s: %v", dir, err)
		}
	}
}

// TestReapStaleCluster leaks a real cluster, as a killed test binary would,
// and checks that the next Start's reaping shuts it down.
func TestReapStaleCluster(t *testing.T) {
	if server.cluster == nil {
		t.Skip("external server: no throwaway cluster to reap")
	}
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	c := s.cluster
	pid, ok := postmasterPID(c.dataDir())
	if !ok {
		t.Fatal("no postmaster.pid in a running cluster")
	}
	if !isPostmasterOf(pid, c.dataDir()) {
		t.Fatalf("process %d is not recognised as the postmaster of %s", pid, c.dataDir())
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, ownerFile), []byte(strconv.Itoa(dead.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	reapStale(filepath.Dir(c.dir))
	if isPostmasterOf(pid, c.dataDir()) {
		t.Errorf("postmaster %d of the stale cluster still running", pid)
	}
	if _, err := os.Stat(c.dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale cluster directory not removed: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop of a reaped cluster: %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		sign int
	}{
		{"15", "9.6", 1},
		{"9.6", "10", -1},
		{"16", "16", 0},
		{"9.6", "9.5", 1},
	} {
		got := compareVersions(tc.a, tc.b)
		if (got > 0) != (tc.sign > 0) || (got < 0) != (tc.sign < 0) {
			t.Errorf("compareVersions(%q, %q) = %d, want sign %d", tc.a, tc.b, got, tc.sign)
		}
	}
}

func TestDSNRewriter(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://u:p@db:5432/postgres?sslmode=disable", "postgres://u:p@db:5432/x?sslmode=disable"},
		{"postgresql://u@db/", "postgresql://u@db/x"},
		{"host=db user=u dbname=postgres", "host=db user=u dbname=postgres dbname=x"},
	} {
		f, err := dsnRewriter(tc.dsn)
		if err != nil {
			t.Fatalf("%s: %v", tc.dsn, err)
		}
		if got := f("x"); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.dsn, got, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	if got, want := shellQuote("/tmp/a b'c"), `'/tmp/a b'\''c'`; got != want {
		t.Errorf("shellQuote = %s, want %s", got, want)
	}
}

func TestReplicated(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a primary and a standby")
	}
	r, err := StartReplicated()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop() })
	primaryDSN, standbyDSN := r.NewDatabase(t)
	primary, standby := open(t, primaryDSN), open(t, standbyDSN)
	if a, b := currentDatabase(t, primary), currentDatabase(t, standby); a != b {
		t.Fatalf("primary DSN names %s, standby DSN %s", a, b)
	}
	var recovering bool
	if err := standby.QueryRow("SELECT pg_is_in_recovery()").Scan(&recovering); err != nil || !recovering {
		t.Fatalf("standby in recovery: %v, %v", recovering, err)
	}

	exec1(t, primary, "CREATE TABLE item (name text NOT NULL)")
	exec1(t, primary, "INSERT INTO item VALUES ('replicated')")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.WaitReplay(ctx); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := standby.QueryRow("SELECT name FROM item").Scan(&name); err != nil || name != "replicated" {
		t.Errorf("standby reads %q, %v; want the primary's row", name, err)
	}
	if _, err := standby.Exec("INSERT INTO item VALUES ('x')"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("a write on the standby: %v, want a read-only error", err)
	}

	dirs := []string{r.Primary.cluster.dir, r.Standby.cluster.dir}
	if err := r.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("cluster directory %s not removed: %v", dir, err)
		}
	}
}

func TestPgBouncer(t *testing.T) {
	dsn := server.NewDatabase(t)
	b, err := StartPgBouncer(server.AdminDSN(), 2)
	if errors.Is(err, ErrNoPgBouncer) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop() })
	db := open(t, b.DSN(currentDatabase(t, open(t, dsn))))
	exec1(t, db, "CREATE TABLE t (id int)")
	exec1(t, db, "INSERT INTO t VALUES (1)")
	var mode string
	console, err := sql.Open("postgres", b.DSN("pgbouncer")) // no Ping: the console does not answer it
	if err != nil {
		t.Fatal(err)
	}
	defer console.Close()
	rows, err := console.Query("SHOW CONFIG")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		cols, _ := rows.Columns()
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if vals[0].String == "pool_mode" {
			mode = vals[1].String
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if mode != "transaction" {
		t.Errorf("pool_mode %q, want transaction", mode)
	}
	dir := b.dir
	if err := b.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pgbouncer directory %s not removed: %v", dir, err)
	}
	if err := db.Ping(); err == nil {
		t.Error("pgbouncer still answers after Stop")
	}
}
