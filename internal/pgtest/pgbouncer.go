package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoPgBouncer is wrapped by the error of StartPgBouncer when the pgbouncer binary is not installed.
var ErrNoPgBouncer = errors.New("pgtest: pgbouncer not found (install it, e.g. apt-get install pgbouncer)")

// PgBouncer is a pgbouncer run by this process in front of one PostgreSQL server.
type PgBouncer struct {
	dir      string
	port     int
	user     string
	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// StartPgBouncer starts pgbouncer in transaction pooling mode on a free port of 127.0.0.1, in front of
// the server that dsn (a postgres:// URL) points to, with at most poolSize server connections per
// database. Clients log in as dsn's user without a password (auth_type trust), and that user may use
// the admin console (database "pgbouncer"); pgbouncer logs in to the server with dsn's credentials. The binary is taken from $PATH or /usr/sbin; without it the error wraps
// ErrNoPgBouncer. As root, pgbouncer runs as the OS user "postgres". Stop it with Stop; it also dies
// with the test process.
func StartPgBouncer(dsn string, poolSize int) (*PgBouncer, error) {
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if bin, err = exec.LookPath("/usr/sbin/pgbouncer"); err != nil {
			return nil, ErrNoPgBouncer
		}
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("pgtest: pgbouncer needs a postgres:// URL, not %q", dsn)
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		if cred, err = lookupCredential(osUser); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp(tempRoot(cred != nil), "pgbouncer-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: pgbouncer directory: %w", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, errors.Join(fmt.Errorf("pgtest: chmod pgbouncer directory: %w", err), os.RemoveAll(dir))
	}
	b := &PgBouncer{dir: dir, user: u.User.Username()}
	for attempt := 1; ; attempt++ {
		err = b.start(bin, u, poolSize, cred)
		if err == nil || attempt == startAttempts || !errors.Is(err, errPortInUse) {
			break
		}
	}
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	return b, nil
}

// start writes the configuration for a free port and starts pgbouncer, waiting until it listens.
func (b *PgBouncer) start(bin string, server *url.URL, poolSize int, cred *syscall.Credential) error {
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("pgtest: find a free port: %w", err)
	}
	b.port = port
	host, serverPort := server.Hostname(), server.Port()
	if serverPort == "" {
		serverPort = "5432"
	}
	// Any database name is passed through to the server (the "*" entry).
	target := "host=" + host + " port=" + serverPort + " user=" + b.user
	if pw, ok := server.User.Password(); ok {
		target += " password=" + pw
	}
	conf := strings.Join([]string{
		"[databases]",
		"* = " + target,
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(port),
		"unix_socket_dir =",
		"auth_type = trust",
		"admin_users = " + b.user,
		"auth_file = " + filepath.Join(b.dir, "userlist.txt"),
		"pool_mode = transaction",
		"default_pool_size = " + strconv.Itoa(poolSize),
		"max_client_conn = 500",
		"logfile = " + filepath.Join(b.dir, "pgbouncer.log"),
		"pidfile = " + filepath.Join(b.dir, "pgbouncer.pid"),
		"",
	}, "\n")
	files := map[string]string{
		"pgbouncer.ini": conf,
		"userlist.txt":  strconv.Quote(b.user) + ` ""` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(b.dir, name), []byte(content), 0o644); err != nil {
			return fmt.Errorf("pgtest: write %s: %w", name, err)
		}
	}
	if cred != nil {
		if err := os.Chown(b.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: chown pgbouncer directory to %s: %w", osUser, err)
		}
	}

	logStart := fileSize(b.logPath())
	cmd := exec.Command(bin, filepath.Join(b.dir, "pgbouncer.ini"))
	cmd.Dir = b.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pgtest: start pgbouncer: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.cmd, b.exited = cmd, exited

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(readyTimeout); ; {
		select {
		case <-exited:
			tail := b.logTail(logStart)
			err := fmt.Errorf("pgtest: pgbouncer on port %d exited: %s\n%s%s", port, cmd.ProcessState, out.String(), tail)
			if strings.Contains(tail, "in use") || strings.Contains(out.String(), "in use") {
				err = fmt.Errorf("%w: %w", errPortInUse, err)
			}
			return err
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("pgtest: pgbouncer not listening on %s after %v%s", addr, readyTimeout, b.logTail(logStart))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// DSN returns the DSN of the named database through pgbouncer.
func (b *PgBouncer) DSN(dbname string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(b.user),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(b.port)),
		Path:     "/" + dbname,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Log returns what pgbouncer has logged so far.
func (b *PgBouncer) Log() string {
	data, _ := os.ReadFile(b.logPath())
	return string(data)
}

// Stop shuts pgbouncer down at once, closing its connections, and removes its directory. Calling it
// again returns the result of the first call.
func (b *PgBouncer) Stop() error {
	b.stopOnce.Do(func() {
		// SIGTERM is an immediate shutdown; fall back to SIGKILL.
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
		if err := os.RemoveAll(b.dir); err != nil {
			b.stopErr = fmt.Errorf("pgtest: remove pgbouncer directory: %w", err)
		}
	})
	return b.stopErr
}

func (b *PgBouncer) logPath() string { return filepath.Join(b.dir, "pgbouncer.log") }

// logTail returns the end of pgbouncer's log written after offset, as a block to append to an error
// message.
func (b *PgBouncer) logTail(offset int64) string {
	return fileTail("pgbouncer log", b.logPath(), offset)
}
