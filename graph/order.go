package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/graph/loaders"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

type orderDiscount = schema.DiscountApplication

// orderConnection answers a page of orders, with what its selection needs of their lines, fulfillments
// and refunds read for the whole page at once.
func (r *Resolver) orderConnection(ctx context.Context, q orders.Query) (*model.OrderConnection, error) {
	page, err := r.orders.List(ctx, q)
	if err != nil {
		return nil, err
	}
	prefetchOrders(ctx, page.Rows)
	edges, nodes, info := connection(page, func(c string, o *ent.Order) *model.OrderEdge { return &model.OrderEdge{Cursor: c, Node: o} })
	return &model.OrderConnection{Edges: edges, Nodes: nodes, PageInfo: info}, nil
}

// prefetchOrders reads, in one statement per kind, what the selected order fields will ask of each order.
func prefetchOrders(ctx context.Context, rows []*ent.Order) {
	if len(rows) == 0 {
		return
	}
	fields := connectionNodeFields(graphql.GetOperationContext(ctx), graphql.CollectFieldsCtx(ctx, nil), "Order")
	ids := make([]int, len(rows))
	var customers []int
	for i, o := range rows {
		ids[i] = o.ID
		if o.CustomerID != nil {
			customers = append(customers, *o.CustomerID)
		}
	}
	l := loaders.For(ctx).Orders
	if fields["lineItems"] || fields["currentSubtotalPrice"] || fields["currentTotalTax"] || fields["refunds"] {
		_, _ = l.Lines.Prefetch(ctx, ids)
	}
	if fields["successfulFulfillments"] {
		_, _ = l.Fulfillments.Prefetch(ctx, ids)
	}
	if fields["refunds"] {
		_, _ = l.Refunds.Prefetch(ctx, ids)
	}
	if fields["events"] {
		_, _ = l.Events.Prefetch(ctx, ids)
	}
	if fields["customer"] && len(customers) > 0 {
		_, _ = l.Customer.Prefetch(ctx, customers)
	}
}

func pageByID[T any](rows []T, a pagination.Args, id func(T) int) (catalog.Page[T], error) {
	return catalog.PageByID(rows, a, id)
}

func orderUserErrors(errs validation.Errors) []*model.OrderUserError {
	out := make([]*model.OrderUserError, len(errs))
	for i, e := range errs {
		out[i] = &model.OrderUserError{Field: e.Field, Message: e.Message, Code: ptr(e.Code)}
	}
	return out
}

func orderMoney(o *ent.Order, amount int64) *money.Money { return ptr(money.New(amount, o.Currency)) }

func lineMoney(_ context.Context, l *ent.OrderLine, amount int64) (*money.Money, error) {
	return ptr(money.New(amount, l.Currency)), nil
}

func refundMoney(_ context.Context, r *ent.Refund, amount int64) (*money.Money, error) {
	return ptr(money.New(amount, r.Currency)), nil
}

// currentTotals works out an order's amounts after refunds from its lines.
func currentTotals(ctx context.Context, o *ent.Order) (orders.Totals, error) {
	lines, err := loaders.For(ctx).Orders.Lines.Load(ctx, o.ID)()
	if err != nil {
		return orders.Totals{}, err
	}
	return orders.Current(o, lines), nil
}

// snapshotAddress shows an address kept on an order. It has no row of its own; its negative ID, derived
// from the order, keeps it apart from every other address in clients that cache objects by ID, and node()
// does not resolve it.
func snapshotAddress(m map[string]string, id int) *ent.CustomerAddress {
	if len(m) == 0 {
		return nil
	}
	code := m["countryCode"]
	if code == "" && len(m["country"]) == 2 {
		code = strings.ToUpper(m["country"])
	}
	province := m["province"]
	if province == "" {
		province = m["provinceCode"]
	}
	return &ent.CustomerAddress{ID: id, FirstName: m["firstName"], LastName: m["lastName"], Company: m["company"],
		Address1: m["address1"], Address2: m["address2"], City: m["city"], Province: province,
		ProvinceCode: m["provinceCode"], Country: m["country"], CountryCode: code, Zip: m["zip"], Phone: m["phone"]}
}

// bpsDecimal writes basis points as a decimal with the given number of places: 1900 is "0.19" with 4
// places and "19" with 2.
func bpsDecimal(bps, places int) string {
	s := fmt.Sprintf("%d", bps)
	for len(s) <= places {
		s = "0" + s
	}
	whole, frac := s[:len(s)-places], strings.TrimRight(s[len(s)-places:], "0")
	if frac == "" {
		return whole
	}
	return whole + "." + frac
}

func discountApplication(o *ent.Order, a orderDiscount) model.DiscountApplication {
	var value model.PricingValue
	switch a.Kind {
	case "FIXED_AMOUNT":
		value = money.New(a.Value, o.Currency)
	case "FREE_SHIPPING":
		value = &model.PricingPercentageValue{Percentage: 100}
	default:
		value = &model.PricingPercentageValue{Percentage: float64(a.PercentageBPS) / 100}
	}
	method, selection, target := "ACROSS", "ALL", "LINE_ITEM"
	switch {
	case a.Target == "SHIPPING_LINE":
		target = "SHIPPING_LINE"
	case a.Target != "ORDER":
		method, selection = "EACH", "ENTITLED"
	}
	allocated := orderMoney(o, a.Amount)
	if a.Code != "" {
		return &model.DiscountCodeApplication{AllocationMethod: method, Applicable: true, Code: a.Code,
			TargetSelection: selection, TargetType: target, Value: value, AllocatedAmount: allocated}
	}
	return &model.AutomaticDiscountApplication{AllocationMethod: method, TargetSelection: selection,
		TargetType: target, Title: a.Title, Value: value, AllocatedAmount: allocated}
}

// refundInput reads a refundCreate input.
func refundInput(in model.RefundInput) (orders.RefundInput, int, error) {
	id, err := decodeID(in.OrderID, "Order")
	if err != nil {
		return orders.RefundInput{}, 0, err
	}
	out := orders.RefundInput{Note: deref(in.Note)}
	for _, l := range in.RefundLineItems {
		lineID, err := decodeID(l.LineItemID, "OrderLineItem")
		if err != nil {
			return orders.RefundInput{}, 0, err
		}
		restock := l.RestockType != nil && *l.RestockType != "NO_RESTOCK"
		out.Lines = append(out.Lines, orders.RefundLine{LineID: lineID, Quantity: l.Quantity, Restock: restock})
	}
	if sh := in.Shipping; sh != nil {
		out.FullShipping = sh.FullRefund != nil && *sh.FullRefund
		out.Shipping = sh.Amount
	}
	out.Amount = in.Amount
	return out, id, nil
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func nonEmptyString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// paymentChallenge is the action of an attempt that waits on the buyer: the provider's challenge page.
func paymentChallenge(url string) model.CartCompletionAction {
	if url == "" {
		return nil
	}
	return &model.CompletePaymentChallenge{RedirectURL: &url}
}
