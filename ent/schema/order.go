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
		field.Enum("cancel_reason").Values("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF").Optional().Nillable(),
		field.Int64("total_paid").Default(0).Comment("captured, in currency"),
		field.Int64("total_refunded").Default(0),
		field.Int64("shipping_tax").Default(0),
		field.Int64("shipping_refunded").Default(0).Comment("shipping and its tax paid back"),
		field.JSON("tax_lines", []TaxLine{}).Optional(),
		field.JSON("discount_applications", []DiscountApplication{}).Optional(),
		field.Text("note").Default(""),
		field.Int("version").Default(0).Comment("bumped by every change: concurrent changes of one order conflict instead of interleaving"),
		field.String("buyer_vat_number").Default("").Comment("the business buyer's VAT number as given at checkout, for invoices and reverse charge"),
		field.Enum("tax_treatment").Values("STANDARD", "REVERSE_CHARGE", "EXEMPT").Default("STANDARD").
			Comment("how tax was decided: charged, reverse-charged to an EU business buyer, or waived for an exempt customer"),
		field.String("tax_note").Default("").Comment("the legal note invoices print for the treatment (reverse charge, exemption reason)"),
		field.String("tax_origin_country").Default("").Comment("the shop's origin country when the order was taxed (empty: EU rules off, or an order older than the field)"),
	}
}

// TaxLine is one tax charged on an order.
type TaxLine struct {
	Title   string `json:"title"`
	RateBPS int    `json:"rateBps"`
	Amount  int64  `json:"amount"`
	// RatePPM is the exact rate in millionths, Jurisdiction where the tax is owed (FR, US-OH) and Base
	// the net amount taxed: what tax returns report.
	RatePPM      int    `json:"ratePpm,omitempty"`
	Jurisdiction string `json:"jurisdiction,omitempty"`
	Base         int64  `json:"base,omitempty"`
}

// DiscountApplication is a discount that took something off an order.
type DiscountApplication struct {
	DiscountID int    `json:"discountId"`
	Code       string `json:"code,omitempty"`
	Title      string `json:"title"`
	Kind       string `json:"kind"`
	Target     string `json:"target"`
	// PercentageBPS and Value are the discount's terms: a percentage (of the entitled amount, or of
	// the free items) or an amount in the order's currency.
	PercentageBPS int   `json:"percentageBps,omitempty"`
	Value         int64 `json:"value,omitempty"`
	// Amount is what the discount took off this order.
	Amount int64 `json:"amount"`
}

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", OrderLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("events", OrderEvent.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("fulfillments", Fulfillment.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("refunds", Refund.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "id"),
		index.Fields("created_at", "id"),
		index.Fields("total", "id"),
		index.Fields("email"),
	}
}

// OrderLine is a snapshot of what was bought.
type OrderLine struct{ ent.Schema }

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.Int("variant_id"),
		field.Int("product_id"),
		field.String("currency").Default("").Comment("the order's, so that a line's amounts stand alone"),
		field.String("title"),
		field.String("variant_title"),
		field.String("sku").Default(""),
		field.Int("quantity"),
		field.Int64("unit_price"),
		field.Int64("discount"),
		field.Int64("total"),
		field.Int64("tax").Default(0),
		field.JSON("taken", map[int]int{}).Optional().Comment("units taken from each location and not given back yet"),
		field.Int("fulfilled_quantity").Default(0),
		field.Int("removed_quantity").Default(0).Comment("refunded before they were fulfilled: never to be shipped"),
		field.Int("refunded_quantity").Default(0),
		field.Int("restocked_quantity").Default(0),
	}
}

// Indexes of the OrderLine.
func (OrderLine) Indexes() []ent.Index {
	// An order's lines are read by order_id, and sales summaries join the lines of a period's orders:
	// PostgreSQL does not index a foreign key by itself.
	return []ent.Index{index.Fields("order_id")}
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
		field.String("actor").Default("").Comment("global ID of the staff member or API key; empty for the buyer"),
		field.JSON("data", map[string]any{}).Optional().Comment("what changed, for webhook consumers"),
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
		field.Text("action_url").Default("").Comment("where the buyer completes the payment's challenge (3-D Secure), while ACTION_REQUIRED"),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("lease_until").Optional().Nillable().
			Comment("while PROCESSING, the worker's claim: once past, a recoverer may take the attempt over"),
	}
}

// Indexes of the CompletionAttempt.
func (CompletionAttempt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("cart_id", "attempt_token").Unique(),
		index.Fields("status", "lease_until"), // the recoverer's sweep
	}
}

// Fulfillment is a shipment of some of an order's units.
type Fulfillment struct{ ent.Schema }

// Fields of the Fulfillment.
func (Fulfillment) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.JSON("lines", map[int]int{}).Comment("units shipped, by order line ID"),
		field.String("tracking_company").Default(""),
		field.String("tracking_number").Default(""),
		field.String("tracking_url").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the Fulfillment.
func (Fulfillment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("fulfillments").Field("order_id").Unique().Required(),
	}
}

// Refund is money, units or both given back on an order.
type Refund struct{ ent.Schema }

// Fields of the Refund.
func (Refund) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id"),
		field.Int64("amount"),
		field.String("currency"),
		field.Int64("shipping").Default(0),
		field.JSON("lines", map[int]int{}).Optional().Comment("units refunded, by order line ID"),
		field.JSON("restocked", map[int]int{}).Optional().Comment("units put back in stock, by order line ID"),
		field.Text("note").Default(""),
		field.String("reference").Default("").Comment("the payment provider's"),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Indexes of the Refund: the tax report reads refunds by date, a page at a time.
func (Refund) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at", "id")}
}

// Edges of the Refund.
func (Refund) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("refunds").Field("order_id").Unique().Required(),
	}
}

// DiscountUsage records who used a once-per-customer discount, so that a second use is refused even by
// a concurrent checkout.
type DiscountUsage struct{ ent.Schema }

// Fields of the DiscountUsage.
func (DiscountUsage) Fields() []ent.Field {
	return []ent.Field{
		field.Int("discount_id"),
		field.String("customer_key").Comment("customer ID, or the lowercased email of a guest"),
		field.Int("order_id"),
	}
}

// Indexes of the DiscountUsage.
func (DiscountUsage) Indexes() []ent.Index {
	return []ent.Index{index.Fields("discount_id", "customer_key").Unique()}
}
