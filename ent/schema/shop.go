package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Shop holds the shop-wide settings; there is one row.
type Shop struct{ ent.Schema }

// Fields of the Shop.
func (Shop) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.String("description").Default(""),
		field.String("default_currency").MinLen(3).MaxLen(3),
		field.Strings("currencies").Comment("enabled currencies, the default included"),
		field.String("primary_domain").Default(""),
	}
}

// Mixin of the Shop.
func (Shop) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }
