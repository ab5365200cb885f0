package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/discount"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/tax"
)

// Kinds of order events.
const (
	EventCreated          = "order_created"
	EventPaid             = "paid"
	EventAuthorized       = "authorized"
	EventActionRequired   = "payment_requires_action"
	EventPaymentFailed    = "payment_failed"
	EventCancelled        = "cancelled"
	EventFulfilled        = "fulfilled"
	EventRefundCreated    = "refund_created"
	EventMarkedPaid       = "marked_as_paid"
	EventNoteUpdated      = "note_updated"
	EventInventoryChanged = "inventory_changed"
	EventTrackingUpdated  = "tracking_updated"
)

// event records a change of an order; it runs in the transaction of the change.
func event(ctx context.Context, tx *ent.Tx, orderID int, kind, message, actor string) error {
	return eventWith(ctx, tx, orderID, kind, message, actor, nil)
}

func eventWith(ctx context.Context, tx *ent.Tx, orderID int, kind, message, actor string, data map[string]any) error {
	b := tx.OrderEvent.Create().SetOrderID(orderID).SetKind(kind).SetMessage(message).SetActor(actor)
	if data != nil {
		b.SetData(data)
	}
	if err := b.Exec(ctx); err != nil {
		return fmt.Errorf("orders: event %s: %w", kind, err)
	}
	return nil
}

// taxLines sums a cart's taxes by rate, shipping included, with the jurisdiction and the net base
// that tax returns report.
func taxLines(r *tax.Result) []schema.TaxLine {
	if r == nil {
		return nil
	}
	var out []schema.TaxLine
	add := func(title string, bps, ppm int, amount, base int64) {
		if amount == 0 {
			return
		}
		for i := range out {
			if out[i].Title == title && out[i].RateBPS == bps && out[i].RatePPM == ppm {
				out[i].Amount += amount
				out[i].Base += base
				return
			}
		}
		out = append(out, schema.TaxLine{Title: title, RateBPS: bps, Amount: amount, RatePPM: ppm, Jurisdiction: r.Jurisdiction, Base: base})
	}
	for _, l := range r.Lines {
		add(l.Title, l.RateBPS, l.RatePPM, l.Tax.Amount, l.Base.Amount)
	}
	add(r.ShippingTitle, r.ShippingRateBPS, r.ShippingRatePPM, r.ShippingTax.Amount, r.ShippingBase.Amount)
	return out
}

// applications sums what each discount took off.
func applications(r discounts.Result) []schema.DiscountApplication {
	var out []schema.DiscountApplication
	index := map[int]int{}
	for _, a := range r.Allocations {
		i, ok := index[a.Discount.ID]
		if !ok {
			d := a.Discount
			app := schema.DiscountApplication{DiscountID: d.ID, Title: d.Title, Kind: string(d.Kind), Target: string(d.Target),
				PercentageBPS: d.PercentageBps, Value: d.Amount}
			if d.Code != nil {
				app.Code = *d.Code
			}
			if d.Kind == discount.KindFREE_SHIPPING {
				app.Target = "SHIPPING_LINE"
			}
			i = len(out)
			index[d.ID] = i
			out = append(out, app)
		}
		out[i].Amount += a.Amount.Amount
	}
	return out
}

// countUsage counts the uses of the discounts an order got. A limit is enforced by a conditional update
// and a once-per-customer discount by a unique row, so concurrent checkouts cannot both take the last use.
func countUsage(ctx context.Context, tx *ent.Tx, c *ent.Cart, r discounts.Result, orderID int) (*Problem, error) {
	seen := map[int]bool{}
	for _, a := range r.Allocations {
		d := a.Discount
		if seen[d.ID] {
			continue
		}
		seen[d.ID] = true
		u := tx.Discount.Update().Where(discount.ID(d.ID)).AddUsageCount(1)
		if d.UsageLimit != nil {
			u.Where(discount.UsageCountLT(*d.UsageLimit))
		}
		n, err := u.Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("orders: count use of discount %d: %w", d.ID, err)
		}
		if n == 0 {
			return &Problem{CodeError, fmt.Sprintf("The discount %q has reached its usage limit.", d.Title)}, nil
		}
		if !d.OncePerCustomer {
			continue
		}
		// One row per key: the customer's, whatever email the cart shows, and the email's.
		for _, key := range discounts.UsageKeys(c.CustomerID, c.Email) {
			err = tx.DiscountUsage.Create().SetDiscountID(d.ID).SetCustomerKey(key).SetOrderID(orderID).Exec(ctx)
			if ent.IsConstraintError(err) {
				return &Problem{CodeError, fmt.Sprintf("The discount %q can be used once per customer.", d.Title)}, nil
			}
			if err != nil {
				return nil, fmt.Errorf("orders: record use of discount %d: %w", d.ID, err)
			}
		}
	}
	return nil, nil
}

// recordTaken writes the stock an order took into the inventory history and the order's events.
func recordTaken(ctx context.Context, tx *ent.Tx, variantID int, taken map[int]int, order *ent.Order) error {
	for _, loc := range sortedKeys(taken) {
		if err := recordLevel(ctx, tx, order.ID, variantID, loc, -taken[loc], "order "+Name(order), ""); err != nil {
			return err
		}
	}
	return nil
}

// recordLevel writes one change of a stock level, already made, to the history and the order's events.
func recordLevel(ctx context.Context, tx *ent.Tx, orderID, variantID, locationID, delta int, reason, actor string) error {
	level, err := tx.InventoryLevel.Query().
		Where(inventorylevel.VariantID(variantID), inventorylevel.LocationID(locationID)).Only(ctx)
	if err != nil {
		return fmt.Errorf("orders: stock level: %w", err)
	}
	if actor == "" {
		actor = gid.Encode("Order", orderID)
	}
	if err := tx.InventoryAdjustment.Create().SetVariantID(variantID).SetLocationID(locationID).SetDelta(delta).
		SetQuantityAfter(level.Available).SetReason(reason).SetActor(actor).Exec(ctx); err != nil {
		return fmt.Errorf("orders: stock history: %w", err)
	}
	return eventWith(ctx, tx, orderID, EventInventoryChanged, "", actor, map[string]any{
		"variantId": gid.Encode("ProductVariant", variantID), "locationId": gid.Encode("Location", locationID),
		"delta": delta, "available": level.Available})
}

// restock gives back up to n units of line l to the locations they came from and says how many went
// back. Units of untracked variants were never taken and are not given back.
func restock(ctx context.Context, tx *ent.Tx, l *ent.OrderLine, n int, reason, actor string) (int, error) {
	back := 0
	taken := l.Taken
	for _, loc := range sortedKeys(taken) {
		k := min(n-back, taken[loc])
		if k <= 0 {
			continue
		}
		if err := tx.InventoryLevel.Update().
			Where(inventorylevel.VariantID(l.VariantID), inventorylevel.LocationID(loc)).
			AddAvailable(k).Exec(ctx); err != nil {
			return 0, fmt.Errorf("orders: restock: %w", err)
		}
		if err := recordLevel(ctx, tx, l.OrderID, l.VariantID, loc, k, reason, actor); err != nil {
			return 0, err
		}
		taken[loc] -= k
		if taken[loc] == 0 {
			delete(taken, loc)
		}
		back += k
	}
	if back == 0 {
		return 0, nil
	}
	err := tx.OrderLine.UpdateOneID(l.ID).SetTaken(taken).AddRestockedQuantity(back).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("orders: restock line: %w", err)
	}
	l.RestockedQuantity += back
	return back, nil
}

func sortedKeys(m map[int]int) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Number is an order's human-readable number: 1001 for the first.
func Number(o *ent.Order) int { return 1000 + o.ID }

// Name is how people refer to an order: #1001.
func Name(o *ent.Order) string { return fmt.Sprintf("#%d", Number(o)) }
