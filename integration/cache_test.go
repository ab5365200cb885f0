package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/payments"
)

const cachedProduct = `query($h: String!) { product(handle: $h) { title priceRange { minVariantPrice { amount } }
	variants(first: 20) { nodes { id sku price { amount } quantityAvailable availableForSale } } } }`

// variantOf returns one variant of a product answer by SKU.
func variantOf(d map[string]any, sku string) any {
	for _, n := range at(d, "product.variants.nodes").([]any) {
		if str(n, "sku") == sku {
			return n
		}
	}
	return nil
}

func TestResponseCache(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		vars := map[string]any{"h": "organic-cotton-tee"}
		const sku = "EMP-TEE-ORG-M-NVY"

		t.Run("an anonymous catalog query runs once", func(t *testing.T) {
			first := s.post(t, cachedProduct, vars)
			ran := s.lastStatements()
			second := s.post(t, cachedProduct, vars)
			if ran == 0 || s.lastStatements() != 0 || string(first.Data) != string(second.Data) {
				t.Errorf("first ran %d statements, second %d; same answer: %v", ran, s.lastStatements(), string(first.Data) == string(second.Data))
			}
			r := s.post(t, cachedProduct, map[string]any{"h": "mountain-sunrise-poster"})
			if s.lastStatements() == 0 || !strings.Contains(string(r.Data), "Mountain") {
				t.Errorf("other variables answered from the cache: %s", r.Data)
			}
			s.post(t, `query($h: String!) @inContext(country: DE) { product(handle: $h) { priceRange { minVariantPrice { amount currencyCode } } } }`, vars)
			if r := s.post(t, `query($h: String!) @inContext(country: DE) { product(handle: $h) { priceRange { minVariantPrice { amount currencyCode } } } }`, vars); !strings.Contains(string(r.Data), "EUR") {
				t.Errorf("@inContext answered from another context: %s", r.Data)
			}
		})

		t.Run("callers with credentials and private fields are never cached", func(t *testing.T) {
			_, token := signUpAndLogIn(t, s, "cache@example.com")
			for name, send := range map[string]func(){
				"a customer": func() { s.postAs(t, bearer(token), cachedProduct, vars) },
				"staff":      func() { s.postAs(t, owner, cachedProduct, vars) },
				"a cart":     func() { s.post(t, `{ cart(id: "gid://emporium/Cart/00000000000000000000000000000000") { id } }`, nil) },
				"a node":     func() { s.post(t, `{ node(id: "gid://emporium/Product/1") { id } }`, nil) },
			} {
				send()
				send()
				if s.lastStatements() == 0 {
					t.Errorf("%s: the second request ran no statement", name)
				}
			}
			s.post(t, cachedProduct, vars)
			r := s.post(t, cachedProduct, vars)
			if cost, _ := at(r.Extensions, "cost.requestedQueryCost").(float64); s.lastStatements() != 0 || cost == 0 {
				t.Errorf("a cached answer (%d statements) lacks its caller's cost: %v", s.lastStatements(), r.Extensions)
			}
		})

		t.Run("a price change is seen at once", func(t *testing.T) {
			s.post(t, cachedProduct, vars)
			before := s.post(t, cachedProduct, vars)
			if s.lastStatements() != 0 {
				t.Fatal("not cached")
			}
			var d map[string]any
			_ = json.Unmarshal(before.Data, &d)
			productID := str(s.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil), "productByHandle.id")
			variant := str(variantOf(d, sku), "id")
			u := s.data(t, owner, `mutation($p: ID!, $v: ID!) { productVariantsBulkUpdate(productId: $p, variants: [{id: $v, price: "31.00"}]) { userErrors { message } } }`,
				map[string]any{"p": productID, "v": variant})
			noUserErrors(t, u, "productVariantsBulkUpdate")
			after := s.post(t, cachedProduct, vars)
			_ = json.Unmarshal(after.Data, &d)
			if got := str(variantOf(d, sku), "price.amount"); got != "31.00" {
				t.Errorf("price after the update: %s", got)
			}
		})

		t.Run("stock taken by a checkout is seen at once", func(t *testing.T) {
			var d map[string]any
			_ = json.Unmarshal(s.post(t, cachedProduct, vars).Data, &d)
			s.post(t, cachedProduct, vars)
			before, _ := at(variantOf(d, sku), "quantityAvailable").(float64)
			placeOrder(t, s, str(variantOf(d, sku), "id"), 2, payments.CardSuccess)
			_ = json.Unmarshal(s.post(t, cachedProduct, vars).Data, &d)
			if after, _ := at(variantOf(d, sku), "quantityAvailable").(float64); after != before-2 {
				t.Errorf("quantity available %v after buying 2 of %v", after, before)
			}
		})
	})
}

// startTwoReplicas serves one fresh PostgreSQL database, with the demo shop and its owner, from two
// instances of the service, as two replicas behind a load balancer would.
func startTwoReplicas(t *testing.T) (a, b *server) {
	t.Helper()
	dsn := pg.NewDatabase(t)
	a = startServerWith(t, "postgres", dsn, withOwner(nil))
	t.Cleanup(a.close)
	b = startServerWith(t, "postgres", dsn, withOwner(nil))
	t.Cleanup(b.close)
	return a, b
}

// TestResponseCacheAcrossReplicas checks that a catalog write on one replica empties the cache of
// another through PostgreSQL NOTIFY.
func TestResponseCacheAcrossReplicas(t *testing.T) {
	a, b := startTwoReplicas(t)
	vars := map[string]any{"h": "organic-cotton-tee"}
	a.post(t, cachedProduct, vars)
	a.post(t, cachedProduct, vars)
	if a.lastStatements() != 0 {
		t.Fatal("replica A did not cache")
	}
	owner := bearer(staffLogin(t, b, ownerEmail, ownerPassword))
	d := b.data(t, owner, `{ productByHandle(handle: "organic-cotton-tee") { id } }`, nil)
	u := b.data(t, owner, `mutation($id: ID!) { productUpdate(product: {id: $id, title: "Organic Cotton Tee II"}) { userErrors { message } } }`,
		map[string]any{"id": str(d, "productByHandle.id")})
	noUserErrors(t, u, "productUpdate")
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := a.post(t, cachedProduct, vars)
		if strings.Contains(string(r.Data), "Tee II") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica A still answers %s five seconds after replica B's write", r.Data)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := a.svc.Cache.Stats(); st.Invalidations == 0 {
		t.Errorf("replica A's cache was never invalidated: %+v", st)
	}
}

// TestCatalogAnnouncedOncePerTransaction checks that a transaction of several catalog writes sends
// the other replicas one announcement, not one per write: three writes cost two statements more than
// one (the writes), where an announcement per write would add two NOTIFYs more.
func TestCatalogAnnouncedOncePerTransaction(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		statements := func(writes int) int {
			ctx, counter := database.WithCounter(context.Background())
			err := database.WithTx(ctx, s.svc.DB.Client, func(tx *ent.Tx) error {
				for range writes {
					if err := tx.Page.Create().SetHandle(fmt.Sprintf("once-%s-%d", t.Name(), benchRound.Add(1))).
						SetTitle("Once").Exec(ctx); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return counter.Statements()
		}
		one, three := statements(1), statements(3)
		t.Logf("%s: %d statements for one page, %d for three", s.name, one, three)
		if three-one != 2 {
			t.Errorf("three writes cost %d statements, one %d: want exactly 2 more", three, one)
		}
	})
}
