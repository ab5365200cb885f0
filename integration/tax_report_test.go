package integration

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// latestOrder is the ID of the newest order and its line items' IDs by SKU, as staff see them.
func latestOrder(t *testing.T, s *server, owner http.Header) (string, map[string]string) {
	t.Helper()
	d := s.data(t, owner, `{ orders(first: 1, reverse: true) { nodes { id lineItems(first: 10) { nodes { id sku } } } } }`, nil)
	lines := map[string]string{}
	for _, n := range at(d, "orders.nodes.0.lineItems.nodes").([]any) {
		l := n.(map[string]any)
		lines[l["sku"].(string)] = l["id"].(string)
	}
	return str(d, "orders.nodes.0.id"), lines
}

func refundOrder(t *testing.T, s *server, owner http.Header, in map[string]any) string {
	t.Helper()
	d := s.data(t, owner, `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { totalRefunded { amount } } userErrors { field message code } } }`,
		map[string]any{"in": in})
	noUserErrors(t, d, "refundCreate")
	return str(d, "refundCreate.refund.totalRefunded.amount")
}

const taxReportQuery = `query($from: DateTime!, $to: DateTime!) { taxReport(from: $from, to: $to) { originCountryCode rows {
	currencyCode jurisdiction countryCode regionCode treatment oss title ratePercentage
	netSales { amount currencyCode } taxCollected { amount } refundedNet { amount } refundedTax { amount }
	netTaxable { amount } taxDue { amount } } } }`

// TestTaxReport files an EU OSS return and a US state return from orders placed through the checkout,
// with partial refunds, every figure worked out by hand below.
func TestTaxReport(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		v := variantIDs(t, s, "organic-cotton-tee", "mountain-sunrise-poster")
		tee, poster := v["EMP-TEE-ORG-S-BLK"], v["EMP-PST-MTN-12X16IN"]
		from := time.Now().UTC().Add(-time.Hour)

		// A German shop: EU rules on.
		d := s.data(t, owner, `mutation { taxSettingsUpdate(input: {originCountryCode: "DE"}) { userErrors { message } } }`, nil)
		noUserErrors(t, d, "taxSettingsUpdate")

		// EU OSS. A French consumer buys a tee (STANDARD, 26.50 EUR) and a poster (REDUCED, 26.00 EUR),
		// shipped 6.90 EUR; prices include French VAT (see TestTaxRules):
		//   tee      26.50 × 20/120    = 4.42 tax, net 22.08
		//   poster   26.00 × 5.5/105.5 = 1.36 tax, net 24.64
		//   shipping  6.90 × 20/120    = 1.15 tax, net  5.75 (at the standard rate, so in the 20 % row)
		// TVA 20 %: net 22.08 + 5.75 = 27.83, tax 4.42 + 1.15 = 5.57. TVA 5.5 %: net 24.64, tax 1.36.
		paris := map[string]any{"address1": "1 rue de Rivoli", "city": "Paris", "countryCode": "FR", "zip": "75001"}
		o := taxOrder(t, s, owner, "EUR", paris, nil, "", tee, poster)
		if str(o, "order.totalTax.amount") != "6.93" {
			t.Fatalf("French consumer: %v", o)
		}
		paid, lines := latestOrder(t, s, owner)
		// Partial refund: the tee and half the shipping, 26.50 + 3.45 = 29.95. As package prorata cuts it
		// (for the credit note and the journal alike): the tee at its own net and tax (22.08 + 4.42); the
		// shipping at its tax share, 1.15 × 3.45/6.90 = 0.575, truncated to 0.57 (the other half will take
		// the 0.58 left), net 3.45 − 0.57 = 2.88. TVA 20 % refunded: net 22.08 + 2.88 = 24.96, tax 4.42 +
		// 0.57 = 4.99; due 5.57 − 4.99 = 0.58 (the tax of the 3.45 of shipping kept: 1.15 − 0.57), on a
		// net of 27.83 − 24.96 = 2.87.
		if got := refundOrder(t, s, owner, map[string]any{"orderId": paid, "shipping": map[string]any{"amount": "3.45"},
			"refundLineItems": []any{map[string]any{"lineItemId": lines["EMP-TEE-ORG-S-BLK"], "quantity": 1}}}); got != "29.95" {
			t.Fatalf("EU refund: %s, want 29.95", got)
		}
		// The same cart for a French VAT-registered business: reverse charge, no VAT. The whole 59.40 is
		// a net sale at 0 under REVERSE_CHARGE, and not OSS: the buyer accounts for the VAT, the shop
		// declares the sale in its German return and EC Sales List, not in the OSS return.
		o = taxOrder(t, s, owner, "EUR", paris, []any{map[string]any{"key": "vat_number", "value": "FR40303265045"}}, "", tee, poster)
		if str(o, "order.taxTreatment") != "REVERSE_CHARGE" || str(o, "order.totalPrice.amount") != "59.40" {
			t.Fatalf("French business: %v", o)
		}

		// US, Ohio. Ohio taxes at the rate of the county of delivery (a combined state + local rate, which
		// the state return reports per county): a ZIP table gives Franklin County (43004) 7.5 % = 5.75
		// state + 1.25 county + 0.5 transit; elsewhere the demo's statewide 5.75 % applies. Shipping is not
		// taxed in Ohio here. Prices exclude the tax.
		d = s.data(t, owner, `mutation($csv: String!) { taxRatesImport(csv: $csv) { importedCount userErrors { field message } } }`,
			map[string]any{"csv": "State,ZipCode,TaxRegionName,EstimatedCombinedRate,StateRate,EstimatedCountyRate,EstimatedCityRate,EstimatedSpecialRate,RiskLevel\n" +
				"OH,43004,FRANKLIN COUNTY,0.075000,0.057500,0.012500,0.000000,0.005000,1\n"})
		noUserErrors(t, d, "taxRatesImport")
		// Columbus: tee 29.00 × 7.5 % = 2.175 → 2.18; poster 28.00 × 7.5 % = 2.10 (REDUCED falls back to
		// the standard rate); shipping 5.00 untaxed. FRANKLIN COUNTY 7.5 %: net 57.00, tax 4.28.
		columbus := map[string]any{"address1": "1 Main St", "city": "Columbus", "provinceCode": "OH", "countryCode": "US", "zip": "43004"}
		o = taxOrder(t, s, owner, "USD", columbus, nil, "", tee, poster)
		if str(o, "order.totalTax.amount") != "4.28" || str(o, "order.totalPrice.amount") != "66.28" {
			t.Fatalf("Columbus: %v", o)
		}
		paid, lines = latestOrder(t, s, owner)
		// Partial refund of the poster: 28.00 + 2.10 = 30.10, net 28.00 and tax 2.10 back. Franklin
		// County due: 4.28 − 2.10 = 2.18 on 57.00 − 28.00 = 29.00.
		if got := refundOrder(t, s, owner, map[string]any{"orderId": paid,
			"refundLineItems": []any{map[string]any{"lineItemId": lines["EMP-PST-MTN-12X16IN"], "quantity": 1}}}); got != "30.10" {
			t.Fatalf("Ohio refund: %s, want 30.10", got)
		}
		// Cleveland (44114, outside the ZIP table): the tee at 5.75 %, 29.00 × 5.75 % = 1.6675 → 1.67;
		// shipping 5.00 untaxed. Then a goodwill refund of 1.06 with no units: as a credit note, at the
		// order's largest rate: net 1.06 / 1.0575 = 1.0023… → 1.00, tax 0.06. Ohio sales tax 5.75 %: net
		// 29.00, tax 1.67, refunded 1.00 and 0.06; due 1.61 on 28.00.
		cleveland := map[string]any{"address1": "1 Lakeside Ave", "city": "Cleveland", "provinceCode": "OH", "countryCode": "US", "zip": "44114"}
		o = taxOrder(t, s, owner, "USD", cleveland, nil, "", tee)
		if str(o, "order.totalTax.amount") != "1.67" {
			t.Fatalf("Cleveland: %v", o)
		}
		paid, _ = latestOrder(t, s, owner)
		if got := refundOrder(t, s, owner, map[string]any{"orderId": paid, "amount": "1.06"}); got != "1.06" {
			t.Fatalf("goodwill refund: %s", got)
		}
		// Another Cleveland tee, 29.00 + 1.67 + 5.00 untaxed shipping = 35.67, cancelled with its money
		// back: the cancellation's refund takes back the tee at its own net and tax (29.00, 1.67) and the
		// shipping at the shipping's (5.00 untaxed), never the shipping at the order's largest rate.
		// Ohio sales tax 5.75 %: net 29.00 + 29.00 = 58.00, tax 3.34, refunded 1.00 + 29.00 = 30.00 and
		// 0.06 + 1.67 = 1.73; due 1.61 on 28.00, as before the cancelled order.
		o = taxOrder(t, s, owner, "USD", cleveland, nil, "", tee)
		if str(o, "order.totalPrice.amount") != "35.67" {
			t.Fatalf("Cleveland, cancelled: %v", o)
		}
		cancelled, _ := latestOrder(t, s, owner)
		d = s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message code } } }`,
			map[string]any{"id": cancelled})
		noUserErrors(t, d, "orderCancel")
		// What Ohio orders sold untaxed: the three shippings, 15.00, of which 5.00 came back, a row of its
		// own at 0 so that the rows add up to the net sales.

		to := time.Now().UTC().Add(time.Hour)
		period := map[string]any{"from": from.Format(time.RFC3339), "to": to.Format(time.RFC3339)}
		d = s.data(t, owner, taxReportQuery, period)
		if str(d, "taxReport.originCountryCode") != "DE" {
			t.Errorf("origin: %v", d)
		}
		type row struct{ cur, jur, country, region, treatment, oss, title, rate, net, tax, refNet, refTax, netTaxable, due string }
		var got []row
		for _, n := range at(d, "taxReport.rows").([]any) {
			got = append(got, row{str(n, "currencyCode"), str(n, "jurisdiction"), str(n, "countryCode"), str(n, "regionCode"),
				str(n, "treatment"), fmt.Sprint(at(n, "oss")), str(n, "title"), str(n, "ratePercentage"),
				str(n, "netSales.amount"), str(n, "taxCollected.amount"), str(n, "refundedNet.amount"), str(n, "refundedTax.amount"),
				str(n, "netTaxable.amount"), str(n, "taxDue.amount")})
			if str(n, "netSales.currencyCode") != str(n, "currencyCode") {
				t.Errorf("a row's money in another currency: %v", n)
			}
		}
		want := []row{
			{"EUR", "FR", "FR", "", "REVERSE_CHARGE", "false", "Reverse charge", "0", "59.40", "0.00", "0.00", "0.00", "59.40", "0.00"},
			{"EUR", "FR", "FR", "", "STANDARD", "true", "TVA", "20", "27.83", "5.57", "24.96", "4.99", "2.87", "0.58"},
			{"EUR", "FR", "FR", "", "STANDARD", "true", "TVA (taux réduit)", "5.5", "24.64", "1.36", "0.00", "0.00", "24.64", "1.36"},
			{"USD", "US-OH", "US", "OH", "STANDARD", "false", "FRANKLIN COUNTY", "7.5", "57.00", "4.28", "28.00", "2.10", "29.00", "2.18"},
			{"USD", "US-OH", "US", "OH", "STANDARD", "false", "Ohio sales tax", "5.75", "58.00", "3.34", "30.00", "1.73", "28.00", "1.61"},
			{"USD", "US-OH", "US", "OH", "STANDARD", "false", "Not taxed", "0", "15.00", "0.00", "5.00", "0.00", "10.00", "0.00"},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("report rows:\n got %v\nwant %v", got, want)
		}

		t.Run("CSV", func(t *testing.T) {
			d := s.data(t, owner, `query($from: DateTime!, $to: DateTime!) { taxReportExport(from: $from, to: $to) }`, period)
			lines := strings.Split(str(d, "taxReportExport"), "\n")
			if len(lines) != 8 || lines[7] != "" {
				t.Fatalf("CSV of %d lines, want a header, 6 rows and a final newline:\n%s", len(lines), str(d, "taxReportExport"))
			}
			for i, want := range map[int]string{
				0: "currency,country,region,jurisdiction,treatment,oss,tax,rate_percent,net_sales,tax_collected,refunded_net,refunded_tax,net_taxable,tax_due",
				2: "EUR,FR,,FR,STANDARD,true,TVA,20,27.83,5.57,24.96,4.99,2.87,0.58",
				4: "USD,US,OH,US-OH,STANDARD,false,FRANKLIN COUNTY,7.5,57.00,4.28,28.00,2.10,29.00,2.18",
			} {
				if lines[i] != want {
					t.Errorf("CSV line %d:\n got %s\nwant %s", i, lines[i], want)
				}
			}
		})

		t.Run("another period", func(t *testing.T) {
			// The day before: nothing was sold or refunded.
			d := s.data(t, owner, taxReportQuery, map[string]any{"from": from.Add(-24 * time.Hour).Format(time.RFC3339), "to": from.Format(time.RFC3339)})
			if rows := at(d, "taxReport.rows").([]any); len(rows) != 0 {
				t.Errorf("rows of the day before: %v", rows)
			}
		})

		t.Run("refused periods", func(t *testing.T) {
			for name, p := range map[string][2]time.Time{
				"longer than a year": {from, from.Add(367 * 24 * time.Hour)},
				"reversed":           {to, from},
				"empty":              {from, from},
			} {
				for _, q := range []string{taxReportQuery, `query($from: DateTime!, $to: DateTime!) { taxReportExport(from: $from, to: $to) }`} {
					r := s.postAs(t, owner, q, map[string]any{"from": p[0].Format(time.RFC3339), "to": p[1].Format(time.RFC3339)})
					if len(r.Errors) == 0 || r.Errors[0].code() != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "366 days") {
						t.Errorf("%s: %s %+v", name, r.Data, r.Errors)
					}
				}
			}
		})

		t.Run("permission", func(t *testing.T) {
			// Staff who may manage products but not read orders see no sales figures.
			group := createGroup(t, s, owner.Get("Authorization")[len("Bearer "):], "Catalog", "MANAGE_PRODUCTS")
			createStaff(t, s, owner.Get("Authorization")[len("Bearer "):], "catalog@example.com", "catalog-password-1", group)
			catalog := bearer(staffLogin(t, s, "catalog@example.com", "catalog-password-1"))
			for _, q := range []string{taxReportQuery, `query($from: DateTime!, $to: DateTime!) { taxReportExport(from: $from, to: $to) }`} {
				r := s.postAs(t, catalog, q, period)
				if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" || strings.Contains(string(r.Data), "TVA") {
					t.Errorf("staff without READ_ORDERS: %s %+v", r.Data, r.Errors)
				}
			}
		})
	})
}
