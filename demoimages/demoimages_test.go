package demoimages_test

import (
	"encoding/json"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/emporium/emporium/demoimages"
)

// TestEveryDemoImageIsEmbeddedAtItsDeclaredSize checks the demo catalog against the embedded files: a
// picture the catalog names but the binary lacks is a broken image in every storefront.
func TestEveryDemoImageIsEmbeddedAtItsDeclaredSize(t *testing.T) {
	raw, err := os.ReadFile("../testdata/demo-shop.json")
	if err != nil {
		t.Fatal(err)
	}
	type ref struct {
		URL           string
		Width, Height int
	}
	var cat struct {
		Products []struct {
			Images []ref
		}
		Collections []struct {
			Image *ref
		}
	}
	if err := json.Unmarshal(raw, &cat); err != nil {
		t.Fatal(err)
	}
	var refs []ref
	for _, p := range cat.Products {
		refs = append(refs, p.Images...)
	}
	for _, c := range cat.Collections {
		if c.Image != nil {
			refs = append(refs, *c.Image)
		}
	}
	if len(refs) < 100 {
		t.Fatalf("the demo catalog names %d images; expected over 100", len(refs))
	}
	fsys := demoimages.FS()
	for _, r := range refs {
		name, ok := strings.CutPrefix(r.URL, demoimages.Prefix)
		if !ok {
			t.Errorf("%s is not under %s", r.URL, demoimages.Prefix)
			continue
		}
		f, err := fsys.Open(name)
		if err != nil {
			t.Errorf("%s: %v", r.URL, err)
			continue
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", r.URL, err)
			continue
		}
		if cfg.Width != r.Width || cfg.Height != r.Height {
			t.Errorf("%s is %d×%d; the catalog says %d×%d", r.URL, cfg.Width, cfg.Height, r.Width, r.Height)
		}
	}
}
