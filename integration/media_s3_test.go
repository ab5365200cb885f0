package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/emporium/emporium/internal/s3test"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/media/s3store"
	"github.com/emporium/emporium/service"
)

// weed is a SeaweedFS server shared by this binary's tests, started by the first that asks.
var weed s3test.Lazy

// TestMediaInS3 runs uploads and transforms with the pictures in a real S3-compatible bucket.
func TestMediaInS3(t *testing.T) {
	srv := weed.Server(t)
	cfg := s3store.Config{Endpoint: srv.Endpoint(), Bucket: "emporium-it", Region: s3test.Region,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Insecure: true}
	if err := s3store.EnsureBucket(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	eachFreshDB(t, func(o *service.Options) {
		withOwner(nil)(o)
		// A prefix of each server's own, so that neither finds the other's pictures.
		var prefix [6]byte
		_, _ = rand.Read(prefix[:])
		c := cfg
		c.Prefix = "it-" + hex.EncodeToString(prefix[:])
		o.MediaS3 = &c
	}, func(t *testing.T, s *server) {
		bucket, ok := s.svc.Media.Storage().(*media.Overlay).Base.(*s3store.Store)
		if !ok {
			t.Fatalf("the service keeps its media in %T, not the bucket", s.svc.Media.Storage().(*media.Overlay).Base)
		}
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		var p struct{ Product struct{ ID string } }
		s.query(t, `{ product(handle: "canvas-tote-bag") { id } }`, nil, &p)
		url, resource := stage(t, s, as, "PUT", "image/png")
		original := testPNG(t, 320, 240)
		if st := upload(t, http.MethodPut, url, original); st != http.StatusOK {
			t.Fatalf("PUT: %d", st)
		}
		var out createMediaResult
		s.queryAs(t, as, createMediaMutation, map[string]any{"id": p.Product.ID, "m": []any{map[string]any{"originalSource": resource}}}, &out)
		if len(out.ProductCreateMedia.UserErrors) > 0 {
			t.Fatalf("productCreateMedia: %+v", out.ProductCreateMedia.UserErrors)
		}
		imgs := out.ProductCreateMedia.Product.Images.Nodes
		stored := imgs[len(imgs)-1].URL
		key := strings.TrimPrefix(stored, s.http.URL+"/media/")
		if info, err := bucket.Stat(t.Context(), key); err != nil || info.Size != int64(len(original)) {
			t.Fatalf("the bucket holds %s: %+v, %v", key, info, err)
		}
		if f := fetch(t, stored, http.Header{"Range": {"bytes=0-7"}}); f.status != http.StatusPartialContent || string(f.body) != string(original[:8]) {
			t.Errorf("Range from the bucket: %d %q", f.status, f.body)
		}
		if cfg := picture(t, stored+"?width=80", "image/png"); cfg.Width != 80 || cfg.Height != 60 {
			t.Errorf("transform: %dx%d, want 80x60", cfg.Width, cfg.Height)
		}
		if _, err := bucket.Stat(t.Context(), "t/"+strings.TrimSuffix(key, ".png")+"/80x0-fit-1-v1.png"); err != nil {
			t.Errorf("the transform is not in the bucket: %v", err)
		}
		var demo struct {
			Product struct{ FeaturedImage struct{ URL string } }
		}
		s.query(t, `{ product(handle: "bucket-hat") { featuredImage { url(transform: {maxWidth: 64}) } } }`, nil, &demo)
		if cfg := picture(t, demo.Product.FeaturedImage.URL, "image/png"); cfg.Width != 64 {
			t.Errorf("demo transform: %d wide", cfg.Width)
		}
	})
}
