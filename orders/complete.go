// Package orders turns carts into orders. Completion is idempotent by attempt token, takes stock with
// conditional updates inside the order's transaction (so no two buyers, on any number of replicas, get
// the same last unit), then charges; a failed charge gives the stock back and reopens the cart.
package orders

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/emporium/emporium/carts"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/completionattempt"
	"github.com/emporium/emporium/ent/discountusage"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/location"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/failpoint"
	"github.com/emporium/emporium/journal"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/payments"
	"github.com/emporium/emporium/tax"
)

// Completion error codes, as the Storefront API names them.
const (
	CodeInventory      = "INVENTORY_RESERVATION_ERROR"
	CodeCardDeclined   = "PAYMENT_CARD_DECLINED"
	CodePaymentError   = "PAYMENT_ERROR"
	CodeInvalidPayment = "PAYMENT_INVALID_PAYMENT_METHOD"
	CodeEmailRequired  = "BUYER_IDENTITY_EMAIL_REQUIRED"
	CodeAddressNeeded  = "DELIVERY_ADDRESS_REQUIRED"
	CodeNoDelivery     = "DELIVERY_NO_DELIVERY_AVAILABLE"
	CodeAmountMismatch = "PAYMENT_AMOUNT_TOO_SMALL"
	CodeEmptyCart      = "NO_DELIVERY_GROUP_SELECTED"
	CodeError          = "ERROR"
)

// Service completes carts.
type Service struct {
	client  *ent.Client
	carts   *carts.Service
	tax     tax.Provider
	gateway payments.Provider
	log     *slog.Logger
	// lease is how long a completion may run before a recoverer takes it over.
	lease time.Duration
	// statusURL is the storefront's order-status page; {token} stands for the order's status token.
	statusURL string
	// events records the orders/…, fulfillments/… and refunds/… events in each change's transaction.
	events *events.Recorder
}

// New returns the order service.
func New(client *ent.Client, cs *carts.Service, tp tax.Provider, gateway payments.Provider, statusURL string, log *slog.Logger, rec *events.Recorder) *Service {
	if statusURL == "" {
		statusURL = "http://localhost:3000/orders/{token}"
	}
	return &Service{client: client, carts: cs, tax: tp, gateway: gateway, log: log, statusURL: statusURL, lease: DefaultLease, events: rec}
}

// StatusURL is the order-status page of o, keyed by its unguessable token.
func (s *Service) StatusURL(o *ent.Order) string {
	return strings.ReplaceAll(s.statusURL, "{token}", o.StatusToken)
}

// AttemptURL is where a storefront polls an attempt (the status page of its order once placed).
func (s *Service) AttemptURL(attemptID string) string {
	return strings.ReplaceAll(s.statusURL, "{token}", "attempt/"+attemptID)
}

// Problem is why a submission failed.
type Problem struct{ Code, Message string }

// Submission is the answer to a submit: Accepted with an attempt, AlreadyAccepted for a repeated token,
// or Failed with problems.
type Submission struct {
	AttemptID       string
	AlreadyAccepted bool
	Problems        []Problem
}

var errRollback = errors.New("rolled back")

// errLost is a transition out of an attempt's state that another actor (the request or a recoverer)
// made first: its transaction rolls back and the winner's outcome stands.
var errLost = errors.New("orders: the attempt was settled by another actor")

// DefaultLease is how long a completion may run before a recoverer takes it over.
const DefaultLease = 30 * time.Second

// SetLease sets how long a completion may run before a recoverer takes it over (DefaultLease when not
// positive). It must not be shorter than a completion takes, gateway included.
func (s *Service) SetLease(d time.Duration) {
	if d > 0 {
		s.lease = d
	}
}

func (s *Service) leaseUntil() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond).Add(s.lease)
}

// Submit completes a cart. The same attempt token always answers for the same attempt: never a second
// order nor a second charge.
func (s *Service) Submit(ctx context.Context, cartToken, attemptToken string) (Submission, error) {
	earlier := func() (Submission, bool, error) {
		existing, err := s.client.CompletionAttempt.Query().
			Where(completionattempt.CartID(cartToken), completionattempt.AttemptToken(attemptToken)).Only(ctx)
		if ent.IsNotFound(err) {
			return Submission{}, false, nil
		}
		if err != nil {
			// Not "no earlier attempt": answering so would start a second one.
			return Submission{}, false, fmt.Errorf("orders: earlier attempt: %w", err)
		}
		return Submission{AttemptID: existing.ID, AlreadyAccepted: true}, true, nil
	}
	if sub, ok, err := earlier(); ok || err != nil {
		return sub, err
	}
	c, err := s.carts.Load(ctx, cartToken)
	if errors.Is(err, carts.ErrNotFound) {
		// A concurrent submission with the same token may have completed the cart since the look-up.
		if sub, ok, err := earlier(); ok || err != nil {
			return sub, err
		}
		return Submission{Problems: []Problem{{CodeError, "The cart does not exist or is already completed."}}}, nil
	}
	if err != nil {
		return Submission{}, err
	}
	id := newID("att")
	// From here on the completion runs to its end even if the caller goes away: an attempt written but
	// answered as cancelled would never be completed, and its token would poll as processing forever.
	ctx = context.WithoutCancel(ctx)
	failpoint.Hit(failpoint.BeforeAttempt)
	// The lease says how long this request may work on the attempt; past it, a recoverer takes over.
	err = s.client.CompletionAttempt.Create().SetID(id).SetCartID(cartToken).SetAttemptToken(attemptToken).
		SetLeaseUntil(s.leaseUntil()).Exec(ctx)
	if ent.IsConstraintError(err) {
		// A concurrent submit with the same token won the race.
		existing, err := s.client.CompletionAttempt.Query().
			Where(completionattempt.CartID(cartToken), completionattempt.AttemptToken(attemptToken)).Only(ctx)
		if err != nil {
			return Submission{}, fmt.Errorf("orders: attempt: %w", err)
		}
		return Submission{AttemptID: existing.ID, AlreadyAccepted: true}, nil
	}
	if err != nil {
		return Submission{}, fmt.Errorf("orders: attempt: %w", err)
	}
	failpoint.Hit(failpoint.AfterAttempt)
	problems, err := s.complete(ctx, id, c)
	if err != nil {
		s.fail(ctx, id, Problem{CodeError, "The order could not be completed."})
		return Submission{}, err
	}
	if len(problems) > 0 {
		s.fail(ctx, id, problems[0])
		return Submission{AttemptID: id, Problems: problems}, nil
	}
	return Submission{AttemptID: id}, nil
}

// fail ends an attempt that placed no order. An attempt with an order is never failed here: its stock
// and cart must be given back with it, which refuse does, or the recoverer once the lease runs out.
func (s *Service) fail(ctx context.Context, attemptID string, p Problem) {
	_, err := s.client.CompletionAttempt.Update().Where(completionattempt.ID(attemptID),
		completionattempt.StatusEQ(completionattempt.StatusPROCESSING), completionattempt.OrderIDIsNil()).
		SetStatus(completionattempt.StatusFAILED).SetErrorCode(p.Code).SetErrorMessage(p.Message).ClearLeaseUntil().
		Save(context.WithoutCancel(ctx))
	if err != nil {
		// The attempt stays PROCESSING; the recoverer fails it once its lease runs out.
		s.log.ErrorContext(ctx, "record failed completion", "attempt", attemptID, "err", err)
	}
}

// complete validates the cart, places the order with its stock in one transaction, then charges.
// It runs to its end even when the caller goes away, so no order is left half-made.
func (s *Service) complete(ctx context.Context, attemptID string, c *ent.Cart) ([]Problem, error) {
	p, err := s.carts.Quote(ctx, c, s.tax)
	if err != nil {
		return nil, err
	}
	address := carts.SelectedAddress(c)
	ships := false
	if p.Group == nil && address == nil {
		if ships, err = s.ships(ctx, c); err != nil {
			return nil, err
		}
	}
	switch {
	case len(c.Edges.Lines) == 0:
		return []Problem{{CodeEmptyCart, "The cart is empty."}}, nil
	case carts.CheckSellable(p) != "":
		return []Problem{{carts.CodeNotForSale, carts.CheckSellable(p)}}, nil
	case c.Email == nil || *c.Email == "":
		return []Problem{{CodeEmailRequired, "Give the buyer's email."}}, nil
	case p.Group != nil && p.Group.Selected == nil:
		return []Problem{{CodeNoDelivery, "Select a delivery option."}}, nil
	case p.Group == nil && address == nil && ships:
		return []Problem{{CodeAddressNeeded, "Give a delivery address."}}, nil
	case c.PaymentAmount == nil || c.PaymentMethod == nil:
		return []Problem{{CodeInvalidPayment, "Give a payment method."}}, nil
	case *c.PaymentAmount != p.Total.Amount:
		return []Problem{{CodeAmountMismatch, fmt.Sprintf("The payment (%d) no longer matches the total, %s.", *c.PaymentAmount, p.Total)}}, nil
	}

	var order *ent.Order
	var problems []Problem
	err = database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Only one completion of a cart gets past this line.
		n, err := tx.Cart.Update().Where(cart.ID(c.ID), cart.CompletedAtIsNil()).SetCompletedAt(time.Now()).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			problems = []Problem{{CodeError, "The cart is already completed."}}
			return errRollback
		}
		order, problems, err = s.place(ctx, tx, c, p, address)
		if err == nil && len(problems) > 0 {
			return errRollback
		}
		if err != nil {
			return err
		}
		// A recoverer that took the attempt over (the lease ran out) has failed it: no order then.
		n, err = tx.CompletionAttempt.Update().Where(completionattempt.ID(attemptID),
			completionattempt.StatusEQ(completionattempt.StatusPROCESSING)).SetOrderID(order.ID).Save(ctx)
		if err == nil && n == 0 {
			return errLost
		}
		return err
	})
	if errors.Is(err, errRollback) {
		return problems, nil
	}
	if errors.Is(err, errLost) {
		return nil, nil // the attempt answers for itself
	}
	if err != nil {
		return nil, err
	}
	failpoint.Hit(failpoint.AfterOrderCommit)
	return s.charge(ctx, attemptID, c, order)
}

// ships reports whether any line of c needs shipping.
func (s *Service) ships(ctx context.Context, c *ent.Cart) (bool, error) {
	ids := make([]int, len(c.Edges.Lines))
	for i, l := range c.Edges.Lines {
		ids[i] = l.VariantID
	}
	ok, err := s.client.ProductVariant.Query().Where(productvariant.IDIn(ids...), productvariant.RequiresShipping(true)).Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("orders: does the cart ship: %w", err)
	}
	return ok, nil
}

// place writes the order and takes its stock. A variant that denies backorders must have the stock:
// each location is decremented with a conditional update, which no concurrent transaction can pass
// twice for the same units.
func (s *Service) place(ctx context.Context, tx *ent.Tx, c *ent.Cart, p *carts.Pricing, address *ent.CartAddress) (*ent.Order, []Problem, error) {
	discountTotal := p.Discounts.Total.Amount - p.Discounts.ShippingDiscount
	var shippingTotal int64
	shippingTitle := ""
	if p.Group != nil && p.Group.Selected != nil {
		shippingTotal = p.Group.Selected.Cost.Amount - p.Discounts.ShippingDiscount
		shippingTitle = p.Group.Selected.Title
	}
	var taxTotal, shippingTax int64
	included := false
	lineTax := map[string]int64{}
	if p.Tax != nil {
		taxTotal, included, shippingTax = p.Tax.Total.Amount, p.Tax.Inclusive, p.Tax.ShippingTax.Amount
		for _, lt := range p.Tax.Lines {
			lineTax[lt.Key] += lt.Tax.Amount
		}
	}
	b := tx.Order.Create().SetCartID(c.ID).SetNillableCustomerID(c.CustomerID).SetCurrency(c.Currency).
		SetSubtotal(p.Subtotal.Amount).SetDiscountTotal(discountTotal).SetShippingTotal(shippingTotal).
		SetTaxTotal(taxTotal).SetTaxesIncluded(included).SetShippingTax(shippingTax).SetTotal(p.Total.Amount).
		SetShippingTitle(shippingTitle).SetBillingAddress(c.BillingAddress).SetStatusToken(newID("st")).
		SetPaymentProvider(s.gateway.Name()).SetTaxLines(taxLines(p.Tax)).SetDiscountApplications(applications(p.Discounts))
	if p.Tax != nil { // what invoices print: the buyer's VAT number, and why the tax is what it is
		b.SetBuyerVatNumber(tax.NormalizeVATNumber(carts.VATNumber(c))).
			SetTaxTreatment(entorder.TaxTreatment(p.Tax.Treatment)).SetTaxNote(p.Tax.Note).SetTaxOriginCountry(p.Tax.Origin)
	}
	if c.Email != nil {
		b.SetEmail(*c.Email)
	}
	if address != nil {
		b.SetShippingAddress(map[string]string{"firstName": address.FirstName, "lastName": address.LastName,
			"company": address.Company, "address1": address.Address1, "address2": address.Address2, "city": address.City,
			"provinceCode": address.ProvinceCode, "countryCode": address.CountryCode, "zip": address.Zip, "phone": address.Phone})
	}
	order, err := b.Save(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range c.Edges.Lines {
		v, err := tx.ProductVariant.Query().Where(productvariant.ID(l.VariantID)).WithProduct().Only(ctx)
		if err != nil {
			return nil, nil, err
		}
		taken, ok, err := take(ctx, tx, v, l.Quantity)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, []Problem{{CodeInventory, fmt.Sprintf("%s — %s is out of stock.", v.Edges.Product.Title, v.Title)}}, nil
		}
		lc := p.Lines[l.ID]
		sku := ""
		if v.Sku != nil {
			sku = *v.Sku
		}
		err = tx.OrderLine.Create().SetOrderID(order.ID).SetVariantID(v.ID).SetProductID(v.ProductID).SetCurrency(c.Currency).
			SetTitle(v.Edges.Product.Title).SetVariantTitle(v.Title).SetSku(sku).SetQuantity(l.Quantity).
			SetUnitPrice(lc.PerUnit.Amount).SetDiscount(lc.Subtotal.Amount - lc.Total.Amount).SetTotal(lc.Total.Amount).
			SetTax(lineTax[fmt.Sprint(l.ID)]).SetTaken(taken).Exec(ctx)
		if err != nil {
			return nil, nil, err
		}
		if err := recordTaken(ctx, tx, v.ID, taken, order); err != nil {
			return nil, nil, err
		}
	}
	if problem, err := countUsage(ctx, tx, c, p.Discounts, order.ID); err != nil || problem != nil {
		if problem != nil {
			return nil, []Problem{*problem}, err
		}
		return nil, nil, err
	}
	if err := event(ctx, tx, order.ID, "order_created", "", ""); err != nil {
		return nil, nil, err
	}
	if err := journal.Book(ctx, tx, s.events, journal.OrderPlaced(order)); err != nil {
		return nil, nil, err
	}
	return order, nil, nil
}

// take removes quantity units of v from its locations, fullest first, and says how many came from
// each. Untracked variants take nothing; variants that continue selling out of stock may go below zero
// at their fullest location.
func take(ctx context.Context, tx *ent.Tx, v *ent.ProductVariant, quantity int) (map[int]int, bool, error) {
	taken := map[int]int{}
	if !v.InventoryTracked {
		return taken, true, nil
	}
	levels, err := tx.InventoryLevel.Query().
		Where(inventorylevel.VariantID(v.ID), inventorylevel.HasLocationWith(location.Active(true))).
		Order(ent.Desc(inventorylevel.FieldAvailable), ent.Asc(inventorylevel.FieldID)).All(ctx)
	if err != nil {
		return nil, false, err
	}
	left := quantity
	for _, l := range levels {
		if left == 0 {
			break
		}
		want := min(left, max(l.Available, 0))
		if want == 0 {
			continue
		}
		n, err := tx.InventoryLevel.Update().Where(inventorylevel.ID(l.ID), inventorylevel.AvailableGTE(want)).
			AddAvailable(-want).Save(ctx)
		if err != nil {
			return nil, false, err
		}
		if n == 1 {
			taken[l.LocationID] += want
			left -= want
		}
	}
	if left > 0 {
		if v.InventoryPolicy != productvariant.InventoryPolicyCONTINUE || len(levels) == 0 {
			return nil, false, nil
		}
		// Backorder: the rest comes from the first location, which goes below zero.
		if err := tx.InventoryLevel.UpdateOneID(levels[0].ID).AddAvailable(-left).Exec(ctx); err != nil {
			return nil, false, err
		}
		taken[levels[0].LocationID] += left
	}
	return taken, true, nil
}

// charge takes the payment of a placed order. A refused payment gives the stock back, voids the order
// and reopens the cart, so the buyer can try another card.
func (s *Service) charge(ctx context.Context, attemptID string, c *ent.Cart, order *ent.Order) ([]Problem, error) {
	if *c.PaymentMethod == cart.PaymentMethodFREE {
		return nil, s.settleOrLose(ctx, attemptID, order, "PAID", "", EventPaid, "")
	}
	// The gateway call gets a lease of its own; an attempt a recoverer already took over is left to it.
	n, err := s.client.CompletionAttempt.Update().Where(completionattempt.ID(attemptID),
		completionattempt.StatusEQ(completionattempt.StatusPROCESSING)).SetLeaseUntil(s.leaseUntil()).Save(ctx)
	if err != nil || n == 0 {
		return nil, err
	}
	source := ""
	if c.PaymentSession != nil {
		source = *c.PaymentSession
	}
	gateway := s.provider(order)
	res, err := gateway.Authorize(ctx, payments.Request{IdempotencyKey: attemptID, Source: source,
		Amount: moneyOf(order.Total, order.Currency)})
	if err != nil {
		// The gateway may have authorized before the error: its own record decides.
		res, err = gateway.Lookup(ctx, attemptID)
		if errors.Is(err, payments.ErrUnknownPayment) {
			return s.refuse(ctx, attemptID, completionattempt.StatusPROCESSING, order, Problem{CodePaymentError, "The payment could not be processed."})
		}
		if err != nil {
			// Unknown either way: the attempt stays PROCESSING and the recoverer asks again later.
			s.log.WarnContext(ctx, "payment outcome unknown; left to recovery", "attempt", attemptID, "err", err)
			return nil, nil
		}
	}
	return s.finish(ctx, attemptID, order, res)
}

// finish settles a placed order by what the gateway did for it (res): the request's own authorization,
// or what the gateway reports after a crash. An authorization is captured first.
func (s *Service) finish(ctx context.Context, attemptID string, order *ent.Order, res payments.Result) ([]Problem, error) {
	financial, kind := "", ""
	switch res.Status {
	case payments.Declined, payments.Failed, payments.Voided:
		msg := res.Message
		if msg == "" {
			msg = "The payment was declined."
		}
		return s.refuse(ctx, attemptID, completionattempt.StatusPROCESSING, order, Problem{CodeCardDeclined, msg})
	case payments.RequiresAction:
		financial, kind = "PENDING", EventActionRequired
	case payments.Pending:
		financial = "PENDING" // a manual payment: staff mark the order paid when the money arrives
	case payments.Captured, payments.Refunded:
		financial, kind = "PAID", EventPaid
	default:
		if payments.CapturesOnFulfilment(s.provider(order)) {
			financial, kind = "AUTHORIZED", EventAuthorized // the first fulfilment captures
			break
		}
		captured, err := s.provider(order).Capture(ctx, res.Reference, moneyOf(order.Total, order.Currency))
		if err != nil || captured.Status != payments.Captured {
			financial, kind = "AUTHORIZED", EventAuthorized
		} else {
			financial, kind = "PAID", EventPaid
		}
	}
	failpoint.Hit(failpoint.AfterCharge)
	err := s.settleOrLose(ctx, attemptID, order, financial, res.Reference, kind, res.ActionURL)
	failpoint.Hit(failpoint.AfterSettle)
	return nil, err
}

// settleOrLose settles a PROCESSING attempt. Should another actor have settled it first, the winner's
// outcome stands; if that was to undo the order, an authorization this request holds is voided.
func (s *Service) settleOrLose(ctx context.Context, attemptID string, order *ent.Order, financial, reference, kind, action string) error {
	err := s.settle(ctx, attemptID, completionattempt.StatusPROCESSING, order, financial, reference, kind, action)
	if !errors.Is(err, errLost) {
		return err
	}
	a, err := s.client.CompletionAttempt.Get(ctx, attemptID)
	if err != nil {
		return fmt.Errorf("orders: attempt settled elsewhere: %w", err)
	}
	if a.Status == completionattempt.StatusFAILED && reference != "" {
		if _, err := s.provider(order).Void(ctx, reference); err != nil {
			return fmt.Errorf("orders: void the payment of an undone order: %w", err)
		}
	}
	return nil
}

// settle records an order's payment and ends its attempt, if the attempt is still in state from. action
// is where the buyer completes a payment that waits on them (ACTION_REQUIRED); empty otherwise.
func (s *Service) settle(ctx context.Context, attemptID string, from completionattempt.Status, order *ent.Order, financial, reference, kind, action string) error {
	return database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		status := completionattempt.StatusSUCCEEDED
		if kind == EventActionRequired {
			status = completionattempt.StatusACTION_REQUIRED
		}
		// First, so that of two actors settling one attempt exactly one gets further.
		n, err := tx.CompletionAttempt.Update().Where(completionattempt.ID(attemptID), completionattempt.StatusEQ(from)).
			SetStatus(status).SetActionURL(action).ClearLeaseUntil().Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLost
		}
		u := tx.Order.UpdateOneID(order.ID).SetFinancialStatus(orderFinancial(financial)).
			SetPaymentReference(reference).AddVersion(1)
		if financial == "PAID" {
			u.SetTotalPaid(order.Total)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		if financial == "PAID" {
			if err := journal.Book(ctx, tx, s.events, journal.PaymentCaptured(order, order.Total, reference)); err != nil {
				return err
			}
		}
		if kind != "" {
			if err := event(ctx, tx, order.ID, kind, "", ""); err != nil {
				return err
			}
		}
		// An order is announced once its completion goes through (or waits on the buyer), never while
		// its payment may still be declined and the order undone.
		if from == completionattempt.StatusPROCESSING {
			if err := s.recordOrder(ctx, tx, events.OrdersCreate, order.ID); err != nil {
				return err
			}
		}
		if financial == "PAID" {
			if err := s.recordOrder(ctx, tx, events.OrdersPaid, order.ID); err != nil {
				return err
			}
		}
		if from != completionattempt.StatusPROCESSING {
			// The gateway settled an order already announced: a change of it.
			return s.recordOrder(ctx, tx, events.OrdersUpdated, order.ID)
		}
		return nil
	})
}

// refuse undoes a placed order whose payment failed: its stock goes back, its discount uses are given
// back, and the cart may be completed again. It happens only if the attempt is still in state from.
func (s *Service) refuse(ctx context.Context, attemptID string, from completionattempt.Status, order *ent.Order, p Problem) ([]Problem, error) {
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.CompletionAttempt.Update().Where(completionattempt.ID(attemptID), completionattempt.StatusEQ(from)).
			SetStatus(completionattempt.StatusFAILED).SetErrorCode(p.Code).SetErrorMessage(p.Message).ClearLeaseUntil().Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errLost
		}
		lines, err := tx.Order.QueryLines(order).All(ctx)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if _, err := restock(ctx, tx, l, l.Quantity, "payment failed "+Name(order), ""); err != nil {
				return err
			}
		}
		if err := s.releaseUsage(ctx, tx, order); err != nil {
			return err
		}
		if err := tx.Cart.UpdateOneID(order.CartID).ClearCompletedAt().Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, order.ID, EventPaymentFailed, p.Message, ""); err != nil {
			return err
		}
		// The voided order gives up its claim on the cart.
		if err := tx.Order.UpdateOneID(order.ID).SetFinancialStatus(entorder.FinancialStatusVOIDED).SetCancelledAt(time.Now()).
			SetCancelReason(entorder.CancelReasonDECLINED).SetCartID(order.CartID + ":void:" + newID("v")).AddVersion(1).Exec(ctx); err != nil {
			return err
		}
		if err := journal.Book(ctx, tx, s.events, journal.Cancelled(order)); err != nil {
			return err
		}
		if from == completionattempt.StatusPROCESSING {
			return nil // never announced: orders/create waits for the payment
		}
		if err := s.recordOrder(ctx, tx, events.OrdersCancelled, order.ID); err != nil {
			return err
		}
		return s.recordOrder(ctx, tx, events.OrdersUpdated, order.ID)
	})
	if errors.Is(err, errLost) {
		return nil, nil // another actor decided first; the attempt tells its outcome
	}
	if err != nil {
		return nil, fmt.Errorf("orders: undo refused order: %w", err)
	}
	return []Problem{p}, nil
}

// releaseUsage gives back the discount uses of an order that never went through.
func (s *Service) releaseUsage(ctx context.Context, tx *ent.Tx, order *ent.Order) error {
	for _, a := range order.DiscountApplications {
		if err := tx.Discount.UpdateOneID(a.DiscountID).AddUsageCount(-1).Exec(ctx); err != nil && !ent.IsNotFound(err) {
			return fmt.Errorf("orders: give back discount use: %w", err)
		}
	}
	if _, err := tx.DiscountUsage.Delete().Where(discountusage.OrderID(order.ID)).Exec(ctx); err != nil {
		return fmt.Errorf("orders: give back discount use: %w", err)
	}
	return nil
}

func moneyOf(amount int64, currency string) money.Money { return money.New(amount, currency) }

func orderFinancial(s string) entorder.FinancialStatus { return entorder.FinancialStatus(s) }

func newID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Attempt returns a completion attempt and, once placed, its order.
func (s *Service) Attempt(ctx context.Context, id string) (*ent.CompletionAttempt, *ent.Order, error) {
	a, err := s.client.CompletionAttempt.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("orders: attempt: %w", err)
	}
	if a.OrderID == nil || a.Status != completionattempt.StatusSUCCEEDED {
		return a, nil, nil
	}
	o, err := s.client.Order.Get(ctx, *a.OrderID)
	if err != nil {
		return nil, nil, fmt.Errorf("orders: order of attempt: %w", err)
	}
	return a, o, nil
}
