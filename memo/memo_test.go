package memo

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestValue(t *testing.T) {
	ctx := context.Background()
	var gen atomic.Uint64
	loads := 0
	v := NewValue[int](gen.Load)
	load := func(context.Context) (int, error) { loads++; return loads, nil }
	get := func() int {
		t.Helper()
		n, err := v.Get(ctx, load)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if a, b := get(), get(); a != 1 || b != 1 || loads != 1 {
		t.Errorf("two gets in one generation: %d, %d after %d loads; want one load", a, b, loads)
	}
	gen.Add(1)
	if n := get(); n != 2 {
		t.Errorf("after a write: %d, want a new load", n)
	}
	// A write during the load: the value answers this caller but is not kept.
	racing := func(context.Context) (int, error) { gen.Add(1); loads++; return loads, nil }
	gen.Add(1)
	if n, _ := v.Get(ctx, racing); n != 3 {
		t.Errorf("racing load answered %d", n)
	}
	if n := get(); n != 4 {
		t.Errorf("a value loaded while the generation moved was kept: got %d, want a fresh load (4)", n)
	}
	gen.Add(1)
	if _, err := v.Get(ctx, func(context.Context) (int, error) { return 0, errors.New("down") }); err == nil {
		t.Error("a load's error is lost")
	}

	var off *Value[int]
	if n, _ := off.Get(ctx, load); n != 5 {
		t.Error("a nil Value does not load")
	}
	if n, _ := NewValue[int](nil).Get(ctx, load); n != 6 {
		t.Error("a Value without a generation does not load every time")
	}
}

func TestMap(t *testing.T) {
	ctx := context.Background()
	var gen atomic.Uint64
	m := NewMap[int, string](gen.Load, 3)
	var asked [][]int
	load := func(_ context.Context, keys []int) (map[int]string, error) {
		asked = append(asked, keys)
		out := map[int]string{}
		for _, k := range keys {
			if k != 404 {
				out[k] = string(rune('a' + k))
			}
		}
		return out, nil
	}
	got, err := m.GetMany(ctx, []int{1, 2, 404}, load)
	if err != nil || len(got) != 2 || got[1] != "b" || got[2] != "c" {
		t.Fatalf("GetMany = %v, %v", got, err)
	}
	got, _ = m.GetMany(ctx, []int{2, 3, 404}, load)
	if len(asked) != 2 || len(asked[1]) != 2 || asked[1][0] != 3 || asked[1][1] != 404 || got[2] != "c" || got[3] != "d" {
		t.Errorf("second GetMany loaded %v (want [3 404]) and answered %v", asked, got)
	}
	if k := m.Known([]int{1, 2, 3, 404}); len(k) != 3 || k[3] != "d" {
		t.Errorf("Known = %v, want the three values held", k)
	}
	gen.Add(1)
	if k := m.Known([]int{1, 2, 3}); len(k) != 0 {
		t.Errorf("Known after a write = %v, want nothing", k)
	}
	m.GetMany(ctx, []int{1}, load)
	if last := asked[len(asked)-1]; len(last) != 1 || last[0] != 1 {
		t.Errorf("after a write the memo answered without loading: %v", asked)
	}
	for k := range 10 {
		m.GetMany(ctx, []int{k}, load)
	}
	if len(m.items) > 3 {
		t.Errorf("the memo holds %d values, more than its 3", len(m.items))
	}
	racing := func(ctx context.Context, keys []int) (map[int]string, error) { gen.Add(1); return load(ctx, keys) }
	// A key the loop above never loaded: eviction picks any value, so one it did may still be held.
	m.GetMany(ctx, []int{70}, racing)
	n := len(asked)
	m.GetMany(ctx, []int{70}, load)
	if len(asked) != n+1 {
		t.Error("a value loaded while the generation moved was kept")
	}
}
