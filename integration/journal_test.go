package integration

import (
	"context"
	"encoding/base64"
	"maps"
	"math/rand/v2"
	"net/http"
	"strconv"
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

const journalEntriesQuery = `query($from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
	journalEntries(from: $from, to: $to, first: $first, after: $after) {
		edges { cursor node { id } }
		nodes { id postedAt kind reference orderId refundId memo currencyCode
			lines { account { role code name type } debit { amount currencyCode } credit { amount currencyCode } memo } }
		pageInfo { hasNextPage hasPreviousPage endCursor } } }`

// journalWalk pages through journalEntries in [from, to) with first as the page size and returns the
// entries in the order served, failing if a page is not what its pageInfo says.
func journalWalk(t *testing.T, s *server, header http.Header, from, to string, first int) []any {
	t.Helper()
	var all []any
	vars := map[string]any{"from": from, "to": to, "first": first}
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("journalEntries never ends: %d entries so far", len(all))
		}
		c := at(s.data(t, header, journalEntriesQuery, vars), "journalEntries")
		nodes, _ := at(c, "nodes").([]any)
		edges, _ := at(c, "edges").([]any)
		more, _ := at(c, "pageInfo.hasNextPage").(bool)
		if len(nodes) != len(edges) || len(nodes) > first || (more && len(nodes) != first) {
			t.Fatalf("page %d: %d nodes, %d edges, hasNextPage %v, want %d", page, len(nodes), len(edges), more, first)
		}
		for i, e := range edges {
			if str(e, "node.id") != str(nodes[i], "id") {
				t.Fatalf("page %d: edge %d is %s, node %s", page, i, str(e, "node.id"), str(nodes[i], "id"))
			}
		}
		if len(nodes) > 0 && str(c, "pageInfo.endCursor") != str(edges[len(edges)-1], "cursor") {
			t.Fatalf("page %d: endCursor %q is not the last edge's cursor", page, str(c, "pageInfo.endCursor"))
		}
		if prev, _ := at(c, "pageInfo.hasPreviousPage").(bool); prev != (page > 0) {
			t.Errorf("page %d: hasPreviousPage %v", page, prev)
		}
		all = append(all, nodes...)
		if !more {
			return all
		}
		vars["after"] = str(c, "pageInfo.endCursor")
	}
}

// TestJournalEntries reads the journal through the Admin API a page at a time: two orders placed through
// checkout and one partly refunded, then walked with first: 1 and with bounds; every entry balances,
// each is served exactly once, in posting order, with the lines the database holds.
func TestJournalEntries(t *testing.T) {
	eachFreshDB(t, withOwner(nil), func(t *testing.T, s *server) {
		tee := variantIDs(t, s, "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
		ownerToken := staffLogin(t, s, ownerEmail, ownerPassword)
		owner := bearer(ownerToken)
		first := placeOrder(t, s, tee, 3, payments.CardSuccess)
		second := placeOrder(t, s, tee, 1, payments.CardSuccess)
		line := str(at(s.data(t, owner, staffOrder, map[string]any{"id": first}), "order"), "lineItems.nodes.0.id")
		d := s.data(t, owner, refundMutation, map[string]any{"in": map[string]any{"orderId": first, "refundLineItems": []any{
			map[string]any{"lineItemId": line, "quantity": 1}}}})
		noUserErrors(t, d, "refundCreate")

		ctx := context.Background()
		want, err := s.svc.DB.Client.JournalEntry.Query().WithLines().
			Order(ent.Asc(journalentry.FieldCreatedAt), ent.Asc(journalentry.FieldID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) != 5 {
			t.Fatalf("%d entries in the database, want 5 (two orders placed and paid, one refund)", len(want))
		}
		const ever, never = "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z"
		got := journalWalk(t, s, owner, ever, never, 1)
		if len(got) != len(want) {
			t.Fatalf("walked %d entries, want %d", len(got), len(want))
		}
		var refund map[string]any
		for i, e := range got {
			if id := str(e, "id"); id != gid.Encode("JournalEntry", want[i].ID) {
				t.Errorf("entry %d is %s, want JournalEntry %d (each once, in posting order)", i, id, want[i].ID)
			}
			lines, _ := at(e, "lines").([]any)
			if len(lines) != len(want[i].Edges.Lines) || len(lines) < 2 {
				t.Errorf("entry %d: %d lines, want %d", i, len(lines), len(want[i].Edges.Lines))
			}
			sums := map[string]int64{}
			for _, l := range lines {
				if str(l, "account.role") == "" || str(l, "account.code") == "" || str(l, "account.name") == "" || str(l, "account.type") == "" {
					t.Errorf("entry %d: a line without its account: %v", i, l)
				}
				debit, credit := cents(t, str(l, "debit.amount")), cents(t, str(l, "credit.amount"))
				if (debit == 0) == (credit == 0) {
					t.Errorf("entry %d: line %v has both or neither of debit and credit", i, l)
				}
				sums[str(l, "debit.currencyCode")] += debit
				sums[str(l, "credit.currencyCode")] -= credit
			}
			for cur, diff := range sums {
				if diff != 0 || cur != str(e, "currencyCode") {
					t.Errorf("entry %d (%s) is off by %d %s", i, str(e, "kind"), diff, cur)
				}
			}
			if str(e, "kind") == journal.KindRefund {
				refund, _ = e.(map[string]any)
			}
		}
		if str(got[0], "kind") != journal.KindOrderPlaced || str(got[0], "orderId") != first ||
			str(got[0], "reference") != "#"+strconv.Itoa(1000+orderNumber(t, first)) {
			t.Errorf("first entry %v, want the placement of %s", got[0], first)
		}
		if str(got[2], "kind") != journal.KindOrderPlaced || str(got[2], "orderId") != second {
			t.Errorf("third entry %v, want the placement of %s", got[2], second)
		}
		if refund == nil || str(refund, "orderId") != first || str(refund, "refundId") == "" || str(refund, "reference") != str(got[0], "reference") {
			t.Fatalf("refund entry %v, want one on the first order", refund)
		}
		// As in TestJournalHandWorked: one of three tees back is 30.66 out of the clearing account.
		for _, l := range at(refund, "lines").([]any) {
			if str(l, "account.role") == string(journal.CashClearing) && (str(l, "credit.amount") != "30.66" || str(l, "account.code") != "1200") {
				t.Errorf("refund clearing line %v, want a credit of 30.66 on 1200", l)
			}
		}

		// [from, to): from the second entry's time up to, not including, the last entry's.
		from, to := str(got[1], "postedAt"), str(got[len(got)-1], "postedAt")
		var inside []string
		for _, e := range got {
			if p := str(e, "postedAt"); p >= from && p < to {
				inside = append(inside, str(e, "id"))
			}
		}
		bounded := journalWalk(t, s, owner, from, to, 1)
		if len(inside) == 0 || len(inside) == len(got) || len(bounded) != len(inside) {
			t.Fatalf("entries in [%s, %s): %d served, want %d of %d", from, to, len(bounded), len(inside), len(got))
		}
		for i, e := range bounded {
			if str(e, "id") != inside[i] {
				t.Errorf("bounded entry %d is %s, want %s", i, str(e, "id"), inside[i])
			}
		}
		if n := len(journalWalk(t, s, owner, never, ever, 10)); n != 0 {
			t.Errorf("an empty period served %d entries", n)
		}

		t.Run("statements do not grow with the page size", func(t *testing.T) {
			counts := map[int]int{}
			for _, n := range []int{1, 5} {
				s.data(t, owner, journalEntriesQuery, map[string]any{"from": ever, "to": never, "first": n})
				counts[n] = s.lastStatements()
			}
			t.Logf("%s journalEntries statements by page size: %v", s.name, counts)
			if counts[1] != counts[5] || counts[1] == 0 || counts[5] > maxStatements {
				t.Errorf("statements %v, want the same for both and at most %d", counts, maxStatements)
			}
		})

		t.Run("bad arguments are the caller's", func(t *testing.T) {
			raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
			for _, c := range []struct {
				name string
				vars map[string]any
				msg  string
			}{
				{"cursor not base64", map[string]any{"after": "not a cursor!"}, "invalid pagination arguments: cursor"},
				{"cursor not JSON", map[string]any{"after": raw("{nope")}, "invalid pagination arguments: cursor"},
				{"cursor of another sort key", map[string]any{"after": raw(`{"k":"ID","i":1}`)}, "invalid pagination arguments: cursor"},
				{"cursor with a malformed time", map[string]any{"after": raw(`{"k":"POSTED_AT","v":"yesterday","i":1}`)}, "invalid pagination arguments: cursor value"},
				{"cursor without an ID", map[string]any{"after": raw(`{"k":"POSTED_AT","v":"2026-01-01T00:00:00Z"}`)}, "invalid pagination arguments: cursor"},
				{"first over 250", map[string]any{"first": 251}, "invalid pagination arguments: first and last must be between 0 and 250"},
				{"first negative", map[string]any{"first": -1}, "invalid pagination arguments: first and last must be between 0 and 250"},
				{"from not a time", map[string]any{"from": "yesterday"}, "DateTime must be an RFC 3339 time"},
			} {
				t.Run(c.name, func(t *testing.T) {
					vars := map[string]any{"from": ever, "to": never, "first": 1}
					maps.Copy(vars, c.vars)
					r := s.postAs(t, owner, journalEntriesQuery, vars)
					if len(r.Errors) != 1 || r.Errors[0].code() != "BAD_USER_INPUT" || strings.Contains(string(r.Data), "JournalEntry") {
						t.Fatalf("status %d, data %s, errors %+v; want BAD_USER_INPUT alone", r.Status, r.Data, r.Errors)
					}
					if !strings.HasPrefix(r.Errors[0].Message, c.msg) {
						t.Errorf("message %q, want it to start %q", r.Errors[0].Message, c.msg)
					}
				})
			}
		})

		t.Run("refused without READ_ORDERS", func(t *testing.T) {
			group := createGroup(t, s, ownerToken, "Catalogue", "MANAGE_PRODUCTS")
			createStaff(t, s, ownerToken, "catalogue@example.com", "catalogue-password-1", group)
			catalogue := bearer(staffLogin(t, s, "catalogue@example.com", "catalogue-password-1"))
			vars := map[string]any{"from": ever, "to": never, "first": 1}
			for _, c := range []struct {
				name   string
				header http.Header
				code   string
			}{
				{"anonymous", nil, "UNAUTHENTICATED"},
				{"staff who manage products", catalogue, "FORBIDDEN"},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := s.postAs(t, c.header, journalEntriesQuery, vars)
					if len(r.Errors) != 1 || r.Errors[0].code() != c.code || string(r.Data) != "null" {
						t.Errorf("status %d, data %s, errors %+v; want %s and no data", r.Status, r.Data, r.Errors, c.code)
					}
				})
			}
		})
	})
}

// orderNumber is the database ID of an order's global ID.
func orderNumber(t *testing.T, orderGID string) int {
	t.Helper()
	n, err := gid.DecodeType(orderGID, "Order")
	if err != nil {
		t.Fatalf("order id %q: %v", orderGID, err)
	}
	return n
}
