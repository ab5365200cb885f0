package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// TestPayment is a payment of the test gateway (payments.TestGateway). The gateway plays an external
// system, so it keeps its payments in a table of its own, written in its own statements, never inside
// an order's transaction: it remembers what it did across a crash of the process that asked, and a
// retried authorization with a known idempotency key answers the first outcome on any replica.
type TestPayment struct{ ent.Schema }

// Fields of the TestPayment.
func (TestPayment) Fields() []ent.Field {
	return []ent.Field{
		field.String("reference").Unique().NotEmpty(),
		field.String("idempotency_key").Optional().Nillable().Unique(),
		field.String("status"),
		field.String("message").Default(""),
		field.String("action_url").Default(""),
		field.String("currency"),
		field.Int64("authorized"),
		field.Int64("captured").Default(0),
		field.Int64("refunded").Default(0),
		field.Bool("decline_on_confirm").Default(false),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}
