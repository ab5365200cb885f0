package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// liveMsg is a graphql-transport-ws message.
type liveMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// liveClient is a graphql-transport-ws client: it answers the server's pings unless noPong is set.
type liveClient struct {
	t      testing.TB
	conn   *websocket.Conn
	noPong bool
	// pings counts the server's pings answered.
	pings int
}

// dialLive opens a WebSocket to s and initialises it with payload (the headers of a request:
// {"Authorization": "Bearer …"}); it returns the error message of a refused init.
func dialLive(t testing.TB, s *server, payload map[string]any) (*liveClient, error) {
	t.Helper()
	return dialLiveWith(t, s, payload, nil)
}

func dialLiveWith(t testing.TB, s *server, payload map[string]any, client *http.Client) (*liveClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/graphql"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: client})
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	conn.SetReadLimit(64 << 20)
	c := &liveClient{t: t, conn: conn}
	t.Cleanup(func() { _ = conn.CloseNow() })
	init := map[string]any{"type": "connection_init"}
	if payload != nil {
		init["payload"] = payload
	}
	c.write(init)
	m, err := c.next(5 * time.Second)
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		t.Fatalf("connection_init answered %+v", m)
	}
	return c, nil
}

func (c *liveClient) write(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// subscribe starts a subscription under id.
func (c *liveClient) subscribe(id, query string, vars map[string]any) {
	c.t.Helper()
	c.write(map[string]any{"type": "subscribe", "id": id, "payload": map[string]any{"query": query, "variables": vars}})
}

// next reads the next message but pings, within limit; an error is the connection's end.
func (c *liveClient) next(limit time.Duration) (liveMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return liveMsg{}, err
		}
		var m liveMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return liveMsg{}, err
		}
		if m.Type == "ping" {
			if !c.noPong {
				c.pings++
				c.write(map[string]any{"type": "pong"})
			}
			continue
		}
		if m.Type == "pong" {
			continue
		}
		return m, nil
	}
}

// nextOf reads messages until one of type typ, within limit.
func (c *liveClient) nextOf(typ string, limit time.Duration) (liveMsg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			return liveMsg{}, err
		}
		var m liveMsg
		if err := json.Unmarshal(b, &m); err != nil {
			return liveMsg{}, err
		}
		if m.Type == "ping" && typ != "ping" {
			c.pings++
			c.write(map[string]any{"type": "pong"})
			continue
		}
		if m.Type == typ {
			return m, nil
		}
	}
}

// data waits for the next value of subscription id and returns its data.
func (c *liveClient) data(id string, limit time.Duration) map[string]any {
	c.t.Helper()
	m, err := c.next(limit)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", id, err)
	}
	if m.Type != "next" || m.ID != id {
		c.t.Fatalf("waiting for %s: got %s %s %s", id, m.Type, m.ID, m.Payload)
	}
	var p struct {
		Data   map[string]any
		Errors []gqlError
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("value of %s: %s %v", id, m.Payload, err)
	}
	return p.Data
}

// refusal waits for subscription id's errors and returns the first one's code.
func (c *liveClient) refusal(id string) string {
	c.t.Helper()
	m, err := c.next(5 * time.Second)
	if err != nil {
		c.t.Fatalf("waiting for %s's refusal: %v", id, err)
	}
	var errs []gqlError
	if m.Type == "next" {
		var p struct{ Errors []gqlError }
		_ = json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	} else if m.Type == "error" {
		_ = json.Unmarshal(m.Payload, &errs)
	}
	if m.ID != id || len(errs) == 0 {
		c.t.Fatalf("%s was not refused: %s %s", id, m.Type, m.Payload)
	}
	if m.Type == "next" {
		if m, err := c.next(5 * time.Second); err != nil || m.Type != "complete" || m.ID != id {
			c.t.Fatalf("%s: refused without completing: %+v %v", id, m, err)
		}
	}
	return errs[0].code()
}

// closed waits up to limit for the server to close the connection, and returns its close reason.
func (c *liveClient) closed(limit time.Duration) (string, bool) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		_, err := c.next(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Reason, true
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return "", false
		}
		return err.Error(), true
	}
	return "", false
}

const (
	liveProduct = `subscription($h: [String!]!) { productAvailability(handles: $h) { handle totalInventory variants(first: 10) { nodes { sku quantityAvailable price { amount } } } } }`
	liveCart    = `subscription($id: ID!) { cartUpdated(id: $id) { id totalQuantity } }`
	liveOrder   = `subscription($id: ID!, $t: String) { orderStatus(id: $id, statusToken: $t) { id financialStatus fulfillmentStatus canceledAt } }`
	liveOrders  = `subscription { orderEvents { topic order { id financialStatus } } }`
	adjustStock = `mutation($v: ID!, $l: ID!, $d: Int!) { inventoryAdjustQuantities(input: {reason: "correction", changes: [{inventoryItemId: $v, locationId: $l, delta: $d}]}) { userErrors { field message } } }`
)

// liveOptions keeps the limits small enough to test.
func liveOptions(o *service.Options) {
	withOwner(nil)(o)
	o.LivePerConn, o.LivePerCaller = 3, 5
	o.LiveIdleTimeout = 2 * time.Second
	o.LiveWriteTimeout = time.Second
	o.LivePingInterval = 300 * time.Millisecond
}

// stockLocation is a location of the variant's stock.
func stockLocation(t *testing.T, s *server, owner http.Header, variant string) string {
	t.Helper()
	d := s.data(t, owner, `{ locations(first: 1) { nodes { id } } }`, nil)
	return str(d, "locations.nodes.0.id")
}

func waitSubscribers(t *testing.T, s *server, n int) {
	t.Helper()
	waitFor(t, 5*time.Second, fmt.Sprintf("%d live subscriptions", n), func() bool { return s.svc.Live.Subscribers() == n })
}

// TestLiveSubscriptions follows each subscription through changes made with the API, over WebSocket.
func TestLiveSubscriptions(t *testing.T) {
	gateway := payments.NewTestGateway()
	eachFreshDB(t, func(o *service.Options) { liveOptions(o); o.Payments = gateway }, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		ownerInit := map[string]any{"Authorization": owner.Get("Authorization")}
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		loc := stockLocation(t, s, owner, tee)

		t.Run("productAvailability", func(t *testing.T) {
			c, err := dialLive(t, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.subscribe("p", liveProduct, map[string]any{"h": []string{"organic-cotton-tee", "no-such-product"}})
			first := c.data("p", 5*time.Second)
			before := at(first, "productAvailability.totalInventory").(float64)
			noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -3}), "inventoryAdjustQuantities")
			after := c.data("p", 5*time.Second)
			if got := at(after, "productAvailability.totalInventory").(float64); got != before-3 {
				t.Errorf("totalInventory %v after taking 3 of %v", got, before)
			}
			c.subscribe("many", liveProduct, map[string]any{"h": make([]string, 51)})
			if code := c.refusal("many"); code != "BAD_USER_INPUT" {
				t.Errorf("51 handles: %s", code)
			}
		})

		// Subscribers of one product share what they read between two changes: each must still see
		// every change's effect, never a value read before it.
		t.Run("productAvailabilityShared", func(t *testing.T) {
			var clients []*liveClient
			for range 3 {
				c, err := dialLive(t, s, nil)
				if err != nil {
					t.Fatal(err)
				}
				c.subscribe("p", liveProduct, map[string]any{"h": []string{"organic-cotton-tee"}})
				clients = append(clients, c)
			}
			var before float64
			for i, c := range clients {
				v := at(c.data("p", 5*time.Second), "productAvailability.totalInventory").(float64)
				if i > 0 && v != before {
					t.Fatalf("subscribers start from %v and %v", before, v)
				}
				before = v
			}
			for range 5 {
				noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -1}), "inventoryAdjustQuantities")
			}
			for i, c := range clients {
				// Changes may coalesce; the values only go down, and the last is the stock after all five.
				last := before
				for last != before-5 {
					got := at(c.data("p", 5*time.Second), "productAvailability.totalInventory").(float64)
					if got > last || got < before-5 {
						t.Fatalf("subscriber %d: %v after %v (from %v, 5 taken one by one)", i, got, last, before)
					}
					last = got
				}
			}
		})

		t.Run("cartUpdated", func(t *testing.T) {
			d := s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { id } userErrors { message } } }`, map[string]any{"v": tee})
			cart := str(d, "cartCreate.cart.id")
			c, _ := dialLive(t, s, nil)
			c.subscribe("c", liveCart, map[string]any{"id": cart})
			if q := at(c.data("c", 5*time.Second), "cartUpdated.totalQuantity"); q != 1.0 {
				t.Fatalf("first value: quantity %v", q)
			}
			noUserErrors(t, s.data(t, nil, `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 2}]) { cart { id } userErrors { message } } }`,
				map[string]any{"id": cart, "v": tee}), "cartLinesAdd")
			if q := at(c.data("c", 5*time.Second), "cartUpdated.totalQuantity"); q != 3.0 {
				t.Errorf("after adding 2: quantity %v", q)
			}
			// A customer's cart is only its customer's.
			_, ada := signUpAndLogIn(t, s, "ada-live@example.com")
			_, bob := signUpAndLogIn(t, s, "bob-live@example.com")
			d = s.data(t, bearer(ada), `mutation($v: ID!, $t: String!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], buyerIdentity: {customerAccessToken: $t}}) { cart { id } userErrors { message } } }`,
				map[string]any{"v": tee, "t": ada})
			adas := str(d, "cartCreate.cart.id")
			cb, _ := dialLive(t, s, map[string]any{"Authorization": "Bearer " + bob})
			cb.subscribe("x", liveCart, map[string]any{"id": adas})
			if code := cb.refusal("x"); code != "FORBIDDEN" {
				t.Errorf("another customer's cart: %s", code)
			}
			ca, _ := dialLive(t, s, map[string]any{"Authorization": "Bearer " + ada})
			ca.subscribe("mine", liveCart, map[string]any{"id": adas})
			ca.data("mine", 5*time.Second)
		})

		t.Run("orderStatus", func(t *testing.T) {
			_, ada := signUpAndLogIn(t, s, "ada-order@example.com")
			cart, _ := customerCheckout(t, s, tee, map[string]any{"customerAccessToken": ada, "email": "ada-order@example.com"}, "NOCODE")
			order, failure := completeCart(t, s, cart, "live")
			if order == "" {
				t.Fatal(failure)
			}
			statusURL := str(s.data(t, owner, `query($id: ID!) { order(id: $id) { statusUrl } }`, map[string]any{"id": order}), "order.statusUrl")
			token := statusURL[strings.LastIndex(statusURL, "/")+1:]

			customer, _ := dialLive(t, s, map[string]any{"Authorization": "Bearer " + ada})
			customer.subscribe("o", liveOrder, map[string]any{"id": order})
			customer.data("o", 5*time.Second)
			guest, _ := dialLive(t, s, nil)
			guest.subscribe("o", liveOrder, map[string]any{"id": order, "t": token})
			guest.data("o", 5*time.Second)

			_, bob := signUpAndLogIn(t, s, "bob-order@example.com")
			for name, init := range map[string]map[string]any{"anonymous": nil, "another customer": {"Authorization": "Bearer " + bob}} {
				c, _ := dialLive(t, s, init)
				c.subscribe("o", liveOrder, map[string]any{"id": order})
				if code := c.refusal("o"); code != "FORBIDDEN" {
					t.Errorf("%s: %s", name, code)
				}
				c.subscribe("w", liveOrder, map[string]any{"id": order, "t": strings.Repeat("x", len(token))})
				if code := c.refusal("w"); code != "FORBIDDEN" {
					t.Errorf("%s with a wrong token: %s", name, code)
				}
			}

			d := s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message } } }`, map[string]any{"id": order})
			noUserErrors(t, d, "orderCancel")
			for name, c := range map[string]*liveClient{"customer": customer, "guest": guest} {
				got := c.data("o", 5*time.Second)
				if str(got, "orderStatus.canceledAt") == "" {
					t.Errorf("%s: the order's change: %v", name, got)
				}
			}
		})

		t.Run("orderEvents", func(t *testing.T) {
			for name, init := range map[string]map[string]any{"anonymous": nil, "customer": {"Authorization": "Bearer " + func() string { _, tok := signUpAndLogIn(t, s, "eve-live@example.com"); return tok }()}} {
				c, _ := dialLive(t, s, init)
				c.subscribe("e", liveOrders, nil)
				want := map[string]string{"anonymous": "UNAUTHENTICATED", "customer": "FORBIDDEN"}[name]
				if code := c.refusal("e"); code != want {
					t.Errorf("%s: %s, want %s", name, code, want)
				}
			}
			if _, err := dialLive(t, s, map[string]any{"Authorization": "Bearer emp_not_a_key"}); err == nil {
				t.Error("an invalid API key was accepted at connection_init")
			}
			staff, _ := dialLive(t, s, ownerInit)
			n := s.svc.Live.Subscribers()
			staff.subscribe("e", liveOrders, nil)
			waitSubscribers(t, s, n+1)
			order := placeOrder(t, s, tee, 1, payments.CardSuccess)
			seen := map[string]bool{}
			for !seen["orders/create"] {
				got := staff.data("e", 5*time.Second)
				if str(got, "orderEvents.order.id") == order {
					seen[str(got, "orderEvents.topic")] = true
				}
			}
		})

		// A product unpublished leaves its followers: a subscription to it alone completes, one to
		// several goes on with the others.
		t.Run("productAvailabilityUnpublished", func(t *testing.T) {
			crew := str(s.data(t, owner, `{ productByHandle(handle: "classic-crew-tee") { id } }`, nil), "productByHandle.id")
			c, err := dialLive(t, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			c.subscribe("alone", liveProduct, map[string]any{"h": []string{"classic-crew-tee"}})
			c.data("alone", 5*time.Second)
			c.subscribe("both", liveProduct, map[string]any{"h": []string{"classic-crew-tee", "organic-cotton-tee"}})
			c.data("both", 5*time.Second)
			c.data("both", 5*time.Second)
			noUserErrors(t, s.data(t, owner, `mutation($id: ID!) { productUpdate(product: {id: $id, status: DRAFT}) { userErrors { message } } }`,
				map[string]any{"id": crew}), "productUpdate")
			if m, err := c.next(5 * time.Second); err != nil || m.Type != "complete" || m.ID != "alone" {
				t.Fatalf("the subscription to the unpublished product alone: %+v %v, want complete", m, err)
			}
			noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -1}), "inventoryAdjustQuantities")
			if got := at(c.data("both", 5*time.Second), "productAvailability.handle"); got != "organic-cotton-tee" {
				t.Errorf("the subscription to both after one was unpublished: %v", got)
			}
		})
	})
}

// TestLiveLimits checks the limits per connection and per caller, the idle timeout and ping/pong.
func TestLiveLimits(t *testing.T) {
	eachFreshDB(t, liveOptions, func(t *testing.T, s *server) {
		vars := map[string]any{"h": []string{"organic-cotton-tee"}}
		t.Run("per connection and per caller", func(t *testing.T) {
			a, _ := dialLive(t, s, nil)
			for i := range 3 {
				a.subscribe(fmt.Sprint(i), liveProduct, vars)
				a.data(fmt.Sprint(i), 5*time.Second)
			}
			a.subscribe("4th", liveProduct, vars)
			if code := a.refusal("4th"); code != "LIVE_SUBSCRIPTION_LIMIT" {
				t.Errorf("4th on a connection of 3: %s", code)
			}
			b, _ := dialLive(t, s, nil)
			for i := range 2 {
				b.subscribe(fmt.Sprint(i), liveProduct, vars)
				b.data(fmt.Sprint(i), 5*time.Second)
			}
			b.subscribe("6th", liveProduct, vars)
			if code := b.refusal("6th"); code != "LIVE_SUBSCRIPTION_LIMIT" {
				t.Errorf("6th of a caller allowed 5: %s", code)
			}
			// Ending one frees its place.
			a.write(map[string]any{"type": "complete", "id": "0"})
			waitSubscribers(t, s, 4)
			b.subscribe("again", liveProduct, vars)
			b.data("again", 5*time.Second)
			_ = a.conn.Close(websocket.StatusNormalClosure, "")
			_ = b.conn.Close(websocket.StatusNormalClosure, "")
			waitSubscribers(t, s, 0)
		})
		t.Run("the queries' limits", func(t *testing.T) {
			c, _ := dialLive(t, s, nil)
			deep := "handle"
			for range 11 {
				deep = "variants(first: 1) { nodes { product { " + deep + " } } }"
			}
			c.subscribe("deep", `subscription { productAvailability(handles: ["organic-cotton-tee"]) { `+deep+` } }`, nil)
			if code := c.refusal("deep"); code != "MAX_DEPTH_EXCEEDED" {
				t.Errorf("a subscription 34 deep: %s", code)
			}
			// The checks of request bodies apply to WebSocket messages too.
			c.subscribe("nul", liveProduct, map[string]any{"h": []string{"organic-cotton-tee", "x\x00"}})
			if code := c.refusal("nul"); code != "BAD_USER_INPUT" {
				t.Errorf("a NUL in the variables: %s", code)
			}
			// A subscription over plain HTTP is refused.
			if r := s.post(t, liveProduct, map[string]any{"h": []string{"organic-cotton-tee"}}); len(r.Errors) == 0 || r.Errors[0].code() != "BAD_REQUEST" {
				t.Errorf("a subscription over HTTP POST: %+v", r.Errors)
			}
		})
		t.Run("idle timeout", func(t *testing.T) {
			c, _ := dialLive(t, s, nil)
			start := time.Now()
			reason, ok := c.closed(6 * time.Second)
			if !ok || !strings.Contains(reason, "idle") {
				t.Errorf("an idle connection was not closed for idleness: %q %v", reason, ok)
			}
			if d := time.Since(start); d < 1500*time.Millisecond {
				t.Errorf("closed after %v, before the idle timeout of 2s", d)
			}
		})
		t.Run("ping and pong", func(t *testing.T) {
			c, _ := dialLive(t, s, nil)
			c.subscribe("p", liveProduct, vars)
			c.data("p", 5*time.Second)
			// For 2 s the client pings the server, which answers each, while answering the server's pings.
			for start := time.Now(); time.Since(start) < 2*time.Second; time.Sleep(100 * time.Millisecond) {
				c.write(map[string]any{"type": "ping"})
				if _, err := c.nextOf("pong", 2*time.Second); err != nil {
					t.Fatalf("a client answering pings lost its connection: %v", err)
				}
			}
			if c.pings < 3 {
				t.Errorf("%d pings in 2 s at an interval of 300 ms", c.pings)
			}
			deaf, _ := dialLive(t, s, nil)
			deaf.noPong = true
			deaf.subscribe("p", liveProduct, vars)
			deaf.data("p", 5*time.Second)
			if _, ok := deaf.closed(3 * time.Second); !ok {
				t.Error("a client that never answers pings kept its connection")
			}
		})
	})
}

// TestLiveSlowClient checks that a client that never reads is dropped while another keeps receiving.
func TestLiveSlowClient(t *testing.T) {
	// A write timeout well above what a 1 MB value takes on a busy 2-core machine, so that only the
	// client that does not read is dropped.
	eachFreshDB(t, func(o *service.Options) {
		liveOptions(o)
		// No pings: the slow client must be dropped for not reading, not for not answering them.
		o.LiveWriteTimeout, o.LivePingInterval = 3*time.Second, time.Hour
	}, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		loc := stockLocation(t, s, owner, tee)
		product := str(s.data(t, nil, `{ product(handle: "organic-cotton-tee") { id } }`, nil), "product.id")
		heavy := `subscription($h: [String!]!) { productAvailability(handles: $h) { totalInventory a: descriptionHtml b: descriptionHtml c: descriptionHtml d: descriptionHtml e: descriptionHtml } }`
		vars := map[string]any{"h": []string{"organic-cotton-tee"}}

		// The slow client's receive buffer is small, as a phone's on a bad network.
		small := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		}}).DialContext}}
		slow, _ := dialLiveWith(t, s, nil, small)
		slow.subscribe("s", heavy, vars)
		fast, _ := dialLive(t, s, nil)
		fast.subscribe("f", heavy, vars)
		fast.data("f", 5*time.Second)
		waitSubscribers(t, s, 2)
		// Values of 1 MB from now on: they fill the socket buffers of a client that does not read
		// within a few changes.
		big := strings.Repeat("<p>cotton</p>", 200_000/13)
		noUserErrors(t, s.data(t, owner, `mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { userErrors { field message } } }`,
			map[string]any{"p": map[string]any{"id": product, "descriptionHtml": big}}), "productUpdate")
		// The edit is a change of its own.
		last := at(fast.data("f", 5*time.Second), "productAvailability.totalInventory").(float64)

		// Stock goes down and up again by one, so that the changes never run out of stock however
		// many it takes: values are read once per change and shared, so they come fast.
		start := time.Now()
		for i := 0; s.svc.Live.Subscribers() > 1; i++ {
			if time.Since(start) > 30*time.Second {
				t.Fatal("the slow client was not dropped within 30 s")
			}
			d := []int{-1, 1}[i%2]
			noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": d}), "inventoryAdjustQuantities")
			got := at(fast.data("f", 5*time.Second), "productAvailability.totalInventory").(float64)
			if got != last+float64(d) {
				t.Fatalf("the fast client got %v after %v and a change of %d", got, last, d)
			}
			last = got
		}
		t.Logf("slow client dropped after %v", time.Since(start))
		noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -1}), "inventoryAdjustQuantities")
		if got := at(fast.data("f", 5*time.Second), "productAvailability.totalInventory").(float64); got != last-1 {
			t.Errorf("the fast client got %v after %v", got, last)
		}
		if _, ok := slow.closed(10 * time.Second); !ok {
			t.Error("the slow client's connection stayed open")
		}
	})
}

// TestLiveSSE follows a product as server-sent events.
func TestLiveSSE(t *testing.T) {
	eachFreshDB(t, liveOptions, func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		loc := stockLocation(t, s, owner, tee)
		body, _ := json.Marshal(map[string]any{"query": liveProduct, "variables": map[string]any{"h": []string{"organic-cotton-tee"}}})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.http.URL+"/graphql", strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
		events := make(chan string, 10)
		comments := make(chan struct{}, 100)
		go func() {
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if strings.HasPrefix(line, ":") {
					comments <- struct{}{}
				}
				if data, ok := strings.CutPrefix(line, "data: "); ok {
					events <- data
				}
			}
			close(events)
		}()
		value := func() float64 {
			select {
			case data := <-events:
				var p struct{ Data map[string]any }
				if err := json.Unmarshal([]byte(data), &p); err != nil {
					t.Fatalf("event %q: %v", data, err)
				}
				return at(p.Data, "productAvailability.totalInventory").(float64)
			case <-time.After(5 * time.Second):
				t.Fatal("no event within 5 s")
			}
			return 0
		}
		before := value()
		noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": 5}), "inventoryAdjustQuantities")
		if got := value(); got != before+5 {
			t.Errorf("totalInventory %v after adding 5 to %v", got, before)
		}
		select {
		case <-comments:
		case <-time.After(2 * time.Second):
			t.Error("no heartbeat comment within 2 s")
		}
	})
}

// TestLiveAcrossReplicas checks that a change committed on one replica reaches a subscription on another
// within a second.
func TestLiveAcrossReplicas(t *testing.T) {
	a, b := startTwoReplicas(t)
	owner := bearer(staffLogin(t, b, ownerEmail, ownerPassword))
	tee := variantIDs(t, b, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
	loc := stockLocation(t, b, owner, tee)
	c, _ := dialLive(t, a, nil)
	c.subscribe("p", liveProduct, map[string]any{"h": []string{"organic-cotton-tee"}})
	before := at(c.data("p", 5*time.Second), "productAvailability.totalInventory").(float64)
	for i := range 3 {
		noUserErrors(t, b.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": -1}), "inventoryAdjustQuantities")
		committed := time.Now()
		got := at(c.data("p", 5*time.Second), "productAvailability.totalInventory").(float64)
		if elapsed := time.Since(committed); elapsed > time.Second {
			t.Errorf("change %d reached the other replica after %v", i, elapsed)
		}
		if got != before-float64(i+1) {
			t.Errorf("change %d: totalInventory %v", i, got)
		}
	}
}

// TestLiveWebhookTopics checks that carts/create, carts/update and inventory_levels/update reach a
// webhook subscriber, and are not written while nobody subscribes.
func TestLiveWebhookTopics(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		o.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}, func(t *testing.T, s *server) {
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		loc := stockLocation(t, s, owner, tee)
		shop := func() string {
			d := s.data(t, nil, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { id } userErrors { message } } }`, map[string]any{"v": tee})
			cart := str(d, "cartCreate.cart.id")
			noUserErrors(t, s.data(t, nil, `mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 2}]) { cart { id } userErrors { message } } }`,
				map[string]any{"id": cart, "v": tee}), "cartLinesAdd")
			noUserErrors(t, s.data(t, owner, adjustStock, map[string]any{"v": tee, "l": loc, "d": 4}), "inventoryAdjustQuantities")
			return cart
		}
		written := func() int {
			n, err := s.svc.DB.Client.Event.Query().Where(event.TopicIn("carts/create", "carts/update", "inventory_levels/update")).Count(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		shop()
		if n := written(); n != 0 {
			t.Fatalf("%d cart and stock events written with no webhook subscription", n)
		}
		rcv := newReceiver(t)
		rcv.subscribeTo(t, s, owner, "CARTS_CREATE", "/carts")
		rcv.subscribeTo(t, s, owner, "CARTS_UPDATE", "/carts")
		rcv.subscribeTo(t, s, owner, "INVENTORY_LEVELS_UPDATE", "/stock")
		cart := shop()
		waitFor(t, 20*time.Second, "the deliveries", func() bool {
			return len(rcv.at("/carts")) >= 2 && len(rcv.at("/stock")) >= 1
		})
		got := map[string]map[string]any{}
		for _, d := range append(rcv.at("/carts"), rcv.at("/stock")...) {
			got[d.topic] = d.payload
		}
		if p := got["carts/create"]; p == nil || p["id"] != cart || len(p["lines"].([]any)) != 1 {
			t.Errorf("carts/create: %v", p)
		}
		if p := got["carts/update"]; p == nil || p["id"] != cart || at(p, "lines.0.quantity") != 3.0 {
			t.Errorf("carts/update: %v", p)
		}
		if p := got["inventory_levels/update"]; p == nil || p["inventoryItemId"] != tee || p["locationId"] != loc {
			t.Errorf("inventory_levels/update: %v", p)
		}
	})
}
