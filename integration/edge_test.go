package integration

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/service"
)

// slowPost opens a connection and sends a POST whose body is announced but only begun.
func slowPost(t *testing.T, s *server, begin string) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n%s", begin)
	return conn
}

// Issue 10, finding 1: connections that send a body slowly held every in-flight slot, because a request
// was admitted before its body was read. Now admission follows the body, and a body that arrives below
// the minimum rate is cut off.
func TestSlowBodiesTakeNoSlot(t *testing.T) {
	const maxInFlight = 2
	eachFreshDB(t, func(o *service.Options) {
		o.MaxInFlight = maxInFlight
		o.BodyGrace, o.BodyMinRate = time.Second, 1000
	}, func(t *testing.T, s *server) {
		var slow []net.Conn
		for range maxInFlight + 5 {
			slow = append(slow, slowPost(t, s, `{"query":`))
		}
		time.Sleep(100 * time.Millisecond) // let the server take them in
		r := s.post(t, `{ shop { name } }`, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("a normal query beside %d slow bodies: status %d, errors %+v; want 200", len(slow), r.Status, r.Errors)
		}

		// A body trickling in at 25 bytes a second, below the minimum of 1,000, is cut off.
		trickle := slowPost(t, s, "")
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
					if _, err := trickle.Write([]byte("     ")); err != nil {
						return
					}
				}
			}
		}()
		for i, conn := range append(slow, trickle) {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("slow body %d: %v; want a 408 answer", i, err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusRequestTimeout {
				t.Errorf("slow body %d: status %d, want 408", i, res.StatusCode)
			}
		}
	})
}

// Issue 10, finding 2: validation compares same-named fields pairwise, so thousands of copies of one
// field cost seconds; the document's fields are now counted first.
func TestDocumentFieldLimit(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		huge := "{ shop { " + strings.Repeat("name ", 2000) + "} }"
		if e := s.queryError(t, huge, nil); e.code() != "MAX_FIELDS_EXCEEDED" {
			t.Fatalf("2,000 copies of a field: %s %q, want MAX_FIELDS_EXCEEDED", e.code(), e.Message)
		}
		frags := "query { shop { ...f } } fragment f on Shop { " + strings.Repeat("...g ", 600) + "} fragment g on Shop { name }"
		if e := s.queryError(t, frags, nil); e.code() != "MAX_FIELDS_EXCEEDED" {
			t.Fatalf("600 fragment spreads: %s %q, want MAX_FIELDS_EXCEEDED", e.code(), e.Message)
		}
		// Under the written limit, validation still compares same-named fields pairwise, across every
		// spread of a fragment: the document is also counted as it would run.
		if e := s.queryError(t, "{ shop { "+strings.Repeat("name ", 21)+"} }", nil); e.code() != "MAX_FIELDS_EXCEEDED" {
			t.Fatalf("21 copies of a field: %s %q, want MAX_FIELDS_EXCEEDED", e.code(), e.Message)
		}
		var spread strings.Builder
		for i := range 10 {
			fmt.Fprintf(&spread, "a%d: products(first: 1) { nodes { ...q } } ", i)
		}
		expanded := "{ " + spread.String() + "} fragment q on Product { " + strings.Repeat("...p ", 20) +
			"} fragment p on Product { id title handle vendor productType tags description descriptionHtml createdAt updatedAt }"
		if e := s.queryError(t, expanded, nil); e.code() != "MAX_FIELDS_EXCEEDED" {
			t.Fatalf("61 fields written, 2,230 spread: %s %q, want MAX_FIELDS_EXCEEDED", e.code(), e.Message)
		}
		cycle := "{ shop { ...f0 } } " + "fragment f0 on Shop { name ...f1 } fragment f1 on Shop { name ...f0 }"
		if e := s.queryError(t, cycle, nil); e.code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("a fragment cycle: %s %q, want GRAPHQL_VALIDATION_FAILED", e.code(), e.Message)
		}
		// A document under every limit still runs.
		s.query(t, "{ shop { "+strings.Repeat("name ", 20)+"} }", nil, nil)
		s.query(t, "{ products(first: 2) { nodes { ...q } } } fragment q on Product { "+strings.Repeat("...p ", 20)+
			"} fragment p on Product { id title handle vendor productType tags description descriptionHtml createdAt updatedAt }", nil, nil)
	})
}

// Variables are bounded in depth and in values before gqlgen coerces them: a 1 MiB list of IDs took it a
// third of a second.
func TestVariableShapeLimits(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		const nodes = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
		ids := make([]string, 10_001)
		for i := range ids {
			ids[i] = "x"
		}
		r := s.post(t, nodes, map[string]any{"ids": ids})
		if r.Status != http.StatusBadRequest || len(r.Errors) == 0 || r.Errors[0].code() != "BAD_REQUEST" {
			t.Fatalf("10,001 IDs: status %d, %+v; want 400 BAD_REQUEST", r.Status, r.Errors)
		}
		var deep any = "x"
		for range 40 {
			deep = []any{deep}
		}
		r = s.post(t, `query($q: String) { products(first: 1, query: $q) { nodes { id } } }`, map[string]any{"q": deep})
		if r.Status != http.StatusBadRequest || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "nested deeper") {
			t.Fatalf("variables 41 levels deep: status %d, %+v; want 400", r.Status, r.Errors)
		}
		// Within the limits, the field's own rule answers.
		r = s.post(t, nodes, map[string]any{"ids": ids[:300]})
		if len(r.Errors) == 0 || r.Errors[0].code() != "BAD_USER_INPUT" {
			t.Fatalf("300 IDs: %+v, want nodes' own BAD_USER_INPUT", r.Errors)
		}
	})
}

// Issue 10, finding 3: mutations that hash a password cost what the hash costs, so aliases of them hit
// the complexity limit instead of hashing fifty times.
func TestPasswordMutationsCostTheirHash(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var b strings.Builder
		b.WriteString("mutation {")
		for i := range 5 {
			fmt.Fprintf(&b, ` a%d: customerAccessTokenCreate(input: {email: "nobody%d@example.com", password: "wrong password"}) { customerUserErrors { code } }`, i, i)
		}
		b.WriteString("}")
		if e := s.queryError(t, b.String(), nil); e.code() != "COMPLEXITY_LIMIT_EXCEEDED" {
			t.Fatalf("5 aliased logins: %s %q, want COMPLEXITY_LIMIT_EXCEEDED", e.code(), e.Message)
		}
		r := s.post(t, `mutation { customerAccessTokenCreate(input: {email: "nobody@example.com", password: "wrong password"}) { customerUserErrors { code } } }`, nil)
		cost, _ := r.Extensions["cost"].(map[string]any)
		if got, _ := cost["requestedQueryCost"].(float64); got < 250_000 {
			t.Fatalf("one login costs %v, want at least 250,000 (errors %+v)", cost["requestedQueryCost"], r.Errors)
		}
	})
}

// Issue 10, finding 4: the persisted-query cache kept any text whose hash matched, before parsing it.
func TestPersistedQueriesKeepOnlyValidDocuments(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		apq := func(query, hash string) response {
			ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
			return s.postExt(t, query, ext)
		}
		hashOf := func(q string) string { sum := sha256.Sum256([]byte(q)); return hex.EncodeToString(sum[:]) }

		junk := "junk " + strings.Repeat("{", 1000) + s.name
		if r := apq(junk, hashOf(junk)); len(r.Errors) == 0 {
			t.Fatalf("junk document answered %s", r.Data)
		}
		if r := apq("", hashOf(junk)); len(r.Errors) == 0 || r.Errors[0].code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("junk was kept: by its hash alone it answers %+v, want PERSISTED_QUERY_NOT_FOUND", r.Errors)
		}
		good := "{ shop { name } } # " + s.name
		if r := apq(good, hashOf(good)); len(r.Errors) > 0 {
			t.Fatalf("valid persisted query: %+v", r.Errors)
		}
		if r := apq("", hashOf(good)); len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Fatalf("valid persisted query by its hash: %d %+v", r.Status, r.Errors)
		}
	})
}

// Issue 10, finding 19: a NUL character in a string was an internal error on PostgreSQL; it is refused
// at the edge, in variables and in the document's literals alike.
func TestNULRefused(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, c := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"handle variable", `query($h: String!) { product(handle: $h) { id } }`, map[string]any{"h": "a\x00b"}},
			{"handle literal", `{ product(handle: "a\u0000b") { id } }`, nil},
			{"search literal", `{ products(first: 1, query: "\u0000") { nodes { id } } }`, nil},
			{"block string", "{ products(first: 1, query: \"\"\"a\x00b\"\"\") { nodes { id } } }", nil},
			{"nested variable", `mutation($i: CustomerCreateInput!) { customerCreate(input: $i) { customerUserErrors { code } } }`,
				map[string]any{"i": map[string]any{"email": "x\x00@example.com", "password": "long enough password"}}},
			{"attempt id", `query($id: String!) { cartCompletionAttempt(attemptId: $id) { __typename } }`, map[string]any{"id": "\x00"}},
			{"list variable", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"ok", "\x00"}}},
		} {
			r := s.post(t, c.query, c.vars)
			if len(r.Errors) == 0 || r.Errors[0].code() == "INTERNAL_SERVER_ERROR" || r.Status >= 500 {
				t.Errorf("%s: status %d, errors %+v, data %s; want a refusal", c.name, r.Status, r.Errors, r.Data)
				continue
			}
			if code := r.Errors[0].code(); code != "BAD_USER_INPUT" && code != "GRAPHQL_PARSE_FAILED" {
				t.Errorf("%s: %s %q, want BAD_USER_INPUT", c.name, code, r.Errors[0].Message)
			}
		}
	})
}

// Issue 10, finding 20: custom scalars given a JSON value of the wrong shape were internal errors.
func TestCustomScalarsOfTheWrongShape(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		for _, c := range []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"Decimal object", `mutation($p: CartPaymentInput!) { cartPaymentUpdate(cartId: "gid://shopify/Cart/x", payment: $p) { userErrors { message } } }`,
				map[string]any{"p": map[string]any{"amount": map[string]any{"amount": map[string]any{}, "currencyCode": "EUR"}}}},
			{"Decimal list", `mutation($p: CartPaymentInput!) { cartPaymentUpdate(cartId: "gid://shopify/Cart/x", payment: $p) { userErrors { message } } }`,
				map[string]any{"p": map[string]any{"amount": map[string]any{"amount": []any{1}, "currencyCode": "EUR"}}}},
			{"URL object", `mutation($u: URL!) { customerResetByUrl(resetUrl: $u, password: "long enough password") { customerUserErrors { code } } }`,
				map[string]any{"u": map[string]any{"a": 1}}},
			{"Decimal literal object", `mutation { cartPaymentUpdate(cartId: "gid://shopify/Cart/x", payment: {amount: {amount: {a: 1}, currencyCode: "EUR"}}) { userErrors { message } } }`, nil},
		} {
			r := s.post(t, c.query, c.vars)
			if len(r.Errors) == 0 {
				t.Errorf("%s: no error, data %s", c.name, r.Data)
				continue
			}
			if code := r.Errors[0].code(); code != "BAD_USER_INPUT" && code != "GRAPHQL_VALIDATION_FAILED" {
				t.Errorf("%s: status %d, %s %q; want BAD_USER_INPUT", c.name, r.Status, code, r.Errors[0].Message)
			}
		}
	})
}

// Issue 10, finding 13: metrics are not for anyone who asks.
func TestMetricsToken(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { o.MetricsToken = "s3cret" }, func(t *testing.T, s *server) {
		get := func(header string) int {
			req, _ := http.NewRequest(http.MethodGet, s.http.URL+"/metrics", nil)
			if header != "" {
				req.Header.Set("Authorization", header)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		if got := get(""); got != http.StatusUnauthorized {
			t.Errorf("/metrics without the token: %d, want 401", got)
		}
		if got := get("Bearer s3cret"); got != http.StatusOK {
			t.Errorf("/metrics with the token: %d, want 200", got)
		}
	})
	eachFreshDB(t, func(o *service.Options) { o.NoMetricsRoute = true }, func(t *testing.T, s *server) {
		res, err := http.Get(s.http.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("/metrics served elsewhere: %d on the API, want 404", res.StatusCode)
		}
	})
}
