// Package realtime carries committed changes to the live GraphQL subscriptions of this replica: a hub
// of topics and their subscribers, each with a bounded queue of its own, so that one slow client is
// dropped rather than slowing the others. Changes reach the hub from the database (events.Announcer):
// in-process on SQLite, through PostgreSQL's LISTEN/NOTIFY across replicas.
package realtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Topics of changes.
const (
	// TopicOrder is an order's change; ID is its number.
	TopicOrder = "order"
	// TopicOrders is the feed of every order's changes; ID is the order's number, Kind the event topic
	// (orders/create, orders/paid…).
	TopicOrders = "orders"
	// TopicCart is a cart's change; ID is its token.
	TopicCart = "cart"
	// TopicProduct is a change of a product's stock or prices; ID is its number.
	TopicProduct = "product"
)

// A Change names a resource that changed; subscribers read its new state themselves.
type Change struct {
	Topic string `json:"t"`
	ID    string `json:"i"`
	Kind  string `json:"k,omitempty"`
}

// Key is what a subscriber to this one resource subscribes to.
func (c Change) Key() string { return c.Topic + ":" + c.ID }

// Key returns the subscription key of a resource.
func Key(topic, id string) string { return topic + ":" + id }

// DefaultQueue bounds the distinct changes waiting for one subscriber.
const DefaultQueue = 64

// Errors of Subscribe.
var (
	ErrTooManyForCaller = errors.New("too many live subscriptions for this caller")
)

// Hub routes changes to subscribers. Its zero value is not usable; call NewHub.
type Hub struct {
	queue     int
	perCaller int
	// WriteTimeout bounds how long a subscription waits for its transport to take the next value
	// before its client is dropped as too slow (DefaultWriteTimeout).
	WriteTimeout time.Duration

	// seq counts the changes published, so that subscribers reading after the same change can share
	// what they read (see Seq).
	seq atomic.Uint64

	mu      sync.RWMutex
	subs    map[string]map[*Subscriber]struct{}
	callers map[string]int
	total   int
}

// NewHub returns a hub whose subscribers hold up to queue pending changes (DefaultQueue when zero),
// and which allows up to perCaller subscriptions per caller (unbounded when zero or less).
func NewHub(queue, perCaller int) *Hub {
	if queue <= 0 {
		queue = DefaultQueue
	}
	return &Hub{queue: queue, perCaller: perCaller, WriteTimeout: DefaultWriteTimeout, subs: map[string]map[*Subscriber]struct{}{}, callers: map[string]int{}}
}

// Subscribers is how many subscriptions are open on this replica.
func (h *Hub) Subscribers() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.total
}

// Seq counts the changes published so far. A read made after Seq returned n sees every change up to
// the n-th committed (changes are published after their commit), so readers that find the same Seq
// may share one read.
func (h *Hub) Seq() uint64 { return h.seq.Load() }

// Subscriber is one live subscription's queue of changes.
type Subscriber struct {
	hub    *Hub
	caller string
	keys   []string
	// drop ends the subscription's connection with a reason; called at most once, never under a lock.
	drop func(reason string)

	mu      sync.Mutex
	pending []Change
	queued  map[Change]struct{}
	wake    chan struct{}
	gone    chan struct{}
	reason  string
	closed  bool
}

// Subscribe registers a subscriber to the keys (Key(topic, id), or a bare topic for all its changes)
// for caller. drop is called when the subscriber falls too far behind, to close its connection.
func (h *Hub) Subscribe(caller string, keys []string, drop func(reason string)) (*Subscriber, error) {
	s := &Subscriber{hub: h, caller: caller, keys: keys, drop: drop, queued: map[Change]struct{}{},
		wake: make(chan struct{}, 1), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perCaller > 0 && h.callers[caller] >= h.perCaller {
		return nil, ErrTooManyForCaller
	}
	h.callers[caller]++
	h.total++
	for _, k := range keys {
		m := h.subs[k]
		if m == nil {
			m = map[*Subscriber]struct{}{}
			h.subs[k] = m
		}
		m[s] = struct{}{}
	}
	return s, nil
}

// Publish queues c for its subscribers. It never blocks on them: one whose queue is full is dropped.
func (h *Hub) Publish(c Change) {
	h.seq.Add(1)
	h.mu.RLock()
	var targets []*Subscriber
	for s := range h.subs[c.Key()] {
		targets = append(targets, s)
	}
	for s := range h.subs[c.Topic] {
		targets = append(targets, s)
	}
	h.mu.RUnlock()
	for _, s := range targets {
		s.offer(c)
	}
}

// PublishAll publishes every change, as after a lost connection to the other replicas: subscribers
// then read their resources again, in case they missed a change.
func (h *Hub) PublishAll() {
	h.seq.Add(1)
	h.mu.RLock()
	var all []*Subscriber
	seen := map[*Subscriber]bool{}
	for _, m := range h.subs {
		for s := range m {
			if !seen[s] {
				seen[s] = true
				all = append(all, s)
			}
		}
	}
	h.mu.RUnlock()
	for _, s := range all {
		s.offer(Change{Topic: "*"})
	}
}

// offer queues c unless the same change already waits (coalescing repeated changes of a resource).
func (s *Subscriber) offer(c Change) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if _, dup := s.queued[c]; dup {
		s.mu.Unlock()
		return
	}
	if len(s.pending) >= s.hub.queue {
		s.mu.Unlock()
		s.Drop("send queue full: the client reads too slowly")
		return
	}
	s.pending = append(s.pending, c)
	s.queued[c] = struct{}{}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next waits for the next change. It returns false once ctx ends or the subscriber is dropped.
func (s *Subscriber) Next(ctx context.Context) (Change, bool) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return Change{}, false
		}
		if len(s.pending) > 0 {
			c := s.pending[0]
			s.pending = s.pending[1:]
			delete(s.queued, c)
			s.mu.Unlock()
			return c, true
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Change{}, false
		case <-s.gone:
			return Change{}, false
		case <-s.wake:
		}
	}
}

// Drop removes the subscriber and closes its connection with reason.
func (s *Subscriber) Drop(reason string) {
	if s.close(reason) && s.drop != nil {
		s.drop(reason)
	}
}

// Close removes the subscriber, as when its client ends the subscription.
func (s *Subscriber) Close() { s.close("") }

// Reason says why the subscriber was dropped; empty if it was not.
func (s *Subscriber) Reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reason
}

func (s *Subscriber) close(reason string) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed, s.reason, s.pending = true, reason, nil
	close(s.gone)
	s.mu.Unlock()
	h := s.hub
	h.mu.Lock()
	for _, k := range s.keys {
		delete(h.subs[k], s)
		if len(h.subs[k]) == 0 {
			delete(h.subs, k)
		}
	}
	if h.callers[s.caller]--; h.callers[s.caller] <= 0 {
		delete(h.callers, s.caller)
	}
	h.total--
	h.mu.Unlock()
	return true
}
