package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/emporium/emporium/netguard"
)

// ErrFetch is a failure to fetch an originalSource URL: refused by the SSRF guard, unreachable, or
// answered with something other than a picture.
var ErrFetch = errors.New("the image could not be fetched")

// Fetcher downloads pictures from URLs that staff give as an originalSource. Those URLs are chosen by
// a caller, so the fetcher connects only to public addresses: never to this machine, the private
// network, link-local addresses (cloud metadata services) or other reserved ranges, whatever a name
// resolves to and wherever a redirect points.
type Fetcher struct {
	// Allow lists prefixes that are fetched from although not public: for tests, or a shop's own
	// internal image server.
	Allow []netip.Prefix
	// Timeout bounds a whole fetch (20 s by default).
	Timeout time.Duration
}

// public reports whether addr may be connected to.
func (f *Fetcher) public(addr netip.Addr) bool { return netguard.Allowed(addr, f.Allow) }

func (f *Fetcher) client() *http.Client {
	// The guard runs in the dialer, so it sees the address actually dialled (see netguard).
	dialer := netguard.Dialer(f.Allow, 5*time.Second)
	return &http.Client{
		Transport: &http.Transport{
			// No proxy from the environment: it would connect on our behalf, past the guard.
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSHandshakeTimeout:    5 * time.Second,
			ResponseHeaderTimeout:  10 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return fmt.Errorf("%w: too many redirects", ErrFetch)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to %s", ErrFetch, req.URL.Scheme)
			}
			return nil
		},
	}
}

// Fetch downloads rawURL, at most MaxBytes. What it returns is still to be inspected.
func (f *Fetcher) Fetch(ctx context.Context, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: not an http(s) URL", ErrFetch)
	}
	timeout := f.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", "image/jpeg, image/png, image/gif, image/webp, image/svg+xml")
	req.Header.Set("User-Agent", "Emporium media fetcher")
	resp, err := f.client().Do(req)
	if err != nil {
		if errors.Is(err, ErrFetch) {
			return nil, err
		}
		if errors.Is(err, netguard.ErrRefused) {
			return nil, fmt.Errorf("%w: %v", ErrFetch, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: the server answered %s", ErrFetch, resp.Status)
	}
	if resp.ContentLength > MaxBytes {
		return nil, ErrTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	if len(data) > MaxBytes {
		return nil, ErrTooLarge
	}
	return data, nil
}
