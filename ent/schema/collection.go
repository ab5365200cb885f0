package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Collection is a curated, ordered group of products.
type Collection struct{ ent.Schema }

// Fields of the Collection.
func (Collection) Fields() []ent.Field {
	return []ent.Field{
		field.String("handle").NotEmpty().Unique(),
		field.String("title").NotEmpty(),
		field.Text("description").Default(""),
		field.Text("description_html").Default(""),
		field.Enum("sort_order").
			Values("MANUAL", "BEST_SELLING", "ALPHA_ASC", "ALPHA_DESC", "PRICE_ASC", "PRICE_DESC", "CREATED", "CREATED_DESC").
			Default("MANUAL"),
		field.Int("image_id").Optional().Nillable(),
	}
}

// Mixin of the Collection.
func (Collection) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SEOMixin{}} }

// Edges of the Collection.
func (Collection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("image", Image.Type).Field("image_id").Unique(),
		edge.To("collection_products", CollectionProduct.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Collection.
func (Collection) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("title", "id"),
		index.Fields("updated_at", "id"),
	}
}

// CollectionProduct places a product in a collection at a manual position.
type CollectionProduct struct{ ent.Schema }

// Fields of the CollectionProduct.
func (CollectionProduct) Fields() []ent.Field {
	return []ent.Field{
		field.Int("collection_id"),
		field.Int("product_id"),
		field.Int("position").Default(0),
	}
}

// Edges of the CollectionProduct.
func (CollectionProduct) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("collection", Collection.Type).Ref("collection_products").Field("collection_id").Unique().Required(),
		edge.From("product", Product.Type).Ref("collection_products").Field("product_id").Unique().Required(),
	}
}

// Indexes of the CollectionProduct.
func (CollectionProduct) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("collection_id", "product_id").Unique(),
		index.Fields("collection_id", "position", "product_id"),
		index.Fields("product_id"),
	}
}
