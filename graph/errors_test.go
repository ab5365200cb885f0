package graph

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/emporium/emporium/graph/generated"
)

// TestPanicBecomesInternalError runs a resolver that panics (it finds no loaders in its context) and
// checks the caller sees a generic INTERNAL_SERVER_ERROR while the log gets the stack.
func TestPanicBecomesInternalError(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := handler.New(generated.NewExecutableSchema(generated.Config{
		Resolvers:  NewResolver(nil, Services{}),
		Directives: generated.DirectiveRoot{InContext: InContext},
	}))
	srv.AddTransport(transport.POST{})
	srv.SetErrorPresenter(ErrorPresenter(log))
	srv.SetRecoverFunc(Recover(log))

	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ shop { name } }"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)

	var resp struct {
		Data   json.RawMessage
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response %d is not JSON: %s", rec.Code, rec.Body)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != CodeInternal || resp.Errors[0].Message != "internal server error" {
		t.Fatalf("errors = %+v, want one INTERNAL_SERVER_ERROR", resp.Errors)
	}
	if strings.Contains(rec.Body.String(), "loaders") || strings.Contains(rec.Body.String(), "goroutine") {
		t.Errorf("response leaks internals: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "resolver panicked") || !strings.Contains(logs.String(), "goroutine") {
		t.Errorf("log lacks the panic and its stack: %s", logs.String())
	}
}
