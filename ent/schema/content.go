package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Menu is a navigation menu such as a storefront's header.
type Menu struct{ ent.Schema }

// Fields of the Menu.
func (Menu) Fields() []ent.Field {
	return []ent.Field{
		field.String("handle").NotEmpty().Unique(),
		field.String("title").NotEmpty(),
	}
}

// Mixin of the Menu.
func (Menu) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the Menu.
func (Menu) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("items", MenuItem.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// MenuItem is an entry of a menu; items nest through parent_id.
type MenuItem struct{ ent.Schema }

// Fields of the MenuItem.
func (MenuItem) Fields() []ent.Field {
	return []ent.Field{
		field.Int("menu_id"),
		field.Int("parent_id").Optional().Nillable(),
		field.String("title").NotEmpty(),
		field.Enum("type").Values("ARTICLE", "BLOG", "CATALOG", "COLLECTION", "COLLECTIONS",
			"CUSTOMER_ACCOUNT_PAGE", "FRONTPAGE", "HTTP", "METAOBJECT", "PAGE", "PRODUCT", "SEARCH", "SHOP_POLICY"),
		field.String("url").Default(""),
		field.String("resource_type").Default("").Comment("Product, Collection or Page when the item links one"),
		field.Int("resource_id").Optional().Nillable(),
		field.Strings("tags").Optional(),
		field.Int("position").Default(0),
	}
}

// Edges of the MenuItem.
func (MenuItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("menu", Menu.Type).Ref("items").Field("menu_id").Unique().Required(),
		edge.To("children", MenuItem.Type).
			From("parent").Field("parent_id").Unique().
			Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the MenuItem.
func (MenuItem) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("menu_id", "position"),
	}
}

// Page is a content page such as "About us".
type Page struct{ ent.Schema }

// Fields of the Page.
func (Page) Fields() []ent.Field {
	return []ent.Field{
		field.String("handle").NotEmpty().Unique(),
		field.String("title").NotEmpty(),
		field.Text("body").Default(""),
		field.Text("body_summary").Default(""),
		field.Time("published_at").Optional().Nillable(),
	}
}

// Mixin of the Page.
func (Page) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, SEOMixin{}} }

// Indexes of the Page.
func (Page) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("title", "id"),
		index.Fields("updated_at", "id"),
	}
}
