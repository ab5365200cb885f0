// Package journal is Emporium's double-entry bookkeeping. Each business change that moves value (an
// order placed, its payment captured, a refund, a cancellation) posts one balanced entry to the journal
// in the change's own transaction, so the books hold exactly the changes that committed. Amounts are
// integer minor units; an entry balances per currency (sum of debits = sum of credits) or is refused.
package journal

import (
	"context"
	"errors"
	"fmt"

	"time"

	"github.com/emporium/emporium/ent"
)

// Role is the part an account plays in the chart; the shop maps each role to its own code and name.
type Role string

// The chart of accounts.
const (
	Bank         Role = "BANK"
	Receivable   Role = "RECEIVABLE"
	CashClearing Role = "CASH_CLEARING"
	Sales        Role = "SALES"
	Shipping     Role = "SHIPPING"
	Discounts    Role = "DISCOUNTS"
	TaxPayable   Role = "TAX_PAYABLE"
	Refunds      Role = "REFUNDS"
	PaymentFees  Role = "PAYMENT_FEES"
	Disputes     Role = "DISPUTES"
)

// Account is a role of the chart with the code and name it is booked under.
type Account struct {
	Role Role
	Code string
	Name string
	Type string // ASSET, LIABILITY, REVENUE, EXPENSE: what an accountant needs to place it
}

// DefaultChart is the chart a shop starts with; codes follow the usual small-business numbering
// (1xxx assets, 2xxx liabilities, 4xxx revenue, 6xxx expenses).
var DefaultChart = []Account{
	{Bank, "1000", "Bank", "ASSET"},
	{Receivable, "1100", "Accounts receivable", "ASSET"},
	{CashClearing, "1200", "Payment clearing", "ASSET"},
	{TaxPayable, "2200", "Sales tax / VAT payable", "LIABILITY"},
	{Sales, "4000", "Sales revenue", "REVENUE"},
	{Shipping, "4100", "Shipping revenue", "REVENUE"},
	{Discounts, "4900", "Discounts (contra revenue)", "REVENUE"},
	{Refunds, "4950", "Refunds (contra revenue)", "REVENUE"},
	{PaymentFees, "6100", "Payment fees", "EXPENSE"},
	{Disputes, "6200", "Disputes and chargebacks", "EXPENSE"},
}

// ValidRole reports whether r is a role of the chart.
func ValidRole(r Role) bool {
	for _, a := range DefaultChart {
		if a.Role == r {
			return true
		}
	}
	return false
}

// Line is one debit or credit of an entry. Exactly one of Debit and Credit is positive.
type Line struct {
	Account Role
	Debit   int64
	Credit  int64
	Memo    string
}

// Entry is a set of lines in one currency that must balance.
type Entry struct {
	Kind             string
	Currency         string
	OrderID          *int
	RefundID         *int
	PaymentReference string
	Memo             string
	Lines            []Line
}

// Entry kinds.
const (
	KindOrderPlaced     = "order_placed"
	KindPaymentCaptured = "payment_captured"
	KindRefund          = "refund"
	KindOrderCancelled  = "order_cancelled"
	KindDispute         = "dispute"
	KindDisputeWon      = "dispute_won"
	KindPayout          = "payout"
	KindPayoutFailed    = "payout_failed"
)

// ErrUnbalanced is an entry whose debits and credits differ.
var ErrUnbalanced = errors.New("journal: entry does not balance")

// Check refuses an entry that does not balance, has a negative amount, or has no lines.
func Check(e Entry) error {
	if e.Currency == "" {
		return fmt.Errorf("journal: %s: no currency", e.Kind)
	}
	var debit, credit int64
	for _, l := range e.Lines {
		if l.Debit < 0 || l.Credit < 0 || (l.Debit > 0 && l.Credit > 0) {
			return fmt.Errorf("journal: %s: line %s: debit %d, credit %d", e.Kind, l.Account, l.Debit, l.Credit)
		}
		if !ValidRole(l.Account) {
			return fmt.Errorf("journal: %s: unknown account %q", e.Kind, l.Account)
		}
		debit += l.Debit
		credit += l.Credit
	}
	if debit != credit {
		return fmt.Errorf("%w: %s debits %d, credits %d %s", ErrUnbalanced, e.Kind, debit, credit, e.Currency)
	}
	return nil
}

// compact drops zero lines and turns negative amounts into the other side, so that a computed part
// that came out negative (a rounding cent) still books correctly.
func compact(lines []Line) []Line {
	out := lines[:0:0]
	for _, l := range lines {
		d := l.Debit - l.Credit
		switch {
		case d > 0:
			out = append(out, Line{Account: l.Account, Debit: d, Memo: l.Memo})
		case d < 0:
			out = append(out, Line{Account: l.Account, Credit: -d, Memo: l.Memo})
		}
	}
	return out
}

// Reversed is e with every debit turned into a credit and back.
func Reversed(e Entry) Entry {
	r := e
	r.Lines = make([]Line, len(e.Lines))
	for i, l := range e.Lines {
		r.Lines[i] = Line{Account: l.Account, Debit: l.Credit, Credit: l.Debit, Memo: l.Memo}
	}
	return r
}

// Chart is the shop's accounts: the default chart with its own codes and names over it.
func Chart(ctx context.Context, c *ent.Client) ([]Account, error) {
	rows, err := c.AccountingAccount.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal: chart: %w", err)
	}
	return overlay(rows), nil
}

func chartTx(ctx context.Context, tx *ent.Tx) (map[Role]Account, error) {
	rows, err := tx.AccountingAccount.Query().All(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal: chart: %w", err)
	}
	m := map[Role]Account{}
	for _, a := range overlay(rows) {
		m[a.Role] = a
	}
	return m, nil
}

func overlay(rows []*ent.AccountingAccount) []Account {
	chart := make([]Account, len(DefaultChart))
	copy(chart, DefaultChart)
	for _, r := range rows {
		for i := range chart {
			if string(chart[i].Role) == r.Role {
				chart[i].Code, chart[i].Name = r.Code, r.Name
			}
		}
	}
	return chart
}

// Post writes e in tx, the transaction of the change it records, if it balances. An entry with no
// non-zero line records nothing. Announce, when not nil, is called with the written entry in tx (the
// accounting/journal_entry event).
func Post(ctx context.Context, tx *ent.Tx, e Entry, announce func(ctx context.Context, tx *ent.Tx, je *ent.JournalEntry) error) error {
	e.Lines = compact(e.Lines)
	if len(e.Lines) == 0 {
		return nil
	}
	if err := Check(e); err != nil {
		return err
	}
	chart, err := chartTx(ctx, tx)
	if err != nil {
		return err
	}
	je, err := tx.JournalEntry.Create().SetKind(e.Kind).SetCurrency(e.Currency).SetNillableOrderID(e.OrderID).
		SetNillableRefundID(e.RefundID).SetPaymentReference(e.PaymentReference).SetMemo(e.Memo).
		SetCreatedAt(time.Now().UTC()).Save(ctx)
	if err != nil {
		return fmt.Errorf("journal: post %s: %w", e.Kind, err)
	}
	builders := make([]*ent.JournalLineCreate, len(e.Lines))
	for i, l := range e.Lines {
		a := chart[l.Account]
		builders[i] = tx.JournalLine.Create().SetEntryID(je.ID).SetAccount(string(l.Account)).SetAccountCode(a.Code).
			SetAccountName(a.Name).SetDebit(l.Debit).SetCredit(l.Credit).SetCurrency(e.Currency).SetMemo(l.Memo)
	}
	lines, err := tx.JournalLine.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return fmt.Errorf("journal: post %s lines: %w", e.Kind, err)
	}
	je.Edges.Lines = lines
	if announce != nil {
		return announce(ctx, tx, je)
	}
	return nil
}

// Balances sums the lines of entries by currency and account role: debit minus credit.
func Balances(entries []*ent.JournalEntry) map[string]map[Role]int64 {
	out := map[string]map[Role]int64{}
	for _, e := range entries {
		for _, l := range e.Edges.Lines {
			if out[l.Currency] == nil {
				out[l.Currency] = map[Role]int64{}
			}
			out[l.Currency][Role(l.Account)] += l.Debit - l.Credit
		}
	}
	return out
}
