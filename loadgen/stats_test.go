package loadgen

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tt := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value is every percentile", ms(7), 50, 7 * time.Millisecond},
		{"one value, p99", ms(7), 99, 7 * time.Millisecond},
		{"median of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p95 of 1..100 is not rounded up by floating point", ms(hundred...), 95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"median of an even count is the lower middle", ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p95 of 10 values is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 95, 10 * time.Millisecond},
		{"p0 is the min", ms(3, 4), 0, 3 * time.Millisecond},
	} {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tt.name, tt.p, got, tt.want)
		}
	}
}

func TestSummarizeIsOrderedAndExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := make([]time.Duration, 10_000)
	for i := range ds {
		// Values 1..10,000 µs, shuffled: the percentiles are known exactly.
		ds[i] = time.Duration(i+1) * time.Microsecond
	}
	rng.Shuffle(len(ds), func(i, j int) { ds[i], ds[j] = ds[j], ds[i] })
	l := summarize(ds)
	want := Latency{P50: Millis(5000 * time.Microsecond), P95: Millis(9500 * time.Microsecond), P99: Millis(9900 * time.Microsecond),
		Max: Millis(10_000 * time.Microsecond), Mean: Millis(5000500 * time.Nanosecond)}
	if l != want {
		t.Errorf("summarize = %+v, want %+v", l, want)
	}
	if (summarize(nil) != Latency{}) {
		t.Errorf("summarize(nil) = %+v, want zeros", summarize(nil))
	}
}

func TestSeriesCountsErrorsApart(t *testing.T) {
	a, b := newSeries(), newSeries()
	a.add(2*time.Millisecond, 200, nil)
	a.add(time.Millisecond, 503, &RequestError{Kind: KindShed, Status: 503})
	a.add(40*time.Millisecond, 200, &RequestError{Kind: KindGraphQL, Status: 200, Code: "THROTTLED"})
	b.add(4*time.Millisecond, 200, nil)
	b.add(time.Second, 0, &RequestError{Kind: KindTransport, Message: "connection refused"})
	b.add(time.Millisecond, 500, &RequestError{Kind: KindStatus, Status: 500})
	b.add(time.Millisecond, 200, errors.New("unclassified"))
	a.merge(b)

	st := a.stats(2 * time.Second)
	if st.Requests != 7 || st.Errors != 5 || st.Shed != 1 || st.RequestsPerSecond != 3.5 {
		t.Errorf("stats = %+v, want 7 requests, 5 errors, 1 shed, 3.5/s", st)
	}
	// Only the two successful requests count towards latency.
	if st.Latency.Max != Millis(4*time.Millisecond) || st.Latency.P50 != Millis(2*time.Millisecond) {
		t.Errorf("latency = %+v, want p50 2ms and max 4ms of the successful requests", st.Latency)
	}
	wantKinds := map[string]int64{"shed": 1, "graphql THROTTLED": 1, "transport": 1, "status 500": 1, "other": 1}
	for k, n := range wantKinds {
		if a.kinds[k] != n {
			t.Errorf("kinds[%q] = %d, want %d (all: %v)", k, a.kinds[k], n, a.kinds)
		}
	}
	if got := a.statusCounts(); got["200"] != 4 || got["503"] != 1 || got["500"] != 1 || len(got) != 3 {
		t.Errorf("status counts = %v, want 4×200, 1×503, 1×500 and none for the transport error", got)
	}
	if len(a.samples) != maxSamples {
		t.Errorf("%d error samples, want the first %d", len(a.samples), maxSamples)
	}
}
