package realtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/emporium/emporium/pgnotify"
)

// Channel is the PostgreSQL NOTIFY channel on which replicas announce the changes live subscriptions
// follow.
const Channel = "emporium_live"

// maxPayload keeps each NOTIFY payload under PostgreSQL's limit of 8,000 bytes.
const maxPayload = 7000

// Payloads encodes changes as few NOTIFY payloads as fit.
func Payloads(changes []Change) ([]string, error) {
	var out []string
	var batch []Change
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		body, err := json.Marshal(batch)
		if err != nil {
			return err
		}
		out = append(out, string(body))
		batch, size = batch[:0], 0
		return nil
	}
	for _, c := range changes {
		n := len(c.Topic) + len(c.ID) + len(c.Kind) + 24
		if size+n > maxPayload {
			if err := flush(); err != nil {
				return nil, err
			}
		}
		batch, size = append(batch, c), size+n
	}
	return out, flush()
}

// Listen publishes on hub the changes other replicas (and this one) announce on Channel, until ctx
// ends. After a lost connection every subscriber reads its resource again: changes may have been
// missed. dsn needs a PostgreSQL session of its own (see pgnotify.Listen).
func Listen(ctx context.Context, dsn string, db *sql.DB, hub *Hub, log *slog.Logger) error {
	err := pgnotify.Listen(ctx, dsn, db, Channel, "live announcements", pgnotify.Handler{
		Notify: func(payload string) {
			var changes []Change
			if err := json.Unmarshal([]byte(payload), &changes); err != nil {
				log.Warn("live announcements: unreadable payload", "err", err)
				return
			}
			for _, c := range changes {
				hub.Publish(c)
			}
		},
		Gap: hub.PublishAll,
	}, log)
	if err != nil {
		return fmt.Errorf("realtime: %w", err)
	}
	return nil
}
