package respcache

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// ReplicaGate keeps the cache exact when answers are computed on a read replica, which replays the
// primary's writes a moment after they commit. The generation alone is not enough there: a query run
// right after a write moved the generation on could read the replica from before the write, and its
// answer would be kept under the new generation until the TTL.
//
// So each generation needs a WAL position: the primary's, read after the write that began the
// generation committed (or was announced, or the announcements' connection came back). An answer of
// that generation may be computed on the replica only once the replica has replayed that far; until
// the position is known, or while the replica is behind it, the caller reads the primary instead.
type ReplicaGate struct {
	cache *Cache
	// primaryWAL reads the primary's WAL position; replicaReplayed the replica's replay position.
	primaryWAL, replicaReplayed func(context.Context) (uint64, error)
	log                         *slog.Logger

	// required is the WAL position the replica must reach for answers of required.gen.
	required atomic.Pointer[walMark]
	// replayed is the furthest replay position seen, so that a replica known to be far enough costs
	// no statement.
	replayed atomic.Uint64
	// behind counts the answers computed on the primary because the replica was not known to be far
	// enough.
	behind atomic.Uint64
}

type walMark struct{ gen, lsn uint64 }

// NewReplicaGate returns a gate for c. Run must run for it to let any answer be read on the replica.
func NewReplicaGate(c *Cache, primaryWAL, replicaReplayed func(context.Context) (uint64, error), log *slog.Logger) *ReplicaGate {
	return &ReplicaGate{cache: c, primaryWAL: primaryWAL, replicaReplayed: replicaReplayed, log: log}
}

// Run records the primary's WAL position for each new generation, until ctx ends. Generations that
// follow each other faster than one statement coalesce: the position read after the last of them
// serves it, and the ones before it are superseded anyway.
func (g *ReplicaGate) Run(ctx context.Context) {
	for {
		gen := g.cache.Generation() // before reading the position: the position is at or after its write
		lsn, err := g.primaryWAL(ctx)
		var retry <-chan time.Time
		if err == nil {
			g.required.Store(&walMark{gen: gen, lsn: lsn})
		} else if ctx.Err() == nil {
			g.log.WarnContext(ctx, "response cache: cannot read the primary's WAL position; cached answers read the primary", "err", err)
			retry = time.After(time.Second)
		}
		select {
		case <-ctx.Done():
			return
		case <-g.cache.invalidated:
		case <-retry:
		}
	}
}

// ReplicaFresh reports whether an answer of generation gen may be computed on the replica: the replica
// has replayed the primary's WAL up to gen's position. It asks the replica (one statement) only when
// the last position seen is not far enough.
func (g *ReplicaGate) ReplicaFresh(ctx context.Context, gen uint64) bool {
	m := g.required.Load()
	if m == nil || m.gen != gen {
		g.behind.Add(1)
		return false
	}
	if g.replayed.Load() >= m.lsn {
		return true
	}
	lsn, err := g.replicaReplayed(ctx)
	if err != nil {
		g.log.DebugContext(ctx, "response cache: cannot read the replica's replay position", "err", err)
		g.behind.Add(1)
		return false
	}
	for {
		seen := g.replayed.Load()
		if lsn <= seen || g.replayed.CompareAndSwap(seen, lsn) {
			break
		}
	}
	if lsn < m.lsn {
		g.behind.Add(1)
		return false
	}
	return true
}

// Behind counts the answers computed on the primary because the replica was not known to have
// replayed far enough.
func (g *ReplicaGate) Behind() uint64 { return g.behind.Load() }
