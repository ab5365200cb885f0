// Package loaders holds the per-request dataloaders that batch every nested look-up of a GraphQL request
// into one statement per kind, so the statements a request issues do not grow with page size.
package loaders

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/pagination"
)

// wait is how long a loader collects keys before it runs its batch. Resolvers of one level run
// concurrently and ask within microseconds of each other, so a short wait batches them all.
const wait = 250 * time.Microsecond

// Loaders are one request's dataloaders.
type Loaders struct {
	Product            *Batch[*ent.Product]
	Variant            *Batch[*ent.ProductVariant]
	Image              *Batch[*ent.Image]
	Collection         *Batch[*ent.Collection]
	Page               *Batch[*ent.Page]
	Option             *Batch[*ent.ProductOption]
	VariantsByProduct  *Batch[[]*ent.ProductVariant]
	OptionsByProduct   *Batch[[]*ent.ProductOption]
	ImagesByProduct    *Batch[[]*ent.Image]
	PricesByVariant    *Batch[[]*ent.VariantPrice]
	StockByVariant     *Batch[int]
	CollectionsByProd  *Batch[[]*ent.Collection]
	MenuItemsByMenu    *Batch[[]*ent.MenuItem]
	CollectionProducts *dataloader.Loader[CollectionProductsKey, catalog.Page[*ent.Product]]
	Orders             OrderLoaders
	// WebhookAttempts are the attempts of webhook deliveries, newest first, by delivery ID.
	WebhookAttempts *Batch[[]*ent.WebhookDeliveryAttempt]

	memoMu sync.Mutex
	memo   map[string]*memoEntry

	shopOnce sync.Once
	shop     *ent.Shop
	shopErr  error
	client   *ent.Client
	catalog  *catalog.Catalog
}

// CollectionProductsKey asks for one page of one collection's products.
type CollectionProductsKey struct {
	Collection *ent.Collection
	Query      ProductsArgs
}

// ProductsArgs is the comparable form of a collection's products arguments.
type ProductsArgs struct {
	First, Last   int // -1 when absent
	After, Before string
	Reverse       bool
	SortKey       string
}

// NewProductsArgs turns connection arguments into a loader key part.
func NewProductsArgs(a pagination.Args, sortKey string) ProductsArgs {
	if sortKey == "" {
		sortKey = "COLLECTION_DEFAULT"
	}
	k := ProductsArgs{First: -1, Last: -1, Reverse: a.Reverse, SortKey: sortKey}
	if a.First != nil {
		k.First = *a.First
	}
	if a.Last != nil {
		k.Last = *a.Last
	}
	if a.After != nil {
		k.After = *a.After
	}
	if a.Before != nil {
		k.Before = *a.Before
	}
	return k
}

func (k ProductsArgs) query() catalog.CollectionProductsQuery {
	q := catalog.CollectionProductsQuery{SortKey: k.SortKey, Args: pagination.Args{Reverse: k.Reverse}}
	if k.First >= 0 {
		q.Args.First = &k.First
	}
	if k.Last >= 0 {
		q.Args.Last = &k.Last
	}
	if k.After != "" {
		q.Args.After = &k.After
	}
	if k.Before != "" {
		q.Args.Before = &k.Before
	}
	return q
}

// New creates the loaders for one request.
func New(client *ent.Client, c *catalog.Catalog) *Loaders {
	return &Loaders{
		client:            client,
		catalog:           c,
		Product:           newLoader(c.ProductsByID),
		Variant:           newLoader(c.VariantsByID),
		Image:             newLoader(c.ImagesByID),
		Collection:        newLoader(c.CollectionsByID),
		Page:              newLoader(c.PagesByID),
		Option:            newLoader(c.OptionsByID),
		VariantsByProduct: newLoader(c.VariantsByProduct),
		OptionsByProduct:  newLoader(c.OptionsByProduct),
		ImagesByProduct:   newLoader(c.ImagesByProduct),
		PricesByVariant:   newLoader(c.PricesByVariant),
		StockByVariant:    newLoader(c.StockByVariant),
		CollectionsByProd: newLoader(c.CollectionsByProduct),
		MenuItemsByMenu:   newLoader(c.MenuItemsByMenu),
		Orders:            newOrderLoaders(client),
		WebhookAttempts:   newWebhookAttempts(client),
		CollectionProducts: dataloader.NewBatchedLoader(func(ctx context.Context, keys []CollectionProductsKey) []*dataloader.Result[catalog.Page[*ent.Product]] {
			// One windowed query per distinct argument set: in practice, one.
			byArgs := map[ProductsArgs][]int{}
			for i, k := range keys {
				byArgs[k.Query] = append(byArgs[k.Query], i)
			}
			results := make([]*dataloader.Result[catalog.Page[*ent.Product]], len(keys))
			for args, idx := range byArgs {
				cols := make([]*ent.Collection, len(idx))
				for j, i := range idx {
					cols[j] = keys[i].Collection
				}
				pages, err := c.CollectionProducts(ctx, cols, args.query())
				for _, i := range idx {
					results[i] = &dataloader.Result[catalog.Page[*ent.Product]]{Data: pages[keys[i].Collection.ID], Error: err}
				}
			}
			return results
		}, dataloader.WithWait[CollectionProductsKey, catalog.Page[*ent.Product]](wait)),
	}
}

// Batch is a dataloader keyed by ID over a batch function that returns what exists by key; a missing key
// yields the zero value (nil, or an empty list), not an error.
type Batch[V any] struct {
	*dataloader.Loader[int, V]
	fetch func(context.Context, []int) (map[int]V, error)

	mu         sync.Mutex
	prefetched map[int]bool
}

func newLoader[V any](fetch func(context.Context, []int) (map[int]V, error)) *Batch[V] {
	l := dataloader.NewBatchedLoader(func(ctx context.Context, keys []int) []*dataloader.Result[V] {
		found, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			results[i] = &dataloader.Result[V]{Data: found[k], Error: err}
		}
		return results
	}, dataloader.WithWait[int, V](wait), dataloader.WithBatchCapacity[int, V](1000))
	return &Batch[V]{Loader: l, fetch: fetch, prefetched: map[int]bool{}}
}

// Prefetch reads keys with one call of the batch function and primes the cache with the results, so that
// later loads of these keys cost nothing. Unlike LoadMany, whose keys reach the batcher one goroutine at
// a time and may straddle two batch windows, it always costs one statement, or none when every key was
// prefetched before.
func (b *Batch[V]) Prefetch(ctx context.Context, keys []int) (map[int]V, error) {
	b.mu.Lock()
	var missing []int
	for _, k := range keys {
		if !b.prefetched[k] {
			missing = append(missing, k)
		}
	}
	b.mu.Unlock()
	found := make(map[int]V, len(keys))
	if len(missing) > 0 {
		fetched, err := b.fetch(ctx, missing)
		if err != nil {
			return nil, err
		}
		b.mu.Lock()
		for _, k := range missing {
			b.Prime(ctx, k, fetched[k])
			b.prefetched[k] = true
		}
		b.mu.Unlock()
	}
	for _, k := range keys {
		if v, err := b.Load(ctx, k)(); err == nil {
			found[k] = v
		}
	}
	return found, nil
}

// Seed primes the loader with values known already, which later loads and prefetches then take.
func (b *Batch[V]) Seed(ctx context.Context, known map[int]V) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, v := range known {
		if !b.prefetched[k] {
			b.Prime(ctx, k, v)
			b.prefetched[k] = true
		}
	}
}

// SeedSales primes the variant, price and stock loaders with the sale data the catalog holds for ids,
// so that pricing a cart of well-known variants reads nothing.
func (l *Loaders) SeedSales(ctx context.Context, ids []int) {
	known := l.catalog.KnownSales(ids)
	if len(known) == 0 {
		return
	}
	variants := make(map[int]*ent.ProductVariant, len(known))
	prices := make(map[int][]*ent.VariantPrice, len(known))
	stock := make(map[int]int, len(known))
	products := make(map[int]*ent.Product, len(known))
	for id, s := range known {
		variants[id], prices[id], stock[id] = s.Variant, s.Variant.Edges.Prices, s.Stock
		products[s.Variant.ProductID] = s.Variant.Edges.Product
	}
	l.Product.Seed(ctx, products)
	l.Variant.Seed(ctx, variants)
	l.PricesByVariant.Seed(ctx, prices)
	l.StockByVariant.Seed(ctx, stock)
}

// PrefetchCollectionProducts reads one page of products for each of cols with one windowed query and
// primes the loader with them, so that the collections' products fields cost nothing more.
func (l *Loaders) PrefetchCollectionProducts(ctx context.Context, cols []*ent.Collection, args ProductsArgs) ([]*ent.Product, error) {
	pages, err := l.catalog.CollectionProducts(ctx, cols, args.query())
	if err != nil {
		return nil, err
	}
	var products []*ent.Product
	for _, c := range cols {
		page := pages[c.ID]
		l.CollectionProducts.Prime(ctx, CollectionProductsKey{Collection: c, Query: args}, page)
		products = append(products, page.Rows...)
	}
	return products, nil
}

type memoEntry struct {
	once  sync.Once
	value any
	err   error
}

// Memo computes fn once per request for key; concurrent callers wait for the first.
func (l *Loaders) Memo(key string, fn func() (any, error)) (any, error) {
	l.memoMu.Lock()
	if l.memo == nil {
		l.memo = map[string]*memoEntry{}
	}
	e := l.memo[key]
	if e == nil {
		e = &memoEntry{}
		l.memo[key] = e
	}
	l.memoMu.Unlock()
	e.once.Do(func() { e.value, e.err = fn() })
	return e.value, e.err
}

// Discounts returns the shop's active discounts, read once per request.
func (l *Loaders) Discounts(ctx context.Context) ([]*ent.Discount, error) {
	v, err := l.Memo("discounts", func() (any, error) { return l.catalog.ActiveDiscounts(ctx) })
	if err != nil {
		return nil, err
	}
	return v.([]*ent.Discount), nil
}

// ShippingZones returns the shop's shipping zones with their rates, read once per request.
func (l *Loaders) ShippingZones(ctx context.Context) ([]*ent.ShippingZone, error) {
	v, err := l.Memo("shipping-zones", func() (any, error) { return l.catalog.ShippingZones(ctx) })
	if err != nil {
		return nil, err
	}
	return v.([]*ent.ShippingZone), nil
}

// Shop returns the shop settings, read once per request.
func (l *Loaders) Shop(ctx context.Context) (*ent.Shop, error) {
	l.shopOnce.Do(func() { l.shop, l.shopErr = l.catalog.Shop(ctx, l.client) })
	return l.shop, l.shopErr
}

type ctxKey struct{}

// Middleware gives each request its own loaders.
func Middleware(client *ent.Client, c *catalog.Catalog, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), ctxKey{}, New(client, c))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// For returns the request's loaders.
func For(ctx context.Context) *Loaders {
	if l, ok := ctx.Value(ctxKey{}).(*lazy); ok {
		l.once.Do(func() { l.l = l.get() })
		return l.l
	}
	return ctx.Value(ctxKey{}).(*Loaders)
}

// lazy are loaders chosen when first asked for.
type lazy struct {
	once sync.Once
	get  func() *Loaders
	l    *Loaders
}

// WithLazy returns ctx carrying the loaders get returns when first asked for: a live subscription's
// value picks them once it has been read, which is after the change it answers was published.
func WithLazy(ctx context.Context, get func() *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, &lazy{get: get})
}

// With returns ctx carrying l, for work outside a request's own loaders (each value of a live
// subscription).
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}
