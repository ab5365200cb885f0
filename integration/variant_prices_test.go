package integration

import (
	"fmt"
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
