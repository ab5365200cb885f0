package integration

import (
	"context"
	"testing"

	entproduct "github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/synth"
)

func TestSyntheticCatalog(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		ctx := context.Background()
		var progress []int
		stats, err := synth.Generate(ctx, s.svc.DB, synth.Options{Products: 3000, Seed: 7, BatchSize: 700,
			Progress: func(done, _ int) { progress = append(progress, done) }})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d products, %d variants, %d images in %v (%.0f products/s)", s.name, stats.Products, stats.Variants,
			stats.Images, stats.Elapsed, float64(stats.Products)/stats.Elapsed.Seconds())
		if stats.Products != 3000 || stats.Variants < 3000 || stats.Variants > 3000*12 || len(progress) != 5 || progress[4] != 3000 {
			t.Fatalf("stats %+v, progress %v", stats, progress)
		}
		// Price filters range-scan min_price (catalog's variants.price bound), exact only while it is the
		// lowest variant price in the shop's currency, for generated and demo products alike.
		var drift int
		err = s.svc.DB.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM products p WHERE p.min_price <> COALESCE((SELECT MIN(vp.amount)
			FROM product_variants pv JOIN variant_prices vp ON vp.variant_id = pv.id WHERE pv.product_id = p.id
			AND vp.currency = (SELECT default_currency FROM shops LIMIT 1)), 0)`).Scan(&drift)
		if err != nil || drift != 0 {
			t.Errorf("%d products whose min_price is not their lowest price (%v)", drift, err)
		}
		active, err := s.svc.DB.Client.Product.Query().Where(entproduct.StatusEQ(entproduct.StatusACTIVE)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Every active product is listed once, paging to the end.
		seen := map[string]bool{}
		var after any
		for {
			var p productPage
			s.query(t, productPageQuery, map[string]any{"first": 250, "after": after, "sortKey": "PRICE"}, &p)
			for _, h := range p.handles() {
				if seen[h] {
					t.Fatalf("%s listed twice", h)
				}
				seen[h] = true
			}
			if !p.Products.PageInfo.HasNextPage {
				break
			}
			after = *p.Products.PageInfo.EndCursor
		}
		if len(seen) != active {
			t.Errorf("listed %d products, the database has %d active", len(seen), active)
		}
		var search productPage
		s.query(t, productPageQuery, map[string]any{"first": 50, "query": "cotton tag:summer", "sortKey": "RELEVANCE"}, &search)
		if len(search.handles()) == 0 {
			t.Error("search finds nothing in the synthetic catalog")
		}
		if s.name == "postgres" {
			// Every synthetic description says "made to last": a term this broad ranks its 500 best
			// sellers, walked to the end here.
			best := map[string]bool{}
			rows, err := s.svc.DB.SQL.QueryContext(ctx, `SELECT handle FROM products WHERE status = 'ACTIVE' AND published_at <= now()
				AND search_vector @@ to_tsquery('english', 'made:*') ORDER BY sales_count DESC, id DESC LIMIT 500`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var h string
				_ = rows.Scan(&h)
				best[h] = true
			}
			rows.Close()
			ranked := map[string]bool{}
			var after any
			for {
				var p productPage
				s.query(t, productPageQuery, map[string]any{"first": 250, "after": after, "query": "made", "sortKey": "RELEVANCE"}, &p)
				for _, h := range p.handles() {
					if !best[h] || ranked[h] {
						t.Fatalf("relevance search listed %s: among the best sellers %v, listed before %v", h, best[h], ranked[h])
					}
					ranked[h] = true
				}
				if !p.Products.PageInfo.HasNextPage {
					break
				}
				after = *p.Products.PageInfo.EndCursor
			}
			if len(best) != 500 || len(ranked) != len(best) {
				t.Errorf("a broad relevance search listed %d products, want the %d best sellers", len(ranked), len(best))
			}
		}
		s.query(t, getProductsQuery, map[string]any{"first": 100, "sortKey": "BEST_SELLING"}, nil)
		if n := s.lastStatements(); n > maxStatements {
			t.Errorf("products(first: 100) costs %d statements on the synthetic catalog", n)
		}
		var largest, smallest int
		err = s.svc.DB.SQL.QueryRowContext(ctx, `SELECT MAX(n), MIN(n) FROM (SELECT COUNT(*) AS n FROM collection_products cp
			JOIN collections c ON c.id = cp.collection_id WHERE c.handle LIKE 'synthetic-collection-%' GROUP BY cp.collection_id) sizes`).
			Scan(&largest, &smallest)
		if err != nil || largest < 5*max(smallest, 1) {
			t.Errorf("collection sizes %d to %d (%v), want very different sizes", smallest, largest, err)
		}
		// Written IDs must not collide with later writes (PostgreSQL's sequences were moved past them).
		if _, err := s.svc.DB.Client.Product.Create().SetHandle("after-synth").SetTitle("After").Save(ctx); err != nil {
			t.Errorf("a product created after generating: %v", err)
		}
		// A fixed number of variants per product, as the benchmark catalog wants.
		fixed, err := synth.Generate(ctx, s.svc.DB, synth.Options{Products: 50, Seed: 8, Variants: 3})
		if err != nil || fixed.Variants != 150 {
			t.Errorf("50 products of 3 variants: %+v, %v", fixed, err)
		}
	})
}
