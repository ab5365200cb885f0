package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// WebhookSubscription asks for a topic's events to be POSTed to a partner's URL (package webhooks).
type WebhookSubscription struct{ ent.Schema }

// Fields of the WebhookSubscription.
func (WebhookSubscription) Fields() []ent.Field {
	return []ent.Field{
		field.String("topic").NotEmpty().Comment("Shopify's topic name: orders/create, products/update…"),
		field.String("callback_url").NotEmpty(),
		field.Enum("format").Values("json").Default("json"),
		// Stored as is, not hashed: each delivery is signed with it (HMAC). It is shown once, at creation.
		field.String("secret").Sensitive().Immutable(),
		field.Int("api_key_id").Optional().Nillable().Immutable().
			Comment("the API key that made the subscription, which alone (with staff) manages it"),
		field.Enum("status").Values("active", "failing").Default("active").
			Comment("failing: a delivery was given up after retrying; no new deliveries until updated"),
		// What of each event the subscription receives and which events: validated by package webhooks
		// against the topic's payload when saved, applied at delivery.
		field.Text("field_selection").Default("").
			Comment("a GraphQL selection set on the event's payload ({ id lineItems { title } }); empty: all of it"),
		field.Strings("include_fields").Optional().
			Comment("Shopify's includeFields: top-level or dotted payload fields; empty: all of it"),
		field.Text("filter").Default("").
			Comment("Shopify's webhook filter (financial_status:paid); empty: every event of the topic"),
		field.String("api_version").Default("2025-01").Comment("X-Emporium-Api-Version of the payloads"),
	}
}

// Mixin of the WebhookSubscription.
func (WebhookSubscription) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Indexes of the WebhookSubscription.
func (WebhookSubscription) Indexes() []ent.Index {
	return []ent.Index{index.Fields("topic", "status"), index.Fields("api_key_id")}
}

// WebhookDelivery is one event sent to one subscription: its attempts so far and the last one's outcome.
type WebhookDelivery struct{ ent.Schema }

// Fields of the WebhookDelivery.
func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("subscription_id").Immutable(),
		field.Int("event_id").Immutable(),
		field.String("topic").Immutable(),
		field.String("resource_id").Immutable().Comment("the event's resource, for per-resource order"),
		field.String("callback_url").Immutable().
			Comment("where the subscription pointed when the delivery was made: order is kept per receiver and resource"),
		field.String("webhook_id").Unique().Immutable().Comment("X-Emporium-Webhook-Id, the same on every attempt"),
		field.Enum("status").Values("pending", "retrying", "delivered", "failed").Default("pending"),
		field.Int("attempts").Default(0),
		field.Int("response_code").Optional().Nillable(),
		field.Int("latency_ms").Optional().Nillable(),
		field.String("error").Default(""),
		field.Time("next_attempt_at").Optional().Nillable().
			Comment("when the delivery is due: its creation, then each retry's time; none once delivered or failed"),
		field.Time("last_attempt_at").Optional().Nillable(),
		field.Time("delivered_at").Optional().Nillable(),
		field.Time("lease_until").Optional().Nillable().
			Comment("a process is making the attempt until then; past it, the delivery is due again (a crashed process)"),
	}
}

// Edges of the WebhookDelivery.
func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("attempt_history", WebhookDeliveryAttempt.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Mixin of the WebhookDelivery.
func (WebhookDelivery) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Indexes of the WebhookDelivery.
func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("subscription_id", "id"),
		// The undelivered earlier deliveries of a resource to a receiver, looked up before each attempt.
		index.Fields("resource_id", "callback_url", "status"),
		// The due deliveries, claimed in batches by the pump.
		index.Fields("status", "next_attempt_at"),
	}
}

// WebhookDeliveryAttempt is one attempt of a delivery: when, the answer, how long it took.
type WebhookDeliveryAttempt struct{ ent.Schema }

// Fields of the WebhookDeliveryAttempt.
func (WebhookDeliveryAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.Int("delivery_id").Immutable(),
		field.Time("attempted_at").Immutable(),
		field.Int("status_code").Optional().Nillable().Immutable().Comment("none when no answer came"),
		field.Int("latency_ms").Immutable(),
		field.String("error").Default("").Immutable(),
	}
}

// Edges of the WebhookDeliveryAttempt.
func (WebhookDeliveryAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("delivery", WebhookDelivery.Type).Ref("attempt_history").Field("delivery_id").Unique().Required().Immutable(),
	}
}

// Indexes of the WebhookDeliveryAttempt.
func (WebhookDeliveryAttempt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("delivery_id", "attempted_at")}
}
