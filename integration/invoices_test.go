package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/inventorylevel"
	entinvoice "github.com/emporium/emporium/ent/invoice"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// waitInvoices waits until kind has n documents in client, and returns them by sequence.
func waitInvoices(t *testing.T, client *ent.Client, kind string, n int) []*ent.Invoice {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		docs, err := client.Invoice.Query().Where(entinvoice.KindEQ(entinvoice.Kind(kind))).Order(ent.Asc(entinvoice.FieldSequence)).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) >= n {
			return docs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s documents after 30 s, want %d", len(docs), kind, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkGapFree fails unless docs are numbered 1…len(docs) in year, each number once, each order once.
func checkGapFree(t *testing.T, docs []*ent.Invoice, prefix string) {
	t.Helper()
	orders := map[int]bool{}
	for i, d := range docs {
		want := fmt.Sprintf("%s-%d-%06d", prefix, d.Year, i+1)
		if d.Sequence != int64(i+1) || d.Number != want {
			t.Fatalf("document %d: number %s (sequence %d), want %s", i, d.Number, d.Sequence, want)
		}
		if orders[d.OrderID] && prefix == "INV" {
			t.Fatalf("order %d invoiced twice", d.OrderID)
		}
		orders[d.OrderID] = true
	}
}

// TestInvoiceNumbersAcrossProcesses places many paid orders through two server processes on one
// database, whose relays issue the invoices concurrently: the numbers run 1…n with no gap and no
// duplicate, one invoice per order. PostgreSQL (row lock of the counter) and SQLite (one writer).
func TestInvoiceNumbersAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	const orders = 40
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "invoices.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			a := startProcess(t, dsn)
			b := startProcess(t, dsn)
			ctx := context.Background()
			db, err := database.Open(ctx, dsn, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tee := variantIDs(t, a.asServer(), "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			variant, _ := gid.DecodeType(tee, "ProductVariant")
			if _, err := db.Client.InventoryLevel.Update().Where(inventorylevel.VariantID(variant)).SetAvailable(100000).Save(ctx); err != nil {
				t.Fatal(err)
			}
			procs := []*process{a, b}
			carts := make([]string, orders)
			for i := range carts {
				carts[i], _ = readyCart(t, procs[i%2].asServer(), tee, 1, payments.CardSuccess)
			}
			var wg sync.WaitGroup
			outcomes := make([]submitOutcome, orders)
			for i, id := range carts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outcomes[i] = submitTo(procs[i%2].url, id, fmt.Sprintf("invoice-%d", i))
				}()
			}
			wg.Wait()
			for i, o := range outcomes {
				if o.err != nil || o.kind == "" {
					t.Fatalf("checkout %d: %+v", i, o)
				}
			}
			docs := waitInvoices(t, db.Client, invoices.KindInvoice, orders)
			// The relays may still be running: give a duplicate the time to show.
			time.Sleep(500 * time.Millisecond)
			docs = waitInvoices(t, db.Client, invoices.KindInvoice, orders)
			if len(docs) != orders {
				t.Fatalf("%d invoices for %d orders", len(docs), orders)
			}
			checkGapFree(t, docs, "INV")
			byOrder := map[int]bool{}
			for _, d := range docs {
				byOrder[d.OrderID] = true
			}
			if len(byOrder) != orders {
				t.Fatalf("%d orders invoiced, want %d", len(byOrder), orders)
			}
		})
	}
}

// customerOrder places a paid order of one tee for the customer signed in with token.
func customerOrder(t *testing.T, s *server, token, email, tee string) string {
	t.Helper()
	id, _ := readyCart(t, s, tee, 2, payments.CardSuccess)
	d := s.data(t, nil, `mutation($id: ID!, $b: CartBuyerIdentityInput!) { cartBuyerIdentityUpdate(cartId: $id, buyerIdentity: $b) { cart { id } userErrors { field message code } } }`,
		map[string]any{"id": id, "b": map[string]any{"email": email, "customerAccessToken": token}})
	noUserErrors(t, d, "cartBuyerIdentityUpdate")
	d = s.data(t, nil, submit, map[string]any{"id": id, "t": "invoice-" + email})
	attempt := str(d, "cartSubmitForCompletion.result.attemptId")
	d = s.data(t, nil, `query($a: String!) { cartCompletionAttempt(attemptId: $a) { __typename ... on CartCompletionSuccess { orderId } } }`,
		map[string]any{"a": attempt})
	order := str(d, "cartCompletionAttempt.orderId")
	if order == "" {
		t.Fatalf("attempt: %v", d)
	}
	return order
}

func download(t *testing.T, url string) (int, []byte) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, body
}

// TestInvoicesOverHTTP: a paid order gets its invoice, its customer reads it (PDF and UBL through
// the signed link), staff list it, a refund gets a credit note referencing it, and another customer
// sees nothing of it; a tampered link is refused.
func TestInvoicesOverHTTP(t *testing.T) {
	var srv *mailtest.Server
	eachFreshDB(t, func(o *service.Options) {
		srv = mailtest.Start(t)
		withOwner(nil)(o)
		o.Payments = payments.NewTestGateway()
		o.Mailer = mail.SMTPSender{Addr: srv.Addr, From: "Shop <shop@example.com>"}
	}, func(t *testing.T, s *server) {
		if err := s.svc.StartJobs(context.Background()); err != nil {
			t.Fatal(err)
		}
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		d := s.data(t, owner, `mutation($in: ShopUpdateInput!) { shopUpdate(input: $in) { shop { name } userErrors { field message code } } }`,
			map[string]any{"in": map[string]any{"legalName": "Emporium Handels GmbH", "vatNumber": "DE123456789",
				"address": map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "countryCode": "DE"}}})
		noUserErrors(t, d, "shopUpdate")
		_, ada := signUpAndLogIn(t, s, "ada@example.com")
		_, eve := signUpAndLogIn(t, s, "eve@example.com")
		order := customerOrder(t, s, ada, "ada@example.com", tee)
		waitInvoices(t, s.svc.DB.Client, invoices.KindInvoice, 1)
		mine := `{ customer { orders(first: 5) { nodes { id totalPrice { amount } invoices { number kind issuedAt url total { amount } } } } } }`
		d = s.data(t, bearer(ada), mine, nil)
		year := time.Now().UTC().Year()
		number := fmt.Sprintf("INV-%d-000001", year)
		if str(d, "customer.orders.nodes.0.invoices.0.number") != number || str(d, "customer.orders.nodes.0.invoices.0.kind") != "INVOICE" ||
			str(d, "customer.orders.nodes.0.invoices.0.total.amount") != str(d, "customer.orders.nodes.0.totalPrice.amount") {
			t.Fatalf("ada's invoices: %v", d)
		}
		link := str(d, "customer.orders.nodes.0.invoices.0.url")
		code, pdf := download(t, link)
		if code != http.StatusOK || !bytes.HasPrefix(pdf, []byte("%PDF")) || !bytes.Contains(pdf, []byte(number)) {
			t.Fatalf("PDF download: %d %.60q", code, pdf)
		}
		code, ubl := download(t, link+"&format=ubl")
		if code != http.StatusOK || !bytes.Contains(ubl, []byte("<cbc:ID>"+number+"</cbc:ID>")) {
			t.Fatalf("UBL download: %d %s", code, ubl)
		}
		validateUBL(t, "Invoice", ubl)
		for _, want := range []string{"<cbc:CompanyID>DE123456789</cbc:CompanyID>", "<cbc:RegistrationName>Emporium Handels GmbH</cbc:RegistrationName>",
			"<cbc:CityName>Berlin</cbc:CityName>", "<cbc:ElectronicMail>ada@example.com</cbc:ElectronicMail>"} {
			if !bytes.Contains(ubl, []byte(want)) {
				t.Errorf("no %s in the invoice's UBL", want)
			}
		}
		// The invoice email, sent by a job, carries a working link to the same document.
		sent := srv.Wait(t, 20*time.Second, 1, func(m *mailtest.Parsed) bool { return strings.HasPrefix(m.Subject, "Invoice ") })
		if len(sent) != 1 || !strings.Contains(sent[0].Subject, number) || !strings.Contains(sent[0].Header.Get("To"), "ada@example.com") {
			t.Fatalf("invoice emails: %q to %q", sent[0].Subject, sent[0].Header.Get("To"))
		}
		text := sent[0].Parts["text/plain"]
		i := strings.Index(text, "http://")
		if i < 0 {
			t.Fatalf("no link in the invoice email: %q", text)
		}
		emailed := strings.Fields(text[i:])[0]
		if code, body := download(t, emailed); code != http.StatusOK || !bytes.Contains(body, []byte(number)) {
			t.Fatalf("the emailed link: %d", code)
		}
		// A link is good for its document only, and only as signed.
		if code, _ := download(t, strings.Replace(link, "/invoices/1?", "/invoices/2?", 1)); code != http.StatusNotFound {
			t.Fatalf("another document through a link: %d", code)
		}
		if code, _ := download(t, link[:len(link)-1]+"0"); code != http.StatusNotFound && !strings.HasSuffix(link, "0") {
			t.Fatalf("tampered signature: %d", code)
		}
		if code, _ := download(t, strings.Replace(link, "expires=", "expires=9", 1)); code != http.StatusNotFound {
			t.Fatalf("tampered expiry: %d", code)
		}
		// Eve sees none of it: no orders, no order by ID, no staff listing.
		if d := s.data(t, bearer(eve), mine, nil); len(at(d, "customer.orders.nodes").([]any)) != 0 {
			t.Fatalf("eve sees orders: %v", d)
		}
		if e := s.queryErrorAs(t, bearer(eve), `query($id: ID!) { order(id: $id) { invoices { number url } } }`, map[string]any{"id": order}); e.code() == "" || e.code() == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("eve reading ada's order: %+v", e)
		}
		if e := s.queryErrorAs(t, bearer(eve), `{ invoices { nodes { number url } } }`, nil); e.code() == "" || e.code() == "INTERNAL_SERVER_ERROR" {
			t.Fatalf("eve listing invoices: %+v", e)
		}
		// Staff refund one of the two tees: a credit note referencing the invoice.
		line := str(s.data(t, owner, staffOrder, map[string]any{"id": order}), "order.lineItems.nodes.0.id")
		d = s.data(t, owner, `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { totalRefunded { amount } } userErrors { field message code } } }`,
			map[string]any{"in": map[string]any{"orderId": order, "refundLineItems": []any{map[string]any{"lineItemId": line, "quantity": 1}}}})
		noUserErrors(t, d, "refundCreate")
		refunded := str(d, "refundCreate.refund.totalRefunded.amount")
		waitInvoices(t, s.svc.DB.Client, invoices.KindCreditNote, 1)
		d = s.data(t, owner, `{ invoices(first: 10) { nodes { number kind correctsNumber orderId total { amount } url } pageInfo { hasNextPage } } }`, nil)
		if str(d, "invoices.nodes.1.number") != fmt.Sprintf("CN-%d-000001", year) || str(d, "invoices.nodes.1.correctsNumber") != number ||
			str(d, "invoices.nodes.1.orderId") != order || str(d, "invoices.nodes.1.total.amount") != refunded {
			t.Fatalf("staff listing after the refund (refunded %s): %v", refunded, d)
		}
		code, cn := download(t, str(d, "invoices.nodes.1.url")+"&format=ubl")
		if code != http.StatusOK {
			t.Fatalf("credit note download: %d", code)
		}
		validateUBL(t, "CreditNote", cn)
		// The period filter: nothing issued before yesterday.
		d = s.data(t, owner, `query($to: DateTime) { invoices(to: $to) { nodes { number } } }`, map[string]any{"to": time.Now().Add(-24 * time.Hour).Format(time.RFC3339)})
		if n := len(at(d, "invoices.nodes").([]any)); n != 0 {
			t.Fatalf("%d documents issued before yesterday", n)
		}
	})
}

// validateUBL checks doc against the OASIS UBL 2.1 schema of kind (Invoice, CreditNote), vendored
// in invoices/testdata, with xmllint.
func validateUBL(t *testing.T, kind string, doc []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("xmllint missing: .ci/run installs libxml2-utils")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils)")
	}
	file := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	schema := filepath.Join("..", "invoices", "testdata", "ubl-2.1", "maindoc", "UBL-"+kind+"-2.1.xsd")
	if out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", schema, file).CombinedOutput(); err != nil {
		t.Fatalf("not valid UBL 2.1 %s: %v\n%s\n%s", kind, err, out, doc)
	}
}

// queryErrorAs posts query as header and returns its first error, failing if it has none or if it
// answers any invoice's data.
func (s *server) queryErrorAs(t *testing.T, header http.Header, query string, vars map[string]any) gqlError {
	t.Helper()
	r := s.postAs(t, header, query, vars)
	if len(r.Errors) == 0 || bytes.Contains(r.Data, []byte("INV-")) {
		t.Fatalf("query answered, want an error: %s", r.Data)
	}
	return r.Errors[0]
}
