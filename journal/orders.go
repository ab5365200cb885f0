package journal

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/prorata"
)

// OrderPlaced is the entry of a placed order: the buyer owes its total (receivable), earned as sales
// (before discounts, net of tax), less the discounts (contra revenue), plus shipping (net of its tax),
// plus the tax owed to the authorities. With tax-inclusive prices the tax is taken out of the prices, so
// a 119.00 EUR order at 19 % VAT books 100.00 of sales and 19.00 of VAT.
func OrderPlaced(o *ent.Order) Entry {
	itemsTax := o.TaxTotal - o.ShippingTax
	shippingNet := o.ShippingTotal
	if o.TaxesIncluded {
		shippingNet -= o.ShippingTax
	}
	// What the items earned after discounts, net of tax: the rest of the total once shipping and tax are
	// taken out, so the entry balances by construction.
	sales := o.Total - shippingNet - o.TaxTotal
	discount := o.DiscountTotal
	if o.TaxesIncluded {
		// The discount came off tax-inclusive prices: only its net part is revenue forgone.
		// Sales before the discount stand to the prices before it as sales after it stand to the prices
		// after it.
		if gross := o.Subtotal - o.DiscountTotal; gross > 0 && sales >= 0 && sales <= gross {
			discount = money.MulDiv(o.Subtotal, sales, gross) - sales
		} else if itemsTax > 0 && itemsTax <= o.DiscountTotal {
			discount = o.DiscountTotal - itemsTax
		}
	}
	id := o.ID
	return Entry{Kind: KindOrderPlaced, Currency: o.Currency, OrderID: &id, Memo: "Order " + orderName(o), Lines: []Line{
		{Account: Receivable, Debit: o.Total},
		{Account: Discounts, Debit: discount},
		{Account: Sales, Credit: sales + discount},
		{Account: Shipping, Credit: shippingNet},
		{Account: TaxPayable, Credit: o.TaxTotal},
	}}
}

// PaymentCaptured is the entry of money received for an order: it is in the payment provider's clearing
// account, and the buyer owes that much less.
func PaymentCaptured(o *ent.Order, amount int64, reference string) Entry {
	id := o.ID
	return Entry{Kind: KindPaymentCaptured, Currency: o.Currency, OrderID: &id, PaymentReference: reference,
		Memo: "Payment of order " + orderName(o), Lines: []Line{
			{Account: CashClearing, Debit: amount},
			{Account: Receivable, Credit: amount},
		}}
}

// Disputed is the entry of a buyer's dispute (chargeback) of an order's payment: the provider takes the
// disputed amount back from the shop's balance until the dispute is decided. reference is the
// provider's ID of the dispute, which makes the entry once per dispute.
func Disputed(o *ent.Order, amount int64, reference string) Entry {
	id := o.ID
	return Entry{Kind: KindDispute, Currency: o.Currency, OrderID: &id, PaymentReference: reference,
		Memo: "Dispute of order " + orderName(o), Lines: []Line{
			{Account: Disputes, Debit: amount},
			{Account: CashClearing, Credit: amount},
		}}
}

// DisputeWon is the entry of a dispute decided for the shop: the provider gives the amount back.
func DisputeWon(o *ent.Order, amount int64, reference string) Entry {
	e := Reversed(Disputed(o, amount, reference))
	e.Kind, e.Memo = KindDisputeWon, "Dispute won, order "+orderName(o)
	return e
}

// Cancelled is the entry of an order cancelled (or refused by the payment provider) before it was paid:
// its placement reversed, so nothing is owed or earned.
func Cancelled(o *ent.Order) Entry {
	e := Reversed(OrderPlaced(o))
	e.Kind, e.Memo = KindOrderCancelled, "Cancellation of order "+orderName(o)
	return e
}

// Refunded is the entry of refund r of order o (o as it was before the refund; the order's lines in tx
// already count r's units). A refund of exactly its units and shipping takes back their sales, shipping
// and tax account by account; any other amount (goodwill, a partial amount) is booked to the refunds
// account as a whole, since nothing says what part of it is tax. Money leaves the clearing account.
func Refunded(ctx context.Context, tx *ent.Tx, o *ent.Order, r *ent.Refund) (Entry, error) {
	id, rid := o.ID, r.ID
	e := Entry{Kind: KindRefund, Currency: o.Currency, OrderID: &id, RefundID: &rid, PaymentReference: r.Reference,
		Memo: "Refund of order " + orderName(o)}
	if r.Amount == 0 {
		return e, nil
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return e, fmt.Errorf("journal: refund lines: %w", err)
	}
	// Cut as package prorata cuts every refund (its amount, credit note and tax report too), after what
	// the order's earlier refunds took: the lines in tx count r's units already, o's shipping does not.
	po := prorata.Order{TaxesIncluded: o.TaxesIncluded, ShippingNet: o.ShippingTotal, ShippingTax: o.ShippingTax}
	if o.TaxesIncluded {
		po.ShippingNet -= o.ShippingTax
	}
	taken := prorata.Taken{Units: map[int]int{}, Shipping: o.ShippingRefunded}
	for _, l := range lines {
		net := l.Total
		if o.TaxesIncluded {
			net -= l.Tax
		}
		po.Lines = append(po.Lines, prorata.Line{ID: l.ID, Quantity: l.Quantity, Net: net, Tax: l.Tax})
		taken.Units[l.ID] = l.RefundedQuantity - r.Lines[l.ID]
	}
	var sales, shipping, tax int64
	for _, p := range prorata.Split(po, taken, prorata.Refund{Units: r.Lines, Shipping: r.Shipping, Amount: r.Amount}) {
		switch {
		case p.Shipping:
			shipping += p.Net
		case p.LineID != 0:
			sales += p.Net
		default:
			// An amount no unit or shipping accounts for (goodwill, a partial amount): nothing says what
			// part of it is tax, so the whole refund goes to the refunds account.
			e.Lines = []Line{{Account: Refunds, Debit: r.Amount}, {Account: CashClearing, Credit: r.Amount}}
			return e, nil
		}
		tax += p.Tax
	}
	e.Lines = []Line{
		{Account: Sales, Debit: sales},
		{Account: Shipping, Debit: shipping},
		{Account: TaxPayable, Debit: tax},
		{Account: CashClearing, Credit: r.Amount},
	}
	return e, nil
}

// orderName is the order's name as staff see it (#1001 for order 1).
func orderName(o *ent.Order) string { return fmt.Sprintf("#%d", 1000+o.ID) } // as orders.Name; orders imports journal
