package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/graph"
	"github.com/emporium/emporium/respcache"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Media types of GraphQL responses (https://graphql.github.io/graphql-over-http/draft/#sec-Media-Types).
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// Error codes, in extensions.code, of requests rejected before GraphQL sees them.
const (
	codeBadRequest           = "BAD_REQUEST"
	codeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	codeNotAcceptable        = "NOT_ACCEPTABLE"
	codeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	// codeTooLarge matches what limitBody answers when the declared length is already too large.
	codeTooLarge = "REQUEST_TOO_LARGE"
)

// allowedMethods is the Allow header of a 405 for an unsupported method; it matches what
// transport.Options advertises.
const allowedMethods = "OPTIONS, GET, POST"

// graphQLHTTP serves GraphQL over HTTP GET and POST as the GraphQL-over-HTTP draft specifies
// (https://graphql.github.io/graphql-over-http/draft/): it negotiates application/json or
// application/graphql-response+json, answers malformed requests with 4xx before any GraphQL
// processing, and chooses the status of GraphQL request errors by the negotiated media type.
//
// It takes every request but OPTIONS (left to transport.Options), so that other methods, HEAD included,
// get a 405 with an Allow header rather than gqlgen's generic "transport not supported".
type graphQLHTTP struct {
	// cache answers anonymous catalog queries; nil turns it off.
	cache *respcache.Cache
	// gate, with a read replica, decides whether a missed answer may be computed there.
	gate *respcache.ReplicaGate
	// refuseAnonymous answers 401 to operations with neither credentials nor a storefront token.
	refuseAnonymous bool
}

var _ graphql.Transport = graphQLHTTP{}

func (graphQLHTTP) Supports(r *http.Request) bool { return r.Method != http.MethodOptions }

// requestError is a request rejected before GraphQL processing, with its HTTP status.
type requestError struct {
	status  int
	code    string
	message string
	allow   string // Allow header of a 405
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{status: http.StatusBadRequest, code: codeBadRequest, message: fmt.Sprintf(format, args...)}
}

func (t graphQLHTTP) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	mediaType, acceptable := negotiate(r.Header.Get("Accept"))
	w.Header().Set("Content-Type", mediaType+"; charset=utf-8")
	// The body's media type depends on Accept, so caches must key GET responses on it.
	w.Header().Add("Vary", "Accept")

	start := graphql.Now()
	var params *graphql.RawParams
	var reqErr *requestError
	switch {
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		reqErr = &requestError{status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
			message: fmt.Sprintf("method %s is not allowed: use GET or POST", r.Method), allow: allowedMethods}
	case !acceptable:
		reqErr = &requestError{status: http.StatusNotAcceptable, code: codeNotAcceptable,
			message: fmt.Sprintf("responses are %s or %s; the Accept header allows neither", mediaJSON, mediaGraphQLResponse)}
	case preparedFrom(ctx) != nil:
		// Read and checked before admission (prepareGraphQL).
		p := preparedFrom(ctx)
		params, reqErr = p.params, p.reqErr
		if reqErr == nil && p.docErr != nil {
			writeResponse(w, requestErrorStatus(mediaType), exec.DispatchError(ctx, gqlerror.List{p.docErr}))
			return
		}
	case r.Method == http.MethodGet:
		params, reqErr = readGET(r)
	default:
		params, reqErr = readPOST(r)
	}
	if reqErr != nil {
		writeRequestError(ctx, w, exec, reqErr)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	opCtx, gqlErrs := exec.CreateOperationContext(ctx, params)
	withOp := graphql.WithOperationContext(ctx, opCtx)
	// GET must stay safe for caches and prefetchers to replay, so a GET selecting a mutation is a
	// 405 even when it is otherwise invalid too (and while the schema has no mutation type, it is).
	if r.Method == http.MethodGet {
		if op := selectedOperation(opCtx, gqlErrs); op != "" && op != ast.Query {
			writeRequestError(withOp, w, exec, &requestError{
				status: http.StatusMethodNotAllowed, code: codeMethodNotAllowed,
				message: fmt.Sprintf("GET requests can only run queries: send a %s with POST", op), allow: http.MethodPost,
			})
			return
		}
	}
	if gqlErrs != nil {
		writeResponse(w, requestErrorStatus(mediaType), exec.DispatchError(withOp, gqlErrs))
		return
	}
	if opCtx.Operation != nil && opCtx.Operation.Operation == ast.Subscription {
		writeRequestError(withOp, w, exec, badRequest("subscriptions are served over WebSocket (graphql-transport-ws) "+
			"or as server-sent events (POST with Accept: text/event-stream)"))
		return
	}
	if t.refuseAnonymous && anonymousCall(ctx, opCtx) {
		writeRequestError(withOp, w, exec, &requestError{status: http.StatusUnauthorized, code: "UNAUTHENTICATED",
			message: "this shop answers only storefronts with an access token: send X-Shopify-Storefront-Access-Token or Shopify-Storefront-Private-Token"})
		return
	}

	key, gen := "", uint64(0)
	if t.cache != nil {
		// The generation is taken before the query runs, so that an answer computed across a catalog
		// write is kept under the old generation, where nobody finds it.
		gen = t.cache.Generation()
		if key = cacheKey(ctx, opCtx, mediaType); key != "" {
			if a, ok := t.cache.Get(key); ok {
				writeResponse(w, http.StatusOK, cachedResponse(ctx, opCtx, a))
				return
			}
			if t.gate != nil && !t.gate.ReplicaFresh(ctx, gen) {
				// The replica may not show the write that began this generation: compute the answer
				// on the primary, which keeps it exact, rather than not keep it, which would send every
				// request for it to the database until the replica catches up.
				ctx = database.WithPrimaryReads(ctx)
			}
		}
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// The request ran out of its time before anything was answered: say so, as shedding does.
			w.Header().Set("Retry-After", "1")
			writeResponse(w, http.StatusServiceUnavailable, &graphql.Response{Errors: gqlerror.List{{
				Message: "the request took longer than the server allows", Extensions: map[string]any{"code": graph.CodeTimeout}}}})
		}
		// Otherwise the client went away; there is no one to answer.
		return
	}
	if key != "" && len(resp.Errors) == 0 && resp.Data != nil {
		a := respcache.Answer{Body: bytes.Clone(resp.Data)}
		if c := rateCost(opCtx); c != nil && c.ActualQueryCost != nil {
			a.Cost = *c.ActualQueryCost
		}
		t.cache.Put(key, gen, a)
	}
	// As above: no data entry means the request failed before execution.
	status := http.StatusOK
	if resp.Data == nil && mediaType == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	writeResponse(w, status, resp)
}

// anonymousCall reports whether an operation comes with neither credentials nor a storefront access
// token, and is not a staff login (which is how staff get credentials, and has its own throttles).
func anonymousCall(ctx context.Context, oc *graphql.OperationContext) bool {
	if auth.ViewerFrom(ctx).Kind != auth.Anonymous {
		return false
	}
	if _, ok := auth.StorefrontTokenFrom(ctx); ok {
		return false
	}
	if oc.Operation.Operation == ast.Mutation {
		for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
			if f.Name != "staffAccessTokenCreate" && f.Name != "__typename" {
				return true
			}
		}
		return false
	}
	return true
}

// requestErrorStatus is the status of a GraphQL request error, when nothing ran so there is no data: a
// 4xx for clients that understand application/graphql-response+json, and the legacy 200 for
// application/json.
func requestErrorStatus(mediaType string) int {
	if mediaType == mediaGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// readGET reads the parameters of a GET request from its URL query.
func readGET(r *http.Request) (*graphql.RawParams, *requestError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("the URL query string is malformed")
	}
	p := &graphql.RawParams{Query: q.Get("query"), OperationName: q.Get("operationName")}
	if p.Variables, err = decodeObject([]byte(q.Get("variables"))); err != nil {
		return nil, objectError("variables", err)
	}
	if p.Extensions, err = decodeObject([]byte(q.Get("extensions"))); err != nil {
		return nil, objectError("extensions", err)
	}
	return p, checkQuery(p)
}

// readPOST reads the parameters of a POST request from its JSON body.
func readPOST(r *http.Request) (*graphql.RawParams, *requestError) {
	if reqErr := checkContentType(r); reqErr != nil {
		return nil, reqErr
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if tooLarge, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, &requestError{status: http.StatusRequestEntityTooLarge, code: codeTooLarge,
				message: fmt.Sprintf("request body is larger than the limit of %d bytes", tooLarge.Limit)}
		}
		return nil, badRequest("could not read the request body")
	}
	return decodePOST(body)
}

// checkContentType requires a JSON body in UTF-8.
func checkContentType(r *http.Request) *requestError {
	mediaType, mtParams, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != mediaJSON {
		return &requestError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMediaType,
			message: "POST requests must have Content-Type " + mediaJSON}
	}
	if cs, ok := mtParams["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &requestError{status: http.StatusUnsupportedMediaType, code: codeUnsupportedMediaType,
			message: "request bodies must be encoded in UTF-8"}
	}
	return nil
}

// decodePOST decodes the parameters of a POST request from its JSON body.
func decodePOST(body []byte) (*graphql.RawParams, *requestError) {
	// The messages below never quote the body: it is the caller's own data, possibly large.
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, badRequest("the request body is empty: send a JSON object with a query")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		if _, syntax := errors.AsType[*json.SyntaxError](err); syntax {
			return nil, badRequest("the request body is not valid JSON")
		}
		return nil, badRequest("the request body must be a JSON object")
	}

	p := &graphql.RawParams{}
	var err error
	if p.Query, err = decodeString(fields["query"]); err != nil {
		return nil, badRequest("query must be a string")
	}
	if p.OperationName, err = decodeString(fields["operationName"]); err != nil {
		return nil, badRequest("operationName must be a string")
	}
	if p.Variables, err = decodeObject(fields["variables"]); err != nil {
		return nil, objectError("variables", err)
	}
	if p.Extensions, err = decodeObject(fields["extensions"]); err != nil {
		return nil, objectError("extensions", err)
	}
	return p, checkQuery(p)
}

// checkQuery requires a query, except of a request naming an automatically persisted query, whose
// text the APQ extension fills in.
func checkQuery(p *graphql.RawParams) *requestError {
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return badRequest("the query parameter is missing")
	}
	return nil
}

// decodeString decodes an optional JSON string; absent and null are "".
func decodeString(raw json.RawMessage) (string, error) {
	var s string
	if len(raw) == 0 {
		return s, nil
	}
	err := json.Unmarshal(raw, &s)
	return s, err
}

// objectError refuses the request member name, which decodeObject could not take.
func objectError(name string, err error) *requestError {
	if shape, ok := errors.AsType[*shapeError](err); ok {
		return badRequest("%s %s", name, shape.what)
	}
	return badRequest("%s must be a JSON object", name)
}

// decodeObject decodes an optional JSON object; absent and null are nil. Numbers stay json.Number so
// that gqlgen can coerce them to Int or Float exactly. Its shape is checked first (a *shapeError).
func decodeObject(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	if err := checkJSONShape(raw, DefaultMaxJSONDepth, DefaultMaxJSONValues); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// selectedOperation is the type of the operation a request selects, or "" when that is unknown.
// gqlgen keeps no document that fails validation, and a mutation always fails it while the schema
// has no mutation type, so such a document is parsed again here. One that failed to parse is not:
// it may have hit the parser's token limit, and it selects nothing anyway.
func selectedOperation(opCtx *graphql.OperationContext, errs gqlerror.List) ast.Operation {
	if opCtx == nil {
		return ""
	}
	if opCtx.Operation != nil {
		return opCtx.Operation.Operation
	}
	if opCtx.Doc != nil || opCtx.RawQuery == "" || hasCode(errs, errcode.ParseFailed) {
		return ""
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: opCtx.RawQuery})
	if err != nil {
		return ""
	}
	if op := doc.Operations.ForName(opCtx.OperationName); op != nil {
		return op.Operation
	}
	return ""
}

func hasCode(errs gqlerror.List, code string) bool {
	for _, e := range errs {
		if c, _ := e.Extensions["code"].(string); c == code {
			return true
		}
	}
	return false
}

// negotiate picks the response media type from an Accept header. A missing header, or wildcards
// alone, get application/json, which every client understands; application/graphql-response+json
// is used when the client names it and likes it at least as much. ok is false when the header
// accepts neither.
func negotiate(accept string) (mediaType string, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON, true
	}
	qJSON, _ := quality(accept, mediaJSON)
	qGraphQL, named := quality(accept, mediaGraphQLResponse)
	switch {
	case qGraphQL > qJSON, qGraphQL > 0 && qGraphQL == qJSON && named:
		return mediaGraphQLResponse, true
	case qJSON > 0:
		return mediaJSON, true
	}
	return mediaJSON, false
}

// quality is the q-value that Accept gives mediaType, taken from the most specific media range that
// matches it (RFC 9110, section 12.5.1), and whether that range names mediaType exactly.
func quality(accept, mediaType string) (q float64, exact bool) {
	typ, _, _ := strings.Cut(mediaType, "/")
	best := -1 // specificity of the range q comes from: 0 for */*, 1 for type/*, 2 for the type itself
	for part := range strings.SplitSeq(accept, ",") {
		rng, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		specificity := -1
		switch rng {
		case mediaType:
			specificity = 2
		case typ + "/*":
			specificity = 1
		case "*/*":
			specificity = 0
		}
		if specificity <= best {
			continue
		}
		rangeQ := 1.0
		if v, ok := params["q"]; ok {
			if rangeQ, err = strconv.ParseFloat(v, 64); err != nil || rangeQ < 0 || rangeQ > 1 {
				continue
			}
		}
		best, q = specificity, rangeQ
	}
	return q, best == 2
}

// writeRequestError answers a request rejected before GraphQL processing. The error still goes
// through the executor so that response middleware (metrics) sees it.
func writeRequestError(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, e *requestError) {
	if e.allow != "" {
		w.Header().Set("Allow", e.allow)
	}
	err := &gqlerror.Error{Message: e.message, Extensions: map[string]any{"code": e.code}}
	writeResponse(w, e.status, exec.DispatchError(ctx, gqlerror.List{err}))
}

// writeResponse sends resp. Unlike graphql.Response's own encoding it leaves data out when execution
// never started, as the GraphQL spec asks of request errors (graphql.Response would send "data": null,
// which means execution started and failed). data, which gqlgen has encoded (or the cache kept), is
// copied as it is: encoding/json would scan and re-compact every byte of it.
func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	var errs, ext []byte
	var err error
	if len(resp.Errors) > 0 {
		errs, err = json.Marshal(resp.Errors)
	}
	if err == nil && len(resp.Extensions) > 0 {
		ext, err = json.Marshal(resp.Extensions)
	}
	if err != nil {
		// Only an extension could hold something unencodable; the error presenter has seen the errors.
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"errors":[{"message":"internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}`))
		return
	}
	b := make([]byte, 0, len(errs)+len(resp.Data)+len(ext)+40)
	b = append(b, '{')
	for _, member := range []struct {
		name  string
		value []byte
	}{{`"errors":`, errs}, {`"data":`, resp.Data}, {`"extensions":`, ext}} {
		if len(member.value) == 0 {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(append(b, member.name...), member.value...)
	}
	b = append(b, '}')
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
