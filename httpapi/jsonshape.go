package httpapi

import "fmt"

// Defaults of the shape of a request's variables and extensions. gqlgen coerces every value of a
// variable before anything runs, and a 1 MiB list of 200,000 IDs took it a third of a second: the
// shape is checked on the raw JSON first, in one pass that allocates nothing.
const (
	// DefaultMaxJSONDepth bounds the nesting of objects and lists (the variables object is level 1).
	DefaultMaxJSONDepth = 32
	// DefaultMaxJSONValues bounds the values (objects, lists, strings, numbers, literals; keys not
	// counted): a bulk write of 250 lines of ten fields is 2,750.
	DefaultMaxJSONValues = 10_000
)

// shapeError says which limit a JSON value passed.
type shapeError struct{ what string }

func (e *shapeError) Error() string { return e.what }

// checkJSONShape refuses raw JSON nested deeper than maxDepth or holding more than maxValues values.
// It does not validate: the decoder that follows does.
func checkJSONShape(raw []byte, maxDepth, maxValues int) error {
	var stack []byte // '{' or '[' of each open container
	expectKey := false
	values := 0
	for i := 0; i < len(raw); i++ {
		switch c := raw[i]; c {
		case ' ', '\t', '\n', '\r', ':':
			continue
		case '"':
			i++
			for i < len(raw) && raw[i] != '"' {
				if raw[i] == '\\' {
					i++
				}
				i++
			}
			if expectKey {
				expectKey = false
				continue
			}
			values++
		case '{', '[':
			values++
			if len(stack) == maxDepth {
				return &shapeError{fmt.Sprintf("are nested deeper than %d levels", maxDepth)}
			}
			stack = append(stack, c)
			expectKey = c == '{'
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1] == '{'
		default: // a number or a literal: one value, up to the next delimiter
			values++
			for i+1 < len(raw) && !isJSONDelimiter(raw[i+1]) {
				i++
			}
		}
		if values > maxValues {
			return &shapeError{fmt.Sprintf("hold more than %d values", maxValues)}
		}
	}
	return nil
}

func isJSONDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', ':', ' ', '\t', '\n', '\r', '"', '[', '{':
		return true
	}
	return false
}
