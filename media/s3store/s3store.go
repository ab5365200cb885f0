// Package s3store keeps media objects in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, R2…), for
// production deployments where the local disk is neither shared nor kept. It implements media.Storage
// with minio-go.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/emporium/emporium/media"
)

// Config says where the bucket is and how to sign requests to it.
type Config struct {
	// Endpoint is the server's host[:port], without scheme or path.
	Endpoint string
	Bucket   string
	// Region is the bucket's region; empty asks the server once, on first use.
	Region    string
	AccessKey string
	SecretKey string
	// Prefix is prepended to every key ("shop1" stores "p/1.jpg" as "shop1/p/1.jpg"), so that
	// several shops or environments can share a bucket.
	Prefix string
	// Insecure talks plain HTTP instead of HTTPS.
	Insecure bool
}

// String describes c without its secret key, for logs.
func (c Config) String() string {
	scheme := "https"
	if c.Insecure {
		scheme = "http"
	}
	s := scheme + "://" + c.Endpoint + "/" + c.Bucket
	if c.Prefix != "" {
		s += "/" + c.Prefix
	}
	return s
}

// The environment variables ConfigFromEnv reads.
const (
	EnvEndpoint  = "EMPORIUM_MEDIA_S3_ENDPOINT"
	EnvBucket    = "EMPORIUM_MEDIA_S3_BUCKET"
	EnvRegion    = "EMPORIUM_MEDIA_S3_REGION"
	EnvAccessKey = "EMPORIUM_MEDIA_S3_ACCESS_KEY"
	EnvSecretKey = "EMPORIUM_MEDIA_S3_SECRET_KEY"
	EnvPrefix    = "EMPORIUM_MEDIA_S3_PREFIX"
	EnvInsecure  = "EMPORIUM_MEDIA_S3_INSECURE"
)

// ConfigFromEnv reads the EMPORIUM_MEDIA_S3_* variables through getenv (os.Getenv in production). ok
// is false when EMPORIUM_MEDIA_S3_ENDPOINT is unset or empty: media then stay on the local disk. With
// an endpoint, a missing bucket or key, or a value that does not parse, is an error rather than a
// silent fallback to the disk. The endpoint may also be given as an http:// or https:// URL, whose
// scheme then decides Insecure.
func ConfigFromEnv(getenv func(string) string) (Config, bool, error) {
	endpoint := strings.TrimSpace(getenv(EnvEndpoint))
	if endpoint == "" {
		return Config{}, false, nil
	}
	c := Config{
		Endpoint:  endpoint,
		Bucket:    strings.TrimSpace(getenv(EnvBucket)),
		Region:    strings.TrimSpace(getenv(EnvRegion)),
		AccessKey: strings.TrimSpace(getenv(EnvAccessKey)),
		SecretKey: strings.TrimSpace(getenv(EnvSecretKey)),
		Prefix:    strings.Trim(strings.TrimSpace(getenv(EnvPrefix)), "/"),
	}
	var errs []error
	insecureSet := false
	if v := strings.TrimSpace(getenv(EnvInsecure)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q is not a boolean", EnvInsecure, v))
		} else {
			c.Insecure, insecureSet = b, true
		}
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		switch {
		case err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil:
			errs = append(errs, fmt.Errorf("%s=%q: want host[:port] or a URL with only a scheme and host", EnvEndpoint, endpoint))
		case u.Scheme != "http" && u.Scheme != "https":
			errs = append(errs, fmt.Errorf("%s=%q: scheme must be http or https", EnvEndpoint, endpoint))
		case insecureSet && c.Insecure != (u.Scheme == "http"):
			errs = append(errs, fmt.Errorf("%s=%q contradicts %s=%v", EnvEndpoint, endpoint, EnvInsecure, c.Insecure))
		default:
			c.Endpoint, c.Insecure = u.Host, u.Scheme == "http"
		}
	}
	for _, required := range []struct{ name, value string }{
		{EnvBucket, c.Bucket}, {EnvAccessKey, c.AccessKey}, {EnvSecretKey, c.SecretKey},
	} {
		if required.value == "" {
			errs = append(errs, fmt.Errorf("%s is set but %s is not", EnvEndpoint, required.name))
		}
	}
	if len(errs) == 0 {
		errs = append(errs, c.validate())
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, false, fmt.Errorf("media s3 configuration: %w", err)
	}
	return c, true, nil
}

func (c Config) validate() error {
	if c.Endpoint == "" || strings.ContainsAny(c.Endpoint, "/?#@ ") {
		return fmt.Errorf("endpoint %q: want host[:port]", c.Endpoint)
	}
	if c.Bucket == "" {
		return errors.New("no bucket")
	}
	if c.Prefix != "" {
		if err := media.CheckKey(c.Prefix); err != nil {
			return fmt.Errorf("prefix %q: want a key such as \"shop1\" or \"env/shop1\"", c.Prefix)
		}
	}
	return nil
}

// Store is a bucket seen as a media.Storage. It is safe for concurrent use.
type Store struct {
	client *minio.Client
	bucket string
	prefix string // "" or ending in "/"
}

var _ media.Storage = (*Store)(nil)

// New connects to the bucket of c and checks that it exists and that the keys may see it. It does not
// create the bucket: in production that is the operator's decision (region, policy, lifecycle);
// EnsureBucket does it for tests and development.
func New(ctx context.Context, c Config) (*Store, error) {
	client, err := newClient(c)
	if err != nil {
		return nil, err
	}
	exists, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("media s3 %s: check bucket: %w", c, err)
	}
	if !exists {
		return nil, fmt.Errorf("media s3 %s: bucket %q does not exist; create it first", c, c.Bucket)
	}
	s := &Store{client: client, bucket: c.Bucket}
	if c.Prefix != "" {
		s.prefix = c.Prefix + "/"
	}
	return s, nil
}

// EnsureBucket creates the bucket of c unless it exists. It is for tests and development setups; New
// never creates a bucket.
func EnsureBucket(ctx context.Context, c Config) error {
	client, err := newClient(c)
	if err != nil {
		return err
	}
	err = client.MakeBucket(ctx, c.Bucket, minio.MakeBucketOptions{Region: c.Region})
	if code := minio.ToErrorResponse(err).Code; code == "BucketAlreadyOwnedByYou" || code == "BucketAlreadyExists" {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("media s3 %s: create bucket: %w", c, err)
	}
	return nil
}

func newClient(c Config) (*minio.Client, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("media s3 %s: %w", c, err)
	}
	client, err := minio.New(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: !c.Insecure,
		Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("media s3 %s: %w", c, err)
	}
	return client, nil
}

func (s *Store) objectName(key string) (string, error) {
	if err := media.CheckKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put uploads the object in one request (in parts above 16 MiB). S3 makes an object visible only
// when its upload completes, so an overwrite is atomic and a failed upload leaves the old object.
func (s *Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("media s3 put %s: negative size %d", key, size)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	body := &exactReader{r: r, remaining: size}
	if size == 0 {
		// The client sends no body for an empty object and so would never read r.
		if _, err := body.Read(nil); err != io.EOF {
			return fmt.Errorf("media s3 put %s: %w", key, err)
		}
	}
	_, err = s.client.PutObject(ctx, s.bucket, name, body, size, minio.PutObjectOptions{ContentType: contentType})
	if ferr := body.failed(); ferr != nil {
		// The client reports the failed upload in its own words; the reader's error says what was
		// wrong.
		err = ferr
	}
	if err != nil {
		return fmt.Errorf("media s3 put %s: %w", key, err)
	}
	return nil
}

// Get opens the object. Its GET request is made here, so that a missing key is reported now rather
// than on the first Read, and so that the bytes read are those of the version current now even if the
// key is overwritten meanwhile. A later Seek makes a ranged request for the same version (If-Match);
// if the key has changed by then, that read fails rather than mixing versions. The object stays
// readable while ctx lives.
func (s *Store) Get(ctx context.Context, key string) (media.Object, media.Info, error) {
	name, err := s.objectName(key)
	if err != nil {
		return nil, media.Info{}, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err != nil {
		return nil, media.Info{}, fmt.Errorf("media s3 get %s: %w", key, err)
	}
	// minio's Object is lazy: a read of nothing sends the GET and keeps its body open for the next
	// Read (Stat first would send a HEAD, and the GET only on the first Read). io.EOF is an empty
	// object.
	_, err = obj.Read(nil)
	var oi minio.ObjectInfo
	if err == nil || err == io.EOF {
		oi, err = obj.Stat()
	}
	if err != nil {
		obj.Close()
		if isNotFound(err) {
			return nil, media.Info{}, media.ErrNotFound
		}
		return nil, media.Info{}, fmt.Errorf("media s3 get %s: %w", key, err)
	}
	return obj, info(oi), nil
}

// Stat asks for the object's headers.
func (s *Store) Stat(ctx context.Context, key string) (media.Info, error) {
	name, err := s.objectName(key)
	if err != nil {
		return media.Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, name, minio.StatObjectOptions{})
	if isNotFound(err) {
		return media.Info{}, media.ErrNotFound
	}
	if err != nil {
		return media.Info{}, fmt.Errorf("media s3 stat %s: %w", key, err)
	}
	return info(oi), nil
}

// Delete removes the object; S3 answers a delete of a missing key with success.
func (s *Store) Delete(ctx context.Context, key string) error {
	name, err := s.objectName(key)
	if err != nil {
		return err
	}
	err = s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("media s3 delete %s: %w", key, err)
	}
	return nil
}

func info(oi minio.ObjectInfo) media.Info {
	return media.Info{Size: oi.Size, ContentType: oi.ContentType, ModTime: oi.LastModified}
}

// isNotFound reports whether err says that the key does not exist. A missing bucket is a
// misconfiguration, not a missing object.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "NoSuchKey", "NotFound":
		return true
	case "NoSuchBucket":
		return false
	}
	return resp.StatusCode == http.StatusNotFound
}

// exactReader yields what r yields, failing unless that is exactly remaining bytes. It checks for
// excess bytes before it hands out the last expected ones, because the S3 client stops reading at
// the announced size: an error only after that would go unseen, and a longer reader would be stored
// cut short. It has no other methods (ReaderAt, Seeker), so the client cannot read around it.
type exactReader struct {
	r         io.Reader
	remaining int64
	err       error // sticky: io.EOF once the end is verified
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.remaining == 0 { // an empty object
		e.err = e.checkEnd()
		return 0, e.err
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	switch {
	case e.remaining == 0 && (err == nil || err == io.EOF):
		if e.err = e.checkEnd(); e.err != io.EOF {
			return n, e.err
		}
		return n, nil
	case err == io.EOF:
		e.err = fmt.Errorf("reader ended %d bytes short of the size: %w", e.remaining, io.ErrUnexpectedEOF)
	case err != nil:
		e.err = err
	}
	return n, e.err
}

// failed returns the error that made the reader fail, or nil.
func (e *exactReader) failed() error {
	if e.err == io.EOF {
		return nil
	}
	return e.err
}

// checkEnd reads on past the expected bytes and returns io.EOF if r is at its end.
func (e *exactReader) checkEnd() error {
	var b [1]byte
	for range 100 {
		n, err := e.r.Read(b[:])
		if n > 0 {
			return errors.New("reader yields more bytes than the size")
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}
