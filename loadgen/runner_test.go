package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

var pingStep = step{op: "ping", field: "shop", query: `{ shop { name } }`}

// ping is a scenario of one request, to test the runner without a catalog.
var ping = scenario{name: "ping", run: func(ctx context.Context, w *worker) error { return w.call(ctx, pingStep, nil, nil) }}

// fakeAPI answers every fourth request 503, every tenth with a GraphQL error, the rest with data.
func fakeAPI(t *testing.T, delay time.Duration) (*httptest.Server, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(delay)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case n%4 == 0:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"errors":[{"message":"overloaded"}]}`)
		case n%10 == 0:
			_, _ = io.WriteString(w, `{"errors":[{"message":"slow down","extensions":{"code":"THROTTLED"}}]}`)
		default:
			_, _ = io.WriteString(w, `{"data":{"shop":{"name":"Fake"}}}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestStageStopsAtTheRequestBudget(t *testing.T) {
	srv, hits := fakeAPI(t, 0)
	client := NewClient(srv.URL, 8, 5*time.Second)
	res := runStage(context.Background(), client, &catalog{}, ping, 8, 0, 100, 1)
	if res.Requests != 100 || hits.Load() != 100 {
		t.Fatalf("%d requests recorded, %d received, want exactly 100", res.Requests, hits.Load())
	}
	// 25 multiples of 4 are shed; the multiples of 10 that are not multiples of 4 (10, 30, 50, 70, 90)
	// are GraphQL errors.
	if res.Shed != 25 || res.Errors != 30 || res.ErrorKinds["graphql THROTTLED"] != 5 {
		t.Errorf("shed %d, errors %d, kinds %v; want 25 shed and 30 errors", res.Shed, res.Errors, res.ErrorKinds)
	}
	if res.StatusCodes["200"] != 75 || res.StatusCodes["503"] != 25 {
		t.Errorf("status codes %v", res.StatusCodes)
	}
	if len(res.Operations) != 1 || res.Operations[0].Name != "ping" || res.Operations[0].Requests != 100 {
		t.Errorf("operations %+v", res.Operations)
	}
	l := res.Latency
	if !(0 < l.P50 && l.P50 <= l.P95 && l.P95 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency %+v is not ordered", l)
	}
}

func TestStageStopsAtTheDeadline(t *testing.T) {
	srv, hits := fakeAPI(t, 5*time.Millisecond)
	client := NewClient(srv.URL, 4, 5*time.Second)
	start := time.Now()
	res := runStage(context.Background(), client, &catalog{}, ping, 4, 200*time.Millisecond, 0, 1)
	elapsed := time.Since(start)
	// No request starts after the deadline; those in flight finish.
	if elapsed < 200*time.Millisecond || elapsed > time.Second {
		t.Errorf("stage took %v, want about 200ms", elapsed)
	}
	if res.Requests == 0 || res.Requests != hits.Load() {
		t.Errorf("%d requests recorded, %d received", res.Requests, hits.Load())
	}
	if res.RequestsPerSecond <= 0 || res.Seconds < 0.2 {
		t.Errorf("rate %v over %vs", res.RequestsPerSecond, res.Seconds)
	}
}

func TestCancelledStageRecordsNoInterruptedRequest(t *testing.T) {
	srv, _ := fakeAPI(t, 50*time.Millisecond)
	client := NewClient(srv.URL, 2, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	res := runStage(ctx, client, &catalog{}, ping, 2, time.Minute, 0, 1)
	if !res.Interrupted {
		t.Error("the stage is not marked interrupted")
	}
	if res.ErrorKinds[KindTransport] != 0 {
		t.Errorf("requests cut short by the cancellation were recorded as errors: %v", res.ErrorKinds)
	}
}

func TestStageEndsWhenTheStockIsBought(t *testing.T) {
	srv, hits := fakeAPI(t, 0)
	client := NewClient(srv.URL, 4, 5*time.Second)
	cat := &catalog{stocked: []*stockVariant{newStockVariant("a", 2), newStockVariant("b", 3), newStockVariant("c", 0)}}
	// One purchase a request, as far as the stock goes.
	buy := scenario{name: "buy", run: func(ctx context.Context, w *worker) error {
		if _, err := w.stockedVariant(); err != nil {
			return err
		}
		return w.call(ctx, pingStep, nil, nil)
	}}
	res := runStage(context.Background(), client, cat, buy, 4, 10*time.Second, 100, 1)
	if res.Requests != 5 || hits.Load() != 5 {
		t.Errorf("%d requests for 5 units in stock", res.Requests)
	}
	if res.Stopped != errSoldOut.Error() {
		t.Errorf("stopped = %q, want %q", res.Stopped, errSoldOut)
	}
	for _, v := range cat.stocked {
		if v.left.Load() > 0 {
			t.Errorf("%s has %d units left", v.id, v.left.Load())
		}
	}
}
