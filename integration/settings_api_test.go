package integration

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestSettingsAdminAPI covers what the dashboard's settings and discount screens added to the Admin API:
// the audit log filtered by actor and action, one discount by ID, and the payment settings staff see.
func TestSettingsAdminAPI(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		me := str(s.data(t, owner, `{ currentStaffMember { id } }`, nil), "currentStaffMember.id")

		// A key writes once (a discount), staff write twice (the key, a tax rate).
		d := s.data(t, owner, `mutation { apiKeyCreate(input: {name: "Filter", permissions: [MANAGE_DISCOUNTS]}) { apiKey { id } secret userErrors { message } } }`, nil)
		noUserErrors(t, d, "apiKeyCreate")
		keyID, key := str(d, "apiKeyCreate.apiKey.id"), http.Header{"X-Api-Key": {str(d, "apiKeyCreate.secret")}}
		d = s.data(t, key, `mutation { discountCreate(input: {title: "Ten", code: "TEN", kind: PERCENTAGE, percentage: "10"}) { discount { id } userErrors { message } } }`, nil)
		noUserErrors(t, d, "discountCreate")
		discountID := str(d, "discountCreate.discount.id")
		d = s.data(t, owner, `mutation { taxRateCreate(input: {countryCode: "NZ", name: "GST", rate: "15"}) { taxRate { id } userErrors { message } } }`, nil)
		noUserErrors(t, d, "taxRateCreate")

		t.Run("audit log filters", func(t *testing.T) {
			const log = `query($a: ID, $act: String) { auditLog(first: 50, actorId: $a, action: $act) { nodes { actorType actorId action } } }`
			for _, c := range []struct {
				name        string
				actor, act  any
				wantActions map[string]bool // every entry's action is one of these, and each appears
			}{
				{"by the key", keyID, nil, map[string]bool{"discountCreate": true}},
				{"by staff", me, nil, map[string]bool{"apiKeyCreate": true, "taxRateCreate": true}},
				{"by action", nil, "taxRateCreate", map[string]bool{"taxRateCreate": true}},
				{"by both, matching nothing", keyID, "taxRateCreate", map[string]bool{}},
			} {
				t.Run(c.name, func(t *testing.T) {
					nodes := at(s.data(t, owner, log, map[string]any{"a": c.actor, "act": c.act}), "auditLog.nodes").([]any)
					seen := map[string]bool{}
					for _, n := range nodes {
						e := n.(map[string]any)
						if !c.wantActions[e["action"].(string)] || c.actor != nil && e["actorId"] != c.actor {
							t.Errorf("entry %v does not match actor %v, action %v", e, c.actor, c.act)
						}
						seen[e["action"].(string)] = true
					}
					for a := range c.wantActions {
						if !seen[a] {
							t.Errorf("no %s entry in %v", a, nodes)
						}
					}
				})
			}
			r := s.postAs(t, owner, log, map[string]any{"a": discountID})
			if len(r.Errors) != 1 || r.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("a discount's ID as actor: %d %+v", r.Status, r.Errors)
			}
			r = s.postAs(t, owner, log, map[string]any{"a": "not an id"})
			if len(r.Errors) != 1 || r.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("a malformed actor: %d %+v", r.Status, r.Errors)
			}
		})

		t.Run("one discount", func(t *testing.T) {
			const one = `query($id: ID!) { discount(id: $id) { id title code percentage } }`
			d := s.data(t, owner, one, map[string]any{"id": discountID})
			if str(d, "discount.code") != "TEN" || at(d, "discount.percentage") != 10.0 {
				t.Errorf("discount: %v", d)
			}
			if d := s.data(t, owner, one, map[string]any{"id": "gid://emporium/Discount/999999"}); at(d, "discount") != nil {
				t.Errorf("a missing discount: %v", d)
			}
			if r := s.postAs(t, nil, one, map[string]any{"id": discountID}); len(r.Errors) == 0 || string(r.Data) != "null" && !json.Valid(r.Data) {
				t.Errorf("anonymous read of a discount: %d %s", r.Status, r.Data)
			} else if r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("anonymous read of a discount: %+v", r.Errors)
			}
		})

		t.Run("payment settings", func(t *testing.T) {
			const q = `{ shop { paymentSettings { currencyCode provider captureMode } } }`
			d := s.data(t, owner, q, nil)
			if str(d, "shop.paymentSettings.provider") != "test-gateway" || str(d, "shop.paymentSettings.captureMode") != "COMPLETION" {
				t.Errorf("staff see %v", d)
			}
			// A storefront still reads the shop; the staff fields alone are refused.
			r := s.postAs(t, nil, q, nil)
			var got struct {
				Shop struct {
					PaymentSettings struct{ CurrencyCode, Provider, CaptureMode *string }
				}
			}
			if err := json.Unmarshal(r.Data, &got); err != nil {
				t.Fatal(err)
			}
			ps := got.Shop.PaymentSettings
			if ps.CurrencyCode == nil || ps.Provider != nil || ps.CaptureMode != nil || len(r.Errors) != 2 || r.Errors[0].code() != "UNAUTHENTICATED" {
				t.Errorf("anonymous: %s %+v", r.Data, r.Errors)
			}
		})
	})
}
