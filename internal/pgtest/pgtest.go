// Package pgtest gives integration tests a real PostgreSQL database.
//
// A test binary starts one [Server], typically from TestMain, and each test
// that needs a database asks it for a fresh, empty one with
// [Server.NewDatabase]; the database is dropped when the test finishes:
//
//	var pg *pgtest.Server
//
//	func TestMain(m *testing.M) {
//		var err error
//		pg, err = pgtest.Start()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		code := m.Run()
//		if err := pg.Stop(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//		}
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		dsn := pg.NewDatabase(t)
//		db, err := sql.Open("postgres", dsn)
//		...
//	}
//
// # Where the server comes from
//
// If the environment variable EMPORIUM_TEST_DATABASE_URL is set, Start uses
// the server it points to (a postgres:// URL or a key=value connection
// string). The role must be allowed to create databases; each call of
// NewDatabase creates a database named emporium_test_<random> on it and
// drops it at cleanup. Stop leaves that server alone.
//
// Otherwise Start creates a throwaway cluster: it runs initdb into a new
// directory under [os.TempDir] and starts it with pg_ctl on a free TCP port
// of 127.0.0.1, with durability turned off for speed. The binaries are taken
// from the directory named by the environment variable PG_BIN if it is set,
// else from the highest version under /usr/lib/postgresql/*/bin, else from
// PATH. When no binaries are found Start fails with an error saying so;
// it never skips silently, so callers decide what a missing PostgreSQL means.
//
// PostgreSQL refuses to run as root. When the test binary runs as root
// (common in containers), initdb and pg_ctl are run as the OS user
// "postgres", which must exist, and the cluster directory is given to it.
//
// # Replication and PgBouncer
//
// [StartReplicated] starts a throwaway primary and a hot standby that streams
// from it, for tests of reads from a replica; [StartPgBouncer] starts
// pgbouncer in transaction pooling mode in front of a server. Both need their
// binaries (the PostgreSQL server's, pgbouncer) and return errors wrapping
// [ErrNoBinaries] or [ErrNoPgBouncer] without them, for the caller to decide
// whether that skips a test.
//
// # Leaked clusters
//
// Stop shuts the cluster down (immediate mode) and removes its directory.
// While a cluster runs, an interrupt or termination signal (SIGINT, SIGTERM,
// SIGHUP, unless the process ignores it) received by the test binary makes
// pgtest stop the cluster before the process dies of that signal. A cluster is still leaked when the test
// binary dies without running Stop in a way that cannot be intercepted:
// SIGKILL, a panic such as the one "go test -timeout" raises, or os.Exit
// before Stop. To bound the damage, every Start looks for clusters under
// os.TempDir left behind by test processes that no longer exist, shuts them
// down and removes them.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lib/pq"
)

const (
	// EnvDatabaseURL names the environment variable that selects an
	// existing server instead of a throwaway cluster.
	EnvDatabaseURL = "EMPORIUM_TEST_DATABASE_URL"
	// EnvPGBin names the environment variable that selects the directory
	// holding initdb and pg_ctl.
	EnvPGBin = "PG_BIN"

	dirPrefix     = "pgtest-"
	ownerFile     = "owner.pid"
	logFile       = "postgres.log"
	dataDir       = "data"
	dbNamePrefix  = "emporium_test_"
	osUser        = "postgres" // OS user that runs the cluster when we are root
	superuser     = "postgres" // database superuser created by initdb
	startAttempts = 3
	readyTimeout  = 30 * time.Second
	adminTimeout  = 30 * time.Second
	logTailBytes  = 4 << 10
	maxSocketPath = 100 // sun_path is 104 or 108 bytes depending on the OS
)

// ErrNoBinaries is wrapped by the error of a start that found no PostgreSQL server binaries.
var ErrNoBinaries = errors.New("pgtest: no PostgreSQL server binaries found")

// binGlob matches the bin directories of installed PostgreSQL versions
// (Debian and Ubuntu layout). A variable for tests.
var binGlob = "/usr/lib/postgresql/*/bin"

// Server is a running PostgreSQL that tests may create databases on.
// Its methods are safe for concurrent use.
type Server struct {
	adminDSN string
	// dsnFor returns the DSN of the named database on this server.
	dsnFor func(dbname string) string
	admin  *sql.DB
	// version is server_version_num, e.g. 150004.
	version int

	// cluster is nil for a server named by EMPORIUM_TEST_DATABASE_URL.
	cluster *cluster

	mu      sync.Mutex // held while starting and stopping
	stopped bool
	stopErr error
}

// cluster is a throwaway PostgreSQL cluster run by this process.
type cluster struct {
	bin  string              // directory holding initdb and pg_ctl
	dir  string              // root directory: data dir, socket, log
	cred *syscall.Credential // nil unless we run the binaries as another user
	port int
	// settings are extra server settings (name=value), given after the defaults so that they win.
	settings []string
}

func (c *cluster) dataDir() string { return filepath.Join(c.dir, dataDir) }
func (c *cluster) logPath() string { return filepath.Join(c.dir, logFile) }

// Start starts a throwaway PostgreSQL cluster, or connects to the server
// named by EMPORIUM_TEST_DATABASE_URL if that is set. Call it once per test
// binary, typically from TestMain, and Stop the server at the end.
func Start() (*Server, error) {
	if u := os.Getenv(EnvDatabaseURL); u != "" {
		return startExternal(u)
	}
	return startCluster()
}

// AdminDSN returns the DSN of the server's maintenance database, connected
// as a role that may create databases. Tests should use NewDatabase rather
// than write to it.
func (s *Server) AdminDSN() string { return s.adminDSN }

// NewDatabase creates a fresh, empty database on the server and returns its
// DSN, ready for sql.Open("postgres", dsn). The database is dropped, even if
// connections to it are still open, when tb and its subtests finish.
// Failures are reported with tb.Fatalf.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	return s.dsnFor(s.newDatabase(tb))
}

// newDatabase is NewDatabase, returning the database's name.
func (s *Server) newDatabase(tb testing.TB) string {
	tb.Helper()
	name, err := newDatabaseName()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		tb.Fatalf("pgtest: create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		s.mu.Lock()
		gone := s.stopped && s.cluster != nil
		s.mu.Unlock()
		if gone {
			return // the database went with the throwaway cluster
		}
		if err := s.dropDatabase(name); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
	return name
}

// dropDatabase drops the named database, terminating connections to it.
func (s *Server) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	stmt := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name)
	if s.version >= 130000 {
		stmt += " WITH (FORCE)"
	} else {
		const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`
		if _, err := s.admin.ExecContext(ctx, terminate, name); err != nil {
			return fmt.Errorf("drop database %s: terminate connections: %w", name, err)
		}
	}
	if _, err := s.admin.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// Stop closes the server's connections and, for a throwaway cluster, shuts
// the cluster down and removes its directory. It is a no-op for a server
// named by EMPORIUM_TEST_DATABASE_URL beyond closing connections. Calling
// Stop again returns the result of the first call.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return s.stopErr
	}
	s.stopped = true
	s.unwatchSignals()
	var errs []error
	if s.admin != nil {
		if err := s.admin.Close(); err != nil {
			errs = append(errs, fmt.Errorf("pgtest: close admin connection: %w", err))
		}
	}
	if s.cluster != nil {
		if err := s.cluster.destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	s.stopErr = errors.Join(errs...)
	return s.stopErr
}

// Halt shuts the throwaway cluster's server down (fast: open sessions are terminated, as an operator's
// restart does), keeping its data, so that tests can see what clients do while the database is away.
// Resume starts it again on the same port. Both fail for a server named by EMPORIUM_TEST_DATABASE_URL.
func (s *Server) Halt() error {
	if s.cluster == nil {
		return errors.New("pgtest: cannot halt a server this process did not start")
	}
	c := s.cluster
	if out, err := c.run("pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "-t", "30", "stop"); err != nil {
		return fmt.Errorf("pgtest: pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Resume starts a halted cluster again on its port.
func (s *Server) Resume() error {
	if s.cluster == nil {
		return errors.New("pgtest: cannot resume a server this process did not start")
	}
	return s.cluster.startAt(s.cluster.port)
}

// startExternal connects to an existing server.
func startExternal(dsn string) (*Server, error) {
	dsnFor, err := dsnRewriter(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %s: %w", EnvDatabaseURL, err)
	}
	s := &Server{adminDSN: dsn, dsnFor: dsnFor}
	if err := s.connect(); err != nil {
		return nil, fmt.Errorf("pgtest: %s: %w", EnvDatabaseURL, err)
	}
	return s, nil
}

// dsnRewriter returns a function giving the DSN of another database on the
// server that dsn points to. dsn is a URL or a key=value string.
func dsnRewriter(dsn string) (func(string) string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("parse URL: %w", err)
		}
		return func(dbname string) string {
			v := *u
			v.Path = "/" + dbname
			v.RawPath = ""
			return v.String()
		}, nil
	}
	// In a key=value string a later setting overrides an earlier one.
	return func(dbname string) string { return dsn + " dbname=" + dbname }, nil
}

// connect opens s.admin, waits until the server answers and records its
// version.
func (s *Server) connect() error {
	db, err := sql.Open("postgres", s.adminDSN)
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		var v string
		last = db.QueryRowContext(ctx, "SHOW server_version_num").Scan(&v)
		var pqErr *pq.Error
		if errors.As(last, &pqErr) && pqErr.Code != "57P03" { // cannot_connect_now
			// The server answered with an error (bad role or database,
			// authentication): waiting does not help.
			db.Close()
			return last
		}
		if last == nil {
			s.version, last = strconv.Atoi(v)
			if last != nil {
				db.Close()
				return fmt.Errorf("parse server_version_num %q: %w", v, last)
			}
			s.admin = db
			return nil
		}
		select {
		case <-ctx.Done():
			db.Close()
			return fmt.Errorf("server not ready after %v: %w", readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startCluster creates and starts a throwaway cluster.
func startCluster() (*Server, error) {
	c, err := newCluster()
	if err != nil {
		return nil, err
	}
	if err := c.initdb(); err != nil {
		return nil, errors.Join(err, c.destroy())
	}
	return c.serve()
}

// newCluster makes the directory of a throwaway cluster, given to the OS user that will run it, and
// records this process as its owner. The cluster has no data directory yet.
func newCluster(settings ...string) (*cluster, error) {
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = lookupCredential(osUser); err != nil {
			return nil, err
		}
	}
	root := tempRoot(cred != nil)
	reapStale(root)

	dir, err := os.MkdirTemp(root, dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("pgtest: create cluster directory: %w", err)
	}
	c := &cluster{bin: bin, dir: dir, cred: cred, settings: settings}
	fail := func(err error) (*cluster, error) {
		if derr := c.destroy(); derr != nil {
			err = errors.Join(err, derr)
		}
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return fail(fmt.Errorf("pgtest: write owner file: %w", err))
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fail(fmt.Errorf("pgtest: chmod cluster directory: %w", err))
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fail(fmt.Errorf("pgtest: chown cluster directory to %s: %w", osUser, err))
		}
	}
	return c, nil
}

// initdb creates the cluster's data directory.
func (c *cluster) initdb() error {
	if out, err := c.run("initdb", "-D", c.dataDir(), "-U", superuser,
		"--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	return nil
}

// serve starts the cluster and connects to it. On failure the cluster is destroyed.
func (c *cluster) serve() (*Server, error) {
	s := &Server{cluster: c, dsnFor: c.dsn}
	// Stop the cluster if we are interrupted while starting it or later.
	// The lock makes such a Stop wait until the cluster is up.
	s.mu.Lock()
	s.watchSignals()
	err := c.startRetrying()
	if err == nil {
		s.adminDSN = c.dsn("postgres")
		if err = s.connect(); err != nil {
			err = fmt.Errorf("pgtest: connect: %w%s", err, c.logTail(0))
		}
	}
	s.mu.Unlock()
	if err != nil {
		if serr := s.Stop(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, err
	}
	return s, nil
}

// running holds the throwaway clusters of this process, to stop them all
// when the process receives a termination signal.
var running struct {
	sync.Mutex
	servers map[*Server]bool
	sigs    chan os.Signal
}

// watchedSignals returns the termination signals to stop clusters on.
// Signals that the process ignores (as a background job of a
// non-interactive shell, or under nohup) stay ignored.
var watchedSignals = sync.OnceValue(func() []os.Signal {
	var sigs []os.Signal
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		if !signal.Ignored(sig) {
			sigs = append(sigs, sig)
		}
	}
	return sigs
})

// watchSignals registers s to be stopped when the process receives a
// termination signal, after which the signal takes its default effect.
func (s *Server) watchSignals() {
	sigs := watchedSignals()
	if len(sigs) == 0 {
		return
	}
	running.Lock()
	defer running.Unlock()
	if running.servers == nil {
		running.servers = make(map[*Server]bool)
		running.sigs = make(chan os.Signal, 1)
		go stopOnSignal(running.sigs)
	}
	running.servers[s] = true
	if len(running.servers) == 1 {
		signal.Notify(running.sigs, sigs...)
	}
}

// unwatchSignals undoes watchSignals.
func (s *Server) unwatchSignals() {
	running.Lock()
	defer running.Unlock()
	if !running.servers[s] {
		return
	}
	delete(running.servers, s)
	if len(running.servers) == 0 {
		signal.Stop(running.sigs)
	}
}

// stopOnSignal stops every running cluster when a signal arrives on sigs,
// then raises the signal again with its default effect.
func stopOnSignal(sigs chan os.Signal) {
	for sig := range sigs {
		running.Lock()
		servers := make([]*Server, 0, len(running.servers))
		for s := range running.servers {
			servers = append(servers, s)
		}
		running.Unlock()
		if len(servers) == 0 {
			continue // stale: all were stopped meanwhile
		}
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() { s.Stop() })
		}
		wg.Wait()
		signal.Reset(sig)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Signal(sig)
		}
	}
}

var errPortInUse = errors.New("port already in use")

// startRetrying starts the cluster, trying other ports if the one chosen
// is taken meanwhile.
func (c *cluster) startRetrying() error {
	for attempt := 1; ; attempt++ {
		err := c.start()
		if err == nil || attempt == startAttempts || !errors.Is(err, errPortInUse) {
			return err
		}
	}
}

// start starts the cluster on a free port and waits until it accepts
// connections.
func (c *cluster) start() error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: find a free port: %w", err)
	}
	return c.startAt(port)
}

// startAt starts the cluster on port and waits until it accepts connections.
func (c *cluster) startAt(port int) error {
	c.port = port
	logStart := fileSize(c.logPath())

	sockets := "-k " + shellQuote(c.dir)
	if len(filepath.Join(c.dir, ".s.PGSQL.65535")) > maxSocketPath {
		sockets = "-c unix_socket_directories=''" // TCP only
	}
	opts := []string{
		sockets,
		"-c listen_addresses=127.0.0.1",
		"-p " + strconv.Itoa(port),
		"-c fsync=off",
		"-c synchronous_commit=off",
		"-c full_page_writes=off",
		"-c max_connections=200",
	}
	for _, s := range c.settings {
		opts = append(opts, "-c "+shellQuote(s))
	}
	out, err := c.run("pg_ctl", "-D", c.dataDir(), "-l", c.logPath(),
		"-w", "-t", strconv.Itoa(int(readyTimeout/time.Second)), "-o", strings.Join(opts, " "), "start")
	if err != nil {
		tail := c.logTail(logStart)
		err = fmt.Errorf("pgtest: pg_ctl start on port %d: %w\n%s%s", port, err, out, tail)
		if strings.Contains(tail, "already in use") {
			// Someone took the port between freePort and postgres binding it.
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return err
	}
	return nil
}

// dsn returns the DSN of the named database of the cluster.
func (c *cluster) dsn(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// destroy shuts the cluster down if it runs and removes its directory.
func (c *cluster) destroy() error {
	var errs []error
	if pid, ok := postmasterPID(c.dataDir()); ok {
		out, err := c.run("pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "-t", "30", "stop")
		if err != nil {
			errs = append(errs, fmt.Errorf("pgtest: pg_ctl stop: %w\n%s%s", err, out, c.logTail(0)))
		}
		// pg_ctl returns once postmaster.pid is gone, which is a moment
		// before the postmaster exits. Wait for that, and make sure it
		// does not outlive us if pg_ctl failed.
		if !waitExit(pid, c.dataDir(), 5*time.Second) {
			if err := killPostmaster(pid, c.dataDir()); err != nil {
				errs = append(errs, fmt.Errorf("pgtest: kill postmaster %d: %w", pid, err))
				// Keep the directory: the log and data help to find out why.
				return errors.Join(errs...)
			}
		}
	}
	if err := os.RemoveAll(c.dir); err != nil {
		errs = append(errs, fmt.Errorf("pgtest: remove cluster directory: %w", err))
	}
	return errors.Join(errs...)
}

// run runs one of the cluster's binaries, as the cluster's OS user, and
// returns its combined output.
func (c *cluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir // the OS user must be able to stat its working directory
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl's server redirects its output to the log file, but do not
	// hang if some process keeps our pipe open.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	return out.Bytes(), err
}

// logTail returns the end of the server log written after offset, as a
// block to append to an error message, or "" if there is none.
func (c *cluster) logTail(offset int64) string {
	return fileTail("server log", c.logPath(), offset)
}

// fileTail returns the end of the file at path written after offset, from a
// line's start, as a block named label to append to an error message, or ""
// if there is none.
func fileTail(label, path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || int64(len(b)) <= offset {
		return ""
	}
	b = b[offset:]
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return "\n" + label + " (" + path + "):\n" + string(b)
}

// findBinaries returns the directory holding initdb and pg_ctl.
func findBinaries() (string, error) {
	has := func(dir string) bool {
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv(EnvPGBin); dir != "" {
		if !has(dir) {
			return "", fmt.Errorf("pgtest: %s=%s does not contain initdb, pg_ctl and postgres", EnvPGBin, dir)
		}
		return dir, nil
	}
	dirs, _ := filepath.Glob(binGlob)
	slices.SortFunc(dirs, func(a, b string) int {
		return compareVersions(filepath.Base(filepath.Dir(b)), filepath.Base(filepath.Dir(a)))
	})
	for _, dir := range dirs {
		if has(dir) {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if dir := filepath.Dir(p); has(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w: "+
		"initdb, pg_ctl and postgres are not in $%s, %s or $PATH; "+
		"install the PostgreSQL server (e.g. apt-get install postgresql), set %s to its bin directory, "+
		"or set %s to the URL of a server to use", ErrNoBinaries, EnvPGBin, binGlob, EnvPGBin, EnvDatabaseURL)
}

// compareVersions compares dotted version strings such as "9.6" and "15"
// numerically.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return strings.Compare(a, b)
}

// lookupCredential returns the credential of the named OS user.
func lookupCredential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("pgtest: running as root, PostgreSQL must run as OS user %q: %w", name, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: uid of %s: %w", name, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgtest: gid of %s: %w", name, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// tempRoot returns the directory to create the cluster directory in. When
// the cluster runs as another user, that user must be able to reach it.
func tempRoot(otherUser bool) string {
	root := os.TempDir()
	if otherUser && !traversableByOthers(root) {
		return "/tmp"
	}
	return root
}

// traversableByOthers reports whether every directory on the path to dir
// is searchable by any user.
func traversableByOthers(dir string) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		fi, err := os.Stat(dir)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// newDatabaseName returns a fresh database name.
func newDatabaseName() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random database name: %w", err)
	}
	return dbNamePrefix + hex.EncodeToString(b), nil
}

// postmasterPID returns the PID recorded in the data directory's
// postmaster.pid, if there is one.
func postmasterPID(dataDir string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	return pid, err == nil && pid > 0
}

// killPostmaster shuts the postmaster of dataDir down with SIGQUIT (an
// immediate shutdown, which still releases shared memory), falling back to
// SIGKILL, and waits for it to go. Where /proc allows, it first checks that
// pid is still that postmaster.
func killPostmaster(pid int, dataDir string) error {
	for _, sig := range []syscall.Signal{syscall.SIGQUIT, syscall.SIGKILL} {
		if !isPostmasterOf(pid, dataDir) {
			return nil
		}
		if err := syscall.Kill(pid, sig); err != nil {
			if errors.Is(err, syscall.ESRCH) {
				return nil
			}
			return err
		}
		if waitExit(pid, dataDir, 5*time.Second) {
			return nil
		}
	}
	return fmt.Errorf("still running after SIGKILL")
}

// waitExit waits up to timeout for the postmaster of dataDir to exit and
// reports whether it did.
func waitExit(pid int, dataDir string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; {
		if !isPostmasterOf(pid, dataDir) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// isPostmasterOf reports whether process pid is alive and, where /proc
// tells, runs with dataDir on its command line (pg_ctl passes -D). A zombie
// has an empty command line, so it does not count.
func isPostmasterOf(pid int, dataDir string) bool {
	if !processExists(pid) {
		return false
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		// No /proc: trust postmaster.pid, whose PID postgres keeps current.
		return !fileExists("/proc/self")
	}
	return bytes.Contains(cmdline, []byte(dataDir))
}

// processExists reports whether a process with that PID exists.
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// reapStale shuts down and removes clusters under root whose owning test
// process is gone. It is best effort and ignores errors.
func reapStale(root string) {
	dirs, _ := filepath.Glob(filepath.Join(root, dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not ours, or still being set up
		}
		owner, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || owner <= 0 || processExists(owner) {
			continue
		}
		data := filepath.Join(dir, dataDir)
		if pid, ok := postmasterPID(data); ok {
			if err := killPostmaster(pid, data); err != nil {
				continue
			}
		}
		os.RemoveAll(dir)
	}
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// shellQuote quotes s for the POSIX shell that pg_ctl passes -o options
// through.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
