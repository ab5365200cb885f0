package integration

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/auditentry"
	"github.com/emporium/emporium/ent/journalentry"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/service"
)

// orderJournal is the journal entries of one order, oldest first.
func orderJournal(t *testing.T, s *server, orderGID string) []*ent.JournalEntry {
	t.Helper()
	id, err := gid.DecodeType(orderGID, "Order")
	if err != nil {
		t.Fatalf("order id %q: %v", orderGID, err)
	}
	es, err := s.svc.DB.Client.JournalEntry.Query().Where(journalentry.OrderID(id)).WithLines().
		Order(ent.Asc(journalentry.FieldID)).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// checkBalanced fails unless every entry balances per currency.
func checkBalanced(t *testing.T, es []*ent.JournalEntry) {
	t.Helper()
	for _, e := range es {
		sums := map[string]int64{}
		for _, l := range e.Edges.Lines {
			sums[l.Currency] += l.Debit - l.Credit
		}
		for cur, d := range sums {
			if d != 0 {
				t.Errorf("entry %d (%s) off by %d %s", e.ID, e.Kind, d, cur)
			}
		}
	}
}

const refundMutation = `mutation($in: RefundInput!) { refundCreate(input: $in) { refund { totalRefunded { amount } }
	order { financialStatus totalRefunded { amount } } userErrors { field message code } } }`

const cancelMutation = `mutation($id: ID!) { orderCancel(orderId: $id, reason: CUSTOMER, refund: true, restock: true) {
	order { financialStatus } userErrors { field message code } } }`

func TestJournalHandWorked(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		// 3 tees at 29.00 = 87.00, free shipping, Ohio tax 5.75 % → 5.00: 92.00 owed, then paid.
		id := placeOrder(t, s, tee, 3, payments.CardSuccess)
		es := orderJournal(t, s, id)
		checkBalanced(t, es)
		if len(es) != 2 || es[0].Kind != journal.KindOrderPlaced || es[1].Kind != journal.KindPaymentCaptured {
			t.Fatalf("entries %v", es)
		}
		b := journal.Balances(es[:1])["USD"]
		if b[journal.Receivable] != 9200 || b[journal.Sales] != -8700 || b[journal.TaxPayable] != -500 || len(b) != 3 {
			t.Errorf("placement balances %v, want receivable 92.00, sales -87.00, tax -5.00", b)
		}
		b = journal.Balances(es)["USD"]
		if b[journal.Receivable] != 0 || b[journal.CashClearing] != 9200 {
			t.Errorf("after payment %v, want receivable 0, clearing 92.00", b)
		}
		// One unit back: 29.00 of sales and 1.66 of tax (5.00 / 3, cut down), 30.66 out of the clearing account.
		line := str(at(s.data(t, owner, staffOrder, map[string]any{"id": id}), "order"), "lineItems.nodes.0.id")
		d := s.data(t, owner, refundMutation, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
			map[string]any{"lineItemId": line, "quantity": 1}}}})
		noUserErrors(t, d, "refundCreate")
		es = orderJournal(t, s, id)
		checkBalanced(t, es)
		r := journal.Balances(es[2:])["USD"]
		if r[journal.Sales] != 2900 || r[journal.TaxPayable] != 166 || r[journal.CashClearing] != -3066 {
			t.Errorf("refund balances %v, want sales 29.00, tax 1.66, clearing -30.66", r)
		}
		// A goodwill amount goes to the refunds account as a whole.
		d = s.data(t, owner, refundMutation, map[string]any{"in": map[string]any{"orderId": id, "amount": "5.00"}})
		noUserErrors(t, d, "refundCreate")
		es = orderJournal(t, s, id)
		if r := journal.Balances(es[3:])["USD"]; r[journal.Refunds] != 500 || r[journal.CashClearing] != -500 {
			t.Errorf("goodwill refund %v, want refunds 5.00, clearing -5.00", r)
		}
		// Cancelling refunds the rest (92.00 - 30.66 - 5.00 = 56.34): the whole order is then undone.
		d = s.data(t, owner, cancelMutation, map[string]any{"id": id})
		noUserErrors(t, d, "orderCancel")
		es = orderJournal(t, s, id)
		checkBalanced(t, es)
		b = journal.Balances(es)["USD"]
		if b[journal.Receivable] != 0 || b[journal.CashClearing] != 0 {
			t.Errorf("after cancelling %v, want receivable and clearing 0", b)
		}
		if net := b[journal.Sales] + b[journal.TaxPayable] + b[journal.Refunds]; net != 0 {
			t.Errorf("revenue, tax and refunds left %d after refunding everything: %v", net, b)
		}

		export := `query($f: JournalExportFormat!) { journalExport(from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", format: $f) }`
		qb := str(s.data(t, owner, export, map[string]any{"f": "QUICKBOOKS"}), "journalExport")
		if !strings.HasPrefix(qb, "JournalNo,JournalDate,AccountName,Debits,Credits,Description,Name,Currency\n") ||
			!strings.Contains(qb, ",Accounts receivable,92.00,,Order #") || !strings.Contains(qb, ",Sales tax / VAT payable,1.66,,Refund of order #") {
			t.Errorf("QuickBooks export:\n%s", qb)
		}
		xero := str(s.data(t, owner, export, map[string]any{"f": "XERO"}), "journalExport")
		if !strings.HasPrefix(xero, "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1\n") ||
			!strings.Contains(xero, ",1100,No VAT,92.00,") || !strings.Contains(xero, ",1200,No VAT,-30.66,") {
			t.Errorf("Xero export:\n%s", xero)
		}
		if e := s.queryError(t, export, map[string]any{"f": "XERO"}); e.code() == "" {
			t.Errorf("an anonymous export was not refused: %v", e)
		}
	})
}

// TestJournalProperty drives random order lifecycles (place, pay, declined payments, partial refunds by
// unit and by amount, cancellation) through the API and checks that every entry balances, that each
// settled order's receivable is zero, and that its clearing account holds what was paid less refunded.
func TestJournalProperty(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.Payments = payments.NewTestGateway() }, func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		rng := rand.New(rand.NewPCG(13, 1))
		for i := range 6 {
			if rng.IntN(5) == 0 {
				// A declined card places the order and undoes it in the journal.
				cart, _ := readyCart(t, s, tee, 1+rng.IntN(3), payments.CardDecline)
				s.data(t, nil, submit, map[string]any{"id": cart, "t": "declined"})
				continue
			}
			id := placeOrder(t, s, tee, 1+rng.IntN(4), payments.CardSuccess)
			for step := 0; step < 3; step++ {
				o := at(s.data(t, owner, staffOrder, map[string]any{"id": id}), "order")
				line := at(o, "lineItems.nodes.0").(map[string]any)
				switch k := rng.IntN(4); {
				case k == 0 && line["refundableQuantity"].(float64) > 0:
					s.data(t, owner, refundMutation, map[string]any{"in": map[string]any{"orderId": id, "refundLineItems": []any{
						map[string]any{"lineItemId": line["id"], "quantity": 1}}}})
				case k == 1:
					s.data(t, owner, refundMutation, map[string]any{"in": map[string]any{"orderId": id, "amount": "1.25"}})
				case k == 2:
					s.data(t, owner, cancelMutation, map[string]any{"id": id})
				}
			}
			o := at(s.data(t, owner, staffOrder, map[string]any{"id": id}), "order")
			es := orderJournal(t, s, id)
			checkBalanced(t, es)
			b := journal.Balances(es)["USD"]
			paid := cents(t, str(o, "totalPrice.amount"))
			refunded := cents(t, str(o, "totalRefunded.amount"))
			if b[journal.Receivable] != 0 || b[journal.CashClearing] != paid-refunded {
				t.Errorf("order %d (%s): balances %v, want receivable 0, clearing %d", i, id, b, paid-refunded)
			}
		}
		all, err := s.svc.DB.Client.JournalEntry.Query().WithLines().All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		checkBalanced(t, all)
		for cur, b := range journal.Balances(all) {
			var sum int64
			for _, v := range b {
				sum += v
			}
			if sum != 0 || b[journal.Receivable] != 0 {
				t.Errorf("%s: the journal sums to %d, receivable %d", cur, sum, b[journal.Receivable])
			}
		}
	})
}

func TestAccountingMapping(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		owner := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		update := `mutation($m: [AccountingMappingInput!]!) { accountingMappingUpdate(mappings: $m) {
			accounts { role code name } userErrors { field message code } } }`
		d := s.data(t, owner, update, map[string]any{"m": []any{map[string]any{"role": "SALES", "code": "8400", "name": "Erlöse 19 % USt"},
			map[string]any{"role": "NOPE", "code": "1", "name": "x"}}})
		if userErrorCode(d, "accountingMappingUpdate") != "INVALID" || at(d, "accountingMappingUpdate.accounts") != nil {
			t.Fatalf("an unknown role: %v", d)
		}
		d = s.data(t, owner, update, map[string]any{"m": []any{map[string]any{"role": "SALES", "code": "8400", "name": "Erlöse 19 % USt"}}})
		noUserErrors(t, d, "accountingMappingUpdate")
		n, err := s.svc.DB.Client.AuditEntry.Query().Where(auditentry.Action("accountingMappingUpdate")).Count(context.Background())
		if err != nil || n != 1 {
			t.Errorf("audit entries of the mapping: %d, %v; want 1 (the refused one wrote nothing)", n, err)
		}
		d = s.data(t, owner, `{ accountingAccounts { role code name type } }`, nil)
		found := false
		for _, a := range at(d, "accountingAccounts").([]any) {
			if str(a, "role") == "SALES" {
				found = str(a, "code") == "8400" && str(a, "name") == "Erlöse 19 % USt" && str(a, "type") == "REVENUE"
			}
		}
		if !found {
			t.Errorf("chart after mapping: %v", d)
		}
		if e := s.queryError(t, `{ accountingAccounts { code } }`, nil); e.code() != "UNAUTHENTICATED" && e.code() != "FORBIDDEN" && e.code() != "ACCESS_DENIED" {
			t.Errorf("anonymous read of the chart: %v", e)
		}
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		id := placeOrder(t, s, tee, 1, payments.CardSuccess)
		for _, l := range orderJournal(t, s, id)[0].Edges.Lines {
			if l.Account == string(journal.Sales) && (l.AccountCode != "8400" || l.AccountName != "Erlöse 19 % USt") {
				t.Errorf("sales line posted as %s %s, want the mapping 8400", l.AccountCode, l.AccountName)
			}
		}
	})
}
