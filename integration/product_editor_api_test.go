package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestVariantPricesForStaff reads a variant's prices in every currency through the Admin API, as the
// dashboard's product editor does, after creating them and after a bulk update changes one currency:
// the default currency comes first, a compare-at price stays with its currency, and the storefront
// may not read the field.
func TestVariantPricesForStaff(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		var created productCreateResult
		s.queryAs(t, as, productCreateMutation, map[string]any{"p": map[string]any{
			"title": "Price Ladder", "status": "ACTIVE",
			"productOptions": []any{map[string]any{"name": "Size", "values": []any{map[string]any{"name": "S"}}}},
			"variants": []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Size", "name": "S"}},
				"price": "20.00", "compareAtPrice": "25.00", "sku": "LADDER-S",
				"prices": []any{map[string]any{"currencyCode": "EUR", "amount": "18.50", "compareAtAmount": "22.00"}}}},
		}}, &created)
		p := created.ProductCreate.Product
		if p == nil || len(p.Variants.Nodes) != 1 {
			t.Fatalf("productCreate: %+v", created.ProductCreate)
		}
		variant := p.Variants.Nodes[0].ID

		read := func() string {
			var out struct {
				Node struct {
					Prices []struct {
						Price          moneyV2
						CompareAtPrice *moneyV2
					}
				}
			}
			s.queryAs(t, as, `query($id: ID!) { node(id: $id) { ... on ProductVariant {
				prices { price { amount currencyCode } compareAtPrice { amount currencyCode } } } } }`, map[string]any{"id": variant}, &out)
			got := ""
			for _, pr := range out.Node.Prices {
				got += pr.Price.CurrencyCode + " " + pr.Price.Amount
				if pr.CompareAtPrice != nil {
					got += fmt.Sprintf(" (was %s %s)", pr.CompareAtPrice.CurrencyCode, pr.CompareAtPrice.Amount)
				}
				got += "; "
			}
			return got
		}
		if got, want := read(), "USD 20.00 (was USD 25.00); EUR 18.50 (was EUR 22.00); "; got != want {
			t.Fatalf("prices after create: %q, want %q", got, want)
		}

		var updated struct {
			ProductVariantsBulkUpdate struct{ UserErrors []userError }
		}
		s.queryAs(t, as, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
			userErrors { field message } } }`, map[string]any{"p": p.ID, "v": []any{map[string]any{"id": variant,
			"prices": []any{map[string]any{"currencyCode": "EUR", "amount": "17.00"}}}}}, &updated)
		if len(updated.ProductVariantsBulkUpdate.UserErrors) > 0 {
			t.Fatalf("bulk update: %+v", updated.ProductVariantsBulkUpdate.UserErrors)
		}
		if got, want := read(), "USD 20.00 (was USD 25.00); EUR 17.00; "; got != want {
			t.Fatalf("prices after the EUR update: %q, want %q", got, want)
		}

		e := s.queryError(t, `{ product(handle: "price-ladder") { variants(first: 1) { nodes { prices { price { amount } } } } } }`, nil)
		if e.code() == "INTERNAL_SERVER_ERROR" || e.code() == "" {
			t.Fatalf("the storefront read staff prices: %+v", e)
		}
	})
}

// TestProductUpdateMedia changes the alt text of a product's images, as the dashboard's image list
// does: a valid change is seen by the storefront; an invalid alt text, or an image of another product,
// changes nothing and answers userErrors; a null alt keeps the text.
func TestProductUpdateMedia(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		demo := s.http.URL + "/media/demo/organic-cotton-tee-1.png"
		var created productCreateResult
		s.queryAs(t, as, productCreateMutation, map[string]any{"p": map[string]any{"title": "Alt Text Mug", "status": "ACTIVE", "variants": []any{map[string]any{"price": "12.00"}}},
			"m": []any{map[string]any{"originalSource": demo, "alt": "A mug"}, map[string]any{"originalSource": demo, "alt": "The mug's handle"}}}, &created)
		if created.ProductCreate.Product == nil {
			t.Fatalf("productCreate: %+v", created.ProductCreate)
		}
		productID := created.ProductCreate.Product.ID
		alts := func(handle string) (ids, texts []string) {
			var out struct {
				Product struct {
					Images struct {
						Nodes []struct{ ID, AltText string }
					}
				}
			}
			s.query(t, `query($h: String!) { product(handle: $h) { images(first: 5) { nodes { id altText } } } }`, map[string]any{"h": handle}, &out)
			for _, n := range out.Product.Images.Nodes {
				ids, texts = append(ids, n.ID), append(texts, n.AltText)
			}
			return ids, texts
		}
		ids, _ := alts("alt-text-mug")
		otherIDs, _ := alts("organic-cotton-tee")
		if len(ids) != 2 || len(otherIDs) == 0 {
			t.Fatalf("images: %v, other product's: %v", ids, otherIDs)
		}
		const update = `mutation($p: ID!, $m: [UpdateMediaInput!]!) { productUpdateMedia(productId: $p, media: $m) {
			media { id altText } product { id } userErrors { field message code } } }`
		type result struct {
			ProductUpdateMedia struct {
				Media      []struct{ ID, AltText string }
				Product    *struct{ ID string }
				UserErrors []userError
			}
		}

		for name, media := range map[string][]any{
			"HTML in the alt text":    {map[string]any{"id": ids[0], "alt": "Fine"}, map[string]any{"id": ids[1], "alt": "<b>bold</b>"}},
			"too long":                {map[string]any{"id": ids[0], "alt": strings.Repeat("a", 513)}},
			"another product's image": {map[string]any{"id": ids[0], "alt": "Fine"}, map[string]any{"id": otherIDs[0], "alt": "Stolen"}},
			"no images":               {},
		} {
			t.Run(name, func(t *testing.T) {
				var out result
				s.queryAs(t, as, update, map[string]any{"p": productID, "m": media}, &out)
				if out.ProductUpdateMedia.Product != nil || len(out.ProductUpdateMedia.UserErrors) == 0 {
					t.Fatalf("got %+v, want userErrors", out.ProductUpdateMedia)
				}
				if _, texts := alts("alt-text-mug"); !slices.Equal(texts, []string{"A mug", "The mug's handle"}) {
					t.Fatalf("alt texts after a rejected update: %q", texts)
				}
			})
		}

		var out result
		s.queryAs(t, as, update, map[string]any{"p": productID, "m": []any{
			map[string]any{"id": ids[1], "alt": "  The handle, from the left  "}, map[string]any{"id": ids[0], "alt": nil}}}, &out)
		r := out.ProductUpdateMedia
		if len(r.UserErrors) > 0 || r.Product == nil || len(r.Media) != 2 || r.Media[0].ID != ids[1] || r.Media[0].AltText != "The handle, from the left" {
			t.Fatalf("productUpdateMedia: %+v", r)
		}
		if _, texts := alts("alt-text-mug"); !slices.Equal(texts, []string{"A mug", "The handle, from the left"}) {
			t.Fatalf("storefront alt texts: %q", texts)
		}
		if _, texts := alts("organic-cotton-tee"); slices.Contains(texts, "Stolen") {
			t.Fatalf("another product's image changed: %q", texts)
		}

		res := s.post(t, `mutation($p: ID!, $m: [UpdateMediaInput!]!) { productUpdateMedia(productId: $p, media: $m) { userErrors { message } } }`,
			map[string]any{"p": productID, "m": []any{map[string]any{"id": ids[0], "alt": "Anonymous"}}})
		if len(res.Errors) == 0 || res.Errors[0].code() == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("an anonymous productUpdateMedia: %+v %s", res.Errors, res.Data)
		}
	})
}
