package orders

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/searchquery"
)

// Query selects and sorts orders.
type Query struct {
	Args    pagination.Args
	SortKey string // ID (the default), ORDER_NUMBER, PROCESSED_AT, CREATED_AT, UPDATED_AT, TOTAL_PRICE
	Search  string // Shopify search syntax over the fields below
	// CustomerID, when set, keeps the customer's own orders, without those whose payment failed.
	CustomerID *int
}

// List returns a page of orders. Search fields: financial_status, fulfillment_status, status (open,
// cancelled), email, name (#1001), customer_id, created_at and processed_at with comparators; free
// text matches the email or the order name.
func (s *Service) List(ctx context.Context, q Query) (keyset.Page[*ent.Order], error) {
	key := q.SortKey
	if key == "" {
		key = "ID"
	}
	w, err := pagination.NewWindow(q.Args, key)
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.Order]{}, err
	}
	var where []predicate.Order
	if q.CustomerID != nil {
		where = append(where, entorder.CustomerID(*q.CustomerID),
			entorder.Or(entorder.CancelReasonIsNil(), entorder.CancelReasonNEQ(entorder.CancelReasonDECLINED)))
	}
	if node, err := searchquery.Parse(q.Search); err != nil {
		return keyset.Page[*ent.Order]{}, fmt.Errorf("%w: %w", pagination.ErrInvalidArgs, err)
	} else if node != nil {
		p, err := compile(node)
		if err != nil {
			return keyset.Page[*ent.Order]{}, err
		}
		where = append(where, p)
	}
	var o keyset.Order
	var sortErr error
	rows, err := s.client.Order.Query().Where(where...).Modify(func(sel *sql.Selector) {
		if o, sortErr = sortOrder(sel, key); sortErr == nil {
			sortErr = o.Apply(sel, w, q.Args.Reverse, entorder.FieldID)
		}
	}).All(ctx)
	if sortErr != nil {
		return keyset.Page[*ent.Order]{}, sortErr
	}
	if err != nil {
		return keyset.Page[*ent.Order]{}, fmt.Errorf("orders: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(o *ent.Order) int { return o.ID })
}

func sortOrder(sel *sql.Selector, key string) (keyset.Order, error) {
	switch key {
	case "ID", "ORDER_NUMBER":
		return keyset.Order{Key: key}, nil
	case "PROCESSED_AT", "CREATED_AT":
		return keyset.Order{Key: key, Expr: keyset.Column(sel, entorder.FieldCreatedAt), Kind: keyset.Time,
			Value: func(r any) (string, error) { return keyset.FormatTime(r.(*ent.Order).CreatedAt), nil }}, nil
	case "UPDATED_AT":
		return keyset.Order{Key: key, Expr: keyset.Column(sel, entorder.FieldUpdatedAt), Kind: keyset.Time,
			Value: func(r any) (string, error) { return keyset.FormatTime(r.(*ent.Order).UpdatedAt), nil }}, nil
	case "TOTAL_PRICE":
		return keyset.Order{Key: key, Expr: keyset.Column(sel, entorder.FieldTotal), Kind: keyset.Int,
			Value: func(r any) (string, error) { return strconv.FormatInt(r.(*ent.Order).Total, 10), nil }}, nil
	}
	return keyset.Order{}, fmt.Errorf("%w: unknown order sort key %s", pagination.ErrInvalidArgs, key)
}

func compile(n searchquery.Node) (predicate.Order, error) {
	switch n := n.(type) {
	case searchquery.And:
		ps, err := compileAll(n.Terms)
		return entorder.And(ps...), err
	case searchquery.Or:
		ps, err := compileAll(n.Terms)
		return entorder.Or(ps...), err
	case searchquery.Not:
		p, err := compile(n.Term)
		return entorder.Not(p), err
	case searchquery.Term:
		return term(n)
	}
	return nil, fmt.Errorf("orders: unexpected search node %T", n)
}

func compileAll(nodes []searchquery.Node) ([]predicate.Order, error) {
	ps := make([]predicate.Order, len(nodes))
	for i, n := range nodes {
		p, err := compile(n)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", pagination.ErrInvalidArgs, fmt.Sprintf(format, args...))
}

func term(t searchquery.Term) (predicate.Order, error) {
	value := strings.ToLower(t.Value)
	if t.Op != searchquery.Eq && t.Field != "created_at" && t.Field != "processed_at" {
		return nil, invalid("search field %s takes no comparison", t.Field)
	}
	switch t.Field {
	case "":
		p := []predicate.Order{entorder.EmailContainsFold(t.Value)}
		if id, ok := orderID(value); ok {
			p = append(p, entorder.ID(id))
		}
		return entorder.Or(p...), nil
	case "financial_status":
		s := entorder.FinancialStatus(strings.ToUpper(value))
		if entorder.FinancialStatusValidator(s) != nil {
			return nil, invalid("unknown financial_status %q", t.Value)
		}
		return entorder.FinancialStatusEQ(s), nil
	case "fulfillment_status":
		switch value {
		case "shipped":
			value = "fulfilled"
		case "partial":
			value = "partially_fulfilled"
		case "unshipped":
			value = "unfulfilled"
		}
		s := entorder.FulfillmentStatus(strings.ToUpper(value))
		if entorder.FulfillmentStatusValidator(s) != nil {
			return nil, invalid("unknown fulfillment_status %q", t.Value)
		}
		return entorder.FulfillmentStatusEQ(s), nil
	case "status":
		switch value {
		case "open":
			return entorder.CancelledAtIsNil(), nil
		case "cancelled", "canceled":
			return entorder.CancelledAtNotNil(), nil
		}
		return nil, invalid("unknown status %q (open or cancelled)", t.Value)
	case "email":
		return entorder.EmailEqualFold(t.Value), nil
	case "name", "order_number":
		id, ok := orderID(value)
		if !ok {
			return nil, invalid("%q is not an order name such as #1001", t.Value)
		}
		return entorder.ID(id), nil
	case "customer_id":
		id, err := strconv.Atoi(value)
		if err != nil {
			if id, err = gid.DecodeType(t.Value, "Customer"); err != nil {
				return nil, invalid("%q is not a customer ID", t.Value)
			}
		}
		return entorder.CustomerID(id), nil
	case "created_at", "processed_at":
		at, err := parseTime(t.Value)
		if err != nil {
			return nil, err
		}
		switch t.Op {
		case searchquery.Gt:
			return entorder.CreatedAtGT(at), nil
		case searchquery.Ge:
			return entorder.CreatedAtGTE(at), nil
		case searchquery.Lt:
			return entorder.CreatedAtLT(at), nil
		case searchquery.Le:
			return entorder.CreatedAtLTE(at), nil
		}
		// A date alone means that whole day.
		return entorder.And(entorder.CreatedAtGTE(at), entorder.CreatedAtLT(at.Add(24*time.Hour))), nil
	}
	return nil, invalid("unknown search field %s", t.Field)
}

// orderID reads an order name (#1001 or 1001) as the order's ID.
func orderID(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	if err != nil || n <= 1000 {
		return 0, false
	}
	return n - 1000, true
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, invalid("%q is not a date (use 2006-01-02 or RFC 3339)", v)
}
