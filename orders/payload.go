package orders

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
)

// OrderPayload is an order as its events carry it: the Admin API's Order, its field names and global
// IDs, money as exact decimals with the currency.
type OrderPayload struct {
	ID                 string            `json:"id"`
	Name               string            `json:"name"`
	OrderNumber        int               `json:"orderNumber"`
	Email              string            `json:"email"`
	Customer           *string           `json:"customerId"`
	CreatedAt          time.Time         `json:"createdAt"`
	UpdatedAt          time.Time         `json:"updatedAt"`
	CanceledAt         *time.Time        `json:"canceledAt"`
	CancelReason       *string           `json:"cancelReason"`
	CurrencyCode       string            `json:"currencyCode"`
	FinancialStatus    string            `json:"financialStatus"`
	FulfillmentStatus  string            `json:"fulfillmentStatus"`
	TaxesIncluded      bool              `json:"taxesIncluded"`
	SubtotalPrice      events.Money      `json:"subtotalPrice"`
	TotalDiscounts     events.Money      `json:"totalDiscounts"`
	TotalShippingPrice events.Money      `json:"totalShippingPrice"`
	TotalTax           events.Money      `json:"totalTax"`
	TotalPrice         events.Money      `json:"totalPrice"`
	TotalReceived      events.Money      `json:"totalReceived"`
	TotalRefunded      events.Money      `json:"totalRefunded"`
	ShippingAddress    map[string]string `json:"shippingAddress"`
	BillingAddress     map[string]string `json:"billingAddress"`
	ShippingTitle      string            `json:"shippingTitle"`
	Note               string            `json:"note"`
	LineItems          []LinePayload     `json:"lineItems"`
}

// LinePayload is an order line as events carry it.
type LinePayload struct {
	ID                  string       `json:"id"`
	Title               string       `json:"title"`
	VariantTitle        string       `json:"variantTitle"`
	SKU                 string       `json:"sku"`
	Quantity            int          `json:"quantity"`
	VariantID           string       `json:"variantId"`
	ProductID           string       `json:"productId"`
	OriginalUnitPrice   events.Money `json:"originalUnitPrice"`
	TotalDiscount       events.Money `json:"totalDiscount"`
	DiscountedTotal     events.Money `json:"discountedTotal"`
	Tax                 events.Money `json:"tax"`
	FulfilledQuantity   int          `json:"fulfilledQuantity"`
	RefundedQuantity    int          `json:"refundedQuantity"`
	UnfulfilledQuantity int          `json:"unfulfilledQuantity"`
}

// NewOrderPayload is o, with its lines, as events carry it.
func NewOrderPayload(o *ent.Order, lines []*ent.OrderLine) OrderPayload {
	m := func(amount int64) events.Money { return events.MoneyOf(amount, o.Currency) }
	p := OrderPayload{
		ID: gid.Encode("Order", o.ID), Name: Name(o), OrderNumber: Number(o), Email: o.Email,
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), CanceledAt: o.CancelledAt,
		CurrencyCode: o.Currency, FinancialStatus: string(o.FinancialStatus), FulfillmentStatus: string(o.FulfillmentStatus),
		TaxesIncluded: o.TaxesIncluded, SubtotalPrice: m(o.Subtotal), TotalDiscounts: m(o.DiscountTotal),
		TotalShippingPrice: m(o.ShippingTotal), TotalTax: m(o.TaxTotal), TotalPrice: m(o.Total),
		TotalReceived: m(o.TotalPaid), TotalRefunded: m(o.TotalRefunded),
		ShippingAddress: o.ShippingAddress, BillingAddress: o.BillingAddress, ShippingTitle: o.ShippingTitle, Note: o.Note,
		LineItems: []LinePayload{},
	}
	if o.CustomerID != nil {
		id := gid.Encode("Customer", *o.CustomerID)
		p.Customer = &id
	}
	if o.CancelReason != nil {
		r := string(*o.CancelReason)
		p.CancelReason = &r
	}
	if p.CanceledAt != nil {
		t := p.CanceledAt.UTC()
		p.CanceledAt = &t
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].ID < lines[j].ID })
	for _, l := range lines {
		p.LineItems = append(p.LineItems, LinePayload{
			ID: gid.Encode("OrderLineItem", l.ID), Title: l.Title, VariantTitle: l.VariantTitle, SKU: l.Sku, Quantity: l.Quantity,
			VariantID: gid.Encode("ProductVariant", l.VariantID), ProductID: gid.Encode("Product", l.ProductID),
			OriginalUnitPrice: m(l.UnitPrice), TotalDiscount: m(l.Discount), DiscountedTotal: m(l.Total), Tax: m(l.Tax),
			FulfilledQuantity: l.FulfilledQuantity, RefundedQuantity: l.RefundedQuantity, UnfulfilledQuantity: toShip(l),
		})
	}
	return p
}

// recordOrder records topic for order id as tx sees it now, after the change.
func (s *Service) recordOrder(ctx context.Context, tx *ent.Tx, topic string, id int) error {
	o, err := tx.Order.Query().Where(entorder.ID(id)).Only(ctx)
	if err != nil {
		return fmt.Errorf("orders: read order %d for %s: %w", id, topic, err)
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(id)).All(ctx)
	if err != nil {
		return fmt.Errorf("orders: read lines of order %d for %s: %w", id, topic, err)
	}
	return s.events.Record(ctx, tx, topic, "Order", id, NewOrderPayload(o, lines))
}

// FulfillmentPayload is a fulfillment as fulfillments/create carries it.
type FulfillmentPayload struct {
	ID           string            `json:"id"`
	OrderID      string            `json:"orderId"`
	Status       string            `json:"status"`
	CreatedAt    time.Time         `json:"createdAt"`
	TrackingInfo TrackingPayload   `json:"trackingInfo"`
	LineItems    []QuantityPayload `json:"fulfillmentLineItems"`
}

// TrackingPayload is how a shipment is followed.
type TrackingPayload struct {
	Company string `json:"company"`
	Number  string `json:"number"`
	URL     string `json:"url"`
}

// QuantityPayload is a number of units of an order line.
type QuantityPayload struct {
	LineItemID string `json:"lineItemId"`
	Quantity   int    `json:"quantity"`
}

func quantities(m map[int]int) []QuantityPayload {
	out := []QuantityPayload{}
	for _, id := range sortedKeys(m) {
		out = append(out, QuantityPayload{LineItemID: gid.Encode("OrderLineItem", id), Quantity: m[id]})
	}
	return out
}

// NewFulfillmentPayload is f as fulfillments/create carries it.
func NewFulfillmentPayload(f *ent.Fulfillment) FulfillmentPayload {
	return FulfillmentPayload{ID: gid.Encode("Fulfillment", f.ID), OrderID: gid.Encode("Order", f.OrderID), Status: "SUCCESS",
		CreatedAt: f.CreatedAt.UTC(), TrackingInfo: TrackingPayload{Company: f.TrackingCompany, Number: f.TrackingNumber, URL: f.TrackingURL},
		LineItems: quantities(f.Lines)}
}

// RefundPayload is a refund as refunds/create carries it.
type RefundPayload struct {
	ID              string            `json:"id"`
	OrderID         string            `json:"orderId"`
	CreatedAt       time.Time         `json:"createdAt"`
	Note            string            `json:"note"`
	TotalRefunded   events.Money      `json:"totalRefunded"`
	ShippingRefund  events.Money      `json:"shippingRefunded"`
	RefundLineItems []QuantityPayload `json:"refundLineItems"`
	Restocked       []QuantityPayload `json:"restocked"`
}

// NewRefundPayload is r as refunds/create carries it.
func NewRefundPayload(r *ent.Refund) RefundPayload {
	return RefundPayload{ID: gid.Encode("Refund", r.ID), OrderID: gid.Encode("Order", r.OrderID), CreatedAt: r.CreatedAt.UTC(),
		Note: r.Note, TotalRefunded: events.MoneyOf(r.Amount, r.Currency), ShippingRefund: events.MoneyOf(r.Shipping, r.Currency),
		RefundLineItems: quantities(r.Lines), Restocked: quantities(r.Restocked)}
}
