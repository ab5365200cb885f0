package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Client sends GraphQL requests over HTTP, as a storefront does: a JSON POST per operation.
type Client struct {
	url  string
	http *http.Client
}

// NewClient returns a client for the GraphQL endpoint at url that keeps up to conns connections open, so
// that every worker reuses its own connection instead of dialing once a request.
func NewClient(url string, conns int, timeout time.Duration) *Client {
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          conns + 8,
		MaxIdleConnsPerHost:   conns + 8,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &Client{url: url, http: &http.Client{Transport: transport, Timeout: timeout}}
}

// Close closes idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Do sends one request and decodes the data of its root field into out (which may be nil).
func (c *Client) Do(ctx context.Context, field, query string, vars map[string]any, out any) error {
	status, body, err := c.send(ctx, query, vars)
	if err != nil {
		return err
	}
	return decode(status, body, field, out)
}

// send posts a request and reads the whole response, so that the connection goes back to the pool and
// the time measured includes the transfer of the body.
func (c *Client) send(ctx context.Context, query string, vars map[string]any) (status int, body []byte, err error) {
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, nil, fmt.Errorf("loadgen: encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, fmt.Errorf("loadgen: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, &RequestError{Kind: KindTransport, Message: err.Error()}
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, nil, &RequestError{Kind: KindTransport, Status: res.StatusCode, Message: err.Error()}
	}
	return res.StatusCode, body, nil
}

// Kinds of failed requests.
const (
	KindTransport = "transport" // no complete response: refused, reset, timed out
	KindShed      = "shed"      // 503: the server turned the request away under load
	KindStatus    = "status"    // another non-2xx status
	KindGraphQL   = "graphql"   // the response has errors
	KindDecode    = "decode"    // the body is not the expected JSON
	KindCheck     = "check"     // an answer the scenario cannot go on with: userErrors, a missing object
)

// RequestError is a request that failed; its Kind says how.
type RequestError struct {
	Kind    string
	Status  int    // HTTP status, 0 without a response
	Code    string // extensions.code of the first GraphQL error
	Message string
}

func (e *RequestError) Error() string {
	s := "loadgen: " + e.Kind
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Code != "" {
		s += " " + e.Code
	}
	return s + ": " + e.Message
}

// key groups errors in a report: the kind, with the status or GraphQL code that tells them apart.
func (e *RequestError) key() string {
	switch {
	case e.Kind == KindStatus:
		return fmt.Sprintf("status %d", e.Status)
	case e.Code != "":
		return e.Kind + " " + e.Code
	}
	return e.Kind
}

// checker is implemented by results that can be well-formed and still not what a storefront needs.
type checker interface {
	problem() error
}

func checkFailed(format string, args ...any) error {
	return &RequestError{Kind: KindCheck, Message: fmt.Sprintf(format, args...)}
}

// decode classifies a response and decodes data[field] into out.
func decode(status int, body []byte, field string, out any) error {
	switch {
	case status == http.StatusServiceUnavailable:
		return &RequestError{Kind: KindShed, Status: status, Message: snippet(body)}
	case status < 200 || status > 299:
		return &RequestError{Kind: KindStatus, Status: status, Message: snippet(body)}
	}
	var env struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string `json:"message"`
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return &RequestError{Kind: KindDecode, Status: status, Message: err.Error()}
	}
	if len(env.Errors) > 0 {
		e := env.Errors[0]
		return &RequestError{Kind: KindGraphQL, Status: status, Code: e.Extensions.Code, Message: e.Message}
	}
	raw, ok := env.Data[field]
	if !ok || string(raw) == "null" {
		return &RequestError{Kind: KindCheck, Status: status, Message: field + " is null"}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &RequestError{Kind: KindDecode, Status: status, Message: fmt.Sprintf("%s: %v", field, err)}
	}
	if c, ok := out.(checker); ok {
		if err := c.problem(); err != nil {
			var re *RequestError
			if errors.As(err, &re) {
				re.Status = status
			}
			return err
		}
	}
	return nil
}

func snippet(body []byte) string {
	const limit = 200
	if len(body) > limit {
		return string(body[:limit]) + "…"
	}
	return string(body)
}
