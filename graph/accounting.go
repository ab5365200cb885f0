package graph

import (
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/money"
)

// accountingAccounts is the chart as the Admin API shows it; nil stays nil (a refused update).
func accountingAccounts(chart []journal.Account) []*model.AccountingAccount {
	if chart == nil {
		return nil
	}
	out := make([]*model.AccountingAccount, len(chart))
	for i, a := range chart {
		out[i] = &model.AccountingAccount{Role: string(a.Role), Code: a.Code, Name: a.Name, Type: a.Type}
	}
	return out
}

// journalEntryConnection is a page of the journal as the Admin API shows it.
func journalEntryConnection(p journal.EntryPage) *model.JournalEntryConnection {
	edges, rows, info := connection(p, func(c string, e *ent.JournalEntry) *model.JournalEntryEdge {
		return &model.JournalEntryEdge{Cursor: c, Node: journalEntry(e)}
	})
	nodes := make([]*model.JournalEntry, len(rows))
	for i, e := range edges {
		nodes[i] = e.Node
	}
	return &model.JournalEntryConnection{Edges: edges, Nodes: nodes, PageInfo: info}
}

// journalEntry is e, with its lines loaded; each line shows the code and name it was posted under, not
// today's mapping, so that what an accountant imported stays what the API shows.
func journalEntry(e *ent.JournalEntry) *model.JournalEntry {
	out := &model.JournalEntry{ID: gid.Encode("JournalEntry", e.ID), PostedAt: e.CreatedAt.UTC(), Kind: e.Kind,
		PaymentReference: e.PaymentReference, Memo: e.Memo, CurrencyCode: e.Currency, Lines: make([]*model.JournalLine, len(e.Edges.Lines))}
	if e.OrderID != nil {
		id, name := gid.Encode("Order", *e.OrderID), journal.OrderName(*e.OrderID)
		out.OrderID, out.Reference = &id, &name
	}
	if e.RefundID != nil {
		id := gid.Encode("Refund", *e.RefundID)
		out.RefundID = &id
	}
	for i, l := range e.Edges.Lines {
		debit, credit := money.New(l.Debit, l.Currency), money.New(l.Credit, l.Currency)
		out.Lines[i] = &model.JournalLine{Account: &model.AccountingAccount{Role: l.Account, Code: l.AccountCode, Name: l.AccountName,
			Type: journal.AccountType(journal.Role(l.Account))}, Debit: &debit, Credit: &credit, Memo: l.Memo}
	}
	return out
}
