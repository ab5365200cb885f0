// Package graph holds the GraphQL resolvers. They authorise, call one domain function or one query, and
// map errors; rules live in the domain packages.
package graph

import (
	"github.com/emporium/emporium/apikeys"
	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/inventory"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/realtime"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/storefronttokens"
	"github.com/emporium/emporium/tax"
	"github.com/emporium/emporium/webhooks"
	"log/slog"
)

//go:generate go run github.com/99designs/gqlgen generate

// Resolver is the root resolver; its dependencies come in through NewResolver.
type Resolver struct {
	client       *ent.Client
	catalog      *catalog.Catalog
	customers    *customers.Service
	staff        *staff.Service
	apiKeys      *apikeys.Service
	sfTokens     *storefronttokens.Service
	inventory    *inventory.Service
	carts        *carts.Service
	tax          tax.Provider
	discounts    *discounts.Service
	orders       *orders.Service
	media        *media.Library
	webhooks     *webhooks.Service
	invoiceLinks *invoices.Links
	// stripePublishableKey is Stripe's public key, or empty.
	stripePublishableKey string
	// paymentProvider and captureOnFulfilment describe the payment gateway to staff.
	paymentProvider     string
	captureOnFulfilment bool
	live                *realtime.Hub
	// shared are the loaders public live subscriptions share between two changes (live.go).
	shared liveShared
	log    *slog.Logger
}

// Services are the domain services resolvers call.
type Services struct {
	Catalog   *catalog.Catalog
	Customers *customers.Service
	Staff     *staff.Service
	APIKeys   *apikeys.Service
	// StorefrontTokens manages storefront access tokens.
	StorefrontTokens *storefronttokens.Service
	Inventory        *inventory.Service
	Carts            *carts.Service
	// Tax computes tax; the built-in tables by default.
	Tax       tax.Provider
	Discounts *discounts.Service
	Orders    *orders.Service
	// Media stores, transforms and serves pictures.
	Media *media.Library
	// Webhooks manages webhook subscriptions and their deliveries.
	Webhooks *webhooks.Service
	// InvoiceLinks signs the download links of invoices and credit notes.
	InvoiceLinks *invoices.Links
	// StripePublishableKey is told to storefronts when the shop takes cards through Stripe.
	StripePublishableKey string
	// PaymentProvider names the payment gateway; CaptureOnFulfilment tells when it captures.
	PaymentProvider     string
	CaptureOnFulfilment bool
	// Live carries committed changes to live subscriptions; without it subscriptions are refused.
	Live *realtime.Hub
	Log  *slog.Logger
}

// NewResolver returns the root resolver.
func NewResolver(client *ent.Client, s Services) *Resolver {
	return &Resolver{client: client, catalog: s.Catalog, customers: s.Customers, staff: s.Staff, apiKeys: s.APIKeys,
		sfTokens: s.StorefrontTokens, inventory: s.Inventory, carts: s.Carts, tax: s.Tax,
		discounts: s.Discounts, orders: s.Orders, media: s.Media, webhooks: s.Webhooks, live: s.Live, log: s.Log,
		invoiceLinks: s.InvoiceLinks, stripePublishableKey: s.StripePublishableKey,
		paymentProvider: s.PaymentProvider, captureOnFulfilment: s.CaptureOnFulfilment}
}
