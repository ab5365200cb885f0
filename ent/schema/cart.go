package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Attribute is a key-value pair a storefront attaches to a cart or a line.
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Cart is a shopper's cart. Its ID is a random token: the capability to read and change it.
type Cart struct{ ent.Schema }

// Fields of the Cart.
func (Cart) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").NotEmpty().Immutable().Comment("32 hex characters: 128 random bits"),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Text("note").Optional().Nillable(),
		field.JSON("attributes", []Attribute{}).Optional(),
		field.String("email").Optional().Nillable(),
		field.String("phone").Optional().Nillable(),
		field.String("country_code").Optional().Nillable(),
		field.Int("customer_id").Optional().Nillable(),
		field.Strings("discount_codes").Optional(),
		field.Time("completed_at").Optional().Nillable(),
		field.String("delivery_option").Optional().Nillable().Comment("handle of the selected shipping rate"),
		field.Int64("payment_amount").Optional().Nillable().Comment("what the buyer agreed to pay, in currency"),
		field.Enum("payment_method").Values("DIRECT", "FREE").Optional().Nillable(),
		field.String("payment_session").Optional().Nillable().Comment("the gateway's payment session (card)"),
		field.JSON("billing_address", map[string]string{}).Optional(),
	}
}

// Mixin of the Cart.
func (Cart) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the Cart.
func (Cart) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", CartLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("addresses", CartAddress.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// CartLine is a variant and a quantity in a cart.
type CartLine struct{ ent.Schema }

// Fields of the CartLine.
func (CartLine) Fields() []ent.Field {
	return []ent.Field{
		field.String("cart_id"),
		field.Int("variant_id"),
		field.Int("quantity"),
		field.JSON("attributes", []Attribute{}).Optional(),
	}
}

// Mixin of the CartLine.
func (CartLine) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the CartLine.
func (CartLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cart", Cart.Type).Ref("lines").Field("cart_id").Unique().Required(),
	}
}

// Indexes of the CartLine.
func (CartLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cart_id", "id")}
}
