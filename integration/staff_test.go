package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestStaffManagement(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		ownerToken := staffLogin(t, s, ownerEmail, ownerPassword)
		owner := bearer(ownerToken)
		const (
			createGroup = `mutation($n: String!, $p: [Permission!]!) { permissionGroupCreate(input: {name: $n, permissions: $p}) {
				permissionGroup { id permissions } userErrors { field message code } } }`
			updateGroup = `mutation($id: ID!, $in: PermissionGroupUpdateInput!) { permissionGroupUpdate(id: $id, input: $in) {
				permissionGroup { id name permissions } userErrors { field message code } } }`
			deleteGroup  = `mutation($id: ID!) { permissionGroupDelete(id: $id) { deletedPermissionGroupId userErrors { field message code } } }`
			createMember = `mutation($e: String!, $g: [ID!]) { staffMemberCreate(input: {email: $e, password: "member-password-1", groupIds: $g}) {
				staffMember { id } userErrors { field message code } } }`
			updateMember = `mutation($id: ID!, $in: StaffMemberUpdateInput!) { staffMemberUpdate(id: $id, input: $in) {
				staffMember { id name active permissions } userErrors { field message code } } }`
			me = `{ currentStaffMember { id permissions } }`
		)
		group := func(h http.Header, name string, perms ...string) (string, map[string]any) {
			d := s.data(t, h, createGroup, map[string]any{"n": name, "p": perms})
			return str(d, "permissionGroupCreate.permissionGroup.id"), d
		}
		member := func(h http.Header, email string, groups ...string) (string, map[string]any) {
			d := s.data(t, h, createMember, map[string]any{"e": email, "g": groups})
			return str(d, "staffMemberCreate.staffMember.id"), d
		}
		permissionsOf := func(h http.Header) []string {
			r := s.postAs(t, h, me, nil)
			if r.Status != http.StatusOK || len(r.Errors) > 0 {
				return nil
			}
			var out []string
			for _, p := range at(mustDecode(t, r.Data), "currentStaffMember.permissions").([]any) {
				out = append(out, p.(string))
			}
			return out
		}

		// A staff manager holds MANAGE_STAFF and READ_CUSTOMERS only.
		managers, _ := group(owner, "Staff managers", "MANAGE_STAFF", "READ_CUSTOMERS")
		managerID, _ := member(owner, "manager@example.com", managers)
		manager := bearer(staffLogin(t, s, "manager@example.com", "member-password-1"))
		support, _ := group(owner, "Support", "READ_CUSTOMERS")
		admins, _ := group(owner, "Admins", "MANAGE_SETTINGS", "MANAGE_STAFF")

		t.Run("nobody hands out power they do not hold", func(t *testing.T) {
			if _, d := group(manager, "Escalation", "MANAGE_SETTINGS"); userErrorCode(d, "permissionGroupCreate") != "FORBIDDEN" {
				t.Errorf("a manager created a group with MANAGE_SETTINGS: %v", d)
			}
			if _, d := member(manager, "friend@example.com", admins); userErrorCode(d, "staffMemberCreate") != "FORBIDDEN" {
				t.Errorf("a manager created a member in the Admins group: %v", d)
			}
			d := s.data(t, manager, updateMember, map[string]any{"id": managerID, "in": map[string]any{"groupIds": []string{managers, admins}}})
			if userErrorCode(d, "staffMemberUpdate") != "FORBIDDEN" {
				t.Errorf("a manager joined the Admins group: %v", d)
			}
			d = s.data(t, manager, updateGroup, map[string]any{"id": managers, "in": map[string]any{"permissions": []string{"MANAGE_STAFF", "MANAGE_SETTINGS"}}})
			if userErrorCode(d, "permissionGroupUpdate") != "FORBIDDEN" {
				t.Errorf("a manager raised their own group: %v", d)
			}
			d = s.data(t, manager, deleteGroup, map[string]any{"id": admins})
			if userErrorCode(d, "permissionGroupDelete") != "FORBIDDEN" {
				t.Errorf("a manager deleted a group above them: %v", d)
			}
			if got := permissionsOf(manager); !slices.Equal(got, []string{"MANAGE_STAFF", "READ_CUSTOMERS"}) {
				t.Errorf("the manager's permissions after refused escalations: %v", got)
			}
			d = s.data(t, owner, `{ permissionGroups { name permissions } }`, nil)
			if !strings.Contains(fmt.Sprint(d), "map[name:Admins permissions:[MANAGE_SETTINGS MANAGE_STAFF]]") || len(at(d, "permissionGroups").([]any)) != 3 {
				t.Errorf("groups after refused changes: %v", d)
			}
			// Within their own permissions a manager may work.
			if id, d := group(manager, "Readers", "READ_CUSTOMERS"); id == "" {
				t.Errorf("a manager could not create a group within their permissions: %v", d)
			}
		})

		t.Run("a group's changes reach its members on their next request", func(t *testing.T) {
			supportID, _ := member(owner, "support@example.com", support)
			agent := bearer(staffLogin(t, s, "support@example.com", "member-password-1"))
			if got := permissionsOf(agent); !slices.Equal(got, []string{"READ_CUSTOMERS"}) {
				t.Fatalf("support's permissions: %v", got)
			}
			d := s.data(t, owner, updateGroup, map[string]any{"id": support, "in": map[string]any{"name": "Customer care", "permissions": []string{"READ_CUSTOMERS", "READ_ORDERS"}}})
			noUserErrors(t, d, "permissionGroupUpdate")
			if got := permissionsOf(agent); !slices.Equal(got, []string{"READ_CUSTOMERS", "READ_ORDERS"}) {
				t.Errorf("support's permissions after the group changed: %v", got)
			}
			d = s.data(t, owner, updateGroup, map[string]any{"id": support, "in": map[string]any{"permissions": []string{}}})
			if userErrorCode(d, "permissionGroupUpdate") != "BLANK" {
				t.Errorf("a group emptied of permissions: %v", d)
			}
			d = s.data(t, owner, deleteGroup, map[string]any{"id": support})
			if str(d, "permissionGroupDelete.deletedPermissionGroupId") != support {
				t.Fatalf("delete: %v", d)
			}
			if got := permissionsOf(agent); len(got) != 0 {
				t.Errorf("support's permissions after the group was deleted: %v", got)
			}
			if r := s.postAs(t, agent, listCustomers, nil); len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
				t.Errorf("support still lists customers: %s", r.Data)
			}

			d = s.data(t, manager, updateMember, map[string]any{"id": supportID, "in": map[string]any{"active": false, "name": "Former agent"}})
			if str(d, "staffMemberUpdate.staffMember.name") != "Former agent" || at(d, "staffMemberUpdate.staffMember.active") != false {
				t.Fatalf("deactivate: %v", d)
			}
			if r := s.postAs(t, agent, me, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("a deactivated member's token: status %d %s", r.Status, r.Data)
			}
			var login struct {
				StaffAccessTokenCreate struct{ StaffAccessToken *struct{ AccessToken string } }
			}
			s.query(t, `mutation { staffAccessTokenCreate(input: {email: "support@example.com", password: "member-password-1"}) { staffAccessToken { accessToken } } }`, nil, &login)
			if login.StaffAccessTokenCreate.StaffAccessToken != nil {
				t.Error("a deactivated member logged in")
			}
		})

		t.Run("owners and oneself", func(t *testing.T) {
			ownerID := str(s.data(t, owner, me, nil), "currentStaffMember.id")
			d := s.data(t, manager, updateMember, map[string]any{"id": ownerID, "in": map[string]any{"active": false}})
			if userErrorCode(d, "staffMemberUpdate") != "FORBIDDEN" {
				t.Errorf("a manager deactivated the owner: %v", d)
			}
			d = s.data(t, owner, updateMember, map[string]any{"id": ownerID, "in": map[string]any{"active": false}})
			if userErrorCode(d, "staffMemberUpdate") != "FORBIDDEN" {
				t.Errorf("the owner deactivated themselves: %v", d)
			}
			d = s.data(t, manager, updateMember, map[string]any{"id": managerID, "in": map[string]any{"active": false}})
			if userErrorCode(d, "staffMemberUpdate") != "FORBIDDEN" {
				t.Errorf("a manager deactivated themselves: %v", d)
			}
			if got := permissionsOf(owner); len(got) == 0 {
				t.Error("the owner lost access")
			}
		})

		t.Run("the audit log names these writes", func(t *testing.T) {
			d := s.data(t, owner, `{ auditLog(first: 100) { nodes { action actorId operation fields } } }`, nil)
			seen := map[string]bool{}
			memberFields := map[string]bool{}
			for _, n := range at(d, "auditLog.nodes").([]any) {
				seen[str(n, "action")] = true
				if op := str(n, "operation"); op != "create" && op != "update" && op != "delete" {
					t.Errorf("%s: operation %q, want create, update or delete", str(n, "action"), op)
				}
				if str(n, "action") == "staffMemberUpdate" {
					for _, f := range at(n, "fields").([]any) {
						memberFields[f.(string)] = true
					}
				}
			}
			// Deactivating adds to the token version, a field ent reports apart from those set: it is named.
			for _, f := range []string{"active", "token_version"} {
				if !memberFields[f] {
					t.Errorf("staffMemberUpdate entries name %v, not %s", memberFields, f)
				}
			}
			for _, a := range []string{"permissionGroupUpdate", "permissionGroupDelete", "staffMemberUpdate"} {
				if !seen[a] {
					t.Errorf("no audit entry for %s: %v", a, seen)
				}
			}
		})
	})
}

func mustDecode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
