package database

import (
	"encoding/json"
	"reflect"
	"testing"

	"entgo.io/ent/schema/field"

	"github.com/emporium/emporium/ent/migrate"
)

func TestPostgresDSN(t *testing.T) {
	for _, tt := range []struct{ dsn, want string }{
		{"postgres://u@db/shop", "postgres://u@db/shop?binary_parameters=yes"},
		{"postgres://u@db/shop?sslmode=disable", "postgres://u@db/shop?sslmode=disable&binary_parameters=yes"},
		{"postgres://u@db/shop?binary_parameters=no", "postgres://u@db/shop?binary_parameters=no"},
	} {
		if got := postgresDSN(tt.dsn); got != tt.want {
			t.Errorf("postgresDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

func TestIsSelect(t *testing.T) {
	for _, tt := range []struct {
		query string
		want  bool
	}{
		{`SELECT "products"."id" FROM "products"`, true},
		{"  select 1", true},
		{"(SELECT 1) UNION (SELECT 2)", true},
		{`INSERT INTO "products" ("title") VALUES ($1) RETURNING "id"`, false},
		{`UPDATE "products" SET "title" = $1`, false},
		{"WITH x AS (DELETE FROM carts RETURNING id) SELECT * FROM x", false},
		{"SEL", false},
	} {
		if got := isSelect(tt.query); got != tt.want {
			t.Errorf("isSelect(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

func TestArgsSendJSONAsText(t *testing.T) {
	pg := &CountingDriver{postgres: true}
	in := []any{1, []byte(`{"a":1}`), json.RawMessage(`[2]`), "s"}
	got := pg.args(in)
	want := []any{1, `{"a":1}`, `[2]`, "s"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("args(%v) = %#v, want %#v", in, got, want)
	}
	if _, ok := in[1].([]byte); !ok {
		t.Errorf("args changed its input: %#v", in)
	}
	sqlite := &CountingDriver{}
	if got := sqlite.args(in); !reflect.DeepEqual(got, in) {
		t.Errorf("SQLite args(%v) = %#v, want them unchanged", in, got)
	}
}

// TestNoByteaColumns guards the assumption of CountingDriver.args: every []byte parameter is a JSON
// document, sent as text. A bytea column would need its []byte sent as is (binary).
func TestNoByteaColumns(t *testing.T) {
	for _, table := range migrate.Tables {
		for _, c := range table.Columns {
			if c.Type == field.TypeBytes {
				t.Errorf("%s.%s is bytes: CountingDriver.args would send its values as text; "+
					"teach CountingDriver.args to tell its values from JSON documents", table.Name, c.Name)
			}
		}
	}
}
