package respcache

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// fakeWAL is a primary and a replica reduced to their WAL positions.
type fakeWAL struct {
	primary, replayed atomic.Uint64
	replicaAsked      atomic.Int64
	primaryDown       atomic.Bool
}

func (w *fakeWAL) primaryWAL(context.Context) (uint64, error) {
	if w.primaryDown.Load() {
		return 0, errors.New("primary down")
	}
	return w.primary.Load(), nil
}

func (w *fakeWAL) replicaReplayed(context.Context) (uint64, error) {
	w.replicaAsked.Add(1)
	return w.replayed.Load(), nil
}

// waitFresh polls ReplicaFresh for the current generation until it answers want.
func waitFresh(t *testing.T, g *ReplicaGate, want bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if g.ReplicaFresh(context.Background(), g.cache.Generation()) == want {
			return
		}
	}
	t.Fatalf("ReplicaFresh did not become %v", want)
}

func TestReplicaGate(t *testing.T) {
	c := New(1<<20, time.Minute)
	w := &fakeWAL{}
	w.primary.Store(100)
	w.replayed.Store(100)
	g := NewReplicaGate(c, w.primaryWAL, w.replicaReplayed, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if g.ReplicaFresh(ctx, c.Generation()) {
		t.Fatal("fresh before the primary's position is known")
	}
	go g.Run(ctx)
	waitFresh(t, g, true)

	// Known to be far enough: no statement.
	asked := w.replicaAsked.Load()
	for range 10 {
		if !g.ReplicaFresh(ctx, c.Generation()) {
			t.Fatal("not fresh although nothing was written")
		}
	}
	if n := w.replicaAsked.Load() - asked; n != 0 {
		t.Errorf("%d questions to a replica known to be far enough, want 0", n)
	}

	// A write: the replica must replay past its position.
	w.primary.Store(200)
	c.Invalidate()
	waitFresh(t, g, false)
	for m := g.required.Load(); m == nil || m.gen != c.Generation(); m = g.required.Load() {
		time.Sleep(time.Millisecond)
	}
	asked = w.replicaAsked.Load()
	g.ReplicaFresh(ctx, c.Generation())
	if n := w.replicaAsked.Load() - asked; n != 1 {
		t.Errorf("%d questions to a replica not known to be far enough, want 1", n)
	}
	w.replayed.Store(199)
	if g.ReplicaFresh(ctx, c.Generation()) {
		t.Error("fresh one byte short of the write")
	}
	w.replayed.Store(250)
	if !g.ReplicaFresh(ctx, c.Generation()) {
		t.Error("not fresh after replaying past the write")
	}

	// Without the primary's position for the new generation, nothing is fresh.
	w.primaryDown.Store(true)
	c.Invalidate()
	for range 100 {
		if g.ReplicaFresh(ctx, c.Generation()) {
			t.Fatal("fresh while the primary's position of the generation is unknown")
		}
		time.Sleep(time.Millisecond)
	}
	w.primaryDown.Store(false) // Run retries
	waitFresh(t, g, true)
	if g.Behind() == 0 {
		t.Error("Behind counts nothing")
	}
}
