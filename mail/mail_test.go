package mail_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
)

func TestSMTPSenderMultipart(t *testing.T) {
	srv := mailtest.Start(t)
	s := mail.SMTPSender{Addr: srv.Addr, From: "Der Laden <shop@example.com>"}
	m := mail.Message{To: "Jörg <jorg@example.com>", Subject: "Bestellung #1001 bestätigt",
		Body: "Gesamtsumme: 1.234,50 €\nDanke!", HTML: "<p>Gesamtsumme: <b>1.234,50 €</b></p>"}
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, time.Second, 1, nil)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	p := got[0]
	if p.Subject != m.Subject {
		t.Errorf("subject = %q, want %q", p.Subject, m.Subject)
	}
	if raw := p.Header.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("raw subject = %q, want RFC 2047 encoded", raw)
	}
	for _, h := range []string{"From", "To", "Date", "Message-Id", "Mime-Version"} {
		if p.Header.Get(h) == "" {
			t.Errorf("header %s missing", h)
		}
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if to, err := p.Header.AddressList("To"); err != nil || to[0].Address != "jorg@example.com" || to[0].Name != "Jörg" {
		t.Errorf("To = %v, %v", to, err)
	}
	if r := srv.Messages()[0]; r.From != "shop@example.com" || len(r.To) != 1 || r.To[0] != "jorg@example.com" {
		t.Errorf("envelope = %s → %v", r.From, r.To)
	}
	if got, want := p.Parts["text/plain"], "Gesamtsumme: 1.234,50 €\r\nDanke!"; got != want {
		t.Errorf("text part = %q, want %q", got, want)
	}
	if got, want := p.Parts["text/html"], m.HTML; got != want {
		t.Errorf("html part = %q, want %q", got, want)
	}
}

func TestHeaderInjectionRefused(t *testing.T) {
	srv := mailtest.Start(t)
	s := mail.SMTPSender{Addr: srv.Addr, From: "shop@example.com"}
	for _, m := range []mail.Message{
		{To: "a@example.com", Subject: "Hi\r\nBcc: victim@example.com", Body: "x"},
		{To: "a@example.com\nBcc: victim@example.com", Subject: "Hi", Body: "x"},
	} {
		if err := s.Send(context.Background(), m); !errors.Is(err, mail.ErrHeaderInjection) {
			t.Errorf("Send(%q, %q) = %v, want ErrHeaderInjection", m.To, m.Subject, err)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
}
