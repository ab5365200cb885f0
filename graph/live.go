package graph

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/realtime"
)

// maxLiveHandles bounds productAvailability's handles.
const maxLiveHandles = 50

// CodeLiveLimit refuses a subscription beyond the limits per connection or per caller.
const CodeLiveLimit = "LIVE_SUBSCRIPTION_LIMIT"

// step is what a live subscription does with a change.
type step int

const (
	send step = iota // send the value
	skip             // nothing to send
	end              // the resource is gone: end the subscription
)

// gap is the change a subscription starts with, and what a lost connection to the other replicas
// announces: the resource may have changed, read it again.
var gap = realtime.Change{Topic: "*"}

// follow subscribes to keys and sends what load makes of each change, starting with load(gap) when
// initial is set. It runs in a goroutine of its own until ctx ends (the client stops the subscription
// or goes away), the resource is gone, or the client is dropped for reading too slowly.
func follow[T any](ctx context.Context, r *Resolver, keys []string, initial bool,
	load func(ctx context.Context, c realtime.Change) ([]T, step, error)) (<-chan T, error) {
	if r.live == nil {
		return nil, accessError(CodeUnavailable, "live subscriptions are not served here")
	}
	conn := realtime.ConnFrom(ctx)
	drop := func(string) {}
	if conn != nil {
		if err := conn.Acquire(); err != nil {
			return nil, accessError(CodeLiveLimit, err.Error())
		}
		drop = conn.Drop
	}
	sub, err := r.live.Subscribe(liveCaller(ctx), keys, drop)
	if err != nil {
		if conn != nil {
			conn.Release()
		}
		return nil, accessError(CodeLiveLimit, err.Error())
	}
	out := make(chan T) // unbuffered: a value taken is a value the transport is writing
	go func() {
		defer close(out)
		defer sub.Close()
		if conn != nil {
			defer conn.Release()
		}
		pass := func(c realtime.Change) bool {
			vs, st, err := load(ctx, c)
			switch {
			case err != nil:
				if ctx.Err() == nil {
					r.log.ErrorContext(ctx, "live subscription: read the change", "err", err, "topic", c.Topic, "id", c.ID)
				}
				return false
			case st == end:
				return false
			case st == skip:
				return true
			}
			for _, v := range vs {
				if !deliver(ctx, r.live.WriteTimeout, out, v, sub) {
					return false
				}
			}
			return true
		}
		if initial && !pass(gap) {
			return
		}
		for {
			c, ok := sub.Next(ctx)
			if !ok || !pass(c) {
				return
			}
		}
	}()
	return out, nil
}

// deliver hands v to the transport, or drops the subscriber if the transport has not taken the last
// value within timeout: its client does not read.
func deliver[T any](ctx context.Context, timeout time.Duration, out chan<- T, v T, sub *realtime.Subscriber) bool {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case out <- v:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		sub.Drop("write timeout: the client did not read for " + timeout.String())
		return false
	}
}

// liveCaller names whom the limit per caller counts: the viewer, or an anonymous client's address.
func liveCaller(ctx context.Context) string {
	v := auth.ViewerFrom(ctx)
	if v.Kind == auth.Anonymous {
		return "addr:" + auth.ClientAddr(ctx)
	}
	return fmt.Sprintf("%d:%d", v.Kind, v.ID)
}

// errNoOrder refuses orderStatus alike for an order that does not exist and one the caller may not
// follow, so that the answer tells nothing about other people's orders.
var errNoOrder = accessError(CodeForbidden, "no order you may follow has this ID")

// mayFollowOrder reports whether the caller may follow o: its customer, staff or API keys reading
// orders, or a holder of its status token.
func mayFollowOrder(ctx context.Context, o *ent.Order, statusToken *string) bool {
	v := auth.ViewerFrom(ctx)
	switch {
	case v.Can(auth.ReadOrders):
		return true
	case v.Kind == auth.Customer && o.CustomerID != nil && *o.CustomerID == v.ID:
		return true
	case statusToken != nil && o.StatusToken != "":
		return subtle.ConstantTimeCompare([]byte(*statusToken), []byte(o.StatusToken)) == 1
	}
	return false
}

func (r *Resolver) followOrder(ctx context.Context, id string, statusToken *string) (<-chan *ent.Order, error) {
	orderID, err := decodeID(id, "Order")
	if err != nil {
		return nil, err
	}
	o, err := r.client.Order.Get(ctx, orderID)
	if ent.IsNotFound(err) || err == nil && !mayFollowOrder(ctx, o, statusToken) {
		return nil, errNoOrder
	}
	if err != nil {
		return nil, err
	}
	key := realtime.Key(realtime.TopicOrder, strconv.Itoa(orderID))
	return follow(ctx, r, []string{key}, true, func(ctx context.Context, _ realtime.Change) ([]*ent.Order, step, error) {
		o, err := r.client.Order.Get(ctx, orderID)
		if ent.IsNotFound(err) {
			return nil, end, nil
		}
		if err != nil {
			return nil, end, err
		}
		return []*ent.Order{o}, send, nil
	})
}

func (r *Resolver) followCart(ctx context.Context, id string) (<-chan *ent.Cart, error) {
	token, ok := cartToken(id)
	if !ok {
		return nil, accessError(CodeForbidden, "no cart has this ID")
	}
	if _, err := r.carts.Get(ctx, token); errors.Is(err, carts.ErrNotFound) {
		return nil, accessError(CodeForbidden, "no cart has this ID")
	} else if err != nil {
		return nil, err
	}
	key := realtime.Key(realtime.TopicCart, token)
	return follow(ctx, r, []string{key}, true, func(ctx context.Context, _ realtime.Change) ([]*ent.Cart, step, error) {
		c, err := r.carts.Get(ctx, token)
		if errors.Is(err, carts.ErrNotFound) {
			// Completed (or given to another customer): nothing more to follow.
			return nil, end, nil
		}
		if err != nil {
			return nil, end, err
		}
		return []*ent.Cart{c}, send, nil
	})
}

func (r *Resolver) followProducts(ctx context.Context, handles []string) (<-chan *ent.Product, error) {
	if len(handles) == 0 || len(handles) > maxLiveHandles {
		return nil, userError(fmt.Errorf("give between 1 and %d handles", maxLiveHandles))
	}
	found, err := r.client.Product.Query().Where(product.HandleIn(handles...)).All(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	var ids []int
	for _, p := range found {
		if r.visibleProduct(ctx, p) != nil {
			keys = append(keys, realtime.Key(realtime.TopicProduct, strconv.Itoa(p.ID)))
			ids = append(ids, p.ID)
		}
	}
	if len(ids) == 0 {
		return nil, userError(errors.New("no product has these handles"))
	}
	// The first values, and those after a gap, are every product; a change sends its product.
	return follow(ctx, r, keys, true, func(ctx context.Context, c realtime.Change) ([]*ent.Product, step, error) {
		want := slices.Clone(ids)
		if c.Topic != gap.Topic {
			id, err := strconv.Atoi(c.ID)
			if err != nil {
				return nil, skip, nil
			}
			want = []int{id}
		}
		// Subscribers of the same products read them once per change (sharedLoaders).
		v, err := r.sharedLoaders().Memo(fmt.Sprint("live-products:", want), func() (any, error) {
			return r.client.Product.Query().Where(product.IDIn(want...)).Order(ent.Asc(product.FieldID)).
				All(context.WithoutCancel(ctx))
		})
		if err != nil {
			return nil, end, err
		}
		ps := v.([]*ent.Product)
		visible := make([]*ent.Product, 0, len(ps)) // ps is shared: never filtered in place
		for _, p := range ps {
			if r.visibleProduct(ctx, p) != nil {
				visible = append(visible, p)
			}
		}
		// A product deleted or no longer visible to the caller leaves the subscription, which ends
		// with its last product.
		ids = slices.DeleteFunc(ids, func(id int) bool {
			return slices.Contains(want, id) && !slices.ContainsFunc(visible, func(p *ent.Product) bool { return p.ID == id })
		})
		if len(ids) == 0 {
			return nil, end, nil
		}
		return visible, send, nil
	})
}

func (r *Resolver) followOrderEvents(ctx context.Context) (<-chan *model.OrderChange, error) {
	v := auth.ViewerFrom(ctx)
	if v.Kind == auth.Anonymous {
		return nil, accessError(CodeUnauthenticated, "orderEvents needs a staff access token or an API key")
	}
	if !v.Can(auth.ReadOrders) {
		return nil, accessError(CodeForbidden, "orderEvents needs the permission "+auth.ReadOrders)
	}
	return follow(ctx, r, []string{realtime.TopicOrders}, false, func(ctx context.Context, c realtime.Change) ([]*model.OrderChange, step, error) {
		id, err := strconv.Atoi(c.ID)
		if c.Kind == "" || err != nil {
			return nil, skip, nil
		}
		o, err := r.client.Order.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil, skip, nil
		}
		if err != nil {
			return nil, end, err
		}
		return []*model.OrderChange{{Topic: c.Kind, Order: o}}, send, nil
	})
}

// LiveResponses gives each value a subscription sends loaders of its own: a connection lives for
// hours, and a loader of its first request would answer every later value from what it read then.
// Values of productAvailability, the same public data for everyone, share their loaders between two
// changes instead (sharedLoaders), so that a change followed by thousands of subscribers is read once.
func LiveResponses(client *ent.Client, r *Resolver) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if !graphql.HasOperationContext(ctx) {
			return next(ctx)
		}
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(ctx)
		}
		if public(oc.Operation) && r.live != nil {
			// The value is read once the change it answers was published, so loaders chosen at first
			// use are as fresh as the change. A shared read must not fail because one of its readers
			// went away: the subscription still ends, its channel closed by follow.
			return next(loaders.WithLazy(context.WithoutCancel(ctx), r.sharedLoaders))
		}
		return next(loaders.With(ctx, loaders.New(client, r.catalog)))
	}
}

// public reports whether op subscribes to productAvailability alone, whose values do not depend on
// who asks beyond what follow checks (each product's visibility).
func public(op *ast.OperationDefinition) bool {
	if len(op.SelectionSet) != 1 {
		return false
	}
	f, ok := op.SelectionSet[0].(*ast.Field)
	return ok && f.Name == "productAvailability"
}

// liveShared holds the loaders public subscriptions share, and the hub's Seq they were made at.
type liveShared struct {
	mu  sync.Mutex
	seq uint64
	l   *loaders.Loaders
}

// sharedLoaders returns loaders made after the latest change was published: shared by every reader
// until the next change, since what they cached is at least as fresh as that change.
func (r *Resolver) sharedLoaders() *loaders.Loaders {
	seq := r.live.Seq()
	s := &r.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.l != nil && s.seq == seq:
	case s.l == nil || seq > s.seq:
		s.l, s.seq = loaders.New(r.client, r.catalog), seq
	default:
		// A reader that saw an older Seq than the shared loaders': its own, made now, are fresh enough.
		return loaders.New(r.client, r.catalog)
	}
	return s.l
}
