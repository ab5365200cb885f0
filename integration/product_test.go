package integration

import (
	"slices"
	"strings"
	"testing"
)

const productDetailQuery = `query($handle: String!, $first: Int, $after: String, $last: Int, $before: String, $reverse: Boolean) {
  product(handle: $handle) {
    handle availableForSale totalInventory vendor productType createdAt publishedAt onlineStoreUrl
    description(truncateAt: 20)
    compareAtPriceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }
    variants(first: $first, after: $after, last: $last, before: $before, reverse: $reverse) {
      edges { cursor node { sku availableForSale quantityAvailable currentlyNotInStock weight weightUnit requiresShipping
        compareAtPrice { amount } image { url } product { handle } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
    collections(first: 50) { nodes { handle } }
    variantBySelectedOptions(selectedOptions: [{name: "Size", value: "M"}, {name: "Color", value: "Navy"}]) { sku }
  }
}`

type variantDetail struct {
	SKU                 string
	AvailableForSale    bool
	QuantityAvailable   *int
	CurrentlyNotInStock bool
	Weight              float64
	WeightUnit          string
	RequiresShipping    bool
	CompareAtPrice      *moneyV2
	Image               *struct{ URL string }
	Product             struct{ Handle string }
}

type productDetail struct {
	Product *struct {
		Handle, Vendor, ProductType, CreatedAt, PublishedAt, Description string
		AvailableForSale                                                 bool
		TotalInventory                                                   *int
		OnlineStoreURL                                                   *string
		CompareAtPriceRange                                              struct{ MinVariantPrice, MaxVariantPrice moneyV2 }
		Variants                                                         struct {
			Edges []struct {
				Cursor string
				Node   variantDetail
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
		}
		Collections              struct{ Nodes []struct{ Handle string } }
		VariantBySelectedOptions *struct{ SKU string }
	}
}

func TestProductDetails(t *testing.T) {
	demo := demoProducts(t)
	eachDB(t, func(t *testing.T, s *server) {
		t.Run("stock, backorders and untracked variants", func(t *testing.T) {
			for _, p := range demo {
				var out productDetail
				s.query(t, productDetailQuery, map[string]any{"handle": p.Handle, "first": 250}, &out)
				got := out.Product
				if got == nil {
					t.Fatalf("%s not found", p.Handle)
				}
				if got.AvailableForSale != p.available {
					t.Errorf("%s: availableForSale %v, want %v", p.Handle, got.AvailableForSale, p.available)
				}
				total, tracked := 0, false
				for i, v := range p.Variants {
					gv := got.Variants.Edges[i].Node
					if gv.SKU != v.SKU || gv.Product.Handle != p.Handle {
						t.Fatalf("%s: variant %d is %q of %q, want %q in file order", p.Handle, i, gv.SKU, gv.Product.Handle, v.SKU)
					}
					stock := 0
					for _, n := range v.Inventory {
						stock += n
					}
					switch {
					case v.Inventory == nil:
						if gv.QuantityAvailable != nil || !gv.AvailableForSale || gv.CurrentlyNotInStock {
							t.Errorf("%s untracked: %+v", v.SKU, gv)
						}
					case stock > 0:
						if gv.QuantityAvailable == nil || *gv.QuantityAvailable != stock || !gv.AvailableForSale || gv.CurrentlyNotInStock {
							t.Errorf("%s in stock %d: %+v", v.SKU, stock, gv)
						}
					case v.InventoryPolicy == "CONTINUE":
						if gv.QuantityAvailable == nil || *gv.QuantityAvailable != 0 || !gv.AvailableForSale || !gv.CurrentlyNotInStock {
							t.Errorf("%s on backorder: %+v", v.SKU, gv)
						}
					default:
						if gv.QuantityAvailable == nil || *gv.QuantityAvailable != 0 || gv.AvailableForSale || gv.CurrentlyNotInStock {
							t.Errorf("%s sold out: %+v", v.SKU, gv)
						}
					}
					if v.Inventory != nil {
						total, tracked = total+stock, true
					}
					if want := v.RequiresShipping == nil || *v.RequiresShipping; gv.RequiresShipping != want {
						t.Errorf("%s requiresShipping %v, want %v", v.SKU, gv.RequiresShipping, want)
					}
					if (v.CompareAtPrices["USD"] != "") != (gv.CompareAtPrice != nil) ||
						gv.CompareAtPrice != nil && gv.CompareAtPrice.Amount != v.CompareAtPrices["USD"] {
						t.Errorf("%s compareAtPrice %+v, want %q", v.SKU, gv.CompareAtPrice, v.CompareAtPrices["USD"])
					}
					if (v.Image != nil) != (gv.Image != nil) || v.Image != nil && gv.Image.URL != s.mediaURL(p.Images[*v.Image].URL) {
						t.Errorf("%s image %+v, want image %v", v.SKU, gv.Image, v.Image)
					}
				}
				if tracked != (got.TotalInventory != nil) || tracked && *got.TotalInventory != total {
					t.Errorf("%s: totalInventory %v, want %d (tracked %v)", p.Handle, got.TotalInventory, total, tracked)
				}
			}
		})
		t.Run("fields of one product", func(t *testing.T) {
			var out productDetail
			s.query(t, productDetailQuery, map[string]any{"handle": "organic-cotton-tee", "first": 250}, &out)
			p := out.Product
			if p.VariantBySelectedOptions == nil || p.VariantBySelectedOptions.SKU != "EMP-TEE-ORG-M-NVY" {
				t.Errorf("variantBySelectedOptions = %+v", p.VariantBySelectedOptions)
			}
			if !strings.HasSuffix(p.Description, "…") || len([]rune(p.Description)) != 21 {
				t.Errorf("description(truncateAt: 20) = %q", p.Description)
			}
			if p.OnlineStoreURL == nil || *p.OnlineStoreURL != "https://demo.emporium.dev/products/organic-cotton-tee" {
				t.Errorf("onlineStoreUrl = %v", p.OnlineStoreURL)
			}
			if p.CompareAtPriceRange.MaxVariantPrice.Amount != "0.00" {
				t.Errorf("compareAtPriceRange without compare-at prices = %+v, want zero", p.CompareAtPriceRange)
			}
			var cols []string
			for _, c := range p.Collections.Nodes {
				cols = append(cols, c.Handle)
			}
			if !slices.Contains(cols, "all") || !slices.Contains(cols, "t-shirts") {
				t.Errorf("collections = %v", cols)
			}
			if p.Variants.Edges[0].Node.WeightUnit == "" {
				t.Errorf("weightUnit empty")
			}
		})
		t.Run("variants paginate both ways", func(t *testing.T) {
			var all productDetail
			s.query(t, productDetailQuery, map[string]any{"handle": "organic-cotton-tee", "first": 250}, &all)
			var want []string
			for _, e := range all.Product.Variants.Edges {
				want = append(want, e.Node.SKU)
			}
			var fwd []string
			var after any
			for range 10 {
				var out productDetail
				s.query(t, productDetailQuery, map[string]any{"handle": "organic-cotton-tee", "first": 5, "after": after}, &out)
				for _, e := range out.Product.Variants.Edges {
					fwd = append(fwd, e.Node.SKU)
				}
				if !out.Product.Variants.PageInfo.HasNextPage {
					break
				}
				after = *out.Product.Variants.PageInfo.EndCursor
			}
			var back []string
			var before any
			for range 10 {
				var out productDetail
				s.query(t, productDetailQuery, map[string]any{"handle": "organic-cotton-tee", "last": 5, "before": before}, &out)
				var page []string
				for _, e := range out.Product.Variants.Edges {
					page = append(page, e.Node.SKU)
				}
				back = append(page, back...)
				if !out.Product.Variants.PageInfo.HasPreviousPage {
					break
				}
				before = *out.Product.Variants.PageInfo.StartCursor
			}
			if len(want) != 12 || !slices.Equal(fwd, want) || !slices.Equal(back, want) {
				t.Errorf("variants:\n     all %v\n forward %v\nbackward %v", want, fwd, back)
			}
			var rev productDetail
			s.query(t, productDetailQuery, map[string]any{"handle": "organic-cotton-tee", "first": 3, "reverse": true}, &rev)
			if got := rev.Product.Variants.Edges[0].Node.SKU; got != want[len(want)-1] {
				t.Errorf("reverse first variant %s, want %s", got, want[len(want)-1])
			}
		})
	})
}

func TestCollectionsAndPagesPaginate(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		type conn struct {
			Edges []struct {
				Cursor string
				Node   struct{ Handle, Title string }
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
		}
		for _, field := range []string{"collections", "pages"} {
			sortEnum := map[string]string{"collections": "CollectionSortKeys", "pages": "PageSortKeys"}[field]
			q := `query($first: Int, $after: String, $last: Int, $before: String, $sortKey: ` + sortEnum + `, $reverse: Boolean, $query: String) {
				c: ` + field + `(first: $first, after: $after, last: $last, before: $before, sortKey: $sortKey, reverse: $reverse, query: $query) {
					edges { cursor node { handle title } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`
			for _, sortKey := range []string{"ID", "TITLE", "UPDATED_AT", "RELEVANCE"} {
				t.Run(field+" "+sortKey, func(t *testing.T) {
					var all struct{ C conn }
					s.query(t, q, map[string]any{"first": 250, "sortKey": sortKey}, &all)
					var want, titles []string
					for _, e := range all.C.Edges {
						want = append(want, e.Node.Handle)
						titles = append(titles, e.Node.Title)
					}
					if len(want) < 5 {
						t.Fatalf("%s: %v", field, want)
					}
					if sortKey == "TITLE" && !slices.IsSorted(titles) {
						t.Errorf("titles not sorted: %v", titles)
					}
					var fwd, back []string
					var after, before any
					for range 20 {
						var p struct{ C conn }
						s.query(t, q, map[string]any{"first": 2, "after": after, "sortKey": sortKey}, &p)
						for _, e := range p.C.Edges {
							fwd = append(fwd, e.Node.Handle)
						}
						if !p.C.PageInfo.HasNextPage {
							break
						}
						after = *p.C.PageInfo.EndCursor
					}
					for range 20 {
						var p struct{ C conn }
						s.query(t, q, map[string]any{"last": 2, "before": before, "sortKey": sortKey}, &p)
						var page []string
						for _, e := range p.C.Edges {
							page = append(page, e.Node.Handle)
						}
						back = append(page, back...)
						if !p.C.PageInfo.HasPreviousPage {
							break
						}
						before = *p.C.PageInfo.StartCursor
					}
					if !slices.Equal(fwd, want) || !slices.Equal(back, want) {
						t.Errorf("\n     all %v\n forward %v\nbackward %v", want, fwd, back)
					}
				})
			}
		}
		t.Run("collections query", func(t *testing.T) {
			var out struct{ C conn }
			s.query(t, `{ c: collections(first: 50, query: "title:hoodies") { edges { cursor node { handle title } } pageInfo { hasNextPage hasPreviousPage } } }`, nil, &out)
			if len(out.C.Edges) != 1 || out.C.Edges[0].Node.Handle != "hoodies" {
				t.Errorf("collections(query: title:hoodies) = %+v", out.C.Edges)
			}
		})
	})
}

func TestMenusAndShop(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var out struct {
			Menu struct {
				Handle     string
				ItemsCount int
				Items      []struct {
					Title, Type, URL string
					ResourceID       *string
					Resource         *struct {
						Typename string `json:"__typename"`
						Handle   string
					}
					Items []struct{ Title, URL string }
				}
			}
			Shop struct {
				Name, MoneyFormat string
				PrimaryDomain     struct {
					Host       string
					SslEnabled bool
				}
				PaymentSettings struct {
					CurrencyCode                 string
					EnabledPresentmentCurrencies []string
				}
			}
		}
		s.query(t, `{
			menu(handle: "next-js-frontend-header-menu") {
				handle itemsCount
				items { title type url resourceId
					resource { __typename ... on Collection { handle } ... on Page { handle } ... on Product { handle } }
					items { title url } }
			}
			shop { name moneyFormat primaryDomain { host sslEnabled } paymentSettings { currencyCode enabledPresentmentCurrencies } }
		}`, nil, &out)
		m := out.Menu
		if m.ItemsCount != len(m.Items) || len(m.Items) != 6 {
			t.Fatalf("menu items: %d counted, %d listed, want the demo's 6", m.ItemsCount, len(m.Items))
		}
		apparel := m.Items[1]
		if apparel.Title != "Apparel" || apparel.Type != "COLLECTION" || apparel.Resource == nil ||
			apparel.Resource.Typename != "Collection" || apparel.Resource.Handle != "apparel" || len(apparel.Items) != 2 ||
			apparel.ResourceID == nil || !strings.HasPrefix(*apparel.ResourceID, "gid://emporium/Collection/") {
			t.Errorf("apparel item = %+v", apparel)
		}
		if about := m.Items[5]; about.Resource == nil || about.Resource.Typename != "Page" || about.Resource.Handle != "about" {
			t.Errorf("about item = %+v", about)
		}
		if all := m.Items[0]; all.Type != "CATALOG" || all.Resource != nil || all.URL != "/search" {
			t.Errorf("catalog item = %+v", all)
		}
		sh := out.Shop
		if sh.Name != "Emporium Demo" || sh.MoneyFormat != "${{amount}}" || sh.PrimaryDomain.Host != "demo.emporium.dev" || !sh.PrimaryDomain.SslEnabled ||
			sh.PaymentSettings.CurrencyCode != "USD" || !slices.Equal(sh.PaymentSettings.EnabledPresentmentCurrencies, []string{"USD", "EUR"}) {
			t.Errorf("shop = %+v", sh)
		}
	})
}
