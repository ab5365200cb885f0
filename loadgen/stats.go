package loadgen

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
)

// series records the requests of one operation by one worker. Latencies are kept whole, not in buckets:
// at 8 bytes a request, a million requests take 8 MB, and the percentiles are exact.
type series struct {
	latencies []time.Duration // of successful requests
	requests  int64
	errors    int64
	shed      int64
	statuses  map[int]int64
	kinds     map[string]int64
	samples   []string // the first few error messages, to tell what went wrong
}

const maxSamples = 5

func newSeries() *series {
	return &series{statuses: map[int]int64{}, kinds: map[string]int64{}}
}

// add records one request that took d and got status (0 without a response); err is nil on success.
func (s *series) add(d time.Duration, status int, err error) {
	s.requests++
	if status != 0 {
		s.statuses[status]++
	}
	if err == nil {
		s.latencies = append(s.latencies, d)
		return
	}
	s.errors++
	key := "other"
	var re *RequestError
	if errors.As(err, &re) {
		key = re.key()
		if re.Kind == KindShed {
			s.shed++
		}
	}
	s.kinds[key]++
	if len(s.samples) < maxSamples {
		s.samples = append(s.samples, err.Error())
	}
}

func (s *series) merge(o *series) {
	s.latencies = append(s.latencies, o.latencies...)
	s.requests += o.requests
	s.errors += o.errors
	s.shed += o.shed
	for k, n := range o.statuses {
		s.statuses[k] += n
	}
	for k, n := range o.kinds {
		s.kinds[k] += n
	}
	for _, m := range o.samples {
		if len(s.samples) < maxSamples {
			s.samples = append(s.samples, m)
		}
	}
}

// stats summarises s over elapsed; it sorts s.latencies.
func (s *series) stats(elapsed time.Duration) Stats {
	st := Stats{Requests: s.requests, Errors: s.errors, Shed: s.shed, Latency: summarize(s.latencies)}
	if elapsed > 0 {
		st.RequestsPerSecond = float64(s.requests) / elapsed.Seconds()
	}
	return st
}

// statusCounts has string keys, as JSON objects need.
func (s *series) statusCounts() map[string]int64 {
	out := make(map[string]int64, len(s.statuses))
	for code, n := range s.statuses {
		out[strconv.Itoa(code)] = n
	}
	return out
}

// Stats are the figures of a set of requests.
type Stats struct {
	Requests          int64   `json:"requests"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// Latency is over the successful requests: a request shed in a microsecond says nothing of how
	// fast the API answers.
	Latency Latency `json:"latencyMs"`
	Errors  int64   `json:"errors"` // failed requests, the shed ones included
	Shed    int64   `json:"shed"`   // answered 503
}

// Latency holds percentiles of request durations.
type Latency struct {
	P50  Millis `json:"p50"`
	P95  Millis `json:"p95"`
	P99  Millis `json:"p99"`
	Max  Millis `json:"max"`
	Mean Millis `json:"mean"`
}

// Millis is a duration written to JSON as fractional milliseconds.
type Millis time.Duration

func (m Millis) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, math.Round(float64(m)/1e3)/1e3, 'f', -1, 64), nil
}

func (m *Millis) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	*m = Millis(math.Round(f * 1e6))
	return nil
}

// summarize sorts ds and returns its percentiles; all zero when ds is empty.
func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{
		P50:  Millis(percentile(ds, 50)),
		P95:  Millis(percentile(ds, 95)),
		P99:  Millis(percentile(ds, 99)),
		Max:  Millis(ds[len(ds)-1]),
		Mean: Millis(sum / time.Duration(len(ds))),
	}
}

// percentile returns the p-th percentile of sorted by the nearest-rank method: the smallest value that
// at least p% of the values are at or below. It is always one of the values, never an interpolation.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// p·n first: 95/100·100 is 95.00000000000001 in floating point, whose ceiling is 96.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
