package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emporium/emporium/payments"
)

// taxOrder buys one of each variant, shipped (standard) to the address, with the cart's attributes,
// and returns the completed order as staff see it.
func taxOrder(t *testing.T, s *server, owner http.Header, currency string, address map[string]any, attrs []any, customerToken string, variants ...string) map[string]any {
	t.Helper()
	buyer := map[string]any{"email": "buyer@example.com", "countryCode": address["countryCode"]}
	if customerToken != "" {
		buyer["customerAccessToken"] = customerToken
	}
	var lines []any
	for _, v := range variants {
		lines = append(lines, map[string]any{"merchandiseId": v, "quantity": 1})
	}
	d := s.data(t, nil, `mutation($in: CartInput!) { cartCreate(input: $in) { cart { id deliveryGroups(first: 1) { nodes { id } } } userErrors { field message } } }`,
		map[string]any{"in": map[string]any{"lines": lines, "attributes": attrs,
			"buyerIdentity": buyer,
			"delivery":      map[string]any{"addresses": []any{map[string]any{"selected": true, "address": map[string]any{"deliveryAddress": address}}}}}})
	noUserErrors(t, d, "cartCreate")
	id := str(d, "cartCreate.cart.id")
	d = s.data(t, nil, `mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
		cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, map[string]any{"id": id, "g": str(d, "cartCreate.cart.deliveryGroups.nodes.0.id")})
	noUserErrors(t, d, "cartSelectedDeliveryOptionsUpdate")
	total := str(d, "cartSelectedDeliveryOptionsUpdate.cart.cost.totalAmount.amount")
	if cur := str(d, "cartSelectedDeliveryOptionsUpdate.cart.cost.totalAmount.currencyCode"); cur != currency {
		t.Fatalf("cart in %s, want %s", cur, currency)
	}
	d = s.data(t, nil, `mutation($id: ID!, $a: Decimal!, $c: CurrencyCode!, $card: String!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: $c},
		directPaymentMethod: {sessionId: $card, billingAddress: {city: "Paris", country: "FR"}}}) { userErrors { message } } }`,
		map[string]any{"id": id, "a": total, "c": currency, "card": payments.CardSuccess})
	noUserErrors(t, d, "cartPaymentUpdate")
	order, failure := completeCart(t, s, id, "tax-"+id)
	if order == "" {
		t.Fatalf("completion failed: %s", failure)
	}
	return s.data(t, owner, `query($id: ID!) { order(id: $id) { totalPrice { amount } totalTax { amount } taxTreatment taxNote buyerVatNumber
		taxLines { title ratePercentage price { amount } } } }`, map[string]any{"id": order})
}

func TestTaxRules(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		v := variantIDs(t, s, "organic-cotton-tee", "mountain-sunrise-poster")
		tee, poster := v["EMP-TEE-ORG-S-BLK"], v["EMP-PST-MTN-12X16IN"]

		t.Run("admin rules", func(t *testing.T) {
			d := s.data(t, owner, `mutation($in: TaxRateInput!) { taxRateCreate(input: $in) { taxRate { id } userErrors { field code } } }`,
				map[string]any{"in": map[string]any{"countryCode": "FRA", "name": "", "rate": "101", "taxClass": "LUXURY"}})
			if codes := at(d, "taxRateCreate.userErrors"); len(codes.([]any)) != 4 || at(d, "taxRateCreate.taxRate") != nil {
				t.Errorf("invalid rate: %v", d)
			}
			d = s.data(t, owner, `mutation($in: TaxRateInput!) { taxRateCreate(input: $in) { taxRate { id } userErrors { field code } } }`,
				map[string]any{"in": map[string]any{"countryCode": "DE", "name": "MwSt", "rate": "19"}})
			if str(d, "taxRateCreate.userErrors.0.code") != "TAKEN" {
				t.Errorf("duplicate rate: %v", d)
			}
			if err := s.tryQuery(`mutation { taxSettingsUpdate(input: {originCountryCode: "DE"}) { userErrors { message } } }`, nil, &struct{}{}); err == nil {
				t.Error("an anonymous caller changed the tax settings")
			}
			d = s.data(t, owner, `mutation { taxSettingsUpdate(input: {originCountryCode: "de"}) { taxSettings { originCountryCode } userErrors { message } } }`, nil)
			if str(d, "taxSettingsUpdate.taxSettings.originCountryCode") != "DE" {
				t.Errorf("settings: %v", d)
			}
			d = s.data(t, owner, `{ auditLog(first: 50) { nodes { action } } }`, nil)
			if !strings.Contains(fmt.Sprint(d), "taxSettingsUpdate") {
				t.Errorf("the settings change is not audited: %v", d)
			}
		})

		// A German shop (origin DE) sells a tee (STANDARD, 26.50 EUR) and a poster (REDUCED, 26.00 EUR) to
		// France, shipped standard (6.90 EUR; free only from 80.00). French VAT applies (OSS), prices are
		// VAT-inclusive: tee 26.50 × 20/120 = 4.4166… → 4.42; poster 26.00 × 5.5/105.5 = 1.3554… → 1.36;
		// shipping 6.90 × 20/120 = 1.15. Tax 6.93 in a total of 26.50 + 26.00 + 6.90 = 59.40. (At the
		// German 19 % the tee alone would carry 4.23.)
		paris := map[string]any{"address1": "1 rue de Rivoli", "city": "Paris", "countryCode": "FR", "zip": "75001"}
		t.Run("EU consumer: destination VAT", func(t *testing.T) {
			o := taxOrder(t, s, owner, "EUR", paris, nil, "", tee, poster)
			if str(o, "order.totalTax.amount") != "6.93" || str(o, "order.totalPrice.amount") != "59.4" && str(o, "order.totalPrice.amount") != "59.40" ||
				str(o, "order.taxTreatment") != "STANDARD" || str(o, "order.taxNote") != "" {
				t.Errorf("French consumer: %v", o)
			}
		})
		// The same cart for a French VAT-registered business: reverse charge, no VAT, the legal note.
		t.Run("EU business: reverse charge", func(t *testing.T) {
			o := taxOrder(t, s, owner, "EUR", paris, []any{map[string]any{"key": "vat_number", "value": "fr 40 303 265 045"}}, "", tee, poster)
			if str(o, "order.totalTax.amount") != "0" && str(o, "order.totalTax.amount") != "0.00" || str(o, "order.taxTreatment") != "REVERSE_CHARGE" ||
				!strings.Contains(str(o, "order.taxNote"), "Article 196") || str(o, "order.buyerVatNumber") != "FR40303265045" {
				t.Errorf("French business: %v", o)
			}
			// A number of the wrong format is no proof of business: VAT is charged.
			o = taxOrder(t, s, owner, "EUR", paris, []any{map[string]any{"key": "vat_number", "value": "FR123"}}, "", tee, poster)
			if str(o, "order.totalTax.amount") != "6.93" || str(o, "order.taxTreatment") != "STANDARD" {
				t.Errorf("invalid VAT number: %v", o)
			}
		})

		// US: a state/ZIP table gives Columbus 43004 7.5 % (5.75 state + 1.25 county + 0.5 special) and New
		// York 10001 8.875 %; the shop has nexus in Ohio only.
		t.Run("US state and local rates", func(t *testing.T) {
			d := s.data(t, owner, `mutation($csv: String!) { taxRatesImport(csv: $csv) { importedCount userErrors { field message } } }`,
				map[string]any{"csv": "State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n" +
					"OH,43004,FRANKLIN COUNTY,0.075000,0.057500,0.012500,0.000000,0.005000,1\n" +
					"NY,10001,NEW YORK CITY,0.088750,0.040000,0.000000,0.045000,0.003750,1\n"})
			noUserErrors(t, d, "taxRatesImport")
			if at(d, "taxRatesImport.importedCount") != float64(2) {
				t.Fatalf("import: %v", d)
			}
			d = s.data(t, owner, `mutation { taxSettingsUpdate(input: {nexusStates: ["OH"]}) { userErrors { message } } }`, nil)
			noUserErrors(t, d, "taxSettingsUpdate")
			// Ohio: tee 29.00 × 7.5 % = 2.175 → 2.18; the poster is REDUCED, which Ohio has no rate for: it
			// falls back to the standard 7.5 %, 28.00 × 7.5 % = 2.10 (it was sold untaxed before). Shipping
			// 5.00 is not taxed. Tax 4.28; total 29.00 + 28.00 + 5.00 + 4.28 = 66.28.
			columbus := map[string]any{"address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "countryCode": "US", "zip": "43004"}
			o := taxOrder(t, s, owner, "USD", columbus, nil, "", tee, poster)
			if str(o, "order.totalTax.amount") != "4.28" || str(o, "order.totalPrice.amount") != "66.28" {
				t.Errorf("Ohio: %v", o)
			}
			// New York without nexus: no tax. With nexus: tee 29.00 × 8.875 % = 2.57375 → 2.57; poster 28.00 ×
			// 8.875 % = 2.485 → 2.49 (half away from zero). Tax 5.06.
			nyc := map[string]any{"address1": "350 5th Ave", "city": "New York", "provinceCode": "NY", "countryCode": "US", "zip": "10001"}
			o = taxOrder(t, s, owner, "USD", nyc, nil, "", tee, poster)
			if tx := str(o, "order.totalTax.amount"); tx != "0" && tx != "0.00" {
				t.Errorf("New York without nexus: %v", o)
			}
			d = s.data(t, owner, `mutation { taxSettingsUpdate(input: {nexusStates: ["NY", "OH"]}) { userErrors { message } } }`, nil)
			noUserErrors(t, d, "taxSettingsUpdate")
			o = taxOrder(t, s, owner, "USD", nyc, nil, "", tee, poster)
			if str(o, "order.totalTax.amount") != "5.06" || str(o, "order.taxLines.0.ratePercentage") != "8.875" {
				t.Errorf("New York with nexus: %v", o)
			}
			// Staff mark prints exempt in Ohio: the poster is no longer taxed; the tee still is (2.18).
			d = s.data(t, owner, `mutation($in: TaxRateInput!) { taxRateCreate(input: $in) { taxRate { rate exempt } userErrors { field message } } }`,
				map[string]any{"in": map[string]any{"countryCode": "US", "provinceCode": "OH", "taxClass": "REDUCED", "name": "Prints", "rate": "0", "exempt": true}})
			noUserErrors(t, d, "taxRateCreate")
			o = taxOrder(t, s, owner, "USD", columbus, nil, "", tee, poster)
			if str(o, "order.totalTax.amount") != "2.18" {
				t.Errorf("Ohio, prints exempt: %v", o)
			}
		})

		// A reseller made exempt by staff pays no tax, and the order carries the reason as its note.
		t.Run("exempt customer", func(t *testing.T) {
			customer, token := signUpAndLogIn(t, s, "reseller@example.com")
			d := s.data(t, owner, `mutation($c: ID!) { customerTaxExemptionUpdate(customerId: $c, taxExempt: true) { userErrors { field code } } }`, map[string]any{"c": customer})
			if str(d, "customerTaxExemptionUpdate.userErrors.0.code") != "BLANK" {
				t.Errorf("an exemption without a reason: %v", d)
			}
			d = s.data(t, owner, `mutation($c: ID!) { customerTaxExemptionUpdate(customerId: $c, taxExempt: true, reason: "Ohio resale certificate 12-345") {
				taxExempt userErrors { field code } } }`, map[string]any{"c": customer})
			noUserErrors(t, d, "customerTaxExemptionUpdate")
			columbus := map[string]any{"address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "countryCode": "US", "zip": "43004"}
			o := taxOrder(t, s, owner, "USD", columbus, nil, token, tee, poster)
			if tx := str(o, "order.totalTax.amount"); tx != "0" && tx != "0.00" || str(o, "order.taxTreatment") != "EXEMPT" ||
				str(o, "order.taxNote") != "Ohio resale certificate 12-345" || str(o, "order.totalPrice.amount") != "62" && str(o, "order.totalPrice.amount") != "62.00" {
				t.Errorf("exempt customer: %v", o)
			}
		})
	})
}

func TestShippingZoneAdmin(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		const create = `mutation($in: ShippingZoneInput!) { shippingZoneCreate(input: $in) { shippingZone { id name countries
			rates { handle kind price { amount currencyCode } freeAbove { amount } } } userErrors { field code } } }`
		d := s.data(t, owner, create, map[string]any{"in": map[string]any{"name": " ", "countries": []any{"Japan"},
			"rates": []any{map[string]any{"handle": "std", "title": "Standard", "currencyCode": "USD", "amount": "-5"}}}})
		if errs, _ := at(d, "shippingZoneCreate.userErrors").([]any); len(errs) != 3 || at(d, "shippingZoneCreate.shippingZone") != nil {
			t.Errorf("invalid zone: %v", d)
		}
		// Japan gets its own zone: standard 12.00 USD, free from 100.00; a Japanese cart is offered it
		// instead of the rest of the world's 25.00.
		d = s.data(t, owner, create, map[string]any{"in": map[string]any{"name": "Japan", "countries": []any{"jp"},
			"rates": []any{map[string]any{"handle": "standard", "title": "Standard to Japan", "currencyCode": "USD", "amount": "12.00", "freeAbove": "100.00"}}}})
		noUserErrors(t, d, "shippingZoneCreate")
		zone := str(d, "shippingZoneCreate.shippingZone.id")
		if str(d, "shippingZoneCreate.shippingZone.countries.0") != "JP" || str(d, "shippingZoneCreate.shippingZone.rates.0.price.amount") != "12.0" &&
			str(d, "shippingZoneCreate.shippingZone.rates.0.price.amount") != "12.00" {
			t.Errorf("zone: %v", d)
		}
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-S-BLK"]
		options := func() string {
			d := s.data(t, nil, `mutation($in: CartInput!) { cartCreate(input: $in) { cart { deliveryGroups(first: 1) { nodes { deliveryOptions { handle estimatedCost { amount } } } } } userErrors { message } } }`,
				map[string]any{"in": map[string]any{"lines": []any{map[string]any{"merchandiseId": tee, "quantity": 1}},
					"buyerIdentity": map[string]any{"countryCode": "JP"},
					"delivery": map[string]any{"addresses": []any{map[string]any{"selected": true, "address": map[string]any{"deliveryAddress": map[string]any{
						"address1": "1-1 Chiyoda", "city": "Tokyo", "countryCode": "JP", "zip": "100-0001"}}}}}}})
			return fmt.Sprint(at(d, "cartCreate.cart.deliveryGroups.nodes.0.deliveryOptions"))
		}
		if got := options(); !strings.Contains(got, "standard") || strings.Contains(got, "international") {
			t.Errorf("Japan's options: %s", got)
		}
		d = s.data(t, owner, `mutation($id: ID!) { shippingZoneDelete(id: $id) { deletedShippingZoneId userErrors { code } } }`, map[string]any{"id": zone})
		noUserErrors(t, d, "shippingZoneDelete")
		if got := options(); !strings.Contains(got, "international") {
			t.Errorf("after delete, Japan ships as the rest of the world: %s", got)
		}
		d = s.data(t, owner, `mutation($id: ID!) { shippingZoneDelete(id: $id) { deletedShippingZoneId userErrors { code } } }`, map[string]any{"id": zone})
		if str(d, "shippingZoneDelete.userErrors.0.code") != "NOT_FOUND" {
			t.Errorf("second delete: %v", d)
		}
		d = s.data(t, owner, `{ auditLog(first: 50) { nodes { action } } }`, nil)
		if !strings.Contains(fmt.Sprint(d), "shippingZoneCreate") || !strings.Contains(fmt.Sprint(d), "shippingZoneDelete") {
			t.Errorf("zone changes are not audited: %v", d)
		}
	})
}
