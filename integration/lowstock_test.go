package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// TestLowStockEmail sets a low stock threshold through the Admin API, then moves stock with staff
// adjustments and orders: the staff get one email, through a real SMTP server, for each movement that
// takes the level from above the threshold to at or below it, and none for movements that stay above
// it, stay below it, or are refused.
func TestLowStockEmail(t *testing.T) {
	var srv *mailtest.Server
	eachFreshDB(t, func(o *service.Options) {
		srv = mailtest.Start(t)
		withOwner(nil)(o)
		o.Mailer = mail.SMTPSender{Addr: srv.Addr, From: "Shop <shop@example.com>"}
		o.StaffEmail = "staff@example.com"
		o.Payments = payments.NewTestGateway()
	}, func(t *testing.T, s *server) {
		ctx := context.Background()
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		teeID, err := gid.DecodeType(tee, "ProductVariant")
		if err != nil {
			t.Fatal(err)
		}
		levels, err := s.svc.DB.Client.InventoryLevel.Query().Where(inventorylevel.VariantID(teeID)).
			Order(ent.Asc(inventorylevel.FieldID)).All(ctx)
		if err != nil || len(levels) == 0 {
			t.Fatalf("levels of the tee: %v, %v", levels, err)
		}
		// All the tee's stock at one location, 6 units, so that orders take from it.
		loc := gid.Encode("Location", levels[0].LocationID)
		var quantities []any
		for i, l := range levels {
			q := 0
			if i == 0 {
				q = 6
			}
			quantities = append(quantities, map[string]any{"inventoryItemId": tee, "locationId": gid.Encode("Location", l.LocationID), "quantity": q})
		}
		set := `mutation($in: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $in) { userErrors { field message } } }`
		noUserErrors(t, s.data(t, owner, set, map[string]any{"in": map[string]any{"reason": "count", "quantities": quantities}}), "inventorySetQuantities")

		threshold := `mutation($in: InventoryLowStockThresholdInput!) { inventoryLowStockThresholdSet(input: $in) {
			inventoryLevel { inventoryItemId locationId available lowStockThreshold } userErrors { field message code } } }`
		d := s.data(t, owner, threshold, map[string]any{"in": map[string]any{"inventoryItemId": tee, "locationId": loc, "lowStockThreshold": -1}})
		if userErrorCode(d, "inventoryLowStockThresholdSet") != "INVALID" {
			t.Errorf("a negative threshold: %v", d)
		}
		d = s.data(t, owner, threshold, map[string]any{"in": map[string]any{"inventoryItemId": tee, "locationId": "gid://emporium/Location/999999", "lowStockThreshold": 3}})
		if userErrorCode(d, "inventoryLowStockThresholdSet") != "NOT_FOUND" {
			t.Errorf("a missing location: %v", d)
		}
		d = s.data(t, owner, threshold, map[string]any{"in": map[string]any{"inventoryItemId": tee, "locationId": loc, "lowStockThreshold": 3}})
		noUserErrors(t, d, "inventoryLowStockThresholdSet")
		if lvl := d["inventoryLowStockThresholdSet"].(map[string]any)["inventoryLevel"]; str(lvl, "locationId") != loc ||
			str(lvl, "inventoryItemId") != tee || lvl.(map[string]any)["available"] != 6.0 || lvl.(map[string]any)["lowStockThreshold"] != 3.0 {
			t.Errorf("the level after setting its threshold: %v", lvl)
		}
		if r := s.post(t, threshold, map[string]any{"in": map[string]any{"inventoryItemId": tee, "locationId": loc, "lowStockThreshold": 1}}); len(r.Errors) == 0 {
			t.Errorf("an anonymous caller set a threshold: %s", r.Data)
		}

		adjust := func(delta int) map[string]any {
			return s.data(t, owner, `mutation($in: InventoryAdjustQuantitiesInput!) { inventoryAdjustQuantities(input: $in) { userErrors { field message } } }`,
				map[string]any{"in": map[string]any{"reason": "test", "changes": []any{map[string]any{"inventoryItemId": tee, "locationId": loc, "delta": delta}}}})
		}
		lowStockJobs := func() int { return jobsOfKind(t, s, "email_low_stock") }

		noUserErrors(t, adjust(-1), "inventoryAdjustQuantities") // 6 → 5: above
		if d := adjust(-50); at(d, "inventoryAdjustQuantities.userErrors.0") == nil {
			t.Fatalf("taking 50 of 5: %v", d)
		}
		if n := lowStockJobs(); n != 0 {
			t.Fatalf("%d low stock emails queued above the threshold", n)
		}
		placeOrder(t, s, tee, 2, payments.CardSuccess) // 5 → 3: crosses
		if n := lowStockJobs(); n != 1 {
			t.Fatalf("%d low stock emails after the order that crossed, want 1", n)
		}
		placeOrder(t, s, tee, 1, payments.CardSuccess)           // 3 → 2: still low, no email
		noUserErrors(t, adjust(5), "inventoryAdjustQuantities")  // 2 → 7: restocked
		noUserErrors(t, adjust(-4), "inventoryAdjustQuantities") // 7 → 3: crosses again
		if n := lowStockJobs(); n != 2 {
			t.Fatalf("%d low stock emails, want 2 (one per crossing)", n)
		}

		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		toStaff := func(p *mailtest.Parsed) bool {
			l, err := p.Header.AddressList("To")
			return err == nil && len(l) == 1 && l[0].Address == "staff@example.com" && strings.Contains(p.Subject, "Low stock")
		}
		got := srv.Wait(t, 20*time.Second, 2, toStaff)
		if len(got) != 2 {
			t.Fatalf("low stock emails: %d, want 2 (%v)", len(got), subjects(got))
		}
		for _, p := range got {
			if !strings.Contains(p.Subject, "Organic") || !strings.Contains(p.Parts["text/plain"], "3 available, threshold 3") ||
				!strings.Contains(p.Parts["text/plain"], "EMP-TEE-ORG-M-NVY") || !strings.Contains(p.Parts["text/html"], "threshold 3") {
				t.Errorf("low stock email: %s\n%s\n%s", p.Subject, p.Parts["text/plain"], p.Parts["text/html"])
			}
		}
		time.Sleep(500 * time.Millisecond) // time for a third, were one queued
		if again := srv.Wait(t, 0, 0, toStaff); len(again) != 2 {
			t.Errorf("low stock emails: %d, want 2", len(again))
		}
	})
}
