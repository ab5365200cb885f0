package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/image"
	"github.com/emporium/emporium/ent/mediaobject"
	"github.com/emporium/emporium/ent/stagedupload"
)

// Prefix is the path under which media is served; stored image URLs that start with it name objects
// in the library's storage.
const Prefix = "/media/"

// MaxTransformsPerOriginal bounds the distinct transforms kept of one picture: a storefront uses a
// handful of sizes, and a srcset of widths in steps some dozens.
const MaxTransformsPerOriginal = 100

// ErrTooManyTransforms is a request for a new transform of a picture that has MaxTransformsPerOriginal.
var ErrTooManyTransforms = errors.New("this picture has too many distinct transforms; use one of the sizes already asked for")

// Library stores, transforms and serves the shop's pictures.
type Library struct {
	client  *ent.Client
	store   Storage
	public  string
	fetcher *Fetcher
	log     *slog.Logger
	// transforms bounds the images decoded and resized at once: each holds a whole image in memory.
	transforms chan struct{}
	flight     singleflight.Group
	now        func() time.Time
}

// Options configure a Library.
type Options struct {
	// PublicURL is the scheme and host media URLs are given under (no trailing slash), configured,
	// never taken from a request's Host header.
	PublicURL string
	// Fetcher fetches originalSource URLs; DefaultFetcher when nil.
	Fetcher *Fetcher
	// MaxTransforms bounds concurrent transforms (the number of CPUs by default).
	MaxTransforms int
	Log           *slog.Logger
}

// New returns a library keeping its objects in store.
func New(client *ent.Client, store Storage, opts Options) *Library {
	if opts.Fetcher == nil {
		opts.Fetcher = &Fetcher{}
	}
	if opts.MaxTransforms <= 0 {
		opts.MaxTransforms = runtime.NumCPU()
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Library{
		client: client, store: store, public: strings.TrimSuffix(opts.PublicURL, "/"), fetcher: opts.Fetcher,
		log: opts.Log, transforms: make(chan struct{}, opts.MaxTransforms), now: time.Now,
	}
}

// Storage is where the library keeps its objects.
func (l *Library) Storage() Storage { return l.store }

// Stored is a picture kept in the library.
type Stored struct {
	Key string
	Picture
}

// Path is the stored image URL of s, relative to the public URL.
func (s Stored) Path() string { return Prefix + s.Key }

// Store keeps data as an original, under a key made of its content's hash: storing the same picture
// twice keeps one object.
func (l *Library) Store(ctx context.Context, data []byte) (Stored, error) {
	pic, err := Inspect(data)
	if err != nil {
		return Stored{}, err
	}
	sum := sha256.Sum256(data)
	s := Stored{Key: "o/" + hex.EncodeToString(sum[:]) + pic.Format.Ext(), Picture: pic}
	if _, err := l.store.Stat(ctx, s.Key); err == nil {
		return s, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Stored{}, err
	}
	if err := l.store.Put(ctx, s.Key, bytes.NewReader(data), int64(len(data)), string(pic.Format)); err != nil {
		return Stored{}, err
	}
	return s, nil
}

// URL is the absolute URL of a stored image URL with transform t; URLs of other hosts are returned as
// they are, since their pictures are not the library's to transform.
func (l *Library) URL(stored string, t Transform) string {
	if !strings.HasPrefix(stored, Prefix) {
		return stored
	}
	if q := t.Query(); q != "" {
		return l.public + stored + "?" + q
	}
	return l.public + stored
}

// KeyOf returns the storage key a stored image URL names, if it names one.
func KeyOf(stored string) (string, bool) {
	key, ok := strings.CutPrefix(stored, Prefix)
	if !ok || CheckKey(key) != nil {
		return "", false
	}
	return key, true
}

// Release deletes the originals behind stored image URLs, and everything derived from them, once no
// image refers to them any more. Call it after the transaction that removed the references committed.
func (l *Library) Release(ctx context.Context, stored ...string) error {
	var errs []error
	for _, u := range stored {
		key, ok := KeyOf(u)
		if !ok || !strings.HasPrefix(key, "o/") {
			continue // demo pictures and other hosts' URLs are not ours to delete
		}
		used, err := l.client.Image.Query().Where(image.URL(u)).Exist(ctx)
		if err == nil && !used {
			// A staged upload of the same bytes may be waiting to be attached.
			used, err = l.client.StagedUpload.Query().
				Where(stagedupload.ObjectKey(key), stagedupload.Status("stored"), stagedupload.ExpiresAtGT(l.now())).Exist(ctx)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("media release %s: %w", key, err))
			continue
		}
		if used {
			continue
		}
		derived, err := l.client.MediaObject.Query().Where(mediaobject.SourceKey(key)).All(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("media release %s: %w", key, err))
			continue
		}
		for _, d := range derived {
			if err := l.store.Delete(ctx, d.Key); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := l.client.MediaObject.DeleteOne(d).Exec(ctx); err != nil && !ent.IsNotFound(err) {
				errs = append(errs, err)
			}
		}
		if err := l.store.Delete(ctx, key); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Settle ends the ingestion of stored image URLs: when the change that uses them committed (kept), the
// staged uploads they came from are used up; otherwise the pictures are released, and their staged
// uploads may be given again.
func (l *Library) Settle(ctx context.Context, kept bool, stored ...string) error {
	if !kept {
		return l.Release(ctx, stored...)
	}
	var keys []string
	for _, u := range stored {
		if key, ok := KeyOf(u); ok {
			keys = append(keys, key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	err := l.client.StagedUpload.Update().Where(stagedupload.ObjectKeyIn(keys...), stagedupload.Status("stored")).
		SetStatus("attached").Exec(ctx)
	if err != nil {
		return fmt.Errorf("media: use up staged uploads: %w", err)
	}
	return nil
}

// readAll reads an object whole, refusing one larger than MaxBytes.
func (l *Library) readAll(ctx context.Context, key string) ([]byte, Info, error) {
	obj, info, err := l.store.Get(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	defer obj.Close()
	if info.Size > MaxBytes {
		return nil, Info{}, ErrTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(obj, MaxBytes+1))
	if err != nil {
		return nil, Info{}, fmt.Errorf("media read %s: %w", key, err)
	}
	return data, info, nil
}

// derive returns the key of t applied to the original under key, making and storing it the first time.
// Concurrent requests for one output share one transform; transforms of different outputs wait for a
// slot, so a burst of new sizes costs bounded memory and CPU.
func (l *Library) derive(ctx context.Context, key string, t Transform) (string, error) {
	format := FormatOfKey(key)
	if format == SVG || format == "" {
		return key, nil // vectors scale in the browser
	}
	out := t.outputFormat(format)
	dkey := t.derivedKey(key, out)
	if _, err := l.store.Stat(ctx, dkey); err == nil {
		return dkey, nil
	} else if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	// Each size is made and kept once, but a caller may ask for any number of sizes: past a bound per
	// original, new ones are refused, so that nobody can fill the storage or the CPU through URLs.
	n, err := l.client.MediaObject.Query().Where(mediaobject.SourceKey(key)).Count(ctx)
	if err != nil {
		return "", fmt.Errorf("media: count transforms of %s: %w", key, err)
	}
	if n >= MaxTransformsPerOriginal {
		return "", ErrTooManyTransforms
	}
	_, err, _ = l.flight.Do(dkey, func() (any, error) {
		// The work outlives no request but is shared between several: it runs to completion unless
		// every caller has gone, bounded by its own timeout.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		select {
		case l.transforms <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		defer func() { <-l.transforms }()
		src, _, err := l.readAll(ctx, key)
		if err != nil {
			return nil, err
		}
		data, err := t.apply(src, format, out)
		if err != nil {
			return nil, err
		}
		if err := l.store.Put(ctx, dkey, bytes.NewReader(data), int64(len(data)), string(out)); err != nil {
			return nil, err
		}
		err = l.client.MediaObject.Create().SetKey(dkey).SetSourceKey(key).SetSize(int64(len(data))).
			OnConflictColumns(mediaobject.FieldKey).DoNothing().Exec(ctx)
		// Another replica may have recorded it first; on PostgreSQL ent then reports no returned row.
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("record %s: %w", dkey, err)
		}
		return nil, nil
	})
	if err != nil {
		return "", err
	}
	return dkey, nil
}

// FormatOfKey is the format of a stored object, by the extension Emporium gave it.
func FormatOfKey(key string) Format {
	for _, f := range []Format{JPEG, PNG, GIF, WebP, SVG} {
		if strings.HasSuffix(key, f.Ext()) {
			return f
		}
	}
	return ""
}
