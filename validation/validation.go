// Package validation holds the business errors that mutations answer as userErrors: a field path, a
// message for people and a code for programs. They change nothing; the mutation that returns them wrote
// nothing.
package validation

import (
	"net/mail"
	"strings"
	"unicode/utf8"
)

// Error is one problem with a mutation's input or with what it asks for.
type Error struct {
	Field   []string
	Message string
	Code    string
}

// Errors collects problems.
type Errors []Error

// Add records a problem with field (a dotted path such as "input.email").
func (e *Errors) Add(field, code, message string) {
	var path []string
	if field != "" {
		path = strings.Split(field, ".")
	}
	*e = append(*e, Error{Field: path, Message: message, Code: code})
}

// Any reports whether there is a problem.
func (e Errors) Any() bool { return len(e) > 0 }

// Common codes, named as the Storefront API names them.
const (
	Blank     = "BLANK"
	Invalid   = "INVALID"
	Taken     = "TAKEN"
	TooShort  = "TOO_SHORT"
	TooLong   = "TOO_LONG"
	NotFound  = "NOT_FOUND"
	Forbidden = "FORBIDDEN"
)

// Email normalises an email address, or returns "" when it is not one.
func Email(s string) string {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 || !strings.Contains(s[strings.LastIndex(s, "@"):], ".") {
		return ""
	}
	return strings.ToLower(s)
}

// Text checks a free-text field: trimmed, at most max characters, no markup.
func (e *Errors) Text(field, value string, max int) string {
	value = strings.TrimSpace(value)
	switch {
	case utf8.RuneCountInString(value) > max:
		e.Add(field, TooLong, field[strings.LastIndex(field, ".")+1:]+" is too long")
	case strings.ContainsAny(value, "<>"):
		e.Add(field, "CONTAINS_HTML_TAGS", field[strings.LastIndex(field, ".")+1:]+" cannot contain HTML tags")
	}
	return value
}
