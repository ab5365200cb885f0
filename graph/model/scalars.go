package model

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The custom scalars below reach their unmarshallers with whatever JSON a variable held: the validator
// checks only built-in scalars. gqlgen's own unmarshallers answer a wrong shape with a plain error, which
// the error presenter can only treat as internal; these answer BAD_USER_INPUT instead.

// badScalar is a caller's mistake, shown as it is (a *gqlerror.Error without a cause).
func badScalar(scalar string, v any) error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s must be a string, not %s", scalar, jsonKind(v)),
		Extensions: map[string]any{"code": "BAD_USER_INPUT"},
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case bool:
		return "a boolean"
	case json.Number, int, int64, float64:
		return "a number"
	}
	return "this value"
}

// stringScalar accepts a string, and a number (a Decimal sent as 12.5).
func stringScalar(scalar string, v any, numbers bool) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "", nil
	case json.Number:
		if numbers {
			return string(v), nil
		}
	case int, int64, float64:
		if numbers {
			return graphql.UnmarshalString(v)
		}
	}
	return "", badScalar(scalar, v)
}

// MarshalDecimal writes a Decimal, a string of the amount in major units ("12.50").
func MarshalDecimal(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalDecimal reads a Decimal; a JSON number is taken as its text.
func UnmarshalDecimal(v any) (string, error) { return stringScalar("Decimal", v, true) }

// MarshalHTML writes an HTML string.
func MarshalHTML(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalHTML reads an HTML string.
func UnmarshalHTML(v any) (string, error) { return stringScalar("HTML", v, false) }

// MarshalURL writes a URL.
func MarshalURL(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalURL reads a URL.
func UnmarshalURL(v any) (string, error) { return stringScalar("URL", v, false) }

// MarshalDateTime writes an RFC 3339 time.
func MarshalDateTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

// UnmarshalDateTime reads an RFC 3339 time.
func UnmarshalDateTime(v any) (time.Time, error) {
	s, err := stringScalar("DateTime", v, false)
	if err != nil {
		return time.Time{}, err
	}
	t, err := graphql.UnmarshalTime(s)
	if err != nil {
		return time.Time{}, &gqlerror.Error{Message: "DateTime must be an RFC 3339 time such as 2026-01-02T15:04:05Z",
			Extensions: map[string]any{"code": "BAD_USER_INPUT"}}
	}
	return t, nil
}
