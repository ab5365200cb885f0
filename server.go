// Command emporium is a headless GraphQL commerce API: one binary serving storefronts over the Shopify
// Storefront API's shapes, on embedded SQLite or PostgreSQL.
package main

import (
	"cmp"
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/httpapi"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/loadgen"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/media/s3store"
	"github.com/emporium/emporium/netguard"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/service"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/synth"
)

//go:embed testdata/demo-shop.json
var demoCatalog []byte

const usage = `Emporium: a headless GraphQL commerce API.

Usage:
  emporium [serve] [-addr host:port]   serve the API (the default command)
  emporium worker                      work background jobs (events, periodic sweeps) without
                                       serving the API; /healthz on EMPORIUM_WORKER_ADDR if set
  emporium migrate                     bring the database schema up to date, then exit
  emporium seed FILE                   load a catalog file (the format of testdata/demo-shop.json)
  emporium staff create -email E -password P [-name N]
                                       add a staff member who owns the shop (all permissions)
  emporium gen-catalog -products N [-variants V] [-seed S]
                                       add N synthetic products (options, variants, prices, images,
                                       stock, collections) for measuring at scale
  emporium keygen                      print a new Ed25519 signing key (PEM) for EMPORIUM_JWT_KEYS_FILE
  emporium bench [-url U] [-scenario browse,search,deep-page,cart,checkout] [-concurrency 1,16,64]
                 [-duration 30s] [-requests N] [-json FILE]
                                       load a running server through its GraphQL API and report
                                       req/s, p50/p95/p99/max latency and errors per scenario
                                       (emporium bench -help for more)
  emporium --help                      show this help

Flags:
  -addr host:port   listen address (overrides EMPORIUM_ADDR)

Environment:
  EMPORIUM_ADDR            listen address                               127.0.0.1:8080
  EMPORIUM_DATABASE_URL    postgres://… for PostgreSQL, or a SQLite file ./emporium.db
  EMPORIUM_PUBLIC_URL      the URL clients reach this service at; media
                           URLs are given under it                      http://EMPORIUM_ADDR
  EMPORIUM_MEDIA_DIR       where uploaded pictures are kept, when no
                           S3 bucket is configured                      FILE-media beside SQLite
  EMPORIUM_MEDIA_S3_ENDPOINT  keep pictures in an S3-compatible bucket: with
                           _BUCKET, _ACCESS_KEY, _SECRET_KEY, and optionally
                           _REGION, _PREFIX, _INSECURE (plain HTTP)        none
  EMPORIUM_DATABASE_READ_URL
                           postgres://… of a read replica (a streaming hot standby) of
                           the PostgreSQL database: storefront catalog queries read it
  EMPORIUM_DATABASE_LISTEN_URL
                           postgres://… of a direct session for the response cache's
                           LISTEN, when EMPORIUM_DATABASE_URL goes through PgBouncer
                           in transaction mode                          EMPORIUM_DATABASE_URL
  EMPORIUM_DB_MAX_CONNS    PostgreSQL connection pool size (each pool)  20
  EMPORIUM_SEED            load the demo shop into an empty database    true
  EMPORIUM_PLAYGROUND      serve GraphiQL at /                          true (false in production)
  EMPORIUM_ADMIN_UI        serve the staff dashboard at /admin          true
  EMPORIUM_STRIPE_SECRET_KEY
                           take cards through Stripe (sk_…); without it
                           the test gateway                             none
  EMPORIUM_STRIPE_CAPTURE  when Stripe captures an authorization:
                           completion or fulfilment (the first one)     completion
  EMPORIUM_STRIPE_PUBLISHABLE_KEY
                           Stripe.js's key (pk_…), told to storefronts
                           by shop.paymentSettings                      none
  EMPORIUM_STRIPE_WEBHOOK_SECRET
                           verifies Stripe's events at
                           /payments/stripe/webhook (whsec_…)           none
  EMPORIUM_STRIPE_RETURN_URL
                           where Stripe sends the buyer after 3-D Secure none
  EMPORIUM_STRIPE_API_BASE Stripe's API URL (stripe-mock in tests)      https://api.stripe.com
  EMPORIUM_CORS_ORIGINS    origins browsers may call from (comma-
                           separated; * for any)                        *
  EMPORIUM_ENV             development or production (production turns
                           off introspection and field suggestions)     development
  EMPORIUM_LOG_LEVEL       debug, info, warn or error                   info
  EMPORIUM_METRICS_ADDR    serve /metrics (and /debug/pprof/) here only,
                           not on EMPORIUM_ADDR                         none
  EMPORIUM_METRICS_TOKEN   bearer token /metrics requires; in production
                           /metrics is on EMPORIUM_ADDR only with one    none
  EMPORIUM_JWT_KEYS_FILE   PEM file of Ed25519 keys; the first private key signs, the
                           others verify (rotation). Without it (or EMPORIUM_JWT_KEYS, the
                           PEM itself) a development key is kept in the database.
  EMPORIUM_JWT_ISSUER      issuer of access tokens                      emporium
  EMPORIUM_ADMIN_EMAIL     with EMPORIUM_ADMIN_PASSWORD: the first owner, created when
                           the shop has no staff
  EMPORIUM_RESET_URL       storefront page password reset links open    http://localhost:3000/account/reset
  EMPORIUM_CHECKOUT_URL    a cart's checkoutUrl; {cartToken} is replaced http://localhost:3000/checkout/{cartToken}
  EMPORIUM_ORDER_STATUS_URL an order's statusUrl; {token} is replaced  http://localhost:3000/orders/{token}
  EMPORIUM_RATE_LIMIT      per-caller cost bucket, CAPACITY/RESTORE_PER_SECOND, or off
                                                                        4000000/1000000
  EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN
                           the budget of one private storefront token, shared by its
                           buyers, CAPACITY/RESTORE_PER_SECOND          100000000/25000000
  EMPORIUM_STOREFRONT_ANONYMOUS
                           limit (requests without credentials or a storefront token
                           get the per-address bucket) or refuse (401)  limit
  EMPORIUM_MAX_INFLIGHT    GraphQL requests running at once; more wait     pool size
  EMPORIUM_QUEUE_TIMEOUT   how long a request waits for a turn, then 503  500ms
  EMPORIUM_REQUEST_TIMEOUT the longest a request may run                  30s
  EMPORIUM_RESPONSE_CACHE  MiB of anonymous catalog answers kept, or off  64
  EMPORIUM_RESPONSE_CACHE_TTL  the longest an answer is kept; catalog writes
                           empty the cache at once, on every replica     1m
  EMPORIUM_COMPLETION_LEASE  how long a completion may run before another
                           process's recoverer takes it over               30s
  EMPORIUM_COMPLETION_SWEEP  how often the recoverer looks for those       5s
  EMPORIUM_EVENTS_RETENTION  how long processed events are kept (a Go
                           duration; unprocessed ones are never deleted)  720h
  EMPORIUM_JOBS            work background jobs in serve: on or off       on
  EMPORIUM_WORKER_ADDR     where emporium worker serves /healthz          none
  EMPORIUM_WEBHOOK_ALLOW   non-public CIDRs webhook callbacks may reach,
                           comma-separated (e.g. 10.0.0.0/8)              none
  EMPORIUM_LIVE_MAX_PER_CONN  live subscriptions per WebSocket connection  25
  EMPORIUM_LIVE_MAX_PER_CALLER  live subscriptions per caller on a replica 100
  EMPORIUM_LIVE_IDLE_TIMEOUT  close a WebSocket without subscriptions     1m
  EMPORIUM_LIVE_WRITE_TIMEOUT  drop a live client that does not read      10s
  GOGC                     the Go garbage collector's target (Go's own
                           variable; the default here is 400, not 100) 400
  EMPORIUM_SMTP_ADDR       host:port of an SMTP server for emails (else they are logged);
                           with EMPORIUM_SMTP_USERNAME, EMPORIUM_SMTP_PASSWORD, EMPORIUM_SMTP_FROM
  EMPORIUM_EMAIL_TEMPLATES directory of email templates overriding the
                           built-in ones (<lang>/<kind>.tmpl, layout.tmpl) none
  EMPORIUM_STAFF_EMAIL     address the staff's emails (new order, low
                           stock) go to                                   none
`

// defaultGCPercent is the garbage collector's target when GOGC is not set. The live heap of a server is
// small (tens of megabytes, most of it the response cache), and at Go's default of 100 it collects very
// often: at 400, adding to new carts at concurrency 64 went from 2,162 to 2,480 a second, p99 from 50 to
// 45 ms, for a heap of a few hundred megabytes at most.
const defaultGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if err := run(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "emporium:", err)
		os.Exit(1)
	}
}

// config is read from the environment, then flags.
type config struct {
	addr        string
	databaseURL string
	readURL     string
	listenURL   string
	maxConns    int
	seed        bool
	playground  bool
	adminUI     bool
	production  bool
	corsOrigins []string
	logLevel    slog.Level
	jwtKeys     []byte
	issuer      string
	adminEmail  string
	adminPass   string
	resetURL    string
	checkoutURL string
	statusURL   string
	smtp        mail.SMTPSender
	rateCap     float64
	cacheBytes  int
	cacheTTL    time.Duration

	// emailTemplates and staffEmail configure the transactional emails (package emails).
	emailTemplates, staffEmail string
	// invoiceOn and invoiceSecret configure the invoices (package invoices).
	invoiceOn     invoices.Trigger
	invoiceSecret string
	// stripe configures the Stripe provider when its secret key is set; stripeWebhookSecret verifies its events.
	stripe              payments.StripeConfig
	stripeWebhookSecret string

	// metricsAddr serves /metrics on an address of its own; metricsToken makes /metrics require it.
	metricsAddr, metricsToken string

	maxInFlight int
	// livePerConn, livePerCaller, liveIdle and liveWrite are the limits of live subscriptions.
	livePerConn, livePerCaller       int
	liveIdle, liveWrite              time.Duration
	queueTimeout, requestTimeout     time.Duration
	completionLease, completionSweep time.Duration
	eventsRetention                  time.Duration
	rateRestore                      float64
	// tokenCap and tokenRestore size a private storefront token's budget.
	tokenCap, tokenRestore float64
	refuseAnonymous        bool

	// publicURL is where clients reach the service (media URLs are given under it); mediaDir keeps
	// pictures when no bucket is configured.
	publicURL, mediaDir string
	// webhookAllow are the non-public prefixes webhook callbacks may reach.
	webhookAllow []netip.Prefix
	// mediaS3 keeps pictures in a bucket instead.
	mediaS3 *s3store.Config

	// jobs works background jobs in serve; workerAddr is where `emporium worker` serves /healthz.
	jobs       bool
	workerAddr string
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		addr:        cmpOr(getenv("EMPORIUM_ADDR"), "127.0.0.1:8080"),
		databaseURL: cmpOr(getenv("EMPORIUM_DATABASE_URL"), "./emporium.db"),
	}
	var err error
	if c.seed, err = boolEnv(getenv, "EMPORIUM_SEED", true); err != nil {
		return c, err
	}
	switch env := cmpOr(getenv("EMPORIUM_ENV"), "development"); env {
	case "development":
	case "production":
		c.production = true
	default:
		return c, fmt.Errorf("EMPORIUM_ENV must be development or production, not %q", env)
	}
	if c.adminUI, err = boolEnv(getenv, "EMPORIUM_ADMIN_UI", true); err != nil {
		return c, err
	}
	// GraphiQL publishes the schema to anyone: in production only when asked for.
	if c.playground, err = boolEnv(getenv, "EMPORIUM_PLAYGROUND", !c.production); err != nil {
		return c, err
	}
	c.metricsAddr, c.metricsToken = getenv("EMPORIUM_METRICS_ADDR"), getenv("EMPORIUM_METRICS_TOKEN")
	for _, o := range strings.Split(cmpOr(getenv("EMPORIUM_CORS_ORIGINS"), "*"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.corsOrigins = append(c.corsOrigins, o)
		}
	}
	if c.readURL = getenv("EMPORIUM_DATABASE_READ_URL"); c.readURL != "" && !isPostgresURL(c.databaseURL) {
		return c, errors.New("EMPORIUM_DATABASE_READ_URL needs PostgreSQL: set EMPORIUM_DATABASE_URL to a postgres:// URL")
	}
	if c.readURL != "" && !isPostgresURL(c.readURL) {
		return c, errors.New("EMPORIUM_DATABASE_READ_URL must be a postgres:// URL")
	}
	if c.listenURL = getenv("EMPORIUM_DATABASE_LISTEN_URL"); c.listenURL != "" && !isPostgresURL(c.databaseURL) {
		return c, errors.New("EMPORIUM_DATABASE_LISTEN_URL needs PostgreSQL: set EMPORIUM_DATABASE_URL to a postgres:// URL")
	}
	if c.listenURL != "" && !isPostgresURL(c.listenURL) {
		return c, errors.New("EMPORIUM_DATABASE_LISTEN_URL must be a postgres:// URL")
	}
	if v := getenv("EMPORIUM_DB_MAX_CONNS"); v != "" {
		if c.maxConns, err = strconv.Atoi(v); err != nil || c.maxConns <= 0 {
			return c, fmt.Errorf("EMPORIUM_DB_MAX_CONNS must be a positive number, not %q", v)
		}
	}
	c.jwtKeys = []byte(getenv("EMPORIUM_JWT_KEYS"))
	if path := getenv("EMPORIUM_JWT_KEYS_FILE"); path != "" {
		if c.jwtKeys, err = os.ReadFile(path); err != nil {
			return c, fmt.Errorf("EMPORIUM_JWT_KEYS_FILE: %w", err)
		}
	}
	c.issuer = getenv("EMPORIUM_JWT_ISSUER")
	c.adminEmail, c.adminPass = getenv("EMPORIUM_ADMIN_EMAIL"), getenv("EMPORIUM_ADMIN_PASSWORD")
	if (c.adminEmail == "") != (c.adminPass == "") {
		return c, errors.New("set EMPORIUM_ADMIN_EMAIL and EMPORIUM_ADMIN_PASSWORD together")
	}
	c.resetURL = getenv("EMPORIUM_RESET_URL")
	c.emailTemplates, c.staffEmail = getenv("EMPORIUM_EMAIL_TEMPLATES"), getenv("EMPORIUM_STAFF_EMAIL")
	if c.invoiceOn, err = invoices.ParseTrigger(getenv("EMPORIUM_INVOICE_ON")); err != nil {
		return c, err
	}
	c.invoiceSecret = getenv("EMPORIUM_INVOICE_SECRET")
	c.stripe = payments.StripeConfig{SecretKey: getenv("EMPORIUM_STRIPE_SECRET_KEY"), APIBase: getenv("EMPORIUM_STRIPE_API_BASE"),
		ReturnURL: getenv("EMPORIUM_STRIPE_RETURN_URL"), PublishableKey: getenv("EMPORIUM_STRIPE_PUBLISHABLE_KEY")}
	c.stripeWebhookSecret = getenv("EMPORIUM_STRIPE_WEBHOOK_SECRET")
	if c.stripe.SecretKey != "" && !strings.HasPrefix(c.stripe.SecretKey, "sk_") && !strings.HasPrefix(c.stripe.SecretKey, "rk_") {
		return c, errors.New("EMPORIUM_STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_… or rk_…)")
	}
	switch getenv("EMPORIUM_STRIPE_CAPTURE") {
	case "", "completion":
	case "fulfilment", "fulfillment":
		c.stripe.CaptureOnFulfilment = true
	default:
		return c, errors.New("EMPORIUM_STRIPE_CAPTURE must be completion or fulfilment")
	}
	if k := c.stripe.PublishableKey; k != "" && !strings.HasPrefix(k, "pk_") {
		// A secret key here would be handed to every storefront.
		return c, errors.New("EMPORIUM_STRIPE_PUBLISHABLE_KEY must be a Stripe publishable key (pk_…)")
	}
	if c.publicURL = strings.TrimSuffix(getenv("EMPORIUM_PUBLIC_URL"), "/"); c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return c, fmt.Errorf("EMPORIUM_PUBLIC_URL must be an http(s) URL such as https://shop-api.example.com, not %q", c.publicURL)
		}
	}
	c.mediaDir = getenv("EMPORIUM_MEDIA_DIR")
	if s3, ok, err := s3store.ConfigFromEnv(getenv); err != nil {
		return c, err
	} else if ok {
		c.mediaS3 = &s3
	}
	switch v := strings.ToLower(getenv("EMPORIUM_JOBS")); v {
	case "", "on", "true":
		c.jobs = true
	case "off", "false":
	default:
		return c, fmt.Errorf("EMPORIUM_JOBS must be on or off, not %q", v)
	}
	c.workerAddr = getenv("EMPORIUM_WORKER_ADDR")
	if v := getenv("EMPORIUM_WEBHOOK_ALLOW"); v != "" {
		allow, err := netguard.ParsePrefixes(strings.Split(strings.ReplaceAll(v, " ", ""), ","))
		if err != nil {
			return c, fmt.Errorf("EMPORIUM_WEBHOOK_ALLOW: %w", err)
		}
		c.webhookAllow = allow
	}
	c.checkoutURL = getenv("EMPORIUM_CHECKOUT_URL")
	c.statusURL = getenv("EMPORIUM_ORDER_STATUS_URL")
	switch v := getenv("EMPORIUM_RATE_LIMIT"); v {
	case "":
	case "off":
		c.rateCap = -1
	default:
		var ok bool
		if c.rateCap, c.rateRestore, ok = parseBucket(v); !ok {
			return c, fmt.Errorf("EMPORIUM_RATE_LIMIT must be off or CAPACITY/RESTORE_PER_SECOND, not %q", v)
		}
	}
	if v := getenv("EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN"); v != "" {
		var ok bool
		if c.tokenCap, c.tokenRestore, ok = parseBucket(v); !ok {
			return c, fmt.Errorf("EMPORIUM_RATE_LIMIT_PRIVATE_TOKEN must be CAPACITY/RESTORE_PER_SECOND, not %q", v)
		}
	}
	switch v := getenv("EMPORIUM_STOREFRONT_ANONYMOUS"); v {
	case "", "limit":
	case "refuse":
		c.refuseAnonymous = true
	default:
		return c, fmt.Errorf("EMPORIUM_STOREFRONT_ANONYMOUS must be limit or refuse, not %q", v)
	}
	switch v := getenv("EMPORIUM_RESPONSE_CACHE"); v {
	case "":
	case "off":
		c.cacheBytes = -1
	default:
		mib, err := strconv.Atoi(v)
		if err != nil || mib <= 0 {
			return c, fmt.Errorf("EMPORIUM_RESPONSE_CACHE must be a number of MiB or off, not %q", v)
		}
		c.cacheBytes = mib << 20
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"EMPORIUM_LIVE_MAX_PER_CONN", &c.livePerConn}, {"EMPORIUM_LIVE_MAX_PER_CALLER", &c.livePerCaller}} {
		if v := getenv(n.name); v != "" {
			k, err := strconv.Atoi(v)
			if err != nil || k <= 0 {
				return c, fmt.Errorf("%s must be a positive number, not %q", n.name, v)
			}
			*n.to = k
		}
	}
	if v := getenv("EMPORIUM_MAX_INFLIGHT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("EMPORIUM_MAX_INFLIGHT must be a positive number, not %q", v)
		}
		c.maxInFlight = n
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"EMPORIUM_QUEUE_TIMEOUT", &c.queueTimeout}, {"EMPORIUM_REQUEST_TIMEOUT", &c.requestTimeout},
		{"EMPORIUM_COMPLETION_LEASE", &c.completionLease}, {"EMPORIUM_COMPLETION_SWEEP", &c.completionSweep},
		{"EMPORIUM_EVENTS_RETENTION", &c.eventsRetention},
		{"EMPORIUM_LIVE_IDLE_TIMEOUT", &c.liveIdle}, {"EMPORIUM_LIVE_WRITE_TIMEOUT", &c.liveWrite}} {
		if v := getenv(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return c, fmt.Errorf("%s must be a duration such as 500ms, not %q", d.name, v)
			}
			*d.to = t
		}
	}
	if v := getenv("EMPORIUM_RESPONSE_CACHE_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("EMPORIUM_RESPONSE_CACHE_TTL must be a duration such as 30s, not %q", v)
		}
		c.cacheTTL = d
	}
	c.smtp = mail.SMTPSender{Addr: getenv("EMPORIUM_SMTP_ADDR"), Username: getenv("EMPORIUM_SMTP_USERNAME"),
		Password: getenv("EMPORIUM_SMTP_PASSWORD"), From: getenv("EMPORIUM_SMTP_FROM")}
	if err := c.logLevel.UnmarshalText([]byte(cmpOr(getenv("EMPORIUM_LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("EMPORIUM_LOG_LEVEL: %w", err)
	}
	return c, nil
}

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

func boolEnv(getenv func(string) string, name string, def bool) (bool, error) {
	v := getenv(name)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s must be true or false, not %q", name, v)
	}
	return b, nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func run(args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	log := newLogger(cfg.logLevel)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// These subcommands have flags of their own.
	switch cmd {
	case "gen-catalog":
		return genCatalog(ctx, cfg, log, args)
	case "staff":
		return staffCommand(ctx, cfg, log, args)
	case "bench":
		return loadgen.Command(ctx, args, benchURL(cfg.addr), stdout, os.Stderr, log)
	}
	fs := flag.NewFlagSet("emporium", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "listen address")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = io.WriteString(stdout, usage)
			return nil
		}
		return fmt.Errorf("%w\n\n%s", err, usage)
	}

	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "worker":
		return worker(ctx, cfg, log)
	case "migrate":
		db, err := database.Open(ctx, cfg.databaseURL, database.Options{})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Exclusive(ctx, func(ctx context.Context) error { return service.Migrate(ctx, db, log) })
	case "seed":
		if fs.NArg() != 1 {
			return fmt.Errorf("seed takes one catalog file\n\n%s", usage)
		}
		return seedFile(ctx, cfg, log, fs.Arg(0))
	case "keygen":
		key, err := auth.GenerateKey()
		if err != nil {
			return err
		}
		_, err = stdout.Write(key)
		return err
	case "help":
		_, _ = io.WriteString(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
}

// benchURL is the GraphQL endpoint of a server listening on addr; a wildcard host is reached on loopback.
func benchURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/graphql"
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/graphql"
}

func newLogger(level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(os.Stderr, opts)
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		h = slog.NewTextHandler(os.Stderr, opts)
	}
	return slog.New(httpapi.LogHandler{Handler: h})
}

func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	opts := serviceOptions(cfg, log)
	if cfg.seed {
		opts.DemoCatalog = demoCatalog
	}
	svc, err := service.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	// Background jobs (the outbox's events, the completion recoverer's sweeps) run in every replica
	// unless EMPORIUM_JOBS=off leaves them to `emporium worker`.
	if cfg.jobs {
		if err := svc.StartJobs(ctx); err != nil {
			return err
		}
	}

	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           svc.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// Past the request timeout, so that a timed-out request still gets its answer.
		WriteTimeout: cmp.Or(cfg.requestTimeout, httpapi.DefaultRequestTimeout) + cfg.queueTimeout + 10*time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()
	if cfg.metricsAddr != "" {
		metricsSrv := &http.Server{Addr: cfg.metricsAddr, Handler: metricsMux(cfg.metricsToken, svc.Metrics),
			ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { errc <- metricsSrv.ListenAndServe() }()
		defer metricsSrv.Close()
		log.Info("serving metrics", "addr", "http://"+cfg.metricsAddr+"/metrics")
	}
	log.Info("serving", "addr", "http://"+cfg.addr, "graphql", "http://"+cfg.addr+"/graphql", "database", svc.DB.Dialect,
		"read_replica", svc.DB.ReadSQL != nil)

	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests and running jobs")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// Requests and jobs drain together, within one deadline.
	jobsStopped := make(chan error, 1)
	go func() { jobsStopped <- svc.StopJobs(shutdownCtx) }()
	err = srv.Shutdown(shutdownCtx)
	if jobsErr := <-jobsStopped; jobsErr != nil {
		log.Warn("stopping jobs", "err", jobsErr)
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// shutdownTimeout bounds draining on SIGTERM: in-flight requests and running jobs.
const shutdownTimeout = 20 * time.Second

// worker runs `emporium worker`: the background jobs of serve, without the API, for shops that scale
// the two apart. It answers /healthz on EMPORIUM_WORKER_ADDR when set.
func worker(ctx context.Context, cfg config, log *slog.Logger) error {
	opts := serviceOptions(cfg, log)
	if cfg.seed {
		opts.DemoCatalog = demoCatalog
	}
	svc, err := service.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.StartJobs(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	if cfg.workerAddr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
			if err := svc.DB.Ping(r.Context()); err != nil {
				http.Error(w, "database unavailable", http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, "ok\n")
		})
		health := &http.Server{Addr: cfg.workerAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		go func() { errc <- health.ListenAndServe() }()
		defer health.Close()
	}
	log.Info("working jobs", "database", svc.DB.Dialect, "healthz", cfg.workerAddr)
	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: letting running jobs finish")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := svc.StopJobs(stopCtx); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// metricsMux serves /metrics, and Go's profiles under /debug/pprof/ so that operators can profile a
// production process, on the metrics address only (never the public one), behind the same token.
func metricsMux(token string, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", httpapi.RequireToken(token, metrics))
	for path, h := range map[string]http.HandlerFunc{
		"/debug/pprof/": pprof.Index, "/debug/pprof/cmdline": pprof.Cmdline, "/debug/pprof/profile": pprof.Profile,
		"/debug/pprof/symbol": pprof.Symbol, "/debug/pprof/trace": pprof.Trace,
	} {
		mux.Handle(path, httpapi.RequireToken(token, h))
	}
	return mux
}

func seedFile(ctx context.Context, cfg config, log *slog.Logger, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	catalog, err := seed.Decode(f)
	if err != nil {
		return err
	}
	db, err := database.Open(ctx, cfg.databaseURL, database.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.Exclusive(ctx, func(ctx context.Context) error {
		if err := service.Migrate(ctx, db, log); err != nil {
			return err
		}
		return seed.Load(ctx, db.Client, catalog)
	})
	if err != nil {
		return err
	}
	log.Info("catalog loaded", "file", path, "products", len(catalog.Products), "collections", len(catalog.Collections))
	return nil
}

// parseBucket reads a bucket's size, CAPACITY/RESTORE_PER_SECOND, both positive.
func parseBucket(v string) (capacity, restore float64, ok bool) {
	c, r, ok := strings.Cut(v, "/")
	var err1, err2 error
	capacity, err1 = strconv.ParseFloat(c, 64)
	restore, err2 = strconv.ParseFloat(r, 64)
	return capacity, restore, ok && err1 == nil && err2 == nil && capacity > 0 && restore > 0
}

func serviceOptions(cfg config, log *slog.Logger) service.Options {
	opts := service.Options{
		DatabaseURL: cfg.databaseURL, DatabaseReadURL: cfg.readURL, DatabaseListenURL: cfg.listenURL, MaxDBConns: cfg.maxConns, Log: log,
		Playground: cfg.playground, Production: cfg.production, CORSOrigins: cfg.corsOrigins, NoAdminUI: !cfg.adminUI,
		JWTKeys: cfg.jwtKeys, Issuer: cfg.issuer, ResetURL: cfg.resetURL, CheckoutURL: cfg.checkoutURL, OrderStatusURL: cfg.statusURL,
		AdminEmail: cfg.adminEmail, AdminPassword: cfg.adminPass,
		RateCapacity: cfg.rateCap, RestoreRate: cfg.rateRestore,
		TokenRateCapacity: cfg.tokenCap, TokenRestoreRate: cfg.tokenRestore, RefuseAnonymous: cfg.refuseAnonymous,
		ResponseCacheBytes: cfg.cacheBytes, ResponseCacheTTL: cfg.cacheTTL,
		MaxInFlight: cfg.maxInFlight, QueueTimeout: cfg.queueTimeout, RequestTimeout: cfg.requestTimeout,
		LivePerConn: cfg.livePerConn, LivePerCaller: cfg.livePerCaller, LiveIdleTimeout: cfg.liveIdle, LiveWriteTimeout: cfg.liveWrite,
		MetricsToken: cfg.metricsToken,
		// Metrics tell anyone the shop's traffic: in production they are served on the API's address only
		// behind a token, and otherwise on EMPORIUM_METRICS_ADDR (meant for the monitoring network) alone.
		NoMetricsRoute:  cfg.metricsAddr != "" || (cfg.production && cfg.metricsToken == ""),
		CompletionLease: cfg.completionLease, CompletionSweep: cfg.completionSweep, EventsRetention: cfg.eventsRetention,
		PublicURL: cmpOr(cfg.publicURL, publicURLOf(cfg.addr)), MediaDir: cfg.mediaDir, MediaS3: cfg.mediaS3, WebhookAllow: cfg.webhookAllow,
		EmailTemplates: cfg.emailTemplates, StaffEmail: cfg.staffEmail,
		InvoiceOn: cfg.invoiceOn, InvoiceLinkSecret: []byte(cfg.invoiceSecret),
		StripeWebhookSecret: cfg.stripeWebhookSecret,
	}
	if cfg.stripe.SecretKey != "" {
		opts.Payments = payments.NewStripe(cfg.stripe)
	}
	if cfg.smtp.Addr != "" {
		opts.Mailer = cfg.smtp
	}
	return opts
}

// publicURLOf is the URL of a listen address, for development: production sets EMPORIUM_PUBLIC_URL.
func publicURLOf(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// staffCommand runs "emporium staff create".
func staffCommand(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: emporium staff create -email E -password P [-name N]")
	}
	fs := flag.NewFlagSet("staff create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "email")
	password := fs.String("password", "", "password (12 characters or more)")
	name := fs.String("name", "", "name")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("staff create: %w", err)
	}
	svc, err := service.Open(ctx, serviceOptions(cfg, log))
	if err != nil {
		return err
	}
	defer svc.Close()
	m, errs, err := svc.Staff.Create(ctx, staff.CreateInput{Email: *email, Password: *password, Name: *name, Owner: true})
	if err != nil {
		return err
	}
	if errs.Any() {
		return fmt.Errorf("staff create: %s", errs[0].Message)
	}
	log.Info("staff member created", "email", m.Email, "owner", m.Owner)
	return nil
}

// genCatalog runs "emporium gen-catalog".
func genCatalog(ctx context.Context, cfg config, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("gen-catalog", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	products := fs.Int("products", 0, "how many products")
	seedValue := fs.Uint64("seed", 1, "random seed, for a reproducible catalog")
	variants := fs.Int("variants", 0, "variants per product, 1 to 6 (default: 1 to 12 at random)")
	if err := fs.Parse(args); err != nil || *products <= 0 {
		return fmt.Errorf("usage: emporium gen-catalog -products N [-variants V] [-seed S]")
	}
	opts := serviceOptions(cfg, log)
	if cfg.seed {
		opts.DemoCatalog = demoCatalog
	}
	svc, err := service.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer svc.Close()
	progress := newProgress(os.Stderr, log)
	stats, err := synth.Generate(ctx, svc.DB, synth.Options{Products: *products, Seed: *seedValue, Variants: *variants, Progress: progress})
	if err != nil {
		return err
	}
	log.Info("synthetic catalog written", "products", stats.Products, "variants", stats.Variants, "images", stats.Images,
		"collections", stats.Collections, "seconds", stats.Elapsed.Seconds(),
		"products_per_second", int(float64(stats.Products)/stats.Elapsed.Seconds()))
	return nil
}

// newProgress draws a progress bar with the rate on a terminal, and logs every tenth otherwise.
func newProgress(w *os.File, log *slog.Logger) func(done, total int) {
	start := time.Now()
	fi, err := w.Stat()
	terminal := err == nil && fi.Mode()&os.ModeCharDevice != 0
	lastTenth := 0
	return func(done, total int) {
		rate := float64(done) / time.Since(start).Seconds()
		if terminal {
			const width = 30
			filled := done * width / total
			fmt.Fprintf(w, "\r[%s%s] %3d%% %d/%d products, %.0f/s ", strings.Repeat("#", filled), strings.Repeat(" ", width-filled),
				done*100/total, done, total, rate)
			if done == total {
				fmt.Fprintln(w)
			}
			return
		}
		if tenth := done * 10 / total; tenth > lastTenth || done == total {
			lastTenth = tenth
			log.Info("generating", "done", done, "total", total, "products_per_second", int(rate))
		}
	}
}
