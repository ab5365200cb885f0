package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/payments"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		var out bytes.Buffer
		if err := run(args, env(nil), &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		for _, want := range []string{"serve", "migrate", "seed FILE", "-addr", "EMPORIUM_DATABASE_URL", "EMPORIUM_SEED", "EMPORIUM_PLAYGROUND", "EMPORIUM_ENV", "bench"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
}

func TestBenchURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080":   "http://127.0.0.1:8080/graphql",
		":8080":            "http://127.0.0.1:8080/graphql",
		"0.0.0.0:9000":     "http://127.0.0.1:9000/graphql",
		"[::]:9000":        "http://127.0.0.1:9000/graphql",
		"[::1]:9000":       "http://[::1]:9000/graphql",
		"shop.internal:80": "http://shop.internal:80/graphql",
	} {
		if got := benchURL(addr); got != want {
			t.Errorf("benchURL(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestBadConfiguration(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"frobnicate"}, nil, "unknown command"},
		{nil, map[string]string{"EMPORIUM_SEED": "perhaps"}, "EMPORIUM_SEED"},
		{nil, map[string]string{"EMPORIUM_ENV": "staging"}, "EMPORIUM_ENV"},
		{nil, map[string]string{"EMPORIUM_DB_MAX_CONNS": "-1"}, "EMPORIUM_DB_MAX_CONNS"},
		{nil, map[string]string{"EMPORIUM_DATABASE_READ_URL": "postgres://replica/shop"}, "needs PostgreSQL"},
		{nil, map[string]string{"EMPORIUM_DATABASE_URL": "postgres://primary/shop", "EMPORIUM_DATABASE_READ_URL": "replica.db"},
			"EMPORIUM_DATABASE_READ_URL must be a postgres:// URL"},
		{nil, map[string]string{"EMPORIUM_DATABASE_LISTEN_URL": "postgres://direct/shop"}, "needs PostgreSQL"},
		{nil, map[string]string{"EMPORIUM_DATABASE_URL": "postgres://bouncer/shop", "EMPORIUM_DATABASE_LISTEN_URL": "direct.db"},
			"EMPORIUM_DATABASE_LISTEN_URL must be a postgres:// URL"},
		{[]string{"seed"}, nil, "one catalog file"},
		{nil, map[string]string{"EMPORIUM_RATE_LIMIT": "lots"}, "EMPORIUM_RATE_LIMIT"},
		{nil, map[string]string{"EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN": "off"}, "EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN"},
		{nil, map[string]string{"EMPORIUM_STOREFRONT_ANONYMOUS": "allow"}, "EMPORIUM_STOREFRONT_ANONYMOUS"},
		{nil, map[string]string{"EMPORIUM_RESPONSE_CACHE": "big"}, "EMPORIUM_RESPONSE_CACHE"},
		{nil, map[string]string{"EMPORIUM_MAX_INFLIGHT": "0"}, "EMPORIUM_MAX_INFLIGHT"},
		{nil, map[string]string{"EMPORIUM_QUEUE_TIMEOUT": "soon"}, "EMPORIUM_QUEUE_TIMEOUT"},
		{nil, map[string]string{"EMPORIUM_REQUEST_TIMEOUT": "0s"}, "EMPORIUM_REQUEST_TIMEOUT"},
		{nil, map[string]string{"EMPORIUM_RESPONSE_CACHE_TTL": "-1s"}, "EMPORIUM_RESPONSE_CACHE_TTL"},
		{nil, map[string]string{"EMPORIUM_ADMIN_EMAIL": "a@example.com"}, "EMPORIUM_ADMIN_PASSWORD"},
		{nil, map[string]string{"EMPORIUM_JOBS": "sometimes"}, "EMPORIUM_JOBS"},
		{nil, map[string]string{"EMPORIUM_EVENTS_RETENTION": "30d"}, "EMPORIUM_EVENTS_RETENTION"},
		{[]string{"-port", "1"}, nil, "flag provided but not defined"},
		{[]string{"bench", "-scenario", "window-shopping"}, nil, "unknown scenario"},
	} {
		err := run(tt.args, env(tt.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v, %v) = %v, want an error about %s", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestMigrateAndSeedCommands(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cli.db")
	e := env(map[string]string{"EMPORIUM_DATABASE_URL": dbPath})
	if err := run([]string{"migrate"}, e, io.Discard); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := run([]string{"migrate"}, e, io.Discard); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	catalog := filepath.Join(dir, "tiny.json")
	err := os.WriteFile(catalog, []byte(`{
		"shop": {"name": "Tiny", "defaultCurrency": "EUR"},
		"products": [{"handle": "one", "title": "One", "variants": [{"prices": {"EUR": "1.50"}}]}]
	}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"seed", catalog}, e, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	// Loading the same handles again fails whole, leaving the first load as it was.
	if err := run([]string{"seed", catalog}, e, io.Discard); err == nil {
		t.Fatal("seeding a duplicate handle succeeded")
	}
	db, err := database.Open(context.Background(), dbPath, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// migrate brings the job queue's tables up too.
	var migrations int
	if err := db.SQL.QueryRow("SELECT count(*) FROM river_migration").Scan(&migrations); err != nil || migrations == 0 {
		t.Errorf("the job queue's migrations: %d, %v", migrations, err)
	}
	n, _ := db.Client.Product.Query().Count(context.Background())
	shop, err := db.Client.Shop.Query().Only(context.Background())
	if n != 1 || err != nil || shop.Name != "Tiny" {
		t.Errorf("after seeding: %d products, shop %v %v; want 1 product and shop Tiny", n, shop, err)
	}
	bad := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(bad, []byte(`{"products": [{"handle": "x", "titel": "typo"}]}`), 0o644)
	if err := run([]string{"seed", bad}, e, io.Discard); err == nil || !strings.Contains(err.Error(), "titel") {
		t.Errorf("seed of a file with an unknown field: %v, want an error naming it", err)
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestGracefulShutdown cancels the server while a request is in flight: the request completes, then
// serve returns.
func TestGracefulShutdown(t *testing.T) {
	addr := freePort(t)
	cfg, err := loadConfig(env(map[string]string{"EMPORIUM_DATABASE_URL": filepath.Join(t.TempDir(), "s.db"), "EMPORIUM_ADDR": addr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil))) }()
	for i := 0; ; i++ {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("server did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	body := `{"query":"{ products(first: 2) { nodes { handle } } }"}`
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:10])
	time.Sleep(100 * time.Millisecond)
	cancel() // as SIGTERM would
	select {
	case err := <-done:
		t.Fatalf("serve returned with a request in flight: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := io.WriteString(conn, body[10:]); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request: %v", err)
	}
	out, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !strings.Contains(string(out), "handle") {
		t.Errorf("in-flight request: %d %s", res.StatusCode, out)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after the in-flight request finished")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestStaffCreateAndGenCatalogCommands(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "cmd.db")
	e := env(map[string]string{"EMPORIUM_DATABASE_URL": dbPath})
	if err := run([]string{"staff", "create", "-email", "boss@example.com", "-password", "a-long-password-1"}, e, io.Discard); err != nil {
		t.Fatalf("staff create: %v", err)
	}
	if err := run([]string{"staff", "create", "-email", "boss@example.com", "-password", "a-long-password-1"}, e, io.Discard); err == nil {
		t.Error("a second staff member with the same email was created")
	}
	if err := run([]string{"gen-catalog", "-products", "250"}, e, io.Discard); err != nil {
		t.Fatalf("gen-catalog: %v", err)
	}
	if err := run([]string{"gen-catalog"}, e, io.Discard); err == nil {
		t.Error("gen-catalog without -products succeeded")
	}
	db, err := database.Open(context.Background(), dbPath, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	staffCount, _ := db.Client.StaffMember.Query().Count(context.Background())
	products, _ := db.Client.Product.Query().Count(context.Background())
	if staffCount != 1 || products != 48+250 {
		t.Errorf("after the commands: %d staff, %d products; want 1 and the demo's 48 plus 250", staffCount, products)
	}
	var out bytes.Buffer
	if err := run([]string{"keygen"}, e, &out); err != nil || !strings.Contains(out.String(), "BEGIN PRIVATE KEY") {
		t.Errorf("keygen: %v %q", err, out.String())
	}
}

func TestDatabaseURLs(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"EMPORIUM_DATABASE_URL":        "postgres://bouncer:6432/shop",
		"EMPORIUM_DATABASE_READ_URL":   "postgres://standby/shop",
		"EMPORIUM_DATABASE_LISTEN_URL": "postgres://primary/shop",
	}))
	if err != nil {
		t.Fatal(err)
	}
	opts := serviceOptions(c, nil)
	if opts.DatabaseURL != "postgres://bouncer:6432/shop" || opts.DatabaseReadURL != "postgres://standby/shop" ||
		opts.DatabaseListenURL != "postgres://primary/shop" {
		t.Errorf("service options %q, %q, %q; want the three URLs as configured", opts.DatabaseURL, opts.DatabaseReadURL, opts.DatabaseListenURL)
	}
}

func TestStorefrontLimits(t *testing.T) {
	c, err := loadConfig(env(map[string]string{
		"EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN": "50000000/5000000", "EMPORIUM_STOREFRONT_ANONYMOUS": "refuse",
	}))
	if err != nil {
		t.Fatal(err)
	}
	opts := serviceOptions(c, nil)
	if opts.TokenRateCapacity != 50_000_000 || opts.TokenRestoreRate != 5_000_000 || !opts.RefuseAnonymous {
		t.Errorf("service options %g/%g, refuse %v; want 50000000/5000000, refuse", opts.TokenRateCapacity, opts.TokenRestoreRate, opts.RefuseAnonymous)
	}
	if dev, _ := loadConfig(env(nil)); serviceOptions(dev, nil).RefuseAnonymous {
		t.Error("anonymous storefront calls refused by default")
	}
}

// Issue 10, finding 13: production leaves GraphiQL off unless asked for, and /metrics off the API's
// address unless it needs a token.
func TestProductionHidesGraphiQLAndMetrics(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	prod, err := loadConfig(env(map[string]string{"EMPORIUM_ENV": "production"}))
	if err != nil {
		t.Fatal(err)
	}
	if opts := serviceOptions(prod, nil); opts.Playground || !opts.NoMetricsRoute {
		t.Errorf("production: playground %v, metrics on the API address %v; want both off", opts.Playground, !opts.NoMetricsRoute)
	}
	asked, _ := loadConfig(env(map[string]string{"EMPORIUM_ENV": "production", "EMPORIUM_PLAYGROUND": "true", "EMPORIUM_METRICS_TOKEN": "t"}))
	if opts := serviceOptions(asked, nil); !opts.Playground || opts.NoMetricsRoute || opts.MetricsToken != "t" {
		t.Errorf("production asking for both: playground %v, metrics route %v, token %q", opts.Playground, !opts.NoMetricsRoute, opts.MetricsToken)
	}
	dev, _ := loadConfig(env(nil))
	if opts := serviceOptions(dev, nil); !opts.Playground || opts.NoMetricsRoute {
		t.Errorf("development: playground %v, metrics route %v; want both on", opts.Playground, !opts.NoMetricsRoute)
	}
}

// The metrics address serves Go's profiles too, behind the metrics token, for profiling production.
func TestMetricsAddressServesProfiles(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("m 1\n")) })
	srv := httptest.NewServer(metricsMux("s3cret", metrics))
	defer srv.Close()
	get := func(path, token string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/cmdline"} {
		if got := get(path, ""); got != http.StatusUnauthorized {
			t.Errorf("%s without the token: %d, want 401", path, got)
		}
		if got := get(path, "s3cret"); got != http.StatusOK {
			t.Errorf("%s with the token: %d, want 200", path, got)
		}
	}
	if got := get("/graphql", "s3cret"); got != http.StatusNotFound {
		t.Errorf("/graphql on the metrics address: %d, want 404", got)
	}
}

func TestStripeConfig(t *testing.T) {
	if _, err := loadConfig(env(map[string]string{"EMPORIUM_STRIPE_SECRET_KEY": "pk_test_publishable"})); err == nil {
		t.Error("a publishable key was taken as the secret key")
	}
	if _, err := loadConfig(env(map[string]string{"EMPORIUM_STRIPE_SECRET_KEY": "sk_test_1", "EMPORIUM_STRIPE_PUBLISHABLE_KEY": "sk_test_1"})); err == nil {
		t.Error("a secret key was taken as the publishable key, to be told to storefronts")
	}
	if _, err := loadConfig(env(map[string]string{"EMPORIUM_STRIPE_CAPTURE": "later"})); err == nil {
		t.Error("an unknown capture mode was taken")
	}
	if c, err := loadConfig(env(map[string]string{"EMPORIUM_STRIPE_SECRET_KEY": "sk_test_1", "EMPORIUM_STRIPE_CAPTURE": "fulfilment"})); err != nil ||
		!payments.CapturesOnFulfilment(serviceOptions(c, nil).Payments) {
		t.Errorf("capture on fulfilment: %v", err)
	}
	c, err := loadConfig(env(map[string]string{"EMPORIUM_STRIPE_SECRET_KEY": "sk_test_123", "EMPORIUM_STRIPE_WEBHOOK_SECRET": "whsec_1"}))
	if err != nil {
		t.Fatal(err)
	}
	opts := serviceOptions(c, nil)
	if opts.Payments == nil || opts.Payments.Name() != payments.StripeName || opts.StripeWebhookSecret != "whsec_1" ||
		payments.CapturesOnFulfilment(opts.Payments) {
		t.Errorf("payments %v, webhook secret %q", opts.Payments, opts.StripeWebhookSecret)
	}
	if dev, _ := loadConfig(env(nil)); serviceOptions(dev, nil).Payments != nil {
		t.Error("without a Stripe key, the test gateway should be used")
	}
}
