package schema

import (
	"encoding/json"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Invoice is an issued invoice or credit note. It is written once and never changed (every field is
// immutable and package invoices rejects updates): a correction is a credit note. The document holds a
// full snapshot of what it says, so that renderings (PDF, UBL) come out the same whenever asked for.
type Invoice struct{ ent.Schema }

// Fields of the Invoice.
func (Invoice) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("INVOICE", "CREDIT_NOTE").Immutable(),
		field.String("number").NotEmpty().Immutable().Comment("INV-2026-000001, CN-2026-000001: gap-free per kind and year"),
		field.Int("year").Immutable(),
		field.Int64("sequence").Immutable().Comment("the number's counter value"),
		field.String("source").NotEmpty().Immutable().Comment("order:ID or refund:ID: one document per source, whoever issues it"),
		field.Int("order_id").Immutable(),
		field.Int("refund_id").Optional().Nillable().Immutable(),
		field.Int("invoice_id").Optional().Nillable().Immutable().Comment("the invoice a credit note corrects"),
		field.Int("customer_id").Optional().Nillable().Immutable(),
		field.String("currency").Immutable(),
		field.Int64("total").Immutable().Comment("amount payable (or credited), tax included, in currency"),
		field.JSON("document", json.RawMessage{}).Immutable().Comment("the snapshot: seller, buyer, lines, tax breakdown, totals, notes"),
		field.Time("issued_at").Default(now).Immutable(),
	}
}

// Indexes of the Invoice.
func (Invoice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("kind", "number").Unique(),
		index.Fields("kind", "year", "sequence").Unique(),
		index.Fields("source").Unique(),
		index.Fields("order_id"),
		index.Fields("issued_at", "id"),
	}
}

// InvoiceCounter is the last number issued of one kind in one year. Issuing increments it in the
// document's own transaction, so a number is used iff its document commits: no gaps, no duplicates.
type InvoiceCounter struct{ ent.Schema }

// Fields of the InvoiceCounter.
func (InvoiceCounter) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").NotEmpty(),
		field.Int("year"),
		field.Int64("last").Default(0),
	}
}

// Indexes of the InvoiceCounter.
func (InvoiceCounter) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "year").Unique()}
}
