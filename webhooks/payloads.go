package webhooks

import (
	"reflect"
	"strings"
	"time"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/orders"
	"github.com/emporium/emporium/payouts"
)

// payloadTypes are the Go types each topic's payload is marshalled from, read for the fields a field
// selection or a filter may name. A topic missing here (its recording is newer) is not checked: its
// selections and filters are accepted as written and simply find nothing where a field is absent.
var payloadTypes = map[string]reflect.Type{
	events.OrdersCreate:             reflect.TypeFor[orders.OrderPayload](),
	events.OrdersPaid:               reflect.TypeFor[orders.OrderPayload](),
	events.OrdersCancelled:          reflect.TypeFor[orders.OrderPayload](),
	events.OrdersFulfilled:          reflect.TypeFor[orders.OrderPayload](),
	events.OrdersPartiallyFulfilled: reflect.TypeFor[orders.OrderPayload](),
	events.OrdersUpdated:            reflect.TypeFor[orders.OrderPayload](),
	events.FulfillmentsCreate:       reflect.TypeFor[orders.FulfillmentPayload](),
	events.FulfillmentsUpdate:       reflect.TypeFor[orders.FulfillmentPayload](),
	events.RefundsCreate:            reflect.TypeFor[orders.RefundPayload](),
	events.ProductsCreate:           reflect.TypeFor[catalog.ProductPayload](),
	events.ProductsUpdate:           reflect.TypeFor[catalog.ProductPayload](),
	events.ProductsDelete:           reflect.TypeFor[catalog.DeletedPayload](),
	events.CollectionsCreate:        reflect.TypeFor[catalog.CollectionPayload](),
	events.CollectionsUpdate:        reflect.TypeFor[catalog.CollectionPayload](),
	events.CollectionsDelete:        reflect.TypeFor[catalog.DeletedPayload](),
	events.CustomersCreate:          reflect.TypeFor[customers.Payload](),
	events.CustomersUpdate:          reflect.TypeFor[customers.Payload](),
	events.CustomersDelete:          reflect.TypeFor[customers.DeletedPayload](),
	events.DiscountsCreate:          reflect.TypeFor[discounts.Payload](),
	events.DiscountsUpdate:          reflect.TypeFor[discounts.Payload](),
	events.DiscountsDelete:          reflect.TypeFor[discounts.DeletedPayload](),
	events.DisputesCreate:           reflect.TypeFor[orders.DisputePayload](),
	events.DisputesUpdate:           reflect.TypeFor[orders.DisputePayload](),
	events.PayoutsPaid:              reflect.TypeFor[payouts.Payload](),
	events.PayoutsFailed:            reflect.TypeFor[payouts.Payload](),
}

// shapes are the payloadTypes' shapes, built once.
var shapes = func() map[string]*shape {
	m := make(map[string]*shape, len(payloadTypes))
	for topic, t := range payloadTypes {
		m[topic] = shapeOf(t, 0)
	}
	return m
}()

// A shape is what a payload's JSON holds: an object's fields by JSON name, or, with fields nil, a leaf
// (a string, number, boolean, time). An array has the shape of its elements; a map (an address) is
// open: any name is a leaf in it.
type shape struct {
	fields map[string]*shape
	open   bool
}

var leafShape = &shape{}

func (s *shape) leaf() bool { return s != nil && s.fields == nil && !s.open }

// field is the shape of s's field name (at path, for the error); nil when s is not known (nil) or open.
func (s *shape) field(name, path string) (*shape, error) {
	if s == nil || s.open {
		return nil, nil
	}
	f, ok := s.fields[name]
	if !ok {
		return nil, selectionErrorf("names %s, which the payload does not have", path)
	}
	return f, nil
}

func shapeOf(t reflect.Type, depth int) *shape {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	switch {
	case depth > MaxSelectionDepth+1:
		return &shape{open: true}
	case t == reflect.TypeFor[time.Time]():
		return leafShape
	case t.Kind() == reflect.Map || t.Kind() == reflect.Interface:
		return &shape{open: true}
	case t.Kind() != reflect.Struct:
		return leafShape
	}
	s := &shape{fields: map[string]*shape{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s.fields[name] = shapeOf(f.Type, depth+1)
	}
	return s
}
