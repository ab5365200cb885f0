// Package audit records who changed what, and when, through the Admin API. An ent hook writes one entry
// per changed row, in the same transaction as the change, for every write made while a staff member or
// API key runs an admin mutation; a write that rolls back leaves no entry.
package audit

import (
	"context"
	"fmt"
	"slices"

	"entgo.io/ent"

	"github.com/emporium/emporium/auth"
	gen "github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/auditentry"
	"github.com/emporium/emporium/gid"
)

type actionKey struct{}

// WithAction marks ctx as running the named admin mutation; writes under it are recorded.
func WithAction(ctx context.Context, action string) context.Context {
	return context.WithValue(ctx, actionKey{}, action)
}

func actionFrom(ctx context.Context) string {
	a, _ := ctx.Value(actionKey{}).(string)
	return a
}

// Hook records audited writes. Register it once on the client.
func Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			action := actionFrom(ctx)
			viewer := auth.ViewerFrom(ctx)
			if err != nil || action == "" || m.Type() == gen.TypeAuditEntry ||
				viewer.Kind != auth.Staff && viewer.Kind != auth.APIKey {
				return v, err
			}
			if err := record(ctx, m, v, action, viewer); err != nil {
				return nil, err
			}
			return v, nil
		})
	}
}

func record(ctx context.Context, m ent.Mutation, v ent.Value, action string, viewer auth.Viewer) error {
	c, ok := m.(interface{ Client() *gen.Client })
	if !ok {
		return fmt.Errorf("audit: %s mutation has no client", m.Type())
	}
	resource := m.Type()
	if id, ok := entityID(m, v); ok {
		resource = gid.Encode(m.Type(), id)
	}
	kind := auditentry.ActorKindStaff
	if viewer.Kind == auth.APIKey {
		kind = auditentry.ActorKindAPIKey
	}
	// Field names only: values may be secrets (password hashes, key hashes).
	details := map[string]any{"op": m.Op().String(), "fields": written(m)}
	err := c.Client().AuditEntry.Create().SetActorKind(kind).SetActorID(viewer.ID).SetAction(action).
		SetResource(resource).SetDetails(details).Exec(ctx)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", action, err)
	}
	return nil
}

// entityID finds the ID of the row a mutation changed; ent sets it on the mutation once a create is
// saved.
func entityID(m ent.Mutation, _ ent.Value) (int, bool) {
	if im, ok := m.(interface{ ID() (int, bool) }); ok {
		return im.ID()
	}
	return 0, false
}

// written names the fields a mutation sets, adds to or clears, and the edges it changes (a member's
// groups, say).
func written(m ent.Mutation) []string {
	names := m.Fields()
	for _, more := range [][]string{m.AddedFields(), m.ClearedFields(), m.AddedEdges(), m.RemovedEdges(), m.ClearedEdges()} {
		for _, name := range more {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}
