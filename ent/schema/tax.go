package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// TaxRate is the rate of one tax class in a country, or in one of its provinces.
type TaxRate struct{ ent.Schema }

// Fields of the TaxRate.
func (TaxRate) Fields() []ent.Field {
	return []ent.Field{
		field.String("country_code").MinLen(2).MaxLen(2),
		field.String("province_code").Default("").Comment("empty for the whole country"),
		field.String("zip_prefix").Default("").Comment("US: the rate of the ZIP codes starting so (a state/ZIP rate table row); empty for the whole province"),
		field.Enum("tax_class").Values("STANDARD", "REDUCED", "ZERO").Default("STANDARD"),
		field.String("name").NotEmpty().Comment("shown on tax lines, e.g. VAT"),
		field.Int("rate_bps").NonNegative().Comment("basis points: 1900 is 19%"),
		field.Int("rate_ppm").Optional().Nillable().NonNegative().
			Comment("the exact rate in millionths when basis points are too coarse (US local rates such as 8.875%); rate_bps is then its rounding"),
		field.Bool("exempt").Default(false).Comment("staff mark the class exempt in this jurisdiction: no tax, and no fallback to the standard rate"),
		field.Bool("inclusive").Default(false).Comment("prices contain the tax"),
		field.Bool("shipping_taxable").Default(false),
	}
}

// Indexes of the TaxRate.
func (TaxRate) Indexes() []ent.Index {
	return []ent.Index{index.Fields("country_code", "province_code", "zip_prefix", "tax_class").Unique()}
}
