package respcache

import (
	"fmt"
	"testing"
	"time"
)

func TestGenerations(t *testing.T) {
	c := New(1<<20, time.Minute)
	gen := c.Generation()
	c.Put("q", gen, Answer{Body: []byte("old"), Cost: 7})
	if a, ok := c.Get("q"); !ok || string(a.Body) != "old" || a.Cost != 7 {
		t.Fatalf("get = %+v, %v", a, ok)
	}
	c.Invalidate()
	if _, ok := c.Get("q"); ok {
		t.Error("an answer of the previous generation was served")
	}
	// An answer computed while a write committed belongs to the old generation: it is not kept.
	started := c.Generation()
	c.Invalidate()
	c.Put("q", started, Answer{Body: []byte("computed across a write")})
	if _, ok := c.Get("q"); ok {
		t.Error("an answer computed across a write was kept")
	}
	c.Put("q", c.Generation(), Answer{Body: []byte("new")})
	if a, _ := c.Get("q"); string(a.Body) != "new" {
		t.Errorf("get = %q", a.Body)
	}
}

func TestBoundsAndExpiry(t *testing.T) {
	c := New(1000, time.Minute)
	for i := range 50 {
		c.Put(fmt.Sprint(i), c.Generation(), Answer{Body: make([]byte, 100)})
	}
	if st := c.Stats(); st.Bytes > 1000 || st.Entries == 0 {
		t.Errorf("stats over the bound: %+v", st)
	}
	if _, ok := c.Get("49"); !ok {
		t.Error("the newest entry was evicted")
	}
	if _, ok := c.Get("0"); ok {
		t.Error("the oldest entry survived")
	}
	c.Put("huge", c.Generation(), Answer{Body: make([]byte, 900)})
	if _, ok := c.Get("huge"); ok {
		t.Error("an entry of most of the cache was kept")
	}
	short := New(1000, time.Millisecond)
	short.Put("q", short.Generation(), Answer{Body: []byte("x")})
	time.Sleep(5 * time.Millisecond)
	if _, ok := short.Get("q"); ok {
		t.Error("an expired entry was served")
	}
}
