// Package schema holds Emporium's domain model. ent generates the query and mutation code from it.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// TimeMixin stamps creation and update times. Times are stored in UTC.
type TimeMixin struct{ mixin.Schema }

// Fields of the TimeMixin.
func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(now).Immutable(),
		field.Time("updated_at").Default(now).UpdateDefault(now),
	}
}

// SEOMixin holds the search-engine title and description of a resource.
type SEOMixin struct{ mixin.Schema }

// Fields of the SEOMixin.
func (SEOMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("seo_title").Default(""),
		field.String("seo_description").Default(""),
	}
}

// now truncates to microseconds, the precision PostgreSQL keeps, so that a time read back equals the
// time written on both databases.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
