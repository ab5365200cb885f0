// Package media holds the shop's pictures: where their bytes are stored, what a file is allowed to be,
// the staged uploads that bring them in, the transforms that resize them and the handler that serves
// them under /media/.
package media

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned by a Storage for a key it does not hold.
var ErrNotFound = errors.New("media: object not found")

// Info describes a stored object.
type Info struct {
	Size        int64
	ContentType string
	ModTime     time.Time
}

// Object is a stored object opened for reading. It seeks so that range requests are served without
// reading what the client skipped.
type Object interface {
	io.ReadSeekCloser
}

// Storage keeps objects under keys. Keys are slash-separated paths of [a-z0-9._/-]; an implementation
// may refuse anything else. Put replaces an existing object atomically: a reader sees the old bytes or
// the new ones, never a mix.
type Storage interface {
	// Put stores size bytes from r under key. A reader that yields more or fewer bytes than size is an
	// error, and nothing is stored.
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Get opens the object under key, or returns ErrNotFound.
	Get(ctx context.Context, key string) (Object, Info, error)
	// Stat describes the object under key, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the object under key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
}
