package integration

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emporium/emporium/service"
)

const cartFields = `fragment cart on Cart {
  id checkoutUrl totalQuantity note createdAt updatedAt
  attributes { key value }
  buyerIdentity { email countryCode customer { email } }
  discountCodes { code applicable }
  cost { subtotalAmount { amount currencyCode } totalAmount { amount currencyCode } totalTaxAmount { amount } }
  lines(first: 100) { nodes { id quantity
    merchandise { ... on ProductVariant { id sku product { handle } } }
    cost { amountPerQuantity { amount currencyCode } subtotalAmount { amount } totalAmount { amount } } } }
}`

type cartData struct {
	ID, CheckoutURL, Note string
	TotalQuantity         int
	Attributes            []struct{ Key, Value string }
	BuyerIdentity         struct {
		Email, CountryCode *string
		Customer           *struct{ Email string }
	}
	DiscountCodes []struct {
		Code       string
		Applicable bool
	}
	Cost struct {
		SubtotalAmount, TotalAmount moneyV2
		TotalTaxAmount              *moneyV2
	}
	Lines struct {
		Nodes []struct {
			ID          string
			Quantity    int
			Merchandise struct {
				ID, SKU string
				Product struct{ Handle string }
			}
			Cost struct {
				AmountPerQuantity moneyV2
				SubtotalAmount    struct{ Amount string }
			}
		}
	}
}

type cartPayload struct {
	Cart       *cartData
	UserErrors []userError
	Warnings   []struct{ Code, Message, Target string }
}

// variantIDs maps SKUs of the demo shop to variant IDs.
func variantIDs(t *testing.T, s *server, handles ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, h := range handles {
		var p struct {
			Product struct {
				Variants struct{ Nodes []struct{ ID, SKU string } }
			}
		}
		s.query(t, `query($h: String!) { product(handle: $h) { variants(first: 250) { nodes { id sku } } } }`, map[string]any{"h": h}, &p)
		for _, v := range p.Product.Variants.Nodes {
			out[v.SKU] = v.ID
		}
	}
	return out
}

func TestCart(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { o.CheckoutURL = "https://shop.example/checkout/{cartToken}" }, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee", "waxed-canvas-backpack", "chunky-knit-throw-blanket", "gift-card")
		create := `mutation($input: CartInput) { cartCreate(input: $input) { cart { ...cart } userErrors { field message code } warnings { code message target } } }`
		mutate := func(t *testing.T, name, m string, vars map[string]any) cartPayload {
			t.Helper()
			var out map[string]cartPayload
			s.query(t, m+"\n"+cartFields, vars, &out)
			return out[name]
		}

		t.Run("an empty cart", func(t *testing.T) {
			p := mutate(t, "cartCreate", create, map[string]any{"input": nil})
			c := p.Cart
			if c == nil || c.TotalQuantity != 0 || c.Cost.TotalAmount != (moneyV2{"0.00", "USD"}) || c.Cost.TotalTaxAmount != nil {
				t.Fatalf("empty cart: %+v", p)
			}
			if !regexp.MustCompile(`^gid://emporium/Cart/[0-9a-f]{32}$`).MatchString(c.ID) {
				t.Errorf("cart ID %q does not carry 128 random bits", c.ID)
			}
			if !strings.HasPrefix(c.CheckoutURL, "https://shop.example/checkout/") || !strings.HasSuffix(c.ID, c.CheckoutURL[len("https://shop.example/checkout/"):]) {
				t.Errorf("checkoutUrl %q", c.CheckoutURL)
			}
			other := mutate(t, "cartCreate", create, nil)
			if other.Cart.ID == c.ID {
				t.Error("two carts share an ID")
			}
		})

		var cartID string
		t.Run("lines, merging and totals", func(t *testing.T) {
			p := mutate(t, "cartCreate", create, map[string]any{"input": map[string]any{
				"lines": []any{map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 2}},
				"note":  "Gift wrap, please", "attributes": []any{map[string]any{"key": "gift", "value": "yes"}},
			}})
			c := p.Cart
			if c == nil || c.TotalQuantity != 2 || c.Cost.SubtotalAmount != (moneyV2{"58.00", "USD"}) || c.Note != "Gift wrap, please" ||
				len(c.Lines.Nodes) != 1 || c.Lines.Nodes[0].Cost.AmountPerQuantity.Amount != "29.00" || c.Lines.Nodes[0].Merchandise.SKU != "EMP-TEE-ORG-M-BLK" {
				t.Fatalf("cart: %+v", p)
			}
			cartID = c.ID
			add := `mutation($id: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $id, lines: $lines) { cart { ...cart } userErrors { field message code } } }`
			p = mutate(t, "cartLinesAdd", add, map[string]any{"id": cartID, "lines": []any{
				map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 1},
				map[string]any{"merchandiseId": v["EMP-TEE-ORG-XL-WHT"], "quantity": 2},
			}})
			c = p.Cart
			if c == nil || len(c.Lines.Nodes) != 2 || c.Lines.Nodes[0].Quantity != 3 || c.TotalQuantity != 5 ||
				c.Cost.TotalAmount.Amount != "149.00" { // 3 × 29.00 + 2 × 31.00
				t.Fatalf("after adding: %+v", p)
			}
			upd := `mutation($id: ID!, $lines: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $id, lines: $lines) { cart { ...cart } userErrors { field message code } } }`
			p = mutate(t, "cartLinesUpdate", upd, map[string]any{"id": cartID, "lines": []any{
				map[string]any{"id": c.Lines.Nodes[0].ID, "quantity": 1}, map[string]any{"id": c.Lines.Nodes[1].ID, "quantity": 0},
			}})
			if p.Cart == nil || len(p.Cart.Lines.Nodes) != 1 || p.Cart.Cost.TotalAmount.Amount != "29.00" {
				t.Fatalf("after updating: %+v", p)
			}
			rm := `mutation($id: ID!, $ids: [ID!]!) { cartLinesRemove(cartId: $id, lineIds: $ids) { cart { ...cart } userErrors { field message code } } }`
			p = mutate(t, "cartLinesRemove", rm, map[string]any{"id": cartID, "ids": []string{p.Cart.Lines.Nodes[0].ID}})
			if p.Cart == nil || len(p.Cart.Lines.Nodes) != 0 || p.Cart.Cost.TotalAmount.Amount != "0.00" {
				t.Fatalf("after removing: %+v", p)
			}
		})

		t.Run("stock and bad lines change nothing", func(t *testing.T) {
			add := `mutation($id: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $id, lines: $lines) { cart { ...cart } userErrors { field message code } } }`
			var draft struct {
				Product *struct{ ID string }
			}
			s.query(t, `{ product(handle: "prototype-rain-jacket") { id } }`, nil, &draft)
			for _, tt := range []struct {
				name string
				line map[string]any
				code string
			}{
				{"more than in stock", map[string]any{"merchandiseId": v["EMP-TEE-ORG-L-BLK"], "quantity": 3}, "INVALID"}, // 2 in stock
				{"sold out", map[string]any{"merchandiseId": v["EMP-BAG-BPK-TAN"], "quantity": 1}, "INVALID"},
				{"zero", map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 0}, "LESS_THAN"},
				{"too many", map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 1001}, "MAXIMUM_EXCEEDED"},
				{"unknown variant", map[string]any{"merchandiseId": "gid://emporium/ProductVariant/999999", "quantity": 1}, "INVALID_MERCHANDISE_LINE"},
			} {
				p := mutate(t, "cartLinesAdd", add, map[string]any{"id": cartID, "lines": []any{
					map[string]any{"merchandiseId": v["EMP-TEE-ORG-S-BLK"], "quantity": 1}, tt.line}})
				if p.Cart != nil || len(p.UserErrors) == 0 || p.UserErrors[0].code() != tt.code {
					t.Errorf("%s: %+v, want %s and no cart", tt.name, p, tt.code)
				}
			}
			var c struct{ Cart cartData }
			s.query(t, `query($id: ID!) { cart(id: $id) { ...cart } }`+"\n"+cartFields, map[string]any{"id": cartID}, &c)
			if c.Cart.TotalQuantity != 0 {
				t.Errorf("a refused add changed the cart: %+v", c.Cart.Lines)
			}
			p := mutate(t, "cartLinesAdd", add, map[string]any{"id": cartID, "lines": []any{
				map[string]any{"merchandiseId": v["EMP-TEE-ORG-L-BLK"], "quantity": 2},
				map[string]any{"merchandiseId": v["EMP-HOM-THR-GRY"], "quantity": 5}, // backorder allowed
				map[string]any{"merchandiseId": v["EMP-GFT-CRD-50"], "quantity": 20}, // untracked
			}})
			if p.Cart == nil || p.Cart.TotalQuantity != 27 {
				t.Errorf("in-stock, backorder and untracked lines: %+v", p)
			}
		})

		t.Run("buyer identity, currency and ownership", func(t *testing.T) {
			buyer := `mutation($id: ID!, $b: CartBuyerIdentityInput!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: $b) { cart { ...cart } userErrors { field message code } } }`
			p := mutate(t, "cartBuyerIdentityUpdate", buyer, map[string]any{"id": cartID, "b": map[string]any{"countryCode": "DE", "email": "Buyer@Example.com"}})
			if p.Cart == nil || p.Cart.Cost.TotalAmount.CurrencyCode != "EUR" || p.Cart.Lines.Nodes[0].Cost.AmountPerQuantity != (moneyV2{"26.50", "EUR"}) ||
				*p.Cart.BuyerIdentity.Email != "buyer@example.com" {
				t.Fatalf("German buyer: %+v", p)
			}
			_, alice := signUpAndLogIn(t, s, "alice@example.com")
			_, bob := signUpAndLogIn(t, s, "bob@example.com")
			p = mutate(t, "cartBuyerIdentityUpdate", buyer, map[string]any{"id": cartID, "b": map[string]any{"customerAccessToken": "forged"}})
			if p.Cart != nil || len(p.UserErrors) == 0 {
				t.Errorf("a forged customer token was accepted: %+v", p)
			}
			p = mutate(t, "cartBuyerIdentityUpdate", buyer, map[string]any{"id": cartID, "b": map[string]any{"customerAccessToken": alice}})
			if p.Cart == nil || p.Cart.BuyerIdentity.Customer == nil || p.Cart.BuyerIdentity.Customer.Email != "alice@example.com" {
				t.Fatalf("alice's cart: %+v", p)
			}
			q := `query($id: ID!) { cart(id: $id) { id } }`
			var seen struct{ Cart *struct{ ID string } }
			s.queryAs(t, bearer(bob), q, map[string]any{"id": cartID}, &seen)
			if seen.Cart != nil {
				t.Error("bob reads alice's cart")
			}
			r := s.postAs(t, bearer(bob), `mutation($id: ID!) { cartNoteUpdate(cartId: $id, note: "mine now") { cart { id } userErrors { message code } } }`, map[string]any{"id": cartID})
			if !strings.Contains(string(r.Data), "does not exist") {
				t.Errorf("bob changed alice's cart: %s", r.Data)
			}
			p = mutate(t, "cartBuyerIdentityUpdate", buyer, map[string]any{"id": cartID, "b": map[string]any{"customerAccessToken": bob}})
			if p.Cart != nil {
				t.Errorf("bob took over alice's cart: %+v", p)
			}
			s.queryAs(t, bearer(alice), q, map[string]any{"id": cartID}, &seen)
			if seen.Cart == nil {
				t.Error("alice cannot read her cart")
			}
		})

		t.Run("note, attributes and discount codes", func(t *testing.T) {
			p := mutate(t, "cartNoteUpdate", `mutation($id: ID!, $n: String!) { cartNoteUpdate(cartId: $id, note: $n) { cart { ...cart } userErrors { field message code } } }`,
				map[string]any{"id": cartID, "n": strings.Repeat("x", 5001)})
			if p.Cart != nil || len(p.UserErrors) == 0 || p.UserErrors[0].code() != "NOTE_TOO_LONG" {
				t.Errorf("long note: %+v", p)
			}
			p = mutate(t, "cartAttributesUpdate", `mutation($id: ID!) { cartAttributesUpdate(cartId: $id, attributes: [{key: "source", value: "newsletter"}]) { cart { ...cart } userErrors { field message code } } }`,
				map[string]any{"id": cartID})
			if p.Cart == nil || len(p.Cart.Attributes) != 1 || p.Cart.Attributes[0].Value != "newsletter" {
				t.Errorf("attributes: %+v", p)
			}
			p = mutate(t, "cartDiscountCodesUpdate", `mutation($id: ID!) { cartDiscountCodesUpdate(cartId: $id, discountCodes: ["NOPE10"]) { cart { ...cart } userErrors { field message code } warnings { code message target } } }`,
				map[string]any{"id": cartID})
			if p.Cart == nil || len(p.Cart.DiscountCodes) != 1 || p.Cart.DiscountCodes[0].Applicable || len(p.Warnings) != 1 || p.Warnings[0].Code != "DISCOUNT_NOT_FOUND" {
				t.Errorf("discount codes: %+v", p)
			}
		})

		t.Run("bad IDs", func(t *testing.T) {
			// Shopify answers null for a cart ID it does not know; storefronts read the cookie's cart on every page.
			var none struct{ Cart *struct{ ID string } }
			if s.query(t, `{ cart(id: "gid://emporium/Cart/short") { id } }`, nil, &none); none.Cart != nil {
				t.Errorf("a malformed cart ID found %+v", none.Cart)
			}
			s.query(t, `{ cart(id: "gid://emporium/Cart/00000000000000000000000000000000") { id } }`, nil, &none)
			if none.Cart != nil {
				t.Errorf("a made-up cart ID found %+v", none.Cart)
			}
		})
	})
}

func TestCartStatementsAreBounded(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		var skus []string
		for sku := range v {
			if sku != "EMP-TEE-ORG-XL-NVY" { // sold out
				skus = append(skus, sku)
			}
		}
		slices.Sort(skus)
		counts := map[int]int{}
		for _, n := range []int{1, 10} {
			var lines []any
			for _, sku := range skus[:n] {
				lines = append(lines, map[string]any{"merchandiseId": v[sku], "quantity": 1})
			}
			var out struct{ CartCreate cartPayload }
			s.query(t, `mutation($input: CartInput) { cartCreate(input: $input) { cart { id } userErrors { message } } }`,
				map[string]any{"input": map[string]any{"lines": lines}}, &out)
			if out.CartCreate.Cart == nil {
				t.Fatalf("cartCreate: %+v", out.CartCreate.UserErrors)
			}
			// The first read may fill the shop's memos (discounts, shipping); the second shows what a cart
			// costs with them warm, which must not depend on its lines.
			for range 2 {
				s.query(t, `query($id: ID!) { cart(id: $id) { ...cart } }`+"\n"+cartFields, map[string]any{"id": out.CartCreate.Cart.ID}, nil)
				if counts[n] = s.lastStatements(); counts[n] > maxStatements {
					t.Errorf("%d lines: %d statements, want at most %d", n, counts[n], maxStatements)
				}
			}
		}
		if counts[1] != counts[10] || counts[1] > maxStatements {
			t.Errorf("cart query statements by line count: %v, want equal and at most %d", counts, maxStatements)
		}
		t.Logf("%s: %v", s.name, counts)
	})
}

func TestCartDelivery(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee", "gift-card")
		const fields = `cart { id cost { subtotalAmount { amount } totalAmount { amount currencyCode } totalTaxAmount { amount } }
			delivery { addresses(selected: true) { id selected address { ... on CartDeliveryAddress { city countryCode formatted } } } }
			deliveryGroups(first: 5) { nodes { id groupType selectedDeliveryOption { handle } deliveryOptions { handle title estimatedCost { amount currencyCode } } } } }
			userErrors { field message code }`
		type payload struct {
			Cart *struct {
				ID   string
				Cost struct {
					SubtotalAmount struct{ Amount string }
					TotalAmount    moneyV2
					TotalTaxAmount *struct{ Amount string }
				}
				Delivery struct {
					Addresses []struct {
						ID       string
						Selected bool
						Address  struct {
							City, CountryCode string
							Formatted         []string
						}
					}
				}
				DeliveryGroups struct {
					Nodes []struct {
						ID, GroupType          string
						SelectedDeliveryOption *struct{ Handle string }
						DeliveryOptions        []struct {
							Handle, Title string
							EstimatedCost moneyV2
						}
					}
				}
			}
			UserErrors []userError
		}
		options := func(p payload) map[string]string {
			out := map[string]string{}
			for _, g := range p.Cart.DeliveryGroups.Nodes {
				for _, o := range g.DeliveryOptions {
					out[o.Handle] = o.EstimatedCost.Amount
				}
			}
			return out
		}
		var created struct{ CartCreate payload }
		s.query(t, `mutation($input: CartInput) { cartCreate(input: $input) { `+fields+` } }`, map[string]any{"input": map[string]any{
			"lines": []any{map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 2}, map[string]any{"merchandiseId": v["EMP-GFT-CRD-50"], "quantity": 1}},
		}}, &created)
		c := created.CartCreate
		if c.Cart == nil || c.Cart.Cost.TotalAmount.Amount != "108.00" || len(c.Cart.DeliveryGroups.Nodes) != 0 {
			t.Fatalf("new cart: %+v", c)
		}
		id := c.Cart.ID
		add := `mutation($id: ID!, $a: [CartSelectableAddressInput!]!) { cartDeliveryAddressesAdd(cartId: $id, addresses: $a) { ` + fields + ` } }`
		us := map[string]any{"address": map[string]any{"deliveryAddress": map[string]any{"address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "countryCode": "US", "zip": "43004"}}, "selected": true}
		var out struct{ CartDeliveryAddressesAdd payload }
		s.query(t, add, map[string]any{"id": id, "a": []any{us}}, &out)
		p := out.CartDeliveryAddressesAdd
		// The gift card does not ship: the shipped subtotal is 58.00, under the free-shipping threshold of 75.00.
		if got := options(p); p.Cart == nil || got["standard"] != "5.00" || got["express"] != "15.00" || len(got) != 2 {
			t.Fatalf("US options: %+v", p)
		}
		if a := p.Cart.Delivery.Addresses; len(a) != 1 || a[0].Address.City != "Columbus" || a[0].Address.Formatted[0] != "1 Main St" {
			t.Errorf("delivery addresses: %+v", a)
		}
		group := p.Cart.DeliveryGroups.Nodes[0].ID
		sel := `mutation($id: ID!, $g: ID!, $h: String!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: $h}]) { ` + fields + ` } }`
		var chosen struct{ CartSelectedDeliveryOptionsUpdate payload }
		s.query(t, sel, map[string]any{"id": id, "g": group, "h": "express"}, &chosen)
		p = chosen.CartSelectedDeliveryOptionsUpdate
		// Ohio taxes the tee (58.00 × 5.75% = 3.335, rounded per line to 3.34), not the gift card nor shipping:
		// 108.00 + 15.00 express + 3.34 tax.
		if p.Cart == nil || p.Cart.Cost.TotalAmount.Amount != "126.34" || p.Cart.Cost.TotalTaxAmount == nil ||
			p.Cart.Cost.TotalTaxAmount.Amount != "3.34" || p.Cart.DeliveryGroups.Nodes[0].SelectedDeliveryOption == nil {
			t.Fatalf("express selected: %+v", p)
		}
		for _, tt := range []struct{ group, handle, code string }{{group, "teleport", "INVALID_DELIVERY_OPTION"},
			{"gid://emporium/CartDeliveryGroup/00000000000000000000000000000000", "express", "INVALID_DELIVERY_GROUP"}} {
			s.query(t, sel, map[string]any{"id": id, "g": tt.group, "h": tt.handle}, &chosen)
			if pe := chosen.CartSelectedDeliveryOptionsUpdate; pe.Cart != nil || len(pe.UserErrors) == 0 || pe.UserErrors[0].code() != tt.code {
				t.Errorf("%s/%s: %+v, want %s", tt.group, tt.handle, pe, tt.code)
			}
		}

		de := map[string]any{"address": map[string]any{"deliveryAddress": map[string]any{"address1": "Unter den Linden 1", "city": "Berlin", "countryCode": "DE"}}, "selected": true}
		var replaced struct{ CartDeliveryAddressesReplace payload }
		s.query(t, `mutation($id: ID!, $a: [CartSelectableAddressInput!]!) { cartDeliveryAddressesReplace(cartId: $id, addresses: $a) { `+fields+` } }`,
			map[string]any{"id": id, "a": []any{de}}, &replaced)
		p = replaced.CartDeliveryAddressesReplace
		// German VAT is inside the prices: 58.00 × 19/119 = 9.26 on the tee, 16.00 × 19/119 = 2.55 on shipping;
		// the total stays 108.00 + 16.00.
		if got := options(p); p.Cart == nil || got["standard"] != "7.50" || got["express"] != "16.00" || p.Cart.Cost.TotalAmount.Amount != "124.00" ||
			p.Cart.Cost.TotalTaxAmount == nil || p.Cart.Cost.TotalTaxAmount.Amount != "11.81" {
			t.Fatalf("shipping to Germany in USD: options %v, %+v", got, p)
		}

		for name, addrs := range map[string][]any{
			"two selected":   {us, de},
			"no country":     {map[string]any{"address": map[string]any{"deliveryAddress": map[string]any{"city": "Nowhere"}}}},
			"markup in city": {map[string]any{"address": map[string]any{"deliveryAddress": map[string]any{"city": "<b>x</b>", "countryCode": "US"}}}},
		} {
			s.query(t, add, map[string]any{"id": id, "a": addrs}, &out)
			if out.CartDeliveryAddressesAdd.Cart != nil || len(out.CartDeliveryAddressesAdd.UserErrors) == 0 {
				t.Errorf("%s: %+v, want userErrors", name, out.CartDeliveryAddressesAdd)
			}
		}
		var after struct {
			Cart struct {
				Delivery struct{ Addresses []struct{ ID string } }
			}
		}
		s.query(t, `query($id: ID!) { cart(id: $id) { delivery { addresses { id } } } }`, map[string]any{"id": id}, &after)
		if len(after.Cart.Delivery.Addresses) != 1 {
			t.Errorf("refused address changes wrote: %+v", after.Cart.Delivery.Addresses)
		}

		_, alice := signUpAndLogIn(t, s, "alice@example.com")
		var book struct {
			CustomerAddressCreate struct{ CustomerAddress struct{ ID string } }
		}
		s.queryAs(t, bearer(alice), `mutation { customerAddressCreate(address: {address1: "Alice St 1", city: "Lyon", country: "FR"}) { customerAddress { id } } }`, nil, &book)
		copyIt := []any{map[string]any{"address": map[string]any{"copyFromCustomerAddressId": book.CustomerAddressCreate.CustomerAddress.ID}}}
		s.query(t, add, map[string]any{"id": id, "a": copyIt}, &out)
		if pe := out.CartDeliveryAddressesAdd; pe.Cart != nil || len(pe.UserErrors) == 0 || pe.UserErrors[0].code() != "INVALID_DELIVERY_ADDRESS_ID" {
			t.Errorf("copying another customer's address into a guest cart: %+v", pe)
		}
		s.query(t, `mutation($id: ID!, $t: String!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: {customerAccessToken: $t}) { cart { id } } }`,
			map[string]any{"id": id, "t": alice}, nil)
		s.query(t, add, map[string]any{"id": id, "a": copyIt}, &out)
		if pe := out.CartDeliveryAddressesAdd; pe.Cart == nil {
			t.Errorf("copying the cart customer's own address: %+v", pe)
		}
	})
}

func TestCartDiscounts(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee", "gift-card")
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		create := `mutation($in: DiscountInput!) { discountCreate(input: $in) { discount { id code automatic percentage } userErrors { field message } } }`
		type created struct {
			DiscountCreate struct {
				Discount *struct {
					ID         string
					Code       *string
					Automatic  bool
					Percentage *float64
				}
				UserErrors []userError
			}
		}
		welcome := "WELCOME10"
		var d created
		s.queryAs(t, owner, create, map[string]any{"in": map[string]any{"title": "Welcome", "code": "welcome10", "kind": "PERCENTAGE",
			"percentage": "10", "minimumSubtotal": "50.00", "currencyCode": "USD"}}, &d)
		if d.DiscountCreate.Discount == nil || *d.DiscountCreate.Discount.Code != welcome || *d.DiscountCreate.Discount.Percentage != 10 {
			t.Fatalf("discountCreate: %+v", d.DiscountCreate)
		}
		for name, in := range map[string]map[string]any{
			"duplicate code":         {"title": "Again", "code": "WELCOME10", "kind": "PERCENTAGE", "percentage": "5"},
			"over 100%":              {"title": "Too much", "code": "X", "kind": "PERCENTAGE", "percentage": "150"},
			"products without any":   {"title": "Empty", "code": "Y", "kind": "PERCENTAGE", "percentage": "5", "target": "PRODUCTS"},
			"fixed without currency": {"title": "Fixed", "code": "Z", "kind": "FIXED_AMOUNT", "amount": "5.00"},
			"ends before it starts":  {"title": "Late", "code": "W", "kind": "PERCENTAGE", "percentage": "5", "startsAt": "2026-01-02T00:00:00Z", "endsAt": "2026-01-01T00:00:00Z"},
		} {
			var bad created
			s.queryAs(t, owner, create, map[string]any{"in": in}, &bad)
			if bad.DiscountCreate.Discount != nil || len(bad.DiscountCreate.UserErrors) == 0 {
				t.Errorf("%s: %+v", name, bad.DiscountCreate)
			}
		}
		if r := s.post(t, create, map[string]any{"in": map[string]any{"title": "Anon", "kind": "PERCENTAGE", "percentage": "5"}}); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" {
			t.Errorf("anonymous discountCreate: %s %+v", r.Data, r.Errors)
		}
		const q = `fragment d on Cart { cost { subtotalAmount { amount } totalAmount { amount } }
			discountCodes { code applicable }
			discountAllocations { discountedAmount { amount } targetType ... on CartCodeDiscountAllocation { code } ... on CartAutomaticDiscountAllocation { title } }
			lines(first: 5) { nodes { id cost { totalAmount { amount } } discountAllocations { discountedAmount { amount } ... on CartAutomaticDiscountAllocation { title } } } } }`
		type alloc struct {
			DiscountedAmount struct{ Amount string }
			TargetType       string
			Code, Title      string
		}
		type cart struct {
			ID   string
			Cost struct {
				SubtotalAmount, TotalAmount struct{ Amount string }
			}
			DiscountCodes []struct {
				Code       string
				Applicable bool
			}
			DiscountAllocations []alloc
			Lines               struct {
				Nodes []struct {
					Cost                struct{ TotalAmount struct{ Amount string } }
					DiscountAllocations []alloc
				}
			}
		}
		var newCart struct{ CartCreate struct{ Cart cart } }
		s.query(t, `mutation($l: [CartLineInput!]) { cartCreate(input: {lines: $l, discountCodes: ["welcome10"]}) { cart { id ...d } } }`+"\n"+q,
			map[string]any{"l": []any{map[string]any{"merchandiseId": v["EMP-TEE-ORG-M-BLK"], "quantity": 2}, map[string]any{"merchandiseId": v["EMP-GFT-CRD-50"], "quantity": 1}}}, &newCart)
		c := newCart.CartCreate.Cart
		// 10% of 108.00, spread 5.80 on the tees and 5.00 on the gift card.
		if c.Cost.SubtotalAmount.Amount != "108.00" || c.Cost.TotalAmount.Amount != "97.20" || !c.DiscountCodes[0].Applicable ||
			len(c.DiscountAllocations) != 1 || c.DiscountAllocations[0].DiscountedAmount.Amount != "10.80" || c.DiscountAllocations[0].Code != welcome ||
			c.Lines.Nodes[0].Cost.TotalAmount.Amount != "52.20" || c.Lines.Nodes[1].Cost.TotalAmount.Amount != "45.00" {
			t.Fatalf("with WELCOME10: %+v", c)
		}

		var tee struct{ Product struct{ ID string } }
		s.query(t, `{ product(handle: "organic-cotton-tee") { id } }`, nil, &tee)
		var auto created
		s.queryAs(t, owner, create, map[string]any{"in": map[string]any{"title": "Tee week", "kind": "PERCENTAGE", "percentage": "20",
			"target": "PRODUCTS", "productIds": []string{tee.Product.ID}}}, &auto)
		if auto.DiscountCreate.Discount == nil || !auto.DiscountCreate.Discount.Automatic {
			t.Fatalf("automatic discount: %+v", auto.DiscountCreate)
		}
		var again struct{ Cart cart }
		s.query(t, `query($id: ID!) { cart(id: $id) { ...d } }`+"\n"+q, map[string]any{"id": c.ID}, &again)
		c = again.Cart
		// The tee discount (11.60) takes more than the code (10.80) and they do not combine.
		if c.Cost.TotalAmount.Amount != "96.40" || c.DiscountCodes[0].Applicable || len(c.DiscountAllocations) != 0 ||
			len(c.Lines.Nodes[0].DiscountAllocations) != 1 || c.Lines.Nodes[0].DiscountAllocations[0].Title != "Tee week" ||
			c.Lines.Nodes[0].DiscountAllocations[0].DiscountedAmount.Amount != "11.60" {
			t.Fatalf("with the automatic tee discount: %+v", c)
		}
	})
}

func TestCartPayment(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		var created struct {
			CartCreate struct {
				Cart struct {
					ID   string
					Cost struct{ TotalAmount moneyV2 }
				}
			}
		}
		s.query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 2}]}) { cart { id cost { totalAmount { amount currencyCode } } } } }`,
			map[string]any{"v": v["EMP-TEE-ORG-M-BLK"]}, &created)
		id, total := created.CartCreate.Cart.ID, created.CartCreate.Cart.Cost.TotalAmount
		pay := `mutation($id: ID!, $p: CartPaymentInput!) { cartPaymentUpdate(cartId: $id, payment: $p) { cart { id } userErrors { field message code } } }`
		direct := func(amount, currency string) map[string]any {
			return map[string]any{"amount": map[string]any{"amount": amount, "currencyCode": currency},
				"directPaymentMethod": map[string]any{"sessionId": "4242424242424242", "billingAddress": map[string]any{"city": "Columbus", "country": "US"}}}
		}
		type result struct {
			CartPaymentUpdate struct {
				Cart       *struct{ ID string }
				UserErrors []userError
			}
		}
		for name, p := range map[string]map[string]any{
			"less than the total":   direct("1.00", "USD"),
			"another currency":      direct(total.Amount, "EUR"),
			"free on a paying cart": {"amount": map[string]any{"amount": total.Amount, "currencyCode": "USD"}, "freePaymentMethod": map[string]any{"billingAddress": map[string]any{"city": "X"}}},
		} {
			var out result
			s.query(t, pay, map[string]any{"id": id, "p": p}, &out)
			if out.CartPaymentUpdate.Cart != nil || len(out.CartPaymentUpdate.UserErrors) == 0 || out.CartPaymentUpdate.UserErrors[0].code() != "INVALID_PAYMENT" {
				t.Errorf("%s: %+v", name, out.CartPaymentUpdate)
			}
		}
		var out result
		s.query(t, pay, map[string]any{"id": id, "p": direct(total.Amount, total.CurrencyCode)}, &out)
		if out.CartPaymentUpdate.Cart == nil {
			t.Errorf("the exact total was refused: %+v (total %+v)", out.CartPaymentUpdate, total)
		}
	})
}

// TestCartCreateWithLines covers the storefront's first call, a cart with lines and nothing else, which
// PostgreSQL writes in one statement: repeated variants merge, attributes are kept, limits and stock are
// checked, and a refused cart writes nothing.
func TestCartCreateWithLines(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		v := variantIDs(t, s, "organic-cotton-tee")
		const create = `mutation($l: [CartLineInput!]) { cartCreate(input: {lines: $l}) {
			cart { id totalQuantity lines(first: 10) { nodes { id quantity attributes { key value } merchandise { ... on ProductVariant { sku } } } }
			cost { subtotalAmount { amount } } } userErrors { field code message } } }`
		line := func(sku string, q int, attrs ...map[string]any) map[string]any {
			l := map[string]any{"merchandiseId": v[sku], "quantity": q}
			if len(attrs) > 0 {
				l["attributes"] = attrs
			}
			return l
		}
		s.data(t, nil, create, map[string]any{"l": []any{line("EMP-TEE-ORG-M-NVY", 1), line("EMP-TEE-ORG-S-NVY", 1)}}) // warm the memos
		d := s.data(t, nil, create, map[string]any{"l": []any{
			line("EMP-TEE-ORG-M-NVY", 1), line("EMP-TEE-ORG-S-NVY", 2, map[string]any{"key": "engraving", "value": "A & B"}),
			line("EMP-TEE-ORG-M-NVY", 2),
		}})
		if n := s.lastStatements(); s.name == "postgres" && n != 1 {
			t.Errorf("cartCreate with lines ran %d statements; want one INSERT, the rest from the memos", n)
		}
		noUserErrors(t, d, "cartCreate")
		nodes := at(d, "cartCreate.cart.lines.nodes").([]any)
		if len(nodes) != 2 || at(d, "cartCreate.cart.totalQuantity") != 5.0 ||
			str(nodes[0], "merchandise.sku") != "EMP-TEE-ORG-M-NVY" || at(nodes[0], "quantity") != 3.0 ||
			str(nodes[1], "merchandise.sku") != "EMP-TEE-ORG-S-NVY" || str(nodes[1], "attributes.0.value") != "A & B" {
			t.Fatalf("lines: %v", nodes)
		}
		cartID := str(d, "cartCreate.cart.id")
		again := s.data(t, nil, `query($id: ID!) { cart(id: $id) { totalQuantity cost { subtotalAmount { amount } }
			lines(first: 10) { nodes { id quantity attributes { key value } } } } }`, map[string]any{"id": cartID})
		if at(again, "cart.totalQuantity") != 5.0 || str(again, "cart.cost.subtotalAmount.amount") != str(d, "cartCreate.cart.cost.subtotalAmount.amount") ||
			str(again, "cart.lines.nodes.0.id") != str(nodes[0], "id") || str(again, "cart.lines.nodes.1.attributes.0.key") != "engraving" {
			t.Errorf("the cart read back %v differs from the cart answered %v", again, d)
		}

		var before int
		if err := s.svc.DB.SQL.QueryRow("SELECT COUNT(*) FROM carts").Scan(&before); err != nil {
			t.Fatal(err)
		}
		for name, lines := range map[string][]any{
			"a sold-out variant":     {line("EMP-TEE-ORG-M-NVY", 1), line("EMP-TEE-ORG-XL-NVY", 1)},
			"more than 1,000 of one": {line("EMP-TEE-ORG-M-NVY", 600), line("EMP-TEE-ORG-M-NVY", 600)},
			"a quantity of zero":     {line("EMP-TEE-ORG-M-NVY", 0)},
			"an unknown variant":     {map[string]any{"merchandiseId": "gid://emporium/ProductVariant/999999", "quantity": 1}},
		} {
			d := s.data(t, nil, create, map[string]any{"l": lines})
			if at(d, "cartCreate.cart") != nil || len(at(d, "cartCreate.userErrors").([]any)) == 0 {
				t.Errorf("%s: %v, want userErrors and no cart", name, d)
			}
		}
		var after int
		if err := s.svc.DB.SQL.QueryRow("SELECT COUNT(*) FROM carts").Scan(&after); err != nil || after != before {
			t.Errorf("refused carts wrote %d carts (%v)", after-before, err)
		}
	})
}
