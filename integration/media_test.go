package integration

import (
	"bytes"
	goimage "image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	_ "golang.org/x/image/webp" // image.Decode of WebP answers

	"github.com/emporium/emporium/ent/mediaobject"
	"github.com/emporium/emporium/service"
)

func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := goimage.NewNRGBA(goimage.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.NRGBA{uint8(x * 7), uint8(y * 3), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, goimage.NewRGBA(goimage.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fetched is a GET of a media URL.
type fetched struct {
	status int
	header http.Header
	body   []byte
}

func fetch(t testing.TB, url string, header http.Header) fetched {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fetched{resp.StatusCode, resp.Header, body}
}

// picture fetches a media URL and decodes it, failing unless it is served as wantType.
func picture(t testing.TB, url, wantType string) goimage.Config {
	t.Helper()
	f := fetch(t, url, nil)
	if f.status != http.StatusOK || f.header.Get("Content-Type") != wantType {
		t.Fatalf("GET %s: %d %s, want 200 %s", url, f.status, f.header.Get("Content-Type"), wantType)
	}
	cfg, format, err := goimage.DecodeConfig(bytes.NewReader(f.body))
	if err != nil || "image/"+format != wantType {
		t.Fatalf("GET %s: decodes as %q, %v; want %s", url, format, err, wantType)
	}
	return cfg
}

func upload(t testing.TB, method, url string, data []byte) int {
	t.Helper()
	var body io.Reader = bytes.NewReader(data)
	contentType := "application/octet-stream"
	if method == http.MethodPost {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("key", "ignored")
		fw, _ := mw.CreateFormFile("file", "picture.png")
		_, _ = fw.Write(data)
		_ = mw.Close()
		body, contentType = &b, mw.FormDataContentType()
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

const stagedUploadsMutation = `mutation($in: [StagedUploadInput!]!) { stagedUploadsCreate(input: $in) {
	stagedTargets { url resourceUrl parameters { name value } } userErrors { field message code } } }`

type stagedResult struct {
	StagedUploadsCreate struct {
		StagedTargets []struct {
			URL, ResourceURL string
			Parameters       []struct{ Name, Value string }
		}
		UserErrors []userError
	}
}

const createMediaMutation = `mutation($id: ID!, $m: [CreateMediaInput!]!) { productCreateMedia(productId: $id, media: $m) {
	product { images(first: 50) { nodes { id url altText width height } } } userErrors { field message code } } }`

type createMediaResult struct {
	ProductCreateMedia struct {
		Product *struct {
			Images struct {
				Nodes []struct {
					ID, URL       string
					AltText       *string
					Width, Height *int
				}
			}
		}
		UserErrors []userError
	}
}

func stage(t *testing.T, s *server, as http.Header, method, mime string) (url, resource string) {
	t.Helper()
	var out stagedResult
	s.queryAs(t, as, stagedUploadsMutation, map[string]any{"in": []any{map[string]any{
		"resource": "IMAGE", "filename": "picture", "mimeType": mime, "httpMethod": method}}}, &out)
	if len(out.StagedUploadsCreate.UserErrors) > 0 || len(out.StagedUploadsCreate.StagedTargets) != 1 {
		t.Fatalf("stagedUploadsCreate: %+v", out.StagedUploadsCreate)
	}
	target := out.StagedUploadsCreate.StagedTargets[0]
	if !strings.HasPrefix(target.URL, s.http.URL+"/media/uploads/") {
		t.Fatalf("target URL %q is not under the public URL %s", target.URL, s.http.URL)
	}
	return target.URL, target.ResourceURL
}

func TestMediaUploadsTransformsAndDeletion(t *testing.T) {
	// The fetch test below serves pictures from this machine, which the SSRF guard refuses unless allowed.
	allow := func(o *service.Options) {
		withOwner(nil)(o)
		o.MediaFetchAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	eachFreshDB(t, allow, func(t *testing.T, s *server) {
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))
		var p struct{ Product struct{ ID string } }
		s.query(t, `{ product(handle: "canvas-tote-bag") { id } }`, nil, &p)
		productID := p.Product.ID
		addMedia := func(t *testing.T, sources ...string) createMediaResult {
			t.Helper()
			m := make([]any, len(sources))
			for i, src := range sources {
				m[i] = map[string]any{"originalSource": src, "alt": "upload " + src[len(src)-6:]}
			}
			var out createMediaResult
			s.queryAs(t, as, createMediaMutation, map[string]any{"id": productID, "m": m}, &out)
			return out
		}
		original := testPNG(t, 400, 300)
		var storedURL, imageID string

		t.Run("staged upload by PUT", func(t *testing.T) {
			url, resource := stage(t, s, as, "PUT", "image/png")
			if st := upload(t, http.MethodPut, url, original); st != http.StatusOK {
				t.Fatalf("PUT: %d", st)
			}
			if st := upload(t, http.MethodPut, url, testPNG(t, 10, 10)); st != http.StatusNotFound {
				t.Errorf("second PUT to a used target: %d, want 404", st)
			}
			out := addMedia(t, resource)
			if len(out.ProductCreateMedia.UserErrors) > 0 || out.ProductCreateMedia.Product == nil {
				t.Fatalf("productCreateMedia: %+v", out.ProductCreateMedia)
			}
			imgs := out.ProductCreateMedia.Product.Images.Nodes
			last := imgs[len(imgs)-1]
			if last.Width == nil || *last.Width != 400 || *last.Height != 300 || !strings.HasPrefix(last.URL, s.http.URL+"/media/o/") {
				t.Fatalf("new image %+v, want a 400x300 picture under %s/media/o/", last, s.http.URL)
			}
			storedURL, imageID = last.URL, last.ID
			if again := addMedia(t, resource); len(again.ProductCreateMedia.UserErrors) == 0 {
				t.Errorf("a staged upload's resource URL was used twice")
			}
			f := fetch(t, storedURL, nil)
			if f.status != 200 || !bytes.Equal(f.body, original) || f.header.Get("Content-Type") != "image/png" ||
				!strings.Contains(f.header.Get("Cache-Control"), "immutable") || f.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Fatalf("GET original: %d %v (%d bytes)", f.status, f.header, len(f.body))
			}
			etag := f.header.Get("ETag")
			if nm := fetch(t, storedURL, http.Header{"If-None-Match": {etag}}); etag == "" || nm.status != http.StatusNotModified {
				t.Errorf("If-None-Match %s: %d, want 304", etag, nm.status)
			}
			r := fetch(t, storedURL, http.Header{"Range": {"bytes=8-15"}})
			if r.status != http.StatusPartialContent || !bytes.Equal(r.body, original[8:16]) {
				t.Errorf("Range: %d %q, want 206 and bytes 8-15", r.status, r.body)
			}
		})

		t.Run("transforms are made once and served resized", func(t *testing.T) {
			var out struct {
				Node struct {
					Images struct {
						Nodes []struct{ Fit, Square, Retina, Plain string }
					}
				}
			}
			s.query(t, `query($id: ID!) { node(id: $id) { ... on Product { images(first: 50) { nodes {
				fit: url(transform: {maxWidth: 100})
				square: url(transform: {maxWidth: 120, maxHeight: 120, crop: CENTER, preferredContentType: JPG})
				retina: url(transform: {maxWidth: 150, scale: 2, preferredContentType: WEBP})
				plain: url } } } } }`, map[string]any{"id": productID}, &out)
			imgs := out.Node.Images.Nodes
			last := imgs[len(imgs)-1]
			if last.Plain != storedURL {
				t.Fatalf("plain url %q, want %q", last.Plain, storedURL)
			}
			if cfg := picture(t, last.Fit, "image/png"); cfg.Width != 100 || cfg.Height != 75 {
				t.Errorf("fit: %dx%d, want 100x75", cfg.Width, cfg.Height)
			}
			if cfg := picture(t, last.Square, "image/jpeg"); cfg.Width != 120 || cfg.Height != 120 {
				t.Errorf("square: %dx%d, want 120x120", cfg.Width, cfg.Height)
			}
			if cfg := picture(t, last.Retina, "image/png"); cfg.Width != 300 || cfg.Height != 225 {
				t.Errorf("retina: %dx%d, want 300x225", cfg.Width, cfg.Height)
			}
			again := fetch(t, last.Fit, nil)
			first := fetch(t, last.Fit, nil)
			if !bytes.Equal(again.body, first.body) || again.header.Get("ETag") == "" {
				t.Errorf("a transform served twice differs")
			}
			n, err := s.svc.DB.Client.MediaObject.Query().Count(t.Context())
			if err != nil || n != 3 {
				t.Errorf("stored transforms: %d, %v; want 3", n, err)
			}
			for _, bad := range []string{"?width=0", "?width=9000", "?scale=9&width=10", "?crop=middle&width=1&height=1", "?format=gif", "?colour=red"} {
				if f := fetch(t, storedURL+bad, nil); f.status != http.StatusBadRequest {
					t.Errorf("GET %s: %d, want 400", bad, f.status)
				}
			}
		})

		t.Run("staged upload by POST, and a file", func(t *testing.T) {
			url, resource := stage(t, s, as, "POST", "image/jpeg")
			if st := upload(t, http.MethodPost, url, testJPEG(t, 64, 48)); st != http.StatusCreated {
				t.Fatalf("POST: %d", st)
			}
			var out struct {
				FileCreate struct {
					Files []struct {
						ID, MimeType, FileStatus string
						Image                    struct {
							URL           string
							Width, Height int
						}
					}
					UserErrors []userError
				}
			}
			s.queryAs(t, as, `mutation($f: [FileCreateInput!]!) { fileCreate(files: $f) {
				files { id mimeType fileStatus image { url width height } } userErrors { field message } } }`,
				map[string]any{"f": []any{map[string]any{"originalSource": resource, "alt": "A file"}}}, &out)
			if len(out.FileCreate.Files) != 1 || out.FileCreate.Files[0].MimeType != "image/jpeg" || out.FileCreate.Files[0].Image.Width != 64 {
				t.Fatalf("fileCreate: %+v", out.FileCreate)
			}
			if cfg := picture(t, out.FileCreate.Files[0].Image.URL, "image/jpeg"); cfg.Width != 64 || cfg.Height != 48 {
				t.Errorf("file: %dx%d", cfg.Width, cfg.Height)
			}
		})

		t.Run("from a URL, through the SSRF guard", func(t *testing.T) {
			pic := testJPEG(t, 50, 40)
			origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/photo":
					_, _ = w.Write(pic)
				case "/metadata":
					http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam", http.StatusFound)
				case "/page":
					_, _ = w.Write([]byte("<html><body>not a picture</body></html>"))
				}
			}))
			defer origin.Close()
			out := addMedia(t, origin.URL+"/photo")
			imgs := out.ProductCreateMedia.Product.Images.Nodes
			if last := imgs[len(imgs)-1]; *last.Width != 50 || !strings.HasPrefix(last.URL, s.http.URL+"/media/o/") {
				t.Fatalf("fetched image %+v", last)
			}
			before := len(imgs)
			for _, src := range []string{origin.URL + "/metadata", origin.URL + "/page", "http://10.0.0.1/x.jpg", "http://[::1]/x.jpg", "file:///etc/passwd"} {
				out := addMedia(t, src)
				if len(out.ProductCreateMedia.UserErrors) == 0 {
					t.Errorf("%s: accepted", src)
				}
			}
			var count struct {
				Node struct {
					Images struct{ Nodes []struct{ ID string } }
				}
			}
			s.query(t, `query($id: ID!) { node(id: $id) { ... on Product { images(first: 50) { nodes { id } } } } }`, map[string]any{"id": productID}, &count)
			if len(count.Node.Images.Nodes) != before {
				t.Errorf("refused sources added images: %d, want %d", len(count.Node.Images.Nodes), before)
			}
		})

		t.Run("bad files are refused", func(t *testing.T) {
			whole := testPNG(t, 40, 40)
			bomb := testPNG(t, 1, 1)
			copy(bomb[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0}) // 100,000 × 100,000, CRC now wrong
			for name, c := range map[string]struct {
				data []byte
				want int
			}{
				"text":          {[]byte("just some text"), http.StatusUnsupportedMediaType},
				"html":          {[]byte("<!doctype html><script>alert(1)</script>"), http.StatusUnsupportedMediaType},
				"truncated png": {whole[:len(whole)/2], http.StatusUnprocessableEntity},
				"pixel bomb":    {bomb, http.StatusUnprocessableEntity},
			} {
				url, resource := stage(t, s, as, "PUT", "image/png")
				if out := addMedia(t, resource); len(out.ProductCreateMedia.UserErrors) == 0 {
					t.Errorf("%s: a target with nothing uploaded yet was attached", name)
				}
				if st := upload(t, http.MethodPut, url, c.data); st != c.want {
					t.Errorf("%s: PUT %d, want %d", name, st, c.want)
				}
				if out := addMedia(t, resource); len(out.ProductCreateMedia.UserErrors) == 0 {
					t.Errorf("%s: a refused upload was attached", name)
				}
			}
			if st := upload(t, http.MethodPut, s.http.URL+"/media/uploads/forged-token", testPNG(t, 2, 2)); st != http.StatusNotFound {
				t.Errorf("PUT to a forged target: %d, want 404", st)
			}
			var out stagedResult
			s.queryAs(t, as, stagedUploadsMutation, map[string]any{"in": []any{
				map[string]any{"resource": "IMAGE", "filename": "a.pdf", "mimeType": "application/pdf"},
				map[string]any{"resource": "IMAGE", "filename": "big.png", "mimeType": "image/png", "fileSize": "999999999"},
			}}, &out)
			if len(out.StagedUploadsCreate.UserErrors) != 2 || out.StagedUploadsCreate.StagedTargets != nil {
				t.Errorf("bad staged inputs: %+v", out.StagedUploadsCreate)
			}
			if r := s.post(t, stagedUploadsMutation, map[string]any{"in": []any{map[string]any{"resource": "IMAGE", "filename": "x", "mimeType": "image/png"}}}); len(r.Errors) == 0 {
				t.Errorf("an anonymous caller staged an upload")
			}
		})

		t.Run("SVG is served under a restrictive policy", func(t *testing.T) {
			svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40"><script>alert(document.cookie)</script><rect width="80" height="40"/></svg>`)
			url, resource := stage(t, s, as, "PUT", "image/svg+xml")
			if st := upload(t, http.MethodPut, url, svg); st != http.StatusOK {
				t.Fatalf("PUT svg: %d", st)
			}
			out := addMedia(t, resource)
			imgs := out.ProductCreateMedia.Product.Images.Nodes
			f := fetch(t, imgs[len(imgs)-1].URL+"?width=20", nil)
			csp := f.header.Get("Content-Security-Policy")
			if f.status != 200 || f.header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "sandbox") {
				t.Errorf("GET svg: %d %s, CSP %q", f.status, f.header.Get("Content-Type"), csp)
			}
		})

		t.Run("deleting media deletes what nothing shows", func(t *testing.T) {
			// Another product shows the same stored picture, given by its URL.
			var other struct{ Product struct{ ID string } }
			s.query(t, `{ product(handle: "bucket-hat") { id } }`, nil, &other)
			var shared createMediaResult
			s.queryAs(t, as, createMediaMutation, map[string]any{"id": other.Product.ID, "m": []any{map[string]any{"originalSource": storedURL}}}, &shared)
			if len(shared.ProductCreateMedia.UserErrors) > 0 {
				t.Fatalf("reuse a stored picture: %+v", shared.ProductCreateMedia.UserErrors)
			}
			const deleteMedia = `mutation($p: ID!, $m: [ID!]!) { productDeleteMedia(productId: $p, mediaIds: $m) { deletedMediaIds userErrors { field message } } }`
			var del struct {
				ProductDeleteMedia struct {
					DeletedMediaIds []string
					UserErrors      []userError
				}
			}
			s.queryAs(t, as, deleteMedia, map[string]any{"p": productID, "m": []string{imageID}}, &del)
			if len(del.ProductDeleteMedia.DeletedMediaIds) != 1 {
				t.Fatalf("productDeleteMedia: %+v", del.ProductDeleteMedia)
			}
			if f := fetch(t, storedURL, nil); f.status != 200 {
				t.Fatalf("a picture another product shows was deleted: %d", f.status)
			}
			imgs := shared.ProductCreateMedia.Product.Images.Nodes
			s.queryAs(t, as, deleteMedia, map[string]any{"p": other.Product.ID, "m": []string{imgs[len(imgs)-1].ID}}, &del)
			if f := fetch(t, storedURL, nil); f.status != http.StatusNotFound {
				t.Errorf("GET after the last image went: %d, want 404", f.status)
			}
			key := strings.TrimPrefix(storedURL, s.http.URL+"/media/")
			n, err := s.svc.DB.Client.MediaObject.Query().Where(mediaobject.SourceKey(key)).Count(t.Context())
			if err != nil || n != 0 {
				t.Errorf("transforms left: %d, %v", n, err)
			}
			s.queryAs(t, as, deleteMedia, map[string]any{"p": productID, "m": []string{imageID}}, &del)
			if len(del.ProductDeleteMedia.UserErrors) == 0 {
				t.Errorf("deleting a deleted image: no userErrors")
			}
		})
	})
}

func TestDemoImagesAreServed(t *testing.T) {
	eachDB(t, func(t *testing.T, s *server) {
		var out struct {
			Product struct {
				Images struct {
					Nodes []struct {
						URL, Thumb    string
						Width, Height int
					}
				}
			}
		}
		s.query(t, `{ product(handle: "organic-cotton-tee") { images(first: 10) { nodes { url thumb: url(transform: {maxWidth: 150}) width height } } } }`, nil, &out)
		if len(out.Product.Images.Nodes) == 0 {
			t.Fatal("no images")
		}
		for _, img := range out.Product.Images.Nodes {
			if !strings.HasPrefix(img.URL, s.http.URL+"/media/demo/") {
				t.Fatalf("demo image URL %q is not served by this server", img.URL)
			}
			if cfg := picture(t, img.URL, "image/png"); cfg.Width != img.Width || cfg.Height != img.Height {
				t.Errorf("%s: %dx%d, declared %dx%d", img.URL, cfg.Width, cfg.Height, img.Width, img.Height)
			}
			if cfg := picture(t, img.Thumb, "image/png"); cfg.Width != 150 {
				t.Errorf("%s: %d wide, want 150", img.Thumb, cfg.Width)
			}
		}
		if f := fetch(t, s.http.URL+"/media/demo/no-such-picture.png", nil); f.status != http.StatusNotFound {
			t.Errorf("missing demo picture: %d", f.status)
		}
		for _, path := range []string{"/media/../server.go", "/media/demo/../../go.mod", "/media/%2e%2e/go.mod", "/media/uploads/x"} {
			if f := fetch(t, s.http.URL+path, nil); f.status == http.StatusOK {
				t.Errorf("GET %s: 200", path)
			}
		}
	})
}
