package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	entsql "entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// CollectionQuery asks for one page of collections.
type CollectionQuery struct {
	Args    pagination.Args
	SortKey string // a CollectionSortKeys value
	Search  string // matched against titles; title:x is accepted too
}

// Collections returns one page of collections.
func (c *Catalog) Collections(ctx context.Context, q CollectionQuery) (keyset.Page[*ent.Collection], error) {
	key := q.SortKey
	if key == "" || key == "RELEVANCE" {
		key = "ID"
	}
	w, err := pagination.NewWindow(q.Args, key)
	if err != nil {
		return keyset.Page[*ent.Collection]{}, err
	}
	var (
		o       keyset.Order
		sortErr error
	)
	query := c.client.Collection.Query().Modify(func(s *entsql.Selector) {
		if text := titleSearch(q.Search); text != "" {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString("lower(" + s.C(collection.FieldTitle) + ") LIKE ").Arg("%" + likeEscape(text) + "%").WriteString(" ESCAPE '\\'")
			}))
		}
		switch key {
		case "ID":
			o = keyset.Order{Key: key}
		case "TITLE":
			o = keyset.Order{Key: key, Expr: keyset.Column(s, collection.FieldTitle), Kind: keyset.String,
				Value: func(r any) (string, error) { return r.(*ent.Collection).Title, nil }}
		case "UPDATED_AT":
			o = keyset.Order{Key: key, Expr: keyset.Column(s, collection.FieldUpdatedAt), Kind: keyset.Time,
				Value: func(r any) (string, error) { return keyset.FormatTime(r.(*ent.Collection).UpdatedAt), nil }}
		default:
			sortErr = fmt.Errorf("%w: unknown collection sort key %s", ErrInvalidInput, key)
			return
		}
		sortErr = o.Apply(s, w, q.Args.Reverse, collection.FieldID)
	})
	if w.Limit == 0 {
		return keyset.Page[*ent.Collection]{}, nil
	}
	rows, err := query.All(ctx)
	if sortErr != nil {
		return keyset.Page[*ent.Collection]{}, sortErr
	}
	if err != nil {
		return keyset.Page[*ent.Collection]{}, fmt.Errorf("catalog: list collections: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(c *ent.Collection) int { return c.ID })
}

// CollectionByHandle returns the collection with handle, or nil.
func (c *Catalog) CollectionByHandle(ctx context.Context, handle string) (*ent.Collection, error) {
	col, err := c.client.Collection.Query().Where(collection.Handle(handle)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: collection %q: %w", handle, err)
	}
	return col, nil
}

// CollectionProductsQuery asks for one page of a collection's products.
type CollectionProductsQuery struct {
	Args pagination.Args
	// SortKey is a ProductCollectionSortKeys value; COLLECTION_DEFAULT (or "") uses the collection's own
	// sort order.
	SortKey string
}

// collectionOrder resolves a collection sort key, with the collection's default order, to a keyset order
// over (products p, collection_products cp) and whether it runs against the key's natural direction.
func collectionOrder(sortKey string, defaultOrder collection.SortOrder) (key string, flip bool, err error) {
	if sortKey == "" || sortKey == "COLLECTION_DEFAULT" || sortKey == "RELEVANCE" {
		switch defaultOrder {
		case collection.SortOrderMANUAL:
			return "MANUAL", false, nil
		case collection.SortOrderBEST_SELLING:
			return "BEST_SELLING", false, nil
		case collection.SortOrderALPHA_ASC:
			return "TITLE", false, nil
		case collection.SortOrderALPHA_DESC:
			return "TITLE", true, nil
		case collection.SortOrderPRICE_ASC:
			return "PRICE", false, nil
		case collection.SortOrderPRICE_DESC:
			return "PRICE", true, nil
		case collection.SortOrderCREATED:
			return "CREATED", false, nil
		case collection.SortOrderCREATED_DESC:
			return "CREATED", true, nil
		}
		return "MANUAL", false, nil
	}
	switch sortKey {
	case "MANUAL", "BEST_SELLING", "TITLE", "PRICE", "CREATED", "ID":
		return sortKey, false, nil
	}
	return "", false, fmt.Errorf("%w: unknown collection product sort key %s", ErrInvalidInput, sortKey)
}

type collectionSort struct {
	expr string
	desc bool
	kind keyset.ValueKind
}

// collectionSortExpr orders a collection's members; ties go by product ID (cp.product_id, the last
// column of every index below).
var collectionSortExpr = map[string]collectionSort{
	"MANUAL":       {"cp.position", false, keyset.Int},
	"BEST_SELLING": {"p.sales_count", true, keyset.Int},
	"TITLE":        {"p.title", false, keyset.String},
	"PRICE":        {"p.min_price", false, keyset.Int},
	"CREATED":      {"p.created_at", false, keyset.Time},
	"ID":           {"", false, keyset.None},
}

// postgresCollectionSortExpr reads the copies of the products' sort keys that PostgreSQL keeps on each
// membership, indexed per collection (see database.migrateSortKeys).
var postgresCollectionSortExpr = map[string]collectionSort{
	"MANUAL":       {"cp.position", false, keyset.Int},
	"BEST_SELLING": {"cp.product_sales_count", true, keyset.Int},
	"TITLE":        {"cp.product_title", false, keyset.String},
	"PRICE":        {"cp.product_min_price", false, keyset.Int},
	"CREATED":      {"cp.product_created_at", false, keyset.Time},
	"ID":           {"", false, keyset.None},
}

// CollectionProducts returns a page of visible products for each collection, all with the same query, in
// two statements whatever the number of collections: one that reads each collection's page of members,
// then the products themselves.
func (c *Catalog) CollectionProducts(ctx context.Context, cols []*ent.Collection, q CollectionProductsQuery) (map[int]keyset.Page[*ent.Product], error) {
	// Collections with different default orders are ranked separately.
	groups := map[collection.SortOrder][]int{}
	for _, col := range cols {
		groups[col.SortOrder] = append(groups[col.SortOrder], col.ID)
	}
	type member struct {
		collection, product int
		position            int64
	}
	type group struct {
		key     string
		w       pagination.Window
		ids     []int
		members []member
	}
	var all []*group
	productIDs := map[int]bool{}
	for def, ids := range groups {
		key, flip, err := collectionOrder(q.SortKey, def)
		if err != nil {
			return nil, err
		}
		w, err := pagination.NewWindow(q.Args, key)
		if err != nil {
			return nil, err
		}
		g := &group{key: key, w: w, ids: ids}
		all = append(all, g)
		if w.Limit == 0 {
			continue
		}
		spec := collectionSortExpr[key]
		if c.postgres {
			spec = postgresCollectionSortExpr[key]
		}
		desc := spec.desc != (q.Args.Reverse != flip)
		if w.Backward {
			desc = !desc
		}
		dir := ""
		if desc {
			dir = " DESC"
		}
		rq := c.raw()
		orderBy := "cp.product_id" + dir
		if spec.expr != "" {
			orderBy = spec.expr + dir + ", " + orderBy
		}
		// One limited subquery per collection: each reads only its page through the index on
		// (collection_id, key, product_id), however large the collection; a window over whole
		// collections would cost in proportion to their size. (SQLite sorts by product fields by joining
		// the members: its catalogs are small.)
		for i, cid := range ids {
			if i > 0 {
				rq.write(" UNION ALL ")
			}
			rq.write("SELECT cid, pid, pos, rn FROM (SELECT cp.collection_id AS cid, p.id AS pid, cp.position AS pos, ",
				"ROW_NUMBER() OVER (ORDER BY ", orderBy, ") AS rn ",
				"FROM collection_products cp JOIN products p ON p.id = cp.product_id ",
				"WHERE cp.collection_id = ", rq.arg(cid), " AND p.status = ", rq.arg("ACTIVE"),
				" AND p.published_at IS NOT NULL AND p.published_at <= ", rq.arg(c.now()))
			for _, b := range []struct {
				c     *pagination.Cursor
				after bool
			}{{w.Start, true}, {w.End, false}} {
				if b.c == nil {
					continue
				}
				op := ">"
				if desc == b.after {
					op = "<"
				}
				if spec.expr == "" {
					rq.write(" AND cp.product_id ", op, " ", rq.arg(b.c.ID))
					continue
				}
				v, err := spec.kind.Parse(b.c.Value)
				if err != nil {
					return nil, err
				}
				rq.write(" AND (", spec.expr, ", cp.product_id) ", op, " (", rq.arg(v), ", ", rq.arg(b.c.ID), ")")
			}
			rq.write(" ORDER BY ", orderBy, " LIMIT ", rq.arg(w.Limit+1), ") page", strconv.Itoa(i))
		}
		rq.write(" ORDER BY 1, 4")
		err = c.run(ctx, rq, func(r *sql.Rows) error {
			var m member
			var rank int64
			if err := r.Scan(&m.collection, &m.product, &m.position, &rank); err != nil {
				return err
			}
			g.members = append(g.members, m)
			productIDs[m.product] = true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	ids := make([]int, 0, len(productIDs))
	for id := range productIDs {
		ids = append(ids, id)
	}
	products := map[int]*ent.Product{}
	if len(ids) > 0 {
		var err error
		if products, err = c.ProductsByID(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make(map[int]keyset.Page[*ent.Product], len(cols))
	for _, g := range all {
		byCollection := map[int][]member{}
		for _, m := range g.members {
			byCollection[m.collection] = append(byCollection[m.collection], m)
		}
		for _, cid := range g.ids {
			members, info := pagination.Trim(g.w, byCollection[cid])
			page := keyset.Page[*ent.Product]{Info: info}
			for _, m := range members {
				p := products[m.product]
				if p == nil {
					continue // deleted between the two statements
				}
				page.Rows = append(page.Rows, p)
				page.Cursors = append(page.Cursors, pagination.Cursor{Key: g.key, ID: p.ID, Value: collectionCursorValue(g.key, p, m.position)}.Encode())
			}
			out[cid] = page
		}
	}
	return out, nil
}

func collectionCursorValue(key string, p *ent.Product, position int64) string {
	switch key {
	case "MANUAL":
		return strconv.FormatInt(position, 10)
	case "BEST_SELLING":
		return strconv.FormatInt(p.SalesCount, 10)
	case "TITLE":
		return p.Title
	case "PRICE":
		return strconv.FormatInt(p.MinPrice, 10)
	case "CREATED":
		return keyset.FormatTime(p.CreatedAt)
	}
	return ""
}
