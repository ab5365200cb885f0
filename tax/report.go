package tax

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/ent/refund"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/prorata"
)

// A tax report is what an accountant files a return from: per currency, jurisdiction, tax and rate,
// the net sales taxed and the tax collected in a period, less the refunds made in that period.
//
// Periods: a sale belongs to the period its order was placed in (created_at in [from, to)), a refund to
// the period it was made in, whatever the order's: a return of May corrects May's return, not March's.
// Voided orders (never paid) are not sales.
//
// Rows come from the tax lines orders keep (title, exact rate in ppm, jurisdiction, net base, tax). What
// an order sold without tax (reverse charge to an EU business, an exempt customer, untaxed lines) is a
// row of its own at rate 0 under the order's treatment, so that the rows add up to the net sales.
//
// Refunds record units, shipping and an amount, not tax: they are cut by package prorata, the rule
// their credit notes, journal entries and amounts paid back follow too: refunded units at their line's
// net and tax, shipping at the shipping's tax share, each after what earlier refunds of the order took
// (so the parts of a line add up to it exactly), and whatever else the refund paid back (an amount
// without units) at the rate of the order's largest taxable amount, what it sold untaxed competing at
// 0 %. A refunded line's tax goes to the order's tax line whose rate is nearest to the line's own
// tax/net, as invoices rate their lines (lines keep their tax, not their rate).
//
// OSS: a row is flagged OSS when an EU shop (the origin country the order was taxed with; the tax
// settings' for orders older than that record) charged another EU member state's VAT to a consumer: the sales its One-Stop-Shop return declares. Reverse-charge rows are
// never OSS: the buyer accounts for that VAT, and the shop declares those sales in its domestic return
// and EC Sales List.

// MaxReportPeriod is the longest period a report covers: a year (366 days, for leap years).
const MaxReportPeriod = 366 * 24 * time.Hour

// ErrReportPeriod is returned for a period that is empty, reversed or longer than MaxReportPeriod.
var ErrReportPeriod = errors.New("the period must end after it starts and last at most 366 days")

// reportPage is how many orders or refunds a report reads at a time: memory stays bounded by the page
// and the number of rows, never by the number of orders in the period.
const reportPage = 500

// Untaxed titles: the row of what an order sold without tax, by the order's treatment.
const (
	TitleReverseCharge = "Reverse charge"
	TitleExempt        = "Exempt"
	TitleNotTaxed      = "Not taxed"
)

// ReportRow is the tax of one currency, jurisdiction, treatment, title and rate in a period. Amounts are
// minor units of Currency.
type ReportRow struct {
	Currency string
	// Jurisdiction is where the tax is owed: FR, US-OH; Country and Region are its parts.
	Jurisdiction, Country, Region string
	Treatment                     string // STANDARD, REVERSE_CHARGE or EXEMPT
	OSS                           bool
	Title                         string
	RatePPM                       int
	NetSales, Tax                 int64 // of the orders placed in the period
	RefundedNet, RefundedTax      int64 // of the refunds made in the period
}

// NetTaxable is the net sales less the net refunded.
func (r ReportRow) NetTaxable() int64 { return r.NetSales - r.RefundedNet }

// TaxDue is the tax collected less the tax refunded.
func (r ReportRow) TaxDue() int64 { return r.Tax - r.RefundedTax }

// Report is the tax report of [From, To).
type Report struct {
	From, To time.Time
	// OriginCountry is the shop's today, from the tax settings; OSS flags are decided by the origin each
	// order was taxed with, and by this one for orders older than that record.
	OriginCountry string
	Rows          []ReportRow
}

type rowKey struct {
	currency, jurisdiction, treatment, title string
	ppm                                      int
	oss                                      bool
}

// BuildReport is the tax report of the orders placed and the refunds made in [from, to).
func BuildReport(ctx context.Context, client *ent.Client, from, to time.Time) (Report, error) {
	if !to.After(from) || to.Sub(from) > MaxReportPeriod {
		return Report{}, ErrReportPeriod
	}
	settings, err := LoadSettings(ctx, client)
	if err != nil {
		return Report{}, err
	}
	b := &reportBuilder{rows: map[rowKey]*ReportRow{}, origin: settings.OriginCountry}
	if err := b.sales(ctx, client, from, to); err != nil {
		return Report{}, err
	}
	if err := b.refunds(ctx, client, from, to); err != nil {
		return Report{}, err
	}
	rep := Report{From: from, To: to, OriginCountry: settings.OriginCountry, Rows: make([]ReportRow, 0, len(b.rows))}
	for _, r := range b.rows {
		rep.Rows = append(rep.Rows, *r)
	}
	slices.SortFunc(rep.Rows, func(a, b ReportRow) int {
		return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Country, b.Country), cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.Treatment, b.Treatment), cmp.Compare(b.RatePPM, a.RatePPM), cmp.Compare(a.Title, b.Title))
	})
	return rep, nil
}

type reportBuilder struct {
	rows   map[rowKey]*ReportRow
	origin string
}

// orderFields are what a report reads of an order.
var orderFields = []string{entorder.FieldID, entorder.FieldCreatedAt, entorder.FieldCurrency, entorder.FieldTotal, entorder.FieldTaxTotal,
	entorder.FieldTaxesIncluded, entorder.FieldShippingTotal, entorder.FieldShippingTax, entorder.FieldTaxLines,
	entorder.FieldTaxTreatment, entorder.FieldTaxOriginCountry, entorder.FieldShippingAddress, entorder.FieldBillingAddress, entorder.FieldFinancialStatus}

// sales adds the orders placed in [from, to), read in pages in the order of the (created_at, id) index.
func (b *reportBuilder) sales(ctx context.Context, client *ent.Client, from, to time.Time) error {
	last, lastAt := 0, from
	for {
		os, err := client.Order.Query().
			Where(entorder.CreatedAtGTE(from), entorder.CreatedAtLT(to), entorder.FinancialStatusNEQ(entorder.FinancialStatusVOIDED),
				entorder.Or(entorder.CreatedAtGT(lastAt), entorder.And(entorder.CreatedAtEQ(lastAt), entorder.IDGT(last)))).
			Order(ent.Asc(entorder.FieldCreatedAt), ent.Asc(entorder.FieldID)).Limit(reportPage).Select(orderFields...).All(ctx)
		if err != nil {
			return fmt.Errorf("tax: report orders: %w", err)
		}
		for _, o := range os {
			var based int64
			for _, t := range o.TaxLines {
				r := b.row(o, t)
				r.NetSales += t.Base
				r.Tax += t.Amount
				based += t.Base
			}
			// What the order sold without tax: its net (the total less the tax, whether prices include
			// it or not) less the bases of its tax lines.
			if rest := o.Total - o.TaxTotal - based; rest != 0 {
				b.untaxed(o).NetSales += rest
			}
			last, lastAt = o.ID, o.CreatedAt
		}
		if len(os) < reportPage {
			return nil
		}
	}
}

// refunds adds the refunds made in [from, to), read in pages in the order of the (created_at, id) index
// with their orders and refunded lines.
func (b *reportBuilder) refunds(ctx context.Context, client *ent.Client, from, to time.Time) error {
	last, lastAt := 0, from
	for {
		rs, err := client.Refund.Query().Where(refund.CreatedAtGTE(from), refund.CreatedAtLT(to),
			refund.Or(refund.CreatedAtGT(lastAt), refund.And(refund.CreatedAtEQ(lastAt), refund.IDGT(last)))).
			Order(ent.Asc(refund.FieldCreatedAt), ent.Asc(refund.FieldID)).Limit(reportPage).All(ctx)
		if err != nil {
			return fmt.Errorf("tax: report refunds: %w", err)
		}
		if len(rs) == 0 {
			return nil
		}
		orderIDs := make([]int, 0, len(rs))
		var lineIDs []int
		for _, r := range rs {
			orderIDs = append(orderIDs, r.OrderID)
			for id := range r.Lines {
				lineIDs = append(lineIDs, id)
			}
		}
		os, err := client.Order.Query().Where(entorder.IDIn(orderIDs...)).Select(orderFields...).All(ctx)
		if err != nil {
			return fmt.Errorf("tax: report refunded orders: %w", err)
		}
		orders := make(map[int]*ent.Order, len(os))
		for _, o := range os {
			orders[o.ID] = o
		}
		lines := map[int]*ent.OrderLine{}
		for chunk := range slices.Chunk(lineIDs, reportPage) {
			ls, err := client.OrderLine.Query().Where(orderline.IDIn(chunk...)).
				Select(orderline.FieldID, orderline.FieldQuantity, orderline.FieldTotal, orderline.FieldTax).All(ctx)
			if err != nil {
				return fmt.Errorf("tax: report refunded lines: %w", err)
			}
			for _, l := range ls {
				lines[l.ID] = l
			}
		}
		// What the orders' earlier refunds took: a refund's parts are cut after them (package prorata).
		maxID := 0
		for _, r := range rs {
			maxID = max(maxID, r.ID)
		}
		earlier, err := client.Refund.Query().Where(refund.OrderIDIn(orderIDs...), refund.IDLT(maxID)).
			Select(refund.FieldID, refund.FieldOrderID, refund.FieldLines, refund.FieldShipping).All(ctx)
		if err != nil {
			return fmt.Errorf("tax: report earlier refunds: %w", err)
		}
		for _, r := range rs {
			if o := orders[r.OrderID]; o != nil && o.FinancialStatus != entorder.FinancialStatusVOIDED {
				b.refund(o, r, lines, takenBefore(r, earlier))
			}
			last, lastAt = r.ID, r.CreatedAt
		}
		if len(rs) < reportPage {
			return nil
		}
	}
}

// takenBefore is what the refunds of r's order before r took back.
func takenBefore(r *ent.Refund, refunds []*ent.Refund) prorata.Taken {
	var t prorata.Taken
	for _, e := range refunds {
		if e.OrderID == r.OrderID && e.ID < r.ID {
			t.Add(e.Lines, e.Shipping)
		}
	}
	return t
}

// refund cuts r as package prorata does (as its credit note and journal entry are cut) and adds its
// parts to the rows.
func (b *reportBuilder) refund(o *ent.Order, r *ent.Refund, lines map[int]*ent.OrderLine, taken prorata.Taken) {
	po := prorata.Order{TaxesIncluded: o.TaxesIncluded, ShippingTax: o.ShippingTax, ShippingNet: o.ShippingTotal}
	if o.TaxesIncluded {
		po.ShippingNet -= o.ShippingTax
	}
	for _, id := range sortedIDs(r.Lines) {
		if l := lines[id]; l != nil {
			po.Lines = append(po.Lines, prorata.Line{ID: l.ID, Quantity: l.Quantity, Net: lineNet(o, l), Tax: l.Tax})
		}
	}
	// The order's taxable amounts by rate, what it sold untaxed competing at 0 %.
	var based int64
	for _, t := range o.TaxLines {
		po.Rates = append(po.Rates, prorata.Rate{PPM: ratePPMOf(t), Base: t.Base})
		based += t.Base
	}
	if untaxed := o.Total - o.TaxTotal - based; untaxed > 0 {
		po.Rates = append(po.Rates, prorata.Rate{Base: untaxed})
	}
	// The row of a line or the shipping, which was net taxed tax: by the whole line's rate, not the
	// refunded share's, which rounding moves. Rows are made only when used, so that no empty row shows.
	rowOf := func(net, tax int64) *ReportRow {
		if tax != 0 {
			if t := nearest(o.TaxLines, net, tax); t != nil {
				return b.row(o, *t)
			}
		}
		return b.untaxed(o)
	}
	for _, p := range prorata.Split(po, taken, prorata.Refund{Units: r.Lines, Shipping: r.Shipping, Amount: r.Amount}) {
		var row *ReportRow
		switch {
		case p.Shipping:
			row = rowOf(po.ShippingNet, po.ShippingTax)
		case p.LineID != 0:
			l := lines[p.LineID]
			row = rowOf(lineNet(o, l), l.Tax)
		case p.Rate >= 0 && p.Rate < len(o.TaxLines):
			row = b.row(o, o.TaxLines[p.Rate])
		default:
			row = b.untaxed(o)
		}
		row.RefundedNet += p.Net
		row.RefundedTax += p.Tax
	}
}

// lineNet is l's amount without tax.
func lineNet(o *ent.Order, l *ent.OrderLine) int64 {
	if o.TaxesIncluded {
		return l.Total - l.Tax
	}
	return l.Total
}

// nearest is the tax line whose rate is nearest to tax/net: the rate a line of the order was taxed at.
func nearest(taxLines []schema.TaxLine, net, tax int64) *schema.TaxLine {
	if len(taxLines) == 0 {
		return nil
	}
	if len(taxLines) == 1 || net == 0 {
		return &taxLines[0]
	}
	effective := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(tax), big.NewInt(1_000_000)), big.NewInt(net))
	var best *schema.TaxLine
	var bestDiff *big.Rat
	for i, t := range taxLines {
		d := new(big.Rat).Sub(effective, new(big.Rat).SetInt64(int64(ratePPMOf(t))))
		d.Abs(d)
		if best == nil || d.Cmp(bestDiff) < 0 {
			best, bestDiff = &taxLines[i], d
		}
	}
	return best
}

func sortedIDs(m map[int]int) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// ratePPMOf is a tax line's exact rate; lines written before rates were kept in ppm have basis points.
func ratePPMOf(t schema.TaxLine) int {
	if t.RatePPM != 0 {
		return t.RatePPM
	}
	return t.RateBPS * 100
}

// row is the row of tax line t of order o, created empty when new.
func (b *reportBuilder) row(o *ent.Order, t schema.TaxLine) *ReportRow {
	j := t.Jurisdiction
	if j == "" { // lines written before they kept it: where the order went
		j = destination(o)
	}
	k := rowKey{currency: o.Currency, jurisdiction: j, treatment: string(o.TaxTreatment), title: t.Title, ppm: ratePPMOf(t)}
	country, _, _ := strings.Cut(j, "-")
	origin := cmp.Or(o.TaxOriginCountry, b.origin)
	k.oss = k.treatment == Standard && k.ppm > 0 && InEU(country) && InEU(origin) && country != origin
	return b.get(k)
}

// untaxed is the row of what order o sold without tax.
func (b *reportBuilder) untaxed(o *ent.Order) *ReportRow {
	title := TitleNotTaxed
	switch string(o.TaxTreatment) {
	case ReverseCharge:
		title = TitleReverseCharge
	case Exempt:
		title = TitleExempt
	}
	return b.get(rowKey{currency: o.Currency, jurisdiction: destination(o), treatment: string(o.TaxTreatment), title: title})
}

func (b *reportBuilder) get(k rowKey) *ReportRow {
	if r := b.rows[k]; r != nil {
		return r
	}
	country, region, _ := strings.Cut(k.jurisdiction, "-")
	r := &ReportRow{Currency: k.currency, Jurisdiction: k.jurisdiction, Country: country, Region: region,
		Treatment: k.treatment, Title: k.title, RatePPM: k.ppm}
	r.OSS = k.oss
	b.rows[k] = r
	return r
}

// destination is the jurisdiction an order went to, as Compute names it: the country, or US-<state>.
func destination(o *ent.Order) string {
	a := o.ShippingAddress
	if len(a) == 0 {
		a = o.BillingAddress
	}
	country := strings.ToUpper(a["countryCode"])
	if country == "US" && a["provinceCode"] != "" {
		return "US-" + strings.ToUpper(a["provinceCode"])
	}
	return country
}

// RatePercent is a rate in millionths as an exact percentage: 20, 5.5, 8.875.
func RatePercent(ppm int) string {
	s := big.NewRat(int64(ppm), 10000).FloatString(4)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// ReportCSVHeader is the header row of a report's CSV export.
var ReportCSVHeader = []string{"currency", "country", "region", "jurisdiction", "treatment", "oss", "tax", "rate_percent",
	"net_sales", "tax_collected", "refunded_net", "refunded_tax", "net_taxable", "tax_due"}

// CSV is the report as a CSV file: ReportCSVHeader, then one line per row, amounts as exact decimals in
// the row's currency.
func (rep Report) CSV() (string, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(ReportCSVHeader)
	for _, r := range rep.Rows {
		dec := func(amount int64) string { return money.New(amount, r.Currency).Decimal() }
		_ = w.Write([]string{r.Currency, r.Country, r.Region, r.Jurisdiction, r.Treatment, strconv.FormatBool(r.OSS), cell(r.Title),
			RatePercent(r.RatePPM), dec(r.NetSales), dec(r.Tax), dec(r.RefundedNet), dec(r.RefundedTax), dec(r.NetTaxable()), dec(r.TaxDue())})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", fmt.Errorf("tax: report csv: %w", err)
	}
	return buf.String(), nil
}

// cell keeps a spreadsheet from running text as a formula (a tax named "=1+1"): such text gets a
// leading apostrophe, which spreadsheets show as text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
