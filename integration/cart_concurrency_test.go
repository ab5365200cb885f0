package integration

import (
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/service"
)

// TestCartChangesAtOnce sends 64 cart writes of each kind at once, more than either pool holds (20
// connections to PostgreSQL, 8 to SQLite): each must succeed, with none lost to SQLite's single writer
// or to a full pool. The queue waits as long as it takes: this is about pools and locks, not overload,
// which TestLoadShedding covers, and a busy machine may take longer than the default 500 ms to serve 64.
func TestCartChangesAtOnce(t *testing.T) {
	const buyers = 64
	patient := func(o *service.Options) { o.QueueTimeout = time.Minute }
	eachFreshDB(t, patient, func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		_, customerToken := signUpAndLogIn(t, s, "many@example.com")
		// each runs fn for every buyer at once; fn reports with t.Error, as it runs off the test's goroutine.
		each := func(fn func(i int)) {
			var wg sync.WaitGroup
			gate := make(chan struct{})
			for i := range buyers {
				wg.Go(func() {
					<-gate
					fn(i)
				})
			}
			close(gate)
			wg.Wait()
		}
		type created struct {
			CartCreate struct {
				Cart       *struct{ ID string }
				UserErrors []userError
			}
		}
		const create = `mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}]}) { cart { id } userErrors { message } } }`

		carts := make([]string, buyers)
		t.Run("carts created with lines", func(t *testing.T) {
			each(func(i int) {
				var c created
				if err := s.tryQuery(create, map[string]any{"v": tee}, &c); err != nil || c.CartCreate.Cart == nil {
					t.Errorf("cartCreate %d: %v %+v", i, err, c.CartCreate.UserErrors)
					return
				}
				carts[i] = c.CartCreate.Cart.ID
			})
		})
		t.Run("buyers moving to another currency", func(t *testing.T) {
			each(func(i int) {
				var u struct {
					CartBuyerIdentityUpdate struct {
						Cart *struct {
							Cost struct{ TotalAmount moneyV2 }
						}
						UserErrors []userError
					}
				}
				err := s.tryQuery(`mutation($id: ID!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: {countryCode: DE}) {
					cart { cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, map[string]any{"id": carts[i]}, &u)
				if err != nil || u.CartBuyerIdentityUpdate.Cart == nil || u.CartBuyerIdentityUpdate.Cart.Cost.TotalAmount.CurrencyCode != "EUR" {
					t.Errorf("cartBuyerIdentityUpdate %d: %v %+v", i, err, u.CartBuyerIdentityUpdate)
				}
			})
		})
		t.Run("carts created by a signed-in customer", func(t *testing.T) {
			each(func(i int) {
				var c created
				err := s.tryQuery(`mutation($v: ID!, $token: String!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}],
					buyerIdentity: {customerAccessToken: $token}}) { cart { id } userErrors { message } } }`, map[string]any{"v": tee, "token": customerToken}, &c)
				if err != nil || c.CartCreate.Cart == nil {
					t.Errorf("cartCreate with a customer token %d: %v %+v", i, err, c.CartCreate.UserErrors)
				}
			})
		})
		t.Run("lines added to every cart", func(t *testing.T) {
			each(func(i int) {
				var a struct {
					CartLinesAdd struct {
						Cart       *struct{ TotalQuantity int }
						UserErrors []userError
					}
				}
				err := s.tryQuery(`mutation($id: ID!, $v: ID!) { cartLinesAdd(cartId: $id, lines: [{merchandiseId: $v, quantity: 2}]) {
					cart { totalQuantity } userErrors { message } } }`, map[string]any{"id": carts[i], "v": tee}, &a)
				if err != nil || a.CartLinesAdd.Cart == nil || a.CartLinesAdd.Cart.TotalQuantity != 3 {
					t.Errorf("cartLinesAdd %d: %v %+v", i, err, a.CartLinesAdd)
				}
			})
		})
	})
}
