// Package service wires Emporium together: it opens and prepares the database, sets up credentials and
// builds the HTTP handler. The command and the integration tests start the service the same way
// through it.
package service

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	entschema "entgo.io/ent/dialect/sql/schema"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emporium/emporium/apikeys"
	"github.com/emporium/emporium/audit"
	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/demoimages"
	"github.com/emporium/emporium/emails"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/migrate"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/httpapi"
	"github.com/emporium/emporium/inventory"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/media/s3store"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/payouts"
	"github.com/emporium/emporium/realtime"
	"github.com/emporium/emporium/respcache"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/storefronttokens"
	"github.com/emporium/emporium/webhooks"
)

// Options configure the service.
type Options struct {
	DatabaseURL string
	// DatabaseReadURL, when set, is a PostgreSQL read replica of DatabaseURL: storefront catalog queries
	// read from it (see graph.ReplicaReads). Open fails if it does not answer.
	DatabaseReadURL string
	// DatabaseListenURL is where the response cache LISTENs for other replicas' catalog writes: a
	// PostgreSQL session of its own, so not through PgBouncer in transaction mode. DatabaseURL by default.
	DatabaseListenURL string
	// DemoCatalog is loaded on the first start of an empty database; nil to start empty.
	DemoCatalog []byte
	MaxDBConns  int
	Playground  bool
	Production  bool
	// CORSOrigins lists the origins browsers may call from; empty means any.
	CORSOrigins []string
	Log         *slog.Logger

	// JWTKeys holds PEM Ed25519 keys (the first private key signs). Without them a development key is
	// generated and kept in the database; production refuses to start without them.
	JWTKeys []byte
	// Issuer names Emporium in its tokens ("emporium" by default).
	Issuer string
	// Mailer sends emails (password reset links, and the transactional emails of package emails); the
	// log by default.
	Mailer mail.Sender
	// EmailTemplates is a directory of templates overriding the built-in ones (emails.NewTemplates).
	EmailTemplates string
	// StaffEmail receives the staff's emails (a new order, low stock, a failing webhook subscription);
	// none are sent when empty.
	StaffEmail string
	// Payments charges direct payment methods; when nil, the test gateway, keeping its payments in the
	// database so that it remembers them across restarts as a real gateway would.
	Payments payments.Provider
	// CompletionLease is how long a completion may run before a recoverer takes it over
	// (orders.DefaultLease when zero); CompletionSweep is how often Recoverer looks (orders.DefaultSweep).
	CompletionLease, CompletionSweep time.Duration
	// EventsRetention is how long processed events are kept (events.DefaultRetention when zero).
	EventsRetention time.Duration
	// OrderStatusURL is the storefront's order-status page, with {token}.
	OrderStatusURL string
	// CheckoutURL is the template of a cart's checkout page, with {cartToken}.
	CheckoutURL string
	// ResetURL is the storefront page reset links point to.
	ResetURL string
	// RateCapacity and RestoreRate size each caller's cost bucket (httpapi.RateLimit); zero takes the
	// defaults, a negative capacity turns rate limiting off.
	RateCapacity, RestoreRate float64
	// TokenRateCapacity and TokenRestoreRate size the budget of one private storefront token, shared by
	// all its buyers; zero takes httpapi's defaults.
	TokenRateCapacity, TokenRestoreRate float64
	// RefuseAnonymous answers 401 to requests with neither credentials nor a storefront access token
	// (a staff login excepted); otherwise they draw on their address's bucket.
	RefuseAnonymous bool
	// AdminEmail and AdminPassword create the first owner when the shop has no staff.
	AdminEmail, AdminPassword string
	// ResponseCacheBytes bounds the cache of anonymous catalog answers; zero takes 64 MiB, a negative
	// size turns it off. ResponseCacheTTL bounds an answer's life (one minute by default); catalog
	// writes invalidate sooner.
	ResponseCacheBytes int
	ResponseCacheTTL   time.Duration
	// MaxInFlight, QueueTimeout and RequestTimeout protect against overload (see httpapi.Config);
	// zero takes the defaults, a negative MaxInFlight turns shedding off.
	MaxInFlight    int
	QueueTimeout   time.Duration
	RequestTimeout time.Duration
	// MaxComplexity bounds a query's cost (httpapi.Config.MaxComplexity); zero takes the default.
	MaxComplexity int
	// BodyGrace and BodyMinRate pace request bodies (see httpapi.Config); zero takes the defaults.
	BodyGrace   time.Duration
	BodyMinRate int
	// MetricsToken, when set, is the bearer token /metrics requires; NoMetricsRoute leaves /metrics off
	// Handler, for serving Service.Metrics on an address of its own.
	MetricsToken   string
	NoMetricsRoute bool
	// NoAdminUI turns the staff dashboard at /admin off (EMPORIUM_ADMIN_UI=false).
	NoAdminUI bool
	// StripeWebhookSecret verifies Stripe's webhook events (EMPORIUM_STRIPE_WEBHOOK_SECRET).
	StripeWebhookSecret string

	// PublicURL is the scheme and host (and path prefix, if any) clients reach this service at; media
	// URLs are given under it. It is configured, never taken from a request's Host header.
	PublicURL string
	// MediaStorage keeps uploaded pictures and their transforms; when nil, a directory: MediaDir, or
	// beside the SQLite file (FILE-media), or ./emporium-media.
	MediaStorage media.Storage
	// MediaS3, when MediaStorage is nil, keeps pictures in this S3-compatible bucket instead of a
	// directory; Open fails if the bucket cannot be reached.
	MediaS3  *s3store.Config
	MediaDir string
	// MediaFetchAllow lets originalSource URLs be fetched from these non-public addresses.
	MediaFetchAllow []netip.Prefix
	// WebhookAllow lets webhook callbacks reach these non-public addresses (EMPORIUM_WEBHOOK_ALLOW).
	WebhookAllow []netip.Prefix
	// WebhookRetryBase and WebhookGiveUpAfter shorten the webhooks' retry schedule (tests); zero takes
	// webhooks' defaults (10 s doubling to an hour, for 24 hours).
	WebhookRetryBase, WebhookGiveUpAfter time.Duration
	// WebhookRetryMax caps the delay between retries (webhooks.DefaultRetryMax when zero; drills).
	WebhookRetryMax time.Duration
	// DeliverWorkers is how many webhook delivery attempts this process makes at once
	// (webhooks.DefaultConcurrency when zero).
	DeliverWorkers int
	// JobWorkers is how many jobs of each queue this process works at once, once StartJobs is called
	// (10 when zero).
	JobWorkers int

	// LivePerConn and LivePerCaller bound live subscriptions per WebSocket connection and per caller on
	// this replica (EMPORIUM_LIVE_MAX_PER_CONN, EMPORIUM_LIVE_MAX_PER_CALLER; realtime's defaults when
	// zero). LiveIdleTimeout closes a connection without subscriptions (EMPORIUM_LIVE_IDLE_TIMEOUT);
	// LiveWriteTimeout drops a client that does not read (EMPORIUM_LIVE_WRITE_TIMEOUT); LivePingInterval
	// paces pings and SSE comments (httpapi.DefaultLivePing).
	LivePerConn, LivePerCaller                          int
	LiveIdleTimeout, LiveWriteTimeout, LivePingInterval time.Duration

	// InvoiceOn says when an order's invoice is issued: on payment (the default) or on fulfilment
	// (EMPORIUM_INVOICE_ON).
	InvoiceOn invoices.Trigger
	// InvoiceLinkSecret signs invoice download links; derived from the token signing key when empty.
	InvoiceLinkSecret []byte
}

// Service is a prepared database and the HTTP handler that serves it.
type Service struct {
	DB *database.DB
	// Cache holds anonymous catalog answers; nil when turned off.
	Cache   *respcache.Cache
	stop    context.CancelFunc
	Handler http.Handler
	// Metrics serves the Prometheus metrics, for a listener of their own.
	Metrics   http.Handler
	Tokens    *auth.Tokens
	Customers *customers.Service
	Staff     *staff.Service
	APIKeys   *apikeys.Service
	// Media stores, transforms and serves pictures.
	Media *media.Library
	// StorefrontTokens are the storefront access tokens.
	StorefrontTokens *storefronttokens.Service
	// Recoverer ends completions that a crash or an outage abandoned, as a periodic job on Jobs.
	Recoverer *orders.Recoverer
	// Jobs is the job queue: it takes jobs always, and works them after StartJobs (serve and worker).
	Jobs *jobs.Queue
	// Events records the domain's events in each change's transaction (the outbox).
	Events *events.Recorder
	// Webhooks manages subscriptions and delivers events to them.
	Webhooks *webhooks.Service
	// Live carries committed changes to this replica's live subscriptions.
	Live         *realtime.Hub
	closeGateway func() error
}

// Migrate brings the database's schema and the job queue's tables up to date. Run it inside
// db.Exclusive.
func Migrate(ctx context.Context, db *database.DB, log *slog.Logger) error {
	if err := db.Migrate(ctx, log); err != nil {
		return err
	}
	return jobs.Migrate(ctx, db, log)
}

// openTestGateway opens the default payment provider: the test gateway, keeping its payments in a table
// as an external gateway keeps its own, so that it remembers them across a crash of this process. On
// PostgreSQL the table is in the database; on SQLite it is in a file of its own beside it (FILE-test-gateway):
// SQLite has one writer per file, and refunds and captures call the gateway while an order's
// transaction holds that writer.
func openTestGateway(ctx context.Context, db *database.DB, dsn string) (*payments.TestGateway, func() error, error) {
	if db.Postgres() {
		return payments.NewStoredTestGateway(db.Client), nil, nil
	}
	path, query, _ := strings.Cut(dsn, "?")
	path += "-test-gateway"
	if query != "" {
		path += "?" + query
	}
	own, err := database.Open(ctx, path, database.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("test gateway: %w", err)
	}
	if err := migrate.Create(ctx, own.Client.Schema, []*entschema.Table{migrate.TestPaymentsTable}); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("test gateway: %w", err), own.Close())
	}
	return payments.NewStoredTestGateway(own.Client), own.Close, nil
}

// Open connects, migrates, seeds an empty database with the demo catalog when asked, sets up signing
// keys and the first owner, and builds the handler.
func Open(ctx context.Context, opts Options) (*Service, error) {
	if opts.Issuer == "" {
		opts.Issuer = "emporium"
	}
	if opts.Mailer == nil {
		opts.Mailer = mail.LogSender{Log: opts.Log}
	}
	if opts.ResetURL == "" {
		opts.ResetURL = "http://localhost:3000/account/reset"
	}
	metrics := httpapi.NewMetrics(prometheus.NewRegistry())
	db, err := database.Open(ctx, opts.DatabaseURL, database.Options{
		MaxOpenConns: opts.MaxDBConns, ReadURL: opts.DatabaseReadURL, OnStatement: metrics.ObserveStatement,
	})
	if err != nil {
		return nil, err
	}
	db.Client.Use(audit.Hook())
	var cache *respcache.Cache
	if opts.ResponseCacheBytes >= 0 {
		cache = respcache.New(cmp.Or(opts.ResponseCacheBytes, 64<<20), cmp.Or(opts.ResponseCacheTTL, time.Minute))
		db.Client.Use(respcache.Hook(cache, db.Postgres()))
	}
	var keys *auth.Keyring
	err = db.Exclusive(ctx, func(ctx context.Context) error {
		if err := Migrate(ctx, db, opts.Log); err != nil {
			return err
		}
		if keys, err = loadKeys(ctx, db, opts); err != nil {
			return err
		}
		if opts.DemoCatalog == nil {
			return nil
		}
		return seedIfEmpty(ctx, db, opts.DemoCatalog, opts.Log)
	})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	queue, err := jobs.New(ctx, db, jobs.Config{Log: opts.Log, Workers: opts.JobWorkers})
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	recorder := events.NewRecorder(queue)
	// Changes of orders, carts, stock and prices reach live subscriptions (and carts' and stock
	// levels' outbox events are recorded) as their transactions commit.
	hub := realtime.NewHub(0, cmp.Or(opts.LivePerCaller, realtime.DefaultPerCaller))
	db.Client.Use(events.NewAnnouncer(recorder, hub, db.Postgres()).Hook())
	hooks := webhooks.New(db.Client, queue, webhooks.Options{Allow: opts.WebhookAllow, Production: opts.Production,
		RetryBase: opts.WebhookRetryBase, GiveUpAfter: opts.WebhookGiveUpAfter, RetryMax: opts.WebhookRetryMax,
		Concurrency: opts.DeliverWorkers, Log: opts.Log, Events: recorder})
	templates, err := emails.NewTemplates(opts.EmailTemplates)
	if err != nil {
		return nil, errors.Join(err, queue.Close(), db.Close())
	}
	linkSecret := opts.InvoiceLinkSecret
	if len(linkSecret) == 0 {
		linkSecret = keys.Derive("emporium invoice links")
	}
	links := invoices.NewLinks(linkSecret, cmp.Or(opts.PublicURL, "http://127.0.0.1:8080"), 0)
	emailCfg := emails.Config{Templates: templates, Sender: opts.Mailer, StaffEmail: opts.StaffEmail,
		InvoiceLink: func(id int) string { u, _ := links.URL(id); return u }}
	mailer := emails.NewWorker(db.Client, emailCfg)
	// Every stock movement that makes a level low queues the staff's email in its own transaction.
	inventory.OnLowStock(db.Client, emails.QueueLowStock(queue, emailCfg))
	// The relay hands events on in batches, the pump makes webhook deliveries: both are loops of every
	// process that works jobs.
	// Invoices and credit notes are issued by the relay, in the transaction that marks their events.
	invoices.Protect(db.Client)
	issuer := invoices.NewIssuer(cmp.Or(opts.InvoiceOn, invoices.OnPaid), recorder, opts.Log)
	_, err = events.NewRelay(db.Client, queue, recorder, opts.Log, hooks, issuer, emails.NewConsumer(queue, emailCfg))
	queue.Run(hooks.Pump)
	err = errors.Join(err,
		jobs.Register(queue, mailer),
		jobs.Register(queue, emails.NewLowStockWorker(db.Client, emailCfg)))
	if err != nil {
		return nil, errors.Join(err, queue.Close(), db.Close())
	}
	tokens := auth.NewTokens(keys, opts.Issuer)
	s := &Service{
		DB:       db,
		Cache:    cache,
		Tokens:   tokens,
		Jobs:     queue,
		Events:   recorder,
		Webhooks: hooks,
		Live:     hub,
		Customers: customers.New(db.Client, tokens, customers.Options{
			Mailer: opts.Mailer, ResetMessage: mailer.PasswordResetMessage, ResetURL: opts.ResetURL, Log: opts.Log, Events: recorder,
		}),
		Staff:   staff.New(db.Client, tokens),
		APIKeys: apikeys.New(db.Client),

		StorefrontTokens: storefronttokens.New(db.Client),
	}
	if opts.AdminEmail != "" {
		created, err := s.Staff.EnsureOwner(ctx, opts.AdminEmail, opts.AdminPassword)
		if err != nil {
			return nil, errors.Join(err, s.Close())
		}
		if created {
			opts.Log.InfoContext(ctx, "created the shop's first owner", "email", opts.AdminEmail)
		}
	}
	var limit *httpapi.RateLimit
	if opts.RateCapacity >= 0 {
		limit = &httpapi.RateLimit{Capacity: httpapi.DefaultRateCapacity, RestoreRate: httpapi.DefaultRestoreRate,
			TokenCapacity: opts.TokenRateCapacity, TokenRestoreRate: opts.TokenRestoreRate}
		if opts.RateCapacity > 0 {
			limit.Capacity = opts.RateCapacity
		}
		if opts.RestoreRate > 0 {
			limit.RestoreRate = opts.RestoreRate
		}
	}
	var gate *respcache.ReplicaGate
	listenCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stop = stop
	if db.Postgres() {
		// Every replica's changes (this one's too) reach its live subscriptions through NOTIFY.
		if err := realtime.Listen(listenCtx, cmp.Or(opts.DatabaseListenURL, opts.DatabaseURL), db.SQL, hub, opts.Log); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	if cache != nil && db.Postgres() {
		// Other replicas' catalog writes reach this one's cache through NOTIFY.
		if err := respcache.Listen(listenCtx, cmp.Or(opts.DatabaseListenURL, opts.DatabaseURL), db.SQL, cache, opts.Log); err != nil {
			return nil, errors.Join(err, s.Close())
		}
		if db.ReadSQL != nil {
			gate = respcache.NewReplicaGate(cache, db.PrimaryWAL, db.ReplicaReplayed, opts.Log)
			go gate.Run(listenCtx)
		}
	}
	gateway := opts.Payments
	if gateway == nil {
		gateway, s.closeGateway, err = openTestGateway(ctx, db, opts.DatabaseURL)
		if err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	library, err := openMedia(ctx, db, opts)
	if err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.Media = library
	payoutBook := payouts.New(db.Client, queue, recorder, gateway, opts.Log)
	if err := payoutBook.Register(queue); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.Recoverer = orders.NewRecoverer(db.Client, gateway, opts.Log, opts.CompletionLease, opts.CompletionSweep, recorder)
	if err := s.Recoverer.Schedule(queue); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	// The other periodic sweeps: old processed events, expired staged uploads.
	if err := errors.Join(events.NewCleaner(db.Client, opts.EventsRetention).Schedule(queue), library.Schedule(queue)); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	s.Handler = httpapi.New(httpapi.Config{
		RateLimit: limit, CheckoutURL: opts.CheckoutURL, Payments: gateway, OrderStatusURL: opts.OrderStatusURL,
		Log: opts.Log, DB: db, Metrics: metrics, Playground: opts.Playground, Production: opts.Production,
		CORSOrigins: opts.CORSOrigins, Tokens: tokens, Customers: s.Customers, Staff: s.Staff, APIKeys: s.APIKeys,
		StorefrontTokens: s.StorefrontTokens, RefuseAnonymous: opts.RefuseAnonymous,
		Cache: cache, CacheGate: gate, MaxInFlight: opts.MaxInFlight, QueueTimeout: opts.QueueTimeout, RequestTimeout: opts.RequestTimeout,
		MaxComplexity: opts.MaxComplexity,
		BodyGrace:     opts.BodyGrace, BodyMinRate: opts.BodyMinRate, MetricsToken: opts.MetricsToken, NoMetricsRoute: opts.NoMetricsRoute,
		NoAdminUI: opts.NoAdminUI, StripeWebhookSecret: opts.StripeWebhookSecret, Payouts: payoutBook,
		CompletionLease: opts.CompletionLease, Media: library, Events: recorder, Webhooks: hooks, InvoiceLinks: links,
		Live: httpapi.LiveConfig{Hub: hub, PerConn: opts.LivePerConn, IdleTimeout: opts.LiveIdleTimeout,
			WriteTimeout: opts.LiveWriteTimeout, PingInterval: opts.LivePingInterval},
	})
	// Signed invoice downloads need no credentials: the link is the capability.
	root := http.NewServeMux()
	root.Handle("GET "+invoices.Path+"{id}", links.Handler(db.Client, opts.Log))
	root.Handle("/", s.Handler)
	s.Handler = root
	s.Metrics = metrics.Handler()
	return s, nil
}

// openMedia opens the media library: the configured storage, or a directory, with the demo shop's
// pictures laid over it under demo/.
func openMedia(ctx context.Context, db *database.DB, opts Options) (*media.Library, error) {
	store := opts.MediaStorage
	if store == nil && opts.MediaS3 != nil {
		bucket, err := s3store.New(ctx, *opts.MediaS3)
		if err != nil {
			return nil, fmt.Errorf("media bucket: %w", err)
		}
		store = bucket
	}
	if store == nil {
		dir := opts.MediaDir
		if dir == "" {
			dir = "emporium-media"
			if path, _, _ := strings.Cut(strings.TrimPrefix(opts.DatabaseURL, "file:"), "?"); !db.Postgres() && path != "" && !strings.Contains(path, ":memory:") {
				dir = path + "-media"
			}
		}
		disk, err := media.NewDisk(dir)
		if err != nil {
			return nil, err
		}
		store = disk
	}
	public := opts.PublicURL
	if public == "" {
		public = "http://127.0.0.1:8080"
	}
	return media.New(db.Client, &media.Overlay{Base: store, Dir: "demo/", FS: demoimages.FS()}, media.Options{
		PublicURL: public, Fetcher: &media.Fetcher{Allow: opts.MediaFetchAllow}, Log: opts.Log,
	}), nil
}

// loadKeys returns the configured keys, or the development key kept in the database (made on first
// start) outside production.
func loadKeys(ctx context.Context, db *database.DB, opts Options) (*auth.Keyring, error) {
	if len(opts.JWTKeys) > 0 {
		return auth.ParseKeys(opts.JWTKeys)
	}
	if opts.Production {
		return nil, errors.New("production needs signing keys: set EMPORIUM_JWT_KEYS_FILE or EMPORIUM_JWT_KEYS")
	}
	k, err := db.Client.SigningKey.Query().First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return nil, fmt.Errorf("read development signing key: %w", err)
	}
	if k == nil {
		pem, err := auth.GenerateKey()
		if err != nil {
			return nil, err
		}
		if k, err = db.Client.SigningKey.Create().SetPrivatePem(string(pem)).Save(ctx); err != nil {
			return nil, fmt.Errorf("store development signing key: %w", err)
		}
		opts.Log.WarnContext(ctx, "generated a development signing key; configure EMPORIUM_JWT_KEYS_FILE for production")
	}
	return auth.ParseKeys([]byte(k.PrivatePem))
}

func seedIfEmpty(ctx context.Context, db *database.DB, catalog []byte, log *slog.Logger) error {
	empty, err := seed.Empty(ctx, db.Client)
	if err != nil || !empty {
		return err
	}
	f, err := seed.Decode(bytes.NewReader(catalog))
	if err != nil {
		return fmt.Errorf("demo catalog: %w", err)
	}
	if err := seed.Load(ctx, db.Client, f); err != nil {
		return fmt.Errorf("demo catalog: %w", err)
	}
	log.InfoContext(ctx, "loaded the demo shop", "products", len(f.Products), "collections", len(f.Collections))
	return nil
}

// StartJobs works jobs in this process: the outbox's events and the periodic sweeps. Every `emporium
// serve` replica (unless EMPORIUM_JOBS=off) and `emporium worker` call it.
func (s *Service) StartJobs(ctx context.Context) error {
	if err := s.Jobs.Start(ctx); err != nil {
		return err
	}
	s.Recoverer.SweepAfterStart(s.Jobs)
	return nil
}

// StopJobs lets the running jobs finish until ctx ends, then cancels them; it is a no-op if the jobs
// were not started.
func (s *Service) StopJobs(ctx context.Context) error { return s.Jobs.Stop(ctx) }

// Close stops the jobs (waiting up to jobsStopTimeout) and releases the database.
func (s *Service) Close() error {
	if s.stop != nil {
		s.stop()
	}
	var err error
	if s.Jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), jobsStopTimeout)
		err = errors.Join(s.Jobs.Stop(ctx), s.Jobs.Close())
		cancel()
	}
	if s.closeGateway != nil {
		_ = s.closeGateway()
	}
	return errors.Join(err, s.DB.Close())
}

// jobsStopTimeout bounds how long Close waits for running jobs.
const jobsStopTimeout = 10 * time.Second
