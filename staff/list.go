package staff

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/staffmember"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
	"github.com/emporium/emporium/validation"
)

// List returns a page of staff members by ID, with their groups.
func (s *Service) List(ctx context.Context, args pagination.Args) (keyset.Page[*ent.StaffMember], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.StaffMember]{}, err
	}
	o := keyset.Order{Key: "ID"}
	var applyErr error
	rows, err := s.client.StaffMember.Query().WithGroups().Modify(func(sel *sql.Selector) {
		applyErr = o.Apply(sel, w, args.Reverse, staffmember.FieldID)
	}).All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.StaffMember]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.StaffMember]{}, fmt.Errorf("staff: list: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(m *ent.StaffMember) int { return m.ID })
}

// CreateGroup adds a permission group.
func (s *Service) CreateGroup(ctx context.Context, name string, permissions []string) (*ent.PermissionGroup, validation.Errors, error) {
	var errs validation.Errors
	name = errs.Text("input.name", name, 255)
	if name == "" {
		errs.Add("input.name", validation.Blank, "Name can't be blank")
	}
	if len(permissions) == 0 {
		errs.Add("input.permissions", validation.Blank, "A group needs at least one permission")
	}
	if errs.Any() {
		return nil, errs, nil
	}
	g, err := s.client.PermissionGroup.Create().SetName(name).SetPermissions(permissions).Save(ctx)
	if ent.IsConstraintError(err) {
		errs.Add("input.name", validation.Taken, "Name has already been taken")
		return nil, errs, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("staff: create group: %w", err)
	}
	return g, nil, nil
}
