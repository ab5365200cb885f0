package payments

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/ent/testpayment"
)

// record is what the test gateway knows of one payment.
type record struct {
	Key, Reference, Message, ActionURL string
	Status                             Status
	Currency                           string
	Authorized, Captured, Refunded     int64
	DeclineOnConfirm                   bool
}

func (r record) result() Result {
	return Result{Status: r.Status, Reference: r.Reference, Message: r.Message, ActionURL: r.ActionURL}
}

// store keeps the test gateway's payments.
type store interface {
	// add keeps r, or returns the payment already kept under r's idempotency key.
	add(ctx context.Context, r record) (record, error)
	// byKey and byReference return ErrUnknownPayment for a payment never kept.
	byKey(ctx context.Context, key string) (record, error)
	byReference(ctx context.Context, ref string) (record, error)
	// swap replaces old with next unless the payment changed since old was read.
	swap(ctx context.Context, old, next record) (bool, error)
	// count is the number of payments with a reference (authorized at some point).
	count(ctx context.Context) (int, error)
}

type memoryStore struct {
	mu    sync.Mutex
	byRef map[string]record
	keys  map[string]record
}

func (m *memoryStore) add(_ context.Context, r record) (record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.keys == nil {
		m.keys = map[string]record{}
	}
	if r.Key != "" {
		if existing, ok := m.keys[r.Key]; ok {
			return existing, nil
		}
		m.keys[r.Key] = r
	}
	if r.Reference != "" {
		m.byRef[r.Reference] = r
	}
	return r, nil
}

func (m *memoryStore) byKey(_ context.Context, key string) (record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.keys[key]
	if !ok {
		return record{}, fmt.Errorf("%w: key %s", ErrUnknownPayment, key)
	}
	if r.Reference != "" {
		r = m.byRef[r.Reference] // the payment as it stands now
	}
	return r, nil
}

func (m *memoryStore) byReference(_ context.Context, ref string) (record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.byRef[ref]
	if !ok {
		return record{}, fmt.Errorf("%w: %s", ErrUnknownPayment, ref)
	}
	return r, nil
}

func (m *memoryStore) swap(_ context.Context, old, next record) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byRef[old.Reference] != old {
		return false, nil
	}
	m.byRef[old.Reference] = next
	if next.Key != "" {
		m.keys[next.Key] = next
	}
	return true, nil
}

func (m *memoryStore) count(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byRef), nil
}

// NewStoredTestGateway returns a test gateway that keeps its payments in the database's test_payments
// table. Each change is a statement of its own, outside any transaction of the caller: the gateway is
// another system, and what it did stays done whatever happens to the order that asked.
func NewStoredTestGateway(client *ent.Client) *TestGateway {
	return &TestGateway{store: entStore{client}}
}

type entStore struct{ client *ent.Client }

// unreferenced prefixes the stored reference of a payment that has none (declined at once): the column
// is unique and not empty.
const unreferenced = "none_"

func (s entStore) add(ctx context.Context, r record) (record, error) {
	ref := r.Reference
	if ref == "" {
		ref = unreferenced + newReference()
	}
	c := s.client.TestPayment.Create().SetReference(ref).SetStatus(string(r.Status)).SetMessage(r.Message).
		SetActionURL(r.ActionURL).SetCurrency(r.Currency).SetAuthorized(r.Authorized).SetDeclineOnConfirm(r.DeclineOnConfirm)
	if r.Key != "" {
		c.SetIdempotencyKey(r.Key)
	}
	err := c.Exec(ctx)
	if ent.IsConstraintError(err) && r.Key != "" {
		return s.byKey(ctx, r.Key)
	}
	if err != nil {
		return record{}, fmt.Errorf("payments: keep test payment: %w", err)
	}
	return r, nil
}

func (s entStore) byKey(ctx context.Context, key string) (record, error) {
	return s.one(ctx, testpayment.IdempotencyKey(key))
}

func (s entStore) byReference(ctx context.Context, ref string) (record, error) {
	if ref == "" || strings.HasPrefix(ref, unreferenced) {
		return record{}, fmt.Errorf("%w: %q", ErrUnknownPayment, ref)
	}
	return s.one(ctx, testpayment.Reference(ref))
}

func (s entStore) one(ctx context.Context, where ...predicate.TestPayment) (record, error) {
	p, err := s.client.TestPayment.Query().Where(where...).Only(ctx)
	if ent.IsNotFound(err) {
		return record{}, ErrUnknownPayment
	}
	if err != nil {
		return record{}, fmt.Errorf("payments: read test payment: %w", err)
	}
	r := record{Reference: p.Reference, Message: p.Message, ActionURL: p.ActionURL, Status: Status(p.Status),
		Currency: p.Currency, Authorized: p.Authorized, Captured: p.Captured, Refunded: p.Refunded, DeclineOnConfirm: p.DeclineOnConfirm}
	if p.IdempotencyKey != nil {
		r.Key = *p.IdempotencyKey
	}
	if strings.HasPrefix(r.Reference, unreferenced) {
		r.Reference = ""
	}
	return r, nil
}

func (s entStore) swap(ctx context.Context, old, next record) (bool, error) {
	n, err := s.client.TestPayment.Update().Where(testpayment.Reference(old.Reference), testpayment.Status(string(old.Status)),
		testpayment.Captured(old.Captured), testpayment.Refunded(old.Refunded)).
		SetStatus(string(next.Status)).SetCaptured(next.Captured).SetRefunded(next.Refunded).Save(ctx)
	if err != nil {
		return false, fmt.Errorf("payments: change test payment: %w", err)
	}
	return n == 1, nil
}

func (s entStore) count(ctx context.Context) (int, error) {
	return s.client.TestPayment.Query().Where(testpayment.Not(testpayment.ReferenceHasPrefix(unreferenced))).Count(ctx)
}
