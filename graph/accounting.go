package graph

import (
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/journal"
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
