// Package mail sends the messages Emporium owes people, such as password reset links. How they travel
// is a Sender: the log by default, SMTP when configured.
package mail

import (
	"context"
	"fmt"
	"log/slog"
	"net/smtp"
	"strings"
)

// Message is one email.
type Message struct {
	To      string
	Subject string
	Body    string
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
	for _, h := range []string{m.To, m.Subject} {
		if strings.ContainsAny(h, "\r\n") {
			return fmt.Errorf("mail: header contains a line break")
		}
	}
	body := "From: " + s.From + "\r\nTo: " + m.To + "\r\nSubject: " + m.Subject +
		"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + m.Body
	if err := smtp.SendMail(s.Addr, a, s.From, []string{m.To}, []byte(body)); err != nil {
		return fmt.Errorf("mail: send to %s: %w", m.To, err)
	}
	return nil
}
