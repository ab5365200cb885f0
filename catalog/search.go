package catalog

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/searchquery"
)

// searchFilter is a compiled products query: a WHERE predicate and, when the query has free text, the
// relevance expression that RELEVANCE sorts by.
type searchFilter struct {
	where func(*sql.Selector) *sql.Predicate
	rank  func(*sql.Selector) func(*sql.Builder)
	// required are the free-text terms every match has (the query is that term, or an AND with them).
	required []searchquery.Term
}

type searchCompiler struct {
	c        *Catalog
	currency string
	// shopCurrency is the one min_price is kept in.
	shopCurrency string
	// text collects the positive free-text terms, for ranking.
	text []searchquery.Term
}

// compileSearch turns Shopify search syntax into SQL over the products table; nil for an empty query.
func (c *Catalog) compileSearch(q, currency, shopCurrency string) (*searchFilter, error) {
	node, err := searchquery.Parse(q)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if node == nil {
		return nil, nil
	}
	sc := &searchCompiler{c: c, currency: currency, shopCurrency: shopCurrency}
	where, err := sc.node(node, false)
	if err != nil {
		return nil, err
	}
	f := &searchFilter{where: where}
	if len(sc.text) > 0 {
		f.rank = sc.rank()
	}
	terms := []searchquery.Node{node}
	if and, ok := node.(searchquery.And); ok {
		terms = and.Terms
	}
	for _, n := range terms {
		if t, ok := n.(searchquery.Term); ok && t.Field == "" && len(words(t.Value)) > 0 {
			f.required = append(f.required, t)
		}
	}
	return f, nil
}

type predicateFunc = func(*sql.Selector) *sql.Predicate

func (sc *searchCompiler) node(n searchquery.Node, negated bool) (predicateFunc, error) {
	switch n := n.(type) {
	case searchquery.And:
		return sc.group(n.Terms, negated, sql.And)
	case searchquery.Or:
		return sc.group(n.Terms, negated, sql.Or)
	case searchquery.Not:
		inner, err := sc.node(n.Term, !negated)
		if err != nil {
			return nil, err
		}
		return func(s *sql.Selector) *sql.Predicate { return sql.Not(inner(s)) }, nil
	case searchquery.Term:
		return sc.term(n, negated)
	}
	return nil, fmt.Errorf("catalog: unexpected search node %T", n)
}

func (sc *searchCompiler) group(terms []searchquery.Node, negated bool, join func(...*sql.Predicate) *sql.Predicate) (predicateFunc, error) {
	parts := make([]predicateFunc, len(terms))
	for i, t := range terms {
		p, err := sc.node(t, negated)
		if err != nil {
			return nil, err
		}
		parts[i] = p
	}
	return func(s *sql.Selector) *sql.Predicate {
		ps := make([]*sql.Predicate, len(parts))
		for i, p := range parts {
			ps[i] = p(s)
		}
		return join(ps...)
	}, nil
}

func (sc *searchCompiler) term(t searchquery.Term, negated bool) (predicateFunc, error) {
	eqOnly := func() error {
		if t.Op != searchquery.Eq {
			return fmt.Errorf("%w: search field %s takes no comparison", ErrInvalidInput, t.Field)
		}
		return nil
	}
	switch t.Field {
	case "":
		if len(words(t.Value)) == 0 {
			// Nothing searchable (only punctuation): the term matches everything, as an empty query does.
			return func(*sql.Selector) *sql.Predicate { return sql.ExprP("1 = 1") }, nil
		}
		if !negated {
			sc.text = append(sc.text, t)
		}
		return sc.fullText(t), nil
	case "tag", "tag_not":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		tag := strings.ToLower(t.Value)
		p := func(s *sql.Selector) *sql.Predicate {
			return sql.P(func(b *sql.Builder) {
				b.WriteString("EXISTS (SELECT 1 FROM product_tags WHERE product_tags.product_id = " + s.C(product.FieldID) + " AND product_tags.tag ")
				if t.Prefix {
					b.WriteString("LIKE ").Arg(likePrefix(tag)).WriteString(" ESCAPE '\\'")
				} else {
					b.WriteString("= ").Arg(tag)
				}
				b.WriteString(")")
			})
		}
		if t.Field == "tag_not" {
			return func(s *sql.Selector) *sql.Predicate { return sql.Not(p(s)) }, nil
		}
		return p, nil
	case "product_type", "vendor", "title":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		return func(s *sql.Selector) *sql.Predicate {
			return sql.P(func(b *sql.Builder) {
				b.WriteString("lower(" + s.C(t.Field) + ")")
				switch {
				case t.Field == "title":
					pattern := "%" + likeEscape(strings.ToLower(t.Value)) + "%"
					if t.Prefix {
						pattern = likePrefix(strings.ToLower(t.Value))
					}
					b.WriteString(" LIKE ").Arg(pattern).WriteString(" ESCAPE '\\'")
				case t.Prefix:
					b.WriteString(" LIKE ").Arg(likePrefix(strings.ToLower(t.Value))).WriteString(" ESCAPE '\\'")
				default:
					b.WriteString(" = ").Arg(strings.ToLower(t.Value))
				}
			})
		}, nil
	case "available_for_sale":
		if err := eqOnly(); err != nil {
			return nil, err
		}
		var want bool
		switch strings.ToLower(t.Value) {
		case "true":
			want = true
		case "false":
		default:
			return nil, fmt.Errorf("%w: available_for_sale takes true or false, not %q", ErrInvalidInput, t.Value)
		}
		return func(s *sql.Selector) *sql.Predicate {
			p := sql.ExprP(availableExists(s.C(product.FieldID)))
			if want {
				return p
			}
			return sql.Not(p)
		}, nil
	case "variants.price":
		amount, err := money.Parse(t.Value, sc.currency)
		if err != nil {
			return nil, fmt.Errorf("%w: variants.price: %w", ErrInvalidInput, err)
		}
		op := comparatorSQL(t.Op)
		// A variant priced at most X exists only where the lowest price is at most X. Said beside the
		// EXISTS, which stays the exact test, this lets PostgreSQL range-scan the price index and estimate
		// the filter from column statistics instead of probing the variants of every product it walks.
		bound := ""
		if amount.Currency == sc.shopCurrency {
			switch t.Op {
			case searchquery.Lt, searchquery.Le:
				bound = op
			case searchquery.Eq:
				bound = "<="
			}
		}
		return func(s *sql.Selector) *sql.Predicate {
			return sql.P(func(b *sql.Builder) {
				b.WriteString("(EXISTS (SELECT 1 FROM product_variants pv JOIN variant_prices vp ON vp.variant_id = pv.id WHERE pv.product_id = " +
					s.C(product.FieldID) + " AND vp.currency = ").Arg(amount.Currency).
					WriteString(" AND vp.amount " + op + " ").Arg(amount.Amount).WriteString(")")
				if bound != "" {
					b.WriteString(" AND " + s.C(product.FieldMinPrice) + " " + bound + " ").Arg(amount.Amount)
				}
				b.WriteString(")")
			})
		}, nil
	case "created_at", "updated_at":
		at, err := parseSearchTime(t.Value)
		if err != nil {
			return nil, err
		}
		op := comparatorSQL(t.Op)
		return func(s *sql.Selector) *sql.Predicate {
			return sql.P(func(b *sql.Builder) { b.WriteString(s.C(t.Field) + " " + op + " ").Arg(at) })
		}, nil
	}
	return nil, fmt.Errorf("%w: unknown search field %q", ErrInvalidInput, t.Field)
}

// availableExists is true for a product with a variant that can be bought: untracked, on backorder, or
// in stock somewhere.
func availableExists(productID string) string {
	return "EXISTS (SELECT 1 FROM product_variants av WHERE av.product_id = " + productID +
		" AND (av.inventory_tracked = false OR av.inventory_policy = 'CONTINUE' OR EXISTS (" +
		"SELECT 1 FROM inventory_levels il WHERE il.variant_id = av.id AND il.available > 0)))"
}

func comparatorSQL(c searchquery.Comparator) string {
	switch c {
	case searchquery.Gt:
		return ">"
	case searchquery.Ge:
		return ">="
	case searchquery.Lt:
		return "<"
	case searchquery.Le:
		return "<="
	}
	return "="
}

func parseSearchTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %q is not a date (use 2006-01-02 or RFC 3339)", ErrInvalidInput, v)
}

// words splits free text into the letters-and-digits runs that both full-text engines index.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// fullText matches a free-text term: every word, as a prefix so that "shir" finds "shirt", or the exact
// phrase when quoted.
func (sc *searchCompiler) fullText(t searchquery.Term) predicateFunc {
	if sc.c.postgres {
		fn, arg := tsQuery(t)
		return func(s *sql.Selector) *sql.Predicate {
			return sql.P(func(b *sql.Builder) {
				b.WriteString(s.C("search_vector") + " @@ " + fn + "('english', ").Arg(arg).WriteString(")")
			})
		}
	}
	match := ftsMatch(t)
	return func(s *sql.Selector) *sql.Predicate {
		return sql.P(func(b *sql.Builder) {
			b.WriteString(s.C(product.FieldID) + " IN (SELECT rowid FROM product_fts WHERE product_fts MATCH ").Arg(match).WriteString(")")
		})
	}
}

func tsQuery(t searchquery.Term) (fn, arg string) {
	ws := words(t.Value)
	if t.Phrase {
		return "phraseto_tsquery", strings.Join(ws, " ")
	}
	for i, w := range ws {
		ws[i] = w + ":*"
	}
	return "to_tsquery", strings.Join(ws, " & ")
}

func ftsMatch(t searchquery.Term) string {
	ws := words(t.Value)
	if t.Phrase {
		return `"` + strings.Join(ws, " ") + `"`
	}
	for i, w := range ws {
		ws[i] = `"` + w + `"*`
	}
	return strings.Join(ws, " ")
}

// rank scores a product against any of the positive free-text terms: higher ts_rank on PostgreSQL,
// lower bm25 on SQLite (see productOrder's direction).
func (sc *searchCompiler) rank() func(*sql.Selector) func(*sql.Builder) {
	var pg, fts []string
	for _, t := range sc.text {
		fn, arg := tsQuery(t)
		if fn == "phraseto_tsquery" {
			arg = strings.ReplaceAll(arg, " ", " <-> ")
		}
		pg = append(pg, "("+arg+")")
		fts = append(fts, "("+ftsMatch(t)+")")
	}
	if sc.c.postgres {
		q := strings.Join(pg, " | ")
		return func(s *sql.Selector) func(*sql.Builder) {
			return func(b *sql.Builder) {
				b.WriteString("ts_rank(" + s.C("search_vector") + ", to_tsquery('english', ").Arg(q).WriteString("))")
			}
		}
	}
	q := strings.Join(fts, " OR ")
	return func(s *sql.Selector) func(*sql.Builder) {
		return func(b *sql.Builder) {
			b.WriteString("COALESCE((SELECT bm25(product_fts, 10.0, 4.0, 4.0, 4.0, 1.0) FROM product_fts WHERE product_fts MATCH ").
				Arg(q).WriteString(" AND product_fts.rowid = " + s.C(product.FieldID) + "), 0.0)")
		}
	}
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func likePrefix(s string) string { return likeEscape(s) + "%" }

// sparseMatches bounds the matches of a term read ahead of a search on PostgreSQL (see narrow).
const sparseMatches = 1000

// rankedMatches bounds the products a RELEVANCE search ranks when its required term is broad: ranking
// costs a computation for every row, and one word of a million-product catalog matches hundreds of
// thousands. Such a search ranks the term's best-selling rankedMatches matches, filtered by the rest of
// the query.
//
// Finding them walks the best-selling index until that many match, about 1.4 µs a row: 500 matches of
// a word on one product in twenty cost some 15 ms at a million products, 2,000 cost 60.
const rankedMatches = 500

// bestSelling selects the IDs of the rankedMatches best-selling visible products matching t. Walking the
// best-selling index until that many match is cheap precisely because t is broad.
func (c *Catalog) bestSelling(t searchquery.Term) *sql.Selector {
	fn, arg := tsQuery(t)
	cand := sql.Select(product.FieldID).From(sql.Table(product.Table).As("candidates"))
	c.visible(cand)
	cand.Where(sql.P(func(b *sql.Builder) {
		b.WriteString(cand.C("search_vector") + " @@ " + fn + "('english', ").Arg(arg).WriteString(")")
	}))
	return cand.OrderBy(sql.Desc(cand.C(product.FieldSalesCount)), sql.Desc(cand.C(product.FieldID))).Limit(rankedMatches)
}

// narrow reads the products matching all of the query's required terms when they are at most
// sparseMatches, and returns their IDs; nil when they are broader, or the database is not PostgreSQL.
// PostgreSQL estimates every prefix term at half a percent of the rows, and words as independent, so a
// rare term, or two common words that seldom meet ("backpack tee"), sorted by an indexed key would walk
// that whole index; the full-text index finds the few rows that can match at once, and restricted to
// them the search stays exact and costs what those rows cost.
func (c *Catalog) narrow(ctx context.Context, f *searchFilter) ([]int, error) {
	if !c.postgres || f == nil || len(f.required) == 0 {
		return nil, nil
	}
	parts := make([]string, len(f.required))
	for i, t := range f.required {
		fn, arg := tsQuery(t)
		if fn == "phraseto_tsquery" {
			arg = strings.ReplaceAll(arg, " ", " <-> ")
		}
		parts[i] = "(" + arg + ")"
	}
	q := c.raw()
	q.write("SELECT id FROM products WHERE search_vector @@ to_tsquery('english', ", q.arg(strings.Join(parts, " & ")), ") LIMIT ", q.arg(sparseMatches+1))
	ids := []int{}
	err := c.run(ctx, q, func(r *stdsql.Rows) error {
		var id int
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) > sparseMatches {
		return nil, err
	}
	return ids, nil
}
