package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/service"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "integration: PostgreSQL is required:", err)
		os.Exit(1)
	}
	code := m.Run()
	shared.close()
	if err := weed.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// demoCatalog is the demo shop every server starts with.
func demoCatalog(tb testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join("..", "testdata", "demo-shop.json"))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// server is a running Emporium over HTTP.
type server struct {
	name string // "sqlite" or "postgres"
	// mediaDir holds the server's stored pictures.
	mediaDir string
	svc      *service.Service
	http     *httptest.Server
	// counters receives the statement counter of each request, in order.
	mu       sync.Mutex
	counters []*database.Counter
}

// startServer starts a service on a fresh database of the named kind, with the demo shop.
func startServer(tb testing.TB, kind string, dsn string) *server {
	tb.Helper()
	return startServerWith(tb, kind, dsn, nil)
}

// startServerWith is startServer with options changed by configure.
func startServerWith(tb testing.TB, kind string, dsn string, configure func(*service.Options)) *server {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s := &server{name: kind, mediaDir: mediaDir(tb)}
	// The listener comes first, so that the service knows the public URL its media is served under.
	s.http = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, c := database.WithCounter(r.Context())
		s.mu.Lock()
		s.counters = append(s.counters, c)
		s.mu.Unlock()
		s.svc.Handler.ServeHTTP(w, r.WithContext(ctx))
	}))
	opts := service.Options{DatabaseURL: dsn, DemoCatalog: demoCatalog(tb), Log: log,
		PublicURL: "http://" + s.http.Listener.Addr().String(), MediaDir: s.mediaDir}
	if configure != nil {
		configure(&opts)
	}
	svc, err := service.Open(context.Background(), opts)
	if err != nil {
		s.http.Close()
		os.RemoveAll(s.mediaDir)
		tb.Fatalf("start %s service: %v", kind, err)
	}
	s.svc = svc
	s.http.Start()
	return s
}

// mediaURL is the URL the server gives for an image URL of the demo catalog: a path under /media/ is
// served by the server itself.
func (s *server) mediaURL(u string) string {
	if strings.HasPrefix(u, "/media/") {
		return s.http.URL + u
	}
	return u
}

// mediaDir is a directory for a server's pictures, removed when the server closes: shared servers
// outlive the test that starts them.
func mediaDir(tb testing.TB) string {
	dir, err := os.MkdirTemp("", "emporium-media-")
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

func (s *server) close() {
	s.http.Close()
	s.svc.Close()
	os.RemoveAll(s.mediaDir)
}

// lastStatements is the number of SQL statements of the latest request.
func (s *server) lastStatements() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters[len(s.counters)-1].Statements()
}

// sharedServers are started once per test binary, for tests that only read.
type sharedServers struct {
	once    sync.Once
	servers []*server
	err     error
}

var shared sharedServers

func (ss *sharedServers) close() {
	for _, s := range ss.servers {
		s.close()
	}
}

// eachDB runs fn against a shared read-only server on each database.
func eachDB(t *testing.T, fn func(t *testing.T, s *server)) {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "emporium-it-")
		if err != nil {
			shared.err = err
			return
		}
		shared.servers = []*server{
			startServer(t, "sqlite", filepath.Join(dir, "shared.db")),
			startServer(t, "postgres", pg.NewDatabase(&keepAlive{T: t})),
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	for _, s := range shared.servers {
		t.Run(s.name, func(t *testing.T) { fn(t, s) })
	}
}

// keepAlive lets the shared PostgreSQL database outlive the test that created it; the cluster is
// removed with everything in it at the end.
type keepAlive struct{ *testing.T }

func (keepAlive) Cleanup(func()) {}

// eachFreshDB runs fn against a new server on each database, started with configure.
func eachFreshDB(t *testing.T, configure func(*service.Options), fn func(t *testing.T, s *server)) {
	t.Helper()
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "fresh.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			s := startServerWith(t, kind, dsn, configure)
			t.Cleanup(s.close)
			fn(t, s)
		})
	}
}

// freshDB runs fn against a new server on a new database of each kind, for tests that write.
func freshDB(t *testing.T, fn func(t *testing.T, s *server)) {
	t.Helper()
	eachFreshDB(t, nil, fn)
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { c, _ := e.Extensions["code"].(string); return c }

type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
}

// post sends a GraphQL request and decodes the response, whatever its status.
func (s *server) post(t testing.TB, query string, vars map[string]any) response {
	t.Helper()
	return s.postAs(t, nil, query, vars)
}

// postAs sends a GraphQL request with extra headers (credentials) and decodes the response.
func (s *server) postAs(t testing.TB, header http.Header, query string, vars map[string]any) response {
	t.Helper()
	return s.send(t, header, map[string]any{"query": query, "variables": vars})
}

// postExt sends a GraphQL request with extensions (a persisted query) and decodes the response.
func (s *server) postExt(t testing.TB, query string, ext map[string]any) response {
	t.Helper()
	return s.send(t, nil, map[string]any{"query": query, "extensions": ext})
}

// send posts a GraphQL request body with extra headers and decodes the response, whatever its status.
func (s *server) send(t testing.TB, header http.Header, payload map[string]any) response {
	t.Helper()
	r, err := s.sendWith(http.DefaultClient, header, payload)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sendWith is send through client (from another client address, say), for any goroutine: it returns
// what went wrong rather than failing the test.
func (s *server) sendWith(client *http.Client, header http.Header, payload map[string]any) (response, error) {
	body, _ := json.Marshal(payload)
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	var r response
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		return response{}, fmt.Errorf("decode response (status %d): %w: %s", res.StatusCode, err, raw)
	}
	r.Status = res.StatusCode
	return r, nil
}

// query sends a GraphQL request that must succeed and decodes its data into out.
func (s *server) query(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.post(t, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed with status %d: %+v\nquery: %s", r.Status, r.Errors, strings.TrimSpace(query))
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v: %s", err, r.Data)
		}
	}
}

// tryQuery is query for goroutines other than the test's, which must not call t.Fatal: it returns what
// went wrong instead.
func (s *server) tryQuery(query string, vars map[string]any, out any) error {
	return s.tryQueryAs(nil, query, vars, out)
}

// tryQueryAs is tryQuery with credentials.
func (s *server) tryQueryAs(header http.Header, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.http.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var r response
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("decode response (status %d): %w: %s", res.StatusCode, err, raw)
	}
	if len(r.Errors) > 0 || res.StatusCode != http.StatusOK {
		return fmt.Errorf("query failed with status %d: %+v", res.StatusCode, r.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			return fmt.Errorf("decode data: %w: %s", err, r.Data)
		}
	}
	return nil
}

// queryAs is query with credentials.
func (s *server) queryAs(t testing.TB, header http.Header, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.postAs(t, header, query, vars)
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Fatalf("query failed with status %d: %+v\nquery: %s", r.Status, r.Errors, strings.TrimSpace(query))
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v: %s", err, r.Data)
		}
	}
}

// bearer is an Authorization header.
func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// queryError sends a request that must fail and returns its first error.
func (s *server) queryError(t testing.TB, query string, vars map[string]any) gqlError {
	t.Helper()
	r := s.post(t, query, vars)
	if len(r.Errors) == 0 {
		t.Fatalf("query succeeded, want an error: %s", r.Data)
	}
	return r.Errors[0]
}
