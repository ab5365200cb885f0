package integration

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/emporium/emporium/ent/staffmember"
	"github.com/emporium/emporium/gid"
)

// TestOwnersDeactivatingEachOther has two owners deactivate each other at once, three times: one
// succeeds, the other is refused, and the shop always keeps an active owner.
func TestOwnersDeactivatingEachOther(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		const update = `mutation($id: ID!, $active: Boolean!) { staffMemberUpdate(id: $id, input: {active: $active}) {
			staffMember { id active } userErrors { field code message } } }`
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		d := s.data(t, owner, `mutation { staffMemberCreate(input: {email: "partner@example.com", password: "partner-password-1"}) {
			staffMember { id } userErrors { message } } }`, nil)
		partnerID := str(d, "staffMemberCreate.staffMember.id")
		partnerKey, err := gid.DecodeType(partnerID, "StaffMember")
		if err != nil {
			t.Fatal(err)
		}
		// Owners are made outside the API.
		if err := s.svc.DB.Client.StaffMember.UpdateOneID(partnerKey).SetOwner(true).Exec(t.Context()); err != nil {
			t.Fatal(err)
		}
		ownerID := str(s.data(t, owner, `{ currentStaffMember { id } }`, nil), "currentStaffMember.id")
		logins := map[string][2]string{ownerID: {ownerEmail, ownerPassword}, partnerID: {"partner@example.com", "partner-password-1"}}

		for round := range 3 {
			// Both active, both signed in.
			if _, err := s.svc.DB.Client.StaffMember.Update().Where(staffmember.Owner(true)).SetActive(true).Save(t.Context()); err != nil {
				t.Fatal(err)
			}
			tokens := map[string]http.Header{}
			for id, l := range logins {
				tokens[id] = bearer(staffLogin(t, s, l[0], l[1]))
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			won := 0
			var answers []string
			gate := make(chan struct{})
			for by, target := range map[string]string{ownerID: partnerID, partnerID: ownerID} {
				wg.Go(func() {
					<-gate
					var out map[string]any
					err := s.tryQueryAs(tokens[by], update, map[string]any{"id": target, "active": false}, &out)
					mu.Lock()
					defer mu.Unlock()
					if err == nil && at(out, "staffMemberUpdate.staffMember.active") == false {
						won++
					}
					answers = append(answers, strings.TrimSpace(strings.Join([]string{by, str(out, "staffMemberUpdate.userErrors.0.code"), errString(err)}, " ")))
				})
			}
			close(gate)
			wg.Wait()
			active, err := s.svc.DB.Client.StaffMember.Query().Where(staffmember.Owner(true), staffmember.Active(true)).Count(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if won != 1 || active != 1 {
				t.Fatalf("round %d: %d deactivations went through and %d owners are active, want 1 and 1: %v", round, won, active, answers)
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
