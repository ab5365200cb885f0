// Package memo keeps values read from the database for as long as a generation number stays the same.
// The generation is the response cache's (see respcache): every committed write to the catalog, stock,
// discounts, shipping or shop settings moves it on, on the writing replica at once and on the others when
// PostgreSQL delivers the write's NOTIFY. A value read while the generation moved is never kept, so a
// memo never answers with data older than the last write it has been told of.
package memo

import (
	"context"
	"sync"
)

// Generation returns the current generation. A nil Generation turns memoization off: every Get loads.
type Generation func() uint64

// Value is one memoized value.
type Value[T any] struct {
	gen Generation

	mu  sync.Mutex
	at  uint64
	set bool
	v   T
}

// NewValue returns a Value kept while gen stays the same.
func NewValue[T any](gen Generation) *Value[T] { return &Value[T]{gen: gen} }

// Get returns the value of the current generation, calling load when there is none. T is shared
// between callers, who must not change it.
func (m *Value[T]) Get(ctx context.Context, load func(context.Context) (T, error)) (T, error) {
	if m == nil || m.gen == nil {
		return load(ctx)
	}
	gen := m.gen() // before loading: a write during the load leaves the value unkept
	m.mu.Lock()
	if m.set && m.at == gen {
		v := m.v
		m.mu.Unlock()
		return v, nil
	}
	m.mu.Unlock()
	v, err := load(ctx)
	if err != nil {
		return v, err
	}
	m.mu.Lock()
	if m.gen() == gen {
		m.at, m.v, m.set = gen, v, true
	}
	m.mu.Unlock()
	return v, nil
}

// Map memoizes values by key, at most max of them.
type Map[K comparable, V any] struct {
	gen Generation
	max int

	mu    sync.Mutex
	at    uint64
	items map[K]V
}

// NewMap returns a Map of at most max values kept while gen stays the same.
func NewMap[K comparable, V any](gen Generation, max int) *Map[K, V] {
	return &Map[K, V]{gen: gen, max: max, items: map[K]V{}}
}

// GetMany returns the values of keys, calling load once with the keys the current generation lacks.
// Keys load leaves out are absent from the result and are not remembered. Values are shared between
// callers, who must not change them.
func (m *Map[K, V]) GetMany(ctx context.Context, keys []K, load func(context.Context, []K) (map[K]V, error)) (map[K]V, error) {
	if m == nil || m.gen == nil {
		return load(ctx, keys)
	}
	gen := m.gen()
	out := make(map[K]V, len(keys))
	var missing []K
	m.mu.Lock()
	if m.at != gen {
		clear(m.items)
		m.at = gen
	}
	for _, k := range keys {
		if v, ok := m.items[k]; ok {
			out[k] = v
		} else {
			missing = append(missing, k)
		}
	}
	m.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	loaded, err := load(ctx, missing)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := m.gen() == gen && m.at == gen
	for k, v := range loaded {
		out[k] = v
		if !keep {
			continue
		}
		if len(m.items) >= m.max {
			for old := range m.items { // any one: a full memo of one generation is rare
				delete(m.items, old)
				break
			}
		}
		m.items[k] = v
	}
	return out, nil
}

// Known returns the values of keys that the current generation holds, loading nothing.
func (m *Map[K, V]) Known(keys []K) map[K]V {
	if m == nil || m.gen == nil {
		return nil
	}
	gen := m.gen()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at != gen {
		return nil
	}
	out := make(map[K]V, len(keys))
	for _, k := range keys {
		if v, ok := m.items[k]; ok {
			out[k] = v
		}
	}
	return out
}
