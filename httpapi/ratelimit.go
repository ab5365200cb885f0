package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/emporium/emporium/auth"
)

// RateLimit is a leaky bucket per caller, measured in query cost (the complexity that the complexity
// limit computes): a request takes its requested cost from the caller's bucket, which refills
// continuously. A request that costs more than is available is refused with THROTTLED before it runs.
// Once it has run, the bucket gets back the difference between the requested cost and the actual cost
// (actualCost: the same prices, with the pages as long as the response's), as Shopify's APIs do, so a
// storefront asking for products(first: 100) pays for the products the shop has. The bucket is per
// replica: each replica of a fleet enforces its own share.
type RateLimit struct {
	// Capacity is the most a bucket holds, the largest burst.
	Capacity float64
	// RestoreRate is how much cost a bucket regains per second.
	RestoreRate float64

	schema  graphql.ExecutableSchema // prices the actual cost; set by Validate
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
	swept   time.Time
}

type bucket struct {
	available float64
	at        time.Time
}

// Default rate limits: a full Next.js product listing of 100 products costs about 290,000.
const (
	DefaultRateCapacity = 4_000_000
	DefaultRestoreRate  = 1_000_000
)

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
	graphql.ResponseInterceptor
} = (*RateLimit)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (*RateLimit) ExtensionName() string { return "RateLimit" }

// Validate implements graphql.HandlerExtension; it keeps the schema, whose prices the actual cost uses.
func (l *RateLimit) Validate(es graphql.ExecutableSchema) error {
	l.schema = es
	return nil
}

// cost is what the response reports in extensions.cost, as the Storefront and Admin APIs do.
// ActualQueryCost is null until the operation has run (and so when it was throttled).
type cost struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ActualQueryCost    *int           `json:"actualQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`

	limit *RateLimit // set once the requested cost was taken from the bucket of key
	key   string
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable int     `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// callerKey names whose bucket a request draws from: the API key, the staff member, the customer, or
// else the client address.
func callerKey(ctx context.Context) string {
	v := auth.ViewerFrom(ctx)
	switch v.Kind {
	case auth.APIKey:
		return "key:" + strconv.Itoa(v.ID)
	case auth.Staff:
		return "staff:" + strconv.Itoa(v.ID)
	case auth.Customer:
		return "customer:" + strconv.Itoa(v.ID)
	}
	return "addr:" + auth.ClientAddr(ctx)
}

// MutateOperationContext takes the operation's cost from the caller's bucket.
func (l *RateLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	stats, _ := oc.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats)
	requested := 1
	if stats != nil {
		requested = max(stats.Complexity, 1)
	}
	key := callerKey(ctx)
	available, ok := l.take(key, float64(requested))
	c := &cost{RequestedQueryCost: requested, ThrottleStatus: throttleStatus{
		MaximumAvailable: l.Capacity, CurrentlyAvailable: int(math.Floor(available)), RestoreRate: l.RestoreRate,
	}}
	oc.Stats.SetExtension("RateLimit", c)
	if !ok {
		err := gqlerror.Errorf("throttled: this request costs %d and %d is available; the bucket refills %g per second",
			requested, int(available), l.RestoreRate)
		err.Extensions = map[string]any{"code": "THROTTLED", "cost": c}
		return err
	}
	c.limit, c.key = l, key
	return nil
}

// settle prices the operation by its response data and gives the bucket back what it was charged
// beyond that. It runs once per admitted operation, for an answer that ran or came from the cache.
func (c *cost) settle(ctx context.Context, oc *graphql.OperationContext, data json.RawMessage) {
	if c.limit == nil || c.ActualQueryCost != nil {
		return
	}
	actual := c.RequestedQueryCost
	if n, ok := actualCost(ctx, c.limit.schema, oc, data); ok {
		// Never more than was requested, and never free, like the requested cost.
		actual = min(max(n, 1), c.RequestedQueryCost)
	}
	c.ActualQueryCost = &actual
	if refund := c.RequestedQueryCost - actual; refund > 0 {
		available := c.limit.refund(c.key, float64(refund))
		c.ThrottleStatus.CurrentlyAvailable = int(math.Floor(available))
	}
}

// InterceptResponse settles the actual cost and reports it with the bucket in extensions.cost.
func (l *RateLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	var c *cost
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if c, _ = oc.Stats.GetExtension("RateLimit").(*cost); c != nil && resp != nil {
			c.settle(ctx, oc, resp.Data)
		}
	}
	if resp != nil && c != nil {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = c
	}
	return resp
}

// take debits cost from key's bucket when it holds enough; it returns what is left.
func (l *RateLimit) take(key string, cost float64) (float64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{available: l.Capacity, at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if cost > b.available {
		return b.available, false
	}
	b.available -= cost
	return b.available, true
}

// refund gives amount back to key's bucket, up to its capacity; it returns what the bucket holds.
func (l *RateLimit) refund(key string, amount float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		// Swept since it was charged, so it was full again: nothing to give back.
		return l.Capacity
	}
	l.refill(b, l.clock())
	b.available = math.Min(l.Capacity, b.available+amount)
	return b.available
}

// refill adds what b regained since it was last touched.
func (l *RateLimit) refill(b *bucket, now time.Time) {
	b.available = math.Min(l.Capacity, b.available+now.Sub(b.at).Seconds()*l.RestoreRate)
	b.at = now
}

func (l *RateLimit) clock() time.Time {
	if l.now != nil {
		return l.now()
	}
	return time.Now()
}

// sweep forgets buckets that have refilled, so that memory stays bounded by recent callers.
func (l *RateLimit) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	full := time.Duration(l.Capacity / l.RestoreRate * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, k)
		}
	}
}

// String describes the limit for logs.
func (l *RateLimit) String() string {
	return fmt.Sprintf("capacity %g, restore %g/s", l.Capacity, l.RestoreRate)
}
