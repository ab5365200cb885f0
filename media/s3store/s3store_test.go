package s3store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/emporium/emporium/internal/s3test"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/media/s3store"
	"github.com/emporium/emporium/media/storagetest"
)

// weed is the server all tests of this package share, started by the first test that needs it.
var weed s3test.Lazy

func TestMain(m *testing.M) {
	code := m.Run()
	if err := weed.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

const bucket = "media"

// config returns the configuration of an existing bucket on the shared server, with a prefix of its
// own so that the test sees an empty store.
func config(t *testing.T) s3store.Config {
	t.Helper()
	srv := weed.Server(t)
	c := s3store.Config{
		Endpoint:  srv.Endpoint(),
		Bucket:    bucket,
		Region:    s3test.Region,
		AccessKey: srv.AccessKey,
		SecretKey: srv.SecretKey,
		Prefix:    "t/" + randomHex(6),
		Insecure:  true,
	}
	if err := s3store.EnsureBucket(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

func newStore(t *testing.T) *s3store.Store {
	t.Helper()
	s, err := s3store.New(context.Background(), config(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestContract(t *testing.T) {
	weed.Server(t) // skips once, rather than in each subtest
	storagetest.Run(t, func(t *testing.T) media.Storage { return newStore(t) })
}

// TestSeekServedObject checks the object Get returns: it is seekable, and reads after a seek return
// the bytes at that offset, fetched with a new ranged request rather than by reading up to it.
func TestSeekServedObject(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	data := []byte(strings.Repeat("0123456789", 1000))
	if err := s.Put(ctx, "seek/digits.txt", bytes.NewReader(data), int64(len(data)), "text/plain"); err != nil {
		t.Fatal(err)
	}
	obj, info, err := s.Get(ctx, "seek/digits.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	if info.Size != int64(len(data)) || info.ContentType != "text/plain" {
		t.Errorf("Info = %+v, want Size %d, ContentType text/plain", info, len(data))
	}
	var _ io.ReadSeeker = obj
	if pos, err := obj.Seek(4567, io.SeekStart); err != nil || pos != 4567 {
		t.Fatalf("Seek(4567) = %d, %v", pos, err)
	}
	buf := make([]byte, 6)
	if _, err := io.ReadFull(obj, buf); err != nil || string(buf) != "789012" {
		t.Errorf("read after Seek(4567) = %q, %v; want %q", buf, err, "789012")
	}
	if pos, err := obj.Seek(-3, io.SeekEnd); err != nil || pos != int64(len(data))-3 {
		t.Fatalf("Seek(-3, end) = %d, %v", pos, err)
	}
	rest, err := io.ReadAll(obj)
	if err != nil || string(rest) != "789" {
		t.Errorf("read after Seek(-3, end) = %q, %v; want %q", rest, err, "789")
	}
}

// TestPrefix checks that keys are stored under the prefix and that stores with different prefixes
// do not see each other's objects.
func TestPrefix(t *testing.T) {
	ctx := context.Background()
	c := config(t)
	inner, err := s3store.New(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	outerConf := c
	outerConf.Prefix = ""
	outer, err := s3store.New(ctx, outerConf)
	if err != nil {
		t.Fatal(err)
	}
	if err := inner.Put(ctx, "p/1.jpg", strings.NewReader("one"), 3, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if _, err := outer.Stat(ctx, c.Prefix+"/p/1.jpg"); err != nil {
		t.Errorf("Stat of the prefixed key without prefix: %v", err)
	}
	if _, err := outer.Stat(ctx, "p/1.jpg"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Stat of the unprefixed key without prefix: %v, want ErrNotFound", err)
	}
}

// TestLarge stores an object above the client's 16 MiB part size, which goes up in parts: the round
// trip works, and a reader one byte too long still stores nothing.
func TestLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large objects in -short mode")
	}
	s := newStore(t)
	ctx := context.Background()
	data := make([]byte, 17<<20)
	rand.Read(data)
	if err := s.Put(ctx, "large.bin", bytes.NewReader(data), int64(len(data)), "application/octet-stream"); err != nil {
		t.Fatal(err)
	}
	obj, info, err := s.Get(ctx, "large.bin")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(obj)
	obj.Close()
	if err != nil || !bytes.Equal(got, data) || info.Size != int64(len(data)) {
		t.Errorf("Get: %d bytes (Info.Size %d), equal %v, %v; want the %d put", len(got), info.Size,
			bytes.Equal(got, data), err, len(data))
	}

	long := io.MultiReader(bytes.NewReader(data), strings.NewReader("x"))
	if err := s.Put(ctx, "large-long.bin", long, int64(len(data)), ""); err == nil {
		t.Error("long reader in parts: Put succeeded")
	}
	if _, err := s.Stat(ctx, "large-long.bin"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Stat after a failed put in parts: %v, want ErrNotFound", err)
	}
}

func TestNewChecksBucket(t *testing.T) {
	c := config(t)
	c.Bucket = "no-such-bucket-" + randomHex(4)
	if _, err := s3store.New(context.Background(), c); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("New with a missing bucket: %v, want an error saying it does not exist", err)
	}

	c = config(t)
	c.SecretKey += "x"
	if _, err := s3store.New(context.Background(), c); err == nil {
		t.Error("New with a wrong secret key succeeded")
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		s3store.EnvEndpoint:  "s3.example.com",
		s3store.EnvBucket:    "media",
		s3store.EnvRegion:    "eu-central-1",
		s3store.EnvAccessKey: "AK",
		s3store.EnvSecretKey: "SK",
	}
	with := func(changes map[string]string) map[string]string {
		env := map[string]string{}
		for k, v := range full {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return env
	}
	tests := []struct {
		name    string
		env     map[string]string
		want    s3store.Config
		ok      bool
		wantErr string
	}{
		{name: "unset", env: map[string]string{s3store.EnvBucket: "media"}},
		{name: "full", env: full, ok: true, want: s3store.Config{Endpoint: "s3.example.com", Bucket: "media",
			Region: "eu-central-1", AccessKey: "AK", SecretKey: "SK"}},
		{name: "prefix and insecure", env: with(map[string]string{
			s3store.EnvEndpoint: "minio:9000", s3store.EnvPrefix: "/shop1/", s3store.EnvInsecure: "true"}),
			ok: true, want: s3store.Config{Endpoint: "minio:9000", Bucket: "media", Region: "eu-central-1",
				AccessKey: "AK", SecretKey: "SK", Prefix: "shop1", Insecure: true}},
		{name: "http URL", env: with(map[string]string{s3store.EnvEndpoint: "http://minio:9000"}),
			ok: true, want: s3store.Config{Endpoint: "minio:9000", Bucket: "media", Region: "eu-central-1",
				AccessKey: "AK", SecretKey: "SK", Insecure: true}},
		{name: "https URL", env: with(map[string]string{s3store.EnvEndpoint: "https://s3.example.com/"}),
			ok: true, want: s3store.Config{Endpoint: "s3.example.com", Bucket: "media", Region: "eu-central-1",
				AccessKey: "AK", SecretKey: "SK"}},
		{name: "no bucket", env: with(map[string]string{s3store.EnvBucket: ""}), wantErr: s3store.EnvBucket},
		{name: "no keys", env: with(map[string]string{s3store.EnvAccessKey: "", s3store.EnvSecretKey: ""}),
			wantErr: s3store.EnvSecretKey},
		{name: "bad insecure", env: with(map[string]string{s3store.EnvInsecure: "maybe"}), wantErr: s3store.EnvInsecure},
		{name: "URL contradicts insecure", env: with(map[string]string{
			s3store.EnvEndpoint: "https://s3.example.com", s3store.EnvInsecure: "1"}), wantErr: "contradicts"},
		{name: "URL with path", env: with(map[string]string{s3store.EnvEndpoint: "https://s3.example.com/media"}),
			wantErr: s3store.EnvEndpoint},
		{name: "bad prefix", env: with(map[string]string{s3store.EnvPrefix: "Shop 1"}), wantErr: "prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := s3store.ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || ok != tt.ok || got != tt.want {
				t.Errorf("got %+v, %v, %v; want %+v, %v, nil", got, ok, err, tt.want, tt.ok)
			}
		})
	}
}

func TestConfigStringHidesSecret(t *testing.T) {
	c := s3store.Config{Endpoint: "s3.example.com", Bucket: "media", AccessKey: "AK", SecretKey: "hunter2"}
	if s := fmt.Sprint(c); strings.Contains(s, "hunter2") {
		t.Errorf("Config prints as %q, showing the secret key", s)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestNoRegion uses the store without a configured region, which the client then asks the server for.
func TestNoRegion(t *testing.T) {
	c := config(t)
	c.Region = ""
	s, err := s3store.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "r.txt", strings.NewReader("r"), 1, "text/plain"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(context.Background(), "r.txt"); err != nil {
		t.Fatal(err)
	}
}
