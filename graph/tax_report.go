package graph

import (
	"context"
	"errors"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/tax"
)

// taxReport builds the report of [from, to); a period the report refuses is the caller's mistake.
func taxReport(ctx context.Context, client *ent.Client, from, to time.Time) (tax.Report, error) {
	rep, err := tax.BuildReport(ctx, client, from, to)
	if errors.Is(err, tax.ErrReportPeriod) {
		return tax.Report{}, userError(err)
	}
	return rep, err
}

func taxReportModel(rep tax.Report) *model.TaxReport {
	out := &model.TaxReport{From: rep.From, To: rep.To, Rows: make([]*model.TaxReportRow, len(rep.Rows))}
	if rep.OriginCountry != "" {
		out.OriginCountryCode = &rep.OriginCountry
	}
	for i, r := range rep.Rows {
		m := func(amount int64) *money.Money { return ptr(money.New(amount, r.Currency)) }
		out.Rows[i] = &model.TaxReportRow{CurrencyCode: r.Currency, Jurisdiction: r.Jurisdiction, CountryCode: r.Country,
			RegionCode: r.Region, Treatment: r.Treatment, Oss: r.OSS, Title: r.Title, RatePercentage: tax.RatePercent(r.RatePPM),
			NetSales: m(r.NetSales), TaxCollected: m(r.Tax), RefundedNet: m(r.RefundedNet), RefundedTax: m(r.RefundedTax),
			NetTaxable: m(r.NetTaxable()), TaxDue: m(r.TaxDue())}
	}
	return out
}
