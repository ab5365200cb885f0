// Package searchquery parses the subset of Shopify's search syntax accepted by
// the Storefront API's products(query:) argument into a small AST, which is
// compiled to SQL elsewhere.
//
// The grammar, loosest binding first:
//
//	query = or
//	or    = and { "OR" and }
//	and   = unary { [ "AND" ] unary }         // adjacent terms are ANDed
//	unary = ( "NOT" | "-" ) unary | "(" or ")" | term
//	term  = [ field ":" [ ">" | ">=" | "<" | "<=" ] ] value [ "*" ]
//	value = word | '"' { char | '\' char } '"'
//
// AND, OR and NOT are keywords only in upper case; "and" is an ordinary word.
// A field is a lower-case identifier that may contain dots
// ("variants.price"); a word whose text before the first colon is not a field
// is free text, so "10:30" searches for "10:30". Unknown fields are accepted;
// deciding what a field means is the compiler's job.
//
// Queries are limited in size (MaxQueryLength, MaxDepth, MaxTerms) because
// every term becomes part of a SQL statement.
package searchquery

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what Parse accepts, so that a query cannot produce an arbitrarily
// large or deep SQL expression.
const (
	MaxQueryLength = 1000 // bytes
	MaxDepth       = 20   // nested parentheses
	MaxTerms       = 50   // Terms, negated or not
)

// Node is a node of a parsed query: And, Or, Not or Term.
//
// String returns the node's canonical form, suitable as a cache key. For a
// node returned by Parse, parsing its String yields an equal node, unless the
// canonical form exceeds MaxQueryLength (it can be a few bytes longer than
// the query: "a(b OR c)" prints as "a (b OR c)").
type Node interface {
	fmt.Stringer
	node()
}

// And matches when all of its Terms match. Parse never returns an And with
// fewer than two terms or with an And directly inside it.
type And struct{ Terms []Node }

// Or matches when any of its Terms matches. Parse never returns an Or with
// fewer than two terms or with an Or directly inside it.
type Or struct{ Terms []Node }

// Not matches when Term does not match. Parse removes double negations, so
// Term is never a Not.
type Not struct{ Term Node }

// Term is a single search term: free text when Field is empty, otherwise a
// comparison of a field with a value.
type Term struct {
	Field  string     // "" for free text
	Op     Comparator // always Eq for free text
	Value  string     // unquoted and unescaped; never empty
	Phrase bool       // Value was quoted
	Prefix bool       // Value ended with an unquoted * (stripped from Value)
}

// Comparator is the comparison a field term makes.
type Comparator int

// Comparators, written after the colon of a field term: "price:>=10".
const (
	Eq Comparator = iota // field:value
	Gt                   // field:>value
	Ge                   // field:>=value
	Lt                   // field:<value
	Le                   // field:<=value
)

// String returns the comparator as written in a query, and "=" for Eq, which
// has no symbol of its own.
func (c Comparator) String() string {
	switch c {
	case Eq:
		return "="
	case Gt:
		return ">"
	case Ge:
		return ">="
	case Lt:
		return "<"
	case Le:
		return "<="
	}
	return fmt.Sprintf("Comparator(%d)", int(c))
}

// SyntaxError reports a query that Parse rejects.
type SyntaxError struct {
	Pos int    // byte offset in the query, starting at 0
	Msg string // what is wrong, e.g. "unterminated quote"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("search query: %s at position %d", e.Msg, e.Pos)
}

func (And) node()  {}
func (Or) node()   {}
func (Not) node()  {}
func (Term) node() {}

// Parse parses a search query. An empty or whitespace-only query yields a nil
// Node and no error. Any other error is a *SyntaxError.
func Parse(q string) (Node, error) {
	if len(q) > MaxQueryLength {
		return nil, syntaxErrorf(MaxQueryLength, "query longer than %d bytes", MaxQueryLength)
	}
	// PostgreSQL rejects both in text parameters; fail here with a position
	// instead of with a database error.
	for i := 0; i < len(q); {
		r, size := utf8.DecodeRuneInString(q[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return nil, syntaxErrorf(i, "invalid UTF-8")
		case r == 0:
			return nil, syntaxErrorf(i, "NUL character")
		}
		i += size
	}

	p := &parser{src: q}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokEOF {
		return nil, nil
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	// parseOr stops only at the end or at a ')' it has no '(' for.
	if p.tok.kind != tokEOF {
		return nil, syntaxErrorf(p.tok.pos, "unexpected closing parenthesis")
	}
	return n, nil
}

func syntaxErrorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokTerm
	tokAnd
	tokOr
	tokNot // NOT or a leading -
	tokLParen
	tokRParen
)

type token struct {
	kind tokenKind
	pos  int
	text string // as written, for error messages
	term Term   // for tokTerm
}

// parser is a recursive-descent parser that lexes one token ahead, so that
// errors are reported in the order they occur in the query.
type parser struct {
	src   string
	off   int   // where the lexer continues
	tok   token // current token
	depth int   // open parentheses
	terms int   // terms so far
}

func (p *parser) parseOr() (Node, error) {
	n, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	terms := []Node{n}
	for p.tok.kind == tokOr {
		if err := p.operator(); err != nil {
			return nil, err
		}
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
	return newOr(terms), nil
}

func (p *parser) parseAnd() (Node, error) {
	n, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	terms := []Node{n}
	for {
		switch p.tok.kind {
		case tokAnd:
			if err := p.operator(); err != nil {
				return nil, err
			}
		case tokTerm, tokNot, tokLParen:
			// Implicit AND.
		default:
			return newAnd(terms), nil
		}
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, n)
	}
}

func (p *parser) parseUnary() (Node, error) {
	switch tok := p.tok; tok.kind {
	case tokNot:
		if err := p.operator(); err != nil {
			return nil, err
		}
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return negate(n), nil

	case tokLParen:
		if p.depth++; p.depth > MaxDepth {
			return nil, syntaxErrorf(tok.pos, "parentheses nested deeper than %d", MaxDepth)
		}
		if err := p.next(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tokRParen:
			return nil, syntaxErrorf(tok.pos, "empty parentheses")
		case tokEOF:
			return nil, syntaxErrorf(tok.pos, "unclosed parenthesis")
		}
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, syntaxErrorf(tok.pos, "unclosed parenthesis")
		}
		p.depth--
		return n, p.next()

	case tokTerm:
		if p.terms++; p.terms > MaxTerms {
			return nil, syntaxErrorf(tok.pos, "more than %d terms", MaxTerms)
		}
		return tok.term, p.next()

	case tokRParen:
		return nil, syntaxErrorf(tok.pos, "unexpected closing parenthesis")
	case tokEOF:
		return nil, syntaxErrorf(tok.pos, "unexpected end of query")
	default: // AND, OR
		return nil, syntaxErrorf(tok.pos, "missing term before %s", tok.text)
	}
}

// operator consumes an AND, OR or NOT and checks that a term follows, so that
// a dangling operator is reported at the operator rather than at whatever
// comes next.
func (p *parser) operator() error {
	op := p.tok
	if err := p.next(); err != nil {
		return err
	}
	switch p.tok.kind {
	case tokTerm, tokNot, tokLParen:
		return nil
	}
	return syntaxErrorf(op.pos, "missing term after %s", op.text)
}

// negate returns the negation of n, cancelling a double negation.
func negate(n Node) Node {
	if not, ok := n.(Not); ok {
		return not.Term
	}
	return Not{Term: n}
}

// newAnd returns the conjunction of terms: the term itself if there is only
// one, and an And with nested Ands flattened otherwise.
func newAnd(terms []Node) Node {
	if len(terms) == 1 {
		return terms[0]
	}
	var flat []Node
	for _, t := range terms {
		if and, ok := t.(And); ok {
			flat = append(flat, and.Terms...)
		} else {
			flat = append(flat, t)
		}
	}
	return And{Terms: flat}
}

// newOr is newAnd for disjunctions.
func newOr(terms []Node) Node {
	if len(terms) == 1 {
		return terms[0]
	}
	var flat []Node
	for _, t := range terms {
		if or, ok := t.(Or); ok {
			flat = append(flat, or.Terms...)
		} else {
			flat = append(flat, t)
		}
	}
	return Or{Terms: flat}
}

// next lexes the token at p.off into p.tok.
func (p *parser) next() error {
	for p.off < len(p.src) {
		r, size := utf8.DecodeRuneInString(p.src[p.off:])
		if !unicode.IsSpace(r) {
			break
		}
		p.off += size
	}
	start := p.off
	if start == len(p.src) {
		p.tok = token{kind: tokEOF, pos: start, text: "end of query"}
		return nil
	}
	switch p.src[start] {
	case '(':
		p.off++
		p.tok = token{kind: tokLParen, pos: start, text: "("}
		return nil
	case ')':
		p.off++
		p.tok = token{kind: tokRParen, pos: start, text: ")"}
		return nil
	case '-':
		p.off++
		// "a - b" is more likely a typo than a negation of b.
		if p.atEnd(p.off) && !strings.HasPrefix(p.src[p.off:], "(") {
			return syntaxErrorf(start, "missing term after -")
		}
		p.tok = token{kind: tokNot, pos: start, text: "-"}
		return nil
	}

	t, err := p.lexTerm()
	if err != nil {
		return err
	}
	p.tok = token{kind: tokTerm, pos: start, text: p.src[start:p.off], term: t}
	if t.Field == "" && !t.Phrase && !t.Prefix {
		switch t.Value {
		case "AND":
			p.tok.kind = tokAnd
		case "OR":
			p.tok.kind = tokOr
		case "NOT":
			p.tok.kind = tokNot
		}
	}
	return nil
}

// atEnd reports whether a bare word ends at off.
func (p *parser) atEnd(off int) bool {
	if off >= len(p.src) {
		return true
	}
	switch p.src[off] {
	case '(', ')':
		return true
	}
	r, _ := utf8.DecodeRuneInString(p.src[off:])
	return unicode.IsSpace(r)
}

// lexTerm lexes a free-text or field term starting at p.off.
func (p *parser) lexTerm() (Term, error) {
	var t Term
	if field, ok := p.field(); ok {
		t.Field = field
		p.off += len(field) + 1
		for _, c := range []Comparator{Ge, Le, Gt, Lt} { // longest first
			if strings.HasPrefix(p.src[p.off:], c.String()) {
				t.Op = c
				p.off += len(c.String())
				break
			}
		}
	}

	valuePos := p.off
	if strings.HasPrefix(p.src[p.off:], `"`) {
		v, err := p.quoted()
		if err != nil {
			return Term{}, err
		}
		if strings.TrimSpace(v) == "" {
			return Term{}, syntaxErrorf(valuePos, "empty quoted value")
		}
		t.Value, t.Phrase = v, true
		return t, nil
	}

	for !p.atEnd(p.off) {
		if p.src[p.off] == '"' {
			return Term{}, syntaxErrorf(p.off, "unexpected quote")
		}
		_, size := utf8.DecodeRuneInString(p.src[p.off:])
		p.off += size
	}
	t.Value = p.src[valuePos:p.off]
	if v, ok := strings.CutSuffix(t.Value, "*"); ok {
		t.Value, t.Prefix = v, true
		if t.Op != Eq {
			return Term{}, syntaxErrorf(p.off-1, "wildcard * after comparator %s", t.Op)
		}
	}
	switch {
	case t.Value != "":
		return t, nil
	case t.Prefix:
		return Term{}, syntaxErrorf(valuePos, "missing value before *")
	case t.Op != Eq:
		return Term{}, syntaxErrorf(valuePos, "missing value after comparator %s", t.Op)
	default:
		return Term{}, syntaxErrorf(valuePos, "missing value for field %s", t.Field)
	}
}

// field returns the field name at p.off if the word there is a field term,
// that is, if it starts with a valid field name followed by a colon.
func (p *parser) field() (string, bool) {
	end := p.off
	for end < len(p.src) && isFieldByte(p.src[end]) {
		end++
	}
	name := p.src[p.off:end]
	if !strings.HasPrefix(p.src[end:], ":") || !isField(name) {
		return "", false
	}
	return name, true
}

func isFieldByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// isField reports whether s, made of field bytes, is dot-separated
// identifiers that each start with a letter or underscore.
func isField(s string) bool {
	for part := range strings.SplitSeq(s, ".") {
		if part == "" || part[0] >= '0' && part[0] <= '9' {
			return false
		}
	}
	return true
}

// quoted lexes the quoted string at p.off, in which a backslash makes the
// next character literal.
func (p *parser) quoted() (string, error) {
	open := p.off
	var b strings.Builder
	for i := open + 1; i < len(p.src); {
		switch c := p.src[i]; c {
		case '"':
			p.off = i + 1
			if !p.atEnd(p.off) {
				return "", syntaxErrorf(p.off, "unexpected character after closing quote")
			}
			return b.String(), nil
		case '\\':
			if i+1 == len(p.src) {
				return "", syntaxErrorf(open, "unterminated quote")
			}
			_, size := utf8.DecodeRuneInString(p.src[i+1:])
			b.WriteString(p.src[i+1 : i+1+size])
			i += 1 + size
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", syntaxErrorf(open, "unterminated quote")
}

// String returns the term as written in a query, quoting and escaping the
// value if it was quoted.
func (t Term) String() string {
	var b strings.Builder
	if t.Field != "" {
		b.WriteString(t.Field)
		b.WriteByte(':')
		if t.Op != Eq {
			b.WriteString(t.Op.String())
		}
	}
	if t.Phrase {
		b.WriteByte('"')
		for _, c := range []byte(t.Value) {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	} else {
		b.WriteString(t.Value)
	}
	if t.Prefix {
		b.WriteByte('*')
	}
	return b.String()
}

// String returns the terms separated by spaces (implicit AND), with
// parentheses only where precedence requires them.
func (a And) String() string {
	parts := make([]string, len(a.Terms))
	for i, t := range a.Terms {
		parts[i] = t.String()
		if _, ok := t.(Or); ok {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, " ")
}

// String returns the terms separated by " OR ". AND binds tighter than OR, so
// no term needs parentheses.
func (o Or) String() string {
	parts := make([]string, len(o.Terms))
	for i, t := range o.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " OR ")
}

// String returns the negated term prefixed with "-", the Shopify idiom.
func (n Not) String() string {
	switch n.Term.(type) {
	case And, Or:
		return "-(" + n.Term.String() + ")"
	}
	return "-" + n.Term.String()
}
