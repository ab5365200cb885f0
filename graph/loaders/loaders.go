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
	Product            *dataloader.Loader[int, *ent.Product]
	Variant            *dataloader.Loader[int, *ent.ProductVariant]
	Image              *dataloader.Loader[int, *ent.Image]
	Collection         *dataloader.Loader[int, *ent.Collection]
	Page               *dataloader.Loader[int, *ent.Page]
	Option             *dataloader.Loader[int, *ent.ProductOption]
	VariantsByProduct  *dataloader.Loader[int, []*ent.ProductVariant]
	OptionsByProduct   *dataloader.Loader[int, []*ent.ProductOption]
	ImagesByProduct    *dataloader.Loader[int, []*ent.Image]
	PricesByVariant    *dataloader.Loader[int, []*ent.VariantPrice]
	StockByVariant     *dataloader.Loader[int, int]
	CollectionsByProd  *dataloader.Loader[int, []*ent.Collection]
	MenuItemsByMenu    *dataloader.Loader[int, []*ent.MenuItem]
	CollectionProducts *dataloader.Loader[CollectionProductsKey, catalog.Page[*ent.Product]]

	shopOnce sync.Once
	shop     *ent.Shop
	shopErr  error
	client   *ent.Client
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

// newLoader makes a loader from a batch function that returns what exists by key; a missing key yields
// the zero value (nil, or an empty list), not an error.
func newLoader[V any](fetch func(context.Context, []int) (map[int]V, error)) *dataloader.Loader[int, V] {
	return dataloader.NewBatchedLoader(func(ctx context.Context, keys []int) []*dataloader.Result[V] {
		found, err := fetch(ctx, keys)
		results := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			results[i] = &dataloader.Result[V]{Data: found[k], Error: err}
		}
		return results
	}, dataloader.WithWait[int, V](wait), dataloader.WithBatchCapacity[int, V](1000))
}

// Shop returns the shop settings, read once per request.
func (l *Loaders) Shop(ctx context.Context) (*ent.Shop, error) {
	l.shopOnce.Do(func() { l.shop, l.shopErr = l.client.Shop.Query().First(ctx) })
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
	return ctx.Value(ctxKey{}).(*Loaders)
}
