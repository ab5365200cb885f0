package journal

import (
	"context"
	"fmt"
	"strings"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/accountingaccount"
	"github.com/emporium/emporium/validation"
)

// Mapping is the shop's code and name for a role of the chart.
type Mapping struct {
	Role       string
	Code, Name string
}

// UpdateMapping maps each role of ms to its code and name, all or none, and returns the chart.
func UpdateMapping(ctx context.Context, c *ent.Client, ms []Mapping) ([]Account, validation.Errors, error) {
	var errs validation.Errors
	for i, m := range ms {
		field := fmt.Sprintf("mappings.%d", i)
		if !ValidRole(Role(m.Role)) {
			errs.Add(field+".role", validation.Invalid, "Unknown account role "+m.Role)
		}
		ms[i].Code = strings.TrimSpace(errs.Text(field+".code", m.Code, 50))
		ms[i].Name = strings.TrimSpace(errs.Text(field+".name", m.Name, 150))
		if ms[i].Code == "" {
			errs.Add(field+".code", validation.Blank, "The account code is blank")
		}
		if ms[i].Name == "" {
			errs.Add(field+".name", validation.Blank, "The account name is blank")
		}
	}
	if errs.Any() {
		return nil, errs, nil
	}
	err := database.WithTx(ctx, c, func(tx *ent.Tx) error {
		for _, m := range ms {
			err := tx.AccountingAccount.Create().SetRole(m.Role).SetCode(m.Code).SetName(m.Name).
				OnConflictColumns(accountingaccount.FieldRole).UpdateNewValues().Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("journal: update mapping: %w", err)
	}
	chart, err := Chart(ctx, c)
	return chart, nil, err
}
