package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// shapeOf is what the cost walker sees of a value decoded by encoding/json.
func shapeOf(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range v {
			m[k] = shapeOf(x)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = shapeOf(x)
		}
		return l
	case nil:
		return nil
	}
	return "scalar"
}

// shapeOfNode is the same of a costNode.
func shapeOfNode(n costNode) any {
	switch n.kind {
	case 'o':
		m := map[string]any{}
		for i, k := range n.keys {
			m[string(k)] = shapeOfNode(n.items[i])
		}
		return m
	case 'a':
		l := make([]any, len(n.items))
		for i, x := range n.items {
			l[i] = shapeOfNode(x)
		}
		return l
	case 'n':
		return nil
	}
	return "scalar"
}

func TestParseCostTree(t *testing.T) {
	for _, in := range []string{
		`{}`, `{"a":null}`, `{"a":[]}`, `{"a":1,"b":-2.5e3,"c":true,"d":false,"e":"x"}`,
		`{"products":{"nodes":[{"id":"gid://x/1","title":"A \"quoted\" \\ title"},{"id":"2","title":null}],"pageInfo":{"hasNextPage":false}}}`,
		` { "a" : [ 1 , [ 2 , { } ] , "s" ] , "b" : { "c" : null } } `,
		`{"u":"\u00e9\n","list":[[],[null],[[1]]]}`,
	} {
		n, err := parseCostTree([]byte(in))
		var v any
		if jerr := json.Unmarshal([]byte(in), &v); err != nil || jerr != nil {
			t.Errorf("%s: %v, %v", in, err, jerr)
			continue
		}
		if got, want := shapeOfNode(n), shapeOf(v); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":1`, `[1,`, `{"a":nul}`, `{"a\"b":1}`, `{"a":1}x`, `"unterminated`} {
		if _, err := parseCostTree([]byte(in)); err == nil {
			t.Errorf("%q: parsed", in)
		}
	}
}

// sampleListing is a response shaped like the Next.js product listing: products with descriptions,
// variants and images.
func sampleListing(products int) []byte {
	var b strings.Builder
	b.WriteString(`{"products":{"edges":[`)
	for i := range products {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"node":{"id":"gid://shopify/Product/%d","handle":"p-%d","availableForSale":true,"title":"Product %d",`+
			`"description":"%s","descriptionHtml":"<p>%s</p>","options":[{"id":"o","name":"Size","values":["S","M","L"]}],`+
			`"priceRange":{"maxVariantPrice":{"amount":"10.0","currencyCode":"EUR"},"minVariantPrice":{"amount":"9.0","currencyCode":"EUR"}},"variants":{"edges":[`,
			i, i, i, strings.Repeat("words ", 60), strings.Repeat("words ", 60))
		for v := range 4 {
			if v > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"node":{"id":"gid://shopify/ProductVariant/%d","title":"S","availableForSale":true,"selectedOptions":[{"name":"Size","value":"S"}],"price":{"amount":"9.0","currencyCode":"EUR"}}}`, v)
		}
		b.WriteString(`]},"featuredImage":{"url":"https://example.com/a.png","altText":"a","width":800,"height":800},"images":{"edges":[{"node":{"url":"https://example.com/a.png","altText":"a","width":800,"height":800}}]},"seo":{"title":null,"description":null},"tags":["a","b"],"updatedAt":"2026-01-01T00:00:00Z"}}`)
	}
	b.WriteString(`]}}`)
	return []byte(b.String())
}

func BenchmarkParseCostTree(b *testing.B) {
	data := sampleListing(20)
	b.SetBytes(int64(len(data)))
	b.Run("parseCostTree", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseCostTree(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Unmarshal", func(b *testing.B) {
		for b.Loop() {
			var v map[string]any
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
