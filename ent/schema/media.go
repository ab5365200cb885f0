package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// StagedUpload is a place a client may upload one file to, made by stagedUploadsCreate. The token in
// its URL is a capability: only its hash is kept, and the first upload to it claims it.
type StagedUpload struct{ ent.Schema }

// Fields of the StagedUpload.
func (StagedUpload) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").Unique().NotEmpty().Sensitive(),
		field.String("filename").Default(""),
		field.String("mime_type").Default(""),
		field.Int64("max_bytes"),
		// pending, receiving (claimed by an upload in progress), stored, or attached (its resource URL
		// used by a change that committed).
		field.String("status").Default("pending"),
		field.String("object_key").Optional().Nillable(),
		field.Int("width").Optional().Nillable(),
		field.Int("height").Optional().Nillable(),
		field.Int("staff_id").Optional().Nillable(),
		field.Time("created_at").Default(now).Immutable(),
		// The upload must arrive before expires_at; its resource URL is usable until then too.
		field.Time("expires_at"),
	}
}

// Indexes of the StagedUpload.
func (StagedUpload) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at"), index.Fields("object_key")}
}

// MediaObject is a derived object in media storage (a transformed image), recorded so that deleting an
// original finds and deletes every object made from it.
type MediaObject struct{ ent.Schema }

// Fields of the MediaObject.
func (MediaObject) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().NotEmpty(),
		field.String("source_key").NotEmpty(),
		field.Int64("size"),
		field.Time("created_at").Default(now).Immutable(),
	}
}

// Indexes of the MediaObject.
func (MediaObject) Indexes() []ent.Index {
	return []ent.Index{index.Fields("source_key")}
}
