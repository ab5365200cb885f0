package catalog

import (
	"context"
	"database/sql"

	"github.com/emporium/emporium/ent"
)

// maxRecommendations is how many products productRecommendations returns, as Shopify does.
const maxRecommendations = 10

// Recommendations ranks visible products related to productID: each shared collection counts two,
// each shared tag one, best sellers first among equals. The product itself is never included.
func (c *Catalog) Recommendations(ctx context.Context, productID int) ([]*ent.Product, error) {
	q := c.raw()
	// Each use of the product ID is its own argument: SQLite's "?" placeholders are positional.
	self := func() string { return q.arg(productID) }
	q.write("SELECT s.product_id FROM (",
		"SELECT cp.product_id, 2 AS w FROM collection_products cp WHERE cp.collection_id IN ",
		"(SELECT collection_id FROM collection_products WHERE product_id = ", self(), ") ",
		"UNION ALL SELECT t.product_id, 1 AS w FROM product_tags t WHERE t.tag IN ",
		"(SELECT tag FROM product_tags WHERE product_id = ", self(), ")",
		") s JOIN products p ON p.id = s.product_id ",
		"WHERE s.product_id <> ", self(), " AND p.status = ", q.arg("ACTIVE"),
		" AND p.published_at IS NOT NULL AND p.published_at <= ", q.arg(c.now()),
		" GROUP BY s.product_id ORDER BY SUM(s.w) DESC, MAX(p.sales_count) DESC, s.product_id LIMIT ", q.arg(maxRecommendations))
	var ids []int
	err := c.run(ctx, q, func(r *sql.Rows) error {
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
