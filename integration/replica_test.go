package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// poolStatements reads the statements each connection pool has run, from /metrics.
func poolStatements(t *testing.T, s *server) map[string]float64 {
	t.Helper()
	res, body := get(t, s.http.URL+"/metrics", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(body, "\n") {
		rest, ok := strings.CutPrefix(line, `emporium_sql_statements_total{pool="`)
		if !ok {
			continue
		}
		pool, value, _ := strings.Cut(rest, `"} `)
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[pool] = n
	}
	return out
}

// statementsOf runs do and returns how many statements each pool ran meanwhile.
func statementsOf(t *testing.T, s *server, do func()) (primary, replica int) {
	t.Helper()
	before := poolStatements(t, s)
	do()
	after := poolStatements(t, s)
	return int(after["primary"] - before["primary"]), int(after["replica"] - before["replica"])
}

// TestReadReplica runs the service on a primary with a streaming standby as its read replica.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts a PostgreSQL primary and a streaming standby")
	}
	rep, err := pgtest.StartReplicated()
	if errors.Is(err, pgtest.ErrNoBinaries) {
		t.Skipf("a streaming replica needs the PostgreSQL server binaries: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := rep.Stop(); err != nil {
			t.Error(err)
		}
	})
	primaryDSN, standbyDSN := rep.NewDatabase(t)
	gateway := payments.NewTestGateway()
	s := startServerWith(t, "postgres", primaryDSN, func(o *service.Options) {
		withOwner(nil)(o)
		o.DatabaseReadURL = standbyDSN
		o.Payments = gateway
	})
	t.Cleanup(s.close)
	catchUp := func(t *testing.T) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := rep.WaitReplay(ctx); err != nil {
			t.Fatal(err)
		}
	}
	catchUp(t) // the schema and the demo shop
	standby, err := sql.Open("postgres", standbyDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standby.Close() })
	owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
	tees := variantIDs(t, s, "organic-cotton-tee")
	scarce := tees["EMP-TEE-ORG-L-BLK"] // 2 in stock

	// settle waits until an anonymous miss reads the replica alone: the gate has the primary's WAL
	// position of the current generation and has seen the replica replay it, and the shop's memo (read
	// on the primary) is warm.
	settle := func(t *testing.T) {
		t.Helper()
		for i, start := 0, time.Now(); ; i++ {
			primary, replica := statementsOf(t, s, func() {
				s.query(t, `{ shop { name } products(first: 1) { nodes { handle } } } # settle `+strconv.Itoa(i), nil, nil) // a cache miss
			})
			if primary == 0 && replica > 0 {
				return
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("10 s on, a storefront miss still reads the primary (%d statements) and the replica (%d)", primary, replica)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pause := func(t *testing.T) (resume func()) {
		t.Helper()
		if _, err := standby.Exec("SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		resumed := false
		resume = func() {
			if !resumed {
				resumed = true
				if _, err := standby.Exec("SELECT pg_wal_replay_resume()"); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Cleanup(resume)
		return resume
	}
	_, customerToken := signUpAndLogIn(t, s, "replica@example.com")
	customer := bearer(customerToken)

	t.Run("storefront catalog queries read the replica", func(t *testing.T) {
		settle(t)
		// A customer's session is checked on the primary, where sign-outs are written.
		authStatements := map[string]int{}
		authStatements["a customer"], _ = statementsOf(t, s, func() { s.queryAs(t, customer, `{ __typename }`, nil, nil) })
		for name, q := range map[string]string{
			"products": `{ products(first: 5, sortKey: TITLE) { nodes { title handle featuredImage { url }
				priceRange { minVariantPrice { amount currencyCode } }
				variants(first: 3) { nodes { sku quantityAvailable price { amount } } } collections(first: 2) { nodes { handle } } } } }`,
			"search":     `{ products(first: 5, query: "tee") { nodes { handle } } }`,
			"collection": `{ collection(handle: "apparel") { title products(first: 3) { nodes { handle } } } }`,
			"product in a currency": `query @inContext(country: DE) { product(handle: "organic-cotton-tee") { title
				options { name values } variants(first: 2) { nodes { price { amount currencyCode } } } } }`,
			"content":   `{ menu(handle: "main-menu") { items { title } } pages(first: 2) { nodes { handle } } shop { name } }`,
			"fragments": `query { ...Q } fragment Q on Query { productRecommendations(productHandle: "organic-cotton-tee") { handle } }`,
		} {
			for who, as := range map[string]http.Header{"anonymous": nil, "a customer": customer} {
				primary, replica := statementsOf(t, s, func() { s.queryAs(t, as, q, nil, nil) })
				if replica == 0 || primary != authStatements[who] {
					t.Errorf("%s, %s: %d statements on the primary, %d on the replica; want %d on the primary (authentication), the rest on the replica",
						name, who, primary, replica, authStatements[who])
				}
			}
		}
	})

	t.Run("everything else reads the primary", func(t *testing.T) {
		var c struct {
			CartCreate struct{ Cart struct{ ID string } }
		}
		// In order: the cart queries read the cart the mutation creates.
		for _, step := range []struct {
			name string
			do   func()
		}{
			{"a cart mutation", func() {
				s.query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) {
					cart { id lines(first: 5) { nodes { merchandise { ... on ProductVariant { sku product { title } } } } } } } }`,
					map[string]any{"v": tees["EMP-TEE-ORG-M-NVY"]}, &c)
			}},
			{"a cart query", func() {
				s.query(t, `query($id: ID!) { cart(id: $id) { cost { totalAmount { amount } } lines(first: 5) {
					nodes { merchandise { ... on ProductVariant { sku quantityAvailable } } } } } }`, map[string]any{"id": c.CartCreate.Cart.ID}, nil)
			}},
			{"a query mixing the catalog and a cart", func() {
				s.query(t, `query($id: ID!) { products(first: 2) { nodes { handle } } cart(id: $id) { id } }`,
					map[string]any{"id": c.CartCreate.Cart.ID}, nil)
			}},
			{"node", func() {
				s.query(t, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": scarce}, nil)
			}},
			{"staff reading the catalog", func() {
				s.queryAs(t, owner, `{ products(first: 5) { nodes { handle variants(first: 2) { nodes { sku } } } } }`, nil, nil)
			}},
		} {
			primary, replica := statementsOf(t, s, step.do)
			if replica != 0 || primary == 0 {
				t.Errorf("%s: %d statements on the primary, %d on the replica; want them all on the primary", step.name, primary, replica)
			}
		}
	})

	// A customer's catalog queries read the replica and are kept nowhere: they may lag. The anonymous
	// ones are kept in the response cache, so they read the replica only once it has replayed the last
	// catalog write, and the primary meanwhile.
	t.Run("with replay paused, customers lag, the cached storefront does not, writers read the primary", func(t *testing.T) {
		settle(t)
		resume := pause(t)

		// An admin write, and its answer read back from the primary.
		var locs struct {
			Locations struct{ Nodes []struct{ ID string } }
		}
		s.queryAs(t, owner, `{ locations(first: 1) { nodes { id } } }`, nil, &locs)
		var created productCreateResult
		s.queryAs(t, owner, productCreateMutation, map[string]any{"p": map[string]any{
			"title": "Replica Lag Lamp", "status": "ACTIVE",
			"productOptions": []any{map[string]any{"name": "Title", "values": []any{map[string]any{"name": "Default"}}}},
			"variants": []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Title", "name": "Default"}},
				"price": "40.00", "sku": "LAMP-1",
				"inventoryQuantities": []any{map[string]any{"locationId": locs.Locations.Nodes[0].ID, "availableQuantity": 5}}}},
		}}, &created)
		lamp := created.ProductCreate.Product
		if lamp == nil || len(lamp.Variants.Nodes) != 1 {
			t.Fatalf("productCreate: %+v", created.ProductCreate)
		}
		const lampQuery = `{ product(handle: "replica-lag-lamp") { title } }`
		var staffView struct{ Product *struct{ Title string } }
		s.queryAs(t, owner, lampQuery, nil, &staffView)
		if staffView.Product == nil {
			t.Error("staff do not read back the product they created")
		}
		var customerView struct{ Product *struct{ Title string } }
		s.queryAs(t, customer, lampQuery, nil, &customerView)
		if customerView.Product != nil {
			t.Error("a customer sees a product the paused replica has not replayed: customers do not read the replica")
		}
		var shopView struct{ Product *struct{ Title string } }
		primary, replica := statementsOf(t, s, func() { s.query(t, lampQuery, nil, &shopView) })
		if shopView.Product == nil || primary == 0 || replica > 1 {
			t.Errorf("an anonymous miss behind the replica: lamp seen %v, %d statements on the primary, %d on the replica; "+
				"want the lamp, read on the primary after at most a look at the replica's position", shopView.Product != nil, primary, replica)
		}

		// Carts and checkout see the new product, and the primary's stock.
		lampCart, _ := readyCart(t, s, lamp.Variants.Nodes[0].ID, 1, payments.CardSuccess)
		twoTees, _ := readyCart(t, s, scarce, 2, payments.CardSuccess)
		oneTee, _ := readyCart(t, s, scarce, 1, payments.CardSuccess)
		for _, tc := range []struct{ cart, want string }{
			{lampCart, "SubmitSuccess"},
			{twoTees, "SubmitSuccess"},
			{oneTee, "SubmitFailed:INVENTORY_RESERVATION_ERROR"}, // the replica still counts 2
		} {
			var r submitResult
			s.query(t, submit, map[string]any{"id": tc.cart, "t": "replica-" + tc.cart}, &r)
			got := "none"
			if res := r.CartSubmitForCompletion.Result; res != nil {
				got = res.Typename
				if len(res.Errors) > 0 {
					got += ":" + res.Errors[0].Code
				}
			}
			if got != tc.want {
				t.Errorf("submit: %s, want %s (%+v)", got, tc.want, r.CartSubmitForCompletion)
			}
		}
		if n := storefrontStock(t, s, customer, "EMP-TEE-ORG-L-BLK"); n != 2 {
			t.Errorf("a customer sees %d of the sold-out tee while replay is paused, want the replica's 2", n)
		}
		if n := storefrontStock(t, s, nil, "EMP-TEE-ORG-L-BLK"); n != 0 {
			t.Errorf("the cached storefront shows %d of the sold-out tee, want 0", n)
		}

		// Once replay resumes, customers catch up, and anonymous misses read the replica again.
		resume()
		start := time.Now()
		for {
			s.queryAs(t, customer, lampQuery, nil, &customerView)
			stock := storefrontStock(t, s, customer, "EMP-TEE-ORG-L-BLK")
			if customerView.Product != nil && stock == 0 {
				t.Logf("customers caught up %v after replay resumed", time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("10 s after replay resumed a customer sees the lamp: %v, tee stock %d", customerView.Product != nil, stock)
			}
			time.Sleep(20 * time.Millisecond)
		}
		settle(t)
		primary, replica = statementsOf(t, s, func() { s.query(t, lampQuery+" # again", nil, &shopView) })
		if shopView.Product == nil || primary != 0 || replica == 0 {
			t.Errorf("an anonymous miss after catching up: lamp seen %v, %d statements on the primary, %d on the replica",
				shopView.Product != nil, primary, replica)
		}
	})

	// Without the WAL gate, the anonymous query right after the write would read the paused replica and
	// keep the old price under the new generation, served until the TTL (a minute) long after replay
	// resumed.
	t.Run("a price written while replay is paused is never served stale from the cache after replay", func(t *testing.T) {
		settle(t)
		vars := map[string]any{"h": "organic-cotton-tee"}
		const sku = "EMP-TEE-ORG-M-NVY"
		price := func() string {
			var d map[string]any
			if err := json.Unmarshal(s.post(t, cachedProduct, vars).Data, &d); err != nil {
				t.Fatal(err)
			}
			return str(variantOf(d, sku), "price.amount")
		}
		old := price()
		price() // cached
		resume := pause(t)
		productID := str(s.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil), "productByHandle.id")
		noUserErrors(t, s.data(t, owner, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "77.00"}]) { userErrors { message } } }`,
			map[string]any{"p": productID, "v": tees[sku]}), "productVariantsBulkUpdate")
		var stale string
		for range 5 {
			stale = price()
		}
		t.Logf("price %s before the write, %s served while replay is paused", old, stale)
		resume()
		start := time.Now()
		for price() != "77.00" {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("10 s after replay resumed the storefront still answers %s, want 77.00", price())
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("the new price was served %v after replay resumed", time.Since(start).Round(time.Millisecond))
		price()
		if n := s.lastStatements(); n != 0 {
			t.Errorf("the new price is not cached: %d statements", n)
		}
	})

	t.Run("metrics show the replica's pool", func(t *testing.T) {
		_, body := get(t, s.http.URL+"/metrics", nil)
		for _, want := range []string{
			`go_sql_max_open_connections{db_name="emporium"}`,
			`go_sql_max_open_connections{db_name="emporium_replica"}`,
			`emporium_sql_statements_total{pool="replica"}`,
			`emporium_response_cache_replica_behind_total`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})

	t.Run("an unreachable read replica stops the start", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := "postgres://postgres@" + l.Addr().String() + "/shop?sslmode=disable&connect_timeout=5"
		l.Close()
		svc, err := service.Open(context.Background(), service.Options{DatabaseURL: primaryDSN, DatabaseReadURL: dead,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err == nil {
			svc.Close()
			t.Fatal("the service started without its read replica")
		}
		if !strings.Contains(err.Error(), "read replica") {
			t.Errorf("error %q does not name the read replica", err)
		}
	})

	t.Run("a stopped replica: the storefront reads the primary and the service stays ready", func(t *testing.T) {
		if res, body := get(t, s.http.URL+"/readyz", nil); res.StatusCode != http.StatusOK || body != "ok\n" {
			t.Fatalf("readyz with both pools: %d %q", res.StatusCode, body)
		}
		_, token := signUpAndLogIn(t, s, "replica-down@example.com")
		if err := rep.Standby.Stop(); err != nil {
			t.Fatal(err)
		}
		// A query the cache has not seen, so that it runs.
		q := `query($n: Int!) { products(first: $n, sortKey: TITLE) { nodes { handle } } }`
		// A customer's catalog reads go to the replica without the cache's check: they fail over.
		if r := s.postAs(t, bearer(token), q, map[string]any{"n": 5}); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("a customer's query with the replica down: %d %+v", r.Status, r.Errors)
		}
		for n := 1; n <= 3; n++ {
			r := s.post(t, q, map[string]any{"n": n})
			if r.Status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "handle") {
				t.Errorf("storefront query %d with the replica down: %d %s %+v", n, r.Status, r.Data, r.Errors)
			}
		}
		primary, replica := statementsOf(t, s, func() { s.post(t, q, map[string]any{"n": 4}) })
		if primary == 0 || replica != 0 {
			t.Errorf("with the replica down: %d statements on the primary, %d on the replica; want them on the primary", primary, replica)
		}
		if res, body := get(t, s.http.URL+"/readyz", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, "replica unreachable") {
			t.Errorf("readyz without the replica: %d %q, want 200 naming the replica", res.StatusCode, body)
		}
	})
}

// storefrontStock is a demo tee variant's quantityAvailable as the storefront shows it to as.
func storefrontStock(t *testing.T, s *server, as http.Header, sku string) int {
	t.Helper()
	var p struct {
		Product struct {
			Variants struct {
				Nodes []struct {
					SKU               string
					QuantityAvailable int
				}
			}
		}
	}
	s.queryAs(t, as, `{ product(handle: "organic-cotton-tee") { variants(first: 50) { nodes { sku quantityAvailable } } } }`, nil, &p)
	for _, v := range p.Product.Variants.Nodes {
		if v.SKU == sku {
			return v.QuantityAvailable
		}
	}
	t.Fatalf("no variant %s", sku)
	return 0
}
