// Package httpapi assembles Emporium's HTTP interface: the GraphQL endpoint and its aliases, GraphiQL,
// health and readiness probes, Prometheus metrics, and the middleware every request passes through.
package httpapi

import (
	"cmp"
	"context"
	"github.com/emporium/emporium/admin"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/emporium/emporium/apikeys"
	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/graph"
	"github.com/emporium/emporium/graph/generated"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/inventory"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/payouts"
	"github.com/emporium/emporium/realtime"
	"github.com/emporium/emporium/respcache"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/storefronttokens"
	"github.com/emporium/emporium/tax"
	"github.com/emporium/emporium/webhooks"
)

// Config is what the HTTP interface needs.
type Config struct {
	Log *slog.Logger
	DB  *database.DB
	// Tokens verifies access tokens; its keys are published at /.well-known/jwks.json.
	Tokens    *auth.Tokens
	Customers *customers.Service
	Staff     *staff.Service
	APIKeys   *apikeys.Service
	// StorefrontTokens checks the storefront access tokens of requests.
	StorefrontTokens *storefronttokens.Service
	// RefuseAnonymous answers 401 to requests with neither credentials nor a storefront access token,
	// but a staff login; otherwise they draw on their address's bucket.
	RefuseAnonymous bool
	// Metrics is where Prometheus metrics are registered; a fresh registry when nil.
	Metrics *Metrics
	// Playground serves GraphiQL at /.
	Playground bool
	// Production turns off introspection and "did you mean" suggestions.
	Production bool
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// MaxDepth bounds the nesting of a query's selections (default 20).
	MaxDepth int
	// CORSOrigins lists the origins browsers may call from; "*" allows any (the default).
	CORSOrigins []string
	// CheckoutURL is the template of a cart's checkout page; {cartToken} stands for the cart's token.
	CheckoutURL string
	// Payments charges direct payment methods; the test gateway when nil.
	Payments payments.Provider
	// CompletionLease is how long a completion may run before a recoverer takes it over.
	CompletionLease time.Duration
	// Events records the domain's events (the outbox) in each change's transaction.
	Events *events.Recorder
	// OrderStatusURL is the storefront's order-status page, with {token}.
	OrderStatusURL string
	// RateLimit throttles callers by query cost; nil turns it off.
	RateLimit *RateLimit
	// MaxComplexity bounds a query's cost, where list fields cost in proportion to first/last (default 1,000,000).
	MaxComplexity int
	// Cache answers anonymous catalog queries; nil turns it off.
	Cache *respcache.Cache
	// CacheGate, with a read replica, lets the cache keep answers computed there only once the replica
	// has replayed the last catalog write; nil without a replica.
	CacheGate *respcache.ReplicaGate
	// MaxInFlight bounds the GraphQL requests running at once (by default, the database pool's size); beyond it requests
	// wait up to QueueTimeout (DefaultQueueTimeout), then get 503 with Retry-After. A negative value
	// turns shedding off.
	MaxInFlight  int
	QueueTimeout time.Duration
	// RequestTimeout bounds a GraphQL request's work (DefaultRequestTimeout).
	RequestTimeout time.Duration
	// BodyGrace and BodyMinRate (bytes per second) pace a request body: it may take BodyGrace plus a
	// second per BodyMinRate bytes, or is cut off with 408 (DefaultBodyGrace, DefaultBodyMinRate).
	BodyGrace   time.Duration
	BodyMinRate int
	// MaxFields bounds the fields, fragment spreads, inline fragments and directives of a document,
	// counted before validation (DefaultMaxFields); MaxTokens bounds its tokens (DefaultMaxTokens).
	MaxFields, MaxTokens int
	// QueryCacheBytes bounds the parsed documents kept (DefaultQueryCacheBytes); APQCacheBytes the
	// automatically persisted queries (DefaultAPQCacheBytes).
	QueryCacheBytes, APQCacheBytes int
	// MetricsToken, when set, is the bearer token that /metrics requires.
	MetricsToken string
	// Media stores and serves pictures under /media/; without it images are URLs only and
	// Image.url(transform:) returns them unchanged.
	Media *media.Library
	// Webhooks manages webhook subscriptions.
	Webhooks *webhooks.Service
	// InvoiceLinks signs the download links of invoices and credit notes.
	InvoiceLinks *invoices.Links
	// NoMetricsRoute leaves /metrics out of this handler: Metrics.Handler serves it on an address of its own.
	NoMetricsRoute bool
	// NoAdminUI leaves the staff dashboard (package admin) off /admin.
	NoAdminUI bool
	// StripeWebhookSecret verifies Stripe's events at /payments/stripe/webhook (whsec_…).
	StripeWebhookSecret string
	// Payouts records the payouts Stripe reports; nil ignores them.
	Payouts *payouts.Service
	// Live serves subscriptions over WebSocket and server-sent events.
	Live LiveConfig
}

// New returns the HTTP handler of the whole service.
func New(cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxDepth <= 0 {
		cfg.MaxDepth = 20
	}
	if cfg.MaxComplexity <= 0 {
		cfg.MaxComplexity = 1_000_000
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(prometheus.NewRegistry())
	}
	cfg.BodyGrace = cmp.Or(cfg.BodyGrace, DefaultBodyGrace)
	cfg.BodyMinRate = cmp.Or(cfg.BodyMinRate, DefaultBodyMinRate)
	cfg.MaxFields = cmp.Or(cfg.MaxFields, DefaultMaxFields)
	cfg.MaxTokens = cmp.Or(cfg.MaxTokens, DefaultMaxTokens)
	cfg.QueryCacheBytes = cmp.Or(cfg.QueryCacheBytes, DefaultQueryCacheBytes)
	cfg.APQCacheBytes = cmp.Or(cfg.APQCacheBytes, DefaultAPQCacheBytes)
	cfg.Live.IdleTimeout = cmp.Or(cfg.Live.IdleTimeout, realtime.DefaultIdleTimeout)
	cfg.Live.WriteTimeout = cmp.Or(cfg.Live.WriteTimeout, realtime.DefaultWriteTimeout)
	cfg.Live.PingInterval = cmp.Or(cfg.Live.PingInterval, DefaultLivePing)
	cfg.Live.PerConn = cmp.Or(cfg.Live.PerConn, realtime.DefaultPerConn)
	if cfg.Live.Hub != nil {
		cfg.Live.Hub.WriteTimeout = cfg.Live.WriteTimeout
		registerLiveMetrics(cfg.Metrics.registry, cfg.Live.Hub)
	}
	cfg.Metrics.registry.MustRegister(collectors.NewDBStatsCollector(cfg.DB.SQL, "emporium"))
	if cfg.Cache != nil {
		registerCacheMetrics(cfg.Metrics.registry, cfg.Cache, cfg.CacheGate)
	}
	if cfg.DB.ReadSQL != nil {
		cfg.Metrics.registry.MustRegister(collectors.NewDBStatsCollector(cfg.DB.ReadSQL, "emporium_replica"))
	}

	cat := catalog.New(cfg.DB.Client, cfg.DB.Querier(), cfg.DB.Postgres(), cfg.Events)
	if cfg.Cache != nil {
		// Carts read the shop's settings, discounts and variants through memos of the cache's generation.
		cat.Memoize(cfg.Cache.Generation)
	}
	cartService := carts.New(cfg.DB.Client, cat, cfg.Customers, cfg.CheckoutURL, cfg.DB.Postgres())
	taxes := tax.NewTable(cfg.DB.Client)
	gateway := cfg.Payments
	if gateway == nil {
		gateway = payments.NewTestGateway()
	}
	orderService := orders.New(cfg.DB.Client, cartService, taxes, gateway, cfg.OrderStatusURL, cfg.Log, cfg.Events)
	orderService.SetLease(cfg.CompletionLease)
	gql := newGraphQL(cfg, graph.Services{
		Catalog: cat, Customers: cfg.Customers, Staff: cfg.Staff, APIKeys: cfg.APIKeys, StorefrontTokens: cfg.StorefrontTokens,
		Inventory:            inventory.New(cfg.DB.Client),
		Carts:                cartService,
		Tax:                  taxes,
		Discounts:            discounts.NewService(cfg.DB.Client, cfg.Events),
		Orders:               orderService,
		Media:                cfg.Media,
		Webhooks:             cfg.Webhooks,
		InvoiceLinks:         cfg.InvoiceLinks,
		StripePublishableKey: publishableKey(cfg.Payments),
		PaymentProvider:      gateway.Name(),
		CaptureOnFulfilment:  payments.CapturesOnFulfilment(gateway),
		Live:                 cfg.Live.Hub,
		Log:                  cfg.Log,
	})

	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = cfg.DB.SQL.Stats().MaxOpenConnections
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = DefaultQueueTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	admit := func(h http.Handler) http.Handler { return withTimeout(cfg.RequestTimeout, h) }
	if cfg.MaxInFlight > 0 {
		admit = newShedder(cfg.Metrics.registry, cfg.MaxInFlight, cfg.QueueTimeout, cfg.RequestTimeout).wrap
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", gql)
	mux.Handle("/api/{version}/graphql.json", gql)
	mux.Handle("POST /payments/{provider}/webhook", paymentWebhook(cfg.Log, orderService, cfg.Payouts, cfg.StripeWebhookSecret))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := cfg.DB.Ping(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("database unreachable\n"))
			return
		}
		// A read replica that does not answer leaves the service ready: its reads go to the primary.
		if err := cfg.DB.ReplicaErr(ctx); err != nil {
			_, _ = w.Write([]byte("ok; read replica unreachable, reading the primary\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(cfg.Tokens.Keys().JWKS())
	})
	if !cfg.NoMetricsRoute {
		mux.Handle("GET /metrics", RequireToken(cfg.MetricsToken, cfg.Metrics.Handler()))
	}
	if cfg.Media != nil {
		mux.Handle(media.Prefix, cfg.Media.Handler())
	}
	if cfg.Playground {
		mux.Handle("GET /{$}", playground.Handler("Emporium", "/graphql"))
	}
	if !cfg.NoAdminUI {
		mux.Handle("GET /admin", admin.Handler())
		mux.Handle("GET "+admin.Prefix, admin.Handler())
	}

	var h http.Handler = mux
	h = loaders.Middleware(cfg.DB.Client, cat, h)
	h = authenticate(cfg, h)
	// GraphQL requests are admitted (or shed) before authentication, which may itself read the database,
	// and after their body has arrived and their document has been checked, which need no slot.
	h = onGraphQL(admitLive(admit), h)
	h = prepareGraphQL(bodyPolicy{grace: cfg.BodyGrace, minRate: float64(cfg.BodyMinRate)},
		docLimits{maxTokens: cfg.MaxTokens, maxFields: cfg.MaxFields}, h)
	h = limitBody(cfg.MaxBodyBytes, h)
	h = cfg.Metrics.instrument(cfg.Log, h)
	if len(cfg.CORSOrigins) == 0 {
		cfg.CORSOrigins = []string{"*"}
	}
	h = cors(cfg.CORSOrigins, h)
	h = securityHeaders(h)
	h = withRequestID(h)
	return h
}

func newGraphQL(cfg Config, services graph.Services) http.Handler {
	resolver := graph.NewResolver(cfg.DB.Client, services)
	schema := generated.NewExecutableSchema(generated.Config{
		Resolvers:  resolver,
		Directives: generated.DirectiveRoot{InContext: graph.InContext, HasPermission: graph.HasPermission},
		Complexity: complexity(),
	})
	srv := handler.New(schema)
	// Live subscriptions first: the spec transport takes every other method but OPTIONS, so that each
	// gets its status and Allow header.
	for _, t := range liveTransports(cfg) {
		srv.AddTransport(t)
	}
	srv.AddTransport(graphQLHTTP{cache: cfg.Cache, gate: cfg.CacheGate, refuseAnonymous: cfg.RefuseAnonymous})
	srv.AddTransport(transport.Options{})
	srv.SetQueryCache(newSizedCache(cfg.QueryCacheBytes, documentSize))
	srv.AroundOperations(graph.ReplicaReads)
	srv.AroundOperations(graph.PasswordBudget)
	srv.AroundResponses(graph.LiveResponses(cfg.DB.Client, resolver))
	srv.AroundRootFields(graph.AuditMutations)
	srv.SetErrorPresenter(graph.ErrorPresenter(cfg.Log))
	srv.SetRecoverFunc(graph.Recover(cfg.Log))
	srv.SetParserTokenLimit(cfg.MaxTokens)
	srv.Use(liveDocLimits{doc: docLimits{maxTokens: cfg.MaxTokens, maxFields: cfg.MaxFields}})
	if cfg.Production {
		srv.SetDisableSuggestion(true)
		srv.Use(noIntrospection{})
	} else {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	srv.Use(depthLimit{max: cfg.MaxDepth})
	srv.Use(fieldLimits{maxRoot: 20, maxAliases: 50})
	if cfg.RateLimit != nil {
		srv.Use(cfg.RateLimit)
	}
	// Last, so that a query is kept only once every limit has passed it.
	srv.Use(persistedQueries{cache: newSizedCache(cfg.APQCacheBytes, func(k, v string) int { return len(k) + len(v) })})
	srv.AroundResponses(cfg.Metrics.observeResponse)
	return srv
}
