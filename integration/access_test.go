package integration

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/service"
)

const (
	ownerEmail    = "owner@example.com"
	ownerPassword = "owner-password-123"
)

func withOwner(key []byte) func(*service.Options) {
	return func(o *service.Options) {
		o.AdminEmail, o.AdminPassword, o.JWTKeys = ownerEmail, ownerPassword, key
	}
}

func staffLogin(t *testing.T, s *server, email, password string) string {
	t.Helper()
	var out struct {
		StaffAccessTokenCreate struct {
			StaffAccessToken *struct{ AccessToken string }
			UserErrors       []userError
		}
	}
	s.query(t, `mutation($e: String!, $p: String!) { staffAccessTokenCreate(input: {email: $e, password: $p}) {
		staffAccessToken { accessToken expiresAt } userErrors { field message } } }`, map[string]any{"e": email, "p": password}, &out)
	if out.StaffAccessTokenCreate.StaffAccessToken == nil {
		t.Fatalf("staff login %s: %+v", email, out.StaffAccessTokenCreate.UserErrors)
	}
	return out.StaffAccessTokenCreate.StaffAccessToken.AccessToken
}

const listCustomers = `{ customers(first: 10) { nodes { email } } }`

func TestOwnershipOfCustomerData(t *testing.T) {
	eachFreshDB(t, nil, func(t *testing.T, s *server) {
		aID, a := signUpAndLogIn(t, s, "a@example.com")
		bID, b := signUpAndLogIn(t, s, "b@example.com")
		var addr struct {
			CustomerAddressCreate struct{ CustomerAddress struct{ ID string } }
		}
		s.queryAs(t, bearer(b), `mutation { customerAddressCreate(address: {address1: "B street 1", city: "Bville"}) { customerAddress { id } } }`, nil, &addr)
		bAddr := addr.CustomerAddressCreate.CustomerAddress.ID

		var nodes struct{ Nodes []*struct{ ID string } }
		s.queryAs(t, bearer(a), `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []string{bID, bAddr, aID}}, &nodes)
		if nodes.Nodes[0] != nil || nodes.Nodes[1] != nil || nodes.Nodes[2] == nil {
			t.Errorf("A's nodes(B, B's address, A) = %+v, want null, null, A", nodes.Nodes)
		}
		for _, id := range []string{bID, bAddr} {
			var one struct{ Node *struct{ ID string } }
			s.queryAs(t, bearer(a), `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &one)
			if one.Node != nil {
				t.Errorf("A reaches %s through node", id)
			}
			s.query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &one)
			if one.Node != nil {
				t.Errorf("anonymous reaches %s through node", id)
			}
		}
		if e := s.postAs(t, bearer(a), `query($id: ID!) { customer(id: $id) { email } }`, map[string]any{"id": bID}); len(e.Errors) == 0 || e.Errors[0].code() != "FORBIDDEN" {
			t.Errorf("customer(id: B) as A: %s %+v", e.Data, e.Errors)
		}
		for _, m := range []string{
			`mutation($id: ID!) { customerAddressUpdate(id: $id, address: {city: "Hacked"}) { customerAddress { id } customerUserErrors { code } } }`,
			`mutation($id: ID!) { customerDefaultAddressUpdate(addressId: $id) { customer { id } customerUserErrors { code } } }`,
			`mutation($id: ID!) { customerAddressDelete(id: $id) { deletedCustomerAddressId customerUserErrors { code } } }`,
		} {
			r := s.postAs(t, bearer(a), m, map[string]any{"id": bAddr})
			if !strings.Contains(string(r.Data), "NOT_FOUND") {
				t.Errorf("A changing B's address: %s", r.Data)
			}
		}
		var book struct {
			Customer struct {
				DefaultAddress *struct{ ID, City string }
				Addresses      struct{ Nodes []struct{ City string } }
			}
		}
		s.queryAs(t, bearer(b), `{ customer { defaultAddress { id city } addresses(first: 5) { nodes { city } } } }`, nil, &book)
		if book.Customer.DefaultAddress == nil || book.Customer.DefaultAddress.City != "Bville" || len(book.Customer.Addresses.Nodes) != 1 {
			t.Errorf("B's book after A's attempts: %+v", book.Customer)
		}
		var aBook struct {
			Customer struct{ DefaultAddress *struct{ ID string } }
		}
		s.queryAs(t, bearer(a), `{ customer { defaultAddress { id } } }`, nil, &aBook)
		if aBook.Customer.DefaultAddress != nil {
			t.Errorf("A's default address became %+v", aBook.Customer.DefaultAddress)
		}
		// A customer token is no staff credential.
		if r := s.postAs(t, bearer(a), listCustomers, nil); len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" || strings.Contains(string(r.Data), "example.com") {
			t.Errorf("customers with a customer token: %s %+v", r.Data, r.Errors)
		}
	})
}

// TestRejectedTokensOverHTTP sends forged and stale tokens; each is refused with 401 UNAUTHENTICATED and
// no data.
func TestRejectedTokensOverHTTP(t *testing.T) {
	keyPEM, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	k, _ := x509.ParsePKCS8PrivateKey(block.Bytes)
	priv := k.(ed25519.PrivateKey)
	pub := priv.Public().(ed25519.PublicKey)
	kid := auth.KeyID(pub)

	eachFreshDB(t, withOwner(keyPEM), func(t *testing.T, s *server) {
		id, token := signUpAndLogIn(t, s, "c@example.com")
		claims, _, err := jwt.NewParser().ParseUnverified(token, &auth.Claims{})
		if err != nil {
			t.Fatal(err)
		}
		good := *claims.Claims.(*auth.Claims)
		forge := func(method jwt.SigningMethod, key any, mutate func(*auth.Claims)) string {
			c := good
			c.Audience = slices.Clone(good.Audience)
			if mutate != nil {
				mutate(&c)
			}
			tok := jwt.NewWithClaims(method, c)
			tok.Header["kid"] = kid
			signed, err := tok.SignedString(key)
			if err != nil {
				t.Fatal(err)
			}
			return signed
		}
		// The forger holds the real key for these: only the claims are wrong.
		if _, err := jwt.ParseWithClaims(forge(jwt.SigningMethodEdDSA, priv, nil), &auth.Claims{}, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
			t.Fatalf("the test's own forgery does not verify: %v", err)
		}
		parts := strings.Split(token, ".")
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		tampered := strings.Replace(string(payload), id[len("gid://emporium/Customer/"):]+`"`, `999"`, 1)
		sig := []byte(parts[2])
		sig[3] ^= 1
		past := time.Now().Add(-2 * time.Hour)

		tests := map[string]string{
			"alg none":                  forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
			"HS256 with the public key": forge(jwt.SigningMethodHS256, []byte(pub), nil),
			"expired": forge(jwt.SigningMethodEdDSA, priv, func(c *auth.Claims) {
				c.ExpiresAt, c.IssuedAt, c.NotBefore = jwt.NewNumericDate(past.Add(time.Hour)), jwt.NewNumericDate(past), jwt.NewNumericDate(past)
			}),
			"not yet valid":      forge(jwt.SigningMethodEdDSA, priv, func(c *auth.Claims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(10 * time.Minute)) }),
			"wrong issuer":       forge(jwt.SigningMethodEdDSA, priv, func(c *auth.Claims) { c.Issuer = "evil" }),
			"tampered payload":   parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tampered)) + "." + parts[2],
			"tampered signature": parts[0] + "." + parts[1] + "." + string(sig),
			"unknown session":    forge(jwt.SigningMethodEdDSA, priv, func(c *auth.Claims) { c.Session = "0000" }),
			"another customer":   forge(jwt.SigningMethodEdDSA, priv, func(c *auth.Claims) { c.Subject = "gid://emporium/Customer/999" }),
		}
		for name, tok := range tests {
			t.Run(name, func(t *testing.T) {
				r := s.postAs(t, bearer(tok), whoAmI, nil)
				if r.Status != http.StatusUnauthorized || len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" || r.Data != nil {
					t.Errorf("status %d, data %s, errors %+v; want 401 UNAUTHENTICATED and no data", r.Status, r.Data, r.Errors)
				}
			})
		}
		t.Run("a storefront token on admin fields", func(t *testing.T) {
			r := s.postAs(t, bearer(token), listCustomers, nil)
			if len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" || strings.Contains(string(r.Data), "@") {
				t.Errorf("%s %+v", r.Data, r.Errors)
			}
		})
		t.Run("an admin token where a customer token is expected", func(t *testing.T) {
			admin := staffLogin(t, s, ownerEmail, ownerPassword)
			var who whoAmIResult
			s.query(t, whoAmI, map[string]any{"token": admin}, &who)
			if who.Customer != nil {
				t.Errorf("customer(customerAccessToken: staff token) = %+v", who.Customer)
			}
		})
		t.Run("jwks verifies the tokens", func(t *testing.T) {
			res, err := http.Get(s.http.URL + "/.well-known/jwks.json")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			var set struct {
				Keys []struct{ Kid, X, Alg, Crv string }
			}
			if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 {
				t.Fatalf("jwks: %s %v", body, err)
			}
			x, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].X)
			_, err = jwt.Parse(token, func(tok *jwt.Token) (any, error) { return ed25519.PublicKey(x), nil }, jwt.WithValidMethods([]string{"EdDSA"}))
			if err != nil || set.Keys[0].Kid != kid {
				t.Errorf("a customer token does not verify with the published key: %v", err)
			}
		})
	})
}

func TestStaffPermissionsAndAPIKeys(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		signUpAndLogIn(t, s, "shopper@example.com")
		owner := staffLogin(t, s, ownerEmail, ownerPassword)

		if r := s.post(t, listCustomers, nil); len(r.Errors) == 0 || r.Errors[0].code() != "UNAUTHENTICATED" || string(r.Data) != "null" {
			t.Errorf("customers without credentials: %s %+v", r.Data, r.Errors)
		}
		var list struct {
			Customers struct{ Nodes []struct{ Email string } }
		}
		s.queryAs(t, bearer(owner), listCustomers, nil, &list)
		if len(list.Customers.Nodes) != 1 || list.Customers.Nodes[0].Email != "shopper@example.com" {
			t.Errorf("owner's customers: %+v", list)
		}

		var group struct {
			PermissionGroupCreate struct {
				PermissionGroup *struct{ ID string }
				UserErrors      []userError
			}
		}
		s.queryAs(t, bearer(owner), `mutation { permissionGroupCreate(input: {name: "Support", permissions: [READ_CUSTOMERS]}) {
			permissionGroup { id } userErrors { message } } }`, nil, &group)
		if group.PermissionGroupCreate.PermissionGroup == nil {
			t.Fatalf("group: %+v", group)
		}
		var member struct {
			StaffMemberCreate struct {
				StaffMember *struct {
					ID          string
					Permissions []string
				}
				UserErrors []userError
			}
		}
		s.queryAs(t, bearer(owner), `mutation($g: ID!) { staffMemberCreate(input: {email: "support@example.com", password: "support-password-1", name: "Sam", groupIds: [$g]}) {
			staffMember { id permissions } userErrors { message } } }`, map[string]any{"g": group.PermissionGroupCreate.PermissionGroup.ID}, &member)
		if m := member.StaffMemberCreate.StaffMember; m == nil || !slices.Equal(m.Permissions, []string{"READ_CUSTOMERS"}) {
			t.Fatalf("staff member: %+v", member)
		}
		r := s.postAs(t, bearer(owner), `mutation { staffMemberCreate(input: {email: "Support@example.com", password: "another-password-1"}) {
			staffMember { id } userErrors { field message } } }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "already been taken") {
			t.Errorf("a taken staff email: %s %+v", r.Data, r.Errors)
		}
		support := staffLogin(t, s, "support@example.com", "support-password-1")
		s.queryAs(t, bearer(support), listCustomers, nil, &list)
		if len(list.Customers.Nodes) != 1 {
			t.Errorf("support's customers: %+v", list)
		}
		for _, m := range []string{
			`mutation { apiKeyCreate(input: {name: "x", permissions: [READ_CUSTOMERS]}) { secret } }`,
			`mutation { staffMemberCreate(input: {email: "x@example.com", password: "xxxxxxxxxxxxxxx"}) { staffMember { id } } }`,
			`{ auditLog(first: 5) { nodes { action } } }`,
		} {
			if r := s.postAs(t, bearer(support), m, nil); len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
				t.Errorf("support ran %s: %s %+v", m, r.Data, r.Errors)
			}
		}

		createKey := `mutation($p: [Permission!]!) { apiKeyCreate(input: {name: "Warehouse sync", permissions: $p}) {
			apiKey { id prefix permissions } secret userErrors { field message } } }`
		var key struct {
			APIKeyCreate struct {
				APIKey *struct {
					ID, Prefix  string
					Permissions []string
				} `json:"apiKey"`
				Secret     *string
				UserErrors []userError
			} `json:"apiKeyCreate"`
		}
		s.queryAs(t, bearer(owner), createKey, map[string]any{"p": []string{"READ_CUSTOMERS"}}, &key)
		if key.APIKeyCreate.Secret == nil || !strings.HasPrefix(*key.APIKeyCreate.Secret, "emp_") ||
			!strings.HasPrefix(*key.APIKeyCreate.Secret, key.APIKeyCreate.APIKey.Prefix) {
			t.Fatalf("key: %+v", key)
		}
		secret := *key.APIKeyCreate.Secret
		for _, h := range []http.Header{bearer(secret), {"X-Api-Key": {secret}}} {
			s.queryAs(t, h, listCustomers, nil, &list)
			if len(list.Customers.Nodes) != 1 {
				t.Errorf("read-only key cannot read: %+v", list)
			}
			if r := s.postAs(t, h, `mutation { permissionGroupCreate(input: {name: "Mine", permissions: [MANAGE_STAFF]}) { permissionGroup { id } } }`, nil); len(r.Errors) == 0 || r.Errors[0].code() != "FORBIDDEN" {
				t.Errorf("read-only key wrote: %s %+v", r.Data, r.Errors)
			}
		}
		var listed struct {
			APIKeys struct {
				Nodes []struct {
					Prefix     string
					LastUsedAt *string
				}
			} `json:"apiKeys"`
		}
		s.queryAs(t, bearer(owner), `{ apiKeys(first: 5) { nodes { prefix lastUsedAt } } }`, nil, &listed)
		if len(listed.APIKeys.Nodes) != 1 || listed.APIKeys.Nodes[0].LastUsedAt == nil || strings.Contains(string(mustJSON(listed)), secret) {
			t.Errorf("apiKeys: %+v", listed)
		}
		var revoke struct {
			APIKeyRevoke struct{ RevokedAPIKeyID *string } `json:"apiKeyRevoke"`
		}
		s.queryAs(t, bearer(owner), `mutation($id: ID!) { apiKeyRevoke(id: $id) { revokedApiKeyId } }`, map[string]any{"id": key.APIKeyCreate.APIKey.ID}, &revoke)
		if revoke.APIKeyRevoke.RevokedAPIKeyID == nil {
			t.Fatalf("revoke: %+v", revoke)
		}
		if r := s.postAs(t, bearer(secret), listCustomers, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("revoked key: %d %s", r.Status, r.Data)
		}
		if r := s.postAs(t, http.Header{"X-Api-Key": {"emp_" + strings.Repeat("a", 32)}}, listCustomers, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("made-up key: %d", r.Status)
		}

		t.Run("a key never holds more than its creator", func(t *testing.T) {
			s.queryAs(t, bearer(owner), `mutation($g: ID!) { staffMemberCreate(input: {email: "apps@example.com", password: "apps-password-12", groupIds: [$g]}) { staffMember { id } } }`,
				map[string]any{"g": mustGroup(t, s, owner, "Apps", "MANAGE_APPS")}, nil)
			apps := staffLogin(t, s, "apps@example.com", "apps-password-12")
			s.queryAs(t, bearer(apps), createKey, map[string]any{"p": []string{"MANAGE_PRODUCTS"}}, &key)
			if key.APIKeyCreate.Secret != nil || len(key.APIKeyCreate.UserErrors) == 0 {
				t.Errorf("MANAGE_APPS alone granted MANAGE_PRODUCTS: %+v", key)
			}
		})

		t.Run("logout of staff", func(t *testing.T) {
			s.queryAs(t, bearer(support), `mutation { staffAccessTokenDelete { deleted } }`, nil, nil)
			if r := s.postAs(t, bearer(support), listCustomers, nil); r.Status != http.StatusUnauthorized {
				t.Errorf("staff token after logout: %d", r.Status)
			}
		})

		t.Run("audit log", func(t *testing.T) {
			var audit struct {
				AuditLog struct {
					Nodes []struct {
						ActorType, Action, Resource, Operation string
						ActorID                                *string
						Fields                                 []string
					}
				}
			}
			s.queryAs(t, bearer(owner), `{ auditLog(first: 50) { nodes { actorType actorId action resource operation fields } } }`, nil, &audit)
			seen := map[string]bool{}
			for _, e := range audit.AuditLog.Nodes {
				seen[e.Action] = true
				if e.ActorType != "STAFF" || e.ActorID == nil || e.Resource == "" {
					t.Errorf("entry %+v lacks its actor or resource", e)
				}
				if slices.Contains(e.Fields, "password_hash") && strings.Contains(string(mustJSON(e)), "argon2") {
					t.Errorf("entry leaks a hash: %+v", e)
				}
			}
			for _, a := range []string{"permissionGroupCreate", "staffMemberCreate", "apiKeyCreate", "apiKeyRevoke"} {
				if !seen[a] {
					t.Errorf("no audit entry for %s in %+v", a, audit.AuditLog.Nodes)
				}
			}
			if seen["customerCreate"] || seen["staffAccessTokenCreate"] {
				t.Errorf("storefront or login writes were audited as admin writes: %v", seen)
			}
		})
	})
}

func mustGroup(t *testing.T, s *server, token, name, perm string) string {
	t.Helper()
	var g struct {
		PermissionGroupCreate struct{ PermissionGroup struct{ ID string } }
	}
	s.queryAs(t, bearer(token), `mutation($n: String!, $p: Permission!) { permissionGroupCreate(input: {name: $n, permissions: [$p]}) { permissionGroup { id } } }`,
		map[string]any{"n": name, "p": perm}, &g)
	return g.PermissionGroupCreate.PermissionGroup.ID
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func TestRequestLimitsRefuseBeforeExecution(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var aliases, roots strings.Builder
		for i := range 51 {
			aliases.WriteString("a" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": name ")
		}
		for i := range 21 {
			// Aliased: 21 copies of one response name would meet the limit of 20 per selection set first.
			fmt.Fprintf(&roots, "s%d: shop { name } ", i)
		}
		deep := "{ products(first: 1) { nodes { " + strings.Repeat("variants(first: 1) { nodes { product { ", 8) + "id" + strings.Repeat(" } } }", 8) + " } } }"
		costly := `{ products(first: 250) { nodes { variants(first: 250) { nodes { product { variants(first: 250) { nodes { id } } } } } } } }`
		for _, tt := range []struct{ name, query, code string }{
			{"alias flood", "{ shop { " + aliases.String() + "} }", "MAX_ALIASES_EXCEEDED"},
			{"root field flood", "{ " + roots.String() + "}", "MAX_ROOT_FIELDS_EXCEEDED"},
			{"depth", deep, "MAX_DEPTH_EXCEEDED"},
			{"complexity", costly, "COMPLEXITY_LIMIT_EXCEEDED"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := s.post(t, tt.query, nil)
				if len(r.Errors) == 0 || r.Errors[0].code() != tt.code || r.Data != nil {
					t.Errorf("%s: %s %+v, want %s and no data", tt.name, r.Data, r.Errors, tt.code)
				}
				if n := s.lastStatements(); n != 0 {
					t.Errorf("%d SQL statements ran for a refused request", n)
				}
			})
		}
		t.Run("batch flood", func(t *testing.T) {
			batch := "[" + strings.Repeat(`{"query":"{ shop { name } }"},`, 100) + `{"query":"{ shop { name } }"}]`
			res, err := http.Post(s.http.URL+"/graphql", "application/json", strings.NewReader(batch))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusBadRequest || s.lastStatements() != 0 {
				t.Errorf("batch: %d, %d statements", res.StatusCode, s.lastStatements())
			}
		})
		t.Run("oversized body", func(t *testing.T) {
			big := `{"query":"{ shop { name } }","variables":{"x":"` + strings.Repeat("x", 2<<20) + `"}}`
			res, err := http.Post(s.http.URL+"/graphql", "application/json", strings.NewReader(big))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "REQUEST_TOO_LARGE") {
				t.Errorf("oversized: %d %s", res.StatusCode, body)
			}
		})
	})
}

func TestRateLimitByCost(t *testing.T) {
	// A slow refill, so that "at once" survives a loaded machine: the second request is refused unless
	// some 200 ms pass between the two admissions.
	const restore = 200
	eachFreshDB(t, func(o *service.Options) { o.RateCapacity, o.RestoreRate = 1000, restore }, func(t *testing.T, s *server) {
		// A full page (40 of the 44 demo products), so that the actual cost is the requested cost and no
		// refund lets the second request through.
		q := `{ products(first: 40) { nodes { id title handle vendor description descriptionHtml productType tags createdAt updatedAt availableForSale publishedAt } } }`
		type costed struct {
			Status     int
			Errors     []gqlError
			Extensions struct {
				Cost queryCost
			}
		}
		send := func(h http.Header) costed {
			t.Helper()
			body, _ := json.Marshal(map[string]any{"query": q})
			req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/graphql", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				req.Header[k] = v
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var c costed
			if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
				t.Fatal(err)
			}
			c.Status = res.StatusCode
			return c
		}
		first := send(nil)
		cost := first.Extensions.Cost
		if len(first.Errors) > 0 || cost.RequestedQueryCost < 500 || cost.RequestedQueryCost > 1000 || cost.ActualQueryCost == nil || *cost.ActualQueryCost != cost.RequestedQueryCost ||
			cost.ThrottleStatus.MaximumAvailable != 1000 || cost.ThrottleStatus.CurrentlyAvailable != 1000-cost.RequestedQueryCost {
			t.Fatalf("first request: %+v; the test needs a cost between 500 and 1000", first)
		}
		second := send(nil)
		if len(second.Errors) == 0 || second.Errors[0].code() != "THROTTLED" {
			t.Fatalf("second request at once: %+v, want THROTTLED", second)
		}
		// A sign-up and a login cost 250,000 each (their argon2id hash), more than this bucket ever holds:
		// the customer is made through the service, and the test is of what its token draws from.
		ctx := context.Background()
		if _, errs, err := s.svc.Customers.Create(ctx, customers.CreateInput{Email: "own-bucket@example.com", Password: "own-bucket-pass"}); err != nil || len(errs) > 0 {
			t.Fatalf("create the customer: %v %+v", err, errs)
		}
		access, errs, err := s.svc.Customers.Login(ctx, "own-bucket@example.com", "own-bucket-pass", "")
		if err != nil || len(errs) > 0 {
			t.Fatalf("log in: %v %+v", err, errs)
		}
		token := access.Token
		if other := send(bearer(token)); len(other.Errors) > 0 {
			t.Errorf("a customer with a bucket of its own was throttled: %+v", other.Errors)
		}
		time.Sleep(time.Duration(float64(cost.RequestedQueryCost)/restore*float64(time.Second)) + 200*time.Millisecond)
		if again := send(nil); len(again.Errors) > 0 {
			t.Errorf("after the bucket refilled: %+v", again.Errors)
		}
	})
}
