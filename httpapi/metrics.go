package httpapi

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/media"
)

// Metrics are the service's Prometheus metrics.
type Metrics struct {
	registry     *prometheus.Registry
	httpRequests *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	errors       *prometheus.CounterVec
	statements   *prometheus.HistogramVec
	sqlTime      *prometheus.HistogramVec
	sqlDuration  prometheus.Histogram
	sqlByPool    *prometheus.CounterVec

	mu         sync.Mutex
	operations map[string]bool
}

// maxOperations caps the distinct operation names used as label values; clients choose them, so an
// unbounded set would let anyone grow the metrics without limit.
const maxOperations = 200

// NewMetrics registers the metrics with reg, along with the Go runtime and process collectors.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emporium_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "emporium_graphql_request_duration_seconds", Help: "GraphQL request latency by operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emporium_graphql_errors_total", Help: "GraphQL errors by extensions.code.",
		}, []string{"code"}),
		statements: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "emporium_sql_statements_per_request", Help: "SQL statements issued by one GraphQL request, by operation name.",
			Buckets: []float64{0, 1, 2, 3, 5, 8, 10, 15, 20, 50, 100},
		}, []string{"operation"}),
		sqlTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "emporium_sql_seconds_per_request", Help: "Time one GraphQL request spent in SQL statements, by operation name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"operation"}),
		sqlDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "emporium_sql_statement_duration_seconds", Help: "Duration of single SQL statements.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
		sqlByPool: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "emporium_sql_statements_total", Help: "SQL statements by connection pool: primary, or the read replica.",
		}, []string{"pool"}),
		operations: map[string]bool{},
	}
	reg.MustRegister(m.httpRequests, m.duration, m.errors, m.statements, m.sqlTime, m.sqlDuration, m.sqlByPool,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveStatement records one SQL statement's pool and duration; pass it to database.Options.OnStatement.
func (m *Metrics) ObserveStatement(_ context.Context, pool database.Pool, d time.Duration) {
	m.sqlDuration.Observe(d.Seconds())
	m.sqlByPool.WithLabelValues(string(pool)).Inc()
}

// requestInfo carries what the GraphQL layer learns about a request back to the HTTP middleware.
type requestInfo struct {
	operation string
	errors    int
}

type infoKey struct{}

var operationName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// label turns a client-chosen operation name into a bounded label value.
func (m *Metrics) label(op string) string {
	if op == "" {
		return "anonymous"
	}
	if !operationName.MatchString(op) {
		return "invalid"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.operations[op] {
		if len(m.operations) >= maxOperations {
			return "other"
		}
		m.operations[op] = true
	}
	return op
}

// observeResponse counts errors by code and notes the operation name for the HTTP middleware.
func (m *Metrics) observeResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	if info != nil && graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		info.operation = oc.OperationName
		if info.operation == "" && oc.Operation != nil {
			info.operation = oc.Operation.Name
		}
	}
	if resp != nil {
		for _, e := range resp.Errors {
			code, _ := e.Extensions["code"].(string)
			if code == "" {
				code = "UNKNOWN"
			}
			m.errors.WithLabelValues(code).Inc()
		}
		if info != nil {
			info.errors += len(resp.Errors)
		}
	}
	return resp
}

// instrument counts requests, times GraphQL operations, counts their SQL statements and logs each
// request (at debug level, or warn for server errors).
func (m *Metrics) instrument(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, counter := r.Context(), database.CounterFrom(r.Context())
		if counter == nil {
			ctx, counter = database.WithCounter(ctx)
		}
		info := &requestInfo{}
		ctx = context.WithValue(ctx, infoKey{}, info)
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		elapsed := time.Since(start)

		route := routeOf(r.URL.Path)
		m.httpRequests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
		graphqlRoute := route == "/graphql" || route == "/api/{version}/graphql.json"
		level := slog.LevelDebug
		if sw.code >= 500 {
			level = slog.LevelWarn
		}
		var op string
		if graphqlRoute {
			op = m.label(info.operation)
			m.duration.WithLabelValues(op).Observe(elapsed.Seconds())
			m.statements.WithLabelValues(op).Observe(float64(counter.Statements()))
			m.sqlTime.WithLabelValues(op).Observe(counter.Duration().Seconds())
		}
		if !log.Enabled(ctx, level) {
			return // the line is built only when it is written: most requests log at debug
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.code),
			slog.Duration("duration", elapsed),
		}
		if graphqlRoute {
			attrs = append(attrs, slog.String("operation", op), slog.Int("sql_statements", counter.Statements()),
				slog.Duration("sql_time", counter.Duration()), slog.Int("errors", info.errors))
		}
		log.LogAttrs(ctx, level, "request", attrs...)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code        int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.code, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// routeOf names the route of path for metrics, keeping the label set small whatever paths clients send.
func routeOf(path string) string {
	switch {
	case path == "/graphql", path == "/healthz", path == "/readyz", path == "/metrics", path == "/":
		return path
	case strings.HasPrefix(path, "/api/") && strings.HasSuffix(path, "/graphql.json"):
		return "/api/{version}/graphql.json"
	case strings.HasPrefix(path, media.UploadsPath):
		return media.UploadsPath + "{token}"
	case strings.HasPrefix(path, media.Prefix):
		return media.Prefix + "{key}"
	}
	return "unmatched"
}

// Handler serves the metrics in Prometheus's format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// RequireToken lets through only requests with "Authorization: Bearer token"; an empty token lets all.
func RequireToken(token string, next http.Handler) http.Handler {
	if token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			writeJSONError(w, http.StatusUnauthorized, "UNAUTHENTICATED", "metrics need the metrics token")
			return
		}
		next.ServeHTTP(w, r)
	})
}
