package httpapi

import (
	"context"
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
// limit computes): a request takes its cost from the caller's bucket, which refills continuously. A
// request that costs more than is available is refused with THROTTLED before it runs. The bucket is per
// replica: each replica of a fleet enforces its own share.
type RateLimit struct {
	// Capacity is the most a bucket holds, the largest burst.
	Capacity float64
	// RestoreRate is how much cost a bucket regains per second.
	RestoreRate float64

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

// Validate implements graphql.HandlerExtension.
func (*RateLimit) Validate(graphql.ExecutableSchema) error { return nil }

// cost is what the response reports in extensions.cost, as the Storefront and Admin APIs do.
type cost struct {
	RequestedQueryCost int            `json:"requestedQueryCost"`
	ThrottleStatus     throttleStatus `json:"throttleStatus"`
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
	available, ok := l.take(callerKey(ctx), float64(requested))
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
	return nil
}

// InterceptResponse reports the cost and the bucket in extensions.cost.
func (l *RateLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	var c *cost
	if graphql.HasOperationContext(ctx) {
		c, _ = graphql.GetOperationContext(ctx).Stats.GetExtension("RateLimit").(*cost)
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
	now := time.Now()
	if l.now != nil {
		now = l.now()
	}
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	l.sweep(now)
	b := l.buckets[key]
	if b == nil {
		b = &bucket{available: l.Capacity, at: now}
		l.buckets[key] = b
	}
	b.available = math.Min(l.Capacity, b.available+now.Sub(b.at).Seconds()*l.RestoreRate)
	b.at = now
	if cost > b.available {
		return b.available, false
	}
	b.available -= cost
	return b.available, true
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
