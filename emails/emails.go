// Package emails writes the transactional emails Emporium sends: what they say, in which language, and
// when. Templates are embedded (templates/<lang>/<kind>.tmpl, each defining "subject", "text" and
// "html", beside templates/layout.tmpl) and a shop may override any of them from a directory of the same
// layout. Sending is a job (Consumer queues it in the event's transaction, Worker renders and sends it),
// so a slow or failing mail server never holds up a checkout.
package emails

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"os"
	"strings"
	texttemplate "text/template"

	"golang.org/x/text/language"

	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/money"
)

// Kind names one email.
type Kind string

// The emails Emporium sends.
const (
	OrderConfirmation    Kind = "order_confirmation"
	ShippingConfirmation Kind = "shipping_confirmation"
	Refund               Kind = "refund"
	OrderCancelled       Kind = "order_cancelled"
	CustomerWelcome      Kind = "customer_welcome"
	PasswordReset        Kind = "password_reset"
	StaffNewOrder        Kind = "staff_new_order"
	// OrderInvoice carries an issued invoice's download link (mail.Message has no attachments).
	OrderInvoice Kind = "order_invoice"
)

// Kinds lists every kind, each of which has an English template.
var Kinds = []Kind{OrderConfirmation, ShippingConfirmation, Refund, OrderCancelled, CustomerWelcome, PasswordReset, StaffNewOrder,
	StaffLowStock, StaffWebhookFailing, OrderInvoice,
}

//go:embed templates
var embedded embed.FS

// Templates renders emails from the embedded templates, overridden file by file by a directory.
type Templates struct {
	embedded fs.FS
	override fs.FS // nil without an override directory
}

// NewTemplates returns the templates, with those of dir (same layout; may be empty) winning over the
// embedded ones. Every template, embedded and overridden, is parsed now so that a broken override
// stops the start rather than a job.
func NewTemplates(dir string) (*Templates, error) {
	sub, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	t := &Templates{embedded: sub}
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("emails: templates directory %q: not a directory (%v)", dir, err)
		}
		t.override = os.DirFS(dir)
	}
	var errs []error
	for _, fsys := range []fs.FS{t.override, t.embedded} {
		if fsys == nil {
			continue
		}
		paths, _ := fs.Glob(fsys, "*/*.tmpl")
		for _, p := range paths {
			lang, kind, _ := strings.Cut(strings.TrimSuffix(p, ".tmpl"), "/")
			if _, _, err := t.parse(Kind(kind), lang); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return t, errors.Join(errs...)
}

// read returns the file at name, from the override directory when it has one.
func (t *Templates) read(name string) ([]byte, error) {
	if t.override != nil {
		if b, err := fs.ReadFile(t.override, name); err == nil {
			return b, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return fs.ReadFile(t.embedded, name)
}

func (t *Templates) has(kind Kind, lang string) bool {
	_, err := t.read(lang + "/" + string(kind) + ".tmpl")
	return err == nil
}

// Language is the language an email of kind is written in: the first of the wanted languages (the
// customer's, then the shop's) that has a template of kind, else English.
func (t *Templates) Language(kind Kind, wanted ...string) language.Tag {
	for _, w := range wanted {
		tag, err := language.Parse(w)
		if err != nil || w == "" {
			continue
		}
		base, _ := tag.Base()
		if t.has(kind, base.String()) {
			return tag
		}
	}
	return language.English
}

func (t *Templates) parse(kind Kind, lang string) (*texttemplate.Template, *htmltemplate.Template, error) {
	layout, err := t.read("layout.tmpl")
	if err != nil {
		return nil, nil, fmt.Errorf("emails: layout: %w", err)
	}
	name := lang + "/" + string(kind) + ".tmpl"
	body, err := t.read(name)
	if err != nil {
		return nil, nil, fmt.Errorf("emails: %s: %w", name, err)
	}
	txt, err := texttemplate.New(name).Parse(string(layout) + string(body))
	if err != nil {
		return nil, nil, fmt.Errorf("emails: %s: %w", name, err)
	}
	html, err := htmltemplate.New(name).Parse(string(layout) + string(body))
	if err != nil {
		return nil, nil, fmt.Errorf("emails: %s: %w", name, err)
	}
	for _, part := range []string{"subject", "text", "html"} {
		if txt.Lookup(part) == nil {
			return nil, nil, fmt.Errorf("emails: %s: no %q template", name, part)
		}
	}
	return txt, html, nil
}

// Render writes the email of kind in lang to data (whose Lang Render sets), addressed to to.
func (t *Templates) Render(kind Kind, lang language.Tag, to string, data Data) (mail.Message, error) {
	base, _ := lang.Base()
	code := base.String()
	if !t.has(kind, code) {
		code, lang = "en", language.English
	}
	data.Lang = code
	data.setLanguage(lang)
	txt, html, err := t.parse(kind, code)
	if err != nil {
		return mail.Message{}, err
	}
	var subject, text, body bytes.Buffer
	if err := txt.ExecuteTemplate(&subject, "subject", data); err != nil {
		return mail.Message{}, fmt.Errorf("emails: %s subject: %w", kind, err)
	}
	if err := txt.ExecuteTemplate(&text, "text", data); err != nil {
		return mail.Message{}, fmt.Errorf("emails: %s text: %w", kind, err)
	}
	if err := html.ExecuteTemplate(&body, "html", data); err != nil {
		return mail.Message{}, fmt.Errorf("emails: %s html: %w", kind, err)
	}
	return mail.Message{To: to, Subject: strings.Join(strings.Fields(subject.String()), " "),
		Body: strings.TrimLeft(text.String(), "\n"), HTML: strings.TrimLeft(body.String(), "\n"), Link: data.Link}, nil
}

// Data is what the templates see. Amounts print themselves in the email's language.
type Data struct {
	Lang        string
	Shop        Shop
	Customer    Customer
	Order       *Order
	Fulfillment *Fulfillment
	Refund      *RefundData
	// Link is the action of the email (the password reset link).
	Link string
	// LowStock is the level of a staff low stock email.
	LowStock *LowStockData
	// WebhookFailing is the subscription of a staff webhook failing email.
	WebhookFailing *WebhookFailingData
	// Invoice is the invoice of an order_invoice email; Link is its download link.
	Invoice *InvoiceData
}

// InvoiceData is an issued invoice.
type InvoiceData struct {
	Number string
	Total  Amount
}

// Shop is the sender.
type Shop struct{ Name, LogoURL string }

// Customer is the addressee.
type Customer struct{ FirstName, LastName, Email string }

// Order is an order as emails show it.
type Order struct {
	Name, Email                                        string
	Lines                                              []Line
	Subtotal, Discount, Shipping, Tax, Total, Refunded Amount
}

// HasDiscount tells whether the order was discounted.
func (o *Order) HasDiscount() bool { return o.Discount.Amount != 0 }

// Line is an order line, or the part of one a fulfillment ships.
type Line struct {
	Title, VariantTitle string
	Quantity            int
	Total               Amount
}

// Fulfillment is a shipment.
type Fulfillment struct {
	TrackingCompany, TrackingNumber, TrackingURL string
	Lines                                        []Line
}

// RefundData is a refund.
type RefundData struct {
	Amount Amount
	Note   string
}

// Amount is money that prints itself in the email's language. A template tests it for zero with
// {{if .X.Amount}} (a struct is always true).
type Amount struct {
	money.Money
	lang language.Tag
}

// String formats the amount (FormatAmount).
func (a Amount) String() string { return FormatAmount(a.Amount, a.Currency, a.lang) }

// setLanguage makes every amount of d print in lang.
func (d *Data) setLanguage(lang language.Tag) {
	set := func(a *Amount) { a.lang = lang }
	setLines := func(ls []Line) {
		for i := range ls {
			set(&ls[i].Total)
		}
	}
	if o := d.Order; o != nil {
		c := *o
		c.Lines = append([]Line(nil), o.Lines...)
		for _, a := range []*Amount{&c.Subtotal, &c.Discount, &c.Shipping, &c.Tax, &c.Total, &c.Refunded} {
			set(a)
		}
		setLines(c.Lines)
		d.Order = &c
	}
	if f := d.Fulfillment; f != nil {
		c := *f
		c.Lines = append([]Line(nil), f.Lines...)
		setLines(c.Lines)
		d.Fulfillment = &c
	}
	if inv := d.Invoice; inv != nil {
		c := *inv
		set(&c.Total)
		d.Invoice = &c
	}
	if r := d.Refund; r != nil {
		c := *r
		set(&c.Amount)
		d.Refund = &c
	}
}
