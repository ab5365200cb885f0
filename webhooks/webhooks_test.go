package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/validation"
)

// TestRetrySchedule: delays double from RetryBase up to RetryMax, within ±25 %, and the default schedule
// retries for the whole day before GiveUpAfter with about 30 attempts.
func TestRetrySchedule(t *testing.T) {
	s := New(nil, nil, Options{})
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, w := range want {
		for range 50 {
			if got := s.backoff(i + 1); got < w*3/4 || got > w*5/4 {
				t.Fatalf("backoff(%d) = %s, want %s ±25%%", i+1, got, w)
			}
		}
	}
	if got := s.backoff(40); got > DefaultRetryMax*5/4 || got < DefaultRetryMax*3/4 {
		t.Errorf("backoff(40) = %s, want about %s", got, DefaultRetryMax)
	}
	var total time.Duration
	attempts := 1
	for total < DefaultGiveUpAfter {
		total += s.backoff(attempts)
		attempts++
	}
	if attempts < 25 || attempts > 40 {
		t.Errorf("%d attempts in %s", attempts, DefaultGiveUpAfter)
	}
}

func TestSign(t *testing.T) {
	body := []byte(`{"id":"gid://emporium/Order/1"}`)
	m := hmac.New(sha256.New, []byte("whsec_x"))
	m.Write(body)
	if got, want := Sign("whsec_x", body), base64.StdEncoding.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestTopics(t *testing.T) {
	for _, topic := range events.Topics {
		if got := TopicOf(TopicEnum(topic)); got != topic {
			t.Errorf("TopicOf(TopicEnum(%s)) = %q", topic, got)
		}
	}
	if TopicEnum("orders/partially_fulfilled") != "ORDERS_PARTIALLY_FULFILLED" || TopicOf("NOPE") != "" {
		t.Error("enum names")
	}
}

// TestCheckCallback: the URLs a subscription may be saved with, names resolved through a fake resolver.
func TestCheckCallback(t *testing.T) {
	names := map[string][]netip.Addr{
		"hooks.example.com": {netip.MustParseAddr("93.184.215.14")},
		"internal.example":  {netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.1.2.3")},
		"metadata.example":  {netip.MustParseAddr("169.254.169.254")},
	}
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := names[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}
	for _, c := range []struct {
		url        string
		production bool
		ok         bool
	}{
		{"https://hooks.example.com/orders", true, true},
		{"http://hooks.example.com/orders", false, true},
		{"http://hooks.example.com/orders", true, false},
		{"https://93.184.215.14:8443/x", true, true},
		{"https://internal.example/x", false, false},
		{"https://metadata.example/x", false, false},
		{"https://unknown.example/x", false, false},
		{"https://169.254.169.254/latest/meta-data", false, false},
		{"https://[fd00::1]/x", false, false},
		{"https://user:pw@hooks.example.com/x", false, false},
		{"ftp://hooks.example.com/x", false, false},
		{"/relative", false, false},
		{"https://10.9.8.7/x", false, true}, // allowed below
	} {
		s := New(nil, nil, Options{Production: c.production, Allow: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16")}})
		s.lookup = lookup
		var errs validation.Errors
		s.checkCallback(context.Background(), &errs, c.url)
		if errs.Any() == c.ok {
			t.Errorf("%s (production %v): errors %v, want ok %v", c.url, c.production, errs, c.ok)
		}
	}
}
