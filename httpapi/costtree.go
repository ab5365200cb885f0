package httpapi

import (
	"bytes"
	"errors"
)

// costNode is a response value as the actual cost needs it: which members an object has, how long a
// list is, and whether a value is null. Scalars are kept as neither their text nor their type, and keys
// are slices of the response, so reading a response this way allocates little beyond the nodes: about
// a fifth of what encoding/json spends building maps and strings of the same response, which a
// computed answer pays once (an answer from the cache, nothing).
type costNode struct {
	kind  byte // 'o' object, 'a' list, 's' scalar, 'n' null
	keys  [][]byte
	items []costNode // an object's member values, in keys' order, or a list's items
}

// member is the object's member named name.
func (n costNode) member(name string) (costNode, bool) {
	for i, k := range n.keys {
		if string(k) == name {
			return n.items[i], true
		}
	}
	return costNode{}, false
}

var errCostTree = errors.New("httpapi: response is not JSON the cost walker reads")

// parseCostTree reads a response's data. It trusts what gqlgen writes (valid JSON, keys that are
// GraphQL names): it checks only as much as it needs to stay in bounds, and refuses escaped keys.
func parseCostTree(data []byte) (costNode, error) {
	p := costParser{b: data}
	n, err := p.value()
	if err != nil {
		return costNode{}, err
	}
	p.space()
	if p.i != len(p.b) {
		return costNode{}, errCostTree
	}
	return n, nil
}

// costParser reads a response. Members and items are gathered on stacks while their object or list is
// read, then copied, at their exact number, into slabs shared by the whole tree: a few allocations for
// a whole response instead of a growing slice per object.
type costParser struct {
	b []byte
	i int

	keys     [][]byte
	items    []costNode
	keySlab  [][]byte
	nodeSlab []costNode
}

// keep copies the top of the stacks from mark into the slabs and pops them.
func (p *costParser) keep(mark int, withKeys bool) ([][]byte, []costNode) {
	n := len(p.items) - mark
	if n == 0 {
		return nil, nil
	}
	if cap(p.nodeSlab)-len(p.nodeSlab) < n {
		p.nodeSlab = make([]costNode, 0, max(n, 512))
	}
	items := append(p.nodeSlab[len(p.nodeSlab):len(p.nodeSlab):len(p.nodeSlab)+n], p.items[mark:]...)
	p.nodeSlab = p.nodeSlab[:len(p.nodeSlab)+n]
	p.items = p.items[:mark]
	var keys [][]byte
	if withKeys {
		if cap(p.keySlab)-len(p.keySlab) < n {
			p.keySlab = make([][]byte, 0, max(n, 512))
		}
		keys = append(p.keySlab[len(p.keySlab):len(p.keySlab):len(p.keySlab)+n], p.keys[len(p.keys)-n:]...)
		p.keySlab = p.keySlab[:len(p.keySlab)+n]
		p.keys = p.keys[:len(p.keys)-n]
	}
	return keys, items
}

func (p *costParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *costParser) value() (costNode, error) {
	p.space()
	if p.i >= len(p.b) {
		return costNode{}, errCostTree
	}
	switch c := p.b[p.i]; c {
	case '{':
		return p.object()
	case '[':
		return p.list()
	case '"':
		_, err := p.str()
		return costNode{kind: 's'}, err
	case 'n':
		if p.i+4 > len(p.b) || string(p.b[p.i:p.i+4]) != "null" {
			return costNode{}, errCostTree
		}
		p.i += 4
		return costNode{kind: 'n'}, nil
	default:
		// A number, true or false: up to the next delimiter.
		start := p.i
		for p.i < len(p.b) {
			switch p.b[p.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				goto done
			}
			p.i++
		}
	done:
		if p.i == start {
			return costNode{}, errCostTree
		}
		return costNode{kind: 's'}, nil
	}
}

// str skips a string and returns its contents, which are only used for keys (nil when they hold an
// escape, which no GraphQL name needs). It jumps from quote to quote: a response is mostly long strings.
func (p *costParser) str() ([]byte, error) {
	p.i++ // the opening quote
	start := p.i
	for {
		q := bytes.IndexByte(p.b[p.i:], '"')
		if q < 0 {
			return nil, errCostTree
		}
		end := p.i + q
		p.i = end + 1
		// An odd number of backslashes right before the quote escapes it.
		backslashes := 0
		for j := end - 1; j >= start && p.b[j] == '\\'; j-- {
			backslashes++
		}
		if backslashes%2 == 0 {
			s := p.b[start:end]
			if bytes.IndexByte(s, '\\') >= 0 {
				return nil, nil
			}
			return s, nil
		}
	}
}

func (p *costParser) object() (costNode, error) {
	p.i++
	n := costNode{kind: 'o'}
	mark := len(p.items)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return costNode{}, errCostTree
		}
		key, err := p.str()
		if err != nil || key == nil {
			return costNode{}, errCostTree
		}
		p.space()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return costNode{}, errCostTree
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return costNode{}, err
		}
		p.keys, p.items = append(p.keys, key), append(p.items, v)
		p.space()
		if p.i >= len(p.b) {
			return costNode{}, errCostTree
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			n.keys, n.items = p.keep(mark, true)
			return n, nil
		default:
			return costNode{}, errCostTree
		}
	}
}

func (p *costParser) list() (costNode, error) {
	p.i++
	n := costNode{kind: 'a'}
	mark := len(p.items)
	p.space()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return costNode{}, err
		}
		p.items = append(p.items, v)
		p.space()
		if p.i >= len(p.b) {
			return costNode{}, errCostTree
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			_, n.items = p.keep(mark, false)
			return n, nil
		default:
			return costNode{}, errCostTree
		}
	}
}
