package webhooks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/validation"
)

const orderJSON = `{"id":"gid://emporium/Order/7","name":"#1007","financialStatus":"PAID","email":"Ada@Example.com",
"totalPrice":{"amount":"92.00","currencyCode":"USD"},"shippingAddress":{"city":"Paris","zip":"75001"},
"lineItems":[{"title":"Tee","quantity":2,"sku":"TEE-M","originalUnitPrice":{"amount":"10.50","currencyCode":"USD"}},
{"title":"Mug","quantity":1,"sku":"MUG","originalUnitPrice":{"amount":"9.99","currencyCode":"USD"}}],"taxesIncluded":false}`

func TestSelectionCutsPayload(t *testing.T) {
	for _, c := range []struct{ sel, want string }{
		{`{ id name }`, `{"id":"gid://emporium/Order/7","name":"#1007"}`},
		{`name id`, `{"name":"#1007","id":"gid://emporium/Order/7"}`},
		{`{ totalPrice { amount } lineItems { title quantity } }`,
			`{"totalPrice":{"amount":"92.00"},"lineItems":[{"title":"Tee","quantity":2},{"title":"Mug","quantity":1}]}`},
		{`{ lineItems { originalUnitPrice { amount } } lineItems { sku } }`,
			`{"lineItems":[{"originalUnitPrice":{"amount":"10.50"},"sku":"TEE-M"},{"originalUnitPrice":{"amount":"9.99"},"sku":"MUG"}]}`},
		{`{ shippingAddress { city } totalPrice }`, `{"shippingAddress":{"city":"Paris"},"totalPrice":{"amount":"92.00","currencyCode":"USD"}}`},
		{`{ id id }`, `{"id":"gid://emporium/Order/7"}`},
		{`{ note canceledAt }`, `{}`}, // known fields this payload happens to lack
	} {
		sel, err := parseSelection(c.sel, shapes[events.OrdersCreate])
		if err != nil {
			t.Errorf("%s: %v", c.sel, err)
			continue
		}
		var buf bytes.Buffer
		if err := sel.cut(&buf, []byte(orderJSON)); err != nil || buf.String() != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.sel, buf.String(), err, c.want)
		}
	}
}

// TestCutOddJSON cuts payloads with escapes, brackets inside strings, whitespace and escaped keys.
func TestCutOddJSON(t *testing.T) {
	raw := `{ "note" : "a \"quoted\" } ] { [ note", "lineItems" : [ { "title" : "T\\" , "sku":null } , { "title":"x,y" } ],
	  "n\u0061me": "#1", "empty": {}, "list": [], "id": 7 }`
	sel, err := parseSelection("{ id name note lineItems { title sku } list empty missing }", nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sel.cut(&buf, []byte(raw)); err != nil {
		t.Fatal(err)
	}
	want := `{"id":7,"name":"#1","note":"a \"quoted\" } ] { [ note","lineItems":[{"title":"T\\","sku":null},{"title":"x,y"}],"list":[],"empty":{}}`
	if buf.String() != want {
		t.Errorf("got  %s\nwant %s", buf.String(), want)
	}
	if err := sel.cut(&buf, []byte(`{"id": `)); err == nil {
		t.Error("invalid JSON cut without an error")
	}
	if _, err := parseSelection("queryCount", nil); err != nil {
		t.Errorf("a field named like an operation: %v", err)
	}
}

func TestIncludeFields(t *testing.T) {
	sel, err := includeSelection([]string{"id", "lineItems.title", "lineItems.originalUnitPrice.amount", "totalPrice"}, shapes[events.OrdersPaid])
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := sel.cut(&buf, []byte(orderJSON)); err != nil {
		t.Fatal(err)
	}
	want := `{"id":"gid://emporium/Order/7","lineItems":[{"title":"Tee","originalUnitPrice":{"amount":"10.50"}},{"title":"Mug","originalUnitPrice":{"amount":"9.99"}}],"totalPrice":{"amount":"92.00","currencyCode":"USD"}}`
	if buf.String() != want {
		t.Errorf("got %s\nwant %s", buf.String(), want)
	}
	for _, bad := range [][]string{{"totalPriceSet"}, {"lineItems.price"}, {"id.x"}, {"lineItems..title"}} {
		if _, err := includeSelection(bad, shapes[events.OrdersPaid]); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestSelectionRefused(t *testing.T) {
	deep := strings.Repeat("{ a ", 8) + strings.Repeat("}", 8)
	many := "{" + strings.Repeat(" id", MaxSelectionFields+1) + "}"
	for _, c := range []struct{ sel, want string }{
		{`{ id name totalPriceSet { shopMoney { amount currencyCode } } }`, "totalPriceSet"},
		{`{ lineItems { title price } }`, "lineItems.price"},
		{`{ id { value } }`, "id, which has none"},
		{`{ n: name }`, "rename"},
		{`{ lineItems(first: 2) { title } }`, "arguments"},
		{`{ ...F } fragment F on Order { id }`, "fragments"},
		{`{ ... on Order { id } }`, "fragments"},
		{`query($a: Int) { id }`, "variables"},
		{`mutation { id }`, "one selection set"},
		{`subscription { id }`, "one selection set"},
		{`{ id `, "not a GraphQL selection set"},
		{many, "more than"},
		{"{ id" + strings.Repeat(" ", MaxSelectionLength) + "}", "longer"},
	} {
		_, err := parseSelection(c.sel, shapes[events.OrdersCreate])
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60s: %v, want an error with %q", c.sel, err, c.want)
		}
	}
	if _, err := parseSelection(deep, nil); err == nil || !strings.Contains(err.Error(), "deeper") {
		t.Errorf("a deep selection: %v", err)
	}
	// A topic whose payload type is not registered: names are not checked.
	if _, err := parseSelection(`{ anything { at all } }`, nil); err != nil {
		t.Errorf("unknown shape: %v", err)
	}
}

func TestFilter(t *testing.T) {
	sh := shapes[events.OrdersCreate]
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{"financial_status:paid", true},
		{"financial_status:PAID", true},
		{"financial_status:pending", false},
		{"financialstatus:paid", true},
		{"email:ada@example.com", true},
		{"email:ada*", true},
		{"total_price:92", true},
		{"total_price:92.000", true},
		{"total_price:>=92.00", true},
		{"total_price:>92.00", false},
		{"total_price:<100", true},
		{"total_price:<=9.2", false},
		{"line_items.original_unit_price:>=10.00", true}, // any line
		{"line_items.original_unit_price:>10.50", false},
		{"line_items.quantity:2 AND line_items.sku:mug", true},
		{"line_items.title:tee AND NOT financial_status:refunded", true},
		{"financial_status:refunded OR shipping_address.city:paris", true},
		{"-financial_status:paid", false},
		{"(financial_status:paid OR financial_status:pending) AND taxes_included:false", true},
		{"taxes_included:true", false},
		{"note:anything", false}, // absent from this payload
	} {
		f, err := parseFilter(c.filter, sh)
		if err != nil {
			t.Errorf("%s: %v", c.filter, err)
			continue
		}
		if got, err := f.matches([]byte(orderJSON)); err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.filter, got, err, c.want)
		}
	}
	for _, c := range []struct{ filter, want string }{
		{"financial_state:paid", "financial_state"},
		{"line_items.price:>10", "line_items.price"},
		{"paid", "names no field"},
		{"status:(", "position"},
		{`title:"open`, "unterminated"},
	} {
		if _, err := parseFilter(c.filter, sh); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.filter, err, c.want)
		}
	}
}

func TestCompareDecimals(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"10.00", "10", 0}, {"9.99", "10.00", -1}, {"100", "99.999", 1}, {"-1.5", "-1.25", -1}, {"-0.00", "0", 0},
		{"0010.5", "10.50", 0}, {"12345678901234567890.01", "12345678901234567890.001", 1}, {"-3", "2", -1},
	} {
		if got, ok := compareDecimals(c.a, c.b); !ok || got != c.want {
			t.Errorf("compareDecimals(%s, %s) = %d, %v; want %d", c.a, c.b, got, ok, c.want)
		}
	}
	for _, bad := range []string{"", "1.", ".5", "1e3", "abc", "1.2.3", "--1"} {
		if _, ok := compareDecimals(bad, "1"); ok {
			t.Errorf("%q taken for a decimal", bad)
		}
	}
}

func TestOptionsCheckedAgainstTopic(t *testing.T) {
	if _, errs := parseOptions(events.ProductsDelete, "{ id title }", nil, ""); !errs.Any() || !strings.Contains(errs[0].Message, "title") {
		t.Errorf("products/delete carries only the ID: %v", errs)
	}
	if _, errs := parseOptions(events.ProductsUpdate, "{ id title variants { prices { amount } } }", nil, "status:active AND variants.prices:>=10.00"); errs.Any() {
		t.Errorf("products/update: %v", errs)
	}
	if _, errs := parseOptions(events.OrdersCreate, "{ id }", []string{"name"}, ""); !errs.Any() {
		t.Error("both a selection and includeFields accepted")
	}
}

// BenchmarkBody is the per-delivery cost of a field selection and of a filter, each parsed once per
// subscription and cached.
func BenchmarkBody(b *testing.B) {
	s := New(nil, nil, Options{})
	sub := &ent.WebhookSubscription{ID: 1, Topic: events.OrdersCreate,
		FieldSelection: "{ id name totalPrice { amount } lineItems { title quantity originalUnitPrice { amount } } }",
		Filter:         "financial_status:paid AND total_price:>=10.00"}
	e := &ent.Event{Topic: events.OrdersCreate, Payload: []byte(orderJSON)}
	b.Run("selection", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.body(sub, e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("filter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.wants(sub, e); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	// The event's further subscriptions: its payload was decoded for the first.
	recorded := &ent.Event{ID: 9, Topic: events.OrdersCreate, Payload: []byte(orderJSON)}
	b.Run("filter, same event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.wants(sub, recorded); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}

// FuzzCut: whatever the JSON, a cut never panics and is JSON.
func FuzzCut(f *testing.F) {
	f.Add([]byte(orderJSON))
	f.Add([]byte(`[{"id":"\u00e9\\","lineItems":[[1],{"title":[]}]}, null, 3]`))
	sel, err := parseSelection("{ id lineItems { title quantity } totalPrice { amount } }", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var buf bytes.Buffer
		if err := sel.cut(&buf, raw); err != nil {
			if json.Valid(raw) {
				t.Fatalf("valid JSON refused: %s: %v", raw, err)
			}
			return
		}
		if !json.Valid(buf.Bytes()) {
			t.Fatalf("cut of %s is not JSON: %s", raw, buf.Bytes())
		}
	})
}

// FuzzFilter: whatever the filter or selection text, parsing and evaluating never panics.
func FuzzFilter(f *testing.F) {
	f.Add("financial_status:paid AND total_price:>=10.00", "{ id lineItems { title } }")
	f.Add(`line_items.sku:TEE* OR -(email:"a\"b")`, "id name")
	f.Fuzz(func(t *testing.T, filterText, selectionText string) {
		o, _ := parseOptions(events.OrdersCreate, selectionText, nil, filterText)
		if _, err := o.filter.matches([]byte(orderJSON)); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := o.selection.cut(&buf, []byte(orderJSON)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestVersion(t *testing.T) {
	if got := version(&ent.WebhookSubscription{APIVersion: "2099-01"}); got != "2099-01" {
		t.Errorf("version of a subscription asking 2099-01: %s", got)
	}
	if got := version(&ent.WebhookSubscription{}); got != APIVersion {
		t.Errorf("version of a subscription from before apiVersion: %s, want %s", got, APIVersion)
	}
	var errs validation.Errors
	v := "2099-01"
	checkOptions(&errs, events.OrdersCreate, nil, Input{APIVersion: &v})
	if len(errs) != 1 || errs[0].Code != validation.Invalid || !strings.Contains(errs[0].Message, APIVersion) {
		t.Errorf("an unknown version: %v", errs)
	}
}
