// Command gen draws the demo shop's pictures: one flat illustration per image the demo catalog names,
// in the colour its alt text gives, so that `go run .` shows a shop with pictures and no network.
// Run by `go generate ./demoimages`; the output is committed and must match what this draws.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"log"
	"math"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/vector"
)

// Prefix is where the demo catalog's image URLs point; the rest of a URL is the file's name.
const prefix = "/media/demo/"

func main() {
	catalog := flag.String("catalog", "../testdata/demo-shop.json", "demo catalog whose images to draw")
	out := flag.String("out", "files", "directory to write the pictures to")
	flag.Parse()
	specs, err := readSpecs(*catalog)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.RemoveAll(*out); err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, s := range specs {
		var buf bytes.Buffer
		var enc png.Encoder
		if err := enc.Encode(&buf, s.draw()); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*out, s.name), buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// spec is one picture to draw.
type spec struct {
	name, kind, alt, handle string
	w, h                    int
}

type imageRef struct {
	URL     string `json:"url"`
	AltText string `json:"altText"`
	Width   int    `json:"width"`
	Height  int    `json:"height"`
}

func readSpecs(file string) ([]spec, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cat struct {
		Products []struct {
			Handle      string     `json:"handle"`
			ProductType string     `json:"productType"`
			Images      []imageRef `json:"images"`
		} `json:"products"`
		Collections []struct {
			Handle string    `json:"handle"`
			Image  *imageRef `json:"image"`
		} `json:"collections"`
	}
	if err := json.Unmarshal(raw, &cat); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	seen := map[string]bool{}
	var specs []spec
	add := func(ref imageRef, kind, handle string) error {
		name, ok := strings.CutPrefix(ref.URL, prefix)
		if !ok || name != path.Base(name) {
			return fmt.Errorf("%s: image URL %q is not under %s", file, ref.URL, prefix)
		}
		if seen[name] {
			return nil
		}
		seen[name] = true
		specs = append(specs, spec{name: name, kind: kind, alt: ref.AltText, handle: handle, w: ref.Width, h: ref.Height})
		return nil
	}
	for _, p := range cat.Products {
		for _, img := range p.Images {
			if err := add(img, p.ProductType, p.Handle); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range cat.Collections {
		if c.Image != nil {
			if err := add(*c.Image, "Collection", c.Handle); err != nil {
				return nil, err
			}
		}
	}
	sort.Slice(specs, func(i, j int) bool { return specs[i].name < specs[j].name })
	return specs, nil
}

// colours the alt texts name.
var colours = map[string]color.RGBA{
	"black": rgb(0x2b2b2e), "white": rgb(0xf4f2ee), "navy": rgb(0x24365c), "sand": rgb(0xd8c3a0),
	"faded blue": rgb(0x7d9cc0), "olive": rgb(0x6b7043), "rust": rgb(0xb0532c), "oatmeal": rgb(0xd9ceb8),
	"charcoal": rgb(0x45474d), "bone": rgb(0xe6dfd0), "heather grey": rgb(0xa5a7ab), "forest": rgb(0x2f5240),
	"sage": rgb(0x9caf92), "cream": rgb(0xf0e6cf), "lilac": rgb(0xb9a3d0), "burgundy": rgb(0x6e2234),
	"mustard": rgb(0xd1a22e), "grey": rgb(0x8e9094), "khaki": rgb(0xb9a77c), "stone": rgb(0xb8b0a2),
	"red": rgb(0xc0392b), "natural": rgb(0xe8dcc2), "tan": rgb(0xc08d5a), "cognac": rgb(0x9a4f24),
	"speckled white": rgb(0xede8df), "slate": rgb(0x5d6b78), "terracotta": rgb(0xc46a4a), "indigo": rgb(0x2f3f7a),
	"ochre": rgb(0xc98f2b), "pine": rgb(0x28503c),
}

func rgb(v uint32) color.RGBA { return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xff} }

// palette gives a product without a named colour one of its own, stable by handle.
var palette = []color.RGBA{rgb(0xe07a5f), rgb(0x3d405b), rgb(0x81b29a), rgb(0xf2cc8f), rgb(0x5e8c9c), rgb(0xa05c7b)}

func (s spec) colour() color.RGBA {
	alt := strings.ToLower(s.alt)
	if i := strings.LastIndex(alt, " in "); i >= 0 {
		name := strings.TrimSuffix(alt[i+4:], ", front view")
		if c, ok := colours[name]; ok {
			return c
		}
	}
	h := fnv.New32a()
	h.Write([]byte(s.handle))
	return palette[h.Sum32()%uint32(len(palette))]
}

// canvas draws in a unit square centred on the picture: (0,0) is the centre, ±1 the edges of the
// largest centred square, so that shapes keep their proportions in any aspect ratio.
type canvas struct {
	img  *image.RGBA
	unit float32
	cx   float32
	cy   float32
}

func (c *canvas) pt(x, y float32) (float32, float32) { return c.cx + x*c.unit, c.cy + y*c.unit }

// fill fills the polygon through pts (x, y pairs in unit coordinates).
func (c *canvas) fill(col color.Color, pts ...float32) {
	b := c.img.Bounds()
	r := vector.NewRasterizer(b.Dx(), b.Dy())
	x, y := c.pt(pts[0], pts[1])
	r.MoveTo(x, y)
	for i := 2; i+1 < len(pts); i += 2 {
		x, y := c.pt(pts[i], pts[i+1])
		r.LineTo(x, y)
	}
	r.ClosePath()
	r.Draw(c.img, b, image.NewUniform(col), image.Point{})
}

// ellipse fills an ellipse centred at (x, y) with radii rx, ry.
func (c *canvas) ellipse(col color.Color, x, y, rx, ry float32) {
	const n = 72
	pts := make([]float32, 0, 2*n)
	for i := range n {
		a := 2 * math.Pi * float64(i) / n
		pts = append(pts, x+rx*float32(math.Cos(a)), y+ry*float32(math.Sin(a)))
	}
	c.fill(col, pts...)
}

func (c *canvas) rect(col color.Color, x0, y0, x1, y1 float32) {
	c.fill(col, x0, y0, x1, y0, x1, y1, x0, y1)
}

// shade darkens (f < 1) or lightens (f > 1) a colour.
func shade(c color.RGBA, f float64) color.RGBA {
	ch := func(v uint8) uint8 {
		if f > 1 {
			return uint8(float64(v) + (255-float64(v))*(f-1))
		}
		return uint8(float64(v) * f)
	}
	return color.RGBA{ch(c.R), ch(c.G), ch(c.B), 0xff}
}

func (s spec) draw() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	col := s.colour()
	alt := strings.ToLower(s.alt)
	bg := rgb(0xf3f1ec)
	if lum(col) > 200 {
		bg = rgb(0xdcd8cf)
	}
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	side := float32(min(s.w, s.h))
	c := &canvas{img: img, unit: side / 2, cx: float32(s.w) / 2, cy: float32(s.h) / 2}
	switch {
	case s.kind == "Collection":
		s.banner(c, col)
		return img
	case strings.Contains(alt, "lifestyle"):
		// A table top and a wall, the product standing on it, smaller.
		c.rect(shade(bg, 0.93), -3, 0.55, 3, 3)
		c.rect(shade(bg, 0.85), -3, 0.52, 3, 0.56)
		c.unit *= 0.62
		c.cy += side * 0.07
	case strings.Contains(alt, "close-up"):
		s.texture(c, col)
		return img
	}
	// The product's soft shadow, then the product.
	c.ellipse(color.RGBA{0, 0, 0, 0x14}, 0.03, 0.82, 0.62, 0.07)
	s.product(c, col)
	return img
}

func lum(c color.RGBA) int { return (299*int(c.R) + 587*int(c.G) + 114*int(c.B)) / 1000 }

func (s spec) product(c *canvas, col color.RGBA) {
	dark, light := shade(col, 0.8), shade(col, 1.15)
	switch s.kind {
	case "T-Shirts":
		sleeve := float32(0.38)
		if strings.Contains(s.handle, "long-sleeve") {
			sleeve = 0.75
		}
		tee(c, col, dark, sleeve)
		neck(c, dark)
		if strings.Contains(s.handle, "pocket") {
			c.rect(dark, 0.12, -0.28, 0.32, -0.06)
		}
		if strings.Contains(s.handle, "graphic") || strings.Contains(s.handle, "collab") || strings.Contains(s.handle, "rainbow") {
			for i, band := range []uint32{0xe07a5f, 0xf2cc8f, 0x81b29a, 0x3d405b} {
				y := -0.2 + float32(i)*0.1
				c.rect(rgb(band), -0.28, y, 0.28, y+0.08)
			}
		}
	case "Hoodies", "Sweatshirts", "Sweaters", "Jackets":
		hooded := s.kind == "Hoodies" || s.kind == "Jackets"
		if hooded {
			c.ellipse(dark, 0, -0.72, 0.3, 0.2) // the hood, behind
		}
		tee(c, col, dark, 0.8)
		if hooded {
			c.ellipse(shade(col, 0.6), 0, -0.66, 0.16, 0.1)
			c.rect(dark, -0.3, 0.2, 0.3, 0.45) // the pouch
		} else {
			neck(c, dark)
		}
		if s.kind == "Sweaters" {
			for i := range 5 {
				x := -0.4 + float32(i)*0.2
				c.fill(light, x, -0.05, x+0.1, 0.08, x, 0.21, x-0.1, 0.08)
			}
		}
		if strings.Contains(s.handle, "zip") || s.kind == "Jackets" {
			c.rect(shade(col, 0.6), -0.015, -0.5, 0.015, 0.75)
		}
	case "Hats":
		switch {
		case strings.Contains(s.handle, "beanie"):
			c.ellipse(col, 0, 0.1, 0.55, 0.6)
			c.rect(bgOf(c), -0.7, 0.3, 0.7, 0.8)
			c.rect(dark, -0.58, 0.1, 0.58, 0.45)
			c.ellipse(light, 0, -0.55, 0.14, 0.12)
		case strings.Contains(s.handle, "bucket"):
			c.fill(col, -0.4, -0.35, 0.4, -0.35, 0.5, 0.25, -0.5, 0.25)
			c.ellipse(dark, 0, 0.3, 0.8, 0.14)
		default: // caps
			c.ellipse(col, 0, 0.2, 0.55, 0.55)
			c.rect(bgOf(c), -0.7, 0.2, 0.7, 0.9)
			c.fill(dark, 0.3, 0.12, 0.95, 0.2, 0.95, 0.3, 0.3, 0.3)
			if strings.Contains(s.handle, "trucker") {
				c.fill(light, -0.45, -0.05, -0.05, -0.25, -0.05, 0.2, -0.5, 0.2) // the mesh panel
			}
		}
	case "Socks":
		for i, dx := range []float32{-0.22, 0.22} {
			sc := col
			if i == 1 {
				sc = light
			}
			c.fill(sc, dx-0.17, -0.7, dx+0.17, -0.7, dx+0.17, 0.35, dx-0.05+0.45, 0.35, dx+0.4, 0.7, dx-0.17, 0.7)
			c.rect(dark, dx-0.17, -0.7, dx+0.17, -0.55)
			if strings.Contains(s.handle, "striped") {
				for y := float32(-0.45); y < 0.3; y += 0.2 {
					c.rect(rgb(0xf4f2ee), dx-0.17, y, dx+0.17, y+0.07)
				}
			}
		}
	case "Bags":
		switch {
		case strings.Contains(s.handle, "backpack"):
			c.fill(col, -0.45, -0.5, 0.45, -0.5, 0.5, 0.8, -0.5, 0.8)
			c.ellipse(col, 0, -0.5, 0.45, 0.22)
			c.rect(dark, -0.32, 0.2, 0.32, 0.65)
			c.rect(shade(col, 0.6), -0.45, -0.2, 0.45, -0.12)
		case strings.Contains(s.handle, "crossbody"):
			c.fill(dark, -0.62, -0.7, -0.55, -0.7, 0.62, 0.05, 0.55, 0.05)
			c.fill(col, -0.55, -0.05, 0.55, -0.05, 0.55, 0.55, -0.55, 0.55)
			c.fill(dark, -0.55, -0.05, 0.55, -0.05, 0.5, 0.25, -0.5, 0.25)
		default: // totes and string bags
			c.ellipse(dark, -0.22, -0.35, 0.14, 0.35)
			c.ellipse(bgOf(c), -0.22, -0.35, 0.09, 0.3)
			c.ellipse(dark, 0.22, -0.35, 0.14, 0.35)
			c.ellipse(bgOf(c), 0.22, -0.35, 0.09, 0.3)
			c.fill(col, -0.55, -0.15, 0.55, -0.15, 0.6, 0.8, -0.6, 0.8)
			if strings.Contains(s.handle, "string") {
				for x := float32(-0.5); x < 0.55; x += 0.15 {
					c.fill(bgOf(c), x, -0.1, x+0.06, -0.1, x+0.08, 0.75, x+0.02, 0.75)
				}
			}
		}
	case "Mugs", "Bottles", "Candles":
		w := float32(0.4)
		if s.kind == "Bottles" || strings.Contains(s.handle, "tumbler") {
			c.rect(col, -0.25, -0.55, 0.25, 0.78)
			c.rect(dark, -0.15, -0.8, 0.15, -0.55)
			c.rect(light, -0.2, -0.3, -0.12, 0.6)
			return
		}
		if s.kind == "Mugs" {
			c.ellipse(dark, w+0.05, 0.1, 0.25, 0.27)
			c.ellipse(bgOf(c), w+0.05, 0.1, 0.14, 0.16)
		}
		c.rect(col, -w, -0.4, w, 0.7)
		c.ellipse(col, 0, 0.7, w, 0.1)
		c.ellipse(dark, 0, -0.4, w, 0.1)
		if s.kind == "Candles" {
			c.rect(rgb(0xf4f2ee), -w+0.06, -0.1, w-0.06, 0.45)
			c.ellipse(rgb(0xf2b134), 0, -0.62, 0.07, 0.14)
			c.rect(rgb(0x333333), -0.01, -0.5, 0.01, -0.4)
		}
	case "Posters":
		c.rect(rgb(0x3a3a3a), -0.62, -0.88, 0.62, 0.88)
		c.rect(rgb(0xfaf6ef), -0.56, -0.82, 0.56, 0.82)
		switch {
		case strings.Contains(s.handle, "mountain"):
			c.rect(rgb(0xf6d9b3), -0.5, -0.76, 0.5, 0.3)
			c.ellipse(rgb(0xe9784c), 0.15, -0.15, 0.2, 0.2)
			c.fill(rgb(0x56677d), -0.5, 0.3, -0.15, -0.3, 0.15, 0.1, 0.3, -0.1, 0.5, 0.3)
			c.rect(rgb(0x3f4b5c), -0.5, 0.3, 0.5, 0.76)
		case strings.Contains(s.handle, "map"):
			for i := range 7 {
				v := -0.7 + float32(i)*0.22
				c.rect(rgb(0xd7c7a8), -0.5, v, 0.5, v+0.03)
				c.rect(rgb(0xd7c7a8), v*0.7, -0.76, v*0.7+0.03, 0.76)
			}
			c.ellipse(rgb(0x7fa7c4), 0.2, 0.3, 0.22, 0.14)
		default:
			for i, y := range []float32{-0.45, 0, 0.45} {
				leaf := []color.RGBA{rgb(0x6b8f5e), rgb(0x8aa67a), rgb(0x4d6b45)}[i]
				c.ellipse(leaf, -0.12, y, 0.2, 0.08)
				c.ellipse(leaf, 0.12, y-0.08, 0.2, 0.08)
				c.rect(rgb(0x4d6b45), -0.01, y-0.15, 0.01, y+0.15)
			}
		}
	case "Stickers":
		for i, p := range [][3]float32{{-0.35, -0.3, 0.3}, {0.3, -0.25, 0.25}, {-0.15, 0.35, 0.28}, {0.38, 0.35, 0.2}} {
			c.ellipse(rgb(0xffffff), p[0], p[1], p[2]+0.04, p[2]+0.04)
			c.ellipse(shade(palette[(i+int(col.R))%len(palette)], 1), p[0], p[1], p[2], p[2])
		}
		if strings.Contains(s.handle, "holographic") {
			c.ellipse(rgb(0xb8e0f0), 0, 0, 0.5, 0.5)
			c.ellipse(rgb(0xe8c0f0), 0.08, -0.08, 0.3, 0.3)
		}
	case "Gift Cards":
		c.fill(col, -0.75, -0.45, 0.75, -0.45, 0.75, 0.45, -0.75, 0.45)
		c.ellipse(light, 0.4, -0.1, 0.2, 0.2)
		c.rect(rgb(0xf4f2ee), -0.6, 0.15, -0.05, 0.22)
		c.rect(rgb(0xf4f2ee), -0.6, 0.28, -0.25, 0.33)
	case "Accessories":
		switch {
		case strings.Contains(s.handle, "bandana"):
			c.fill(col, -0.7, -0.45, 0.7, -0.45, 0, 0.6)
			for i := range 4 {
				x := -0.4 + float32(i)*0.26
				c.ellipse(rgb(0xf4f2ee), x, -0.3, 0.05, 0.05)
			}
		case strings.Contains(s.handle, "keychain"):
			c.ellipse(rgb(0xb0b0b0), 0, -0.45, 0.2, 0.2)
			c.ellipse(bgOf(c), 0, -0.45, 0.15, 0.15)
			c.fill(col, -0.15, -0.28, 0.15, -0.28, 0.2, 0.6, -0.2, 0.6)
		default: // pins
			for i, p := range [][2]float32{{-0.35, -0.3}, {0.3, -0.3}, {0, 0.3}} {
				c.ellipse(rgb(0xd4af37), p[0], p[1], 0.26, 0.26)
				c.ellipse(palette[i], p[0], p[1], 0.21, 0.21)
			}
		}
	case "Home Decor":
		if strings.Contains(s.handle, "planter") {
			c.fill(col, -0.45, -0.1, 0.45, -0.1, 0.32, 0.75, -0.32, 0.75)
			c.ellipse(rgb(0x5f8a4f), -0.15, -0.35, 0.15, 0.3)
			c.ellipse(rgb(0x7aa865), 0.15, -0.4, 0.15, 0.32)
			return
		}
		c.fill(col, -0.6, -0.55, 0.6, -0.55, 0.65, 0.6, -0.65, 0.6)
		c.rect(dark, -0.6, 0.0, 0.6, 0.04)
	default: // blankets and towels, folded
		for i := range 3 {
			y := 0.5 - float32(i)*0.32
			c.rect(shade(col, 1-0.07*float64(i)), -0.6, y-0.28, 0.6, y)
			c.rect(dark, -0.6, y-0.06, 0.6, y-0.03)
		}
	}
}

// bgOf is the background colour at the canvas's corner, to cut holes with.
func bgOf(c *canvas) color.RGBA { return c.img.RGBAAt(0, 0) }

// tee draws a shirt's body and sleeves.
func tee(c *canvas, col, dark color.RGBA, sleeve float32) {
	c.fill(col,
		-0.22, -0.7, 0.22, -0.7, // collar
		0.5, -0.6, 0.5+sleeve*0.55, -0.6+sleeve*0.7, 0.5+sleeve*0.55-0.2, -0.6+sleeve*0.7+0.14, 0.45, -0.3, // right sleeve
		0.45, 0.78, -0.45, 0.78, // hem
		-0.45, -0.3, -0.5-sleeve*0.55+0.2, -0.6+sleeve*0.7+0.14, -0.5-sleeve*0.55, -0.6+sleeve*0.7, -0.5, -0.6)
}

// neck cuts a crew neck into a shirt's collar, with its rib.
func neck(c *canvas, dark color.RGBA) {
	c.ellipse(dark, 0, -0.71, 0.22, 0.13)
	c.ellipse(bgOf(c), 0, -0.74, 0.18, 0.1)
}

// texture is a close-up: a knit of the product's colour.
func (s spec) texture(c *canvas, col color.RGBA) {
	draw.Draw(c.img, c.img.Bounds(), image.NewUniform(col), image.Point{}, draw.Src)
	for y := float32(-1); y < 1; y += 0.16 {
		for x := float32(-1); x < 1; x += 0.12 {
			c.fill(shade(col, 0.85), x, y, x+0.06, y+0.08, x+0.12, y, x+0.06, y+0.04)
		}
	}
}

// banner is a collection's picture: stripes of colour and a band.
func (s spec) banner(c *canvas, col color.RGBA) {
	aspect := float32(c.img.Bounds().Dx()) / float32(c.img.Bounds().Dy())
	for i := range 7 { // slanted, so one more than fits across
		x := -aspect + float32(i)*aspect/3
		c.fill(shade(palette[(i+int(col.G))%len(palette)], 1.2), x, -1, x+aspect/3, -1, x+aspect/3-0.4, 1, x-0.4, 1)
	}
	c.rect(color.RGBA{0xd8, 0xd8, 0xd8, 0xd8}, -aspect, -0.25, aspect, 0.25) // premultiplied: a veil of white
	c.rect(col, -aspect*0.6, -0.06, aspect*0.6, 0.06)
}
