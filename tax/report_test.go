package tax_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/tax"
)

var pg *pgtest.Server

func TestMain(m *testing.M) {
	var err error
	if pg, err = pgtest.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "tax: PostgreSQL is required:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := pg.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// eachDB runs fn on a new, migrated database of each kind.
func eachDB(t *testing.T, fn func(t *testing.T, c *ent.Client)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			dsn := filepath.Join(t.TempDir(), "tax.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			db, err := database.Open(ctx, dsn, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
				t.Fatal(err)
			}
			fn(t, db.Client)
		})
	}
}

// TestReportPages reads more orders and refunds than a page holds, many placed in the same
// microsecond: every one counts once, whatever the page boundaries.
func TestReportPages(t *testing.T) {
	eachDB(t, func(t *testing.T, c *ent.Client) {
		ctx := context.Background()
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		same := from.Add(time.Hour) // 700 orders share this instant: the keyset must break ties by ID
		vat := []schema.TaxLine{{Title: "TVA", RateBPS: 2000, RatePPM: 200_000, Jurisdiction: "FR", Base: 1000, Amount: 200}}
		var builders []*ent.OrderCreate
		add := func(at time.Time, status entorder.FinancialStatus) {
			n := len(builders)
			builders = append(builders, c.Order.Create().SetCartID(fmt.Sprint("cart-", n)).SetStatusToken(fmt.Sprint("st-", n)).
				SetCurrency("EUR").SetSubtotal(1200).SetDiscountTotal(0).SetShippingTotal(0).SetTaxTotal(200).SetTotal(1200).
				SetTaxesIncluded(true).SetTaxLines(vat).SetFinancialStatus(status).SetTotalPaid(1200).
				SetShippingAddress(map[string]string{"countryCode": "FR"}).SetCreatedAt(at))
		}
		for i := range 1203 {
			at := same
			if i >= 700 {
				at = from.Add(time.Duration(i) * time.Minute)
			}
			add(at, entorder.FinancialStatusPAID)
		}
		add(same, entorder.FinancialStatusVOIDED)                 // never paid: no sale
		add(from.Add(-time.Second), entorder.FinancialStatusPAID) // before the period
		add(from.AddDate(0, 1, 0), entorder.FinancialStatusPAID)  // at its end, excluded
		var orders []*ent.Order
		for i := 0; i < len(builders); i += 100 {
			os, err := c.Order.CreateBulk(builders[i:min(i+100, len(builders))]...).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			orders = append(orders, os...)
		}
		// 601 goodwill refunds of 1.20 without units, made in the period: each at the order's rate,
		// net 1.20 / 1.2 = 1.00 and tax 0.20; one on the order placed before the period counts too.
		var refunds []*ent.RefundCreate
		for i := range 600 {
			refunds = append(refunds, c.Refund.Create().SetOrderID(orders[i].ID).SetCurrency("EUR").SetAmount(120).SetCreatedAt(same))
		}
		refunds = append(refunds, c.Refund.Create().SetOrderID(orders[1204].ID).SetCurrency("EUR").SetAmount(120).SetCreatedAt(same))
		for i := 0; i < len(refunds); i += 100 {
			if _, err := c.Refund.CreateBulk(refunds[i:min(i+100, len(refunds))]...).Save(ctx); err != nil {
				t.Fatal(err)
			}
		}

		start := time.Now()
		rep, err := tax.BuildReport(ctx, c, from, from.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("report of %d orders and %d refunds in %s", 1203, 601, time.Since(start).Round(time.Millisecond))
		want := tax.ReportRow{Currency: "EUR", Jurisdiction: "FR", Country: "FR", Treatment: tax.Standard, Title: "TVA", RatePPM: 200_000,
			NetSales: 1203 * 1000, Tax: 1203 * 200, RefundedNet: 601 * 100, RefundedTax: 601 * 20}
		if len(rep.Rows) != 1 || rep.Rows[0] != want {
			t.Errorf("rows:\n got %+v\nwant [%+v]", rep.Rows, want)
		}
	})
}

func TestReportPeriod(t *testing.T) {
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, to := range []time.Time{from, from.Add(-time.Second), from.Add(tax.MaxReportPeriod + time.Second)} {
		// Refused before any query: no client is needed.
		if _, err := tax.BuildReport(context.Background(), nil, from, to); !errors.Is(err, tax.ErrReportPeriod) {
			t.Errorf("[%s, %s): %v, want ErrReportPeriod", from, to, err)
		}
	}
}

func TestReportCSV(t *testing.T) {
	rep := tax.Report{Rows: []tax.ReportRow{
		{Currency: "USD", Jurisdiction: "US-NY", Country: "US", Region: "NY", Treatment: tax.Standard, Title: "=NYC, \"city\"",
			RatePPM: 88_750, NetSales: 10000, Tax: 888, RefundedNet: 2500, RefundedTax: 222},
		{Currency: "JPY", Jurisdiction: "JP", Country: "JP", Treatment: tax.Standard, Title: "消費税", RatePPM: 100_000, NetSales: 5000, Tax: 500},
	}}
	got, err := rep.CSV()
	if err != nil {
		t.Fatal(err)
	}
	// A formula-looking title is kept as text; yen have no decimals; 8.875 % is exact.
	want := "currency,country,region,jurisdiction,treatment,oss,tax,rate_percent,net_sales,tax_collected,refunded_net,refunded_tax,net_taxable,tax_due\n" +
		"USD,US,NY,US-NY,STANDARD,false,\"'=NYC, \"\"city\"\"\",8.875,100.00,8.88,25.00,2.22,75.00,6.66\n" +
		"JPY,JP,,JP,STANDARD,false,消費税,10,5000,500,0,0,5000,500\n"
	if got != want {
		t.Errorf("CSV:\n got %q\nwant %q", got, want)
	}
}

// TestReportRefundRest: an amount refunded without units goes to the order's largest taxable amount,
// as a credit note puts it, what the order sold untaxed included.
func TestReportRefundRest(t *testing.T) {
	eachDB(t, func(t *testing.T, c *ent.Client) {
		ctx := context.Background()
		at := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
		vat := []schema.TaxLine{{Title: "TVA", RateBPS: 2000, RatePPM: 200_000, Jurisdiction: "FR", Base: 1000, Amount: 200}}
		order := func(key string, untaxed int64) *ent.Order {
			o, err := c.Order.Create().SetCartID(key).SetStatusToken(key).SetCurrency("EUR").SetSubtotal(1200 + untaxed).
				SetDiscountTotal(0).SetShippingTotal(0).SetTaxTotal(200).SetTotal(1200 + untaxed).SetTaxesIncluded(true).
				SetTaxLines(vat).SetFinancialStatus(entorder.FinancialStatusPAID).SetTotalPaid(1200 + untaxed).
				SetShippingAddress(map[string]string{"countryCode": "FR"}).SetCreatedAt(at).Save(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		// Mostly taxed: 6.00 back is net 5.00 and tax 1.00 at 20 %. Mostly untaxed (50.00 untaxed
		// against a 10.00 base): 6.00 back is 6.00 net, no tax.
		for _, o := range []*ent.Order{order("taxed", 300), order("untaxed", 5000)} {
			if err := c.Refund.Create().SetOrderID(o.ID).SetCurrency("EUR").SetAmount(600).SetCreatedAt(at).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		rep, err := tax.BuildReport(ctx, c, at, at.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][4]int64{}
		for _, r := range rep.Rows {
			got[r.Title] = [4]int64{r.NetSales, r.Tax, r.RefundedNet, r.RefundedTax}
		}
		want := map[string][4]int64{"TVA": {2000, 400, 500, 100}, tax.TitleNotTaxed: {5300, 0, 600, 0}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("rows: got %v, want %v", got, want)
		}
	})
}
