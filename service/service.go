// Package service wires Emporium together: it opens and prepares the database and builds the HTTP
// handler. The command and the integration tests start the service the same way through it.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/httpapi"
	"github.com/emporium/emporium/seed"
)

// Options configure the service.
type Options struct {
	DatabaseURL string
	// DemoCatalog is loaded on the first start of an empty database; nil to start empty.
	DemoCatalog []byte
	MaxDBConns  int
	Playground  bool
	Production  bool
	// CORSOrigins lists the origins browsers may call from; empty means any.
	CORSOrigins []string
	Log         *slog.Logger
}

// Service is a prepared database and the HTTP handler that serves it.
type Service struct {
	DB      *database.DB
	Handler http.Handler
}

// Open connects, migrates, seeds an empty database with the demo catalog when asked, and builds the
// handler.
func Open(ctx context.Context, opts Options) (*Service, error) {
	metrics := httpapi.NewMetrics(prometheus.NewRegistry())
	db, err := database.Open(ctx, opts.DatabaseURL, database.Options{MaxOpenConns: opts.MaxDBConns, OnStatement: metrics.ObserveStatement})
	if err != nil {
		return nil, err
	}
	err = db.Exclusive(ctx, func(ctx context.Context) error {
		if err := db.Migrate(ctx, opts.Log); err != nil {
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
	handler := httpapi.New(httpapi.Config{
		Log: opts.Log, DB: db, Metrics: metrics, Playground: opts.Playground, Production: opts.Production,
		CORSOrigins: opts.CORSOrigins,
	})
	return &Service{DB: db, Handler: handler}, nil
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

// Close releases the database.
func (s *Service) Close() error { return s.DB.Close() }
