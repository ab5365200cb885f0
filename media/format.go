package media

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/image/webp"
)

// Format is a kind of picture Emporium accepts.
type Format string

// The accepted formats. Anything else is refused with ErrUnsupported.
const (
	JPEG Format = "image/jpeg"
	PNG  Format = "image/png"
	GIF  Format = "image/gif"
	WebP Format = "image/webp"
	SVG  Format = "image/svg+xml"
)

// Ext is the file extension objects of the format are stored under.
func (f Format) Ext() string {
	switch f {
	case JPEG:
		return ".jpg"
	case PNG:
		return ".png"
	case GIF:
		return ".gif"
	case WebP:
		return ".webp"
	case SVG:
		return ".svg"
	}
	return ""
}

// Limits on what an upload may be. A picture's pixels bound the memory its decoding takes, whatever its
// file size: a 40 KB PNG can claim 100,000 × 100,000 pixels.
const (
	MaxBytes  = 20 << 20
	MaxPixels = 50_000_000
	MaxSide   = 20_000
)

// Errors of Inspect; each is a business failure to report to whoever sent the file.
var (
	ErrUnsupported = errors.New("the file is not a JPEG, PNG, GIF, WebP or SVG image")
	ErrTooLarge    = fmt.Errorf("the file is larger than %d MiB", MaxBytes>>20)
	ErrTooManyPx   = fmt.Errorf("the image has more than %d pixels or a side longer than %d", MaxPixels, MaxSide)
	ErrCorrupt     = errors.New("the image cannot be read")
)

// Picture is what Inspect learned of a file.
type Picture struct {
	Format        Format
	Width, Height int
}

// Inspect finds a file's format by its content, never by its name or declared type, and reads its
// size without decoding its pixels. Raster images are then decoded once in full, so that a file that
// would fail later, in a transform, is refused now.
func Inspect(data []byte) (Picture, error) {
	if len(data) > MaxBytes {
		return Picture{}, ErrTooLarge
	}
	if isSVG(data) {
		w, h, err := svgSize(data)
		if err != nil {
			return Picture{}, err
		}
		return Picture{Format: SVG, Width: w, Height: h}, nil
	}
	var f Format
	switch http.DetectContentType(data) {
	case "image/jpeg":
		f = JPEG
	case "image/png":
		f = PNG
	case "image/gif":
		f = GIF
	case "image/webp":
		f = WebP
	default:
		return Picture{}, ErrUnsupported
	}
	cfg, err := decodeConfig(f, bytes.NewReader(data))
	if err != nil {
		return Picture{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide || cfg.Width*cfg.Height > MaxPixels {
		return Picture{}, ErrTooManyPx
	}
	if _, err := decode(f, bytes.NewReader(data)); err != nil {
		return Picture{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return Picture{Format: f, Width: cfg.Width, Height: cfg.Height}, nil
}

func decodeConfig(f Format, r io.Reader) (image.Config, error) {
	switch f {
	case JPEG:
		return jpeg.DecodeConfig(r)
	case PNG:
		return png.DecodeConfig(r)
	case GIF:
		return gif.DecodeConfig(r)
	case WebP:
		return webp.DecodeConfig(r)
	}
	return image.Config{}, ErrUnsupported
}

// decode reads a raster image; of an animated GIF, its first frame.
func decode(f Format, r io.Reader) (image.Image, error) {
	switch f {
	case JPEG:
		return jpeg.Decode(r)
	case PNG:
		return png.Decode(r)
	case GIF:
		return gif.Decode(r)
	case WebP:
		return webp.Decode(r)
	}
	return nil, ErrUnsupported
}

// isSVG looks past an XML declaration, comments and a doctype for an <svg element.
func isSVG(data []byte) bool {
	head := data[:min(len(data), 4096)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	dec := xml.NewDecoder(bytes.NewReader(head))
	dec.Strict = false
	for {
		tok, err := dec.RawToken()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t.Name.Local == "svg"
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return false
			}
		}
	}
}

// svgSize reads the root element's width and height, or its viewBox, in CSS pixels. The whole document
// must be well-formed XML; Go's decoder expands no external entities, so nothing is fetched.
func svgSize(data []byte) (int, int, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root *xml.StartElement
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, 0, fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == nil {
			se = se.Copy()
			root = &se
		}
	}
	if root == nil {
		return 0, 0, ErrCorrupt
	}
	var w, h float64
	var viewBox string
	for _, a := range root.Attr {
		switch a.Name.Local {
		case "width":
			w = svgLength(a.Value)
		case "height":
			h = svgLength(a.Value)
		case "viewBox":
			viewBox = a.Value
		}
	}
	if (w == 0 || h == 0) && viewBox != "" {
		f := strings.FieldsFunc(viewBox, func(r rune) bool { return r == ' ' || r == ',' })
		if len(f) == 4 {
			w, _ = strconv.ParseFloat(f[2], 64)
			h, _ = strconv.ParseFloat(f[3], 64)
		}
	}
	if !(w > 0 && h > 0) || w > MaxSide || h > MaxSide {
		// A vector image without a usable size still displays; 0 leaves width and height unknown.
		return 0, 0, nil
	}
	return int(math.Round(w)), int(math.Round(h)), nil
}

func svgLength(s string) float64 {
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return 0
	}
	return v
}
