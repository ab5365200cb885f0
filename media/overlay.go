package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
)

// Overlay serves the files of a read-only file system (the demo shop's embedded pictures) under a key
// prefix, and everything else from Base, where transforms of those files are stored too.
type Overlay struct {
	Base Storage
	// Dir is the key prefix of the files, with its trailing slash ("demo/").
	Dir string
	FS  fs.FS
}

var errReadOnly = errors.New("media: read-only")

func (o *Overlay) own(key string) (string, bool) {
	return strings.CutPrefix(key, o.Dir)
}

// Put stores in Base; the overlaid files cannot be replaced.
func (o *Overlay) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	if _, ok := o.own(key); ok {
		return fmt.Errorf("media put %s: %w", key, errReadOnly)
	}
	return o.Base.Put(ctx, key, r, size, contentType)
}

// Get opens an overlaid file or an object of Base.
func (o *Overlay) Get(ctx context.Context, key string) (Object, Info, error) {
	name, ok := o.own(key)
	if !ok {
		return o.Base.Get(ctx, key)
	}
	if err := CheckKey(key); err != nil {
		return nil, Info{}, err
	}
	data, err := fs.ReadFile(o.FS, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("media get %s: %w", key, err)
	}
	return readSeekNopCloser{bytes.NewReader(data)}, Info{Size: int64(len(data)), ContentType: mime.TypeByExtension(path.Ext(key))}, nil
}

// Stat describes an overlaid file or an object of Base.
func (o *Overlay) Stat(ctx context.Context, key string) (Info, error) {
	if _, ok := o.own(key); !ok {
		return o.Base.Stat(ctx, key)
	}
	obj, info, err := o.Get(ctx, key)
	if err != nil {
		return Info{}, err
	}
	return info, obj.Close()
}

// Delete removes an object of Base; the overlaid files stay.
func (o *Overlay) Delete(ctx context.Context, key string) error {
	if _, ok := o.own(key); ok {
		return fmt.Errorf("media delete %s: %w", key, errReadOnly)
	}
	return o.Base.Delete(ctx, key)
}

type readSeekNopCloser struct{ io.ReadSeeker }

func (readSeekNopCloser) Close() error { return nil }
