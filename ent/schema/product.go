package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Product is an item the shop sells, in one or more variants.
type Product struct{ ent.Schema }

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("handle").NotEmpty().Unique(),
		field.String("title").NotEmpty(),
		field.Text("description").Default("").Comment("plain text, derived from description_html"),
		field.Text("description_html").Default(""),
		field.String("vendor").Default(""),
		field.String("product_type").Default(""),
		field.Strings("tags").Optional().Comment("in display order; product_tags indexes them for search"),
		field.Enum("status").Values("ACTIVE", "DRAFT", "ARCHIVED").Default("ACTIVE"),
		field.Time("published_at").Optional().Nillable(),
		field.Int64("min_price").Default(0).
			Comment("lowest variant price in the shop's default currency, in minor units: the PRICE sort key"),
		field.Int64("sales_count").Default(0).Comment("units sold: the BEST_SELLING sort key"),
		field.Enum("tax_class").Values("STANDARD", "REDUCED", "ZERO").Default("STANDARD"),
	}
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SEOMixin{}} }

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("options", ProductOption.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("variants", ProductVariant.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("images", Image.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("product_tags", ProductTag.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("collection_products", CollectionProduct.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Product: one per keyset sort order, led by the visibility columns that every storefront
// listing filters on.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "title", "id"),
		index.Fields("status", "min_price", "id"),
		index.Fields("status", "sales_count", "id"),
		index.Fields("status", "created_at", "id"),
		index.Fields("status", "updated_at", "id"),
		index.Fields("status", "product_type", "id"),
		index.Fields("status", "vendor", "id"),
	}
}

// ProductTag indexes a product's tags so that tag filters use an index.
type ProductTag struct{ ent.Schema }

// Fields of the ProductTag.
func (ProductTag) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id"),
		field.String("tag").NotEmpty(),
	}
}

// Edges of the ProductTag.
func (ProductTag) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("product_tags").Field("product_id").Unique().Required(),
	}
}

// Indexes of the ProductTag.
func (ProductTag) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "tag").Unique(),
		index.Fields("tag", "product_id"),
	}
}

// ProductOption is an option such as Size, with its values in display order.
type ProductOption struct{ ent.Schema }

// Fields of the ProductOption.
func (ProductOption) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id"),
		field.String("name").NotEmpty(),
		field.Int("position").Default(0),
		field.Strings("values"),
	}
}

// Edges of the ProductOption.
func (ProductOption) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("options").Field("product_id").Unique().Required(),
	}
}

// Indexes of the ProductOption.
func (ProductOption) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "name").Unique(),
		index.Fields("product_id", "position"),
	}
}

// The option and value Shopify shows for a product without options (its single variant): storefronts
// that render option pickers or match variants by selectedOptions expect them.
const (
	DefaultOptionName  = "Title"
	DefaultOptionValue = "Default Title"
)

// SelectedOption is one option value of a variant.
type SelectedOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// ProductVariant is one purchasable combination of a product's option values.
type ProductVariant struct{ ent.Schema }

// Fields of the ProductVariant.
func (ProductVariant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id"),
		field.String("title").NotEmpty(),
		field.String("sku").Optional().Nillable().Unique(),
		field.String("barcode").Optional().Nillable(),
		field.JSON("selected_options", []SelectedOption{}).Optional(),
		field.Float("weight").Default(0),
		field.Enum("weight_unit").Values("GRAMS", "KILOGRAMS", "OUNCES", "POUNDS").Default("KILOGRAMS"),
		field.Bool("requires_shipping").Default(true),
		field.Bool("taxable").Default(true),
		field.Int("position").Default(0),
		field.Enum("inventory_policy").Values("DENY", "CONTINUE").Default("DENY"),
		field.Bool("inventory_tracked").Default(true).
			Comment("an untracked variant is always available and has no quantity"),
		field.Int("image_id").Optional().Nillable(),
	}
}

// Mixin of the ProductVariant.
func (ProductVariant) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the ProductVariant.
func (ProductVariant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("variants").Field("product_id").Unique().Required(),
		edge.To("image", Image.Type).Field("image_id").Unique(),
		edge.To("prices", VariantPrice.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
		edge.To("inventory_levels", InventoryLevel.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the ProductVariant.
func (ProductVariant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "position", "id"),
	}
}

// VariantPrice is a variant's price in one currency, in minor units.
type VariantPrice struct{ ent.Schema }

// Fields of the VariantPrice.
func (VariantPrice) Fields() []ent.Field {
	return []ent.Field{
		field.Int("variant_id"),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Int64("amount").NonNegative(),
		field.Int64("compare_at_amount").Optional().Nillable(),
	}
}

// Edges of the VariantPrice.
func (VariantPrice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("variant", ProductVariant.Type).Ref("prices").Field("variant_id").Unique().Required(),
	}
}

// Indexes of the VariantPrice.
func (VariantPrice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("variant_id", "currency").Unique(),
		index.Fields("currency", "amount"),
	}
}

// Image is a picture of a product, a variant or a collection.
type Image struct{ ent.Schema }

// Fields of the Image.
func (Image) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id").Optional().Nillable(),
		field.String("url").NotEmpty(),
		field.String("alt_text").Default(""),
		field.Int("width").Optional().Nillable(),
		field.Int("height").Optional().Nillable(),
		field.Int("position").Default(0),
	}
}

// Edges of the Image.
func (Image) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).Ref("images").Field("product_id").Unique(),
	}
}

// Indexes of the Image.
func (Image) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "position", "id"),
		// Deleting a stored picture first asks whether any image still shows it.
		index.Fields("url"),
	}
}

// Location is a place that holds stock.
type Location struct{ ent.Schema }

// Fields of the Location.
func (Location) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Unique(),
		field.String("country").Default(""),
		field.String("city").Default(""),
		field.Bool("active").Default(true),
	}
}

// Edges of the Location.
func (Location) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("inventory_levels", InventoryLevel.Type),
	}
}

// InventoryLevel is the stock of one variant at one location.
type InventoryLevel struct{ ent.Schema }

// Fields of the InventoryLevel.
func (InventoryLevel) Fields() []ent.Field {
	return []ent.Field{
		field.Int("variant_id"),
		field.Int("location_id"),
		field.Int("available").Default(0),
		field.Int("low_stock_threshold").Optional().Nillable().
			Comment("staff are emailed when available falls from above it to at or below it; nil: never"),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the InventoryLevel.
func (InventoryLevel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("variant", ProductVariant.Type).Ref("inventory_levels").Field("variant_id").Unique().Required(),
		edge.From("location", Location.Type).Ref("inventory_levels").Field("location_id").Unique().Required(),
	}
}

// Indexes of the InventoryLevel.
func (InventoryLevel) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("variant_id", "location_id").Unique(),
	}
}

// InventoryAdjustment records one change of a stock level: the history staff read.
type InventoryAdjustment struct{ ent.Schema }

// Fields of the InventoryAdjustment.
func (InventoryAdjustment) Fields() []ent.Field {
	return []ent.Field{
		field.Int("variant_id"),
		field.Int("location_id"),
		field.Int("delta"),
		field.Int("quantity_after"),
		field.String("reason").NotEmpty(),
		field.String("actor").Default("").Comment("global ID of the staff member, API key or process"),
		field.Time("created_at").Default(now).Immutable(),
	}
}

// Indexes of the InventoryAdjustment.
func (InventoryAdjustment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("variant_id", "id")}
}
