package customers

import (
	"context"
	"errors"
	"fmt"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/customer"
	"github.com/emporium/emporium/ent/customeraddress"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/session"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/sessions"
	"github.com/emporium/emporium/validation"
)

// CodeHasOrders refuses to delete a customer who has placed orders, as Shopify does: the orders keep
// naming them.
const CodeHasOrders = "CUSTOMER_HAS_ORDERS"

// DeletedPayload is what customers/delete carries: only the ID, as Shopify's delete topics do.
type DeletedPayload struct {
	ID string `json:"id"`
}

var (
	customerNotFound  = validation.Errors{{Field: []string{"input", "id"}, Message: "Customer does not exist", Code: validation.NotFound}}
	customerHasOrders = validation.Errors{{Field: []string{"input", "id"},
		Message: "Customer can't be deleted because they have existing orders", Code: CodeHasOrders}}
	// errRefused rolls back a deletion refused half-way (its open carts may already be deleted).
	errRefused = errors.New("customers: deletion refused")
)

// Delete removes customer id and everything that is theirs alone, in one transaction: the address
// book, the sessions (so every token of theirs stops working on its next request; the reset token
// lives on the customer's row) and their open carts, and records customers/delete. A customer with
// orders is refused and nothing changes.
//
// Open carts are deleted rather than left as guest carts: a customer's cart shows its buyer's email,
// phone and addresses only to that customer, while a guest cart shows them to whoever holds its ID, so
// detaching would widen who sees a deleted customer's personal data. Completed carts have an order,
// which refuses the deletion anyway.
func (s *Service) Delete(ctx context.Context, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		exists, err := tx.Customer.Query().Where(customer.ID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("find customer: %w", err)
		}
		if !exists {
			errs = customerNotFound
			return nil
		}
		// The carts go before the orders are counted: a checkout completing one of them holds its row
		// until it commits, so on PostgreSQL this delete waits for it and the count below, a statement
		// later, sees its order; a checkout that comes later finds its cart gone. (SQLite runs one write
		// transaction at a time.) Lines and delivery addresses go with their cart (ON DELETE CASCADE).
		if _, err := tx.Cart.Delete().Where(cart.CustomerID(id), cart.CompletedAtIsNil()).Exec(ctx); err != nil {
			return fmt.Errorf("delete open carts: %w", err)
		}
		hasOrders, err := tx.Order.Query().Where(entorder.CustomerID(id)).Exist(ctx)
		if err != nil {
			return fmt.Errorf("count orders: %w", err)
		}
		if hasOrders {
			errs = customerHasOrders
			return errRefused
		}
		if _, err := tx.CustomerAddress.Delete().Where(customeraddress.CustomerID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete addresses: %w", err)
		}
		if _, err := tx.Session.Delete().Where(session.KindEQ(sessions.Customer), session.SubjectID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete sessions: %w", err)
		}
		// By ID, so that the audit entry names the customer. A concurrent deletion may have won since
		// the check above: it answers as not found.
		err = tx.Customer.DeleteOneID(id).Exec(ctx)
		if ent.IsNotFound(err) {
			errs = customerNotFound
			return errRefused
		}
		if err != nil {
			return fmt.Errorf("delete customer: %w", err)
		}
		return s.events.Record(ctx, tx, events.CustomersDelete, "Customer", id, DeletedPayload{ID: gid.Encode("Customer", id)})
	})
	if errors.Is(err, errRefused) {
		return errs, nil
	}
	if err != nil {
		return nil, fmt.Errorf("customers: delete %d: %w", id, err)
	}
	return errs, nil
}
