package staff

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/permissiongroup"
	"github.com/emporium/emporium/ent/staffmember"
	"github.com/emporium/emporium/validation"
)

// Rules of staff management. Nobody hands out power they do not hold: a group can only be created,
// changed, deleted or given to a member by someone who holds every permission in it (an owner holds
// all). Only an owner changes an owner. Nobody deactivates themselves, and a member deactivated while
// deactivating another is refused, so the shop always keeps an active owner (owners are only made outside
// the API).

// Actor is who manages staff: a staff member or an API key with MANAGE_STAFF.
type Actor struct {
	Viewer auth.Viewer
	// Owner is true for a shop owner.
	Owner bool
}

// ActorOf resolves the viewer of a request into an Actor.
func (s *Service) ActorOf(ctx context.Context, v auth.Viewer) (Actor, error) {
	a := Actor{Viewer: v}
	if v.Kind != auth.Staff {
		return a, nil
	}
	m, err := s.client.StaffMember.Get(ctx, v.ID)
	if err != nil {
		return a, fmt.Errorf("staff: actor: %w", err)
	}
	a.Owner = m.Owner
	return a, nil
}

// missing returns the first of permissions the actor does not hold, or "".
func (a Actor) missing(permissions []string) string {
	for _, p := range permissions {
		if !a.Owner && !a.Viewer.Can(p) {
			return p
		}
	}
	return ""
}

var errRollback = errors.New("rolled back")

// CreateGroupAs adds a permission group holding no more than the actor holds.
func (s *Service) CreateGroupAs(ctx context.Context, a Actor, name string, permissions []string) (*ent.PermissionGroup, validation.Errors, error) {
	if p := a.missing(permissions); p != "" {
		return nil, forbidden("input.permissions", "You cannot grant "+p+", which you do not hold"), nil
	}
	return s.CreateGroup(ctx, name, permissions)
}

// GroupInput changes a permission group; nil fields stay as they are.
type GroupInput struct {
	Name        *string
	Permissions []string
}

// UpdateGroup renames a group or replaces its permissions; its members hold the new ones on their next
// request.
func (s *Service) UpdateGroup(ctx context.Context, a Actor, id int, in GroupInput) (*ent.PermissionGroup, validation.Errors, error) {
	var errs validation.Errors
	var out *ent.PermissionGroup
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if errs, err = a.ownGroup(ctx, tx, id, "change"); err != nil || errs.Any() {
			return cmpErr(err)
		}
		u := tx.PermissionGroup.UpdateOneID(id)
		if in.Name != nil {
			name := errs.Text("input.name", *in.Name, 255)
			if name == "" && !errs.Any() {
				errs.Add("input.name", validation.Blank, "Name can't be blank")
			}
			u.SetName(name)
		}
		if in.Permissions != nil {
			if len(in.Permissions) == 0 {
				errs.Add("input.permissions", validation.Blank, "A group needs at least one permission")
			} else if p := a.missing(in.Permissions); p != "" {
				errs.Add("input.permissions", validation.Forbidden, "You cannot grant "+p+", which you do not hold")
			}
			u.SetPermissions(in.Permissions)
		}
		if errs.Any() {
			return errRollback
		}
		out, err = u.Save(ctx)
		if ent.IsConstraintError(err) {
			errs.Add("input.name", validation.Taken, "Name has already been taken")
			return errRollback
		}
		return err
	})
	return result(out, errs, err)
}

// ownGroup checks that group id exists and that the actor holds every permission in it, so may verb it.
func (a Actor) ownGroup(ctx context.Context, tx *ent.Tx, id int, verb string) (validation.Errors, error) {
	g, err := tx.PermissionGroup.Get(ctx, id)
	if ent.IsNotFound(err) {
		return notFound("id", "The permission group does not exist"), nil
	}
	if err != nil {
		return nil, err
	}
	if p := a.missing(g.Permissions); p != "" {
		return forbidden("id", "You cannot "+verb+" a group holding "+p+", which you do not hold"), nil
	}
	return nil, nil
}

// DeleteGroup removes a group; its members lose its permissions on their next request.
func (s *Service) DeleteGroup(ctx context.Context, a Actor, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if errs, err = a.ownGroup(ctx, tx, id, "delete"); err != nil || errs.Any() {
			return cmpErr(err)
		}
		return tx.PermissionGroup.DeleteOneID(id).Exec(ctx)
	})
	_, errs, err = result[*ent.PermissionGroup](nil, errs, err)
	return errs, err
}

// CheckGroups refuses groups that do not exist or that hold a permission the actor does not hold.
func CheckGroups(ctx context.Context, client *ent.Client, a Actor, field string, ids []int) (validation.Errors, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	groups, err := client.PermissionGroup.Query().Where(permissiongroup.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("staff: groups: %w", err)
	}
	if len(groups) != len(slices.Compact(slices.Sorted(slices.Values(ids)))) {
		return notFound(field, "A permission group does not exist"), nil
	}
	for _, g := range groups {
		if p := a.missing(g.Permissions); p != "" {
			return forbidden(field, "You cannot give the group "+g.Name+": it holds "+p+", which you do not hold"), nil
		}
	}
	return nil, nil
}

// MemberInput changes a staff member; nil fields stay as they are.
type MemberInput struct {
	Name     *string
	GroupIDs []int // nil: unchanged; empty: no group
	Active   *bool
}

// UpdateMember renames a member, replaces their groups, or deactivates or reactivates them. A
// deactivated member's tokens stop working on their next request and they cannot log in.
func (s *Service) UpdateMember(ctx context.Context, a Actor, id int, in MemberInput) (*ent.StaffMember, validation.Errors, error) {
	var errs validation.Errors
	var out *ent.StaffMember
	err := database.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if in.Active != nil && !*in.Active && a.Viewer.Kind == auth.Staff {
			// Two owners deactivating each other at once would leave the shop without one: whoever comes
			// second must see that they were deactivated. Their rows are locked (PostgreSQL; SQLite lets
			// one writer in at a time) and the caller is read again.
			still, err := actorActive(ctx, tx, a.Viewer.ID, id)
			if err != nil {
				return err
			}
			if !still {
				errs = forbidden("input.active", "You have been deactivated")
				return errRollback
			}
		}
		m, err := tx.StaffMember.Query().Where(staffmember.ID(id)).WithGroups().Only(ctx)
		if ent.IsNotFound(err) {
			errs = notFound("id", "The staff member does not exist")
			return errRollback
		}
		if err != nil {
			return err
		}
		switch {
		case m.Owner && !a.Owner:
			errs = forbidden("id", "Only an owner can change an owner")
		case in.Active != nil && !*in.Active && a.Viewer.Kind == auth.Staff && a.Viewer.ID == id:
			errs = forbidden("input.active", "You cannot deactivate yourself")
		default:
			// Taking groups away is giving less; every group the member keeps or gets must be grantable,
			// or a member with MANAGE_STAFF could keep groups above them by shuffling the rest.
			current := make([]string, 0)
			for _, g := range m.Edges.Groups {
				current = append(current, g.Permissions...)
			}
			if p := a.missing(current); p != "" {
				errs = forbidden("id", "You cannot change a member holding "+p+", which you do not hold")
			}
		}
		if errs.Any() {
			return errRollback
		}
		if in.GroupIDs != nil {
			if errs, err = CheckGroups(ctx, tx.Client(), a, "input.groupIds", in.GroupIDs); err != nil || errs.Any() {
				return cmpErr(err)
			}
		}
		u := tx.StaffMember.UpdateOneID(id)
		if in.Name != nil {
			u.SetName(errs.Text("input.name", *in.Name, 255))
		}
		if in.GroupIDs != nil {
			u.ClearGroups().AddGroupIDs(in.GroupIDs...)
		}
		if in.Active != nil && *in.Active != m.Active {
			// A new token version ends every token issued before.
			u.SetActive(*in.Active).AddTokenVersion(1)
		}
		if errs.Any() {
			return errRollback
		}
		out, err = u.Save(ctx)
		return err
	})
	if out, errs, err = result(out, errs, err); out != nil {
		// Read again outside the finished transaction, which its edges would otherwise be read through.
		out, err = s.client.StaffMember.Get(ctx, out.ID)
	}
	return out, errs, err
}

// actorActive locks the rows of the acting member and of the member they change, in ID order, and
// reports whether the actor is still active.
func actorActive(ctx context.Context, tx *ent.Tx, actorID, targetID int) (bool, error) {
	rows, err := tx.StaffMember.Query().Where(staffmember.IDIn(actorID, targetID)).Order(ent.Asc(staffmember.FieldID)).
		Modify(func(s *sql.Selector) {
			if s.Dialect() == dialect.Postgres {
				s.ForUpdate()
			}
		}).All(ctx)
	if err != nil {
		return false, fmt.Errorf("staff: lock members: %w", err)
	}
	for _, r := range rows {
		if r.ID == actorID {
			return r.Active, nil
		}
	}
	return false, nil
}

func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return errRollback
}

// result turns a transaction's outcome into a mutation's: userErrors roll back and answer, other errors
// are wrapped.
func result[T any](v T, errs validation.Errors, err error) (T, validation.Errors, error) {
	var zero T
	if errors.Is(err, errRollback) || errs.Any() {
		return zero, errs, nil
	}
	if err != nil {
		return zero, nil, fmt.Errorf("staff: %w", err)
	}
	return v, nil, nil
}

func notFound(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.NotFound, message)
	return errs
}

func forbidden(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.Forbidden, message)
	return errs
}
