package schema

import (
	"encoding/json"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Event is one business change told to the outside (the transactional outbox): written in the change's
// own transaction by events.Record, so that it exists if and only if the change committed, then handed
// to the job queue for delivery.
type Event struct{ ent.Schema }

// Fields of the Event.
func (Event) Fields() []ent.Field {
	return []ent.Field{
		field.String("topic").NotEmpty().Immutable().Comment("Shopify's topic name: orders/create, products/update…"),
		field.String("resource_type").NotEmpty().Immutable().Comment("the GraphQL type of the resource: Order, Product…"),
		field.String("resource_id").NotEmpty().Immutable().Comment("the resource's global ID"),
		field.JSON("payload", json.RawMessage{}).Immutable().Comment("the resource as the Admin API shows it, at the change"),
		field.Time("created_at").Default(now).Immutable(),
		field.Time("processed_at").Optional().Nillable().Comment("when the queue's job handled the event"),
	}
}

// Indexes of the Event.
func (Event) Indexes() []ent.Index {
	return []ent.Index{
		// A resource's events in the order they happened, for per-resource ordered delivery.
		index.Fields("resource_type", "resource_id"),
		index.Fields("topic", "created_at"),
		// The relay's backlog, and an earlier event of a resource not yet handed on (delivery order).
		index.Fields("processed_at"),
		index.Fields("resource_id", "processed_at"),
	}
}
