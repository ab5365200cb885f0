package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of overload protection. A server does not serve more at once by running more at once: past
// the database pool's size, requests in flight only wait longer for a connection, and database/sql hands
// a freed connection to a random waiter, so some wait far longer than others. So as many run as the pool
// has connections (the default in-flight bound), the rest queue in order for a short while, and those
// still waiting are told to come back, instead of every request slowing down until all of them time out.
// Answers from the response cache need no connection and pass through the queue quickly.
const (
	DefaultQueueTimeout   = 500 * time.Millisecond
	DefaultRequestTimeout = 30 * time.Second
)

// shedder bounds the GraphQL requests running at once and the queue waiting for them.
type shedder struct {
	slots   chan struct{}
	queue   chan struct{}
	wait    time.Duration
	timeout time.Duration

	shed     prometheus.Counter
	inFlight prometheus.Gauge
	queued   prometheus.Gauge
}

func newShedder(reg *prometheus.Registry, maxInFlight int, wait, timeout time.Duration) *shedder {
	s := &shedder{
		slots: make(chan struct{}, maxInFlight), queue: make(chan struct{}, max(1024, 16*maxInFlight)), wait: wait, timeout: timeout,
		shed: prometheus.NewCounter(prometheus.CounterOpts{Name: "emporium_shed_requests_total",
			Help: "GraphQL requests refused with 503 because the server was full."}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "emporium_graphql_in_flight", Help: "GraphQL requests running."}),
		queued:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "emporium_graphql_queued", Help: "GraphQL requests waiting for a turn."}),
	}
	reg.MustRegister(s.shed, s.inFlight, s.queued)
	return s
}

// wrap runs next when a slot is free, within the request timeout, and answers 503 otherwise.
func (s *shedder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.acquire(r.Context()) {
			if r.Context().Err() == nil {
				s.shed.Inc()
				unavailable(w)
			}
			return
		}
		defer s.release()
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *shedder) acquire(ctx context.Context) bool {
	select {
	case s.slots <- struct{}{}:
		s.inFlight.Inc()
		return true
	default:
	}
	select {
	case s.queue <- struct{}{}:
	default:
		return false // the queue is full: waiting would not end in time
	}
	s.queued.Inc()
	defer func() { <-s.queue; s.queued.Dec() }()
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case s.slots <- struct{}{}:
		s.inFlight.Inc()
		return true
	case <-timer.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *shedder) release() {
	<-s.slots
	s.inFlight.Dec()
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", strconv.Itoa(1))
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"errors":[{"message":"the server is at capacity: retry in a second","extensions":{"code":"SERVICE_UNAVAILABLE"}}]}`))
}

// withTimeout bounds a request's work when shedding is off.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// onGraphQL sends the GraphQL routes through wrap and every other route (health, metrics, webhooks)
// straight to next.
func onGraphQL(wrap func(http.Handler) http.Handler, next http.Handler) http.Handler {
	wrapped := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := routeOf(r.URL.Path); route == "/graphql" || route == "/api/{version}/graphql.json" {
			wrapped.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
