// Package demoimages holds the demo shop's pictures, drawn by ./gen for the project and embedded in the
// binary, so that a fresh `go run .` shows a complete shop with pictures and needs no network. The demo
// catalog (testdata/demo-shop.json) names them by their path under /media/demo/.
package demoimages

import (
	"embed"
	"io/fs"
)

//go:generate go run ./gen -catalog ../testdata/demo-shop.json -out files

// Prefix is the path under which the demo catalog's image URLs name these files.
const Prefix = "/media/demo/"

//go:embed files/*.png
var files embed.FS

// FS holds the pictures by file name (e.g. "organic-cotton-tee-1.png"): PNG files whose size is the
// width and height the demo catalog declares for them.
func FS() fs.FS {
	sub, err := fs.Sub(files, "files")
	if err != nil {
		panic(err) // "files" is a literal directory of the embed above
	}
	return sub
}
