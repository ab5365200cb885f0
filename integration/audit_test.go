package integration

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const installAudit = "install Node.js 20 or later with npm (apt-get install -y nodejs npm)"

// TestGraphQLOverHTTPAudit runs graphql-http's server audits (GraphQL-over-HTTP conformance) against
// /graphql; every audit must pass, including the SHOULDs and MAYs. The audit runner is Node.js; its
// pinned packages are installed from the lock file on first run. A missing runtime fails the test, since
// skipping would let CI pass without it.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (%v): %s", err, installAudit)
	}
	if _, err := os.Stat(filepath.Join("audit", "node_modules", "graphql-http", "package.json")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatalf("npm not found (%v): %s", err, installAudit)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = "audit"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in integration/audit: %v\n%s", err, out)
		}
	}
	s := startServer(t, "sqlite", filepath.Join(t.TempDir(), "audit.db"))
	t.Cleanup(s.close)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join("audit", "audit.mjs"), s.http.URL+"/graphql").CombinedOutput()
	if err != nil {
		t.Fatalf("graphql-http audit failed (%v):\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Log(lines[len(lines)-1])
}

// TestHTTPSpec checks the GraphQL-over-HTTP behaviours the audit covers, and a few it does not, in
// plain Go so that a failure points at the request.
func TestHTTPSpec(t *testing.T) {
	s := startServer(t, "sqlite", filepath.Join(t.TempDir(), "spec.db"))
	t.Cleanup(s.close)

	const (
		jsonType    = "application/json"
		graphQLType = "application/graphql-response+json"
		marker      = "do-not-echo-3f9c"
	)
	tests := []struct {
		name        string
		method      string
		params      url.Values // URL query
		contentType string
		accept      string
		body        io.Reader
		wantStatus  int
		wantType    string // response media type; application/json when empty
		wantCode    string // extensions.code of the first error; no errors when empty
		wantData    bool   // whether the response has a data entry
		wantAllow   string
	}{
		{
			name: "POST query", method: http.MethodPost, contentType: jsonType,
			body:       strings.NewReader(`{"query":"{ products(first: 3) { edges { node { title } } } }"}`),
			wantStatus: http.StatusOK, wantData: true,
		},
		{
			name: "GET query", method: http.MethodGet, params: url.Values{"query": {"{ shop { name } }"}},
			wantStatus: http.StatusOK, wantData: true,
		},
		{
			name: "GET query with variables", method: http.MethodGet, accept: graphQLType,
			params: url.Values{
				"query":     {"query P($n: Int!) { products(first: $n) { nodes { title } } }"},
				"variables": {`{"n": 2}`},
			},
			wantStatus: http.StatusOK, wantType: graphQLType, wantData: true,
		},
		{
			name: "malformed JSON", method: http.MethodPost, contentType: jsonType,
			body:       strings.NewReader(`{"query": "{ shop { name } }", "` + marker),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "malformed JSON, graphql-response+json", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{ "not a JSON`),
			wantStatus: http.StatusBadRequest, wantType: graphQLType, wantCode: "BAD_REQUEST",
		},
		{
			name: "empty body", method: http.MethodPost, contentType: jsonType, body: strings.NewReader(""),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "body not an object", method: http.MethodPost, contentType: jsonType, body: strings.NewReader(`["` + marker + `"]`),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "query not a string", method: http.MethodPost, contentType: jsonType, body: strings.NewReader(`{"query": {"obj": "ect"}}`),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "query missing", method: http.MethodPost, contentType: jsonType, body: strings.NewReader(`{"qeury": "{ shop { name } }"}`),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "variables not an object", method: http.MethodPost, contentType: jsonType,
			body:       strings.NewReader(`{"query": "{ shop { name } }", "variables": ["array"]}`),
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "GET variables not JSON", method: http.MethodGet,
			params:     url.Values{"query": {"{ shop { name } }"}, "variables": {"{" + marker}},
			wantStatus: http.StatusBadRequest, wantCode: "BAD_REQUEST",
		},
		{
			name: "null parameters", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{"query": "{ __typename }", "variables": null, "operationName": null, "extensions": null}`),
			wantStatus: http.StatusOK, wantType: graphQLType, wantData: true,
		},
		{
			name: "GET mutation", method: http.MethodGet, params: url.Values{"query": {"mutation { __typename }"}},
			wantStatus: http.StatusMethodNotAllowed, wantCode: "METHOD_NOT_ALLOWED", wantAllow: "POST",
		},
		{
			name: "GET mutation, graphql-response+json", method: http.MethodGet, accept: graphQLType,
			params:     url.Values{"query": {"query Q { __typename } mutation M { __typename }"}, "operationName": {"M"}},
			wantStatus: http.StatusMethodNotAllowed, wantType: graphQLType, wantCode: "METHOD_NOT_ALLOWED", wantAllow: "POST",
		},
		{
			name: "PUT", method: http.MethodPut, contentType: jsonType, body: strings.NewReader(`{"query": "{ __typename }"}`),
			wantStatus: http.StatusMethodNotAllowed, wantCode: "METHOD_NOT_ALLOWED", wantAllow: "OPTIONS, GET, POST",
		},
		{
			name: "DELETE", method: http.MethodDelete,
			wantStatus: http.StatusMethodNotAllowed, wantCode: "METHOD_NOT_ALLOWED", wantAllow: "OPTIONS, GET, POST",
		},
		{
			name: "POST without JSON content type", method: http.MethodPost, contentType: "text/plain;charset=UTF-8",
			body:       strings.NewReader(`{"query": "{ __typename }"}`),
			wantStatus: http.StatusUnsupportedMediaType, wantCode: "UNSUPPORTED_MEDIA_TYPE",
		},
		{
			name: "validation error, graphql-response+json", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{"query": "{ noSuchField }"}`),
			wantStatus: http.StatusBadRequest, wantType: graphQLType, wantCode: "GRAPHQL_VALIDATION_FAILED",
		},
		{
			name: "validation error, application/json", method: http.MethodPost, contentType: jsonType, accept: jsonType,
			body:       strings.NewReader(`{"query": "{ noSuchField }"}`),
			wantStatus: http.StatusOK, wantCode: "GRAPHQL_VALIDATION_FAILED",
		},
		{
			name: "parse error, graphql-response+json", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{"query": "{"}`),
			wantStatus: http.StatusBadRequest, wantType: graphQLType, wantCode: "GRAPHQL_PARSE_FAILED",
		},
		{
			name: "variable coercion error, graphql-response+json", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{"query": "query($id: ID!) { __typename }", "variables": {"id": null}}`),
			wantStatus: http.StatusBadRequest, wantType: graphQLType, wantCode: "GRAPHQL_VALIDATION_FAILED",
		},
		{
			name: "field error keeps 200 and data", method: http.MethodPost, contentType: jsonType, accept: graphQLType,
			body:       strings.NewReader(`{"query": "{ products(first: 251) { nodes { id } } }"}`),
			wantStatus: http.StatusOK, wantType: graphQLType, wantCode: "BAD_USER_INPUT", wantData: true,
		},
		{
			name: "Accept prefers graphql-response+json", method: http.MethodPost, contentType: jsonType,
			accept:     "application/graphql-response+json, application/json;q=0.9",
			body:       strings.NewReader(`{"query": "{ __typename }"}`),
			wantStatus: http.StatusOK, wantType: graphQLType, wantData: true,
		},
		{
			name: "Accept of a browser", method: http.MethodGet, params: url.Values{"query": {"{ __typename }"}},
			accept:     "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
			wantStatus: http.StatusOK, wantData: true,
		},
		{
			name: "Accept nothing we serve", method: http.MethodPost, contentType: jsonType, accept: "text/html",
			body:       strings.NewReader(`{"query": "{ __typename }"}`),
			wantStatus: http.StatusNotAcceptable, wantCode: "NOT_ACCEPTABLE",
		},
		{
			// An unknown length gets past limitBody's Content-Length check to the transport's read.
			name: "body over the limit", method: http.MethodPost, contentType: jsonType,
			body: io.MultiReader(strings.NewReader(`{"query": "{ __typename }", "pad": "`),
				bytes.NewReader(bytes.Repeat([]byte("x"), 2<<20)), strings.NewReader(`"}`)),
			wantStatus: http.StatusRequestEntityTooLarge, wantCode: "REQUEST_TOO_LARGE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := s.http.URL + "/graphql"
			if tt.params != nil {
				u += "?" + tt.params.Encode()
			}
			req, err := http.NewRequestWithContext(t.Context(), tt.method, u, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}

			if res.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", res.StatusCode, tt.wantStatus, raw)
			}
			wantType := cmp.Or(tt.wantType, jsonType)
			if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != wantType {
				t.Errorf("Content-Type %q, want %s", res.Header.Get("Content-Type"), wantType)
			}
			if got := res.Header.Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow %q, want %q", got, tt.wantAllow)
			}
			if bytes.Contains(raw, []byte(marker)) {
				t.Errorf("response echoes the request: %s", raw)
			}

			var body struct {
				Errors []gqlError `json:"errors"`
			}
			var entries map[string]json.RawMessage // tells an absent data entry from "data": null
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("response is not JSON: %v: %s", err, raw)
			}
			_ = json.Unmarshal(raw, &entries)
			if _, hasData := entries["data"]; hasData != tt.wantData {
				t.Errorf("has data entry: %v, want %v: %s", hasData, tt.wantData, raw)
			}
			switch {
			case tt.wantCode == "" && len(body.Errors) > 0:
				t.Errorf("unexpected errors: %s", raw)
			case tt.wantCode != "" && (len(body.Errors) == 0 || body.Errors[0].code() != tt.wantCode):
				t.Errorf("want an error with code %s: %s", tt.wantCode, raw)
			}
		})
	}
}
