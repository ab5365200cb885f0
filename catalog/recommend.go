package catalog

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/emporium/emporium/ent"
)

// maxRecommendations is how many products productRecommendations returns, as Shopify does.
const maxRecommendations = 10

// recommendationPool is how many members of each of the product's collections, and how many products of
// each of its tags, are considered: large catalogs have collections and tags of hundreds of thousands of
// products, which must not all be scored for one product page.
const recommendationPool = 100

// Recommendations ranks visible products related to productID: each shared collection counts two,
// each shared tag one, best sellers first among equals. The candidates are the first
// recommendationPool members of each of the product's collections (in the collection's own order) and
// the recommendationPool newest products of each of its tags. The product itself is never included.
func (c *Catalog) Recommendations(ctx context.Context, productID int) ([]*ent.Product, error) {
	var collections []int
	var tags []string
	q := c.raw()
	q.write("SELECT collection_id, '' FROM collection_products WHERE product_id = ", q.arg(productID),
		" UNION ALL SELECT 0, tag FROM product_tags WHERE product_id = ", q.arg(productID))
	err := c.run(ctx, q, func(r *sql.Rows) error {
		var col int
		var tag string
		if err := r.Scan(&col, &tag); err != nil {
			return err
		}
		if tag != "" {
			tags = append(tags, tag)
		} else {
			collections = append(collections, col)
		}
		return nil
	})
	if err != nil || len(collections)+len(tags) == 0 {
		return nil, err
	}
	q = c.raw()
	q.write("SELECT s.product_id FROM (")
	part := 0
	union := func() {
		if part > 0 {
			q.write(" UNION ALL ")
		}
		part++
	}
	for _, col := range collections {
		union()
		q.write("SELECT product_id, 2 AS w FROM (SELECT product_id FROM collection_products WHERE collection_id = ", q.arg(col),
			" ORDER BY position, product_id LIMIT ", q.arg(recommendationPool), ") c", strconv.Itoa(part))
	}
	for _, tag := range tags {
		union()
		q.write("SELECT product_id, 1 AS w FROM (SELECT product_id FROM product_tags WHERE tag = ", q.arg(tag),
			" ORDER BY product_id DESC LIMIT ", q.arg(recommendationPool), ") t", strconv.Itoa(part))
	}
	q.write(") s JOIN products p ON p.id = s.product_id ",
		"WHERE s.product_id <> ", q.arg(productID), " AND p.status = ", q.arg("ACTIVE"),
		" AND p.published_at IS NOT NULL AND p.published_at <= ", q.arg(c.now()),
		" GROUP BY s.product_id ORDER BY SUM(s.w) DESC, MAX(p.sales_count) DESC, s.product_id LIMIT ", q.arg(maxRecommendations))
	var ids []int
	err = c.run(ctx, q, func(r *sql.Rows) error {
		var id int
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	byID, err := c.ProductsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*ent.Product, 0, len(ids))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}
