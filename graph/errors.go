package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/pagination"
)

// Error codes carried in extensions.code. gqlgen itself sets GRAPHQL_PARSE_FAILED and
// GRAPHQL_VALIDATION_FAILED for documents that do not parse or validate.
const (
	CodeBadUserInput = "BAD_USER_INPUT"
	CodeInternal     = "INTERNAL_SERVER_ERROR"
	CodeTimeout      = "TIMEOUT"
	// CodeUnavailable is a failure of the moment (the database is unreachable): retry later.
	CodeUnavailable = "SERVICE_UNAVAILABLE"
)

// errUserInput marks errors whose message is safe and useful to show the caller.
var errUserInput = errors.New("bad user input")

func userError(err error) error { return fmt.Errorf("%w: %w", errUserInput, err) }

// isUserError reports whether err was caused by the caller's input.
func isUserError(err error) bool {
	return errors.Is(err, errUserInput) || errors.Is(err, catalog.ErrInvalidInput) ||
		errors.Is(err, pagination.ErrInvalidArgs) || errors.Is(err, gid.ErrMalformed) ||
		errors.Is(err, money.ErrOutOfRange) // an amount beyond the documented bounds
}

// ErrorPresenter is the one place errors become GraphQL errors: the caller's mistakes keep their message
// and get BAD_USER_INPUT; anything unexpected is logged once and shown without internals.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Parse and validation errors, and errors that resolvers built on purpose.
			return gqlErr
		}
		presented := graphql.DefaultErrorPresenter(ctx, err)
		if isUserError(err) {
			cause := err
			if errors.As(err, &gqlErr) && gqlErr.Err != nil {
				cause = gqlErr.Err // without gqlgen's "input:1:2: field" prefix
			}
			presented.Message = userMessage(cause)
			presented.Extensions = map[string]any{"code": CodeBadUserInput}
			return presented
		}
		// The driver does not always wrap the deadline: lib/pq may report the server's "canceling statement
		// due to user request" or a closed connection instead. The request's context tells.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			log.WarnContext(ctx, "request timed out", "path", presented.Path.String())
			return &gqlerror.Error{Message: "the request took longer than the server allows", Path: presented.Path,
				Locations: presented.Locations, Extensions: map[string]any{"code": CodeTimeout}}
		}
		if database.Unavailable(err) {
			// Never a not-found nor an internal error: nothing is known about the data, and a retry may work.
			log.WarnContext(ctx, "database unavailable", "err", err, "path", presented.Path.String())
			return &gqlerror.Error{Message: "the service is briefly unavailable: try again", Path: presented.Path,
				Locations: presented.Locations, Extensions: map[string]any{"code": CodeUnavailable}}
		}
		log.ErrorContext(ctx, "resolver failed", "err", err, "path", presented.Path.String())
		return &gqlerror.Error{
			Message:    "internal server error",
			Path:       presented.Path,
			Locations:  presented.Locations,
			Extensions: map[string]any{"code": CodeInternal},
		}
	}
}

// userMessage drops the internal marker from a user error's text.
func userMessage(err error) string {
	msg := err.Error()
	for _, prefix := range []string{errUserInput.Error() + ": ", catalog.ErrInvalidInput.Error() + ": "} {
		if len(msg) > len(prefix) && msg[:len(prefix)] == prefix {
			msg = msg[len(prefix):]
		}
	}
	return msg
}

// Recover turns a resolver panic into INTERNAL_SERVER_ERROR; the stack goes to the log, never to the
// caller.
func Recover(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "resolver panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return &gqlerror.Error{Message: "internal server error", Extensions: map[string]any{"code": CodeInternal}}
	}
}
