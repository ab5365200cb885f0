// Package synth writes large synthetic catalogs straight into the database, for measuring Emporium at
// scale: products with options, one to twelve variants, images, prices in every enabled currency,
// tags, stock across locations, and collections of very different sizes. PostgreSQL gets COPY, SQLite
// batched INSERTs, one transaction per batch of products.
package synth

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/respcache"
)

// Options say what to generate.
type Options struct {
	Products int
	// Seed makes the catalog reproducible.
	Seed uint64
	// BatchSize is how many products one transaction writes (default 1,000).
	BatchSize int
	// Variants, when set, gives every product that many variants (sizes, at most 6); otherwise each
	// has 1 to 12.
	Variants int
	// Progress, when set, hears of each written batch.
	Progress func(done, total int)
}

// Stats count what was written.
type Stats struct {
	Products, Variants, Images, Collections int
	Elapsed                                 time.Duration
}

var (
	adjectives = strings.Fields("classic vintage modern organic recycled heavyweight lightweight everyday cozy rugged " +
		"minimal bold soft essential premium relaxed slim tailored washed brushed")
	materials = strings.Fields("cotton linen wool merino canvas leather denim fleece bamboo hemp ceramic enamel " +
		"stoneware oak walnut steel brass glass silk cashmere")
	nouns = strings.Fields("tee hoodie sweater jacket cap beanie scarf sock tote backpack wallet mug bowl planter " +
		"candle poster blanket towel pillow apron notebook bottle")
	vendors = strings.Fields("Northwind Fieldhouse Trailmark Kiln Loom Harbor Alder Juniper Cedar Meridian")
	colors  = strings.Fields("Black White Navy Olive Sand Rust Grey Forest Cream Plum")
	sizes   = strings.Fields("XS S M L XL XXL")
	vocab   = append(append(append([]string{}, adjectives...), materials...), strings.Fields(
		"summer winter spring autumn gift eco bestseller new sale outdoor travel home kitchen studio limited")...)
)

// Generate writes opts.Products products into db, which must hold a shop and be migrated.
func Generate(ctx context.Context, db *database.DB, opts Options) (Stats, error) {
	start := time.Now()
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Variants < 0 || opts.Variants > len(sizes) {
		return Stats{}, fmt.Errorf("synth: variants per product must be 1 to %d", len(sizes))
	}
	shop, err := db.Client.Shop.Query().First(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("synth: the database needs a shop (start the service once): %w", err)
	}
	locs, err := db.Client.Location.Query().IDs(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("synth: locations: %w", err)
	}
	if len(locs) == 0 {
		l, err := db.Client.Location.Create().SetName("Synthetic warehouse").Save(ctx)
		if err != nil {
			return Stats{}, fmt.Errorf("synth: location: %w", err)
		}
		locs = []int{l.ID}
	}
	g := &gen{
		rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), currencies: shop.Currencies,
		defaultCurrency: shop.DefaultCurrency, locations: locs, now: time.Now().UTC().Truncate(time.Microsecond),
		next: map[string]int{}, variants: opts.Variants,
	}
	var w tableWriter = insertWriter{}
	if db.Postgres() {
		w = copyWriter{}
	}
	tables := []string{"products", "product_options", "product_variants", "variant_prices", "images",
		"inventory_levels", "product_tags", "collections", "collection_products"}
	for _, t := range tables {
		if g.next[t], err = nextID(ctx, db.SQL, t); err != nil {
			return Stats{}, err
		}
	}
	if err := g.makeCollections(ctx, db, w, opts.Products); err != nil {
		return Stats{}, err
	}
	var stats Stats
	stats.Collections = len(g.collections)
	for done := 0; done < opts.Products; {
		n := min(opts.BatchSize, opts.Products-done)
		b := g.batch(n)
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			return stats, fmt.Errorf("synth: begin: %w", err)
		}
		for _, t := range b.tables {
			if err := w.write(ctx, tx, t.name, t.columns, t.rows); err != nil {
				_ = tx.Rollback()
				return stats, fmt.Errorf("synth: %w", err)
			}
		}
		if err := tx.Commit(); err != nil {
			return stats, fmt.Errorf("synth: commit: %w", err)
		}
		done += n
		stats.Products += n
		stats.Variants += b.variants
		stats.Images += b.images
		if opts.Progress != nil {
			opts.Progress(done, opts.Products)
		}
	}
	if db.Postgres() {
		for _, t := range tables {
			if err := resetSequence(ctx, db.SQL, t); err != nil {
				return stats, err
			}
		}
		// VACUUM marks the new pages all-visible, so index-only scans need not visit the table; without
		// it, reading a million products' variants by index costs seconds until autovacuum comes.
		if _, err := db.SQL.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
			return stats, fmt.Errorf("synth: vacuum: %w", err)
		}
		// The rows went in around ent, so running replicas hear of them here: their response caches
		// must not keep answering for the catalog as it was.
		if _, err := db.SQL.ExecContext(ctx, "SELECT pg_notify($1, '')", respcache.Channel); err != nil {
			return stats, fmt.Errorf("synth: announce: %w", err)
		}
	}
	stats.Elapsed = time.Since(start)
	return stats, nil
}

type gen struct {
	variants        int
	rng             *rand.Rand
	currencies      []string
	defaultCurrency string
	locations       []int
	now             time.Time
	next            map[string]int
	collections     []int
	// positions is the next manual position in each collection.
	positions map[int]int
	zipf      *rand.Zipf
}

type table struct {
	name    string
	columns []string
	rows    [][]any
}

type batch struct {
	tables           []*table
	variants, images int
}

func (g *gen) id(table string) int {
	id := g.next[table]
	g.next[table]++
	return id
}

// makeCollections creates about one collection per thousand products (at least 20); products join
// them with a Zipf distribution, so a few collections are huge and most are small.
func (g *gen) makeCollections(ctx context.Context, db *database.DB, w tableWriter, products int) error {
	n := max(20, products/1000)
	t := &table{name: "collections", columns: []string{"id", "created_at", "updated_at", "seo_title", "seo_description",
		"handle", "title", "description", "description_html", "sort_order"}}
	orders := []string{"MANUAL", "BEST_SELLING", "PRICE_ASC", "CREATED_DESC", "ALPHA_ASC"}
	for i := 0; i < n; i++ {
		id := g.id("collections")
		title := fmt.Sprintf("%s %s %d", capitalise(pick(g.rng, adjectives)), capitalise(pick(g.rng, materials)), id)
		t.rows = append(t.rows, []any{id, g.now, g.now, "", "", fmt.Sprintf("synthetic-collection-%d", id), title,
			"A synthetic collection.", "<p>A synthetic collection.</p>", orders[i%len(orders)]})
		g.collections = append(g.collections, id)
	}
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("synth: begin: %w", err)
	}
	if err := w.write(ctx, tx, t.name, t.columns, t.rows); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("synth: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("synth: commit: %w", err)
	}
	g.positions = map[int]int{}
	g.zipf = rand.NewZipf(g.rng, 1.2, 4, uint64(len(g.collections)-1))
	return nil
}

func (g *gen) batch(n int) batch {
	products := &table{name: "products", columns: []string{"id", "created_at", "updated_at", "seo_title", "seo_description",
		"handle", "title", "description", "description_html", "vendor", "product_type", "tags", "status", "published_at",
		"min_price", "sales_count"}}
	options := &table{name: "product_options", columns: []string{"id", "name", "position", "values", "product_id"}}
	variants := &table{name: "product_variants", columns: []string{"id", "created_at", "updated_at", "title", "sku", "barcode",
		"selected_options", "weight", "weight_unit", "requires_shipping", "taxable", "position", "inventory_policy",
		"inventory_tracked", "image_id", "product_id"}}
	prices := &table{name: "variant_prices", columns: []string{"id", "currency", "amount", "compare_at_amount", "variant_id"}}
	images := &table{name: "images", columns: []string{"id", "url", "alt_text", "width", "height", "position", "product_id"}}
	levels := &table{name: "inventory_levels", columns: []string{"id", "available", "updated_at", "location_id", "variant_id"}}
	tags := &table{name: "product_tags", columns: []string{"id", "tag", "product_id"}}
	members := &table{name: "collection_products", columns: []string{"id", "position", "collection_id", "product_id"}}
	b := batch{tables: []*table{products, options, images, variants, prices, levels, tags, members}}

	for range n {
		pid := g.id("products")
		noun := pick(g.rng, nouns)
		title := fmt.Sprintf("%s %s %s %d", capitalise(pick(g.rng, adjectives)), capitalise(pick(g.rng, materials)), capitalise(noun), pid)
		desc := fmt.Sprintf("A %s %s %s, made to last. Pairs well with everything in the %s range.",
			pick(g.rng, adjectives), pick(g.rng, materials), noun, pick(g.rng, vocab))
		productTags := unique(g.rng, vocab, 2+g.rng.IntN(4))
		tagJSON, _ := json.Marshal(productTags)
		status := "ACTIVE"
		if g.rng.IntN(50) == 0 {
			status = "DRAFT"
		}
		created := g.now.Add(-time.Duration(g.rng.IntN(365*24)) * time.Hour)

		// Options: none, one (Size or Color) or both, giving 1 to 12 variants.
		var optNames []string
		var optValues [][]string
		switch k := g.rng.IntN(4); {
		case g.variants == 1:
		case g.variants > 1:
			optNames, optValues = []string{"Size"}, [][]string{sizes[:g.variants]}
		case k == 0:
		case k == 1:
			optNames, optValues = []string{"Size"}, [][]string{sizes[:2+g.rng.IntN(4)]}
		default:
			optNames = []string{"Size", "Color"}
			optValues = [][]string{sizes[:1+g.rng.IntN(4)], unique(g.rng, colors, 1+g.rng.IntN(3))}
		}
		for i, name := range optNames {
			vals, _ := json.Marshal(optValues[i])
			options.rows = append(options.rows, []any{g.id("product_options"), name, i, string(vals), pid})
		}
		nImages := 1 + g.rng.IntN(3)
		firstImage := g.next["images"]
		for i := range nImages {
			iid := g.id("images")
			images.rows = append(images.rows, []any{iid, fmt.Sprintf("https://cdn.emporium.dev/synthetic/%d-%d.jpg", pid, i),
				fmt.Sprintf("%s, view %d", title, i+1), 1200, 1200, i, pid})
		}
		b.images += nImages

		combos := [][]string{{}}
		for _, vals := range optValues {
			var next [][]string
			for _, c := range combos {
				for _, v := range vals {
					next = append(next, append(append([]string{}, c...), v))
				}
			}
			combos = next
		}
		base := int64(500 + g.rng.IntN(29500)) // 5.00 to 300.00 in the default currency
		minPrice := int64(math.MaxInt64)
		for pos, combo := range combos {
			vid := g.id("product_variants")
			vtitle := "Default Title"
			type sel struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			}
			var selected []sel
			if len(combo) > 0 {
				vtitle = strings.Join(combo, " / ")
				for i, v := range combo {
					selected = append(selected, sel{optNames[i], v})
				}
			}
			selJSON, _ := json.Marshal(selected)
			policy, tracked := "DENY", true
			switch r := g.rng.IntN(100); {
			case r < 3:
				tracked = false
			case r < 5:
				policy = "CONTINUE"
			}
			amount := base + int64(pos%3)*200
			minPrice = min(minPrice, amount)
			variants.rows = append(variants.rows, []any{vid, created, created, vtitle, fmt.Sprintf("SYN-%d-%d", pid, pos),
				nil, string(selJSON), 0.2 + float64(g.rng.IntN(20))/10, "KILOGRAMS", true, true, pos, policy, tracked,
				firstImage + pos%nImages, pid})
			var compare *int64
			if g.rng.IntN(4) == 0 {
				c := amount * 5 / 4
				compare = &c
			}
			for _, cur := range g.currencies {
				a, at := convert(amount, g.defaultCurrency, cur), compare
				if at != nil {
					x := convert(*at, g.defaultCurrency, cur)
					at = &x
				}
				var atArg any
				if at != nil {
					atArg = *at
				}
				prices.rows = append(prices.rows, []any{g.id("variant_prices"), cur, a, atArg, vid})
			}
			if tracked {
				for _, loc := range g.locations {
					qty := g.rng.IntN(50)
					if g.rng.IntN(20) == 0 {
						qty = 0
					}
					levels.rows = append(levels.rows, []any{g.id("inventory_levels"), qty, g.now, loc, vid})
				}
			}
		}
		b.variants += len(combos)
		lower := map[string]bool{}
		for _, t := range productTags {
			if l := strings.ToLower(t); !lower[l] {
				lower[l] = true
				tags.rows = append(tags.rows, []any{g.id("product_tags"), l, pid})
			}
		}
		joined := map[int]bool{}
		for range 1 + g.rng.IntN(3) {
			cid := g.collections[g.zipf.Uint64()]
			if joined[cid] {
				continue
			}
			joined[cid] = true
			members.rows = append(members.rows, []any{g.id("collection_products"), g.positions[cid], cid, pid})
			g.positions[cid]++
		}
		products.rows = append(products.rows, []any{pid, created, created, title, desc,
			fmt.Sprintf("%s-%s-%d", pick(g.rng, adjectives), noun, pid), title, desc, "<p>" + desc + "</p>",
			pick(g.rng, vendors), capitalise(noun) + "s", string(tagJSON), status, created, minPrice, int64(g.rng.IntN(10000))})
	}
	return b
}

// convert turns an amount of the default currency into another at a fixed demo rate, rounded to the
// currency's minor unit.
func convert(amount int64, from, to string) int64 {
	if from == to {
		return amount
	}
	rate := map[string]float64{"EUR": 0.92, "GBP": 0.79, "CAD": 1.36, "AUD": 1.52, "JPY": 150}[to]
	if rate == 0 {
		rate = 1
	}
	major := float64(amount) / math.Pow10(money.Exponent(from)) * rate
	return int64(math.Round(major * math.Pow10(money.Exponent(to))))
}

func pick(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

func unique(r *rand.Rand, xs []string, n int) []string {
	perm := r.Perm(len(xs))
	out := make([]string, 0, n)
	for _, i := range perm[:min(n, len(xs))] {
		out = append(out, xs[i])
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
