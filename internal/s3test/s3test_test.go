package s3test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// TestServer starts servers concurrently, as test binaries of several packages do, and checks that
// each stores and serves an object, refuses requests with a wrong key, and is gone after Stop.
func TestServer(t *testing.T) {
	const n = 3
	servers := make([]*Server, n)
	errs := make([]error, n)
	began := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = Start() })
	}
	wg.Wait()
	t.Logf("%d servers started concurrently in %v", n, time.Since(began).Round(time.Millisecond))
	for _, s := range servers {
		if s != nil {
			t.Cleanup(func() { s.Stop() })
		}
	}
	for _, err := range errs {
		SkipOrFail(t, err)
	}

	ctx := context.Background()
	for i, s := range servers {
		c, err := s.client()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.MakeBucket(ctx, "probe", minio.MakeBucketOptions{Region: Region}); err != nil {
			t.Fatalf("server %d: make bucket: %v", i, err)
		}
		want := strings.Repeat("seaweed ", 100)
		putStart := time.Now()
		if _, err := c.PutObject(ctx, "probe", "a/b.txt", strings.NewReader(want), int64(len(want)),
			minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
			t.Fatalf("server %d: put: %v", i, err)
		}
		t.Logf("server %d: first put took %v", i, time.Since(putStart).Round(time.Millisecond))
		obj, err := c.GetObject(ctx, "probe", "a/b.txt", minio.GetObjectOptions{})
		if err != nil {
			t.Fatalf("server %d: get: %v", i, err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil || string(got) != want {
			t.Fatalf("server %d: read %q, %v; want %q", i, got, err, want)
		}
	}

	// Requests not signed with the identity's keys are refused.
	c, err := minio.New(servers[1].Endpoint(), &minio.Options{
		Creds:  credentials.NewStaticV4(servers[1].AccessKey, servers[1].SecretKey+"x", ""),
		Region: Region,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListBuckets(ctx); err == nil {
		t.Error("list buckets with a wrong secret key succeeded")
	}

	s := servers[0]
	dir, pid := s.dir, s.cmd.Process.Pid
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory %s after Stop: %v, want it gone", dir, err)
	}
	if p, err := os.FindProcess(pid); err == nil && p.Signal(syscall.Signal(0)) == nil {
		t.Errorf("process %d still runs after Stop", pid)
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

func TestFindBinary(t *testing.T) {
	t.Setenv(EnvWeed, "/nonexistent/weed")
	if _, err := FindBinary(); !errors.Is(err, ErrNoBinary) {
		t.Errorf("FindBinary with %s pointing nowhere: %v, want ErrNoBinary", EnvWeed, err)
	}
}

func TestSkipOrFail(t *testing.T) {
	missing := fmt.Errorf("start: %w", ErrNoBinary)
	tests := []struct {
		ci       string
		err      error
		wantSkip bool
		wantFail bool
	}{
		{"", nil, false, false},
		{"", missing, true, false},
		{"false", missing, true, false},
		{"true", missing, false, true},
		{"1", missing, false, true},
		{"", errors.New("port in use"), false, true},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); SkipOrFail(r, tt.err) }()
		<-done
		if r.skipped != tt.wantSkip || r.failed != tt.wantFail {
			t.Errorf("CI=%q, error %v: skipped %v, failed %v; want %v, %v",
				tt.ci, tt.err, r.skipped, r.failed, tt.wantSkip, tt.wantFail)
		}
	}
}

// recorder notes a Skip or Fatal and ends its goroutine as testing.T does, without affecting the test.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Skip(...any)  { r.skipped = true; runtime.Goexit() }
func (r *recorder) Fatal(...any) { r.failed = true; runtime.Goexit() }

// TestReapStale leaves behind what a test process killed with its server leaves, and checks that the
// next Start's reaping removes it, and nothing of a live process.
func TestReapStale(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	leave := func(pid int) (dir, sock string) {
		dir, err := os.MkdirTemp("", dirPrefix)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		f, err := os.CreateTemp("", "s3test-sock-")
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Cleanup(func() { os.Remove(f.Name()) })
		os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o600)
		os.WriteFile(filepath.Join(dir, socketsFile), []byte(f.Name()+"\n"), 0o600)
		return dir, f.Name()
	}
	staleDir, staleSock := leave(dead.Process.Pid)
	liveDir, liveSock := leave(os.Getpid())

	reapStale()
	for _, p := range []string{staleDir, staleSock} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s of a dead process: %v after reaping, want it gone", p, err)
		}
	}
	for _, p := range []string{liveDir, liveSock} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s of a live process: %v after reaping, want it kept", p, err)
		}
	}
}
