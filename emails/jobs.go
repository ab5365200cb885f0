package emails

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	entinvoice "github.com/emporium/emporium/ent/invoice"
	entorder "github.com/emporium/emporium/ent/order"
	"github.com/emporium/emporium/ent/orderline"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/mail"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/orders"
)

// Args are the arguments of the job that sends one email about one event. The pair is unique in the
// queue (River's uniqueness by the tagged arguments, in every state including completed), on top of the
// consumer running in the transaction that marks the event processed: an event job worked twice never
// queues an email twice.
type Args struct {
	EventID int  `json:"event_id" river:"unique"`
	Email   Kind `json:"email" river:"unique"`
}

// Kind names the worker of email jobs.
func (Args) Kind() string { return "email" }

// emailsOf are the emails each topic calls for; StaffNewOrder only when a staff address is configured.
var emailsOf = map[string][]Kind{
	events.OrdersCreate:       {OrderConfirmation, StaffNewOrder},
	events.FulfillmentsCreate: {ShippingConfirmation},
	events.RefundsCreate:      {Refund},
	events.OrdersCancelled:    {OrderCancelled},
	events.CustomersCreate:    {CustomerWelcome},
	invoices.InvoicesCreate:   {OrderInvoice},
	// Once per failure: the event is recorded once per active → failing change.
	events.WebhookSubscriptionsFailing: {StaffWebhookFailing},
}

// staffOnly are the emails only the staff receive: none are queued without a staff address.
var staffOnly = map[Kind]bool{StaffNewOrder: true, StaffLowStock: true, StaffWebhookFailing: true}

// Config configures the consumer and the worker.
type Config struct {
	Templates *Templates
	Sender    mail.Sender
	// StaffEmail receives the staff's emails (a new order, low stock, a webhook subscription failing);
	// none are sent when empty.
	StaffEmail string
	// InvoiceLink is the signed download link of a document; without it no invoice email is sent.
	InvoiceLink func(id int) string
}

// Consumer queues the emails an event calls for (an events.Consumer).
type Consumer struct {
	queue *jobs.Queue
	cfg   Config
}

// NewConsumer returns the consumer that queues emails on q.
func NewConsumer(q *jobs.Queue, cfg Config) *Consumer { return &Consumer{queue: q, cfg: cfg} }

// Consume implements events.Consumer.
func (c *Consumer) Consume(ctx context.Context, tx *ent.Tx, e *ent.Event) error {
	for _, k := range emailsOf[e.Topic] {
		if staffOnly[k] && c.cfg.StaffEmail == "" {
			continue
		}
		err := c.queue.InsertTx(ctx, tx, Args{EventID: e.ID, Email: k}, &jobs.InsertOpts{
			Queue: jobs.QueueEmails, UniqueOpts: jobs.UniqueOpts{ByArgs: true},
		})
		if err != nil {
			return fmt.Errorf("emails: queue %s for event %d: %w", k, e.ID, err)
		}
	}
	return nil
}

// Worker renders and sends email jobs; a failed send is retried by River with backoff.
type Worker struct {
	jobs.WorkerDefaults[Args]
	client *ent.Client
	cfg    Config
}

// NewWorker returns the worker of email jobs.
func NewWorker(client *ent.Client, cfg Config) *Worker { return &Worker{client: client, cfg: cfg} }

// Work renders the email from the database as it is now (the event names the resource) and sends it.
func (w *Worker) Work(ctx context.Context, job *jobs.Job[Args]) error {
	msg, err := w.Message(ctx, job.Args)
	if err != nil {
		return err
	}
	if msg.To == "" {
		return nil // a guest order without an address: nobody to write to
	}
	if err := w.cfg.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("emails: send %s for event %d: %w", job.Args.Email, job.Args.EventID, err)
	}
	return nil
}

// Message renders the email a job sends.
func (w *Worker) Message(ctx context.Context, a Args) (mail.Message, error) {
	e, err := w.client.Event.Get(ctx, a.EventID)
	if err != nil {
		return mail.Message{}, fmt.Errorf("emails: event %d: %w", a.EventID, err)
	}
	ref, err := gid.Decode(e.ResourceID)
	if err != nil {
		return mail.Message{}, fmt.Errorf("emails: event %d: %w", a.EventID, err)
	}
	data := Data{Shop: Shop{Name: "Emporium"}}
	shopLocale := "en"
	if shop, err := w.client.Shop.Query().First(ctx); err == nil {
		data.Shop = Shop{Name: shop.Name, LogoURL: shop.LogoURL}
		shopLocale = shop.Locale
	} else if !ent.IsNotFound(err) {
		return mail.Message{}, fmt.Errorf("emails: shop: %w", err)
	}
	var (
		to       string
		customer *ent.Customer
		orderID  int
		f        *ent.Fulfillment
	)
	switch a.Email {
	case OrderConfirmation, OrderCancelled, StaffNewOrder:
		orderID = ref.ID
	case OrderInvoice:
		inv, err := w.client.Invoice.Get(ctx, ref.ID)
		if err != nil {
			return mail.Message{}, fmt.Errorf("emails: invoice %d: %w", ref.ID, err)
		}
		if inv.Kind != entinvoice.KindINVOICE || w.cfg.InvoiceLink == nil {
			return mail.Message{}, nil // credit notes are announced by the refund email; nobody to write to
		}
		orderID = inv.OrderID
		data.Invoice = &InvoiceData{Number: inv.Number, Total: Amount{Money: money.New(inv.Total, inv.Currency)}}
		data.Link = w.cfg.InvoiceLink(inv.ID)
	case ShippingConfirmation:
		f, err = w.client.Fulfillment.Get(ctx, ref.ID)
		if err != nil {
			return mail.Message{}, fmt.Errorf("emails: fulfillment %d: %w", ref.ID, err)
		}
		orderID = f.OrderID
		data.Fulfillment = &Fulfillment{TrackingCompany: f.TrackingCompany, TrackingNumber: f.TrackingNumber, TrackingURL: f.TrackingURL}
	case Refund:
		r, err := w.client.Refund.Get(ctx, ref.ID)
		if err != nil {
			return mail.Message{}, fmt.Errorf("emails: refund %d: %w", ref.ID, err)
		}
		orderID = r.OrderID
		data.Refund = &RefundData{Amount: Amount{Money: money.New(r.Amount, r.Currency)}, Note: r.Note}
	case StaffWebhookFailing:
		if data.WebhookFailing, err = webhookFailing(e); err != nil {
			return mail.Message{}, err
		}
		lang := w.cfg.Templates.Language(a.Email, shopLocale)
		return w.cfg.Templates.Render(a.Email, lang, w.cfg.StaffEmail, data)
	case CustomerWelcome:
		if customer, err = w.client.Customer.Get(ctx, ref.ID); err != nil {
			return mail.Message{}, fmt.Errorf("emails: customer %d: %w", ref.ID, err)
		}
		to = customer.Email
	default:
		return mail.Message{}, fmt.Errorf("emails: no email %q about events", a.Email)
	}
	if orderID != 0 {
		o, err := w.client.Order.Query().Where(entorder.ID(orderID)).Only(ctx)
		if err != nil {
			return mail.Message{}, fmt.Errorf("emails: order %d: %w", orderID, err)
		}
		lines, err := w.client.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(orderline.ByID()).All(ctx)
		if err != nil {
			return mail.Message{}, fmt.Errorf("emails: order %d lines: %w", orderID, err)
		}
		data.Order = orderData(o, lines)
		to = o.Email
		if o.CustomerID != nil {
			if customer, err = w.client.Customer.Get(ctx, *o.CustomerID); err != nil && !ent.IsNotFound(err) {
				return mail.Message{}, fmt.Errorf("emails: customer %d: %w", *o.CustomerID, err)
			}
		}
		if f != nil {
			for _, l := range lines {
				if n := f.Lines[l.ID]; n > 0 {
					data.Fulfillment.Lines = append(data.Fulfillment.Lines, Line{Title: l.Title, VariantTitle: l.VariantTitle,
						Quantity: n, Total: Amount{Money: money.New(money.MulDiv(l.Total, int64(n), int64(l.Quantity)), o.Currency)}})
				}
			}
		}
	}
	customerLocale := ""
	if customer != nil {
		data.Customer = Customer{FirstName: customer.FirstName, LastName: customer.LastName, Email: customer.Email}
		customerLocale = customer.Locale
	}
	if a.Email == StaffNewOrder {
		to, customerLocale = w.cfg.StaffEmail, ""
	}
	lang := w.cfg.Templates.Language(a.Email, customerLocale, shopLocale)
	return w.cfg.Templates.Render(a.Email, lang, to, data)
}

// PasswordResetMessage writes the password reset email of c, with link, in c's language. Recovery sends
// it at once rather than by a job, so that the live token in the link is kept in no job's arguments.
func (w *Worker) PasswordResetMessage(ctx context.Context, c *ent.Customer, link string) (mail.Message, error) {
	data := Data{Shop: Shop{Name: "Emporium"}, Customer: Customer{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email}, Link: link}
	shopLocale := "en"
	if shop, err := w.client.Shop.Query().First(ctx); err == nil {
		data.Shop = Shop{Name: shop.Name, LogoURL: shop.LogoURL}
		shopLocale = shop.Locale
	} else if !ent.IsNotFound(err) {
		return mail.Message{}, fmt.Errorf("emails: shop: %w", err)
	}
	return w.cfg.Templates.Render(PasswordReset, w.cfg.Templates.Language(PasswordReset, c.Locale, shopLocale), c.Email, data)
}

func orderData(o *ent.Order, lines []*ent.OrderLine) *Order {
	m := func(v int64) Amount { return Amount{Money: money.New(v, o.Currency)} }
	d := &Order{Name: orders.Name(o), Email: o.Email, Subtotal: m(o.Subtotal), Discount: m(o.DiscountTotal),
		Shipping: m(o.ShippingTotal), Tax: m(o.TaxTotal), Total: m(o.Total), Refunded: m(o.TotalRefunded)}
	for _, l := range lines {
		d.Lines = append(d.Lines, Line{Title: l.Title, VariantTitle: l.VariantTitle, Quantity: l.Quantity, Total: m(l.Total)})
	}
	return d
}
