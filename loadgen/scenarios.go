package loadgen

import (
	"context"
	"fmt"
	"strings"
)

// scenario is one kind of storefront visit; run is one iteration of it, a few requests in a row.
type scenario struct {
	name, about string
	run         func(context.Context, *worker) error
	checkouts   bool // iterations end in orders, reported as checkouts per second
}

var scenarios = []scenario{
	{name: "browse", about: "collections, a collection's products page, a product by handle, its recommendations", run: browse},
	{name: "search", about: "free-text products search with filters and sort keys", run: search},
	{name: "deep-page", about: "products(first: 20, after: cursor) up to page 50 or the end, in several sort orders", run: deepPage},
	{name: "cart", about: "create a cart, add a line, update a quantity, read the cart", run: cart},
	{name: "checkout", about: "a guest purchase with the test gateway, up to the completed order", run: checkout, checkouts: true},
}

// ScenarioNames lists the scenarios in their order.
func ScenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, s := range scenarios {
		names[i] = s.name
	}
	return names
}

// ScenarioHelp describes the scenarios, one a line.
func ScenarioHelp() string {
	var b strings.Builder
	for _, s := range scenarios {
		fmt.Fprintf(&b, "  %-10s %s\n", s.name, s.about)
	}
	return b.String()
}

func scenarioByName(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

var (
	stepCollections        = step{op: "collections", field: "collections", query: collectionsQuery}
	stepCollectionProducts = step{op: "collection products", field: "collection", query: collectionProductsQuery}
	stepProduct            = step{op: "product", field: "product", query: productQuery}
	stepRecommendations    = step{op: "productRecommendations", field: "productRecommendations", query: recommendationsQuery}
	stepSearch             = step{op: "products search", field: "products", query: searchQuery}
	stepCartCreate         = step{op: "cartCreate", field: "cartCreate", query: cartCreateQuery}
	stepCartLinesAdd       = step{op: "cartLinesAdd", field: "cartLinesAdd", query: cartLinesAddQuery}
	stepCartLinesUpdate    = step{op: "cartLinesUpdate", field: "cartLinesUpdate", query: cartLinesUpdateQuery}
	stepCart               = step{op: "cart", field: "cart", query: cartQuery}
)

// pageSize is what a storefront's product grid shows.
const pageSize = 20

// browse is a shopper's way from the menu to a product page.
func browse(ctx context.Context, w *worker) error {
	if err := w.call(ctx, stepCollections, nil, nil); err != nil {
		return err
	}
	var coll struct {
		Products struct {
			Edges []struct {
				Node struct {
					Handle string `json:"handle"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	vars := map[string]any{"handle": pick(w.rng, w.cat.collections), "first": pageSize}
	if err := w.call(ctx, stepCollectionProducts, vars, &coll); err != nil {
		return err
	}
	// The shopper opens a product of the page, or, from an empty collection, one found elsewhere.
	handle := pick(w.rng, w.cat.products).handle
	if edges := coll.Products.Edges; len(edges) > 0 {
		handle = pick(w.rng, edges).Node.Handle
	}
	var product struct {
		ID string `json:"id"`
	}
	if err := w.call(ctx, stepProduct, map[string]any{"handle": handle}, &product); err != nil {
		return err
	}
	return w.call(ctx, stepRecommendations, map[string]any{"productId": product.ID}, nil)
}

// search is a search page: free text, often narrowed by a filter, mostly by relevance.
func search(ctx context.Context, w *worker) error {
	vars := map[string]any{"query": w.searchText(), "sortKey": "RELEVANCE", "reverse": false, "first": pageSize}
	switch w.rng.IntN(5) {
	case 0:
		vars["sortKey"], vars["reverse"] = "PRICE", w.rng.IntN(2) == 0
	case 1:
		vars["sortKey"] = "BEST_SELLING"
	}
	return w.call(ctx, stepSearch, vars, nil)
}

// searchText is a word of a product title (sometimes its prefix, as typed, or two words), and often a
// filter clause.
func (w *worker) searchText() string {
	var parts []string
	if terms := w.cat.terms; len(terms) > 0 {
		t := pick(w.rng, terms)
		switch w.rng.IntN(10) {
		case 0, 1:
			r := []rune(t)
			t = string(r[:max(3, len(r)/2)]) + "*"
		case 2:
			t += " " + pick(w.rng, terms)
		}
		parts = append(parts, t)
	}
	if len(parts) == 0 || w.rng.IntN(2) == 0 {
		parts = append(parts, pick(w.rng, w.cat.filters))
	}
	return strings.Join(parts, " ")
}

// deepPages is how far deep-page walks; each page is one request.
const deepPages = 50

// deepPageSorts are the orders a listing pages through; each has its own keyset.
var deepPageSorts = []string{"ID", "TITLE", "PRICE", "BEST_SELLING", "CREATED_AT"}

// Pages are reported in depth bands, since a deep page costing more than the first is what this
// scenario looks for.
var (
	stepFirstPage = step{op: "products page 1", field: "products", query: productsPageQuery}
	stepNearPage  = step{op: "products pages 2-10", field: "products", query: productsPageQuery}
	stepDeepPage  = step{op: "products pages 11-50", field: "products", query: productsPageQuery}
)

// deepPage walks the catalog with cursors, as a "load more" listing or a crawler does.
func deepPage(ctx context.Context, w *worker) error {
	vars := map[string]any{"first": pageSize, "after": nil, "sortKey": pick(w.rng, deepPageSorts)}
	for page := 1; page <= deepPages; page++ {
		st := stepDeepPage
		switch {
		case page == 1:
			st = stepFirstPage
		case page <= 10:
			st = stepNearPage
		}
		var conn struct {
			PageInfo pageInfo `json:"pageInfo"`
		}
		if err := w.call(ctx, st, vars, &conn); err != nil {
			return err
		}
		if !conn.PageInfo.HasNextPage || conn.PageInfo.EndCursor == nil {
			return nil
		}
		vars["after"] = *conn.PageInfo.EndCursor
	}
	return nil
}

// cart is a shopper filling a cart: a first item, a second, a change of quantity, the cart page.
func cart(ctx context.Context, w *worker) error {
	first, second := pick(w.rng, w.cat.cartable), pick(w.rng, w.cat.cartable)
	created := cartPayload{wantQuantity: 1}
	if err := w.call(ctx, stepCartCreate, map[string]any{"lines": []map[string]any{{"merchandiseId": first, "quantity": 1}}}, &created); err != nil {
		return err
	}
	id := created.Cart.ID
	// The same variant twice merges into one line of two.
	added := cartPayload{wantQuantity: 2}
	if err := w.call(ctx, stepCartLinesAdd, map[string]any{"cartId": id, "lines": []map[string]any{{"merchandiseId": second, "quantity": 1}}}, &added); err != nil {
		return err
	}
	line := added.Cart.lineOf(first)
	if line == nil {
		return checkFailed("cart %s lost the line of %s", id, first)
	}
	want := 2 + added.Cart.TotalQuantity - line.Quantity
	updated := cartPayload{wantQuantity: want}
	if err := w.call(ctx, stepCartLinesUpdate, map[string]any{"cartId": id, "lines": []map[string]any{{"id": line.ID, "quantity": 2}}}, &updated); err != nil {
		return err
	}
	return w.call(ctx, stepCart, map[string]any{"cartId": id}, nil)
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func userErrorsProblem(errs []userError) error {
	if len(errs) == 0 {
		return nil
	}
	return &RequestError{Kind: KindCheck, Code: errs[0].Code, Message: fmt.Sprintf("userErrors: %s (%v)", errs[0].Message, errs[0].Field)}
}

// cartPayload is the answer of a cart mutation; wantQuantity, when set, is the total quantity the cart
// must then hold.
type cartPayload struct {
	Cart         *cartFields `json:"cart"`
	UserErrors   []userError `json:"userErrors"`
	wantQuantity int
}

type cartFields struct {
	ID            string `json:"id"`
	TotalQuantity int    `json:"totalQuantity"`
	Lines         struct {
		Edges []struct {
			Node cartLine `json:"node"`
		} `json:"edges"`
	} `json:"lines"`
}

type cartLine struct {
	ID          string `json:"id"`
	Quantity    int    `json:"quantity"`
	Merchandise struct {
		ID string `json:"id"`
	} `json:"merchandise"`
}

func (c *cartFields) lineOf(variantID string) *cartLine {
	for i := range c.Lines.Edges {
		if l := &c.Lines.Edges[i].Node; l.Merchandise.ID == variantID {
			return l
		}
	}
	return nil
}

func (p *cartPayload) problem() error {
	if err := userErrorsProblem(p.UserErrors); err != nil {
		return err
	}
	switch {
	case p.Cart == nil:
		return checkFailed("no cart and no userErrors")
	case p.wantQuantity > 0 && p.Cart.TotalQuantity != p.wantQuantity:
		return checkFailed("cart %s holds %d items, want %d", p.Cart.ID, p.Cart.TotalQuantity, p.wantQuantity)
	}
	return nil
}
