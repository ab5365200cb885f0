package integration

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The operations below are the ones a Next.js Commerce storefront written for Shopify sends, with its
// fragments.
const (
	imageFragment = `fragment image on Image { url altText width height }`
	seoFragment   = `fragment seo on SEO { description title }`

	productFragment = `fragment product on Product {
  id handle availableForSale title description descriptionHtml
  options { id name values }
  priceRange { maxVariantPrice { amount currencyCode } minVariantPrice { amount currencyCode } }
  variants(first: 250) { edges { node { id title availableForSale selectedOptions { name value } price { amount currencyCode } } } }
  featuredImage { ...image }
  images(first: 20) { edges { node { ...image } } }
  seo { ...seo }
  tags updatedAt
}
` + imageFragment + "\n" + seoFragment

	collectionFragment = `fragment collection on Collection { handle title description seo { ...seo } updatedAt }
` + seoFragment

	pageFragment = `fragment page on Page { ... on Page { id title handle body bodySummary seo { ...seo } createdAt updatedAt } }
` + seoFragment

	getProductsQuery = `query getProducts($sortKey: ProductSortKeys, $reverse: Boolean, $query: String, $first: Int = 100) {
  products(sortKey: $sortKey, reverse: $reverse, query: $query, first: $first) { edges { node { ...product } } }
}
` + productFragment

	getProductQuery = `query getProduct($handle: String!) { product(handle: $handle) { ...product } }
` + productFragment

	getProductRecommendationsQuery = `query getProductRecommendations($productId: ID!) {
  productRecommendations(productId: $productId) { ...product }
}
` + productFragment

	getCollectionsQuery = `query getCollections { collections(first: 100, sortKey: TITLE) { edges { node { ...collection } } } }
` + collectionFragment

	getCollectionQuery = `query getCollection($handle: String!) { collection(handle: $handle) { ...collection } }
` + collectionFragment

	getCollectionProductsQuery = `query getCollectionProducts($handle: String!, $sortKey: ProductCollectionSortKeys, $reverse: Boolean, $first: Int = 100) {
  collection(handle: $handle) { products(sortKey: $sortKey, reverse: $reverse, first: $first) { edges { node { ...product } } } }
}
` + productFragment

	getMenuQuery = `query getMenu($handle: String!) { menu(handle: $handle) { items { title url } } }`

	getPageQuery = `query getPage($handle: String!) { pageByHandle(handle: $handle) { ...page } }
` + pageFragment

	getPagesQuery = `query getPages { pages(first: 100) { edges { node { ...page } } } }
` + pageFragment
)

type moneyV2 struct {
	Amount       string `json:"amount"`
	CurrencyCode string `json:"currencyCode"`
}

type product struct {
	ID               string `json:"id"`
	Handle           string `json:"handle"`
	Title            string `json:"title"`
	AvailableForSale bool   `json:"availableForSale"`
	Description      string `json:"description"`
	DescriptionHTML  string `json:"descriptionHtml"`
	Options          []struct {
		ID     string   `json:"id"`
		Name   string   `json:"name"`
		Values []string `json:"values"`
	} `json:"options"`
	PriceRange struct {
		Max moneyV2 `json:"maxVariantPrice"`
		Min moneyV2 `json:"minVariantPrice"`
	} `json:"priceRange"`
	Variants struct {
		Edges []struct {
			Node struct {
				ID               string `json:"id"`
				Title            string `json:"title"`
				AvailableForSale bool   `json:"availableForSale"`
				SelectedOptions  []struct {
					Name  string `json:"name"`
					Value string `json:"value"`
				} `json:"selectedOptions"`
				Price moneyV2 `json:"price"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"variants"`
	FeaturedImage *image `json:"featuredImage"`
	Images        struct {
		Edges []struct {
			Node image `json:"node"`
		} `json:"edges"`
	} `json:"images"`
	SEO struct {
		Title       *string `json:"title"`
		Description *string `json:"description"`
	} `json:"seo"`
	Tags      []string `json:"tags"`
	UpdatedAt string   `json:"updatedAt"`
}

type image struct {
	URL     string  `json:"url"`
	AltText *string `json:"altText"`
	Width   *int    `json:"width"`
	Height  *int    `json:"height"`
}

type productEdges struct {
	Edges []struct {
		Node product `json:"node"`
	} `json:"edges"`
}

func (p productEdges) handles() []string {
	out := make([]string, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.Node.Handle
	}
	return out
}

// cents reads a decimal amount such as "29.00" as minor units.
func cents(t *testing.T, amount string) int64 {
	t.Helper()
	whole, frac, _ := strings.Cut(amount, ".")
	if len(frac) != 2 {
		t.Fatalf("amount %q does not have two decimals", amount)
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		t.Fatalf("amount %q: %v", amount, err)
	}
	return n
}

func TestNextJSCommerceOperations(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		t.Run("getProducts", func(t *testing.T) {
			var out struct{ Products productEdges }
			s.query(t, getProductsQuery, map[string]any{"sortKey": "RELEVANCE", "reverse": false, "query": ""}, &out)
			if got := len(out.Products.Edges); got != 44 {
				t.Fatalf("got %d products, want the 44 active demo products", got)
			}
			for _, e := range out.Products.Edges {
				checkProduct(t, e.Node)
			}
		})
		t.Run("getProduct", func(t *testing.T) {
			var out struct{ Product *product }
			s.query(t, getProductQuery, map[string]any{"handle": "organic-cotton-tee"}, &out)
			if out.Product == nil || out.Product.Title != "Organic Cotton Tee" {
				t.Fatalf("got %+v, want Organic Cotton Tee", out.Product)
			}
			checkProduct(t, *out.Product)
			if len(out.Product.Options) != 2 || out.Product.Options[0].Name != "Size" || out.Product.Options[1].Name != "Color" {
				t.Errorf("options = %+v, want Size and Color", out.Product.Options)
			}
		})
		t.Run("images at the sizes a storefront asks for", func(t *testing.T) {
			// A storefront asks Shopify's CDN for the sizes it lays out (Hydrogen's Image component does,
			// through url(transform:)); each URL must serve a picture of that size and type.
			var out struct {
				Products struct {
					Nodes []struct {
						Handle        string
						FeaturedImage struct {
							URL, Card, Square, Retina string
							Width, Height             int
						}
					}
				}
			}
			s.query(t, `{ products(first: 3, sortKey: TITLE) { nodes { handle featuredImage {
				url width height
				card: url(transform: {maxWidth: 400})
				square: url(transform: {maxWidth: 200, maxHeight: 200, crop: CENTER, preferredContentType: JPG})
				retina: url(transform: {maxHeight: 100, scale: 2})
			} } } }`, nil, &out)
			if len(out.Products.Nodes) != 3 {
				t.Fatalf("got %d products", len(out.Products.Nodes))
			}
			for _, p := range out.Products.Nodes {
				img := p.FeaturedImage
				if cfg := picture(t, img.URL, "image/png"); cfg.Width != img.Width || cfg.Height != img.Height {
					t.Errorf("%s: original %dx%d, declared %dx%d", p.Handle, cfg.Width, cfg.Height, img.Width, img.Height)
				}
				if cfg := picture(t, img.Card, "image/png"); cfg.Width != min(400, img.Width) || cfg.Height != (min(400, img.Width)*img.Height+img.Width/2)/img.Width {
					t.Errorf("%s: card %dx%d from %dx%d", p.Handle, cfg.Width, cfg.Height, img.Width, img.Height)
				}
				if cfg := picture(t, img.Square, "image/jpeg"); cfg.Width != 200 || cfg.Height != 200 {
					t.Errorf("%s: square %dx%d, want 200x200", p.Handle, cfg.Width, cfg.Height)
				}
				if cfg := picture(t, img.Retina, "image/png"); cfg.Height != 200 {
					t.Errorf("%s: retina %dx%d, want 200 high", p.Handle, cfg.Width, cfg.Height)
				}
			}
		})
		t.Run("getProductRecommendations", func(t *testing.T) {
			var p struct{ Product struct{ ID string } }
			s.query(t, `{ product(handle: "organic-cotton-tee") { id } }`, nil, &p)
			var out struct{ ProductRecommendations []product }
			s.query(t, getProductRecommendationsQuery, map[string]any{"productId": p.Product.ID}, &out)
			if len(out.ProductRecommendations) == 0 || len(out.ProductRecommendations) > 10 {
				t.Fatalf("got %d recommendations, want 1 to 10", len(out.ProductRecommendations))
			}
			for _, r := range out.ProductRecommendations {
				if r.ID == p.Product.ID {
					t.Errorf("the product recommends itself")
				}
				checkProduct(t, r)
			}
			// Ranked by relatedness: two for each shared collection, one for each shared tag.
			type related struct {
				Tags        []string
				Collections struct{ Nodes []struct{ Handle string } }
			}
			const relatedQuery = `query($id: ID!) { node(id: $id) { ... on Product { tags collections(first: 50) { nodes { handle } } } } }`
			score := func(a, b related) int {
				n := 0
				for _, x := range a.Collections.Nodes {
					for _, y := range b.Collections.Nodes {
						if x.Handle == y.Handle {
							n += 2
						}
					}
				}
				for _, x := range a.Tags {
					if slices.Contains(b.Tags, x) {
						n++
					}
				}
				return n
			}
			var self struct{ Node related }
			s.query(t, relatedQuery, map[string]any{"id": p.Product.ID}, &self)
			var all struct {
				Products struct {
					Nodes []struct {
						ID string
						related
					}
				}
			}
			s.query(t, `{ products(first: 250) { nodes { id tags collections(first: 50) { nodes { handle } } } } }`, nil, &all)
			best := 0
			for _, o := range all.Products.Nodes {
				if o.ID != p.Product.ID {
					best = max(best, score(self.Node, o.related))
				}
			}
			last := best
			for _, r := range out.ProductRecommendations {
				var other struct{ Node related }
				s.query(t, relatedQuery, map[string]any{"id": r.ID}, &other)
				if got := score(self.Node, other.Node); got == 0 || got > last || r.ID == out.ProductRecommendations[0].ID && got != best {
					t.Errorf("recommendation %s scores %d after %d", r.Handle, got, last)
				} else {
					last = got
				}
			}
		})
		t.Run("getCollections", func(t *testing.T) {
			var out struct {
				Collections struct {
					Edges []struct {
						Node struct {
							Handle, Title, Description, UpdatedAt string
							SEO                                   struct{ Title, Description *string }
						}
					}
				}
			}
			s.query(t, getCollectionsQuery, nil, &out)
			var titles, handles []string
			for _, e := range out.Collections.Edges {
				titles = append(titles, e.Node.Title)
				handles = append(handles, e.Node.Handle)
			}
			if len(titles) < 6 || !slices.IsSorted(titles) {
				t.Errorf("collection titles = %q, want at least 6 sorted by title", titles)
			}
			for _, h := range []string{"hidden-homepage-featured-items", "hidden-homepage-carousel"} {
				if !slices.Contains(handles, h) {
					t.Errorf("collections lack %s", h)
				}
			}
		})
		t.Run("getCollection", func(t *testing.T) {
			var out struct {
				Collection *struct{ Handle, Title string }
			}
			s.query(t, getCollectionQuery, map[string]any{"handle": "apparel"}, &out)
			if out.Collection == nil || out.Collection.Handle != "apparel" {
				t.Fatalf("got %+v, want the apparel collection", out.Collection)
			}
		})
		t.Run("getCollectionProducts", func(t *testing.T) {
			var out struct {
				Collection struct{ Products productEdges }
			}
			s.query(t, getCollectionProductsQuery, map[string]any{"handle": "hidden-homepage-carousel"}, &out)
			if got := len(out.Collection.Products.Edges); got != 5 {
				t.Fatalf("carousel has %d products, want 5", got)
			}
			for _, e := range out.Collection.Products.Edges {
				checkProduct(t, e.Node)
			}
		})
		t.Run("getMenu", func(t *testing.T) {
			for _, handle := range []string{"next-js-frontend-header-menu", "next-js-frontend-footer-menu"} {
				var out struct {
					Menu *struct{ Items []struct{ Title, URL string } }
				}
				s.query(t, getMenuQuery, map[string]any{"handle": handle}, &out)
				if out.Menu == nil || len(out.Menu.Items) == 0 {
					t.Fatalf("menu %s: got %+v, want items", handle, out.Menu)
				}
				for _, it := range out.Menu.Items {
					if it.Title == "" || it.URL == "" {
						t.Errorf("menu %s item %+v lacks a title or url", handle, it)
					}
				}
			}
		})
		t.Run("getPage and getPages", func(t *testing.T) {
			var one struct {
				PageByHandle *struct {
					ID, Title, Handle, Body, BodySummary, CreatedAt, UpdatedAt string
				}
			}
			s.query(t, getPageQuery, map[string]any{"handle": "about"}, &one)
			if one.PageByHandle == nil || one.PageByHandle.Handle != "about" || one.PageByHandle.Body == "" || one.PageByHandle.BodySummary == "" {
				t.Fatalf("about page = %+v", one.PageByHandle)
			}
			var all struct {
				Pages struct {
					Edges []struct{ Node struct{ Handle string } }
				}
			}
			s.query(t, getPagesQuery, nil, &all)
			if len(all.Pages.Edges) < 5 {
				t.Errorf("got %d pages, want at least 5", len(all.Pages.Edges))
			}
		})
	})
}

// checkProduct asserts the invariants every product of the fragment holds.
func checkProduct(t *testing.T, p product) {
	t.Helper()
	if !strings.HasPrefix(p.ID, "gid://emporium/Product/") || p.Handle == "" || p.Title == "" {
		t.Errorf("product %q: id %q handle %q title %q", p.Handle, p.ID, p.Handle, p.Title)
	}
	if len(p.Variants.Edges) == 0 {
		t.Fatalf("product %s has no variants", p.Handle)
	}
	lo, hi := cents(t, p.PriceRange.Min.Amount), cents(t, p.PriceRange.Max.Amount)
	anyAvailable := false
	min, max := int64(-1), int64(-1)
	for _, e := range p.Variants.Edges {
		v := e.Node
		c := cents(t, v.Price.Amount)
		if v.Price.CurrencyCode != "USD" {
			t.Errorf("%s: variant price in %s, want USD", p.Handle, v.Price.CurrencyCode)
		}
		if min < 0 || c < min {
			min = c
		}
		if c > max {
			max = c
		}
		anyAvailable = anyAvailable || v.AvailableForSale
		if len(v.SelectedOptions) != len(p.Options) {
			t.Errorf("%s: variant %q has %d selected options for %d options", p.Handle, v.Title, len(v.SelectedOptions), len(p.Options))
		}
	}
	if lo != min || hi != max {
		t.Errorf("%s: priceRange %d..%d, variants span %d..%d", p.Handle, lo, hi, min, max)
	}
	if p.AvailableForSale != anyAvailable {
		t.Errorf("%s: availableForSale %v, but a variant is available: %v", p.Handle, p.AvailableForSale, anyAvailable)
	}
	if p.FeaturedImage == nil || len(p.Images.Edges) == 0 || p.FeaturedImage.URL != p.Images.Edges[0].Node.URL {
		t.Errorf("%s: featured image %+v is not the first of %d images", p.Handle, p.FeaturedImage, len(p.Images.Edges))
	}
	for _, e := range p.Images.Edges {
		if e.Node.Width == nil || e.Node.Height == nil || e.Node.AltText == nil {
			t.Errorf("%s: image %+v lacks width, height or alt text", p.Handle, e.Node)
		}
	}
}
