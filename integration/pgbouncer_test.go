package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/internal/pgtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// TestBehindPgBouncer runs replicas of the service through PgBouncer in transaction pooling mode, where
// consecutive transactions of one client connection may run on different server connections, so that
// nothing may rely on session state.
func TestBehindPgBouncer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts pgbouncer")
	}
	dsn := pg.NewDatabase(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbname := strings.TrimPrefix(u.Path, "/")
	// Four server connections for clients whose pools hold twenty each.
	const serverConns = 4
	bouncer, err := pgtest.StartPgBouncer(pg.AdminDSN(), serverConns)
	if errors.Is(err, pgtest.ErrNoPgBouncer) {
		t.Skipf("%v; .ci/run installs it", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := bouncer.Stop(); err != nil {
			t.Error(err)
		}
	})
	through := bouncer.DSN(dbname)

	// Three replicas start at once on the empty database: one migrates and seeds, the others wait for the
	// migration lock, which must work, and be released, across pooled server connections.
	var (
		s      *server
		others []*service.Service
		errs   []error
		mu     sync.Mutex
		wg     sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			svc, err := service.Open(context.Background(), service.Options{DatabaseURL: through, DatabaseListenURL: dsn,
				DemoCatalog: demoCatalog(t), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			others = append(others, svc)
		})
	}
	// The response cache LISTENs on a direct connection: through PgBouncer in transaction mode, it would
	// never hear of other replicas' writes.
	behindBouncer := func(o *service.Options) {
		withOwner(nil)(o)
		o.DatabaseListenURL = dsn
	}
	s = startServerWith(t, "pgbouncer", through, behindBouncer)
	t.Cleanup(s.close)
	wg.Wait()
	for _, svc := range others {
		svc.Close()
	}
	if len(errs) > 0 {
		t.Fatalf("replicas starting together behind pgbouncer: %v", errors.Join(errs...))
	}

	direct, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { direct.Close() })
	t.Run("no advisory lock outlives the start", func(t *testing.T) {
		var n int
		err := direct.QueryRow(`SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND d.datname = $1`, dbname).Scan(&n)
		if err != nil || n != 0 {
			t.Errorf("%d advisory locks held after the start (%v), want none", n, err)
		}
		var demo struct{ Products []json.RawMessage }
		if err := json.Unmarshal(demoCatalog(t), &demo); err != nil {
			t.Fatal(err)
		}
		var products int
		if err := direct.QueryRow("SELECT count(*) FROM products").Scan(&products); err != nil || products != len(demo.Products) {
			t.Errorf("%d products after three starts (%v), want the demo shop's %d once", products, err, len(demo.Products))
		}
	})

	t.Run("a storefront, a cart, a checkout and an admin write", func(t *testing.T) {
		var search struct {
			Products struct{ Nodes []struct{ Handle string } }
		}
		s.query(t, `query($q: String!) { products(first: 5, query: $q) { nodes { handle } } }`, map[string]any{"q": "tee"}, &search)
		if len(search.Products.Nodes) == 0 {
			t.Error("search found no tees")
		}
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		before := stockOf(t, s, tee)
		id, _ := readyCart(t, s, tee, 2, payments.CardSuccess)
		var r submitResult
		s.query(t, submit, map[string]any{"id": id, "t": "through-pgbouncer"}, &r)
		if res := r.CartSubmitForCompletion.Result; res == nil || res.Typename != "SubmitSuccess" {
			t.Fatalf("checkout: %+v", r.CartSubmitForCompletion)
		}
		if after := stockOf(t, s, tee); after != before-2 {
			t.Errorf("stock %d after ordering 2 of %d", after, before)
		}
		signUpAndLogIn(t, s, "pooled@example.com")

		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		var created productCreateResult
		s.queryAs(t, owner, productCreateMutation, map[string]any{"p": map[string]any{"title": "Pooled Parka", "status": "ACTIVE",
			"tags":           []string{"pooled"},
			"productOptions": []any{map[string]any{"name": "Title", "values": []any{map[string]any{"name": "Default"}}}},
			"variants": []any{map[string]any{"optionValues": []any{map[string]any{"optionName": "Title", "name": "Default"}},
				"price": "180.00", "sku": "PARKA-1"}},
		}}, &created)
		if created.ProductCreate.Product == nil {
			t.Fatalf("productCreate: %+v", created.ProductCreate)
		}
		var shop struct{ Product *struct{ Tags []string } }
		s.query(t, `{ product(handle: "pooled-parka") { tags } }`, nil, &shop)
		if shop.Product == nil || len(shop.Product.Tags) != 1 {
			t.Errorf("the storefront reads %+v, want the new product with its tag", shop.Product)
		}
	})

	// Many statements with parameters at once, from more client connections than server connections:
	// each must run whole on one server connection (see database.postgresDSN).
	t.Run("concurrent requests share the server connections", func(t *testing.T) {
		v := variantIDs(t, s, "organic-cotton-tee", "waxed-canvas-backpack")
		var variants []string
		for _, id := range v {
			variants = append(variants, id)
		}
		var wg sync.WaitGroup
		failures := make(chan string, 1000)
		for g := range 24 {
			wg.Go(func() {
				for i := range 10 {
					// tryQuery: t.Fatal may not be called off the test's goroutine.
					var err error
					if (g+i)%3 == 0 {
						err = s.tryQuery(`mutation($v: ID!, $q: Int!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: $q}]}) {
							cart { id cost { totalAmount { amount } } } userErrors { message } } }`,
							map[string]any{"v": variants[(g+i)%len(variants)], "q": 1 + i%3}, nil)
					} else {
						err = s.tryQuery(`query($h: String!, $n: Int!) { product(handle: $h) { title variants(first: $n) { nodes { sku price { amount } quantityAvailable } } }
							products(first: $n, sortKey: PRICE) { nodes { handle } } }`,
							map[string]any{"h": []string{"organic-cotton-tee", "waxed-canvas-backpack"}[g%2], "n": 1 + i}, nil)
					}
					if err != nil {
						failures <- err.Error()
					}
				}
			})
		}
		wg.Wait()
		close(failures)
		n := 0
		for f := range failures {
			if n++; n <= 5 {
				t.Error(f)
			}
		}
		if n > 0 {
			t.Errorf("%d of 240 requests failed behind pgbouncer", n)
		}
	})

	t.Run("a price changed on one replica is seen at once in another's cache", func(t *testing.T) {
		other := startServerWith(t, "pgbouncer", through, behindBouncer)
		t.Cleanup(other.close)
		vars := map[string]any{"h": "organic-cotton-tee"}
		const sku = "EMP-TEE-ORG-M-NVY"
		price := func() string {
			var d map[string]any
			if err := json.Unmarshal(s.post(t, cachedProduct, vars).Data, &d); err != nil {
				t.Fatal(err)
			}
			return str(variantOf(d, sku), "price.amount")
		}
		price()
		if old := price(); s.lastStatements() != 0 || old == "" || old == "64.00" {
			t.Fatalf("the price %q is not cached (%d statements), or is already the new one", old, s.lastStatements())
		}
		owner := bearer(staffLogin(t, other, ownerEmail, ownerPassword))
		productID := str(other.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil), "productByHandle.id")
		variant := variantIDs(t, other, "organic-cotton-tee")[sku]
		noUserErrors(t, other.data(t, owner, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "64.00"}]) { userErrors { message } } }`,
			map[string]any{"p": productID, "v": variant}), "productVariantsBulkUpdate")
		start := time.Now()
		for price() != "64.00" {
			if time.Since(start) > 5*time.Second {
				t.Fatalf("5 s after the other replica's write, the cache still answers %s", price())
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("the other replica's cache served the new price %v after the write", time.Since(start).Round(time.Millisecond))
	})

	t.Run("a LISTEN through PgBouncer stops the start", func(t *testing.T) {
		svc, err := service.Open(context.Background(), service.Options{DatabaseURL: through,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err == nil {
			svc.Close()
			t.Fatal("the service started with a LISTEN that hears nothing")
		}
		if !strings.Contains(err.Error(), "EMPORIUM_DATABASE_LISTEN_URL") {
			t.Errorf("error %q does not say what to set", err)
		}
	})
}
