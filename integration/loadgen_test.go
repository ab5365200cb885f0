package integration

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/loadgen"
	"github.com/emporium/emporium/service"
)

// TestLoadHarness runs every scenario of `emporium bench` briefly against a live server on each
// database and checks that the figures are real: requests made and answered without error, orders
// placed, percentiles in order.
func TestLoadHarness(t *testing.T) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "loadgen.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			// All requests come from one address: the per-caller rate limit would throttle the harness.
			s := startServerWith(t, kind, dsn, func(o *service.Options) { o.RateCapacity = -1 })
			t.Cleanup(s.close)
			const concurrency, budget = 4, 200
			report, err := loadgen.Run(context.Background(), loadgen.Options{
				URL: s.http.URL + "/graphql", Scenarios: loadgen.ScenarioNames(), Concurrency: []int{concurrency},
				Duration: time.Second, Requests: budget, Seed: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			if report.Catalog.Products != 44 || report.Catalog.Collections != 11 {
				t.Errorf("discovered %+v, want the demo shop's 44 products in 11 collections", report.Catalog)
			}
			if len(report.Results) != len(loadgen.ScenarioNames()) {
				t.Fatalf("%d results, want one per scenario", len(report.Results))
			}
			for _, r := range report.Results {
				l := r.Latency
				switch {
				case r.Requests == 0 || r.Requests > budget:
					t.Errorf("%s: %d requests, want 1 to %d", r.Scenario, r.Requests, budget)
				case r.Errors != 0:
					t.Errorf("%s: %d errors: %v %q", r.Scenario, r.Errors, r.ErrorKinds, r.ErrorSamples)
				case r.StatusCodes["200"] != r.Requests:
					t.Errorf("%s: status codes %v for %d requests", r.Scenario, r.StatusCodes, r.Requests)
				case r.RequestsPerSecond <= 0:
					t.Errorf("%s: %v requests per second", r.Scenario, r.RequestsPerSecond)
				case !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max):
					t.Errorf("%s: percentiles out of order: %+v", r.Scenario, l)
				}
				var sum int64
				for _, op := range r.Operations {
					sum += op.Requests
				}
				if sum != r.Requests {
					t.Errorf("%s: operations add up to %d requests, not %d", r.Scenario, sum, r.Requests)
				}
				if r.Scenario == "checkout" {
					// A checkout cut off by the limits between submitting and seeing its order is placed
					// but not counted: at most one per worker.
					orders, err := s.svc.DB.Client.Order.Query().Count(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if r.Checkouts == 0 || int64(orders) < r.Checkouts || int64(orders) > r.Checkouts+concurrency {
						t.Errorf("%d checkouts reported, %d orders in the database", r.Checkouts, orders)
					}
				}
			}
			var table bytes.Buffer
			if err := report.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			for _, name := range loadgen.ScenarioNames() {
				if !strings.Contains(table.String(), name) {
					t.Errorf("the table lacks %s:\n%s", name, table.String())
				}
			}
			t.Logf("%s:\n%s", kind, table.String())
		})
	}
}

// TestSQLiteConcurrentCheckouts is the regression test of a stall: with 8 or more concurrent writers,
// every pooled SQLite connection waited on the write lock while its holder waited for a connection, and
// requests failed with SQLITE_BUSY after the busy timeout.
func TestSQLiteConcurrentCheckouts(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	s := startServerWith(t, "sqlite", filepath.Join(t.TempDir(), "writers.db"), func(o *service.Options) { o.RateCapacity = -1 })
	t.Cleanup(s.close)
	report, err := loadgen.Run(context.Background(), loadgen.Options{
		URL: s.http.URL + "/graphql", Scenarios: []string{"cart", "checkout"}, Concurrency: []int{16},
		Duration: 3 * time.Second, Requests: 600, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Results {
		if r.Errors != 0 || r.Requests == 0 || r.Latency.Max > loadgen.Millis(5*time.Second) {
			t.Errorf("%s at 16: %d requests, %d errors %v %q, slowest %v", r.Scenario, r.Requests, r.Errors, r.ErrorKinds, r.ErrorSamples, r.Latency.Max)
		}
	}
}
