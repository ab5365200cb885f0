package integration

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const installBrowser = "install Debian's Chromium and Node.js (apt-get install -y chromium nodejs npm)"

// TestAdminDashboard drives the staff dashboard in a real headless Chromium through playwright-core
// (admin/e2e/run.mjs): the owner signs in on a laptop, searches, edits a product and opens every screen;
// a staff member who may only read orders signs in on a phone and reaches neither the products nor the
// editor, even by URL. Every screen is checked by axe-core (no serious or critical violation) and any
// console error or failed request fails the run. A missing browser fails the test, as the audit's
// missing Node.js does, so that CI cannot pass without it.
func TestAdminDashboard(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): %s", err, installBrowser)
	}
	browser := os.Getenv("CHROMIUM")
	if browser == "" {
		if browser, err = exec.LookPath("chromium"); err != nil {
			t.Fatalf("chromium not found (%v): %s", err, installBrowser)
		}
	}
	e2e := filepath.Join("..", "admin", "e2e")
	if _, err := os.Stat(filepath.Join(e2e, "node_modules", "playwright-core", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatalf("npm not found (%v): %s", err, installBrowser)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = e2e
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in admin/e2e: %v\n%s", err, out)
		}
	}

	s := startServerWith(t, "sqlite", filepath.Join(t.TempDir(), "admin.db"), withOwner(nil))
	t.Cleanup(s.close)
	// The jobs run as under `emporium serve`: the order flow waits for the invoice and credit note they issue.
	if err := s.svc.StartJobs(t.Context()); err != nil {
		t.Fatal(err)
	}

	t.Run("served", func(t *testing.T) {
		res, err := http.Get(s.http.URL + "/admin/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csp := res.Header.Get("Content-Security-Policy")
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "app.js") ||
			!strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Fatalf("GET /admin/: %d, CSP %q\n%s", res.StatusCode, csp, body)
		}
		res, err = http.Get(s.http.URL + "/admin/no-such-file.js")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET a missing file: %d", res.StatusCode)
		}
	})

	owner := staffLogin(t, s, ownerEmail, ownerPassword)
	var group struct {
		PermissionGroupCreate struct{ PermissionGroup *struct{ ID string } }
	}
	s.queryAs(t, bearer(owner), `mutation { permissionGroupCreate(input: {name: "Order desk", permissions: [READ_ORDERS]}) {
		permissionGroup { id } } }`, nil, &group)
	if group.PermissionGroupCreate.PermissionGroup == nil {
		t.Fatal("no permission group")
	}
	var member struct {
		StaffMemberCreate struct{ StaffMember *struct{ ID string } }
	}
	s.queryAs(t, bearer(owner), `mutation($g: ID!) { staffMemberCreate(input: {email: "desk@example.com", password: "desk-password-123", groupIds: [$g]}) {
		staffMember { id } } }`, map[string]any{"g": group.PermissionGroupCreate.PermissionGroup.ID}, &member)
	if member.StaffMemberCreate.StaffMember == nil {
		t.Fatal("no staff member")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "run.mjs")
	cmd.Dir = e2e
	cmd.Env = append(os.Environ(), "EMPORIUM_URL="+s.http.URL, "CHROMIUM="+browser,
		"OWNER_EMAIL="+ownerEmail, "OWNER_PASSWORD="+ownerPassword,
		"READER_EMAIL=desk@example.com", "READER_PASSWORD=desk-password-123")
	if dir := os.Getenv("EMPORIUM_SCREENSHOTS"); dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Env = append(cmd.Env, "SCREENSHOTS="+abs)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("dashboard run failed (%v):\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}
