package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// validKey keeps keys to plain relative paths, so that no key reaches outside the store's directory.
var validKey = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*$`)

// CheckKey reports whether key is a key every Storage accepts.
func CheckKey(key string) error {
	if len(key) > 512 || !validKey.MatchString(key) || strings.Contains(key, "..") {
		return fmt.Errorf("media: invalid key %q", key)
	}
	return nil
}

// Disk stores objects as files under a directory. The content type is not kept: it is derived from the
// key's extension, which Emporium always sets from the sniffed type.
type Disk struct {
	Dir string
}

// NewDisk returns a store under dir. The directory is made by the first Put, so that a service that
// never stores a picture leaves nothing behind.
func NewDisk(dir string) (*Disk, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("media directory: %w", err)
	}
	return &Disk{Dir: abs}, nil
}

func (d *Disk) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.Dir, filepath.FromSlash(key)), nil
}

// Put writes to a temporary file beside the target and renames it into place.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader, size int64, _ string) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return fmt.Errorf("media put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return fmt.Errorf("media put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this finds nothing
	n, err := io.Copy(tmp, io.LimitReader(r, size+1))
	if err == nil && n != size {
		err = fmt.Errorf("got %d bytes, want %d", n, size)
	}
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("media put %s: %w", key, err)
	}
	return nil
}

// Get opens the file under key.
func (d *Disk) Get(_ context.Context, key string) (Object, Info, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("media get %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("media get %s: %w", key, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, Info{}, ErrNotFound
	}
	return f, diskInfo(key, st), nil
}

// Stat describes the file under key.
func (d *Disk) Stat(_ context.Context, key string) (Info, error) {
	path, err := d.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) || err == nil && st.IsDir() {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, fmt.Errorf("media stat %s: %w", key, err)
	}
	return diskInfo(key, st), nil
}

// Delete removes the file under key.
func (d *Disk) Delete(_ context.Context, key string) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media delete %s: %w", key, err)
	}
	return nil
}

func diskInfo(key string, st fs.FileInfo) Info {
	ct := mime.TypeByExtension(filepath.Ext(key))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return Info{Size: st.Size(), ContentType: ct, ModTime: st.ModTime()}
}
