package httpapi

import (
	"cmp"
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
// storefront asking for products(first: 100) pays for the products the shop has. The actual cost is
// priced once per computed answer and kept with it in the response cache, so an answer from the cache
// is refunded without being decoded again.
//
// A caller is an API key, a staff member, a customer, or else an address: the client's, and with a
// storefront access token the pair of token and address (with a private token, the buyer's address
// that the storefront's server names). A private token's requests also draw on the token's own
// budget (TokenCapacity), shared by all its buyers, so one server cannot take more than that however
// many buyer addresses it names. The buckets are per replica: each replica of a fleet enforces its
// own share.
type RateLimit struct {
	// Capacity is the most a caller's bucket holds, the largest burst.
	Capacity float64
	// RestoreRate is how much cost a caller's bucket regains per second.
	RestoreRate float64
	// TokenCapacity and TokenRestoreRate size the budget of one private storefront token, which all the
	// buyers of its server share; zero takes DefaultTokenCapacity and DefaultTokenRestoreRate.
	TokenCapacity, TokenRestoreRate float64

	schema  graphql.ExecutableSchema // prices the actual cost; set by Validate
	mu      sync.Mutex
	buckets map[string]*bucket
	now     func() time.Time
	swept   time.Time
}

type bucket struct {
	available float64
	at        time.Time
	capacity  float64
	restore   float64
}

// Default rate limits: a full Next.js product listing of 100 products costs about 290,000 requested
// (and what it returns actually). A private storefront token's budget admits a hundred such listings
// at once, for as many buyers.
const (
	DefaultRateCapacity     = 4_000_000
	DefaultRestoreRate      = 1_000_000
	DefaultTokenCapacity    = 100_000_000
	DefaultTokenRestoreRate = 25_000_000
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

	limit *RateLimit // set once the requested cost was taken from the buckets of draws
	draws []draw
}

type throttleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable int     `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// draw is one bucket a request is charged to, with its size.
type draw struct {
	key               string
	capacity, restore float64
}

// callerKey names whose bucket a request draws from: the API key, the staff member, the customer, or
// else the client address (with a storefront token, the token's bucket for that address; with a
// private token the address is the buyer's).
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
	if t, ok := auth.StorefrontTokenFrom(ctx); ok {
		return "sf:" + strconv.Itoa(t.ID) + ":" + auth.ClientAddr(ctx)
	}
	return "addr:" + auth.ClientAddr(ctx)
}

// draws are the buckets a request is charged to: the caller's, and a private token's budget.
func (l *RateLimit) draws(ctx context.Context) []draw {
	ds := []draw{{key: callerKey(ctx), capacity: l.Capacity, restore: l.RestoreRate}}
	if t, ok := auth.StorefrontTokenFrom(ctx); ok && t.Private {
		ds = append(ds, draw{key: "sftoken:" + strconv.Itoa(t.ID),
			capacity: cmp.Or(l.TokenCapacity, DefaultTokenCapacity), restore: cmp.Or(l.TokenRestoreRate, DefaultTokenRestoreRate)})
	}
	return ds
}

// MutateOperationContext takes the operation's requested cost from the caller's buckets.
func (l *RateLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	stats, _ := oc.Stats.GetExtension("ComplexityLimit").(*extension.ComplexityStats)
	requested := 1
	if stats != nil {
		requested = max(stats.Complexity, 1)
	}
	ds := l.draws(ctx)
	available, refused := l.take(ds, float64(requested))
	status := ds[0]
	if refused >= 0 {
		status = ds[refused]
	}
	c := &cost{RequestedQueryCost: requested, ThrottleStatus: throttleStatus{
		MaximumAvailable: status.capacity, CurrentlyAvailable: int(math.Floor(available)), RestoreRate: status.restore,
	}}
	oc.Stats.SetExtension("RateLimit", c)
	if refused >= 0 {
		whose := "is available"
		if refused > 0 {
			whose = "is left in the storefront token's budget"
		}
		err := gqlerror.Errorf("throttled: this request costs %d and %d %s; the bucket refills %g per second",
			requested, int(available), whose, status.restore)
		err.Extensions = map[string]any{"code": "THROTTLED", "cost": c}
		return err
	}
	c.limit, c.draws = l, ds
	return nil
}

// settle charges the operation its actual cost: the buckets get back what they were charged beyond it.
// It runs once per admitted operation, for an answer that ran (priced from its data) or came from the
// cache (priced when it was computed).
func (c *cost) settle(actual int) {
	if c.limit == nil || c.ActualQueryCost != nil {
		return
	}
	// Never more than was requested, and never free, like the requested cost.
	actual = min(max(actual, 1), c.RequestedQueryCost)
	c.ActualQueryCost = &actual
	if refund := c.RequestedQueryCost - actual; refund > 0 {
		c.ThrottleStatus.CurrentlyAvailable = int(math.Floor(c.limit.refund(c.draws, float64(refund))))
	}
}

// settleComputed prices a computed answer by its data and settles it.
func (c *cost) settleComputed(ctx context.Context, oc *graphql.OperationContext, data json.RawMessage) {
	if c.limit == nil || c.ActualQueryCost != nil {
		return
	}
	actual := c.RequestedQueryCost
	if n, ok := actualCost(ctx, c.limit.schema, oc, data); ok {
		actual = n
	}
	c.settle(actual)
}

// rateCost is the operation's extensions.cost, or nil without a rate limit.
func rateCost(oc *graphql.OperationContext) *cost {
	c, _ := oc.Stats.GetExtension("RateLimit").(*cost)
	return c
}

// InterceptResponse settles the actual cost and reports it with the bucket in extensions.cost.
func (l *RateLimit) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	var c *cost
	if graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		if c = rateCost(oc); c != nil && resp != nil {
			c.settleComputed(ctx, oc, resp.Data)
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

// take debits cost from every bucket of ds when each holds enough. It returns what the first is left
// with, or, when one does not hold enough, what that one holds and its index (refused is -1 when the
// cost was taken).
func (l *RateLimit) take(ds []draw, cost float64) (available float64, refused int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	l.sweep(now)
	bs := make([]*bucket, len(ds))
	for i, d := range ds {
		b := l.buckets[d.key]
		if b == nil {
			b = &bucket{available: d.capacity, at: now}
			l.buckets[d.key] = b
		}
		b.capacity, b.restore = d.capacity, d.restore
		l.refill(b, now)
		if cost > b.available {
			return b.available, i
		}
		bs[i] = b
	}
	for _, b := range bs {
		b.available -= cost
	}
	return bs[0].available, -1
}

// refund gives amount back to the buckets of ds, up to their capacity; it returns what the first holds.
func (l *RateLimit) refund(ds []draw, amount float64) float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock()
	first := ds[0].capacity
	for i, d := range ds {
		b := l.buckets[d.key]
		if b == nil {
			// Swept since it was charged, so it was full again: nothing to give back.
			continue
		}
		l.refill(b, now)
		b.available = math.Min(b.capacity, b.available+amount)
		if i == 0 {
			first = b.available
		}
	}
	return first
}

// refill adds what b regained since it was last touched.
func (l *RateLimit) refill(b *bucket, now time.Time) {
	b.available = math.Min(b.capacity, b.available+now.Sub(b.at).Seconds()*b.restore)
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
	for k, b := range l.buckets {
		if now.Sub(b.at) > time.Duration(b.capacity/b.restore*float64(time.Second)) {
			delete(l.buckets, k)
		}
	}
}

// String describes the limit for logs.
func (l *RateLimit) String() string {
	return fmt.Sprintf("capacity %g, restore %g/s; private storefront token budget %g, restore %g/s", l.Capacity, l.RestoreRate,
		cmp.Or(l.TokenCapacity, DefaultTokenCapacity), cmp.Or(l.TokenRestoreRate, DefaultTokenRestoreRate))
}
