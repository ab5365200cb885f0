package audit

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"

	gen "github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/auditentry"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// ErrUnknownActor is an actor filter naming neither a staff member nor an API key.
var ErrUnknownActor = errors.New("audit: actorId must be a StaffMember's or an ApiKey's ID")

// Filter narrows a listing; zero fields match everything.
type Filter struct {
	// ActorID is the global ID of a staff member or an API key.
	ActorID string
	// Action is a mutation's name, e.g. taxRateCreate.
	Action string
}

// predicates turns f into ent predicates, refusing an actor ID of any other kind.
func (f Filter) predicates() ([]predicate.AuditEntry, error) {
	var ps []predicate.AuditEntry
	if f.ActorID != "" {
		id, err := gid.Decode(f.ActorID)
		if err != nil {
			return nil, err
		}
		kind := auditentry.ActorKindStaff
		switch id.Type {
		case "StaffMember":
		case "ApiKey":
			kind = auditentry.ActorKindAPIKey
		default:
			return nil, fmt.Errorf("%w, not %q", ErrUnknownActor, f.ActorID)
		}
		ps = append(ps, auditentry.ActorKindEQ(kind), auditentry.ActorIDEQ(id.ID))
	}
	if f.Action != "" {
		ps = append(ps, auditentry.ActionEQ(f.Action))
	}
	return ps, nil
}

// List returns a page of the entries f matches, newest first.
func List(ctx context.Context, client *gen.Client, f Filter, args pagination.Args) (keyset.Page[*gen.AuditEntry], error) {
	ps, err := f.predicates()
	if err != nil {
		return keyset.Page[*gen.AuditEntry]{}, err
	}
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*gen.AuditEntry]{}, err
	}
	o := keyset.Order{Key: "ID", Desc: true}
	var applyErr error
	rows, err := client.AuditEntry.Query().Where(ps...).Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, auditentry.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*gen.AuditEntry]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*gen.AuditEntry]{}, fmt.Errorf("audit: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(e *gen.AuditEntry) int { return e.ID })
}
