// Command emporium is a headless GraphQL commerce API: one binary serving storefronts over the Shopify
// Storefront API's shapes, on embedded SQLite or PostgreSQL.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/httpapi"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/service"
)

//go:embed testdata/demo-shop.json
var demoCatalog []byte

const usage = `Emporium: a headless GraphQL commerce API.

Usage:
  emporium [serve] [-addr host:port]   serve the API (the default command)
  emporium migrate                     bring the database schema up to date, then exit
  emporium seed FILE                   load a catalog file (the format of testdata/demo-shop.json)
  emporium --help                      show this help

Flags:
  -addr host:port   listen address (overrides EMPORIUM_ADDR)

Environment:
  EMPORIUM_ADDR            listen address                               127.0.0.1:8080
  EMPORIUM_DATABASE_URL    postgres://… for PostgreSQL, or a SQLite file ./emporium.db
  EMPORIUM_DB_MAX_CONNS    PostgreSQL connection pool size              20
  EMPORIUM_SEED            load the demo shop into an empty database    true
  EMPORIUM_PLAYGROUND      serve GraphiQL at /                          true
  EMPORIUM_CORS_ORIGINS    origins browsers may call from (comma-
                           separated; * for any)                        *
  EMPORIUM_ENV             development or production (production turns
                           off introspection and field suggestions)     development
  EMPORIUM_LOG_LEVEL       debug, info, warn or error                   info
`

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "emporium:", err)
		os.Exit(1)
	}
}

// config is read from the environment, then flags.
type config struct {
	addr        string
	databaseURL string
	maxConns    int
	seed        bool
	playground  bool
	production  bool
	corsOrigins []string
	logLevel    slog.Level
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
	if c.playground, err = boolEnv(getenv, "EMPORIUM_PLAYGROUND", true); err != nil {
		return c, err
	}
	switch env := cmpOr(getenv("EMPORIUM_ENV"), "development"); env {
	case "development":
	case "production":
		c.production = true
	default:
		return c, fmt.Errorf("EMPORIUM_ENV must be development or production, not %q", env)
	}
	for _, o := range strings.Split(cmpOr(getenv("EMPORIUM_CORS_ORIGINS"), "*"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.corsOrigins = append(c.corsOrigins, o)
		}
	}
	if v := getenv("EMPORIUM_DB_MAX_CONNS"); v != "" {
		if c.maxConns, err = strconv.Atoi(v); err != nil || c.maxConns <= 0 {
			return c, fmt.Errorf("EMPORIUM_DB_MAX_CONNS must be a positive number, not %q", v)
		}
	}
	if err := c.logLevel.UnmarshalText([]byte(cmpOr(getenv("EMPORIUM_LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("EMPORIUM_LOG_LEVEL: %w", err)
	}
	return c, nil
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
	log := newLogger(cfg.logLevel)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		return serve(ctx, cfg, log)
	case "migrate":
		db, err := database.Open(ctx, cfg.databaseURL, database.Options{})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Exclusive(ctx, func(ctx context.Context) error { return db.Migrate(ctx, log) })
	case "seed":
		if fs.NArg() != 1 {
			return fmt.Errorf("seed takes one catalog file\n\n%s", usage)
		}
		return seedFile(ctx, cfg, log, fs.Arg(0))
	case "help":
		_, _ = io.WriteString(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
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
	opts := service.Options{
		DatabaseURL: cfg.databaseURL, MaxDBConns: cfg.maxConns, Log: log,
		Playground: cfg.playground, Production: cfg.production, CORSOrigins: cfg.corsOrigins,
	}
	if cfg.seed {
		opts.DemoCatalog = demoCatalog
	}
	svc, err := service.Open(ctx, opts)
	if err != nil {
		return err
	}
	defer svc.Close()

	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           svc.Handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+cfg.addr, "graphql", "http://"+cfg.addr+"/graphql", "database", svc.DB.Dialect)

	select {
	case err := <-errc:
		return fmt.Errorf("listen: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
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
		if err := db.Migrate(ctx, log); err != nil {
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
