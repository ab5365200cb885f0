package httpapi

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// sizedCache is a least-recently-used cache bounded in bytes rather than entries: callers choose what
// goes in (documents, persisted queries), so a count bound would let a thousand 1 MB entries in.
type sizedCache[V any] struct {
	mu       sync.Mutex
	maxBytes int
	used     int
	order    *list.List // front is the most recently used
	entries  map[string]*list.Element
	// size estimates the memory an entry holds.
	size func(key string, v V) int
}

type sizedEntry[V any] struct {
	key   string
	value V
	size  int
}

var _ graphql.Cache[string] = (*sizedCache[string])(nil)

func newSizedCache[V any](maxBytes int, size func(key string, v V) int) *sizedCache[V] {
	return &sizedCache[V]{maxBytes: maxBytes, order: list.New(), entries: map[string]*list.Element{}, size: size}
}

// Get implements graphql.Cache.
func (c *sizedCache[V]) Get(_ context.Context, key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*sizedEntry[V]).value, true
	}
	var zero V
	return zero, false
}

// Add implements graphql.Cache. An entry larger than an eighth of the cache is not kept: one caller's
// document should not empty the cache of everyone else's.
func (c *sizedCache[V]) Add(_ context.Context, key string, v V) {
	n := c.size(key, v) + 64 // the entry, its list element and map slot
	if n > c.maxBytes/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok {
		old := e.Value.(*sizedEntry[V])
		c.used += n - old.size
		old.value, old.size = v, n
		c.order.MoveToFront(e)
	} else {
		c.entries[key] = c.order.PushFront(&sizedEntry[V]{key: key, value: v, size: n})
		c.used += n
	}
	for c.used > c.maxBytes {
		last := c.order.Back()
		e := last.Value.(*sizedEntry[V])
		c.order.Remove(last)
		delete(c.entries, e.key)
		c.used -= e.size
	}
}

// bytes is the estimated memory held.
func (c *sizedCache[V]) bytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// DefaultQueryCacheBytes bounds the parsed and validated documents kept.
const DefaultQueryCacheBytes = 32 << 20

// documentSize estimates the memory of a parsed document from its text: the AST holds several times
// its source (documentBytesPerByte is an estimate, not yet measured).
func documentSize(query string, _ *ast.QueryDocument) int {
	return len(query) * (1 + documentBytesPerByte)
}

const documentBytesPerByte = 12
