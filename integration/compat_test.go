package integration

import (
	"encoding/json"
	"strconv"
	"testing"
)

// Storefront code written for Shopify reads these shapes; each case is what a Shopify store answers.

// defaultOptionQuery reads what a product page shows of a product's options.
const defaultOptionQuery = `query($handle: String!) { product(handle: $handle) {
	options { id name values }
	variants(first: 5) { nodes { title selectedOptions { name value } } }
	variantBySelectedOptions(selectedOptions: [{name: "Title", value: "Default Title"}]) { title }
} }`

type defaultOptionProduct struct {
	Product *struct {
		Options []struct {
			ID, Name string
			Values   []string
		}
		Variants struct {
			Nodes []struct {
				Title           string
				SelectedOptions []struct{ Name, Value string }
			}
		}
		VariantBySelectedOptions *struct{ Title string }
	}
}

// checkDefaultOption checks that a product without options shows Shopify's Title: Default Title, and that
// the option's ID finds it again.
func checkDefaultOption(t *testing.T, s *server, handle string) {
	t.Helper()
	var got defaultOptionProduct
	s.query(t, defaultOptionQuery, map[string]any{"handle": handle}, &got)
	p := got.Product
	if p == nil {
		t.Fatalf("product %q not found", handle)
	}
	if len(p.Options) != 1 || p.Options[0].Name != "Title" || len(p.Options[0].Values) != 1 || p.Options[0].Values[0] != "Default Title" {
		t.Errorf("options %+v, want [{Title [Default Title]}]", p.Options)
	}
	if len(p.Variants.Nodes) != 1 {
		t.Fatalf("variants %+v, want one", p.Variants.Nodes)
	}
	v := p.Variants.Nodes[0]
	if v.Title != "Default Title" || len(v.SelectedOptions) != 1 || v.SelectedOptions[0].Name != "Title" || v.SelectedOptions[0].Value != "Default Title" {
		t.Errorf("variant %+v, want title and selectedOptions Title: Default Title", v)
	}
	if p.VariantBySelectedOptions == nil || p.VariantBySelectedOptions.Title != "Default Title" {
		t.Errorf("variantBySelectedOptions(Title: Default Title) = %+v, want the variant", p.VariantBySelectedOptions)
	}
	if len(p.Options) == 1 {
		var node struct {
			Node *struct {
				Typename string `json:"__typename"`
				ID, Name string
			}
		}
		s.query(t, `query($id: ID!) { node(id: $id) { __typename id ... on ProductOption { name } } }`, map[string]any{"id": p.Options[0].ID}, &node)
		if node.Node == nil || node.Node.Typename != "ProductOption" || node.Node.ID != p.Options[0].ID || node.Node.Name != "Title" {
			t.Errorf("node(%s) = %+v, want the Title option", p.Options[0].ID, node.Node)
		}
	}
}

func TestDefaultTitleOption(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		t.Run("demo product without options", func(t *testing.T) { checkDefaultOption(t, s, "market-string-bag") })
		t.Run("products with options keep theirs", func(t *testing.T) {
			var got defaultOptionProduct
			s.query(t, defaultOptionQuery, map[string]any{"handle": "organic-cotton-tee"}, &got)
			if got.Product == nil || len(got.Product.Options) != 2 || got.Product.Options[0].Name != "Size" {
				t.Fatalf("options %+v, want Size and Color", got.Product)
			}
			if got.Product.VariantBySelectedOptions != nil {
				t.Errorf("Title: Default Title matched %+v on a product with options", got.Product.VariantBySelectedOptions)
			}
		})
	})
	// The README's admin example: a product made with a title and one price.
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		var out struct {
			ProductCreate struct {
				Product    *struct{ Handle string }
				UserErrors []struct{ Message string }
			}
		}
		s.queryAs(t, as, `mutation { productCreate(product: {title: "Rain Jacket", status: ACTIVE, variants: [{price: "89.00"}]}) { product { handle } userErrors { message } } }`, nil, &out)
		if out.ProductCreate.Product == nil {
			t.Fatalf("productCreate: %+v", out.ProductCreate.UserErrors)
		}
		checkDefaultOption(t, s, out.ProductCreate.Product.Handle)
	})
}

// foreignCartIDs are cart IDs a storefront may hold in its cookie that name no Emporium cart.
var foreignCartIDs = []string{
	"gid://shopify/Cart/c1-abc123?key=xyz", // left by a Shopify store
	"gid://shopify/Cart/Z2NwLXVzLWVhc3QxOjAxSjk",
	"gid://emporium/Cart/short",
	"gid://emporium/Cart/00000000000000000000000000000000", // well formed, never made
	"not a cart id",
	"",
}

func TestForeignCartIDs(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, id := range foreignCartIDs {
			t.Run(id, func(t *testing.T) {
				r := s.post(t, `query($id: ID!) { cart(id: $id) { id totalQuantity } }`, map[string]any{"id": id})
				if r.Status != 200 || len(r.Errors) > 0 || string(r.Data) != `{"cart":null}` {
					t.Errorf("cart(id: %q): status %d, data %s, errors %+v; want cart null and no error", id, r.Status, r.Data, r.Errors)
				}
				mutations := map[string]string{
					"cartLinesAdd":            `mutation($id: ID!) { cartLinesAdd(cartId: $id, lines: []) { cart { id } userErrors { field code } } }`,
					"cartLinesUpdate":         `mutation($id: ID!) { cartLinesUpdate(cartId: $id, lines: []) { cart { id } userErrors { field code } } }`,
					"cartLinesRemove":         `mutation($id: ID!) { cartLinesRemove(cartId: $id, lineIds: []) { cart { id } userErrors { field code } } }`,
					"cartNoteUpdate":          `mutation($id: ID!) { cartNoteUpdate(cartId: $id, note: "x") { cart { id } userErrors { field code } } }`,
					"cartDiscountCodesUpdate": `mutation($id: ID!) { cartDiscountCodesUpdate(cartId: $id, discountCodes: []) { cart { id } userErrors { field code } } }`,
					"cartPaymentUpdate": `mutation($id: ID!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: "1.00", currencyCode: USD},
						freePaymentMethod: {billingAddress: {country: "US"}}}) { cart { id } userErrors { field code } } }`,
					"cartSubmitForCompletion": `mutation($id: ID!) { cartSubmitForCompletion(cartId: $id, attemptToken: "t1") { result { __typename } userErrors { field code } } }`,
				}
				for name, m := range mutations {
					r := s.post(t, m, map[string]any{"id": id})
					var data map[string]struct {
						Cart       any
						UserErrors []struct {
							Field []string
							Code  string
						}
					}
					if r.Status != 200 || len(r.Errors) > 0 {
						t.Errorf("%s: status %d, errors %+v; want a userError and no top-level error", name, r.Status, r.Errors)
						continue
					}
					if err := json.Unmarshal(r.Data, &data); err != nil {
						t.Fatal(err)
					}
					p := data[name]
					if p.Cart != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "INVALID" || len(p.UserErrors[0].Field) != 1 || p.UserErrors[0].Field[0] != "cartId" {
						t.Errorf("%s: %s, want cart null and the userError cartId INVALID", name, r.Data)
					}
				}
			})
		}
		t.Run("node of another shop", func(t *testing.T) {
			for _, id := range []string{"gid://shopify/Product/7982853619954", "gid://shopify/Cart/c1-abc123?key=xyz", "gid://shopify/ProductVariant/1"} {
				r := s.post(t, `query($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }`, map[string]any{"id": id})
				if r.Status != 200 || len(r.Errors) > 0 || string(r.Data) != `{"node":null,"nodes":[null]}` {
					t.Errorf("node(%q): status %d, data %s, errors %+v; want null", id, r.Status, r.Data, r.Errors)
				}
			}
		})
	})
}

// Shopify declares CartCost's amounts non-null and totalTaxAmount nullable (and deprecated); before an
// address is known it answers null, which the Next.js Commerce template replaces with zero itself.
func TestCartCostBeforeAnAddress(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-S-BLK"]
		var out struct {
			CartCreate struct {
				Cart *struct {
					Cost map[string]*struct{ Amount, CurrencyCode string }
				}
			}
		}
		s.query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 2}]}) { cart { cost {
			subtotalAmount { amount currencyCode } totalAmount { amount currencyCode } checkoutChargeAmount { amount currencyCode }
			totalTaxAmount { amount currencyCode } } } } }`, map[string]any{"v": v}, &out)
		if out.CartCreate.Cart == nil {
			t.Fatal("no cart")
		}
		cost := out.CartCreate.Cart.Cost
		for _, f := range []string{"subtotalAmount", "totalAmount", "checkoutChargeAmount"} {
			if m := cost[f]; m == nil || m.CurrencyCode != "USD" || !amountIs(m.Amount, 58) {
				t.Errorf("%s = %+v, want 58.0 USD", f, m)
			}
		}
		if cost["totalTaxAmount"] != nil {
			t.Errorf("totalTaxAmount = %+v before an address, want null as Shopify answers", cost["totalTaxAmount"])
		}
		// Shopify's other CartCost fields a storefront may ask for: the estimated flags and duties.
		var flags struct {
			CartCreate struct {
				Cart struct {
					Cost struct {
						TotalTaxAmountEstimated, TotalDutyAmountEstimated bool
						TotalDutyAmount                                   *struct{ Amount string }
					}
				}
			}
		}
		s.query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { cost {
			totalTaxAmountEstimated totalDutyAmount { amount } totalDutyAmountEstimated } } } }`, map[string]any{"v": v}, &flags)
		if c := flags.CartCreate.Cart.Cost; !c.TotalTaxAmountEstimated || c.TotalDutyAmountEstimated || c.TotalDutyAmount != nil {
			t.Errorf("cost flags = %+v; want tax estimated before an address, no duties", c)
		}
	})
}

func amountIs(amount string, want float64) bool {
	f, err := strconv.ParseFloat(amount, 64)
	return err == nil && f == want
}
