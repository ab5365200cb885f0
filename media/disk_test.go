package media_test

import (
	"testing"

	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/media/storagetest"
)

func TestDisk(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) media.Storage {
		d, err := media.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}
