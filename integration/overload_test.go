package integration

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/service"
)

// TestLoadShedding fills a server that runs one request at a time: the overflow gets 503 with
// Retry-After and a GraphQL error, never another 5xx; health checks are never shed; the server answers
// normally right after, with its goroutines back to where they were.
func TestLoadShedding(t *testing.T) {
	s := startServerWith(t, "sqlite", filepath.Join(t.TempDir(), "shed.db"), func(o *service.Options) {
		o.RateCapacity, o.ResponseCacheBytes, o.MaxInFlight, o.QueueTimeout = -1, -1, 1, time.Millisecond
	})
	t.Cleanup(s.close)
	body, _ := json.Marshal(map[string]any{"query": getProductsQuery, "variables": map[string]any{"first": 50}})
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	s.post(t, `{ shop { name } }`, nil)
	time.Sleep(100 * time.Millisecond)
	baseline := runtime.NumGoroutine()

	var mu sync.Mutex
	statuses := map[int]int{}
	var bad []string
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := client.Post(s.http.URL+"/graphql", "application/json", bytes.NewReader(body))
			if err != nil {
				mu.Lock()
				bad = append(bad, err.Error())
				mu.Unlock()
				return
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			mu.Lock()
			defer mu.Unlock()
			statuses[res.StatusCode]++
			if res.StatusCode == http.StatusServiceUnavailable {
				var r response
				if json.Unmarshal(raw, &r) != nil || len(r.Errors) == 0 || r.Errors[0].code() != "SERVICE_UNAVAILABLE" || res.Header.Get("Retry-After") != "1" {
					bad = append(bad, "a 503 without its GraphQL error or Retry-After: "+string(raw))
				}
			}
		}()
	}
	// Health checks during the burst.
	for range 5 {
		res, err := http.Get(s.http.URL + "/healthz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("/healthz during the burst: %v %v", res, err)
		}
		if res != nil {
			res.Body.Close()
		}
	}
	wg.Wait()
	t.Logf("statuses %v", statuses)
	if len(bad) > 0 {
		t.Errorf("bad answers: %v", bad)
	}
	if statuses[http.StatusServiceUnavailable] == 0 || statuses[http.StatusOK] == 0 || statuses[http.StatusOK]+statuses[http.StatusServiceUnavailable] != 40 {
		t.Errorf("statuses %v: want some 200, some 503, nothing else", statuses)
	}
	if r := s.post(t, getProductsQuery, map[string]any{"first": 5}); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("right after the burst: %d %+v", r.Status, r.Errors)
	}
	client.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > baseline+10 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+10 {
		t.Errorf("%d goroutines after the burst, %d before", n, baseline)
	}
}

// TestRequestTimeout gives requests less time than they need: they end with TIMEOUT, not a hang nor an
// internal error.
func TestRequestTimeout(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { o.ResponseCacheBytes, o.RequestTimeout = -1, time.Microsecond }, func(t *testing.T, s *server) {
		start := time.Now()
		r := s.post(t, getProductsQuery, map[string]any{"first": 100})
		if len(r.Errors) == 0 || r.Errors[0].code() != "TIMEOUT" || time.Since(start) > 5*time.Second {
			t.Errorf("status %d after %v, errors %+v; want TIMEOUT", r.Status, time.Since(start), r.Errors)
		}
	})
}
