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
		field.String("logo_url").Default("").Comment("shown in emails when set"),
		field.String("tax_origin_country").Default("").Comment("where the shop ships from, for EU VAT rules (One-Stop-Shop, reverse charge)"),
		field.Strings("tax_nexus").Optional().Comment("US states (province codes) where the shop collects sales tax; empty: wherever a rate exists"),
		field.String("locale").Default("en").Comment("language of emails to customers without one of their own, and to staff"),
		field.String("legal_name").Default("").Comment("the seller's registered name on invoices; the shop's name when empty"),
		field.String("vat_number").Default("").Comment("the seller's VAT number printed on invoices"),
		field.JSON("address", map[string]string{}).Optional().Comment("the seller's address on invoices (address1, city, zip, countryCode…)"),
	}
}

// Mixin of the Shop.
func (Shop) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }
