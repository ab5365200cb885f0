package loadgen

import (
	"errors"
	"testing"
)

func TestDecodeClassifiesResponses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		field  string
		out    any
		kind   string // "" for success
		code   string
	}{
		{"data", 200, `{"data":{"shop":{"name":"x"}}}`, "shop", nil, "", ""},
		{"shed", 503, `overloaded`, "shop", nil, KindShed, ""},
		{"server error", 500, `{"errors":[{"message":"boom"}]}`, "shop", nil, KindStatus, ""},
		{"bad request", 400, `{"errors":[{"message":"parse"}]}`, "shop", nil, KindStatus, ""},
		{"GraphQL error with a 200", 200, `{"errors":[{"message":"slow down","extensions":{"code":"THROTTLED"}}],"data":null}`, "shop", nil, KindGraphQL, "THROTTLED"},
		{"not JSON", 200, `<html>`, "shop", nil, KindDecode, ""},
		{"null root field", 200, `{"data":{"product":null}}`, "product", nil, KindCheck, ""},
		{"missing root field", 200, `{"data":{}}`, "product", nil, KindCheck, ""},
		{"userErrors", 200, `{"data":{"cartCreate":{"cart":null,"userErrors":[{"field":["input"],"message":"no","code":"INVALID"}]}}}`,
			"cartCreate", &cartPayload{}, KindCheck, "INVALID"},
		{"a cart without the expected quantity", 200, `{"data":{"cartCreate":{"cart":{"id":"c","totalQuantity":1},"userErrors":[]}}}`,
			"cartCreate", &cartPayload{wantQuantity: 2}, KindCheck, ""},
		{"a cart as expected", 200, `{"data":{"cartCreate":{"cart":{"id":"c","totalQuantity":2},"userErrors":[]}}}`,
			"cartCreate", &cartPayload{wantQuantity: 2}, "", ""},
		{"a failed submission carries its code", 200,
			`{"data":{"cartSubmitForCompletion":{"result":{"__typename":"SubmitFailed","errors":[{"code":"INVENTORY_RESERVATION_ERROR","message":"gone"}]},"userErrors":[]}}}`,
			"cartSubmitForCompletion", &submitPayload{}, KindCheck, inventoryCode},
		{"processing is not a failure", 200, `{"data":{"cartCompletionAttempt":{"__typename":"CartCompletionProcessing","pollDelay":500}}}`,
			"cartCompletionAttempt", &attemptResult{}, "", ""},
	} {
		err := decode(tt.status, []byte(tt.body), tt.field, tt.out)
		var re *RequestError
		switch {
		case tt.kind == "" && err != nil:
			t.Errorf("%s: %v, want success", tt.name, err)
		case tt.kind != "" && !errors.As(err, &re):
			t.Errorf("%s: %v, want a %s error", tt.name, err, tt.kind)
		case tt.kind != "" && (re.Kind != tt.kind || re.Code != tt.code || re.Status != tt.status):
			t.Errorf("%s: %+v, want kind %s, code %q, status %d", tt.name, re, tt.kind, tt.code, tt.status)
		}
	}
}
