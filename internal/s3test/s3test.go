// Package s3test gives integration tests a real S3-compatible server: a throwaway SeaweedFS
// ("weed server -s3") on free ports of 127.0.0.1, with its data in a temporary directory and one
// identity whose keys sign every request.
//
// A test binary shares one [Server] through a [Lazy], which starts it for the first test that asks
// and stops it at the end:
//
//	var weed s3test.Lazy
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		weed.Stop()
//		os.Exit(code)
//	}
//
//	func TestSomething(t *testing.T) {
//		srv := weed.Server(t) // skips or fails the test if there is no server
//		... srv.Endpoint(), srv.AccessKey, srv.SecretKey ...
//	}
//
// Start and Stop run a server directly.
//
// # Where the binary comes from
//
// SeaweedFS cannot be installed with "go install" (its go.mod has replace directives), so the binary is
// built once by .ci/weed into the cache and found, in this order, at $EMPORIUM_WEED, at
// ${XDG_CACHE_HOME:-$HOME/.cache}/emporium/weed-<version>, or as "weed" on $PATH. Without it Start
// returns an error wrapping [ErrNoBinary]; [SkipOrFail] turns that into a skip on a workstation and a
// failure when CI=true, so that CI never passes by skipping the S3 tests.
//
// # Leaks
//
// Stop kills the server and removes its directory. The server is also killed when the thread that
// started it dies (Pdeathsig), so a test binary that panics, times out or is killed does not leave it
// running. Its directory under os.TempDir, and the gRPC sockets SeaweedFS puts in /tmp, are then left
// behind; the next Start removes those of test processes that no longer exist.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Version is the SeaweedFS version the tests run against; .ci/weed builds the same one.
const Version = "v0.0.0-20261109003541-7506e5f91cd6"

// EnvWeed names the environment variable that points to the weed binary.
const EnvWeed = "EMPORIUM_WEED"

// Region is the region the server reports; clients that pass it skip a bucket-location lookup.
const Region = "us-east-1"

// ErrNoBinary is wrapped by the error of Start when no weed binary is found.
var ErrNoBinary = errors.New("s3test: SeaweedFS binary not found")

const (
	readyTimeout  = 60 * time.Second
	startAttempts = 2
	logTailBytes  = 4000
)

// Server is a SeaweedFS server run by this process.
type Server struct {
	// AccessKey and SecretKey sign requests as the server's only identity, which may do anything.
	AccessKey, SecretKey string

	dir      string
	ports    ports
	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
	stopErr  error
}

// ports are the TCP ports of one server: HTTP and gRPC of each of its four parts.
type ports struct {
	master, masterGRPC, volume, volumeGRPC, filer, filerGRPC, s3, s3GRPC int
}

func (p ports) grpc() map[string]int {
	return map[string]int{"master": p.masterGRPC, "volume": p.volumeGRPC, "filer": p.filerGRPC, "s3": p.s3GRPC}
}

// Start starts a server and waits until it stores objects (some 10 s, most of it SeaweedFS's filer
// joining its cluster). A failed start, typically a port that someone took between our choosing it
// and the server binding it, is tried once more on new ports.
func Start() (*Server, error) {
	bin, err := FindBinary()
	if err != nil {
		return nil, err
	}
	var last error
	for range startAttempts {
		s, err := start(bin)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

// Lazy is a Server started on first use and shared by the tests of a test binary. The zero value is
// ready to use.
type Lazy struct {
	once    sync.Once
	mu      sync.Mutex
	srv     *Server
	err     error
	startup time.Duration
}

// Server returns the shared server, starting it if this is the first call. If it could not be
// started, the test is skipped or fails as SkipOrFail decides.
func (l *Lazy) Server(t testing.TB) *Server {
	t.Helper()
	l.once.Do(func() {
		began := time.Now()
		srv, err := Start()
		l.mu.Lock()
		l.srv, l.err, l.startup = srv, err, time.Since(began)
		l.mu.Unlock()
		if err == nil {
			t.Logf("s3test: SeaweedFS ready in %v", l.startup.Round(time.Millisecond))
		}
	})
	SkipOrFail(t, l.err)
	return l.srv
}

// Stop stops the server if one was started.
func (l *Lazy) Stop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.srv == nil {
		return nil
	}
	return l.srv.Stop()
}

// SkipOrFail ends the test if err, an error of Start, is not nil: a missing binary skips it, unless
// the environment variable CI is true (CI=true, as CI services set it, or 1), where every error fails
// it.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); errors.Is(err, ErrNoBinary) && !ci {
		t.Skip(err)
	}
	t.Fatal(err)
}

// FindBinary returns the path of the weed binary, or an error wrapping ErrNoBinary.
func FindBinary() (string, error) {
	if p := os.Getenv(EnvWeed); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("%w: %s=%s is not an executable file", ErrNoBinary, EnvWeed, p)
		}
		return p, nil
	}
	cached, err := CachePath()
	if err == nil && isExecutable(cached) {
		return cached, nil
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%w: not at $%s, %s or on $PATH; build it with `bash .ci/weed` (several minutes)",
		ErrNoBinary, EnvWeed, cached)
}

// CachePath returns where .ci/weed puts the binary: ${XDG_CACHE_HOME:-$HOME/.cache}/emporium/weed-<version>.
func CachePath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("s3test: cache directory: %w", err)
	}
	return filepath.Join(dir, "emporium", "weed-"+Version), nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// start makes a directory and runs one server in it on new ports; on failure the directory is gone.
func start(bin string) (*Server, error) {
	reapStale()
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("s3test: create directory: %w", err)
	}
	s := &Server{AccessKey: "emporium-" + randomHex(4), SecretKey: randomHex(16), dir: dir}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("s3test: write owner file: %w", err), s.Stop())
	}
	if err := s.run(bin); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

const (
	dirPrefix   = "emporium-s3test-"
	ownerFile   = "owner.pid"   // the test process that started the server
	socketsFile = "sockets.txt" // the gRPC sockets the server makes outside its directory
)

// reapStale removes the directories and sockets of servers whose test process no longer exists.
// Their servers died with it (Pdeathsig).
func reapStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // being set up, or not ours
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, socketsFile)); err == nil {
			for _, sock := range strings.Fields(string(b)) {
				os.Remove(sock)
			}
		}
		os.RemoveAll(dir)
	}
}

func (s *Server) run(bin string) error {
	p, err := freePorts(8)
	if err != nil {
		return fmt.Errorf("s3test: find free ports: %w", err)
	}
	s.ports = ports{p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]}

	var sockets []string
	for name, port := range s.ports.grpc() {
		sockets = append(sockets, grpcSocket(name, port))
	}
	if err := os.WriteFile(filepath.Join(s.dir, socketsFile), []byte(strings.Join(sockets, "\n")+"\n"), 0o600); err != nil {
		return fmt.Errorf("s3test: write sockets file: %w", err)
	}
	identities := fmt.Sprintf(`{"identities":[{"name":"emporium","credentials":[{"accessKey":%q,"secretKey":%q}],`+
		`"actions":["Admin","Read","Write","List","Tagging"]}]}`, s.AccessKey, s.SecretKey)
	if err := os.WriteFile(filepath.Join(s.dir, "s3.json"), []byte(identities), 0o600); err != nil {
		return fmt.Errorf("s3test: write identities: %w", err)
	}
	for _, sub := range []string{"data", "config"} {
		if err := os.Mkdir(filepath.Join(s.dir, sub), 0o700); err != nil {
			return fmt.Errorf("s3test: create directory: %w", err)
		}
	}
	// A fresh master holds back volume allocation for some seconds in case older cluster state
	// reports in; a throwaway cluster has none.
	masterConf := "[master.volume_growth]\nallocation_deferral = \"0s\"\n"
	if err := os.WriteFile(filepath.Join(s.dir, "config", "master.toml"), []byte(masterConf), 0o600); err != nil {
		return fmt.Errorf("s3test: write master.toml: %w", err)
	}
	logFile, err := os.Create(s.logPath())
	if err != nil {
		return fmt.Errorf("s3test: create log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor

	flag := func(name string, v any) string { return fmt.Sprintf("-%s=%v", name, v) }
	args := []string{
		// Logs to stderr rather than files in /tmp; an empty config directory so that no
		// security.toml or master.toml of the machine applies.
		"-logtostderr", flag("config_dir", filepath.Join(s.dir, "config")),
		"server", "-s3",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		flag("dir", filepath.Join(s.dir, "data")),
		flag("master.port", s.ports.master), flag("master.port.grpc", s.ports.masterGRPC),
		flag("volume.port", s.ports.volume), flag("volume.port.grpc", s.ports.volumeGRPC),
		flag("filer.port", s.ports.filer), flag("filer.port.grpc", s.ports.filerGRPC),
		flag("s3.port", s.ports.s3), flag("s3.port.grpc", s.ports.s3GRPC),
		flag("s3.config", filepath.Join(s.dir, "s3.json")),
		flag("filer.localSocket", filepath.Join(s.dir, "filer.sock")),
		flag("s3.localSocket", filepath.Join(s.dir, "s3.sock")),
		// The Iceberg and Lance catalogs listen on fixed ports by default; two servers would collide.
		"-s3.port.iceberg=0", "-s3.port.lance=0",
		"-master.telemetry=false",
		// Small volumes, few of them: a test stores kilobytes.
		"-master.volumeSizeLimitMB=64", "-volume.max=16",
		"-volume.preStopSeconds=0",
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "TMPDIR="+s.dir)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("s3test: start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	s.cmd, s.exited = cmd, exited

	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if err := s.waitReady(ctx); err != nil {
		return fmt.Errorf("s3test: server on S3 port %d: %w%s", s.ports.s3, err, s.logTail())
	}
	return nil
}

// waitReady waits until the server stores objects: the gateway listens and has loaded the identity,
// and the filer has joined the cluster (until then writes wait for its lock ring). A probe bucket is
// written and removed again, so that tests find the server empty.
func (s *Server) waitReady(ctx context.Context) error {
	client, err := s.client()
	if err != nil {
		return err
	}
	const bucket = "s3test-ready"
	steps := []func(context.Context) error{
		func(ctx context.Context) error { _, err := client.ListBuckets(ctx); return err },
		func(ctx context.Context) error {
			err := client.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: Region})
			if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
				return nil // an earlier try succeeded but timed out
			}
			return err
		},
		func(ctx context.Context) error {
			_, err := client.PutObject(ctx, bucket, "probe", strings.NewReader("ready"), 5, minio.PutObjectOptions{})
			return err
		},
		func(ctx context.Context) error {
			return client.RemoveObject(ctx, bucket, "probe", minio.RemoveObjectOptions{})
		},
		func(ctx context.Context) error { return client.RemoveBucket(ctx, bucket) },
	}
	for _, step := range steps {
		for {
			select {
			case <-s.exited:
				return fmt.Errorf("exited: %s", s.cmd.ProcessState)
			default:
			}
			reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := step(reqCtx)
			cancel()
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("not ready after %v: %w", readyTimeout, err)
			case <-s.exited:
				return fmt.Errorf("exited: %s", s.cmd.ProcessState)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

func (s *Server) client() (*minio.Client, error) {
	c, err := minio.New(s.Endpoint(), &minio.Options{
		Creds:      credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Region:     Region,
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("s3test: client: %w", err)
	}
	return c, nil
}

// Endpoint returns the S3 gateway's host:port, served over plain HTTP.
func (s *Server) Endpoint() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.ports.s3))
}

// Log returns what the server has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath())
	return string(b)
}

// Stop kills the server and removes its directory. Calling it again returns the result of the first
// call.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.cmd != nil {
			// The data is thrown away, so there is nothing to shut down cleanly; SIGTERM would take
			// SeaweedFS some 15 s.
			_ = s.cmd.Process.Kill()
			<-s.exited
			// SeaweedFS puts its gRPC sockets in /tmp whatever TMPDIR says; it removes them only on a
			// clean shutdown.
			for name, port := range s.ports.grpc() {
				os.Remove(grpcSocket(name, port))
			}
		}
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("s3test: remove directory: %w", err)
		}
	})
	return s.stopErr
}

// grpcSocket returns the path of the Unix socket SeaweedFS serves a part's gRPC on besides its port.
// The path is fixed in its code (weed/command/server.go), whatever TMPDIR says.
func grpcSocket(name string, port int) string {
	return fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", name, port)
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "weed.log") }

// logTail returns the end of the server's log as a block to append to an error message.
func (s *Server) logTail() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > logTailBytes {
		b = b[len(b)-logTailBytes:]
		if i := strings.IndexByte(string(b), '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return "\nweed log (" + s.logPath() + "):\n" + string(b)
}

// freePorts returns n distinct ports that were free a moment ago. All are held open until all are
// chosen, so that the kernel does not hand out the same one twice.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
