package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Payout is money a payment provider paid out of the shop's balance to its bank account, as the provider
// reported it. The row is written when the report arrives; a job then asks the provider for the fees it
// kept and books the payout, once (booked), and books it back once if the payout fails (reversed).
type Payout struct{ ent.Schema }

// Fields of the Payout.
func (Payout) Fields() []ent.Field {
	return []ent.Field{
		field.String("provider"),
		field.String("provider_id").Comment("the provider's ID of the payout (po_… at Stripe)"),
		field.Int64("amount").Comment("minor units paid to the bank"),
		field.Int64("fees").Default(0).Comment("minor units the provider kept from the transactions paid out, once booked"),
		field.String("currency"),
		field.Enum("status").Values("PAID", "FAILED"),
		field.Time("arrival_date"),
		field.Bool("booked").Default(false),
		field.Bool("reversed").Default(false),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Indexes of the Payout.
func (Payout) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("provider", "provider_id").Unique(),
		index.Fields("created_at", "id"),
	}
}
