package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Order is a completed cart: what was bought, for how much, and where it goes. Lines keep a snapshot of
// the catalog so later edits do not change past orders.
type Order struct{ ent.Schema }

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.String("cart_id").Unique().Comment("one live order per cart; a voided order lets go of it"),
		field.Int("customer_id").Optional().Nillable(),
		field.String("email").Default(""),
		field.String("currency"),
		field.Int64("subtotal"),
		field.Int64("discount_total"),
		field.Int64("shipping_total"),
		field.Int64("tax_total"),
		field.Bool("taxes_included").Default(false),
		field.Int64("total"),
		field.String("shipping_title").Default(""),
		field.JSON("shipping_address", map[string]string{}).Optional(),
		field.JSON("billing_address", map[string]string{}).Optional(),
		field.Enum("financial_status").Values("PENDING", "AUTHORIZED", "PAID", "PARTIALLY_REFUNDED", "REFUNDED", "VOIDED").Default("PENDING"),
		field.Enum("fulfillment_status").Values("UNFULFILLED", "PARTIALLY_FULFILLED", "FULFILLED").Default("UNFULFILLED"),
		field.String("payment_provider").Default(""),
		field.String("payment_reference").Default(""),
		field.String("status_token").Unique().Sensitive().Comment("the key of a guest's order-status page"),
		field.Time("cancelled_at").Optional().Nillable(),
	}
}

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", OrderLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("events", OrderEvent.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id", "id")}
}

// OrderLine is a snapshot of what was bought.
type OrderLine struct{ ent.Schema }

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.Int("variant_id"),
		field.Int("product_id"),
		field.String("title"),
		field.String("variant_title"),
		field.String("sku").Default(""),
		field.Int("quantity"),
		field.Int64("unit_price"),
		field.Int64("discount"),
		field.Int64("total"),
		field.JSON("taken", map[int]int{}).Optional().Comment("units taken from each location, to give back"),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Field("order_id").Unique().Required(),
	}
}

// OrderEvent records a change of an order in the same transaction, ready for webhook delivery.
type OrderEvent struct{ ent.Schema }

// Fields of the OrderEvent.
func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.String("kind").Comment("order_created, paid, payment_failed, cancelled…"),
		field.String("message").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the OrderEvent.
func (OrderEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("events").Field("order_id").Unique().Required(),
	}
}

// CompletionAttempt is one cartSubmitForCompletion: its attempt token makes the call idempotent.
type CompletionAttempt struct{ ent.Schema }

// Fields of the CompletionAttempt.
func (CompletionAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").NotEmpty().Immutable(),
		field.String("cart_id").Immutable(),
		field.String("attempt_token").Immutable(),
		field.Enum("status").Values("PROCESSING", "SUCCEEDED", "FAILED", "ACTION_REQUIRED").Default("PROCESSING"),
		field.Int("order_id").Optional().Nillable(),
		field.String("error_code").Default(""),
		field.String("error_message").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the CompletionAttempt.
func (CompletionAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cart_id", "attempt_token").Unique()}
}
