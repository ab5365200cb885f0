package loaders

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/fulfillment"
	"github.com/emporium/emporium/ent/orderevent"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/ent/refund"
)

// OrderLoaders batch what hangs off orders, keyed by order ID.
type OrderLoaders struct {
	Lines        *Batch[[]*ent.OrderLine]
	Fulfillments *Batch[[]*ent.Fulfillment]
	Refunds      *Batch[[]*ent.Refund]
	Events       *Batch[[]*ent.OrderEvent]
	Customer     *Batch[*ent.Customer] // by customer ID
}

func newOrderLoaders(client *ent.Client) OrderLoaders {
	return OrderLoaders{
		Lines: newLoader(func(ctx context.Context, ids []int) (map[int][]*ent.OrderLine, error) {
			rows, err := client.OrderLine.Query().Where(orderline.OrderIDIn(ids...)).Order(ent.Asc(orderline.FieldID)).All(ctx)
			return group(rows, err, "order lines", func(l *ent.OrderLine) int { return l.OrderID })
		}),
		Fulfillments: newLoader(func(ctx context.Context, ids []int) (map[int][]*ent.Fulfillment, error) {
			rows, err := client.Fulfillment.Query().Where(fulfillment.OrderIDIn(ids...)).Order(ent.Asc(fulfillment.FieldID)).All(ctx)
			return group(rows, err, "fulfillments", func(f *ent.Fulfillment) int { return f.OrderID })
		}),
		Refunds: newLoader(func(ctx context.Context, ids []int) (map[int][]*ent.Refund, error) {
			rows, err := client.Refund.Query().Where(refund.OrderIDIn(ids...)).Order(ent.Asc(refund.FieldID)).All(ctx)
			return group(rows, err, "refunds", func(r *ent.Refund) int { return r.OrderID })
		}),
		Events: newLoader(func(ctx context.Context, ids []int) (map[int][]*ent.OrderEvent, error) {
			rows, err := client.OrderEvent.Query().Where(orderevent.OrderIDIn(ids...)).Order(ent.Asc(orderevent.FieldID)).All(ctx)
			return group(rows, err, "order events", func(e *ent.OrderEvent) int { return e.OrderID })
		}),
		Customer: newLoader(func(ctx context.Context, ids []int) (map[int]*ent.Customer, error) {
			rows, err := client.Customer.Query().Where(customer.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, fmt.Errorf("loaders: customers: %w", err)
			}
			out := make(map[int]*ent.Customer, len(rows))
			for _, c := range rows {
				out[c.ID] = c
			}
			return out, nil
		}),
	}
}

func group[T any](rows []T, err error, what string, key func(T) int) (map[int][]T, error) {
	if err != nil {
		return nil, fmt.Errorf("loaders: %s: %w", what, err)
	}
	out := map[int][]T{}
	for _, r := range rows {
		out[key(r)] = append(out[key(r)], r)
	}
	return out, nil
}
