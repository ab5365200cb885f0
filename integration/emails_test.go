package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/emporium/emporium/emails"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// TestTransactionalEmails sends the emails of real changes through a real SMTP server in the test's
// process: a welcome when a customer signs up (in German for a German customer), an order confirmation
// and the staff's new-order email when a checkout completes, each exactly once even when the event's
// job is worked again.
func TestTransactionalEmails(t *testing.T) {
	var srv *mailtest.Server // one per database, so that each sees only its own emails
	eachFreshDB(t, func(o *service.Options) {
		srv = mailtest.Start(t)
		withOwner(nil)(o)
		o.Mailer = mail.SMTPSender{Addr: srv.Addr, From: "Shop <shop@example.com>"}
		o.StaffEmail = "staff@example.com"
		o.Payments = payments.NewTestGateway()
	}, func(t *testing.T, s *server) {
		ctx := context.Background()
		shop, err := s.svc.DB.Client.Shop.Query().First(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ada, jorg, staffTo := s.name+"-ada@example.com", s.name+"-jorg@example.com", "staff@example.com"
		to := func(addr string) func(*mailtest.Parsed) bool {
			return func(p *mailtest.Parsed) bool {
				l, err := p.Header.AddressList("To")
				return err == nil && len(l) == 1 && l[0].Address == addr
			}
		}

		signUpAndLogIn(t, s, ada)
		var de struct {
			CustomerCreate struct {
				Customer           *struct{ Locale string }
				CustomerUserErrors []userError
			}
		}
		s.query(t, signUp, map[string]any{"input": map[string]any{"email": jorg, "password": "s3cret-pass", "firstName": "Jörg", "locale": "de-at"}}, &de)
		if de.CustomerCreate.Customer == nil {
			t.Fatalf("sign-up of %s: %+v", jorg, de.CustomerCreate.CustomerUserErrors)
		}
		if c, err := s.svc.DB.Client.Customer.Query().Where(customer.Email(jorg)).Only(ctx); err != nil || c.Locale != "de-AT" {
			t.Fatalf("locale of %s: %v, %v", jorg, c, err)
		}
		s.query(t, signUp, map[string]any{"input": map[string]any{"email": "x-" + jorg, "password": "s3cret-pass", "locale": "not a language"}}, &de)
		if de.CustomerCreate.Customer != nil || len(de.CustomerCreate.CustomerUserErrors) == 0 || de.CustomerCreate.CustomerUserErrors[0].code() != "INVALID" {
			t.Errorf("an invalid locale: %+v", de.CustomerCreate)
		}
		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}

		t.Run("welcome", func(t *testing.T) {
			got := srv.Wait(t, 20*time.Second, 1, to(ada))
			if len(got) != 1 || got[0].Subject != "Welcome to "+shop.Name {
				t.Fatalf("welcome to %s: %d messages %v", ada, len(got), subjects(got))
			}
			if !strings.Contains(got[0].Parts["text/plain"], ada) || !strings.Contains(got[0].Parts["text/html"], "<html") {
				t.Errorf("welcome parts: %q", got[0].Parts)
			}
			de := srv.Wait(t, 20*time.Second, 1, to(jorg))
			if len(de) != 1 || de[0].Subject != "Willkommen bei "+shop.Name {
				t.Errorf("welcome to a German customer: %v", subjects(de))
			}
		})

		t.Run("password reset in the customer's language", func(t *testing.T) {
			s.query(t, `mutation($e: String!) { customerRecover(email: $e) { customerUserErrors { code } } }`, map[string]any{"e": jorg}, nil)
			got := srv.Wait(t, 5*time.Second, 1, func(p *mailtest.Parsed) bool {
				return to(jorg)(p) && strings.HasPrefix(p.Subject, "Passwort zurücksetzen")
			})
			if len(got) != 1 || !strings.Contains(got[0].Parts["text/plain"], "http://localhost:3000/account/reset/") {
				t.Fatalf("reset emails to %s: %v", jorg, subjects(got))
			}
		})

		t.Run("order confirmation once", func(t *testing.T) {
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			id, total := readyCart(t, s, tee, 3, payments.CardSuccess)
			var r submitResult
			s.query(t, submit, map[string]any{"id": id, "t": "emails-1"}, &r)
			if res := r.CartSubmitForCompletion.Result; res == nil || res.Typename != "SubmitSuccess" {
				t.Fatalf("submit: %+v", r.CartSubmitForCompletion)
			}
			buyer := "buyer@example.com"
			before := 0
			// The invoice email (package invoices) goes to the buyer too.
			got := srv.Wait(t, 20*time.Second, before+1, func(p *mailtest.Parsed) bool { return to(buyer)(p) && !strings.HasPrefix(p.Subject, "Invoice ") })
			if len(got) != before+1 {
				t.Fatalf("order confirmations to %s: %d, want %d", buyer, len(got), before+1)
			}
			conf := got[len(got)-1]
			want := "Total: " + emails.FormatAmount(centsOf(t, total.Amount), total.CurrencyCode, language.English)
			if !strings.Contains(conf.Subject, "confirmed — "+shop.Name) || !strings.Contains(conf.Parts["text/plain"], want) || !strings.Contains(conf.Parts["text/html"], "3 × ") {
				t.Errorf("confirmation lacks %q or its lines:\n%s\n%s", want, conf.Parts["text/plain"], conf.Parts["text/html"])
			}
			staff := srv.Wait(t, 20*time.Second, 1, func(p *mailtest.Parsed) bool {
				return to(staffTo)(p) && strings.Contains(p.Subject, "New order")
			})
			if len(staff) == 0 {
				t.Errorf("no new-order email to the staff")
			}

			// The orders/create event's job worked again, as River's at-least-once delivery may: no second
			// email. Its consumers run again only if the event is unmarked, so unmark it too.
			e, err := s.svc.DB.Client.Event.Query().Where(event.Topic(events.OrdersCreate)).Order(event.ByID()).All(ctx)
			if err != nil || len(e) == 0 {
				t.Fatalf("orders/create events: %d, %v", len(e), err)
			}
			last := e[len(e)-1]
			if err := s.svc.DB.Client.Event.UpdateOne(last).ClearProcessedAt().Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.svc.Jobs.Insert(ctx, events.EventArgs{EventID: last.ID, Topic: last.Topic, ResourceID: last.ResourceID},
				&jobs.InsertOpts{Queue: jobs.QueueEvents}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				ev, err := s.svc.DB.Client.Event.Get(ctx, last.ID)
				if err != nil {
					t.Fatal(err)
				}
				if ev.ProcessedAt != nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the event was not worked again")
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(time.Second) // time for a duplicate to arrive, were one queued
			if again := srv.Wait(t, 0, 0, func(p *mailtest.Parsed) bool { return to(buyer)(p) && !strings.HasPrefix(p.Subject, "Invoice ") }); len(again) != before+1 {
				t.Errorf("after the event's job ran again: %d confirmations, want %d", len(again), before+1)
			}
			if n := jobsOfKind(t, s, "email"); n != 5 { // two welcomes, a confirmation, the staff's, the invoice
				t.Errorf("%d email jobs, want 5", n)
			}
			if _, err := gid.DecodeType(last.ResourceID, "Order"); err != nil {
				t.Error(err)
			}
		})

		t.Run("shipping, refund, cancellation", func(t *testing.T) {
			owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
			tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			buyer := "buyer@example.com"
			wait := func(prefix string, n int) *mailtest.Parsed {
				t.Helper()
				got := srv.Wait(t, 20*time.Second, n, func(p *mailtest.Parsed) bool { return to(buyer)(p) && strings.HasPrefix(p.Subject, prefix) })
				if len(got) != n {
					t.Fatalf("%q emails: %d, want %d", prefix, len(got), n)
				}
				return got[n-1]
			}
			id := placeOrder(t, s, tee, 2, payments.CardSuccess)
			d := s.data(t, owner, `query($id: ID!) { order(id: $id) { name lineItems(first: 1) { nodes { id } } } }`, map[string]any{"id": id})
			name, line := str(d, "order.name"), str(d, "order.lineItems.nodes.0.id")
			d = s.data(t, owner, `mutation($in: FulfillmentInput!) { fulfillmentCreate(fulfillment: $in) { fulfillment { id } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"orderId": id, "lineItems": []any{map[string]any{"id": line, "quantity": 1}},
					"trackingInfo": map[string]any{"company": "UPS", "number": "1Z999", "url": "https://ups.example/1Z999"}}})
			noUserErrors(t, d, "fulfillmentCreate")
			p := wait("Order "+name+" is on its way", 1)
			if text := p.Parts["text/plain"]; !strings.Contains(text, "Tracking: UPS 1Z999") || !strings.Contains(text, "1 × ") ||
				!strings.Contains(p.Parts["text/html"], `href="https://ups.example/1Z999"`) {
				t.Errorf("shipping confirmation:\n%s\n%s", text, p.Parts["text/html"])
			}

			d = s.data(t, owner, `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { totalRefunded { amount currencyCode } } userErrors { field message code } } }`,
				map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{map[string]any{"lineItemId": line, "quantity": 1}}}})
			noUserErrors(t, d, "refundCreate")
			amount := str(d, "refundCreate.refund.totalRefunded.amount")
			p = wait("Refund for order "+name, 1)
			if want := "refunded " + emails.FormatAmount(centsOf(t, amount), "USD", language.English); !strings.Contains(p.Parts["text/plain"], want) {
				t.Errorf("refund email lacks %q:\n%s", want, p.Parts["text/plain"])
			}

			other := placeOrder(t, s, tee, 1, payments.CardSuccess)
			d = s.data(t, owner, `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) { userErrors { field message code } } }`,
				map[string]any{"id": other})
			noUserErrors(t, d, "orderCancel")
			d = s.data(t, owner, `query($id: ID!) { order(id: $id) { name } }`, map[string]any{"id": other})
			wait("Order "+str(d, "order.name")+" cancelled", 1)
		})

		t.Run("the shop's language and logo", func(t *testing.T) {
			owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
			d := s.data(t, owner, `mutation { shopUpdate(input: {locale: "fr-FR", logoUrl: "ftp://nope"}) { userErrors { field code } } }`, nil)
			if userErrorCode(d, "shopUpdate") != "INVALID" {
				t.Errorf("a logo URL that is not http(s): %v", d)
			}
			d = s.data(t, owner, `mutation { shopUpdate(input: {locale: "de", logoUrl: "https://cdn.example.com/logo.png"}) { userErrors { field code } } }`, nil)
			noUserErrors(t, d, "shopUpdate")
			// Ada has no language of her own: the shop's.
			s.query(t, `mutation($e: String!) { customerRecover(email: $e) { customerUserErrors { code } } }`, map[string]any{"e": ada}, nil)
			got := srv.Wait(t, 5*time.Second, 1, func(p *mailtest.Parsed) bool {
				return to(ada)(p) && strings.HasPrefix(p.Subject, "Passwort zurücksetzen")
			})
			if len(got) != 1 || !strings.Contains(got[0].Parts["text/html"], `<img src="https://cdn.example.com/logo.png"`) {
				t.Fatalf("reset email to %s in the shop's language with its logo: %v", ada, subjects(got))
			}
		})
	})
}

func subjects(ps []*mailtest.Parsed) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Subject)
	}
	return out
}
