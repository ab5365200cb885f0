// Package respcache keeps the answers of anonymous catalog queries for a short while. Exactness comes
// from a generation number: every committed write to the catalog or to stock moves it on, on this replica
// at commit and on the others through PostgreSQL NOTIFY, and an answer is only ever served for the
// generation it was computed in. A query that started before a write therefore never fills the cache
// with what the write changed.
package respcache

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
)

// Cache is a bounded LRU of response bodies under one generation.
type Cache struct {
	gen      atomic.Uint64
	ttl      time.Duration
	maxBytes int

	mu    sync.Mutex
	order *list.List // front: most recently used
	items map[string]*list.Element
	bytes int

	hits, misses, invalidations atomic.Uint64
	// invalidated holds a token after each Invalidate, for a ReplicaGate to learn of it.
	invalidated chan struct{}
}

type entry struct {
	key     string
	gen     uint64
	answer  Answer
	expires time.Time
}

// Answer is a cached response body with what computing it cost: the rate limit's actual query cost,
// priced once when the body was computed so that an answer served from the cache is charged the same
// without decoding the body again (0 when nothing priced it).
type Answer struct {
	Body []byte
	Cost int
}

// New returns a cache holding at most maxBytes of bodies, each for at most ttl.
func New(maxBytes int, ttl time.Duration) *Cache {
	return &Cache{ttl: ttl, maxBytes: maxBytes, order: list.New(), items: map[string]*list.Element{},
		invalidated: make(chan struct{}, 1)}
}

// Generation is the current generation; take it before computing an answer and give it to Put.
func (c *Cache) Generation() uint64 { return c.gen.Load() }

// Invalidate moves to a new generation: nothing cached before is served again.
func (c *Cache) Invalidate() {
	c.gen.Add(1)
	c.invalidations.Add(1)
	select {
	case c.invalidated <- struct{}{}:
	default: // a token is waiting already: one look at the new generation serves both
	}
}

// Get returns the answer cached for key in the current generation.
func (c *Cache) Get(key string) (Answer, bool) {
	gen := c.gen.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses.Add(1)
		return Answer{}, false
	}
	e := el.Value.(*entry)
	if e.gen != gen || time.Now().After(e.expires) {
		c.remove(el)
		c.misses.Add(1)
		return Answer{}, false
	}
	c.order.MoveToFront(el)
	c.hits.Add(1)
	return e.answer, true
}

// Put keeps a for key if gen, the generation its body was computed in, is still current.
func (c *Cache) Put(key string, gen uint64, a Answer) {
	if gen != c.gen.Load() || len(a.Body) > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.remove(el)
	}
	c.items[key] = c.order.PushFront(&entry{key: key, gen: gen, answer: a, expires: time.Now().Add(c.ttl)})
	c.bytes += len(a.Body) + len(key)
	for c.bytes > c.maxBytes {
		c.remove(c.order.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*entry)
	c.order.Remove(el)
	delete(c.items, e.key)
	c.bytes -= len(e.answer.Body) + len(e.key)
}

// Stats are the cache's counters since start.
type Stats struct {
	Hits, Misses, Invalidations uint64
	Entries, Bytes              int
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Invalidations: c.invalidations.Load(), Entries: len(c.items), Bytes: c.bytes}
}
