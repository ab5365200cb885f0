package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// JournalEntry is one balanced posting of the double-entry journal, written in the transaction of the
// business change it records (an order placed, paid, refunded or cancelled).
type JournalEntry struct{ ent.Schema }

// Fields of the JournalEntry.
func (JournalEntry) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").Comment("order_placed, payment_captured, refund, order_cancelled"),
		field.String("currency"),
		field.Int("order_id").Optional().Nillable(),
		field.Int("refund_id").Optional().Nillable(),
		field.String("payment_reference").Default("").Comment("the payment provider's, when money moved"),
		field.String("memo").Default(""),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// Edges of the JournalEntry.
func (JournalEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", JournalLine.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the JournalEntry.
func (JournalEntry) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("created_at", "id"),
		index.Fields("order_id"),
		// Disputes and payouts are booked once: their entries are found by the provider's ID.
		index.Fields("payment_reference"),
	}
}

// JournalLine is one debit or credit of an entry, in integer minor units of its currency.
type JournalLine struct{ ent.Schema }

// Fields of the JournalLine.
func (JournalLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("entry_id"),
		field.String("account").Comment("the account's role in the chart: RECEIVABLE, SALES, TAX_PAYABLE…"),
		field.String("account_code").Comment("the shop's code for the role when the line was posted"),
		field.String("account_name").Default(""),
		field.Int64("debit").Default(0),
		field.Int64("credit").Default(0),
		field.String("currency"),
		field.String("memo").Default(""),
	}
}

// Edges of the JournalLine.
func (JournalLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("entry", JournalEntry.Type).Ref("lines").Field("entry_id").Unique().Required(),
	}
}

// AccountingAccount maps an account role of the chart to the shop's own code and name. A role without a
// row uses the default chart.
type AccountingAccount struct{ ent.Schema }

// Fields of the AccountingAccount.
func (AccountingAccount) Fields() []ent.Field {
	return []ent.Field{
		field.String("role").Unique(),
		field.String("code"),
		field.String("name"),
	}
}
