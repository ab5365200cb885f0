package emails_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/emporium/emporium/emails"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/mail/mailtest"
	"github.com/emporium/emporium/money"
)

func amount(v int64, cur string) emails.Amount { return emails.Amount{Money: money.New(v, cur)} }

func order(cur string) *emails.Order {
	return &emails.Order{Name: "#1001", Email: "ada@example.com",
		Lines:    []emails.Line{{Title: "Teapot", VariantTitle: "Blue", Quantity: 2, Total: amount(120000, cur)}},
		Subtotal: amount(120000, cur), Shipping: amount(450, cur), Tax: amount(3000, cur), Total: amount(123450, cur)}
}

func data(cur string) emails.Data {
	return emails.Data{Shop: emails.Shop{Name: "Tea & Co", LogoURL: "https://cdn.example.com/logo.png"},
		Customer: emails.Customer{FirstName: "Ada", Email: "ada@example.com"}, Order: order(cur),
		Fulfillment: &emails.Fulfillment{TrackingCompany: "DHL", TrackingNumber: "JD0123", TrackingURL: "https://track.example.com/JD0123",
			Lines: []emails.Line{{Title: "Teapot", Quantity: 1, Total: amount(60000, cur)}}},
		Refund: &emails.RefundData{Amount: amount(60000, cur)}, Link: "https://shop.example.com/reset?token=abc",
		WebhookFailing: &emails.WebhookFailingData{Topic: "orders/create", CallbackURL: "https://erp.example.com/hooks?a=1&b=2",
			Attempts: 14, Error: "the receiver answered 500 Internal Server Error"}}
}

// TestRenderAndSend renders each email, sends it through a real SMTP server and reads it back as a mail
// client would.
func TestRenderAndSend(t *testing.T) {
	tpl, err := emails.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind         emails.Kind
		wanted       []string // customer's, shop's language
		cur          string
		subject      string
		textContains []string
	}{
		{emails.OrderConfirmation, []string{"", "en"}, "USD", "Order #1001 confirmed — Tea & Co", []string{"Hello Ada", "Total: $1,234.50", "2 × Teapot (Blue)  $1,200.00"}},
		{emails.OrderConfirmation, []string{"de-DE", "en"}, "EUR", "Bestellung #1001 bestätigt — Tea & Co", []string{"Hallo Ada", "Gesamtsumme: 1.234,50\u00a0€"}},
		{emails.OrderConfirmation, []string{"fr", "de"}, "EUR", "Bestellung #1001 bestätigt — Tea & Co", []string{"Gesamtsumme: 1.234,50\u00a0€"}},
		{emails.OrderConfirmation, []string{"fr", "xx"}, "EUR", "Order #1001 confirmed — Tea & Co", []string{"Total: €1,234.50"}},
		{emails.ShippingConfirmation, []string{"de"}, "USD", "Order #1001 is on its way — Tea & Co", []string{"Tracking: DHL JD0123", "https://track.example.com/JD0123"}},
		{emails.Refund, nil, "USD", "Refund for order #1001 — Tea & Co", []string{"refunded $600.00"}},
		{emails.OrderCancelled, nil, "USD", "Order #1001 cancelled — Tea & Co", []string{"($1,234.50) has been cancelled."}},
		{emails.CustomerWelcome, []string{"de"}, "USD", "Willkommen bei Tea & Co", []string{"Konto für ada@example.com"}},
		{emails.PasswordReset, []string{"de"}, "USD", "Passwort zurücksetzen — Tea & Co", []string{"https://shop.example.com/reset?token=abc"}},
		{emails.StaffNewOrder, nil, "USD", "[Tea & Co] New order #1001 ($1,234.50)", []string{"from ada@example.com"}},
		{emails.StaffWebhookFailing, nil, "USD", "[Tea & Co] Webhook subscription failing: orders/create",
			[]string{"at https://erp.example.com/hooks?a=1&b=2 is failing", "after 14 attempts", "Last error: the receiver answered 500"}},
	}
	srv := mailtest.Start(t)
	sender := mail.SMTPSender{Addr: srv.Addr, From: "Tea & Co <shop@example.com>"}
	for i, tt := range tests {
		t.Run(string(tt.kind)+"/"+strings.Join(tt.wanted, ","), func(t *testing.T) {
			lang := tpl.Language(tt.kind, tt.wanted...)
			m, err := tpl.Render(tt.kind, lang, "ada@example.com", data(tt.cur))
			if err != nil {
				t.Fatal(err)
			}
			if err := sender.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, time.Second, i+1, nil)
			if len(got) != i+1 {
				t.Fatalf("received %d messages, want %d", len(got), i+1)
			}
			p := got[i]
			if p.Subject != tt.subject {
				t.Errorf("subject = %q, want %q", p.Subject, tt.subject)
			}
			text, html := p.Parts["text/plain"], p.Parts["text/html"]
			for _, want := range tt.textContains {
				if !strings.Contains(text, want) {
					t.Errorf("text part lacks %q:\n%s", want, text)
				}
			}
			if !strings.Contains(text, "Tea & Co") {
				t.Errorf("text part lacks the shop's name:\n%s", text)
			}
			// The HTML part escapes what it shows and carries the logo.
			if !strings.Contains(html, "Tea &amp; Co") || !strings.Contains(html, `<img src="https://cdn.example.com/logo.png"`) {
				t.Errorf("html part lacks the shop's name or logo:\n%s", html)
			}
		})
	}
}

func TestHTMLEscapesData(t *testing.T) {
	tpl, err := emails.NewTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	d := data("USD")
	d.Customer.FirstName = `<script>alert(1)</script>`
	m, err := tpl.Render(emails.CustomerWelcome, language.English, "a@example.com", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") {
		t.Errorf("html part not escaped:\n%s", m.HTML)
	}
}

func TestOverrideDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "fr"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("en/customer_welcome.tmpl", `{{define "subject"}}Hi from {{.Shop.Name}}{{end}}{{define "text"}}Custom welcome{{end}}{{define "html"}}<p>Custom welcome</p>{{end}}`)
	write("fr/order_confirmation.tmpl", `{{define "subject"}}Commande {{.Order.Name}} confirmée{{end}}{{define "text"}}Total : {{.Order.Total}}{{end}}{{define "html"}}<p>{{.Order.Total}}</p>{{end}}`)
	tpl, err := emails.NewTemplates(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tpl.Render(emails.CustomerWelcome, language.English, "a@example.com", data("USD"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Hi from Tea & Co" || m.Body != "Custom welcome" {
		t.Errorf("override not used: %q / %q", m.Subject, m.Body)
	}
	// A language only the directory has.
	lang := tpl.Language(emails.OrderConfirmation, "fr")
	m, err = tpl.Render(emails.OrderConfirmation, lang, "a@example.com", data("EUR"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Total : 1\u00a0234,50\u00a0€"; m.Subject != "Commande #1001 confirmée" || m.Body != want {
		t.Errorf("fr = %q / %q, want body %q", m.Subject, m.Body, want)
	}
	// Embedded templates still serve what the directory lacks.
	if m, err = tpl.Render(emails.Refund, language.English, "a@example.com", data("USD")); err != nil || !strings.Contains(m.Body, "$600.00") {
		t.Errorf("refund = %q, %v", m.Body, err)
	}

	// A broken override stops the start.
	write("en/refund.tmpl", `{{define "subject"}}{{.Oops{{end}}`)
	if _, err := emails.NewTemplates(dir); err == nil {
		t.Error("NewTemplates accepted a broken template")
	}
}
