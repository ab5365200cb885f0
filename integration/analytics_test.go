package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/payments"
)

const salesSummaryQuery = `query($from: DateTime!, $to: DateTime!, $top: Int) { salesSummary(from: $from, to: $to, topProducts: $top) {
	from to interval
	totals { currencyCode grossSales { amount currencyCode } orderCount averageOrderValue { amount } }
	buckets { start orderCount totals { currencyCode grossSales { amount } orderCount averageOrderValue { amount } } }
	topProducts { product { handle } title unitsSold sales { currencyCode grossSales { amount } orderCount } } } }`

const salesSummaryStatements = 3

// TestSalesSummary checks the Home screen's figures against sums done by hand: orders moved to known
// instants around UTC midnights, a voided order and one placed before the period left out.
func TestSalesSummary(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		at := func(id, when string, voided bool) {
			t.Helper()
			n, err := gid.DecodeType(id, "Order")
			if err != nil {
				t.Fatal(err)
			}
			created, err := time.Parse(time.RFC3339, when)
			if err != nil {
				t.Fatal(err)
			}
			status := "PAID"
			if voided {
				status = "VOIDED"
			}
			// created_at is immutable in ent: the test moves it under the API's feet.
			q := "UPDATE orders SET created_at = ?, financial_status = ? WHERE id = ?"
			if s.svc.DB.Postgres() {
				q = "UPDATE orders SET created_at = $1, financial_status = $2 WHERE id = $3"
			}
			if _, err := s.svc.DB.SQL.ExecContext(context.Background(), q, created, status, n); err != nil {
				t.Fatal(err)
			}
		}
		// 3 tees at 29.00 = 87.00, free shipping above 75.00, Ohio tax 5.75 %: 87.00 + 5.00 = 92.00.
		// 4 tees: 116.00 + 6.67 = 122.67.
		at(placeOrder(t, s, tee, 3, payments.CardSuccess), "2026-03-01T00:00:00Z", false) // first instant: in
		at(placeOrder(t, s, tee, 4, payments.CardSuccess), "2026-03-01T23:59:59Z", false) // same UTC day
		at(placeOrder(t, s, tee, 3, payments.CardSuccess), "2026-03-03T12:00:00Z", false) // third day
		at(placeOrder(t, s, tee, 3, payments.CardSuccess), "2026-02-28T23:59:59Z", false) // before: out
		at(placeOrder(t, s, tee, 3, payments.CardSuccess), "2026-03-02T12:00:00Z", true)  // voided: out
		at(placeOrder(t, s, tee, 3, payments.CardSuccess), "2026-03-04T00:00:00Z", false) // `to` is excluded

		d := s.data(t, owner, salesSummaryQuery, map[string]any{"from": "2026-03-01T00:00:00Z", "to": "2026-03-04T00:00:00Z", "top": 3})
		// Bounded: a grouped statement per day and currency, one per product and currency, one loading the
		// top products, whatever the number of orders; beyond what any staff request costs (the token's checks).
		n := s.lastStatements()
		s.data(t, owner, `{ currentStaffMember { id } }`, nil)
		base := s.lastStatements()
		t.Logf("salesSummary: %d statements, a staff request %d", n, base)
		if n-base > salesSummaryStatements {
			t.Errorf("salesSummary ran %d statements, %d beyond a staff request's %d; want at most %d", n, n-base, base, salesSummaryStatements)
		}
		got, _ := json.Marshal(d["salesSummary"])
		usd := func(gross string, orders int, avg string) map[string]any {
			return map[string]any{"currencyCode": "USD", "grossSales": map[string]any{"amount": gross}, "orderCount": orders,
				"averageOrderValue": map[string]any{"amount": avg}}
		}
		want := map[string]any{
			"from": "2026-03-01T00:00:00Z", "to": "2026-03-04T00:00:00Z", "interval": "DAY",
			// 92.00 + 122.67 + 92.00 = 306.67 in 3 orders: 102.2233… → 102.22.
			"totals": []any{map[string]any{"currencyCode": "USD", "grossSales": map[string]any{"amount": "306.67", "currencyCode": "USD"},
				"orderCount": 3, "averageOrderValue": map[string]any{"amount": "102.22"}}},
			"buckets": []any{
				// 214.67 / 2 = 107.335 → 107.34, half away from zero.
				map[string]any{"start": "2026-03-01T00:00:00Z", "orderCount": 2, "totals": []any{usd("214.67", 2, "107.34")}},
				map[string]any{"start": "2026-03-02T00:00:00Z", "orderCount": 0, "totals": []any{}},
				map[string]any{"start": "2026-03-03T00:00:00Z", "orderCount": 1, "totals": []any{usd("92.00", 1, "92.00")}},
			},
			// Lines' totals (before tax): 10 tees × 29.00.
			"topProducts": []any{map[string]any{"product": map[string]any{"handle": "organic-cotton-tee"}, "title": "Organic Cotton Tee",
				"unitsSold": 10, "sales": []any{map[string]any{"currencyCode": "USD", "grossSales": map[string]any{"amount": "290.00"}, "orderCount": 3}}}},
		}
		var gotV, wantV any
		json.Unmarshal(got, &gotV)
		wb, _ := json.Marshal(want)
		json.Unmarshal(wb, &wantV)
		if !reflect.DeepEqual(gotV, wantV) {
			t.Fatalf("salesSummary:\n got %s\nwant %s", got, wb)
		}

		// A period that starts mid-day keeps that day's bucket, counting only what is inside.
		d = s.data(t, owner, salesSummaryQuery, map[string]any{"from": "2026-03-01T12:00:00Z", "to": "2026-03-01T23:59:59.5Z", "top": 0})
		if str(d, "salesSummary.buckets.0.start") != "2026-03-01T00:00:00Z" || len(at2(d, "salesSummary.buckets")) != 1 ||
			str(d, "salesSummary.totals.0.grossSales.amount") != "122.67" || len(at2(d, "salesSummary.topProducts")) != 0 {
			t.Fatalf("mid-day period: %v", d)
		}

		for _, c := range []struct {
			name     string
			from, to string
			top      int
		}{
			{"reversed", "2026-03-04T00:00:00Z", "2026-03-01T00:00:00Z", 5},
			{"empty", "2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z", 5},
			{"over a year", "2025-01-01T00:00:00Z", "2026-03-01T00:00:00Z", 5},
			{"too many top products", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", 51},
			{"negative top products", "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", -1},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := s.postAs(t, owner, salesSummaryQuery, map[string]any{"from": c.from, "to": c.to, "top": c.top})
				if len(r.Errors) != 1 || r.Errors[0].code() == "INTERNAL_SERVER_ERROR" || r.Errors[0].code() == "" {
					t.Fatalf("got %+v, want one input error", r.Errors)
				}
			})
		}
		t.Run("needs READ_ORDERS", func(t *testing.T) {
			r := s.post(t, salesSummaryQuery, map[string]any{"from": "2026-03-01T00:00:00Z", "to": "2026-03-02T00:00:00Z"})
			if len(r.Errors) == 0 || string(r.Data) != "null" {
				t.Fatalf("an anonymous caller got %s %+v", r.Data, r.Errors)
			}
		})
	})
}

func at2(v any, path string) []any { l, _ := at(v, path).([]any); return l }

// TestInventoryLevelsAndLowStock reads stock levels by SKU, moves one with an adjustment, and finds it
// in the low stock list by an explicit threshold and by its own.
func TestInventoryLevelsAndLowStock(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		levels := `query($q: String) { inventoryLevels(first: 10, query: $q) { nodes { id available lowStockThreshold
			variant { id sku product { title } } location { id name } } } }`
		d := s.data(t, owner, levels, map[string]any{"q": "emp-tee-org-m-nvy"})
		nodes := at2(d, "inventoryLevels.nodes")
		sum, main := 0, map[string]any(nil)
		for _, n := range nodes {
			a := int(at(n, "available").(float64))
			sum += a
			if str(n, "variant.id") != tee || str(n, "variant.sku") != "EMP-TEE-ORG-M-NVY" {
				t.Fatalf("levels by SKU hold another variant: %v", d)
			}
			if main == nil || a > int(at(main, "available").(float64)) {
				main = n.(map[string]any)
			}
		}
		before := int(at(main, "available").(float64))
		if len(nodes) != 2 || sum != stockOf(t, s, tee) {
			t.Fatalf("levels by SKU: %v, want one per location adding up to %d", d, stockOf(t, s, tee))
		}
		byVariant := at2(s.data(t, owner, `query($v: ID) { inventoryLevels(first: 10, variantId: $v) { nodes { id } } }`,
			map[string]any{"v": tee}), "inventoryLevels.nodes")
		if len(byVariant) != 2 || str(byVariant[0], "id") != str(nodes[0], "id") {
			t.Fatalf("levels by variant: %v, want %v", byVariant, nodes)
		}
		if n := len(at2(s.data(t, owner, levels, map[string]any{"q": "organic cotton"}), "inventoryLevels.nodes")); n < 2 {
			t.Fatalf("levels by product title: %d, want every size and colour", n)
		}
		location := str(main, "location.id")
		adjust := `mutation($in: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $in) { adjustments { delta quantityAfter } userErrors { message } } }`
		d = s.data(t, owner, adjust, map[string]any{"in": map[string]any{"reason": "damaged", "changes": []any{
			map[string]any{"inventoryItemId": tee, "locationId": location, "delta": -(before - 1)}}}})
		if at(d, "inventoryAdjustQuantities.adjustments.0.quantityAfter") != float64(1) {
			t.Fatalf("adjust: %v", d)
		}

		low := `query($t: Int, $n: Int) { inventoryLowStock(threshold: $t, first: $n) { available variant { id } location { id } } }`
		d = s.data(t, owner, low, map[string]any{"t": 1, "n": 100})
		found, last := false, -1
		for _, l := range at2(d, "inventoryLowStock") {
			a := int(at(l, "available").(float64))
			if a > 1 || a < last {
				t.Fatalf("low stock at or below 1, lowest first: %v", d)
			}
			last = a
			found = found || str(l, "variant.id") == tee
		}
		if !found {
			t.Fatalf("the tee at 1 is not low at threshold 1: %v", d)
		}
		// Without a threshold, a level is low by its own: none has one until it is set.
		if l := at2(s.data(t, owner, low, map[string]any{"n": 100}), "inventoryLowStock"); len(l) != 0 {
			t.Fatalf("low by their own thresholds before any is set: %v", l)
		}
		s.data(t, owner, `mutation($in: InventoryLowStockThresholdInput!) { inventoryLowStockThresholdSet(input: $in) { userErrors { message } } }`,
			map[string]any{"in": map[string]any{"inventoryItemId": tee, "locationId": location, "lowStockThreshold": 2}})
		if l := at2(s.data(t, owner, low, map[string]any{"n": 100}), "inventoryLowStock"); len(l) != 1 || str(l[0], "variant.id") != tee {
			t.Fatalf("low by its own threshold 2 at 1: %v", l)
		}
		r := s.postAs(t, owner, low, map[string]any{"n": 101})
		if len(r.Errors) != 1 || r.Errors[0].code() == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("first 101: %+v", r.Errors)
		}
	})
}

// TestStaffContent: staff who manage content list every menu and see draft pages; the storefront does not.
func TestStaffContent(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		d := s.data(t, owner, `mutation { pageCreate(page: {title: "Draft terms", body: "<p>Soon</p>", isPublished: false}) { page { id handle isPublished } userErrors { message } } }`, nil)
		draft := str(d, "pageCreate.page.id")
		if draft == "" || at(d, "pageCreate.page.isPublished") != false {
			t.Fatalf("pageCreate: %v", d)
		}
		pages := `{ pages(first: 50) { nodes { id } } }`
		has := func(d map[string]any) bool {
			for _, p := range at2(d, "pages.nodes") {
				if str(p, "id") == draft {
					return true
				}
			}
			return false
		}
		if !has(s.data(t, owner, pages, nil)) || has(s.data(t, nil, pages, nil)) {
			t.Fatal("the draft page must be listed for staff only")
		}
		page := fmt.Sprintf(`{ page(id: %q) { id } }`, draft)
		if str(s.data(t, owner, page, nil), "page.id") != draft || at(s.data(t, nil, page, nil), "page") != nil {
			t.Fatal("the draft page must be read by staff only")
		}
		r := s.post(t, `{ pages(first: 1) { nodes { isPublished } } }`, nil)
		if len(r.Errors) == 0 {
			t.Fatal("isPublished answered to the storefront")
		}

		d = s.data(t, owner, `mutation { menuCreate(title: "Footer", handle: "footer-test", items: [{title: "Terms", type: PAGE, resourceId: "`+draft+`"}]) { menu { id } userErrors { message } } }`, nil)
		menu := str(d, "menuCreate.menu.id")
		d = s.data(t, owner, `{ menus(first: 50) { nodes { id handle items { title } } } }`, nil)
		found := false
		for _, m := range at2(d, "menus.nodes") {
			found = found || (str(m, "id") == menu && str(m, "items.0.title") == "Terms")
		}
		if menu == "" || !found {
			t.Fatalf("menus: %v", d)
		}
		if r := s.post(t, `{ menus(first: 5) { nodes { id } } }`, nil); len(r.Errors) == 0 {
			t.Fatal("menus answered to the storefront")
		}
	})
}
