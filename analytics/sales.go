// Package analytics answers the staff dashboard's questions about sales: how much the shop sold per day,
// in how many orders, at what average, and which products sold most. It reads orders with a few grouped
// statements over the (created_at, id) index, so its cost follows the orders of the period, never the
// whole history, and it holds no state of its own.
package analytics

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/money"
)

// Rules of a summary:
//   - A sale is an order placed in [from, to) (its created_at) that was not voided: voided orders were never
//     paid. Cancelled and refunded orders stay sales of the day they were placed, as gross sales do;
//     refunds are not subtracted.
//   - Gross sales are the orders' totals (what buyers were charged: lines after discounts, shipping, tax).
//   - Days are UTC days: the shop has no time zone setting. A bucket is one UTC day; only its part
//     inside [from, to) counts.
//   - Amounts are integer minor units per currency, never summed across currencies; the average order
//     value is the gross sales over the order count, rounded half away from zero to a minor unit.

// MaxPeriod is the longest period a summary covers, as tax reports: 366 days.
const MaxPeriod = 366 * 24 * time.Hour

// MaxTopProducts bounds the top products list.
const MaxTopProducts = 50

// ErrPeriod is returned for a period that is empty, reversed or longer than MaxPeriod.
var ErrPeriod = errors.New("the period must end after it starts and last at most 366 days")

// ErrTopProducts is returned for a negative or too large top products count.
var ErrTopProducts = fmt.Errorf("topProducts must be between 0 and %d", MaxTopProducts)

// Total is the sales of one currency.
type Total struct {
	Currency string
	Gross    int64 // minor units
	Orders   int
}

// Average is the average order value in minor units, rounded half away from zero; 0 without orders.
func (t Total) Average() int64 {
	if t.Orders == 0 {
		return 0
	}
	return money.MulDiv(t.Gross, 1, int64(t.Orders))
}

// Bucket is one UTC day's sales, one Total per currency sold in that day (none on a day without sales).
type Bucket struct {
	Start  time.Time // midnight UTC
	Orders int
	Totals []Total
}

// TopProduct is a product among those that sold the most units in the period.
type TopProduct struct {
	ProductID int
	Title     string // the title on its latest order line: the product may have been renamed or deleted since
	Units     int
	Sales     []Total // per currency; Orders counts the orders that had the product
}

// Summary is the sales of [From, To).
type Summary struct {
	From, To time.Time
	Totals   []Total // per currency, largest gross first
	Buckets  []Bucket
	Top      []TopProduct
}

// Sales summarises the orders placed in [from, to), with one bucket per UTC day and the top products
// that sold the most units (ties by product ID).
func Sales(ctx context.Context, client *ent.Client, from, to time.Time, top int) (Summary, error) {
	from, to = from.UTC(), to.UTC()
	if !to.After(from) || to.Sub(from) > MaxPeriod {
		return Summary{}, ErrPeriod
	}
	if top < 0 || top > MaxTopProducts {
		return Summary{}, ErrTopProducts
	}
	s := Summary{From: from, To: to}
	for d := day(from); d.Before(to); d = d.AddDate(0, 0, 1) {
		s.Buckets = append(s.Buckets, Bucket{Start: d})
	}
	rows, err := dayRows(ctx, client, from, to)
	if err != nil {
		return Summary{}, err
	}
	totals := map[string]*Total{}
	for _, r := range rows {
		d, err := time.Parse(time.DateOnly, r.Day)
		if err != nil {
			return Summary{}, fmt.Errorf("analytics: day %q: %w", r.Day, err)
		}
		i := int(d.Sub(s.Buckets[0].Start) / (24 * time.Hour))
		if i < 0 || i >= len(s.Buckets) {
			return Summary{}, fmt.Errorf("analytics: day %s outside [%s, %s)", r.Day, from, to)
		}
		b := &s.Buckets[i]
		b.Orders += r.Orders
		b.Totals = append(b.Totals, Total{Currency: r.Currency, Gross: r.Gross, Orders: r.Orders})
		t := totals[r.Currency]
		if t == nil {
			t = &Total{Currency: r.Currency}
			totals[r.Currency] = t
		}
		t.Gross += r.Gross
		t.Orders += r.Orders
	}
	for _, t := range totals {
		s.Totals = append(s.Totals, *t)
	}
	slices.SortFunc(s.Totals, func(a, b Total) int {
		return cmp.Or(cmp.Compare(b.Gross, a.Gross), cmp.Compare(a.Currency, b.Currency))
	})
	if top > 0 {
		if s.Top, err = topProducts(ctx, client, from, to, top); err != nil {
			return Summary{}, err
		}
	}
	return s, nil
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

type dayRow struct {
	Day      string `sql:"day"`
	Currency string `sql:"currency"`
	Orders   int    `sql:"orders"`
	Gross    int64  `sql:"gross"`
}

// dayExpr is the UTC day of a timestamp column as YYYY-MM-DD. PostgreSQL keeps timestamptz. SQLite keeps
// the text the driver writes ("2026-03-01 00:00:00.5 +0000 UTC"), which SQLite's date functions do not
// read; every stored time is UTC (ent/schema's now), so its first ten characters are the UTC day.
func dayExpr(s *sql.Selector, column string) string {
	if s.Dialect() == dialect.Postgres {
		return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
	}
	return "substr(" + column + ", 1, 10)"
}

// sold keeps the orders that are sales of [from, to): placed in it and not voided.
func sold(from, to time.Time) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.And(
			sql.GTE(s.C(entorder.FieldCreatedAt), from),
			sql.LT(s.C(entorder.FieldCreatedAt), to),
			sql.NEQ(s.C(entorder.FieldFinancialStatus), entorder.FinancialStatusVOIDED.String()),
		))
	}
}

// dayRows is one grouped statement: per UTC day and currency, the orders and their gross sales.
func dayRows(ctx context.Context, client *ent.Client, from, to time.Time) ([]dayRow, error) {
	var rows []dayRow
	err := client.Order.Query().Modify(func(s *sql.Selector) {
		sold(from, to)(s)
		d := dayExpr(s, s.C(entorder.FieldCreatedAt))
		s.Select(
			sql.As(d, "day"),
			sql.As(s.C(entorder.FieldCurrency), "currency"),
			sql.As(sql.Count("*"), "orders"),
			sql.As(sql.Sum(s.C(entorder.FieldTotal)), "gross"),
		).GroupBy(d, s.C(entorder.FieldCurrency)).OrderBy(d, s.C(entorder.FieldCurrency))
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("analytics: sales by day: %w", err)
	}
	return rows, nil
}

type topRow struct {
	ProductID int    `sql:"product_id"`
	Currency  string `sql:"currency"`
	Units     int    `sql:"units"`
	Gross     int64  `sql:"gross"`
	Orders    int    `sql:"orders"`
	Title     string `sql:"title"`
}

// topProducts is one grouped statement over the lines of the period's orders, joined through the
// order_lines (order_id) index: per product and currency, units, line totals and orders; the products
// with the most units across currencies are kept. Lines of one product in several currencies are few
// (products × enabled currencies), so ranking them here stays bounded.
func topProducts(ctx context.Context, client *ent.Client, from, to time.Time, n int) ([]TopProduct, error) {
	var rows []topRow
	err := client.OrderLine.Query().Modify(func(s *sql.Selector) {
		o := sql.Table(entorder.Table).As("o")
		s.Join(o).On(s.C(orderline.FieldOrderID), o.C(entorder.FieldID))
		s.Where(sql.And(
			sql.GTE(o.C(entorder.FieldCreatedAt), from),
			sql.LT(o.C(entorder.FieldCreatedAt), to),
			sql.NEQ(o.C(entorder.FieldFinancialStatus), entorder.FinancialStatusVOIDED.String()),
		))
		s.Select(
			sql.As(s.C(orderline.FieldProductID), "product_id"),
			sql.As(o.C(entorder.FieldCurrency), "currency"),
			sql.As(sql.Sum(s.C(orderline.FieldQuantity)), "units"),
			sql.As(sql.Sum(s.C(orderline.FieldTotal)), "gross"),
			sql.As("COUNT(DISTINCT "+s.C(orderline.FieldOrderID)+")", "orders"),
			sql.As(sql.Max(s.C(orderline.FieldTitle)), "title"),
		).GroupBy(s.C(orderline.FieldProductID), o.C(entorder.FieldCurrency))
	}).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("analytics: top products: %w", err)
	}
	byID := map[int]*TopProduct{}
	for _, r := range rows {
		p := byID[r.ProductID]
		if p == nil {
			p = &TopProduct{ProductID: r.ProductID, Title: r.Title}
			byID[r.ProductID] = p
		}
		p.Units += r.Units
		p.Sales = append(p.Sales, Total{Currency: r.Currency, Gross: r.Gross, Orders: r.Orders})
	}
	out := make([]TopProduct, 0, len(byID))
	for _, p := range byID {
		slices.SortFunc(p.Sales, func(a, b Total) int { return cmp.Compare(a.Currency, b.Currency) })
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b TopProduct) int {
		return cmp.Or(cmp.Compare(b.Units, a.Units), cmp.Compare(a.ProductID, b.ProductID))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out, nil
}
