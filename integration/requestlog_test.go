package integration

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/service"
)

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRequestLogLine checks the debug line each GraphQL request writes: its operation, SQL statement
// count and SQL time, for spotting a regression without a metrics server.
func TestRequestLogLine(t *testing.T) {
	var logs lockedBuffer
	s := startServerWith(t, "sqlite", filepath.Join(t.TempDir(), "log.db"), func(o *service.Options) {
		o.Log = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.ResponseCacheBytes = -1
	})
	t.Cleanup(s.close)
	s.query(t, `query listProducts { products(first: 2) { nodes { id variants(first: 2) { nodes { id } } } } }`, nil, nil)
	want := s.lastStatements()
	var line map[string]any
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"operation":"listProducts"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	if line == nil {
		t.Fatalf("no request line for listProducts in the debug log:\n%s", logs.String())
	}
	if line["msg"] != "request" || line["status"] != 200.0 || line["sql_statements"] != float64(want) || line["sql_time"] == nil || want == 0 {
		t.Errorf("request line %v, want status 200 and %d statements with their time", line, want)
	}
}
