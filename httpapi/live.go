package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/realtime"
)

// LiveConfig configures live subscriptions (see realtime).
type LiveConfig struct {
	// Hub carries committed changes to subscriptions; nil refuses them.
	Hub *realtime.Hub
	// PerConn bounds the subscriptions of one WebSocket connection (realtime.DefaultPerConn).
	PerConn int
	// IdleTimeout closes a WebSocket connection without subscriptions (realtime.DefaultIdleTimeout).
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to a client (realtime.DefaultWriteTimeout): one that does not
	// read is dropped.
	WriteTimeout time.Duration
	// PingInterval is how often the server pings a WebSocket client, which must answer with a pong
	// within twice the interval, and how often a server-sent events stream gets a comment
	// (DefaultLivePing).
	PingInterval time.Duration
}

// DefaultLivePing is the default LiveConfig.PingInterval.
const DefaultLivePing = 30 * time.Second

// Close codes of live WebSocket connections, as graphql-transport-ws names them.
const (
	closeForbidden = 4403
)

// isLive reports whether r opens a live subscription: a WebSocket upgrade or a server-sent events stream.
func isLive(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// liveTransports are the WebSocket and server-sent events transports, which go before graphQLHTTP.
func liveTransports(cfg Config) []graphql.Transport {
	lc := cfg.Live
	limit := cfg.MaxBodyBytes
	ws := transport.Websocket{
		Implementation:   liveSockets{writeTimeout: lc.WriteTimeout, origins: cfg.CORSOrigins},
		InitFunc:         liveInit(cfg),
		InitTimeout:      10 * time.Second,
		PingPongInterval: lc.PingInterval,
		PayloadReadLimit: &limit,
		CloseFunc: func(ctx context.Context, _ int) {
			if c := realtime.ConnFrom(ctx); c != nil {
				c.Stop()
			}
		},
	}
	return []graphql.Transport{ws, liveSSE{sse: transport.SSE{KeepAlivePingInterval: lc.PingInterval}, writeTimeout: lc.WriteTimeout}}
}

// liveHeaders are the connection_init payload's keys read as the headers of the same name.
var liveHeaders = []string{"Authorization", "X-API-Key", headerPublicToken, headerPrivateToken, headerBuyerIP}

// liveInit authenticates a WebSocket connection: its connection_init payload may carry the headers of
// a request ({"Authorization": "Bearer …"}, {"X-Shopify-Storefront-Access-Token": "…"}), checked as
// a request's are; without them the upgrade request's own headers count.
func liveInit(cfg Config) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		h := http.Header{}
		for k, v := range payload {
			s, ok := v.(string)
			if !ok {
				continue
			}
			for _, name := range liveHeaders {
				if strings.EqualFold(k, name) {
					h.Set(name, s)
				}
			}
		}
		if len(h) > 0 {
			next, refusal := authenticateHeaders(auth.WithViewer(ctx, auth.Viewer{}), cfg, h)
			if refusal != nil {
				ctx = transport.WithWebsocketCloseCode(ctx, closeForbidden)
				return transport.AppendCloseReason(ctx, "Forbidden: "+refusal.message), nil, errors.New(refusal.message)
			}
			ctx = next
		}
		sock := socketFrom(ctx)
		if sock == nil {
			return ctx, nil, errors.New("not a live connection")
		}
		conn := realtime.NewConn(cfg.Live.PerConn, cfg.Live.IdleTimeout, sock.drop)
		return realtime.WithConn(ctx, conn), nil, nil
	}
}

// liveSocket is one WebSocket connection's handle, placed in its request's context before the upgrade so
// that the connection's state can close it with a reason.
type liveSocket struct {
	mu   sync.Mutex
	conn *websocket.Conn
}

type liveSocketKey struct{}

func socketFrom(ctx context.Context) *liveSocket {
	s, _ := ctx.Value(liveSocketKey{}).(*liveSocket)
	return s
}

// drop closes the connection with reason: a close frame if the client still reads, at once otherwise.
func (s *liveSocket) drop(reason string) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return
	}
	if len(reason) > 120 {
		reason = reason[:120] // a close frame's reason is at most 123 bytes
	}
	go func() { _ = c.Close(websocket.StatusPolicyViolation, reason) }()
	time.AfterFunc(2*time.Second, func() { _ = c.CloseNow() })
}

// admitLive lets live requests past admission (wrapped by admit): a subscription holds its connection
// for hours, not a slot of the shedder or the request timeout; the limits per connection and per
// caller bound them instead.
func admitLive(admit func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		admitted := admit(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !isLive(r) {
				admitted.ServeHTTP(w, r)
				return
			}
			if r.Header.Get("Upgrade") != "" {
				r = r.WithContext(context.WithValue(r.Context(), liveSocketKey{}, &liveSocket{}))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// liveSockets accepts WebSocket connections with coder/websocket, each write bounded by writeTimeout.
type liveSockets struct {
	writeTimeout time.Duration
	origins      []string
}

func (l liveSockets) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	for k, vs := range opts.ResponseHeader {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	accept := &websocket.AcceptOptions{Subprotocols: opts.Subprotocols}
	// Credentials travel in the connection_init payload, never in cookies, so another origin gains
	// nothing a script could not send itself; the CORS origins still bound who may connect.
	for _, o := range l.origins {
		if o == "*" {
			accept.InsecureSkipVerify = true
			break
		}
		_, host, found := strings.Cut(o, "://")
		if !found {
			host = o
		}
		accept.OriginPatterns = append(accept.OriginPatterns, host)
	}
	c, err := websocket.Accept(w, r, accept)
	if err != nil {
		return nil, err
	}
	if s := socketFrom(r.Context()); s != nil {
		s.mu.Lock()
		s.conn = c
		s.mu.Unlock()
	}
	return &liveConn{conn: c, writeTimeout: l.writeTimeout}, nil
}

// liveConn adapts a coder/websocket connection to gqlgen's transport.
type liveConn struct {
	conn         *websocket.Conn
	writeTimeout time.Duration

	mu       sync.Mutex
	deadline *time.Timer
	closing  bool
}

var (
	_ transport.WebsocketConn          = (*liveConn)(nil)
	_ transport.WebsocketReadLimiter   = (*liveConn)(nil)
	_ transport.WebsocketReadDeadliner = (*liveConn)(nil)
)

func (c *liveConn) NextReader() (int, io.Reader, error) {
	typ, data, err := c.conn.Read(context.Background())
	if err != nil {
		switch websocket.CloseStatus(err) {
		case websocket.StatusNormalClosure, websocket.StatusNoStatusRcvd, websocket.StatusGoingAway:
			return int(typ), nil, transport.ErrWebsocketClosed
		}
		return int(typ), nil, err
	}
	return int(typ), bytes.NewReader(data), nil
}

// WriteJSON writes v within the write timeout; past it, coder/websocket closes the connection, so a
// client that does not read never holds a writer for long.
func (c *liveConn) WriteJSON(v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.writeTimeout)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, data)
}

func (c *liveConn) WriteClose(code int, message string) error {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return nil
	}
	c.closing = true
	c.mu.Unlock()
	// The close handshake waits for the peer; it must not hold up the transport's teardown.
	go func() { _ = c.conn.Close(websocket.StatusCode(code), message) }()
	return nil
}

func (c *liveConn) Close() error {
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		time.AfterFunc(2*time.Second, func() { _ = c.conn.CloseNow() })
		return nil
	}
	return c.conn.CloseNow()
}

func (c *liveConn) Subprotocol() string      { return c.conn.Subprotocol() }
func (c *liveConn) SetReadLimit(limit int64) { c.conn.SetReadLimit(limit) }

// SetReadDeadline closes the connection at t, unless moved: gqlgen sets it when it pings, and clears it
// when the pong arrives.
func (c *liveConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.deadline != nil {
		c.deadline.Stop()
		c.deadline = nil
	}
	if !t.IsZero() {
		c.deadline = time.AfterFunc(time.Until(t), func() { _ = c.conn.CloseNow() })
	}
	return nil
}

// liveSSE serves subscriptions as server-sent events (POST with Accept: text/event-stream). The body
// was read and checked by prepareGraphQL like any GraphQL request's.
type liveSSE struct {
	sse          transport.SSE
	writeTimeout time.Duration
}

func (t liveSSE) Supports(r *http.Request) bool { return t.sse.Supports(r) }

func (t liveSSE) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	if p := preparedFrom(ctx); p != nil {
		switch {
		case p.reqErr != nil:
			writeRequestError(ctx, w, exec, p.reqErr)
			return
		case p.docErr != nil:
			writeResponse(w, http.StatusBadRequest, exec.DispatchError(ctx, gqlerror.List{p.docErr}))
			return
		}
		body, err := json.Marshal(p.params)
		if err != nil {
			writeRequestError(ctx, w, exec, badRequest("could not read the request body"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rc := http.NewResponseController(w)
	// The server's deadlines are a request's; a stream's writes get one each instead, and its client
	// may stay silent for as long as it listens.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	t.sse.Do(&sseWriter{ResponseWriter: w, rc: rc, timeout: t.writeTimeout}, r, exec)
}

// sseWriter bounds each write of a stream by timeout, and lets the SSE transport flush through the
// middleware's writers.
type sseWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (w *sseWriter) Write(b []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	return w.ResponseWriter.Write(b)
}

func (w *sseWriter) Flush() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout))
	_ = w.rc.Flush()
}

func (w *sseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// liveDocLimits checks the documents of WebSocket subscriptions as prepareGraphQL checks request
// bodies: their messages never pass through it.
type liveDocLimits struct{ doc docLimits }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = liveDocLimits{}

func (liveDocLimits) ExtensionName() string                   { return "LiveDocumentLimits" }
func (liveDocLimits) Validate(graphql.ExecutableSchema) error { return nil }

func (l liveDocLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if realtime.ConnFrom(ctx) == nil {
		return nil
	}
	return l.doc.check(p)
}

// registerLiveMetrics publishes how many live subscriptions this replica holds.
func registerLiveMetrics(reg *prometheus.Registry, hub *realtime.Hub) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "emporium_live_subscriptions",
		Help: "Live GraphQL subscriptions open on this replica."}, func() float64 { return float64(hub.Subscribers()) }))
}
