package orders

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/prorata"
	"github.com/emporium/emporium/validation"
)

// Codes of order userErrors.
const (
	CodeNotFound           = validation.NotFound
	CodeInvalid            = validation.Invalid
	CodeCancelled          = "ORDER_CANCELLED"
	CodeHasFulfillments    = "ORDER_HAS_FULFILLMENTS"
	CodeExceedsFulfillable = "EXCEEDS_FULFILLABLE_QUANTITY"
	CodeExceedsRefundable  = "EXCEEDS_REFUNDABLE"
	CodeNotPayable         = "ORDER_NOT_PAYABLE"
	CodePaymentFailed      = "PAYMENT_FAILED"
	CodeConflict           = "CONCURRENT_CHANGE"
)

// errConflict is a change that lost a race with another change of the same order.
var errConflict = errors.New("orders: concurrent change")

// change runs fn on order id in one transaction. The order's version is claimed first, so two changes of
// one order never interleave on any replica: the loser is retried on fresh data. Problems roll back.
// A change that commits records orders/updated.
func (s *Service) change(ctx context.Context, id int, fn func(tx *ent.Tx, o *ent.Order) (validation.Errors, error)) (*ent.Order, validation.Errors, error) {
	for try := 0; ; try++ {
		var errs validation.Errors
		err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			o, err := tx.Order.Query().Where(entorder.ID(id)).WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc("id")) }).Only(ctx)
			if ent.IsNotFound(err) {
				errs.Add("id", CodeNotFound, "The order does not exist")
				return errRollback
			}
			if err != nil {
				return err
			}
			n, err := tx.Order.Update().Where(entorder.ID(id), entorder.Version(o.Version)).AddVersion(1).Save(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				return errConflict
			}
			errs, err = fn(tx, o)
			var pe *providerError
			if errors.As(err, &pe) {
				errs.Add(pe.field, CodePaymentFailed, "The payment provider refused: "+pe.Error())
			}
			if errs.Any() {
				return errRollback
			}
			if err != nil {
				return err
			}
			// Every change of an order made here is announced as orders/updated too, after the change's
			// own topic, so a partner that follows one topic sees each change; here, so none is missed.
			return s.recordOrder(ctx, tx, events.OrdersUpdated, id)
		})
		switch {
		case errors.Is(err, errRollback):
			return nil, errs, nil
		case errors.Is(err, errConflict) && try < 4:
			continue
		case errors.Is(err, errConflict):
			errs.Add("id", CodeConflict, "The order is being changed by someone else; try again")
			return nil, errs, nil
		case err != nil:
			return nil, nil, fmt.Errorf("orders: change %d: %w", id, err)
		}
		o, err := s.client.Order.Get(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("orders: reload %d: %w", id, err)
		}
		return o, nil, nil
	}
}

// providerError is a payment provider's refusal, which rolls a change back and becomes a userError.
type providerError struct {
	field string
	err   error
}

func (e *providerError) Error() string { return e.err.Error() }
func (e *providerError) Unwrap() error { return e.err }

// provider is the payment provider that took an order's payment.
func (s *Service) provider(o *ent.Order) payments.Provider {
	if o.PaymentProvider == (payments.Manual{}).Name() {
		return payments.Manual{}
	}
	return s.gateway
}

// CancelInput is how staff cancel an order.
type CancelInput struct {
	Reason    entorder.CancelReason
	Refund    bool // give back what was paid
	Restock   bool // put the units back in stock
	StaffNote string
}

// Cancel cancels an order that has shipped nothing: its units go back in stock, what was paid is refunded
// and an authorization is voided.
func (s *Service) Cancel(ctx context.Context, id int, in CancelInput, actor string) (*ent.Order, validation.Errors, error) {
	return s.change(ctx, id, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		note := errs.Text("staffNote", in.StaffNote, 1000)
		if entorder.CancelReasonValidator(in.Reason) != nil {
			errs.Add("reason", CodeInvalid, "Unknown cancel reason")
		}
		if o.CancelledAt != nil {
			errs.Add("orderId", CodeCancelled, "The order is already cancelled")
		}
		for _, l := range o.Edges.Lines {
			if l.FulfilledQuantity > 0 {
				errs.Add("orderId", CodeHasFulfillments, "An order with fulfilled units cannot be cancelled; refund it instead")
				break
			}
		}
		if errs.Any() {
			return errs, nil
		}
		return nil, s.cancel(ctx, tx, o, in, note, actor)
	})
}

func (s *Service) cancel(ctx context.Context, tx *ent.Tx, o *ent.Order, in CancelInput, note, actor string) error {
	if in.Restock {
		for _, l := range o.Edges.Lines {
			if _, err := restock(ctx, tx, l, l.Quantity, "cancelled "+Name(o), actor); err != nil {
				return err
			}
		}
	}
	u := tx.Order.UpdateOneID(o.ID).SetCancelledAt(time.Now()).SetCancelReason(in.Reason)
	switch o.FinancialStatus {
	case entorder.FinancialStatusPAID, entorder.FinancialStatusPARTIALLY_REFUNDED:
		if left := o.TotalPaid - o.TotalRefunded; in.Refund && left > 0 {
			refunded := map[int]int{}
			for _, l := range o.Edges.Lines {
				if n := l.Quantity - l.RefundedQuantity; n > 0 {
					refunded[l.ID] = n
					if err := tx.OrderLine.UpdateOneID(l.ID).AddRefundedQuantity(n).AddRemovedQuantity(n).Exec(ctx); err != nil {
						return err
					}
				}
			}
			// The shipping still held is given back too, and named, so that what reads the refund
			// (credit notes, the tax report, the journal) takes it at the shipping's own tax.
			shipping := o.ShippingTotal - o.ShippingRefunded
			if !o.TaxesIncluded {
				shipping += o.ShippingTax
			}
			shipping = max(0, min(shipping, left))
			ref, err := s.refundPayment(ctx, o, left)
			if err != nil {
				return err
			}
			r, err := tx.Refund.Create().SetOrderID(o.ID).SetCurrency(o.Currency).SetAmount(left).SetLines(refunded).
				SetShipping(shipping).SetNote(note).SetReference(ref).Save(ctx)
			if err != nil {
				return err
			}
			if err := journal.BookRefund(ctx, tx, s.events, o, r); err != nil {
				return err
			}
			u.AddTotalRefunded(left).AddShippingRefunded(shipping).SetFinancialStatus(entorder.FinancialStatusREFUNDED)
			if err := eventWith(ctx, tx, o.ID, EventRefundCreated, note, actor, map[string]any{
				"refundId": gid.Encode("Refund", r.ID), "amount": left}); err != nil {
				return err
			}
			if err := s.events.Record(ctx, tx, events.RefundsCreate, "Refund", r.ID, NewRefundPayload(r)); err != nil {
				return err
			}
		}
	case entorder.FinancialStatusAUTHORIZED, entorder.FinancialStatusPENDING:
		if o.PaymentReference != "" {
			res, err := s.provider(o).Void(ctx, o.PaymentReference)
			if err == nil && res.Status != payments.Voided {
				err = fmt.Errorf("the payment is %s", res.Status)
			}
			if err != nil {
				return &providerError{"orderId", fmt.Errorf("void: %w", err)}
			}
		}
		u.SetFinancialStatus(entorder.FinancialStatusVOIDED)
		if err := journal.Book(ctx, tx, s.events, journal.Cancelled(o)); err != nil {
			return err
		}
	}
	if err := u.Exec(ctx); err != nil {
		return err
	}
	if err := eventWith(ctx, tx, o.ID, EventCancelled, note, actor, map[string]any{"reason": string(in.Reason)}); err != nil {
		return err
	}
	return s.recordOrder(ctx, tx, events.OrdersCancelled, o.ID)
}

// refundPayment pays amount back through the order's provider and returns its reference.
func (s *Service) refundPayment(ctx context.Context, o *ent.Order, amount int64) (string, error) {
	if o.PaymentReference == "" { // a free order, or one staff marked paid: the money moved outside Emporium
		return "", nil
	}
	// The key names this refund by what was refunded before it: a retry of a refund whose answer was
	// lost (nothing recorded, so the same total before it) is the same refund to the provider, while a
	// second refund of the same amount is a new one.
	ctx = payments.WithIdempotencyKey(ctx, fmt.Sprintf("emporium-refund-%s-%d-%d", o.PaymentReference, o.TotalRefunded, amount))
	res, err := s.provider(o).Refund(ctx, o.PaymentReference, moneyOf(amount, o.Currency))
	if err == nil && res.Status != payments.Refunded {
		err = errors.New(res.Message)
	}
	if err != nil {
		return "", &providerError{"amount", fmt.Errorf("refund: %w", err)}
	}
	return res.Reference, nil
}

// LineQuantity is a number of units of an order line.
type LineQuantity struct {
	LineID   int
	Quantity int
}

// FulfillInput is a shipment: which units, and how to follow it.
type FulfillInput struct {
	Lines                []LineQuantity // none: everything still to ship
	Company, Number, URL string
}

// Fulfill records a shipment of units still to ship. No line ships more than was ordered and kept.
func (s *Service) Fulfill(ctx context.Context, id int, in FulfillInput, actor string) (*ent.Fulfillment, *ent.Order, validation.Errors, error) {
	var f *ent.Fulfillment
	o, errs, err := s.change(ctx, id, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		t := checkTracking(&errs, TrackingInput{Company: in.Company, Number: in.Number, URL: in.URL})
		company, number, link := t.Company, t.Number, t.URL
		if o.CancelledAt != nil {
			errs.Add("orderId", CodeCancelled, "A cancelled order cannot be fulfilled")
			return errs, nil
		}
		lines := map[int]*ent.OrderLine{}
		for _, l := range o.Edges.Lines {
			lines[l.ID] = l
		}
		shipped := map[int]int{}
		if len(in.Lines) == 0 {
			for _, l := range o.Edges.Lines {
				if n := toShip(l); n > 0 {
					shipped[l.ID] = n
				}
			}
			if len(shipped) == 0 {
				errs.Add("lineItems", CodeExceedsFulfillable, "Everything is fulfilled already")
			}
		}
		for i, lq := range in.Lines {
			field := fmt.Sprintf("lineItems.%d", i)
			l, ok := lines[lq.LineID]
			switch {
			case !ok:
				errs.Add(field+".id", CodeNotFound, "The order has no such line item")
			case lq.Quantity < 1:
				errs.Add(field+".quantity", CodeInvalid, "The quantity must be at least 1")
			case shipped[l.ID]+lq.Quantity > toShip(l):
				errs.Add(field+".quantity", CodeExceedsFulfillable, fmt.Sprintf("Only %d of %s are left to fulfil", toShip(l), l.Title))
			default:
				shipped[l.ID] += lq.Quantity
			}
		}
		if errs.Any() {
			return errs, nil
		}
		// A provider that captures on fulfilment takes the money with the first shipment; a refusal
		// ships nothing.
		if o.FinancialStatus == entorder.FinancialStatusAUTHORIZED && payments.CapturesOnFulfilment(s.provider(o)) {
			if err := s.capture(ctx, tx, o, "orderId", EventPaid, actor); err != nil {
				return nil, err
			}
		}
		var err error
		f, err = s.fulfill(ctx, tx, o, shipped, company, number, link, actor)
		return nil, err
	})
	return f, o, errs, err
}

// TrackingInput is how to follow a shipment.
type TrackingInput struct{ Company, Number, URL string }

// checkTracking reads a shipment's tracking fields, adding problems to errs.
func checkTracking(errs *validation.Errors, in TrackingInput) TrackingInput {
	out := TrackingInput{Company: errs.Text("trackingInfo.company", in.Company, 255),
		Number: errs.Text("trackingInfo.number", in.Number, 255), URL: errs.Text("trackingInfo.url", in.URL, 2048)}
	if u, err := url.Parse(out.URL); out.URL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		errs.Add("trackingInfo.url", CodeInvalid, "The tracking URL must be an http or https URL")
	}
	return out
}

// UpdateTracking replaces a fulfillment's tracking company, number and URL, and records
// fulfillments/update (and, as every order change, orders/updated).
func (s *Service) UpdateTracking(ctx context.Context, fulfillmentID int, in TrackingInput, actor string) (*ent.Fulfillment, validation.Errors, error) {
	f, err := s.client.Fulfillment.Get(ctx, fulfillmentID)
	if ent.IsNotFound(err) {
		var errs validation.Errors
		errs.Add("fulfillmentId", CodeNotFound, "The fulfillment does not exist")
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("orders: fulfillment %d: %w", fulfillmentID, err)
	}
	_, errs, err := s.change(ctx, f.OrderID, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		t := checkTracking(&errs, in)
		if errs.Any() {
			return errs, nil
		}
		updated, err := tx.Fulfillment.UpdateOneID(f.ID).SetTrackingCompany(t.Company).SetTrackingNumber(t.Number).
			SetTrackingURL(t.URL).Save(ctx)
		if err != nil {
			return nil, err
		}
		f = updated
		if err := eventWith(ctx, tx, o.ID, EventTrackingUpdated, "Tracking updated", actor, map[string]any{
			"fulfillmentId": gid.Encode("Fulfillment", f.ID), "trackingNumber": t.Number, "trackingUrl": t.URL}); err != nil {
			return nil, err
		}
		return nil, s.events.Record(ctx, tx, events.FulfillmentsUpdate, "Fulfillment", f.ID, NewFulfillmentPayload(f))
	})
	if err != nil || errs.Any() {
		return nil, errs, err
	}
	return f, nil, nil
}

// toShip is how many units of l are still to ship: ordered, less those shipped or refunded unshipped.
func toShip(l *ent.OrderLine) int { return l.Quantity - l.FulfilledQuantity - l.RemovedQuantity }

func (s *Service) fulfill(ctx context.Context, tx *ent.Tx, o *ent.Order, shipped map[int]int, company, number, link, actor string) (*ent.Fulfillment, error) {
	for _, l := range o.Edges.Lines {
		if n := shipped[l.ID]; n > 0 {
			if err := tx.OrderLine.UpdateOneID(l.ID).AddFulfilledQuantity(n).Exec(ctx); err != nil {
				return nil, err
			}
			l.FulfilledQuantity += n
		}
	}
	f, err := tx.Fulfillment.Create().SetOrderID(o.ID).SetLines(shipped).SetTrackingCompany(company).
		SetTrackingNumber(number).SetTrackingURL(link).Save(ctx)
	if err != nil {
		return nil, err
	}
	status := fulfillmentStatus(o.Edges.Lines)
	if err := tx.Order.UpdateOneID(o.ID).SetFulfillmentStatus(status).Exec(ctx); err != nil {
		return nil, err
	}
	units := 0
	for _, n := range shipped {
		units += n
	}
	if err := eventWith(ctx, tx, o.ID, EventFulfilled, fmt.Sprintf("%d units shipped", units), actor, map[string]any{
		"fulfillmentId": gid.Encode("Fulfillment", f.ID), "trackingNumber": number, "trackingUrl": link}); err != nil {
		return nil, err
	}
	if err := s.events.Record(ctx, tx, events.FulfillmentsCreate, "Fulfillment", f.ID, NewFulfillmentPayload(f)); err != nil {
		return nil, err
	}
	topic := events.OrdersPartiallyFulfilled
	if status == entorder.FulfillmentStatusFULFILLED {
		topic = events.OrdersFulfilled
	}
	return f, s.recordOrder(ctx, tx, topic, o.ID)
}

// fulfillmentStatus is where shipping stands once lines are as they are.
func fulfillmentStatus(lines []*ent.OrderLine) entorder.FulfillmentStatus {
	shipped, left := 0, 0
	for _, l := range lines {
		shipped += l.FulfilledQuantity
		left += toShip(l)
	}
	switch {
	case shipped == 0:
		return entorder.FulfillmentStatusUNFULFILLED
	case left > 0:
		return entorder.FulfillmentStatusPARTIALLY_FULFILLED
	}
	return entorder.FulfillmentStatusFULFILLED
}

// RefundLine is units of an order line given back.
type RefundLine struct {
	LineID   int
	Quantity int
	Restock  bool
}

// RefundInput is a refund: units, shipping, or an explicit amount.
type RefundInput struct {
	Lines        []RefundLine
	FullShipping bool
	Shipping     *string // a decimal amount of the shipping
	Amount       *string // a decimal amount that overrides the one worked out from lines and shipping
	Note         string
}

// Refund pays back units, shipping or an amount, never more than was paid, and restocks units on demand.
func (s *Service) Refund(ctx context.Context, id int, in RefundInput, actor string) (*ent.Refund, *ent.Order, validation.Errors, error) {
	var r *ent.Refund
	o, errs, err := s.change(ctx, id, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		note := errs.Text("note", in.Note, 1000)
		lines := map[int]*ent.OrderLine{}
		for _, l := range o.Edges.Lines {
			lines[l.ID] = l
		}
		units := map[int]int{}
		restocks := map[int]int{}
		var amount int64
		for i, rl := range in.Lines {
			field := fmt.Sprintf("refundLineItems.%d", i)
			l, ok := lines[rl.LineID]
			switch {
			case !ok:
				errs.Add(field+".lineItemId", CodeNotFound, "The order has no such line item")
				continue
			case rl.Quantity < 1:
				errs.Add(field+".quantity", CodeInvalid, "The quantity must be at least 1")
				continue
			}
			before := l.RefundedQuantity + units[l.ID]
			if before+rl.Quantity > l.Quantity {
				errs.Add(field+".quantity", CodeExceedsRefundable, fmt.Sprintf("Only %d of %s are left to refund", l.Quantity-before, l.Title))
				continue
			}
			amount += lineShare(l, o.TaxesIncluded, before, rl.Quantity)
			units[l.ID] += rl.Quantity
			if rl.Restock {
				restocks[l.ID] += rl.Quantity
			}
		}
		shippingLeft := o.ShippingTotal - o.ShippingRefunded
		if !o.TaxesIncluded {
			shippingLeft += o.ShippingTax
		}
		parse := func(field, s string) int64 {
			m, err := money.Parse(s, o.Currency)
			if err != nil || m.Amount < 0 {
				errs.Add(field, CodeInvalid, "The amount must be a positive amount of "+o.Currency)
			}
			return m.Amount
		}
		var shipping int64
		switch {
		case in.FullShipping:
			shipping = shippingLeft
		case in.Shipping != nil:
			if shipping = parse("shipping.amount", *in.Shipping); shipping > shippingLeft {
				errs.Add("shipping.amount", CodeExceedsRefundable, fmt.Sprintf("At most %s of shipping is left to refund", moneyOf(shippingLeft, o.Currency)))
			}
		}
		amount += shipping
		if in.Amount != nil {
			amount = parse("amount", *in.Amount)
		}
		if left := o.TotalPaid - o.TotalRefunded; amount > left {
			errs.Add("amount", CodeExceedsRefundable, fmt.Sprintf("Cannot refund %s: only %s of what was paid is left", moneyOf(amount, o.Currency), moneyOf(left, o.Currency)))
		}
		if amount == 0 && len(units) == 0 && !errs.Any() {
			errs.Add("", CodeInvalid, "Nothing to refund")
		}
		if errs.Any() {
			return errs, nil
		}
		var err error
		r, err = s.refund(ctx, tx, o, units, restocks, amount, shipping, note, actor, "")
		return nil, err
	})
	return r, o, errs, err
}

// lineShare is what q units of l cost after discounts, tax added when prices exclude it, when before
// units were refunded already. Shares are cut so that refunding every unit gives back exactly the line.
func lineShare(l *ent.OrderLine, taxesIncluded bool, before, q int) int64 {
	amount := prorata.Share(l.Total, l.Quantity, before, q)
	if !taxesIncluded {
		amount += prorata.Share(l.Tax, l.Quantity, before, q)
	}
	return amount
}

// refund records a refund of o in tx: units (and restocks) per line, amount in all, shipping of it. The
// provider is asked to pay amount back, unless refunded names what the provider refunded already.
func (s *Service) refund(ctx context.Context, tx *ent.Tx, o *ent.Order, units, restocks map[int]int, amount, shipping int64, note, actor, refunded string) (*ent.Refund, error) {
	restocked := map[int]int{}
	for _, l := range o.Edges.Lines {
		n := units[l.ID]
		if n == 0 {
			continue
		}
		removed := min(n, toShip(l))
		if err := tx.OrderLine.UpdateOneID(l.ID).AddRefundedQuantity(n).AddRemovedQuantity(removed).Exec(ctx); err != nil {
			return nil, err
		}
		l.RefundedQuantity += n
		l.RemovedQuantity += removed
		if k := restocks[l.ID]; k > 0 {
			back, err := restock(ctx, tx, l, k, "refund "+Name(o), actor)
			if err != nil {
				return nil, err
			}
			if back > 0 {
				restocked[l.ID] = back
			}
		}
	}
	ref := refunded
	if amount > 0 && ref == "" {
		var err error
		if ref, err = s.refundPayment(ctx, o, amount); err != nil {
			return nil, err
		}
	}
	r, err := tx.Refund.Create().SetOrderID(o.ID).SetCurrency(o.Currency).SetAmount(amount).SetShipping(shipping).SetLines(units).
		SetRestocked(restocked).SetNote(note).SetReference(ref).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := journal.BookRefund(ctx, tx, s.events, o, r); err != nil {
		return nil, err
	}
	u := tx.Order.UpdateOneID(o.ID).AddTotalRefunded(amount).AddShippingRefunded(shipping).
		SetFulfillmentStatus(fulfillmentStatus(o.Edges.Lines))
	if amount > 0 {
		if o.TotalRefunded+amount >= o.TotalPaid {
			u.SetFinancialStatus(entorder.FinancialStatusREFUNDED)
		} else {
			u.SetFinancialStatus(entorder.FinancialStatusPARTIALLY_REFUNDED)
		}
	}
	if err := u.Exec(ctx); err != nil {
		return nil, err
	}
	if err := eventWith(ctx, tx, o.ID, EventRefundCreated, note, actor, map[string]any{
		"refundId": gid.Encode("Refund", r.ID), "amount": amount}); err != nil {
		return nil, err
	}
	return r, s.events.Record(ctx, tx, events.RefundsCreate, "Refund", r.ID, NewRefundPayload(r))
}

// MarkAsPaid records that an order's money arrived: an authorization is captured, a pending manual
// payment (bank transfer, cash on delivery) is taken as received. A gateway payment still pending is not
// Emporium's to mark: the gateway's outcome settles it.
func (s *Service) MarkAsPaid(ctx context.Context, id int, actor string) (*ent.Order, validation.Errors, error) {
	return s.change(ctx, id, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		switch {
		case o.CancelledAt != nil:
			errs.Add("id", CodeCancelled, "A cancelled order cannot be paid")
			return errs, nil
		case o.FinancialStatus != entorder.FinancialStatusPENDING && o.FinancialStatus != entorder.FinancialStatusAUTHORIZED:
			errs.Add("id", CodeNotPayable, "The order is "+string(o.FinancialStatus)+", not awaiting payment")
			return errs, nil
		case o.FinancialStatus == entorder.FinancialStatusPENDING && o.PaymentProvider != (payments.Manual{}).Name():
			// A gateway payment still pending (3-D Secure) is settled by the gateway's outcome: marking
			// it paid would record money that was never captured, and refuse its refunds later.
			errs.Add("id", CodeNotPayable, "The payment is waiting on the payment provider, which settles it; only manual payments are marked as paid")
			return errs, nil
		}
		return nil, s.capture(ctx, tx, o, "id", EventMarkedPaid, actor)
	})
}

// capture takes an order's money in the change's transaction: an authorization is captured by its
// provider (a refusal rolls the change back as a userError on field), a pending manual payment is taken
// as received; the order is then paid, booked, and announced as orders/paid.
func (s *Service) capture(ctx context.Context, tx *ent.Tx, o *ent.Order, field, kind, actor string) error {
	if o.FinancialStatus == entorder.FinancialStatusAUTHORIZED && o.PaymentReference != "" {
		res, err := s.provider(o).Capture(ctx, o.PaymentReference, moneyOf(o.Total, o.Currency))
		if err == nil && res.Status != payments.Captured {
			err = errors.New(res.Message)
		}
		if err != nil {
			return &providerError{field, fmt.Errorf("capture: %w", err)}
		}
	}
	if err := tx.Order.UpdateOneID(o.ID).SetFinancialStatus(entorder.FinancialStatusPAID).SetTotalPaid(o.Total).Exec(ctx); err != nil {
		return err
	}
	if err := journal.Book(ctx, tx, s.events, journal.PaymentCaptured(o, o.Total, o.PaymentReference)); err != nil {
		return err
	}
	if err := event(ctx, tx, o.ID, kind, "", actor); err != nil {
		return err
	}
	return s.recordOrder(ctx, tx, events.OrdersPaid, o.ID)
}

// UpdateNote replaces the staff's note on an order.
func (s *Service) UpdateNote(ctx context.Context, id int, note, actor string) (*ent.Order, validation.Errors, error) {
	return s.change(ctx, id, func(tx *ent.Tx, o *ent.Order) (validation.Errors, error) {
		var errs validation.Errors
		note = errs.Text("note", note, 5000)
		if errs.Any() {
			return errs, nil
		}
		if err := tx.Order.UpdateOneID(o.ID).SetNote(note).Exec(ctx); err != nil {
			return nil, err
		}
		return nil, event(ctx, tx, o.ID, EventNoteUpdated, note, actor)
	})
}

// ByStatusToken returns the order behind an order-status URL.
func (s *Service) ByStatusToken(ctx context.Context, token string) (*ent.Order, error) {
	if len(token) < 16 || len(token) > 64 {
		return nil, &ent.NotFoundError{}
	}
	return s.client.Order.Query().Where(entorder.StatusToken(token)).Only(ctx)
}
