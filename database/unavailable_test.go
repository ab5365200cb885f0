package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/lib/pq"
)

// TestUnavailable classifies errors the drivers really return when the database is away, and keeps
// errors about the data (not found, constraint) out.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	// A port nothing listens on: lib/pq's dial is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	refused, _ := sql.Open("postgres", "postgres://u@"+addr+"/x?sslmode=disable")
	defer refused.Close()
	refusedErr := refused.PingContext(ctx)

	// SQLite's write lock held by another connection, with no busy timeout to wait it out.
	path := filepath.Join(t.TempDir(), "busy.db")
	holder, _ := sql.Open("sqlite", "file:"+path)
	defer holder.Close()
	if _, err := holder.Exec("CREATE TABLE t (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	other, _ := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	defer other.Close()
	_, busyErr := other.Exec("INSERT INTO t VALUES (2)")

	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"connection refused", fmt.Errorf("carts: load: %w", refusedErr), true},
		{"SQLite busy", busyErr, true},
		{"admin shutdown", &pq.Error{Code: "57P01"}, true},
		{"cannot connect now", &pq.Error{Code: "57P03"}, true},
		{"connection failure", &pq.Error{Code: "08006"}, true},
		{"unique violation", &pq.Error{Code: "23505"}, false},
		{"no rows", sql.ErrNoRows, false},
		{"other", errors.New("boom"), false},
		{"nil", nil, false},
	} {
		if tt.err == nil && tt.want {
			t.Fatalf("%s: the driver returned no error", tt.name)
		}
		if got := Unavailable(tt.err); got != tt.want {
			t.Errorf("Unavailable(%s: %v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
