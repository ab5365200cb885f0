package graph

import (
	"context"
	"errors"
	"time"

	"github.com/emporium/emporium/analytics"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/money"
)

// salesSummary maps analytics.Sales to the schema; a period or count it refuses is the caller's mistake.
func (r *Resolver) salesSummary(ctx context.Context, from, to time.Time, interval *model.SalesInterval, top *int) (*model.SalesSummary, error) {
	n := 5
	if top != nil {
		n = *top
	}
	s, err := analytics.Sales(ctx, r.client, from, to, n)
	if errors.Is(err, analytics.ErrPeriod) || errors.Is(err, analytics.ErrTopProducts) {
		return nil, userError(err)
	}
	if err != nil {
		return nil, err
	}
	out := &model.SalesSummary{From: s.From, To: s.To, Interval: model.SalesIntervalDay, Totals: salesTotals(s.Totals),
		Buckets: make([]*model.SalesBucket, len(s.Buckets)), TopProducts: make([]*model.SalesTopProduct, len(s.Top))}
	for i, b := range s.Buckets {
		out.Buckets[i] = &model.SalesBucket{Start: b.Start, OrderCount: b.Orders, Totals: salesTotals(b.Totals)}
	}
	ids := make([]int, len(s.Top))
	for i, p := range s.Top {
		ids[i] = p.ProductID
	}
	products, errs := loaders.For(ctx).Product.LoadMany(ctx, ids)()
	for i, p := range s.Top {
		var product *ent.Product
		if errs == nil || errs[i] == nil {
			product = r.visibleProduct(ctx, products[i])
		}
		out.TopProducts[i] = &model.SalesTopProduct{Product: product, Title: p.Title, UnitsSold: p.Units, Sales: salesTotals(p.Sales)}
	}
	return out, nil
}

func salesTotals(ts []analytics.Total) []*model.SalesTotal {
	out := make([]*model.SalesTotal, len(ts))
	for i, t := range ts {
		out[i] = &model.SalesTotal{CurrencyCode: t.Currency, GrossSales: ptr(money.New(t.Gross, t.Currency)),
			OrderCount: t.Orders, AverageOrderValue: ptr(money.New(t.Average(), t.Currency))}
	}
	return out
}
