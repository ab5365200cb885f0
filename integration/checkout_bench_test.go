package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/internal/stripemock"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// BenchmarkCheckout reports completed checkouts per second on PostgreSQL: each is a whole guest
// purchase over HTTP (cart with a line, buyer and address, delivery option, payment, submission, and
// polling the attempt until the order exists), from 16 and from 64 concurrent buyers, paid through the
// test gateway.
func BenchmarkCheckout(b *testing.B) {
	benchCheckouts(b, nil, payments.CardSuccess)
}

// BenchmarkCheckoutStripe is BenchmarkCheckout paying through the Stripe provider against stripe-mock,
// whose PaymentIntents wait for capture: each checkout makes two calls to it (create and confirm, then
// capture), as it would to Stripe.
func BenchmarkCheckoutStripe(b *testing.B) {
	base := stripemock.Start(b, stripemock.Intent(stripemock.RequiresCapture()))
	stripe := payments.NewStripe(payments.StripeConfig{SecretKey: "sk_test_emporium", APIBase: base,
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}})
	benchCheckouts(b, stripe, "pm_card_visa")
}

func benchCheckouts(b *testing.B, provider payments.Provider, session string) {
	s := startServerWith(b, "postgres", pg.NewDatabase(b), func(o *service.Options) {
		// 64 buyers want more requests at once than the pool has connections: they queue for their turn
		// instead of being shed, so that the figure is throughput, not the shedding policy.
		o.RateCapacity, o.QueueTimeout = -1, 30*time.Second
		if provider != nil {
			o.Payments = provider
		}
	})
	b.Cleanup(s.close)
	var tee struct {
		Product struct {
			Variants struct{ Nodes []struct{ ID string } }
		}
	}
	s.query(b, `{ product(handle: "organic-cotton-tee") { variants(first: 1) { nodes { id } } } }`, nil, &tee)
	variant := tee.Product.Variants.Nodes[0].ID
	id, _ := gid.DecodeType(variant, "ProductVariant")
	// Enough stock for any run.
	if _, err := s.svc.DB.Client.InventoryLevel.Update().Where(inventorylevel.VariantID(id)).SetAvailable(100_000_000).Save(context.Background()); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	for _, buyers := range benchBuyers {
		b.Run(fmt.Sprintf("c%d", buyers), func(b *testing.B) {
			var next, failures atomic.Int64
			var firstErr atomic.Value
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for range buyers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						if err := checkoutOnce(client, s.http.URL, variant, session); err != nil {
							failures.Add(1)
							firstErr.CompareAndSwap(nil, err)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			if n := failures.Load(); n > 0 {
				b.Fatalf("%d of %d checkouts failed; first: %v", n, b.N, firstErr.Load())
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "checkouts/s")
		})
	}
}

// checkoutOnce runs one guest checkout; it reports failures instead of failing the benchmark, since it runs
// on goroutines of its own.
func checkoutOnce(client *http.Client, url, variant, session string) error {
	call := func(query string, vars map[string]any, path ...string) (map[string]any, error) {
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		res, err := client.Post(url+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var out struct {
			Data   map[string]any
			Errors []gqlError
		}
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK || len(out.Errors) > 0 {
			return nil, fmt.Errorf("status %d: %v %+v", res.StatusCode, err, out.Errors)
		}
		for _, p := range path {
			if errs, _ := at(out.Data, p+".userErrors").([]any); len(errs) > 0 {
				return nil, fmt.Errorf("%s: %v", p, errs)
			}
		}
		return out.Data, nil
	}
	d, err := call(`mutation($v: ID!) { cartCreate(input: {lines: [{merchandiseId: $v, quantity: 1}], buyerIdentity: {email: "bench@example.com"},
		delivery: {addresses: [{selected: true, address: {deliveryAddress: {address1: "1 Main St", city: "Columbus", provinceCode: "OH", countryCode: US, zip: "43004"}}}]}}) {
		cart { id deliveryGroups(first: 1) { nodes { id } } } userErrors { field message } } }`, map[string]any{"v": variant}, "cartCreate")
	if err != nil {
		return err
	}
	cart := str(d, "cartCreate.cart.id")
	d, err = call(`mutation($id: ID!, $g: ID!) { cartSelectedDeliveryOptionsUpdate(cartId: $id, selectedDeliveryOptions: [{deliveryGroupId: $g, deliveryOptionHandle: "standard"}]) {
		cart { cost { totalAmount { amount currencyCode } } } userErrors { field message } } }`,
		map[string]any{"id": cart, "g": str(d, "cartCreate.cart.deliveryGroups.nodes.0.id")}, "cartSelectedDeliveryOptionsUpdate")
	if err != nil {
		return err
	}
	total := at(d, "cartSelectedDeliveryOptionsUpdate.cart.cost.totalAmount")
	_, err = call(`mutation($id: ID!, $a: Decimal!, $c: CurrencyCode!, $s: String!) { cartPaymentUpdate(cartId: $id, payment: {amount: {amount: $a, currencyCode: $c},
		directPaymentMethod: {sessionId: $s, billingAddress: {city: "Columbus", country: "US"}}}) { userErrors { field message } } }`,
		map[string]any{"id": cart, "a": str(total, "amount"), "c": str(total, "currencyCode"), "s": session}, "cartPaymentUpdate")
	if err != nil {
		return err
	}
	d, err = call(submit, map[string]any{"id": cart, "t": "bench"}, "cartSubmitForCompletion")
	if err != nil {
		return err
	}
	if kind := str(d, "cartSubmitForCompletion.result.__typename"); kind != "SubmitSuccess" {
		return fmt.Errorf("submit: %v", d)
	}
	attempt := str(d, "cartSubmitForCompletion.result.attemptId")
	for range 100 {
		d, err = call(`query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId } } }`,
			map[string]any{"a": attempt})
		if err != nil {
			return err
		}
		if str(d, "cartCompletionAttempt.orderId") != "" {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("no order after polling")
}

var benchBuyers = []int{16, 64}
