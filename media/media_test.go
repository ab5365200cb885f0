package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
)

func pngOf(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gifOf(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.White, color.Black}), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bomb is a valid PNG header claiming 100,000 × 100,000 pixels, in a few bytes.
func bomb(t testing.TB) []byte {
	t.Helper()
	b := pngOf(t, 1, 1)
	// IHDR's width and height are the first 8 bytes of its data, after the 8-byte signature and the
	// chunk's length and type; its CRC, over type and data, follows the 13 data bytes.
	copy(b[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func TestInspect(t *testing.T) {
	webp, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	good := []struct {
		name string
		data []byte
		want Picture
	}{
		{"png", pngOf(t, 30, 20), Picture{PNG, 30, 20}},
		{"jpeg", jpegOf(t, 64, 48), Picture{JPEG, 64, 48}},
		{"gif", gifOf(t, 10, 12), Picture{GIF, 10, 12}},
		{"webp", webp, Picture{WebP, 150, 100}},
		{"svg with size", []byte(`<?xml version="1.0"?><!-- logo --><svg xmlns="http://www.w3.org/2000/svg" width="120px" height="40"><rect width="1" height="1"/></svg>`), Picture{SVG, 120, 40}},
		{"svg with viewBox", []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>`), Picture{SVG, 300, 150}},
	}
	for _, c := range good {
		got, err := Inspect(c.data)
		if err != nil || got != c.want {
			t.Errorf("%s: Inspect = %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
	whole := pngOf(t, 30, 20)
	bad := []struct {
		name string
		data []byte
		want error
	}{
		{"text", []byte("hello, this is not a picture"), ErrUnsupported},
		{"html", []byte("<html><script>alert(1)</script></html>"), ErrUnsupported},
		{"pdf", []byte("%PDF-1.7\n"), ErrUnsupported},
		{"empty", nil, ErrUnsupported},
		{"truncated png", whole[:len(whole)/2], ErrCorrupt},
		{"png claiming 10 billion pixels", bomb(t), ErrTooManyPx},
		{"broken svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><rect`), ErrCorrupt},
		{"too large", append(pngOf(t, 2, 2), make([]byte, MaxBytes)...), ErrTooLarge},
	}
	for _, c := range bad {
		if _, err := Inspect(c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: Inspect error %v, want %v", c.name, err, c.want)
		}
	}
}

func TestTransformPlan(t *testing.T) {
	cases := []struct {
		t            Transform
		w, h         int
		wantW, wantH int
		wantRect     image.Rectangle
	}{
		{Transform{MaxWidth: 100}, 800, 600, 100, 75, image.Rect(0, 0, 800, 600)},
		{Transform{MaxHeight: 100}, 800, 600, 133, 100, image.Rect(0, 0, 800, 600)},
		{Transform{MaxWidth: 100, Scale: 2}, 800, 600, 200, 150, image.Rect(0, 0, 800, 600)},
		{Transform{MaxWidth: 2000}, 800, 600, 800, 600, image.Rect(0, 0, 800, 600)}, // never enlarged
		{Transform{MaxWidth: 200, MaxHeight: 200, Crop: "center"}, 800, 600, 200, 200, image.Rect(100, 0, 700, 600)},
		{Transform{MaxWidth: 200, MaxHeight: 200, Crop: "left"}, 800, 600, 200, 200, image.Rect(0, 0, 600, 600)},
		{Transform{MaxWidth: 300, MaxHeight: 100, Crop: "top"}, 600, 600, 300, 100, image.Rect(0, 0, 600, 200)},
		{Transform{MaxWidth: 300, MaxHeight: 100, Crop: "bottom"}, 600, 600, 300, 100, image.Rect(0, 400, 600, 600)},
		{Transform{MaxWidth: 1000, MaxHeight: 1000, Crop: "center"}, 800, 600, 600, 600, image.Rect(100, 0, 700, 600)},
	}
	for _, c := range cases {
		r, w, h := c.t.plan(c.w, c.h)
		if w != c.wantW || h != c.wantH || r != c.wantRect {
			t.Errorf("%+v of %dx%d: %v → %dx%d, want %v → %dx%d", c.t, c.w, c.h, r, w, h, c.wantRect, c.wantW, c.wantH)
		}
	}
}

func TestParseTransform(t *testing.T) {
	good := map[string]Transform{
		"":                               {},
		"width=100":                      {MaxWidth: 100},
		"crop=center&height=20&width=10": {MaxWidth: 10, MaxHeight: 20, Crop: "center"},
		"format=jpg&scale=2&width=100":   {MaxWidth: 100, Scale: 2, Format: JPEG},
		"format=png":                     {Format: PNG},
	}
	for q, want := range good {
		v, _ := url.ParseQuery(q)
		got, err := ParseTransform(v)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", q, got, err, want)
		}
		if got.Query() != q {
			t.Errorf("%q: canonical query %q", q, got.Query())
		}
	}
	for _, q := range []string{"width=0", "width=-1", "width=01", "width=abc", "width=6000", "width=2000&scale=3",
		"scale=4", "crop=middle", "format=webp", "format=gif", "size=10", "width=10&width=20"} {
		v, _ := url.ParseQuery(q)
		if got, err := ParseTransform(v); err == nil {
			t.Errorf("%q: accepted as %+v", q, got)
		}
	}
}

func TestTransformApply(t *testing.T) {
	src := pngOf(t, 400, 300)
	out, err := Transform{MaxWidth: 100, Format: JPEG}.apply(src, PNG, JPEG)
	if err != nil {
		t.Fatal(err)
	}
	img, format, err := image.Decode(bytes.NewReader(out))
	if err != nil || format != "jpeg" || img.Bounds().Dx() != 100 || img.Bounds().Dy() != 75 {
		t.Fatalf("got %s %v, %v; want a 100x75 jpeg", format, img.Bounds(), err)
	}
}

func TestFetcherGuard(t *testing.T) {
	pic := pngOf(t, 8, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/pic.png":
			_, _ = w.Write(pic)
		case "/to-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
		case "/to-other-loopback":
			http.Redirect(w, r, "http://127.0.0.2:1/x.png", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	if _, err := (&Fetcher{}).Fetch(ctx, srv.URL+"/pic.png"); !errors.Is(err, ErrFetch) {
		t.Errorf("loopback without an allowance: %v, want ErrFetch", err)
	}
	allowed := &Fetcher{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}
	got, err := allowed.Fetch(ctx, srv.URL+"/pic.png")
	if err != nil || !bytes.Equal(got, pic) {
		t.Fatalf("allowed fetch: %d bytes, %v", len(got), err)
	}
	for _, path := range []string{"/to-metadata", "/to-other-loopback", "/to-file", "/missing"} {
		if _, err := allowed.Fetch(ctx, srv.URL+path); !errors.Is(err, ErrFetch) {
			t.Errorf("%s: %v, want ErrFetch", path, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "ftp://example.com/x.png", "http://user:pw@example.com/x.png",
		"http://[::1]/x.png", "http://10.0.0.1/x.png", "http://0.0.0.0/x.png", "http://[::ffff:127.0.0.1]/x.png", "not a url"} {
		if _, err := (&Fetcher{}).Fetch(ctx, u); !errors.Is(err, ErrFetch) {
			t.Errorf("%s: %v, want ErrFetch", u, err)
		}
	}
	f := &Fetcher{}
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "255.255.255.255": false, "224.0.0.1": false, "::1": false,
		"fe80::1": false, "fc00::1": false, "::ffff:10.0.0.1": false, "64:ff9b::a00:1": false,
	} {
		if got := f.public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("public(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestKeys(t *testing.T) {
	for _, k := range []string{"", "/abs", "../x", "a/../b", "A", "a//b", "a/", "a b", strings.Repeat("a", 600)} {
		if CheckKey(k) == nil {
			t.Errorf("CheckKey(%q) accepted", k)
		}
	}
	for _, k := range []string{"o/abc.png", "demo/bucket-hat-1.png", "t/o/abc/100x0-fit-1-v1.jpg"} {
		if err := CheckKey(k); err != nil {
			t.Errorf("CheckKey(%q): %v", k, err)
		}
	}
}
