// Package storagetest is the contract every media.Storage keeps, as a test suite that each
// implementation runs against itself: what the interface's comments promise, checked the same way for
// the disk and for S3.
package storagetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/emporium/emporium/media"
)

// Run runs the contract against stores made by newStore, which is called once per subtest and must
// return an empty store that the subtest may fill.
func Run(t *testing.T, newStore func(t *testing.T) media.Storage) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s media.Storage)
	}{
		{"RoundTrip", testRoundTrip},
		{"Empty", testEmpty},
		{"Overwrite", testOverwrite},
		{"OverwriteIsAtomic", testOverwriteIsAtomic},
		{"OpenObjectSurvivesOverwrite", testOpenObjectSurvivesOverwrite},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"WrongSize", testWrongSize},
		{"FailedOverwriteKeepsOld", testFailedOverwriteKeepsOld},
		{"InvalidKeys", testInvalidKeys},
		{"Seek", testSeek},
		{"Ranges", testRanges},
		{"ConcurrentPuts", testConcurrentPuts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newStore(t)) })
	}
}

// pattern returns n bytes that differ at every offset modulo 251, so that a read from a wrong offset
// shows.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

func put(t *testing.T, s media.Storage, key string, data []byte, contentType string) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data), int64(len(data)), contentType); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

// get reads the object under key whole and checks its Info against the bytes.
func get(t *testing.T, s media.Storage, key string) ([]byte, media.Info) {
	t.Helper()
	obj, info, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	if info.Size != int64(len(data)) {
		t.Errorf("Get(%q): Info.Size = %d, but %d bytes read", key, info.Size, len(data))
	}
	return data, info
}

func wantNotFound(t *testing.T, s media.Storage, key string) {
	t.Helper()
	obj, _, err := s.Get(context.Background(), key)
	if obj != nil {
		obj.Close()
	}
	if !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Get(%q): error %v, want ErrNotFound", key, err)
	}
	if _, err := s.Stat(context.Background(), key); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Stat(%q): error %v, want ErrNotFound", key, err)
	}
}

func testRoundTrip(t *testing.T, s media.Storage) {
	before := time.Now()
	want := pattern(70_000) // more than one read buffer
	key := "products/42/photo.jpg"
	put(t, s, key, want, "image/jpeg")

	got, info := get(t, s, key)
	if !bytes.Equal(got, want) {
		t.Errorf("Get(%q) read %d bytes differing from the %d put", key, len(got), len(want))
	}
	if info.Size != int64(len(want)) || info.ContentType != "image/jpeg" {
		t.Errorf("Get(%q) Info = %+v, want Size %d, ContentType image/jpeg", key, info, len(want))
	}
	// Clocks of a remote store may differ a little, and some keep seconds only.
	if info.ModTime.Before(before.Add(-time.Minute)) || info.ModTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("Get(%q) Info.ModTime = %v, want about %v", key, info.ModTime, before)
	}

	st, err := s.Stat(context.Background(), key)
	if err != nil {
		t.Fatalf("Stat(%q): %v", key, err)
	}
	if st.Size != info.Size || st.ContentType != info.ContentType || !st.ModTime.Equal(info.ModTime) {
		t.Errorf("Stat(%q) = %+v, want what Get said: %+v", key, st, info)
	}
}

func testEmpty(t *testing.T, s media.Storage) {
	put(t, s, "empty.txt", nil, "text/plain; charset=utf-8")
	got, info := get(t, s, "empty.txt")
	if len(got) != 0 || info.Size != 0 {
		t.Errorf("Get of an empty object: %d bytes, Info.Size %d; want 0, 0", len(got), info.Size)
	}
}

func testOverwrite(t *testing.T, s media.Storage) {
	key := "a/b.png"
	put(t, s, key, []byte("the first version, rather longer than the second"), "image/png")
	put(t, s, key, []byte("second"), "image/png")
	got, info := get(t, s, key)
	if string(got) != "second" || info.Size != 6 {
		t.Errorf("after overwrite Get(%q) = %q (Size %d), want %q (Size 6)", key, got, info.Size, "second")
	}
}

// testOverwriteIsAtomic reads an object while it is overwritten, again and again, by versions of
// different lengths and bytes: every read sees one version whole.
func testOverwriteIsAtomic(t *testing.T, s media.Storage) {
	key := "atomic.webp"
	versions := [][]byte{bytes.Repeat([]byte{'a'}, 30_000), bytes.Repeat([]byte{'b'}, 50_000)}
	put(t, s, key, versions[0], "image/webp")

	ctx := context.Background()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := range 10 {
			v := versions[(i+1)%2]
			if err := s.Put(ctx, key, bytes.NewReader(v), int64(len(v)), "image/webp"); err != nil {
				t.Errorf("overwrite %d: %v", i, err)
				return
			}
		}
	})
	reads := 0
	for {
		select {
		case <-done:
			wg.Wait()
			if reads == 0 {
				t.Error("no read while overwriting")
			}
			return
		default:
		}
		obj, info, err := s.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%q) while overwriting: %v", key, err)
		}
		got, err := io.ReadAll(obj)
		obj.Close()
		if err != nil {
			t.Fatalf("Get(%q) while overwriting: read: %v", key, err)
		}
		reads++
		if !bytes.Equal(got, versions[0]) && !bytes.Equal(got, versions[1]) || info.Size != int64(len(got)) {
			t.Fatalf("read %d bytes (Info.Size %d) starting %q while overwriting: a mix of versions",
				len(got), info.Size, got[:min(len(got), 10)])
		}
	}
}

// testOpenObjectSurvivesOverwrite overwrites and deletes a key while its object is open: what is read
// from it is still the version that was opened.
func testOpenObjectSurvivesOverwrite(t *testing.T, s media.Storage) {
	ctx := context.Background()
	old := pattern(200_000)
	put(t, s, "open.jpg", old, "image/jpeg")
	obj, _, err := s.Get(ctx, "open.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	head := make([]byte, 1000)
	if _, err := io.ReadFull(obj, head); err != nil {
		t.Fatal(err)
	}
	put(t, s, "open.jpg", []byte("new"), "image/jpeg")
	if err := s.Delete(ctx, "open.jpg"); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(obj)
	if err != nil {
		t.Fatalf("reading on after an overwrite and a delete: %v", err)
	}
	if got := append(head, rest...); !bytes.Equal(got, old) {
		t.Errorf("read %d bytes from the open object, not the %d opened", len(got), len(old))
	}
}

func testMissing(t *testing.T, s media.Storage) {
	wantNotFound(t, s, "no/such/key.jpg")
	put(t, s, "dir/file.jpg", []byte("x"), "image/jpeg")
	wantNotFound(t, s, "dir") // a prefix of a key is not an object
}

func testDelete(t *testing.T, s media.Storage) {
	ctx := context.Background()
	put(t, s, "gone.jpg", []byte("soon gone"), "image/jpeg")
	if err := s.Delete(ctx, "gone.jpg"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantNotFound(t, s, "gone.jpg")
	if err := s.Delete(ctx, "gone.jpg"); err != nil {
		t.Errorf("Delete of a deleted key: %v, want nil", err)
	}
	if err := s.Delete(ctx, "never/was.jpg"); err != nil {
		t.Errorf("Delete of a missing key: %v, want nil", err)
	}
}

// testWrongSize puts readers that yield more or fewer bytes than the size given, in one piece and in
// several reads, through readers that seek (which a client might use to read around the size) and
// readers that only read: every Put fails and stores nothing.
func testWrongSize(t *testing.T, s media.Storage) {
	data := pattern(1000)
	readers := []struct {
		name string
		new  func(b []byte) io.Reader
	}{
		{"bytes.Reader", func(b []byte) io.Reader { return bytes.NewReader(b) }},
		{"plain reader", func(b []byte) io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }},
		{"one byte at a time", func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) }},
		// What exceeds the size comes in a read of its own, after exactly size bytes.
		{"excess in a later read", func(b []byte) io.Reader {
			if len(b) <= 1000 {
				return bytes.NewReader(b)
			}
			return io.MultiReader(bytes.NewReader(b[:1000]), bytes.NewReader(b[1000:]))
		}},
	}
	lengths := []struct {
		name string
		data []byte
	}{{"short", data[:999]}, {"long", append(data[:1000:1000], 'x')}, {"empty", nil}}
	for i, r := range readers {
		for j, l := range lengths {
			key := fmt.Sprintf("wrong-size/%d-%d.bin", i, j)
			err := s.Put(context.Background(), key, r.new(l.data), 1000, "application/octet-stream")
			if err == nil {
				t.Errorf("%s %s of %d bytes for size 1000: Put succeeded", l.name, r.name, len(l.data))
			}
			wantNotFound(t, s, key)
		}
	}
	// A reader of an empty object that is not empty.
	if err := s.Put(context.Background(), "nonempty.bin", strings.NewReader("x"), 0, ""); err == nil {
		t.Error("reader of 1 byte for size 0: Put succeeded")
	}
	wantNotFound(t, s, "nonempty.bin")

	// A reader that fails part way.
	failing := io.MultiReader(bytes.NewReader(data[:500]), iotest.ErrReader(errors.New("disk on fire")))
	if err := s.Put(context.Background(), "failing.bin", failing, 1000, ""); err == nil {
		t.Error("failing reader: Put succeeded")
	}
	wantNotFound(t, s, "failing.bin")
}

func testFailedOverwriteKeepsOld(t *testing.T, s media.Storage) {
	key := "keep.gif"
	put(t, s, key, []byte("old bytes"), "image/gif")
	if err := s.Put(context.Background(), key, strings.NewReader("new"), 10, "image/gif"); err == nil {
		t.Fatal("short reader: Put succeeded")
	}
	if got, _ := get(t, s, key); string(got) != "old bytes" {
		t.Errorf("after a failed overwrite Get = %q, want the old %q", got, "old bytes")
	}
}

func testInvalidKeys(t *testing.T, s media.Storage) {
	ctx := context.Background()
	for _, key := range []string{"", "../x", "a/../../x", "/abs", "A", "a//b", "a/", "a b", "ü.jpg", strings.Repeat("a", 513)} {
		if err := s.Put(ctx, key, strings.NewReader("x"), 1, "text/plain"); err == nil {
			t.Errorf("Put(%q) succeeded, want an invalid-key error", key)
		}
		if obj, _, err := s.Get(ctx, key); err == nil || errors.Is(err, media.ErrNotFound) {
			if obj != nil {
				obj.Close()
			}
			t.Errorf("Get(%q): error %v, want an invalid-key error", key, err)
		}
		if _, err := s.Stat(ctx, key); err == nil || errors.Is(err, media.ErrNotFound) {
			t.Errorf("Stat(%q): error %v, want an invalid-key error", key, err)
		}
		if err := s.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) succeeded, want an invalid-key error", key)
		}
	}
}

// testSeek reads parts of an object after seeks of each kind, as a range request does.
func testSeek(t *testing.T, s media.Storage) {
	data := pattern(100_000)
	put(t, s, "seek.bin", data, "application/octet-stream")
	obj, _, err := s.Get(context.Background(), "seek.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()

	steps := []struct {
		offset int64
		whence int
		n      int   // bytes to read after the seek
		pos    int64 // where the seek must land
	}{
		{0, io.SeekEnd, 0, 100_000}, // how http.ServeContent learns the size
		{0, io.SeekStart, 10, 0},
		{50_000, io.SeekStart, 100, 50_000},
		{1000, io.SeekCurrent, 200, 51_100},
		{-10, io.SeekEnd, 10, 99_990},
		{-100_000, io.SeekEnd, 5, 0},
		{99_000, io.SeekStart, 1000, 99_000},
		{70_000, io.SeekStart, 30_000, 70_000}, // a long read from the middle
		{-30_000, io.SeekCurrent, 3, 70_000},   // back again, over data already read
	}
	for _, st := range steps {
		pos, err := obj.Seek(st.offset, st.whence)
		if err != nil || pos != st.pos {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", st.offset, st.whence, pos, err, st.pos)
		}
		buf := make([]byte, st.n)
		if _, err := io.ReadFull(obj, buf); err != nil {
			t.Fatalf("after Seek(%d, %d): read %d bytes: %v", st.offset, st.whence, st.n, err)
		}
		if want := data[pos : pos+int64(st.n)]; !bytes.Equal(buf, want) {
			t.Fatalf("after Seek(%d, %d): read bytes of another offset", st.offset, st.whence)
		}
	}
	if _, err := obj.Seek(0, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	if n, err := obj.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read at the end = %d, %v; want 0, EOF", n, err)
	}
}

// testRanges serves an object with http.ServeContent, as the /media/ handler does, and asks for
// ranges of it.
func testRanges(t *testing.T, s media.Storage) {
	data := pattern(10_000)
	put(t, s, "range.jpg", data, "image/jpeg")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obj, info, err := s.Get(r.Context(), "range.jpg")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer obj.Close()
		w.Header().Set("Content-Type", info.ContentType)
		http.ServeContent(w, r, "", info.ModTime, obj)
	}))
	defer srv.Close()

	for _, c := range []struct {
		rng    string
		status int
		want   []byte
	}{
		{"", http.StatusOK, data},
		{"bytes=0-9", http.StatusPartialContent, data[:10]},
		{"bytes=5000-5099", http.StatusPartialContent, data[5000:5100]},
		{"bytes=-100", http.StatusPartialContent, data[9900:]},
		{"bytes=9990-", http.StatusPartialContent, data[9990:]},
		{"bytes=20000-", http.StatusRequestedRangeNotSatisfiable, nil},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if c.rng != "" {
			req.Header.Set("Range", c.rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("Range %q: read body: %v", c.rng, err)
		}
		if resp.StatusCode != c.status {
			t.Errorf("Range %q: status %d, want %d", c.rng, resp.StatusCode, c.status)
			continue
		}
		if c.want != nil && !bytes.Equal(body, c.want) {
			t.Errorf("Range %q: %d bytes, not the %d wanted", c.rng, len(body), len(c.want))
		}
		if ct := resp.Header.Get("Content-Type"); c.status != http.StatusRequestedRangeNotSatisfiable && ct != "image/jpeg" {
			t.Errorf("Range %q: Content-Type %q, want image/jpeg", c.rng, ct)
		}
	}
}

func testConcurrentPuts(t *testing.T, s media.Storage) {
	const n = 16
	key := func(i int) string { return fmt.Sprintf("concurrent/%02d.jpg", i) }
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 1000+i*100) }
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c := content(i)
			if err := s.Put(context.Background(), key(i), bytes.NewReader(c), int64(len(c)), "image/jpeg"); err != nil {
				t.Errorf("Put(%q): %v", key(i), err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		if got, _ := get(t, s, key(i)); !bytes.Equal(got, content(i)) {
			t.Errorf("Get(%q): %d bytes, not the %d put", key(i), len(got), len(content(i)))
		}
	}
}
