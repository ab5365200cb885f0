package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CartAddress is a delivery address of a cart; the selected one is where the cart ships.
type CartAddress struct{ ent.Schema }

// Fields of the CartAddress.
func (CartAddress) Fields() []ent.Field {
	return []ent.Field{
		field.String("cart_id"),
		field.Bool("selected").Default(false),
		field.Bool("one_time_use").Default(false),
		field.String("first_name").Default(""),
		field.String("last_name").Default(""),
		field.String("company").Default(""),
		field.String("address1").Default(""),
		field.String("address2").Default(""),
		field.String("city").Default(""),
		field.String("province_code").Default(""),
		field.String("country_code").Default(""),
		field.String("zip").Default(""),
		field.String("phone").Default(""),
	}
}

// Edges of the CartAddress.
func (CartAddress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cart", Cart.Type).Ref("addresses").Field("cart_id").Unique().Required(),
	}
}

// Indexes of the CartAddress.
func (CartAddress) Indexes() []ent.Index { return []ent.Index{index.Fields("cart_id", "id")} }

// ShippingZone is a set of countries that share shipping rates; "*" stands for every other country.
type ShippingZone struct{ ent.Schema }

// Fields of the ShippingZone.
func (ShippingZone) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.Strings("countries"),
	}
}

// Edges of the ShippingZone.
func (ShippingZone) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("rates", ShippingRate.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// ShippingRate is one way to ship within a zone, priced in one currency.
type ShippingRate struct{ ent.Schema }

// Fields of the ShippingRate.
func (ShippingRate) Fields() []ent.Field {
	return []ent.Field{
		field.Int("zone_id"),
		field.String("handle").NotEmpty(),
		field.String("title").NotEmpty(),
		field.Enum("kind").Values("FLAT", "WEIGHT", "SUBTOTAL").Default("FLAT"),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Int64("amount").NonNegative(),
		field.Int64("min_weight_grams").Optional().Nillable(),
		field.Int64("max_weight_grams").Optional().Nillable(),
		field.Int64("min_subtotal").Optional().Nillable(),
		field.Int64("max_subtotal").Optional().Nillable(),
		field.Int64("free_above").Optional().Nillable().Comment("the rate costs nothing from this subtotal on"),
	}
}

// Edges of the ShippingRate.
func (ShippingRate) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("zone", ShippingZone.Type).Ref("rates").Field("zone_id").Unique().Required(),
	}
}
