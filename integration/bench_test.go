package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/emporium/emporium/service"
)

// Benchmarks of storefront reads over HTTP against PostgreSQL with the demo shop. Each reports
// requests per second; run them with
//
//	go test ./integration/ -run '^$' -bench . -benchtime 5s
func BenchmarkStorefront(b *testing.B) {
	// All requests come from one address: the per-caller rate limit would measure itself, so it is off.
	// Anonymous catalog reads run twice: answered by the response cache, and computed (cache off).
	dsn := pg.NewDatabase(b)
	s := startServerWith(b, "postgres", dsn, func(o *service.Options) { o.RateCapacity = -1 })
	b.Cleanup(s.close)
	uncached := startServerWith(b, "postgres", dsn, func(o *service.Options) { o.RateCapacity, o.ResponseCacheBytes = -1, -1 })
	b.Cleanup(uncached.close)
	cases := []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"products first 3", `{ products(first: 3) { edges { node { title handle priceRange { minVariantPrice { amount currencyCode } } } } } }`, nil},
		{"products first 20 fragment", getProductsQuery, map[string]any{"first": 20}},
		{"product by handle", getProductQuery, map[string]any{"handle": "organic-cotton-tee"}},
		{"search 20", getProductsQuery, map[string]any{"first": 20, "query": "cotton", "sortKey": "RELEVANCE"}},
		{"collection products 20", getCollectionProductsQuery, map[string]any{"handle": "all", "first": 20}},
		{"add to a new cart", `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) {
			cart { id totalQuantity cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, nil},
	}
	var tee struct {
		Product struct {
			Variants struct{ Nodes []struct{ ID string } }
		}
	}
	s.query(b, `{ product(handle: "organic-cotton-tee") { variants(first: 1) { nodes { id } } } }`, nil, &tee)
	cases[len(cases)-1].vars = map[string]any{"v": tee.Product.Variants.Nodes[0].ID}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for i, c := range cases {
		body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		if i < len(cases)-1 {
			// Reads also run against the uncached server; the cart mutation is never cached.
			b.Run("uncached "+c.name, func(b *testing.B) { run(b, client, uncached, body) })
		}
		b.Run(c.name, func(b *testing.B) { run(b, client, s, body) })
	}
}

// run sends body from 8 × GOMAXPROCS concurrent clients and reports requests per second.
func run(b *testing.B, client *http.Client, s *server, body []byte) {
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := client.Post(s.http.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			out, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) || bytes.Contains(out, []byte(`"message"`)) {
				b.Errorf("status %d: %s", res.StatusCode, out)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkCachedRateLimited measures what the rate limit adds to an answer from the response cache: the
// same cached products(first: 20) page with the limit off, and on with a bucket too large to throttle
// (so that every request is admitted, charged and, when it reports an actual cost, refunded); and the
// same for answers computed each time (cache off), where the actual cost is priced from the answer.
//
//	go test ./integration/ -run '^$' -bench CachedRateLimited -benchtime 5s
func BenchmarkCachedRateLimited(b *testing.B) {
	dsn := pg.NewDatabase(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body, _ := json.Marshal(map[string]any{"query": getProductsQuery, "variables": map[string]any{"first": 20}})
	for _, c := range []struct {
		name     string
		capacity float64
		cache    int
	}{{"limit off", -1, 0}, {"limit on", 1e15, 0}, {"computed limit off", -1, -1}, {"computed limit on", 1e15, -1}} {
		s := startServerWith(b, "postgres", dsn, func(o *service.Options) {
			o.RateCapacity, o.RestoreRate, o.ResponseCacheBytes = c.capacity, 1e15, c.cache
		})
		b.Run(c.name, func(b *testing.B) { run(b, client, s, body) })
		s.close()
	}
}
