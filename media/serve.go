package media

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
)

// svgPolicy lets an SVG draw itself and nothing more: no scripts, no requests, no forms, even when a
// browser opens its URL directly as a document.
const svgPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"

// Handler serves GET and HEAD of /media/{key} (with a transform in the query) and receives staged
// uploads by PUT or POST to /media/uploads/{token}. Mount it at Prefix.
func (l *Library) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT "+UploadsPath+"{token}", l.servePut)
	mux.HandleFunc("POST "+UploadsPath+"{token}", l.servePost)
	mux.HandleFunc("GET "+Prefix+"{key...}", l.serveObject)
	return mux
}

func (l *Library) serveObject(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if CheckKey(key) != nil || strings.HasPrefix(key, "uploads/") {
		http.NotFound(w, r)
		return
	}
	t, err := ParseTransform(r.URL.Query())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !t.IsZero() {
		if strings.HasPrefix(key, "t/") {
			http.Error(w, "a transformed image cannot be transformed again", http.StatusBadRequest)
			return
		}
		if key, err = l.derive(r.Context(), key, t); err != nil {
			l.objectError(w, r, err)
			return
		}
	}
	obj, info, err := l.store.Get(r.Context(), key)
	if err != nil {
		l.objectError(w, r, err)
		return
	}
	defer obj.Close()
	h := w.Header()
	h.Set("Content-Type", cmpType(info.ContentType, key))
	h.Set("X-Content-Type-Options", "nosniff")
	if FormatOfKey(key) == SVG {
		h.Set("Content-Security-Policy", svgPolicy)
	}
	// Originals are named by their content's hash and transforms by their original and parameters, so
	// a URL's bytes never change. The demo pictures may change with a release: they get a day.
	if strings.HasPrefix(key, "o/") || strings.HasPrefix(key, "t/o/") {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", `"`+etagOf(key)+`"`)
	} else {
		h.Set("Cache-Control", "public, max-age=86400")
		if etag, err := l.contentETag(obj); err == nil {
			h.Set("ETag", `"`+etag+`"`)
		}
	}
	// ServeContent answers If-None-Match and Range from the headers set above.
	http.ServeContent(w, r, "", info.ModTime, obj)
}

func (l *Library) objectError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		http.NotFound(w, r)
	case errors.Is(err, ErrTooManyTransforms):
		http.Error(w, err.Error(), http.StatusTooManyRequests)
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrTooLarge):
		http.Error(w, "this image cannot be transformed", http.StatusUnprocessableEntity)
	default:
		l.log.ErrorContext(r.Context(), "serve media", "path", r.URL.Path, "err", err)
		http.Error(w, "media storage is unavailable", http.StatusServiceUnavailable)
	}
}

// etagOf makes an entity tag of a content-derived key.
func etagOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// contentETag hashes a small object's bytes and rewinds it.
func (l *Library) contentETag(obj Object) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(obj, MaxBytes)); err != nil {
		return "", err
	}
	if _, err := obj.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func cmpType(ct, key string) string {
	if f := FormatOfKey(key); f != "" {
		return string(f) // the key's extension was set from the sniffed content
	}
	if ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// uploadTime is how long an upload's body may take to arrive, beyond the server's read timeout.
const uploadTime = 2 * time.Minute

func (l *Library) servePut(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTime))
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBytes))
	if err != nil {
		uploadError(w, ErrTooLarge)
		return
	}
	l.receive(w, r, data, http.StatusOK)
}

// servePost reads the "file" field of a multipart form, as an HTML form or an S3-style POST sends it.
func (l *Library) servePost(w http.ResponseWriter, r *http.Request) {
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTime))
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		http.Error(w, "POST a multipart/form-data form with a file field", http.StatusBadRequest)
		return
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, MaxBytes+1<<20), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err != nil {
			http.Error(w, "the form has no file field", http.StatusBadRequest)
			return
		}
		if part.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, MaxBytes+1))
		if err != nil || len(data) > MaxBytes {
			uploadError(w, ErrTooLarge)
			return
		}
		l.receive(w, r, data, http.StatusCreated)
		return
	}
}

func (l *Library) receive(w http.ResponseWriter, r *http.Request, data []byte, status int) {
	if _, err := l.Receive(r.Context(), r.PathValue("token"), data); err != nil {
		if !uploadError(w, err) {
			l.log.ErrorContext(r.Context(), "receive upload", "err", err)
			http.Error(w, "the upload could not be stored", http.StatusServiceUnavailable)
		}
		return
	}
	w.WriteHeader(status)
}

// uploadError answers a refused upload; it reports false for an error that is not the client's.
func uploadError(w http.ResponseWriter, err error) bool {
	status := http.StatusUnprocessableEntity
	switch {
	case errors.Is(err, ErrUploadGone):
		status = http.StatusNotFound
	case errors.Is(err, ErrTooLarge):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrUnsupported):
		status = http.StatusUnsupportedMediaType
	case errors.Is(err, ErrCorrupt), errors.Is(err, ErrTooManyPx):
	default:
		return false
	}
	http.Error(w, err.Error(), status)
	return true
}
