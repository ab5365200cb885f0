package catalog

import (
	"context"
	"fmt"
	"strconv"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// ProductQuery asks for one page of the storefront's products.
type ProductQuery struct {
	Args    pagination.Args
	SortKey string // a ProductSortKeys value; "" means ID
	Search  string // Shopify search syntax
	// Currency is the buyer's currency, used by variants.price filters; ShopCurrency the shop's default.
	Currency, ShopCurrency string
}

// visible restricts a product selector to what the storefront may show.
func (c *Catalog) visible(s *sql.Selector) {
	s.Where(sql.And(
		sql.EQ(s.C(product.FieldStatus), product.StatusACTIVE),
		sql.NotNull(s.C(product.FieldPublishedAt)),
		sql.LTE(s.C(product.FieldPublishedAt), c.now()),
	))
}

// productOrder returns the keyset order for a ProductSortKeys value. rank is the relevance expression of
// the search, nil without free text.
func (c *Catalog) productOrder(s *sql.Selector, key string, rank func(*sql.Builder)) (keyset.Order, error) {
	str := func(f func(*ent.Product) string) func(any) (string, error) {
		return func(r any) (string, error) { return f(r.(*ent.Product)), nil }
	}
	switch key {
	case "", "ID":
		return keyset.Order{Key: "ID"}, nil
	case "TITLE":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldTitle), Kind: keyset.String,
			Value: str(func(p *ent.Product) string { return p.Title })}, nil
	case "PRODUCT_TYPE":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldProductType), Kind: keyset.String,
			Value: str(func(p *ent.Product) string { return p.ProductType })}, nil
	case "VENDOR":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldVendor), Kind: keyset.String,
			Value: str(func(p *ent.Product) string { return p.Vendor })}, nil
	case "PRICE":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldMinPrice), Kind: keyset.Int,
			Value: str(func(p *ent.Product) string { return strconv.FormatInt(p.MinPrice, 10) })}, nil
	case "BEST_SELLING":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldSalesCount), Desc: true, Kind: keyset.Int,
			Value: str(func(p *ent.Product) string { return strconv.FormatInt(p.SalesCount, 10) })}, nil
	case "CREATED_AT", "CREATED":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldCreatedAt), Kind: keyset.Time,
			Value: str(func(p *ent.Product) string { return keyset.FormatTime(p.CreatedAt) })}, nil
	case "UPDATED_AT":
		return keyset.Order{Key: key, Expr: keyset.Column(s, product.FieldUpdatedAt), Kind: keyset.Time,
			Value: str(func(p *ent.Product) string { return keyset.FormatTime(p.UpdatedAt) })}, nil
	case "RELEVANCE":
		if rank == nil {
			return keyset.Order{Key: key}, nil
		}
		return keyset.Order{Key: key, Expr: rank, Desc: c.postgres, Kind: keyset.Float,
			Value: func(r any) (string, error) {
				v, err := r.(*ent.Product).Value(rankColumn)
				if err != nil {
					return "", fmt.Errorf("catalog: relevance of product: %w", err)
				}
				f, ok := toFloat(v)
				if !ok {
					return "", fmt.Errorf("catalog: relevance has type %T", v)
				}
				return strconv.FormatFloat(f, 'g', -1, 64), nil
			}}, nil
	}
	return keyset.Order{}, fmt.Errorf("%w: unknown product sort key %s", ErrInvalidInput, key)
}

const rankColumn = "search_rank"

func toFloat(v any) (float64, bool) {
	switch f := v.(type) {
	case float64:
		return f, true
	case float32:
		return float64(f), true
	case int64:
		return float64(f), true
	case []byte:
		n, err := strconv.ParseFloat(string(f), 64)
		return n, err == nil
	}
	return 0, false
}

// Products returns one page of visible products, filtered by the search and sorted by the sort key.
func (c *Catalog) Products(ctx context.Context, q ProductQuery) (keyset.Page[*ent.Product], error) {
	key := q.SortKey
	if key == "" {
		key = "ID"
	}
	w, err := pagination.NewWindow(q.Args, key)
	if err != nil {
		return keyset.Page[*ent.Product]{}, err
	}
	filter, err := c.compileSearch(q.Search, q.Currency, q.ShopCurrency)
	if err != nil {
		return keyset.Page[*ent.Product]{}, err
	}
	only, err := c.narrow(ctx, filter)
	if err != nil {
		return keyset.Page[*ent.Product]{}, fmt.Errorf("catalog: search: %w", err)
	}
	if only != nil && len(only) == 0 {
		return keyset.Page[*ent.Product]{}, nil
	}
	var (
		o       keyset.Order
		sortErr error
	)
	query := c.client.Product.Query().Modify(func(s *sql.Selector) {
		c.visible(s)
		var rank func(*sql.Builder)
		if filter != nil {
			s.Where(filter.where(s))
			if only != nil {
				s.Where(sql.InInts(s.C(product.FieldID), only...))
			}
			// A query without a positive word (only filters, negations or punctuation) has nothing to
			// rank by: RELEVANCE then falls back to the default order, as it does without a query.
			if key == "RELEVANCE" && filter.rank != nil {
				rank = filter.rank(s)
				if only == nil && len(filter.required) > 0 && c.postgres {
					// A broad term: rank only its rankedMatches best-selling matches (see rankedMatches).
					s.Where(sql.In(s.C(product.FieldID), c.bestSelling(filter.required[0])))
				}
			}
		}
		if o, sortErr = c.productOrder(s, key, rank); sortErr != nil {
			return
		}
		if rank != nil {
			s.AppendSelectExprAs(sql.ExprFunc(rank), rankColumn)
		}
		sortErr = o.Apply(s, w, q.Args.Reverse, product.FieldID)
	})
	if w.Limit == 0 {
		return keyset.Page[*ent.Product]{}, nil
	}
	rows, err := query.All(ctx)
	if sortErr != nil {
		return keyset.Page[*ent.Product]{}, sortErr
	}
	if err != nil {
		return keyset.Page[*ent.Product]{}, fmt.Errorf("catalog: list products: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(p *ent.Product) int { return p.ID })
}

// ProductByHandle returns the product with handle, visible or not (callers decide), or nil.
func (c *Catalog) ProductByHandle(ctx context.Context, handle string) (*ent.Product, error) {
	p, err := c.client.Product.Query().Where(product.Handle(handle)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: product %q: %w", handle, err)
	}
	return p, nil
}
