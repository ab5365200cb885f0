package media

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"net/url"
	"path"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
)

// MaxOutputSide bounds a transformed image's sides, scale included, as Shopify's CDN does.
const MaxOutputSide = 5760

// transformVersion is part of every derived key: a change to how images are resized or encoded
// changes it, so that no cache anywhere keeps the old output under an immutable URL.
const transformVersion = "v1"

// Crop regions, as Shopify's CropRegion names them (REGION, which needs coordinates, is not offered).
var crops = map[string]bool{"center": true, "top": true, "bottom": true, "left": true, "right": true}

// Transform is what Image.url(transform:) asks of a picture.
type Transform struct {
	MaxWidth, MaxHeight int
	// Crop, when set with both bounds, fills exactly that box, cutting what overflows from the side
	// opposite the named one ("center" cuts evenly).
	Crop string
	// Scale multiplies both bounds (1 to 3), for high-density screens.
	Scale int
	// Format is the preferred output: JPEG or PNG. Empty keeps the source's (PNG for GIF and WebP,
	// which Go cannot encode without cgo).
	Format Format
}

// IsZero reports whether t changes nothing.
func (t Transform) IsZero() bool {
	return t.MaxWidth == 0 && t.MaxHeight == 0 && t.Format == ""
}

func (t Transform) scale() int { return max(t.Scale, 1) }

// Check refuses bounds outside what is served.
func (t Transform) Check() error {
	s := t.scale()
	switch {
	case t.MaxWidth < 0 || t.MaxHeight < 0:
		return fmt.Errorf("maxWidth and maxHeight must be positive")
	case s > 3:
		return fmt.Errorf("scale must be 1, 2 or 3")
	case t.MaxWidth*s > MaxOutputSide || t.MaxHeight*s > MaxOutputSide:
		return fmt.Errorf("maxWidth and maxHeight times scale must be at most %d", MaxOutputSide)
	case t.Crop != "" && !crops[t.Crop]:
		return fmt.Errorf("crop must be one of center, top, bottom, left or right")
	case t.Format != "" && t.Format != JPEG && t.Format != PNG:
		return fmt.Errorf("format must be jpg or png")
	}
	return nil
}

// Query is the canonical query string of t, so that one transform has one URL and one cached output.
func (t Transform) Query() string {
	if t.IsZero() {
		return ""
	}
	v := url.Values{}
	if t.MaxWidth > 0 {
		v.Set("width", strconv.Itoa(t.MaxWidth))
	}
	if t.MaxHeight > 0 {
		v.Set("height", strconv.Itoa(t.MaxHeight))
	}
	if t.Crop != "" && t.MaxWidth > 0 && t.MaxHeight > 0 {
		v.Set("crop", t.Crop)
	}
	if t.scale() > 1 {
		v.Set("scale", strconv.Itoa(t.scale()))
	}
	switch t.Format {
	case JPEG:
		v.Set("format", "jpg")
	case PNG:
		v.Set("format", "png")
	}
	return v.Encode()
}

// ParseTransform reads a transform from a URL's query. Unknown parameters and values are refused, so
// that no two spellings of one transform exist.
func ParseTransform(q url.Values) (Transform, error) {
	var t Transform
	num := func(name string) (int, error) {
		s := q.Get(name)
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || strconv.Itoa(n) != s {
			return 0, fmt.Errorf("%s must be a positive whole number", name)
		}
		return n, nil
	}
	var err error
	for name, vals := range q {
		if len(vals) != 1 {
			return t, fmt.Errorf("%s is given more than once", name)
		}
		switch name {
		case "width":
			t.MaxWidth, err = num(name)
		case "height":
			t.MaxHeight, err = num(name)
		case "scale":
			t.Scale, err = num(name)
		case "crop":
			t.Crop = vals[0]
		case "format":
			switch vals[0] {
			case "jpg":
				t.Format = JPEG
			case "png":
				t.Format = PNG
			default:
				err = fmt.Errorf("format must be jpg or png")
			}
		default:
			err = fmt.Errorf("unknown parameter %q", name)
		}
		if err != nil {
			return t, err
		}
	}
	return t, t.Check()
}

// derivedKey names the stored output of t applied to the original under key.
func (t Transform) derivedKey(key string, out Format) string {
	crop := t.Crop
	if crop == "" || t.MaxWidth == 0 || t.MaxHeight == 0 {
		crop = "fit"
	}
	return fmt.Sprintf("t/%s/%dx%d-%s-%d-%s%s", strings.TrimSuffix(key, path.Ext(key)),
		t.MaxWidth, t.MaxHeight, crop, t.scale(), transformVersion, out.Ext())
}

// outputFormat is what t produces from a source of format src.
func (t Transform) outputFormat(src Format) Format {
	if t.Format != "" {
		return t.Format
	}
	if src == JPEG {
		return JPEG
	}
	return PNG
}

// plan returns the part of a w×h source to read and the size to draw it at.
func (t Transform) plan(w, h int) (image.Rectangle, int, int) {
	s := float64(t.scale())
	bw, bh := float64(t.MaxWidth)*s, float64(t.MaxHeight)*s
	fw, fh := float64(w), float64(h)
	if t.Crop != "" && bw > 0 && bh > 0 {
		// Never upscale: a box larger than the source shrinks, keeping its shape, until it fits.
		if k := math.Min(1, math.Min(fw/bw, fh/bh)); k < 1 {
			bw, bh = bw*k, bh*k
		}
		f := math.Max(bw/fw, bh/fh)
		cw, ch := math.Min(fw, bw/f), math.Min(fh, bh/f)
		x, y := (fw-cw)/2, (fh-ch)/2
		switch t.Crop {
		case "top":
			y = 0
		case "bottom":
			y = fh - ch
		case "left":
			x = 0
		case "right":
			x = fw - cw
		}
		r := image.Rect(int(math.Round(x)), int(math.Round(y)), int(math.Round(x+cw)), int(math.Round(y+ch)))
		return r, max(1, int(math.Round(bw))), max(1, int(math.Round(bh)))
	}
	f := 1.0
	if bw > 0 {
		f = math.Min(f, bw/fw)
	}
	if bh > 0 {
		f = math.Min(f, bh/fh)
	}
	return image.Rect(0, 0, w, h), max(1, int(math.Round(fw*f))), max(1, int(math.Round(fh*f)))
}

// apply decodes a raster source, resizes it and encodes it in format out.
func (t Transform) apply(src []byte, format Format, out Format) ([]byte, error) {
	img, err := decode(format, bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	b := img.Bounds()
	r, w, h := t.plan(b.Dx(), b.Dy())
	r = r.Add(b.Min)
	var dst draw.Image
	if out == JPEG {
		dst = image.NewRGBA(image.Rect(0, 0, w, h))
		// JPEG has no transparency: draw on white, as a browser shows it on a white page.
		draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src)
	} else {
		dst = image.NewNRGBA(image.Rect(0, 0, w, h))
	}
	if r.Dx() == w && r.Dy() == h {
		draw.Draw(dst, dst.Bounds(), img, r.Min, draw.Over)
	} else {
		draw.CatmullRom.Scale(dst, dst.Bounds(), img, r, draw.Over, nil)
	}
	var buf bytes.Buffer
	if out == JPEG {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85})
	} else {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, dst)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", out, err)
	}
	return buf.Bytes(), nil
}
