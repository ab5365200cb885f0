package graph

import (
	"context"
	"time"

	"github.com/emporium/emporium/ent"
	entinvoice "github.com/emporium/emporium/ent/invoice"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/model"
)

// maxInvoicePage bounds a page of the staff's invoice listing.
const maxInvoicePage = 250

// invoiceConnection is a page of documents in issue order, issued in [from, to); the cursor is a
// document's global ID.
func invoiceConnection(ctx context.Context, client *ent.Client, first *int, after *string, from, to *time.Time) (*model.InvoiceConnection, error) {
	n := 50
	if first != nil {
		n = min(max(*first, 0), maxInvoicePage)
	}
	q := client.Invoice.Query().Order(ent.Asc(entinvoice.FieldID))
	if after != nil && *after != "" {
		id, err := decodeID(*after, "Invoice")
		if err != nil {
			return nil, err
		}
		q.Where(entinvoice.IDGT(id))
	}
	if from != nil {
		q.Where(entinvoice.IssuedAtGTE(*from))
	}
	if to != nil {
		q.Where(entinvoice.IssuedAtLT(*to))
	}
	docs, err := q.Limit(n + 1).All(ctx)
	if err != nil {
		return nil, err
	}
	page := &model.InvoiceConnection{PageInfo: &model.PageInfo{HasNextPage: len(docs) > n, HasPreviousPage: after != nil && *after != ""}}
	if len(docs) > n {
		docs = docs[:n]
	}
	page.Nodes = docs
	if len(docs) > 0 {
		start, end := gid.Encode("Invoice", docs[0].ID), gid.Encode("Invoice", docs[len(docs)-1].ID)
		page.PageInfo.StartCursor, page.PageInfo.EndCursor = &start, &end
	}
	return page, nil
}

// correctsNumber is the number of the invoice a credit note corrects.
func correctsNumber(ctx context.Context, client *ent.Client, doc *ent.Invoice) (*string, error) {
	if doc.InvoiceID == nil {
		return nil, nil
	}
	inv, err := client.Invoice.Get(ctx, *doc.InvoiceID)
	if err != nil {
		return nil, err
	}
	return &inv.Number, nil
}

// shopAddress is the seller's address as the shop keeps it; nil leaves it as it is.
func shopAddress(in *model.ShopAddressInput) map[string]string {
	if in == nil {
		return nil
	}
	m := map[string]string{}
	for k, v := range map[string]*string{"address1": in.Address1, "address2": in.Address2, "city": in.City, "zip": in.Zip,
		"provinceCode": in.ProvinceCode, "countryCode": in.CountryCode} {
		if v != nil && *v != "" {
			m[k] = *v
		}
	}
	return m
}
