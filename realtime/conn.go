package realtime

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Defaults of the limits (EMPORIUM_LIVE_*).
const (
	DefaultPerConn      = 25
	DefaultPerCaller    = 100
	DefaultIdleTimeout  = time.Minute
	DefaultWriteTimeout = 10 * time.Second
)

// ErrTooManyForConn refuses a subscription beyond the connection's limit.
var ErrTooManyForConn = errors.New("too many live subscriptions on this connection")

// Conn is one WebSocket connection's subscriptions: it bounds how many run at once and closes the
// connection once it has had none for the idle timeout.
type Conn struct {
	max   int
	idle  time.Duration
	close func(reason string)

	mu     sync.Mutex
	active int
	timer  *time.Timer
	closed bool
}

// NewConn returns the state of a new connection allowing max subscriptions at once (unbounded when
// zero or less), which close calls to end the connection with a reason: when idle for idle (never
// when zero or less), or when one of its subscribers falls behind.
func NewConn(max int, idle time.Duration, close func(reason string)) *Conn {
	c := &Conn{max: max, idle: idle, close: close}
	c.mu.Lock()
	c.armLocked()
	c.mu.Unlock()
	return c
}

func (c *Conn) armLocked() {
	if c.idle <= 0 || c.closed {
		return
	}
	if c.timer == nil {
		c.timer = time.AfterFunc(c.idle, func() { c.Drop("idle timeout: no subscription for " + c.idle.String()) })
		return
	}
	c.timer.Reset(c.idle)
}

// Acquire counts a new subscription, or refuses it beyond the limit.
func (c *Conn) Acquire() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.active >= c.max {
		return ErrTooManyForConn
	}
	c.active++
	if c.timer != nil {
		c.timer.Stop()
	}
	return nil
}

// Release counts a subscription's end.
func (c *Conn) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.active--; c.active == 0 {
		c.armLocked()
	}
}

// Drop closes the connection with reason, once.
func (c *Conn) Drop(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.close(reason)
}

// Stop ends the connection's timers once it has closed.
func (c *Conn) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
}

type connKey struct{}

// WithConn returns ctx carrying c, for the subscriptions the connection starts.
func WithConn(ctx context.Context, c *Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnFrom returns the connection of ctx; nil outside a WebSocket connection (server-sent events carry
// one subscription per request).
func ConnFrom(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}
