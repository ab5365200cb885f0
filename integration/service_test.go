package integration

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/service"
)

func get(t *testing.T, u string, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestOperatorEndpoints(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		t.Run("healthz and readyz", func(t *testing.T) {
			for _, p := range []string{"/healthz", "/readyz"} {
				if res, body := get(t, s.http.URL+p, nil); res.StatusCode != 200 || strings.TrimSpace(body) != "ok" {
					t.Errorf("%s: %d %q", p, res.StatusCode, body)
				}
			}
		})
		t.Run("GET query and the Shopify alias path", func(t *testing.T) {
			q := url.QueryEscape(`{ shop { name paymentSettings { currencyCode enabledPresentmentCurrencies } } }`)
			for _, p := range []string{"/graphql", "/api/2026-04/graphql.json"} {
				res, body := get(t, s.http.URL+p+"?query="+q, http.Header{"X-Shopify-Storefront-Access-Token": {"public-token"}})
				if res.StatusCode != 200 || !strings.Contains(body, `"name":"Emporium Demo"`) || !strings.Contains(body, `"EUR"`) {
					t.Errorf("%s: %d %s", p, res.StatusCode, body)
				}
			}
		})
		t.Run("request ID and security headers", func(t *testing.T) {
			res, _ := get(t, s.http.URL+"/healthz", http.Header{"X-Request-Id": {"abc-123"}})
			if got := res.Header.Get("X-Request-ID"); got != "abc-123" {
				t.Errorf("X-Request-ID = %q, want the caller's", got)
			}
			res, _ = get(t, s.http.URL+"/healthz", http.Header{"X-Request-Id": {"bad id with spaces"}})
			if got := res.Header.Get("X-Request-ID"); len(got) != 16 {
				t.Errorf("X-Request-ID = %q, want a generated one", got)
			}
			if res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("security headers missing: %v", res.Header)
			}
		})
		t.Run("CORS preflight allows the storefront token header", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, s.http.URL+"/api/2026-04/graphql.json", nil)
			req.Header.Set("Origin", "https://shop.example")
			req.Header.Set("Access-Control-Request-Method", "POST")
			req.Header.Set("Access-Control-Request-Headers", "content-type,x-shopify-storefront-access-token")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusNoContent || res.Header.Get("Access-Control-Allow-Origin") != "*" ||
				!strings.Contains(res.Header.Get("Access-Control-Allow-Headers"), "x-shopify-storefront-access-token") {
				t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
			}
		})
		t.Run("metrics", func(t *testing.T) {
			s.query(t, `query getProducts { products(first: 2) { nodes { id } } }`, nil, nil)
			s.queryError(t, `{ products(first: 999) { nodes { id } } }`, nil)
			res, body := get(t, s.http.URL+"/metrics", nil)
			if res.StatusCode != 200 {
				t.Fatalf("metrics: %d", res.StatusCode)
			}
			for _, want := range []string{
				`emporium_http_requests_total{code="200",route="/graphql"}`,
				`emporium_graphql_request_duration_seconds_count{operation="getProducts"}`,
				`emporium_graphql_errors_total{code="BAD_USER_INPUT"}`,
				`emporium_sql_statements_per_request_count{operation="getProducts"}`,
				`emporium_sql_seconds_per_request_count{operation="getProducts"}`,
				`emporium_sql_statement_duration_seconds_count`,
				`emporium_shed_requests_total`,
				`emporium_response_cache_hits_total`,
				`go_sql_max_open_connections{db_name="emporium"}`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
		t.Run("no playground unless asked", func(t *testing.T) {
			if res, _ := get(t, s.http.URL+"/", nil); res.StatusCode != http.StatusNotFound {
				t.Errorf("/ answered %d, want 404 with the playground off", res.StatusCode)
			}
		})
	})
}

func TestPlaygroundAndProductionMode(t *testing.T) {
	dsn := t.TempDir() + "/p.db"
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.Open(context.Background(), service.Options{DatabaseURL: dsn, DemoCatalog: demoCatalog(t), Log: log, Playground: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler)
	res, body := get(t, srv.URL+"/", nil)
	if res.StatusCode != 200 || !strings.Contains(body, "graphiql") {
		t.Errorf("playground: %d", res.StatusCode)
	}
	s := &server{name: "sqlite", svc: svc, http: srv}
	var intro struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	s.query(t, `{ __schema { queryType { name } } }`, nil, &intro)
	if intro.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection in development: %+v", intro)
	}
	srv.Close()
	svc.Close()

	if _, err := service.Open(context.Background(), service.Options{DatabaseURL: dsn, Log: log, Production: true}); err == nil ||
		!strings.Contains(err.Error(), "signing keys") {
		t.Fatalf("production without signing keys started: %v", err)
	}
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	svc, err = service.Open(context.Background(), service.Options{DatabaseURL: dsn, Log: log, Production: true, JWTKeys: key})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	srv = httptest.NewServer(svc.Handler)
	defer srv.Close()
	s = &server{name: "sqlite", svc: svc, http: srv}
	if e := s.queryError(t, `{ __schema { queryType { name } } }`, nil); e.code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("introspection in production: %+v", e)
	}
	if e := s.queryError(t, `{ prodcts(first: 1) { nodes { id } } }`, nil); strings.Contains(e.Message, "Did you mean") {
		t.Errorf("production suggests fields: %q", e.Message)
	}
	if res, _ := get(t, srv.URL+"/", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("playground served in production with it off: %d", res.StatusCode)
	}
}

// TestReplicasStartTogether starts several services on one empty PostgreSQL database at once: the
// advisory lock lets exactly one migrate and seed, and all come up.
func TestReplicasStartTogether(t *testing.T) {
	dsn := pg.NewDatabase(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	svcs := make([]*service.Service, 4)
	errs := make([]error, 4)
	for i := range svcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svcs[i], errs[i] = service.Open(context.Background(), service.Options{DatabaseURL: dsn, DemoCatalog: demoCatalog(t), Log: log})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer svcs[i].Close()
	}
	n, err := svcs[0].DB.Client.Product.Query().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 48 {
		t.Errorf("products after 4 concurrent starts: %d, want the demo shop's 48 once", n)
	}
	shops, _ := svcs[0].DB.Client.Shop.Query().Count(context.Background())
	if shops != 1 {
		t.Errorf("shops: %d, want 1", shops)
	}
}
