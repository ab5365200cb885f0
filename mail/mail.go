// Package mail sends the messages Emporium owes people: order confirmations, password reset links. How
// they travel is a Sender: the log by default, SMTP when configured. Message writes an email as MIME
// multipart/alternative (a plain and an HTML part, quoted-printable), with headers checked so that no
// value can inject another.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"
)

// Message is one email.
type Message struct {
	To      string
	Subject string
	// Body is the plain text part; HTML, when set, the HTML part beside it.
	Body string
	HTML string
	// Link is the action the message carries (a reset URL), kept apart so that senders and tests need
	// not parse the body.
	Link string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes messages to the log instead of sending them: the default, for development.
type LogSender struct{ Log *slog.Logger }

// Send implements Sender.
func (s LogSender) Send(ctx context.Context, m Message) error {
	s.Log.InfoContext(ctx, "email (not sent: no SMTP configured)", "to", m.To, "subject", m.Subject, "link", m.Link)
	return nil
}

// SMTPSender sends through an SMTP server with PLAIN authentication.
type SMTPSender struct {
	Addr     string // host:port
	Username string
	Password string
	From     string
}

// ErrHeaderInjection refuses a header value with a line break, which would start a header of its own.
var ErrHeaderInjection = errors.New("mail: header contains a line break")

// Send implements Sender.
func (s SMTPSender) Send(_ context.Context, m Message) error {
	host := s.Addr
	if i := strings.LastIndex(host, ":"); i >= 0 {
		host = host[:i]
	}
	var a smtp.Auth
	if s.Username != "" {
		a = smtp.PlainAuth("", s.Username, s.Password, host)
	}
	body, err := Compose(s.From, m, time.Now())
	if err != nil {
		return err
	}
	from, _ := mail.ParseAddress(s.From) // Compose checked it
	to, _ := mail.ParseAddress(m.To)
	if err := smtp.SendMail(s.Addr, a, from.Address, []string{to.Address}, body); err != nil {
		return fmt.Errorf("mail: send to %s: %w", m.To, err)
	}
	return nil
}

// Compose writes m from from, dated now, as an RFC 5322 message: MIME multipart/alternative with the
// plain and HTML parts when m has HTML, else plain text, both quoted-printable in UTF-8. The subject
// is RFC 2047-encoded when not ASCII; addresses must parse (net/mail) and no header may break a line.
func Compose(from string, m Message, now time.Time) ([]byte, error) {
	for _, h := range []string{from, m.To, m.Subject} {
		if strings.ContainsAny(h, "\r\n") {
			return nil, ErrHeaderInjection
		}
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: from %q: %w", from, err)
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: to %q: %w", m.To, err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	domain := "emporium.local"
	if _, d, ok := strings.Cut(fromAddr.Address, "@"); ok && d != "" {
		domain = d
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	if m.HTML == "" {
		header("Content-Type", `text/plain; charset="utf-8"`)
		header("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, m.Body); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	header("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	// Plain first: a client shows the last part it understands.
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Body}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + `; charset="utf-8"`},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, s string) error {
	qp := quotedprintable.NewWriter(w)
	// Line ends as SMTP wants them; quoted-printable keeps CRLF as a hard line break.
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
	if _, err := qp.Write([]byte(s)); err != nil {
		return err
	}
	return qp.Close()
}
