package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Customer is a shopper's account.
type Customer struct{ ent.Schema }

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().Unique().Comment("lowercased"),
		field.String("password_hash").Sensitive(),
		field.String("first_name").Default(""),
		field.String("last_name").Default(""),
		field.String("phone").Optional().Nillable(),
		field.Bool("accepts_marketing").Default(false),
		field.Bool("disabled").Default(false),
		field.Int("token_version").Default(0).Comment("bumped on password change: revokes every token"),
		field.Int("failed_logins").Default(0),
		field.Time("locked_until").Optional().Nillable(),
		field.String("reset_token_hash").Optional().Nillable().Sensitive(),
		field.Time("reset_expires_at").Optional().Nillable(),
		field.Int("default_address_id").Optional().Nillable(),
		field.Bool("tax_exempt").Default(false).Comment("set by staff: the customer pays no tax"),
		field.String("tax_exemption_reason").Default("").Comment("why, printed on invoices (e.g. a resale certificate number)"),
		field.String("locale").Default("").Comment("language of the customer's emails (BCP 47, e.g. de); empty for the shop's"),
	}
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("addresses", CustomerAddress.Type).Annotations(entsql.OnDelete(entsql.Cascade)),
	}
}

// Indexes of the Customer.
func (Customer) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("reset_token_hash"),
		index.Fields("created_at", "id"),
	}
}

// CustomerAddress is a mailing address in a customer's address book.
type CustomerAddress struct{ ent.Schema }

// Fields of the CustomerAddress.
func (CustomerAddress) Fields() []ent.Field {
	return []ent.Field{
		field.Int("customer_id"),
		field.String("first_name").Default(""),
		field.String("last_name").Default(""),
		field.String("company").Default(""),
		field.String("address1").Default(""),
		field.String("address2").Default(""),
		field.String("city").Default(""),
		field.String("province").Default(""),
		field.String("province_code").Default(""),
		field.String("country").Default(""),
		field.String("country_code").Default(""),
		field.String("zip").Default(""),
		field.String("phone").Default(""),
	}
}

// Mixin of the CustomerAddress.
func (CustomerAddress) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the CustomerAddress.
func (CustomerAddress) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("addresses").Field("customer_id").Unique().Required(),
	}
}

// Indexes of the CustomerAddress.
func (CustomerAddress) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id", "id")}
}

// Session is a login of a customer or a staff member; its tokens live as long as it is not revoked.
type Session struct{ ent.Schema }

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.String("id").NotEmpty().Immutable().Comment("random, carried in tokens as sid"),
		field.Enum("kind").Values("customer", "staff").Immutable(),
		field.Int("subject_id").Immutable(),
		field.Time("created_at").Default(time.Now).Immutable(),
		field.Time("expires_at").Comment("no renewal past this"),
		field.Time("revoked_at").Optional().Nillable(),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("kind", "subject_id")}
}

// StaffMember is an account of the shop's staff.
type StaffMember struct{ ent.Schema }

// Fields of the StaffMember.
func (StaffMember) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").NotEmpty().Unique().Comment("lowercased"),
		field.String("password_hash").Sensitive(),
		field.String("name").Default(""),
		field.Bool("owner").Default(false).Comment("holds every permission"),
		field.Bool("active").Default(true),
		field.Int("token_version").Default(0),
		field.Int("failed_logins").Default(0),
		field.Time("locked_until").Optional().Nillable(),
	}
}

// Mixin of the StaffMember.
func (StaffMember) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the StaffMember.
func (StaffMember) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("groups", PermissionGroup.Type),
	}
}

// PermissionGroup is a role: a named set of permissions given to staff members.
type PermissionGroup struct{ ent.Schema }

// Fields of the PermissionGroup.
func (PermissionGroup) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().Unique(),
		field.Strings("permissions"),
	}
}

// Mixin of the PermissionGroup.
func (PermissionGroup) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// Edges of the PermissionGroup.
func (PermissionGroup) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("members", StaffMember.Type).Ref("groups"),
	}
}

// APIKey lets a partner integration call the API with a set of permissions.
type APIKey struct{ ent.Schema }

// Fields of the APIKey.
func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.String("secret_hash").Unique().Sensitive().Comment("SHA-256 of the secret, which is shown once"),
		field.String("prefix").Comment("the secret's first characters, to recognise the key in lists"),
		field.Strings("permissions"),
		field.Time("expires_at").Optional().Nillable(),
		field.Time("revoked_at").Optional().Nillable(),
		field.Time("last_used_at").Optional().Nillable(),
		field.Int("created_by").Optional().Nillable().Comment("staff member"),
	}
}

// Mixin of the APIKey.
func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// StorefrontAccessToken lets a storefront call the Storefront API under its own rate limits: a public
// token for browsers and apps, a private one for a storefront's server, which may name its buyer's
// address. Deleting the row ends the token on its next request; the audit log says who made it.
type StorefrontAccessToken struct{ ent.Schema }

// Fields of the StorefrontAccessToken.
func (StorefrontAccessToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty(),
		field.Bool("private").Default(false).Immutable(),
		field.String("token_hash").Unique().Sensitive().Immutable().Comment("SHA-256 of the token, which requests are looked up by"),
		field.String("access_token").Optional().Nillable().Immutable().
			Comment("a public token itself, which every browser of the shop sees anyway; never a private token's"),
		field.String("prefix").Immutable().Comment("the token's first characters, to recognise it in lists"),
	}
}

// Mixin of the StorefrontAccessToken.
func (StorefrontAccessToken) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

// AuditEntry records who changed what through the Admin API, and when.
type AuditEntry struct{ ent.Schema }

// Fields of the AuditEntry.
func (AuditEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("actor_kind").Values("staff", "api_key", "system").Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.String("action").NotEmpty().Immutable().Comment("the mutation, e.g. productCreate"),
		field.String("resource").Default("").Immutable().Comment("global ID of what was changed"),
		field.JSON("details", map[string]any{}).Optional().Immutable(),
		field.Time("created_at").Default(now).Immutable(),
	}
}

// Indexes of the AuditEntry.
func (AuditEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("created_at", "id")}
}

// SigningKey is the development signing key, generated on first start when no key is configured and kept
// in the database so that every replica signs and verifies with it.
type SigningKey struct{ ent.Schema }

// Fields of the SigningKey.
func (SigningKey) Fields() []ent.Field {
	return []ent.Field{
		field.Text("private_pem").Sensitive(),
		field.Time("created_at").Default(time.Now).Immutable(),
	}
}

// LoginThrottle counts recent failed logins for one key (an email or a client address), shared by
// every replica.
type LoginThrottle struct{ ent.Schema }

// Fields of the LoginThrottle.
func (LoginThrottle) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").NotEmpty().Unique(),
		field.Int("failures").Default(0),
		field.Time("window_start"),
	}
}
