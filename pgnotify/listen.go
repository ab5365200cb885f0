// Package pgnotify receives PostgreSQL NOTIFY announcements on a connection of its own, the way every
// replica learns of the others' writes: the response cache's invalidations and the live subscriptions'
// changes.
package pgnotify

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Handler receives a channel's announcements. Gap is called when announcements may have been missed
// (the connection was lost, or came back): the receiver must assume anything changed.
type Handler struct {
	Notify func(payload string)
	Gap    func()
}

// probePrefix starts the payload of the announcements Listen sends itself to check that they arrive;
// they announce nothing.
const probePrefix = "probe:"

// ProbeTimeout bounds the wait for Listen's probe.
const ProbeTimeout = 5 * time.Second

// Listen hands channel's announcements to h until ctx ends. what names them in logs.
//
// dsn must reach PostgreSQL with a session of its own: through PgBouncer in transaction mode, LISTEN
// holds a pooled server connection for a moment and announcements never arrive. So Listen announces a
// probe through db, the pool that carries the writers' announcements, and fails unless it arrives
// within ProbeTimeout: a receiver that misses announcements would not be exact.
func Listen(ctx context.Context, dsn string, db *sql.DB, channel, what string, h Handler, log *slog.Logger) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn(what+": connection lost", "err", err)
			h.Gap()
		case pq.ListenerEventReconnected:
			log.Info(what + ": reconnected")
			h.Gap()
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn(what+": cannot connect", "err", err)
		}
	})
	if err := l.Listen(channel); err != nil {
		l.Close()
		return fmt.Errorf("pgnotify: listen on %s: %w", channel, err)
	}
	probe := probePrefix + rand.Text()
	arrived := make(chan struct{})
	go func() {
		defer l.Close()
		ping := time.NewTicker(30 * time.Second)
		defer ping.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case n := <-l.Notify:
				if n == nil {
					// After a reconnection; something may have changed meanwhile.
					h.Gap()
					continue
				}
				if strings.HasPrefix(n.Extra, probePrefix) {
					if n.Extra == probe {
						close(arrived)
					}
					continue
				}
				h.Notify(n.Extra)
			case <-ping.C:
				go func() { _ = l.Ping() }()
			}
		}
	}()
	if _, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", channel, probe); err != nil {
		return fmt.Errorf("pgnotify: announce a probe on %s: %w", channel, err)
	}
	select {
	case <-arrived:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(ProbeTimeout):
		return fmt.Errorf("pgnotify: %s do not arrive at the LISTEN connection within %v: "+
			"it needs a PostgreSQL session of its own, not PgBouncer in transaction mode "+
			"(set EMPORIUM_DATABASE_LISTEN_URL to a direct connection)", what, ProbeTimeout)
	}
}
