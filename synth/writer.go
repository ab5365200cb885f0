package synth

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// tableWriter appends rows to tables inside one transaction: PostgreSQL's COPY, or batched multi-row
// INSERTs on SQLite.
type tableWriter interface {
	write(ctx context.Context, tx *sql.Tx, table string, columns []string, rows [][]any) error
}

type copyWriter struct{}

func (copyWriter) write(ctx context.Context, tx *sql.Tx, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, columns...))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			stmt.Close()
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		stmt.Close()
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return stmt.Close()
}

// insertWriter sends multi-row INSERTs, as many rows a statement as SQLite's variable limit allows.
type insertWriter struct{}

const sqliteMaxVariables = 32766

func (insertWriter) write(ctx context.Context, tx *sql.Tx, table string, columns []string, rows [][]any) error {
	per := max(1, sqliteMaxVariables/len(columns))
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", len(columns)), ",") + ")"
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString(`INSERT INTO "` + table + `" ("` + strings.Join(columns, `", "`) + `") VALUES `)
		args := make([]any, 0, len(chunk)*len(columns))
		for i, r := range chunk {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

// nextID returns the first free ID of table.
func nextID(ctx context.Context, db *sql.DB, table string) (int, error) {
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, "SELECT MAX(id) FROM "+table).Scan(&n); err != nil {
		return 0, fmt.Errorf("max id of %s: %w", table, err)
	}
	return int(n.Int64) + 1, nil
}

// resetSequence moves PostgreSQL's identity sequence of table past the IDs written here.
func resetSequence(ctx context.Context, db *sql.DB, table string) error {
	_, err := db.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', 'id'), (SELECT COALESCE(MAX(id), 1) FROM "+table+"))")
	if err != nil {
		return fmt.Errorf("reset sequence of %s: %w", table, err)
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
