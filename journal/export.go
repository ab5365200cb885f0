package journal

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/journalentry"
	"github.com/emporium/emporium/money"
)

// Export formats.
const (
	FormatXero       = "XERO"
	FormatQuickBooks = "QUICKBOOKS"
)

// maxExport bounds one export; a longer period is exported in parts.
const maxExport = 10000

// Entries is the entries posted in [from, to), oldest first, with their lines.
func Entries(ctx context.Context, c *ent.Client, from, to time.Time, limit int) ([]*ent.JournalEntry, error) {
	es, err := c.JournalEntry.Query().Where(journalentry.CreatedAtGTE(from), journalentry.CreatedAtLT(to)).
		WithLines().Order(ent.Asc(journalentry.FieldCreatedAt), ent.Asc(journalentry.FieldID)).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("journal: entries: %w", err)
	}
	return es, nil
}

// ExportCSV is the entries posted in [from, to) as a CSV file in the column layout the format's
// importer reads:
//   - XERO, the Manual Journal import: Narration, Date (dd/mm/yyyy), Description, AccountCode,
//     TaxRate, Amount (positive a debit, negative a credit), TrackingName1, TrackingOption1. Lines of
//     one journal share narration and date, so the narration carries the entry's number. TaxRate is
//     "No VAT" (Xero's zero-rate name in UK-style organisations): the tax is on its own account line
//     already, and Xero must not add any.
//   - QUICKBOOKS, QuickBooks Online's Journal Entry import: JournalNo, JournalDate (MM/DD/YYYY),
//     AccountName, Debits, Credits, Description, Name, Currency. QuickBooks matches accounts by name.
func ExportCSV(ctx context.Context, c *ent.Client, format string, from, to time.Time) (string, error) {
	es, err := Entries(ctx, c, from, to, maxExport)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	dec := func(amount int64, currency string) string { return money.New(amount, currency).Decimal() }
	switch format {
	case FormatXero:
		_ = w.Write([]string{"*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount", "TrackingName1", "TrackingOption1"})
		for _, e := range es {
			narration := fmt.Sprintf("JE%d %s", e.ID, e.Memo)
			for _, l := range e.Edges.Lines {
				_ = w.Write([]string{narration, e.CreatedAt.UTC().Format("02/01/2006"), l.AccountName + " " + e.Kind,
					l.AccountCode, "No VAT", dec(l.Debit-l.Credit, l.Currency), "", ""})
			}
		}
	case FormatQuickBooks:
		_ = w.Write([]string{"JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name", "Currency"})
		for _, e := range es {
			for _, l := range e.Edges.Lines {
				debit, credit := "", ""
				if l.Debit > 0 {
					debit = dec(l.Debit, l.Currency)
				}
				if l.Credit > 0 {
					credit = dec(l.Credit, l.Currency)
				}
				_ = w.Write([]string{"JE" + strconv.Itoa(e.ID), e.CreatedAt.UTC().Format("01/02/2006"), l.AccountName, debit, credit,
					e.Memo, "", l.Currency})
			}
		}
	default:
		return "", fmt.Errorf("journal: unknown export format %q", format)
	}
	w.Flush()
	return b.String(), w.Error()
}
