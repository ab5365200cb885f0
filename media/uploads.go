package media

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/stagedupload"
	"github.com/emporium/emporium/validation"
)

// StagedTTL is how long a staged upload target accepts its file, and how long its resource URL may
// then be given to productCreateMedia or fileCreate.
const StagedTTL = 24 * time.Hour

// MaxStagedPerCall bounds the targets one stagedUploadsCreate makes.
const MaxStagedPerCall = 50

// UploadsPath is where staged uploads are sent; the token follows.
const UploadsPath = Prefix + "uploads/"

// StagedInput asks for one upload target.
type StagedInput struct {
	Filename, MimeType string
	// HTTPMethod is PUT (the body is the file) or POST (a multipart form with a "file" field).
	HTTPMethod string
	// FileSize, when known, bounds what the target accepts (MaxBytes at most).
	FileSize *int64
}

// StagedTarget is where and how to upload one file, and the URL that names it afterwards.
type StagedTarget struct {
	URL, ResourceURL string
	Parameters       []Parameter
}

// Parameter is a name and value the upload carries: form fields for POST, headers for PUT.
type Parameter struct{ Name, Value string }

var acceptedTypes = map[string]bool{
	string(JPEG): true, string(PNG): true, string(GIF): true, string(WebP): true, string(SVG): true,
}

// CreateStaged makes upload targets. Each is a capability URL holding a random token, of which only a
// hash is stored; the first upload to it claims it.
func (l *Library) CreateStaged(ctx context.Context, staffID *int, in []StagedInput) ([]StagedTarget, validation.Errors, error) {
	var errs validation.Errors
	if len(in) == 0 {
		errs.Add("input", validation.Blank, "Give at least one upload")
	}
	if len(in) > MaxStagedPerCall {
		errs.Add("input", validation.TooLong, fmt.Sprintf("At most %d uploads at once", MaxStagedPerCall))
	}
	for i, s := range in {
		field := fmt.Sprintf("input.%d", i)
		if s.HTTPMethod != "PUT" && s.HTTPMethod != "POST" {
			errs.Add(field+".httpMethod", validation.Invalid, "httpMethod must be PUT or POST")
		}
		if !acceptedTypes[strings.ToLower(s.MimeType)] {
			errs.Add(field+".mimeType", validation.Invalid, "Only JPEG, PNG, GIF, WebP and SVG images are accepted")
		}
		if s.FileSize != nil && (*s.FileSize <= 0 || *s.FileSize > MaxBytes) {
			errs.Add(field+".fileSize", validation.Invalid, fmt.Sprintf("fileSize must be between 1 byte and %d MiB", MaxBytes>>20))
		}
		in[i].Filename = errs.Text(field+".filename", s.Filename, 255)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	expires := l.now().Add(StagedTTL).UTC()
	targets := make([]StagedTarget, len(in))
	tokens := make([]string, len(in))
	for i := range in {
		tokens[i] = newToken()
	}
	err := l.client.StagedUpload.MapCreateBulk(in, func(c *ent.StagedUploadCreate, i int) {
		size := int64(MaxBytes)
		if in[i].FileSize != nil {
			size = *in[i].FileSize
		}
		c.SetTokenHash(hashToken(tokens[i])).SetFilename(in[i].Filename).SetMimeType(strings.ToLower(in[i].MimeType)).
			SetMaxBytes(size).SetNillableStaffID(staffID).SetExpiresAt(expires)
	}).Exec(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("media: create staged uploads: %w", err)
	}
	for i, s := range in {
		u := l.public + UploadsPath + tokens[i]
		targets[i] = StagedTarget{URL: u, ResourceURL: u}
		if s.HTTPMethod == "PUT" {
			targets[i].Parameters = []Parameter{{Name: "content_type", Value: strings.ToLower(s.MimeType)}}
		} else {
			targets[i].Parameters = []Parameter{}
		}
	}
	return targets, nil, nil
}

// ErrUploadGone is an upload to a target that does not exist, has expired or was used already.
var ErrUploadGone = errors.New("this upload target does not exist, has expired or has been used")

// Receive stores the file uploaded to the target of token. The target is claimed before the file is
// stored, so two concurrent uploads cannot both succeed; a storage failure gives it back.
func (l *Library) Receive(ctx context.Context, token string, data []byte) (Stored, error) {
	hash := hashToken(token)
	t, err := l.client.StagedUpload.Query().Where(stagedupload.TokenHash(hash)).Only(ctx)
	if ent.IsNotFound(err) {
		return Stored{}, ErrUploadGone
	}
	if err != nil {
		return Stored{}, fmt.Errorf("media: find upload target: %w", err)
	}
	if t.Status != "pending" || !l.now().Before(t.ExpiresAt) {
		return Stored{}, ErrUploadGone
	}
	if int64(len(data)) > t.MaxBytes {
		return Stored{}, fmt.Errorf("%w: the file is larger than the fileSize given", ErrTooLarge)
	}
	// Refuse a bad file before claiming, so that the target can still take a good one.
	if _, err := Inspect(data); err != nil {
		return Stored{}, err
	}
	n, err := l.client.StagedUpload.Update().
		Where(stagedupload.ID(t.ID), stagedupload.Status("pending")).SetStatus("receiving").Save(ctx)
	if err != nil {
		return Stored{}, fmt.Errorf("media: claim upload target: %w", err)
	}
	if n == 0 {
		return Stored{}, ErrUploadGone
	}
	s, err := l.Store(ctx, data)
	if err != nil {
		if rerr := l.client.StagedUpload.UpdateOneID(t.ID).SetStatus("pending").Exec(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return Stored{}, err
	}
	err = l.client.StagedUpload.UpdateOneID(t.ID).SetStatus("stored").SetObjectKey(s.Key).
		SetWidth(s.Width).SetHeight(s.Height).Exec(ctx)
	if err != nil {
		return Stored{}, fmt.Errorf("media: record upload: %w", err)
	}
	return s, nil
}

// Source is an originalSource turned into a stored picture.
type Source struct {
	// URL is the stored image URL (Prefix and key).
	URL           string
	Width, Height *int
}

// Ingest turns originalSource URLs into stored pictures: a staged upload's resource URL names the file
// uploaded to it; any other http(s) URL is fetched through the SSRF guard and stored. Failures are
// reported per source as userErrors under field (e.g. "media"), and nothing is returned with them;
// pictures stored before a failure stay until Release or until they are used.
func (l *Library) Ingest(ctx context.Context, field string, sources []string) ([]Source, validation.Errors, error) {
	var errs validation.Errors
	out := make([]Source, len(sources))
	for i, raw := range sources {
		f := fmt.Sprintf("%s.%d.originalSource", field, i)
		s, err := l.ingest(ctx, strings.TrimSpace(raw))
		switch {
		case err == nil:
			out[i] = s
		case errors.Is(err, ErrUploadGone), errors.Is(err, ErrFetch), errors.Is(err, ErrUnsupported),
			errors.Is(err, ErrTooLarge), errors.Is(err, ErrTooManyPx), errors.Is(err, ErrCorrupt), errors.Is(err, errNotUploaded):
			errs.Add(f, validation.Invalid, err.Error())
		default:
			return nil, nil, err
		}
	}
	if errs.Any() {
		var urls []string
		for _, s := range out {
			if s.URL != "" {
				urls = append(urls, s.URL)
			}
		}
		if err := l.Release(context.WithoutCancel(ctx), urls...); err != nil {
			l.log.WarnContext(ctx, "release media after a refused ingest", "err", err)
		}
		return nil, errs, nil
	}
	return out, nil, nil
}

var errNotUploaded = errors.New("nothing has been uploaded to this staged upload target yet")

func (l *Library) ingest(ctx context.Context, raw string) (Source, error) {
	if token, ok := l.stagedToken(raw); ok {
		t, err := l.client.StagedUpload.Query().Where(stagedupload.TokenHash(hashToken(token))).Only(ctx)
		if ent.IsNotFound(err) {
			return Source{}, ErrUploadGone
		}
		if err != nil {
			return Source{}, fmt.Errorf("media: find staged upload: %w", err)
		}
		if !l.now().Before(t.ExpiresAt) || t.Status == "attached" {
			return Source{}, ErrUploadGone
		}
		if t.Status != "stored" || t.ObjectKey == nil {
			return Source{}, errNotUploaded
		}
		return Source{URL: Prefix + *t.ObjectKey, Width: t.Width, Height: t.Height}, nil
	}
	if key, ok := l.ownKey(raw); ok {
		// A picture this library already serves is referred to, not fetched through the network.
		data, _, err := l.readAll(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return Source{}, fmt.Errorf("%w: no such picture here", ErrFetch)
		}
		if err != nil {
			return Source{}, err
		}
		pic, err := Inspect(data)
		if err != nil {
			return Source{}, err
		}
		src := Source{URL: Prefix + key}
		if pic.Width > 0 {
			src.Width, src.Height = &pic.Width, &pic.Height
		}
		return src, nil
	}
	data, err := l.fetcher.Fetch(ctx, raw)
	if err != nil {
		return Source{}, err
	}
	s, err := l.Store(ctx, data)
	if err != nil {
		return Source{}, err
	}
	src := Source{URL: s.Path()}
	if s.Width > 0 {
		src.Width, src.Height = &s.Width, &s.Height
	}
	return src, nil
}

// ownKey recognises the URL of an original this library serves (not a transform of one).
func (l *Library) ownKey(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery != "" {
		return "", false
	}
	p, err := url.Parse(l.public)
	if err != nil || u.Scheme != p.Scheme || u.Host != p.Host {
		return "", false
	}
	key, ok := strings.CutPrefix(u.Path, strings.TrimSuffix(p.Path, "/")+Prefix)
	if !ok || CheckKey(key) != nil || !(strings.HasPrefix(key, "o/") || strings.HasPrefix(key, "demo/")) {
		return "", false
	}
	return key, true
}

// stagedToken recognises a staged upload's resource URL of this library.
func (l *Library) stagedToken(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", false
	}
	p, err := url.Parse(l.public)
	if err != nil || u.Scheme != p.Scheme || u.Host != p.Host {
		return "", false
	}
	token, ok := strings.CutPrefix(u.Path, strings.TrimSuffix(p.Path, "/")+UploadsPath)
	return token, ok && token != "" && !strings.Contains(token, "/")
}

func newToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
