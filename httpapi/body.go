package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Defaults of how a request body must arrive. A client has BodyGrace to start, then must keep up
// BodyMinRate on average, so a body of n bytes may take BodyGrace + n/BodyMinRate; a slower one is cut
// off with 408. Requests are admitted to the in-flight limit only once their body has arrived, so a slow
// sender holds a connection, never a slot.
const (
	DefaultBodyGrace   = 2 * time.Second
	DefaultBodyMinRate = 16 << 10 // bytes per second
)

// codeRequestTimeout answers a body that did not arrive in time.
const codeRequestTimeout = "REQUEST_TIMEOUT"

// preparedRequest is a GraphQL request read, decoded and checked before it is admitted: params when it
// may run, or why it is refused.
type preparedRequest struct {
	params *graphql.RawParams
	// reqErr is a malformed HTTP request, answered with its 4xx status.
	reqErr *requestError
	// docErr is a document or variables refused before validation, answered as a GraphQL request error.
	docErr *gqlerror.Error
}

// refused reports whether the request will be answered with an error, without running.
func (p *preparedRequest) refused() bool { return p.reqErr != nil || p.docErr != nil }

type preparedKey struct{}

func preparedFrom(ctx context.Context) *preparedRequest {
	p, _ := ctx.Value(preparedKey{}).(*preparedRequest)
	return p
}

// bodyPolicy is how a request body is read.
type bodyPolicy struct {
	grace   time.Duration
	minRate float64 // bytes per second
}

// prepareGraphQL reads, decodes and checks GraphQL requests (GET and POST) before they go on to
// admission, so that neither a slow body nor a costly document occupies a slot. A body that arrives too
// slowly, or is too large, is answered here and goes no further.
func prepareGraphQL(body bodyPolicy, doc docLimits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isGraphQLRoute(r.URL.Path) || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			next.ServeHTTP(w, r)
			return
		}
		p := &preparedRequest{}
		switch {
		case r.Method == http.MethodGet:
			p.params, p.reqErr = readGET(r)
		case checkContentType(r) != nil:
			p.reqErr = checkContentType(r)
		default:
			raw, err := readBody(w, r, body)
			var tooLarge *http.MaxBytesError
			switch {
			case errors.As(err, &tooLarge):
				writeJSONError(w, http.StatusRequestEntityTooLarge, codeTooLarge,
					fmt.Sprintf("request body is larger than the limit of %d bytes", tooLarge.Limit))
				return
			case errors.Is(err, os.ErrDeadlineExceeded):
				// The connection cannot be reused: the rest of the body is still on its way.
				w.Header().Set("Connection", "close")
				writeJSONError(w, http.StatusRequestTimeout, codeRequestTimeout,
					fmt.Sprintf("the request body arrived too slowly: send it within %s plus a second per %d bytes",
						body.grace, int(body.minRate)))
				return
			case err != nil:
				writeJSONError(w, http.StatusBadRequest, codeBadRequest, "could not read the request body")
				return
			}
			p.params, p.reqErr = decodePOST(raw)
		}
		if !p.refused() {
			p.docErr = doc.check(p.params)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), preparedKey{}, p)))
	})
}

// readBody reads r's body, which must arrive at policy's pace: the connection's read deadline starts at
// the grace period and moves on with every chunk received. Where the connection has no deadlines (a
// test recorder), the body is read as it comes.
func readBody(w http.ResponseWriter, r *http.Request, policy bodyPolicy) ([]byte, error) {
	rc := http.NewResponseController(w)
	start := time.Now()
	deadline := func(received int) time.Time {
		return start.Add(policy.grace + time.Duration(float64(received)/policy.minRate*float64(time.Second)))
	}
	paced := policy.minRate > 0 && rc.SetReadDeadline(deadline(0)) == nil
	// The declared length is a promise, not bytes: grow the buffer only as bytes arrive.
	var buf bytes.Buffer
	buf.Grow(int(min(max(r.ContentLength, 512), 64<<10)))
	chunk := make([]byte, 16<<10)
	for {
		n, err := r.Body.Read(chunk)
		buf.Write(chunk[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if paced && n > 0 {
			_ = rc.SetReadDeadline(deadline(buf.Len()))
		}
	}
	if paced {
		// The body is in: the handler's own time is bounded by the request timeout, and a deadline
		// left on the connection would cancel the request when it passes.
		_ = rc.SetReadDeadline(time.Time{})
	}
	return buf.Bytes(), nil
}

func isGraphQLRoute(path string) bool {
	route := routeOf(path)
	return route == "/graphql" || route == "/api/{version}/graphql.json"
}
