package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Discount is a price reduction: automatic, or applied by a code.
type Discount struct{ ent.Schema }

// Fields of the Discount.
func (Discount) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty(),
		field.String("code").Optional().Nillable().Unique().Comment("uppercase; nil for an automatic discount"),
		field.Bool("automatic").Default(false),
		field.Enum("kind").Values("PERCENTAGE", "FIXED_AMOUNT", "FREE_SHIPPING", "BUY_X_GET_Y"),
		field.Enum("target").Values("ORDER", "PRODUCTS", "COLLECTIONS").Default("ORDER"),
		field.Int("percentage_bps").Default(0).Comment("PERCENTAGE, and the reduction of BUY_X_GET_Y's free items"),
		field.Int64("amount").Default(0).Comment("FIXED_AMOUNT, in currency"),
		field.String("currency").Default("").Comment("of amount and min_subtotal"),
		field.JSON("product_ids", []int{}).Optional(),
		field.JSON("collection_ids", []int{}).Optional(),
		field.Int64("min_subtotal").Default(0),
		field.Int("min_quantity").Default(0),
		field.Int("buy_quantity").Default(0),
		field.Int("get_quantity").Default(0),
		field.Int("usage_limit").Optional().Nillable(),
		field.Int("usage_count").Default(0),
		field.Bool("once_per_customer").Default(false),
		field.Time("starts_at").Default(time.Now),
		field.Time("ends_at").Optional().Nillable(),
		field.Bool("combines_with_product").Default(false),
		field.Bool("combines_with_order").Default(false),
		field.Bool("active").Default(true),
	}
}

// Mixin of the Discount.
func (Discount) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }
