package searchquery_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/emporium/emporium/searchquery"
)

// dump prints n with its structure explicit, so that tests state precedence
// unambiguously: "a OR b c" dumps as "Or(a, And(b, c))".
func dump(n searchquery.Node) string {
	list := func(name string, terms []searchquery.Node) string {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = dump(t)
		}
		return name + "(" + strings.Join(parts, ", ") + ")"
	}
	switch n := n.(type) {
	case nil:
		return "<nil>"
	case searchquery.And:
		return list("And", n.Terms)
	case searchquery.Or:
		return list("Or", n.Terms)
	case searchquery.Not:
		return "Not(" + dump(n.Term) + ")"
	case searchquery.Term:
		return n.String()
	}
	panic("unknown node type")
}

var parseTests = []struct {
	name, in, want string
}{
	{"empty", "", "<nil>"},
	{"whitespace only", " \t\n ", "<nil>"},

	{"free text", "shirt", "shirt"},
	{"phrase", `"organic cotton"`, `"organic cotton"`},
	{"free text prefix", "shi*", "shi*"},
	{"star inside word is literal", "sh*rt", "sh*rt"},
	{"non-ASCII", "café", "café"},

	{"field", "title:shirt", "title:shirt"},
	{"field phrase", `title:"organic cotton"`, `title:"organic cotton"`},
	{"field with dots", "variants.price:10", "variants.price:10"},
	{"field with underscores", "product_type:Shoes available_for_sale:true tag_not:sale",
		"And(product_type:Shoes, available_for_sale:true, tag_not:sale)"},
	{"unknown field", "colour:red", "colour:red"},
	{"greater", "variants.price:>10", "variants.price:>10"},
	{"greater or equal", "variants.price:>=10", "variants.price:>=10"},
	{"less", "variants.price:<10", "variants.price:<10"},
	{"less or equal", "variants.price:<=10.5", "variants.price:<=10.5"},
	{"comparator with phrase", `variants.price:>"10"`, `variants.price:>"10"`},
	{"field prefix", "title:shi*", "title:shi*"},
	{"value with colon", "title:a:b", "title:a:b"},
	{"value starting with minus", "title:-5", "title:-5"},
	{"upper-case field is free text", "Title:shirt", "Title:shirt"},
	{"not a field is free text", "10:30", "10:30"},
	{"empty field segment is free text", "a..b:c", "a..b:c"},

	{"implicit AND", "a b c", "And(a, b, c)"},
	{"explicit AND", "a AND b", "And(a, b)"},
	{"OR", "a OR b OR c", "Or(a, b, c)"},
	{"lower-case keywords are text", "a and b or not c", "And(a, and, b, or, not, c)"},
	{"keyword prefix is text", "OR*", "OR*"},
	{"quoted keyword is text", `"OR"`, `"OR"`},
	{"NOT", "NOT a", "Not(a)"},
	{"minus", "-tag:x", "Not(tag:x)"},
	{"minus inside word", "t-shirt", "t-shirt"},
	{"minus phrase", `-"a b"`, `Not("a b")`},

	{"AND binds tighter than OR", "a OR b c", "Or(a, And(b, c))"},
	{"AND binds tighter than OR left", "a b OR c", "Or(And(a, b), c)"},
	{"explicit AND and OR", "a AND b OR c AND d", "Or(And(a, b), And(c, d))"},
	{"NOT binds tighter than AND", "NOT a b", "And(Not(a), b)"},
	{"NOT binds tighter than OR", "NOT a OR b", "Or(Not(a), b)"},
	{"minus binds tighter than AND", "a -b c", "And(a, Not(b), c)"},

	{"parentheses", "(a OR b) c", "And(Or(a, b), c)"},
	{"parentheses without spaces", "(a OR b)(c OR d)", "And(Or(a, b), Or(c, d))"},
	{"term before parenthesis", "tag:x(y OR z)", "And(tag:x, Or(y, z))"},
	{"NOT group", "NOT (a b)", "Not(And(a, b))"},
	{"NOT group without space", "NOT(a OR b)", "Not(Or(a, b))"},
	{"minus group", "-(a OR b)", "Not(Or(a, b))"},
	{"redundant parentheses", "((a))", "a"},
	{"nested AND flattens", "(a b) (c d)", "And(a, b, c, d)"},
	{"nested OR flattens", "a OR (b OR c)", "Or(a, b, c)"},
	{"double negation cancels", "NOT -a", "a"},
	{"double minus cancels", "--a", "a"},
	{"triple negation", "-(NOT -a)", "Not(a)"},

	{"phrase with spaces", `"  a  b "`, `"  a  b "`},
	{"escaped quote", `"say \"hi\""`, `"say \"hi\""`},
	{"escaped backslash", `"a\\b"`, `"a\\b"`},
	{"escaped letter", `"a\b"`, `"ab"`},
	{"parenthesis in phrase", `"(a OR b)"`, `"(a OR b)"`},
	{"phrase then parenthesis", `("a b")`, `"a b"`},
	{"backslash in word is literal", `a\b`, `a\b`},
	{"other whitespace", "a\tb\nc\u00a0d", "And(a, b, c, d)"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseTests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := searchquery.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := dump(n); got != tc.want {
				t.Errorf("Parse(%q)\n got: %s\nwant: %s", tc.in, got, tc.want)
			}
		})
	}
}

// TestParseTerm checks the Term fields themselves, which dump shows only in
// query syntax.
func TestParseTerm(t *testing.T) {
	tests := []struct {
		in   string
		want searchquery.Term
	}{
		{"shirt", searchquery.Term{Value: "shirt"}},
		{`"organic cotton"`, searchquery.Term{Value: "organic cotton", Phrase: true}},
		{`title:"say \"hi\""`, searchquery.Term{Field: "title", Value: `say "hi"`, Phrase: true}},
		{"title:shi*", searchquery.Term{Field: "title", Value: "shi", Prefix: true}},
		{"variants.price:>10", searchquery.Term{Field: "variants.price", Op: searchquery.Gt, Value: "10"}},
		{"variants.price:>=10", searchquery.Term{Field: "variants.price", Op: searchquery.Ge, Value: "10"}},
		{"variants.price:<10", searchquery.Term{Field: "variants.price", Op: searchquery.Lt, Value: "10"}},
		{"variants.price:<=10", searchquery.Term{Field: "variants.price", Op: searchquery.Le, Value: "10"}},
		{"tag_not:sale", searchquery.Term{Field: "tag_not", Value: "sale"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := searchquery.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q)\n got: %#v\nwant: %#v", tc.in, got, tc.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a AND b", "a b"},
		{"NOT a", "-a"},
		{"a OR b c", "a OR b c"},
		{"(a b) OR c", "a b OR c"},
		{"(a OR b) c", "(a OR b) c"},
		{"NOT (a OR b)", "-(a OR b)"},
		{"-(a AND b)", "-(a b)"},
		{"((a))   OR\tb", "a OR b"},
		{`title:"say \"hi\" \\o/"`, `title:"say \"hi\" \\o/"`},
		{"variants.price:>=10 title:shi*", "variants.price:>=10 title:shi*"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			n, err := searchquery.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := n.String(); got != tc.want {
				t.Errorf("Parse(%q).String()\n got: %s\nwant: %s", tc.in, got, tc.want)
			}
		})
	}
}

var errorTests = []struct {
	name, in string
	pos      int
	msg      string
}{
	{"unterminated quote", `title:"abc`, 6, "unterminated quote"},
	{"unterminated after escaped quote", `"abc\"`, 0, "unterminated quote"},
	{"unterminated after backslash", `"abc\`, 0, "unterminated quote"},
	{"text after closing quote", `"ab"cd`, 4, "unexpected character after closing quote"},
	{"wildcard after quote", `title:"ab"*`, 10, "unexpected character after closing quote"},
	{"quote inside word", `ab"cd"`, 2, "unexpected quote"},
	{"empty phrase", `""`, 0, "empty quoted value"},
	{"blank phrase", `a " "`, 2, "empty quoted value"},

	{"unclosed parenthesis", "(a OR b", 0, "unclosed parenthesis"},
	{"unclosed inner parenthesis", "(a (b)", 0, "unclosed parenthesis"},
	{"lone open parenthesis", "a (", 2, "unclosed parenthesis"},
	{"unexpected closing parenthesis", "a OR b)", 6, "unexpected closing parenthesis"},
	{"lone closing parenthesis", ")", 0, "unexpected closing parenthesis"},
	{"empty parentheses", "a ()", 2, "empty parentheses"},

	{"dangling OR", "a OR", 2, "missing term after OR"},
	{"leading OR", "OR a", 0, "missing term before OR"},
	{"OR before closing parenthesis", "(a OR)", 3, "missing term after OR"},
	{"dangling AND", "a AND", 2, "missing term after AND"},
	{"leading AND", "AND a", 0, "missing term before AND"},
	{"AND OR", "a AND OR b", 2, "missing term after AND"},
	{"OR OR", "a OR OR b", 2, "missing term after OR"},
	{"dangling NOT", "a NOT", 2, "missing term after NOT"},
	{"NOT before closing parenthesis", "(a NOT)", 3, "missing term after NOT"},
	{"NOT OR", "NOT OR a", 0, "missing term after NOT"},
	{"dangling minus", "a -", 2, "missing term after -"},
	{"minus and space", "a - b", 2, "missing term after -"},
	{"minus keyword", "a -OR b", 2, "missing term after -"},

	{"empty field value", "title:", 6, "missing value for field title"},
	{"space after colon", "title: shirt", 6, "missing value for field title"},
	{"empty field phrase", `title:""`, 6, "empty quoted value"},
	{"comparator without value", "variants.price:>", 16, "missing value after comparator >"},
	{"two-character comparator without value", "variants.price:<= 5", 17, "missing value after comparator <="},
	{"comparator and wildcard", "variants.price:>=1*", 18, "wildcard * after comparator >="},
	{"bare wildcard", "*", 0, "missing value before *"},
	{"field wildcard", "title:*", 6, "missing value before *"},

	{"invalid UTF-8", "a \xff", 2, "invalid UTF-8"},
	{"NUL", "a\x00", 1, "NUL character"},

	{"too long", strings.Repeat("a ", 500) + "b", 1000, "query longer than 1000 bytes"},
	{"too deep", strings.Repeat("(", 21) + "a" + strings.Repeat(")", 21), 20, "parentheses nested deeper than 20"},
	{"too many terms", strings.Repeat("a ", 51), 100, "more than 50 terms"},
	{"too many negated terms", strings.Repeat("-a ", 51), 151, "more than 50 terms"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range errorTests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := searchquery.Parse(tc.in)
			var got *searchquery.SyntaxError
			if !errors.As(err, &got) {
				t.Fatalf("Parse(%q) = %v, %v; want *SyntaxError", tc.in, n, err)
			}
			want := &searchquery.SyntaxError{Pos: tc.pos, Msg: tc.msg}
			if *got != *want {
				t.Errorf("Parse(%q) error\n got: %v\nwant: %v", tc.in, got, want)
			}
			if n != nil {
				t.Errorf("Parse(%q) returned node %v with error", tc.in, n)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := searchquery.Parse(`shirt "abc`)
	const want = "search query: unterminated quote at position 6"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

// TestLimits checks that queries exactly at each limit are accepted.
func TestLimits(t *testing.T) {
	tests := []struct{ name, in string }{
		{"longest", strings.Repeat("x", searchquery.MaxQueryLength)},
		{"deepest", strings.Repeat("(", searchquery.MaxDepth) + "a" + strings.Repeat(")", searchquery.MaxDepth)},
		{"deep but sequential", strings.Repeat("(((((a))))) ", 10)},
		{"most terms", strings.Repeat("a ", searchquery.MaxTerms)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := searchquery.Parse(tc.in); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestComparatorString(t *testing.T) {
	want := map[searchquery.Comparator]string{
		searchquery.Eq: "=", searchquery.Gt: ">", searchquery.Ge: ">=",
		searchquery.Lt: "<", searchquery.Le: "<=", 42: "Comparator(42)",
	}
	for c, w := range want {
		if got := c.String(); got != w {
			t.Errorf("Comparator(%d).String() = %q, want %q", int(c), got, w)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseTests {
		f.Add(tc.in)
	}
	for _, tc := range errorTests {
		f.Add(tc.in)
	}
	// Queries with no positive word once crashed the product search's ranking (issue 10); the handler's
	// fuzz target (httpapi) sends them through the search itself.
	for _, q := range []string{"tag:eco", "-cotton", "'", "%", "NOT cotton", "tag:eco -cotton", `"'"`, "%*", "_", `\`,
		"-'", "*", "--a", "((a))", "variants.price:<=", "\x00", "\xff"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		n, err := searchquery.Parse(q)
		if err != nil {
			var se *searchquery.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T is not a *SyntaxError: %v", q, err, err)
			}
			if se.Pos < 0 || se.Pos > len(q) {
				t.Fatalf("Parse(%q): position %d outside the query: %v", q, se.Pos, err)
			}
			return
		}
		if n == nil {
			if strings.TrimSpace(q) != "" {
				t.Fatalf("Parse(%q) = nil, want a node", q)
			}
			return
		}
		checkSimplified(t, q, n)

		s := n.String()
		n2, err := searchquery.Parse(s)
		if len(s) > searchquery.MaxQueryLength {
			// The canonical form can be a little longer than the query:
			// "a(b OR c)" prints as "a (b OR c)".
			return
		}
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse: %v", q, s, err)
		}
		if !reflect.DeepEqual(n2, n) {
			t.Fatalf("Parse(%q) round trip\n got: %s\nwant: %s", q, dump(n2), dump(n))
		}
		if got := n2.String(); got != s {
			t.Fatalf("Parse(%q) round trip\n got: %s\nwant: %s", q, got, s)
		}
	})
}

// checkSimplified checks the invariants documented on the node types.
func checkSimplified(t *testing.T, q string, n searchquery.Node) {
	t.Helper()
	switch n := n.(type) {
	case searchquery.And:
		if len(n.Terms) < 2 {
			t.Fatalf("Parse(%q): And with %d terms", q, len(n.Terms))
		}
		for _, c := range n.Terms {
			if _, ok := c.(searchquery.And); ok {
				t.Fatalf("Parse(%q): And inside And: %s", q, dump(n))
			}
			checkSimplified(t, q, c)
		}
	case searchquery.Or:
		if len(n.Terms) < 2 {
			t.Fatalf("Parse(%q): Or with %d terms", q, len(n.Terms))
		}
		for _, c := range n.Terms {
			if _, ok := c.(searchquery.Or); ok {
				t.Fatalf("Parse(%q): Or inside Or: %s", q, dump(n))
			}
			checkSimplified(t, q, c)
		}
	case searchquery.Not:
		if _, ok := n.Term.(searchquery.Not); ok {
			t.Fatalf("Parse(%q): double negation: %s", q, dump(n))
		}
		checkSimplified(t, q, n.Term)
	case searchquery.Term:
		if n.Value == "" {
			t.Fatalf("Parse(%q): empty value: %#v", q, n)
		}
		if n.Field == "" && n.Op != searchquery.Eq {
			t.Fatalf("Parse(%q): comparator on free text: %#v", q, n)
		}
	default:
		t.Fatalf("Parse(%q): unexpected node %#v", q, n)
	}
}
