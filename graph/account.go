package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/emporium/emporium/audit"
	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/customers"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/staff"
	"github.com/emporium/emporium/validation"
)

// Codes of access errors.
const (
	CodeUnauthenticated = "UNAUTHENTICATED"
	CodeForbidden       = "FORBIDDEN"
	CodeThrottled       = "THROTTLED"
)

func accessError(code, message string) *gqlerror.Error {
	return &gqlerror.Error{Message: message, Extensions: map[string]any{"code": code}}
}

// HasPermission implements @hasPermission: the viewer must be staff or an API key holding one of the
// permissions.
func HasPermission(ctx context.Context, _ any, next graphql.Resolver, permissions []string) (any, error) {
	v := auth.ViewerFrom(ctx)
	if v.Kind == auth.Anonymous {
		return nil, accessError(CodeUnauthenticated, "this field needs a staff access token or an API key")
	}
	for _, p := range permissions {
		if v.Can(p) {
			return next(ctx)
		}
	}
	return nil, accessError(CodeForbidden, "this field needs one of the permissions "+strings.Join(permissions, ", "))
}

// PasswordBudget bounds each operation to one password hash or check (argon2id, tens of milliseconds
// of CPU), however many aliases of a login or sign-up it holds: the others answer THROTTLED.
func PasswordBudget(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(auth.WithPasswordBudget(ctx))
}

// AuditMutations marks admin mutations so that the audit hook records their writes.
func AuditMutations(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
		ctx = audit.WithAction(ctx, graphql.GetRootFieldContext(ctx).Field.Name)
	}
	return next(ctx)
}

func throttled(err error) error {
	if errors.Is(err, customers.ErrThrottled) || errors.Is(err, staff.ErrThrottled) {
		return accessError(CodeThrottled, err.Error())
	}
	return err
}

func customerUserErrors(errs validation.Errors) []*model.CustomerUserError {
	out := make([]*model.CustomerUserError, len(errs))
	for i, e := range errs {
		out[i] = &model.CustomerUserError{Field: e.Field, Message: e.Message}
		if e.Code != "" {
			code := e.Code
			out[i].Code = &code
		}
	}
	return out
}

func userErrors(errs validation.Errors) []*model.UserError {
	out := make([]*model.UserError, len(errs))
	for i, e := range errs {
		out[i] = &model.UserError{Field: e.Field, Message: e.Message}
		if e.Code != "" {
			out[i].Code = ptr(e.Code)
		}
	}
	return out
}

func customerToken(t *customers.AccessToken) *model.CustomerAccessToken {
	if t == nil {
		return nil
	}
	return &model.CustomerAccessToken{AccessToken: t.Token, ExpiresAt: t.ExpiresAt}
}

var invalidCustomerToken = validation.Errors{{Field: []string{"customerAccessToken"}, Message: "Customer access token is invalid", Code: "TOKEN_INVALID"}}

// currentCustomer is the customer of the token argument, or of the request's bearer token when the
// argument is absent; nil when neither identifies a live customer.
func (r *Resolver) currentCustomer(ctx context.Context, token *string) (*ent.Customer, error) {
	if token != nil {
		c, _, err := r.customers.Authenticate(ctx, *token)
		if errors.Is(err, customers.ErrInvalidToken) {
			return nil, nil
		}
		return c, err
	}
	v := auth.ViewerFrom(ctx)
	if v.Kind != auth.Customer {
		return nil, nil
	}
	c, err := r.client.Customer.Get(ctx, v.ID)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

func optionalString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func addressInput(a model.MailingAddressInput) customers.AddressInput {
	return customers.AddressInput{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Address1: a.Address1,
		Address2: a.Address2, City: a.City, Province: a.Province, Country: a.Country, Zip: a.Zip, Phone: a.Phone}
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func notFound(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.NotFound, message)
	return errs
}

func forbiddenInput(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.Forbidden, message)
	return errs
}

// withGroups returns m with its permission groups loaded, as a copy: resolvers of one object run
// concurrently and must not write to it.
func (r *Resolver) withGroups(ctx context.Context, m *ent.StaffMember) (*ent.StaffMember, error) {
	if m.Edges.Groups != nil {
		return m, nil
	}
	groups, err := m.QueryGroups().All(ctx)
	if err != nil {
		return nil, err
	}
	c := *m
	c.Edges.Groups = groups
	return &c, nil
}
