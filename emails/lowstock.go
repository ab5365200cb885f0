package emails

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/inventory"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/mail"
)

// StaffLowStock tells staff that a variant's stock at a location fell to its low stock threshold.
const StaffLowStock Kind = "staff_low_stock"

// LowStockArgs are the arguments of the low stock email of one crossing: the stock movement that made
// the level low. Unique by both, so the crossing is told once however often its insert is retried.
type LowStockArgs struct {
	LevelID      int `json:"level_id" river:"unique"`
	AdjustmentID int `json:"adjustment_id" river:"unique"`
	Available    int `json:"available"`
	Threshold    int `json:"threshold"`
	VariantID    int `json:"variant_id"`
	LocationID   int `json:"location_id"`
}

// Kind names the worker of low stock emails.
func (LowStockArgs) Kind() string { return "email_low_stock" }

// LowStockData is what the low stock template sees: the figures at the crossing, names as they are now.
type LowStockData struct {
	Product, Variant, SKU, Location string
	Available, Threshold            int
}

// QueueLowStock returns the inventory.OnLowStock alert that queues the staff's low stock email in the
// movement's transaction; nil when no staff address is configured (nothing is queued then).
func QueueLowStock(q *jobs.Queue, cfg Config) func(context.Context, *ent.Tx, inventory.LowStock) error {
	return func(ctx context.Context, tx *ent.Tx, l inventory.LowStock) error {
		if cfg.StaffEmail == "" {
			return nil
		}
		return q.InsertTx(ctx, tx, LowStockArgs{LevelID: l.LevelID, AdjustmentID: l.AdjustmentID, Available: l.Available,
			Threshold: l.Threshold, VariantID: l.VariantID, LocationID: l.LocationID},
			&jobs.InsertOpts{Queue: jobs.QueueEmails, UniqueOpts: jobs.UniqueOpts{ByArgs: true}})
	}
}

// LowStockWorker sends low stock emails.
type LowStockWorker struct {
	jobs.WorkerDefaults[LowStockArgs]
	client *ent.Client
	cfg    Config
}

// NewLowStockWorker returns the worker of low stock emails.
func NewLowStockWorker(client *ent.Client, cfg Config) *LowStockWorker {
	return &LowStockWorker{client: client, cfg: cfg}
}

// Work renders and sends the email; a failed send is retried by River with backoff.
func (w *LowStockWorker) Work(ctx context.Context, job *jobs.Job[LowStockArgs]) error {
	msg, err := w.Message(ctx, job.Args)
	if err != nil || msg.To == "" {
		return err
	}
	if err := w.cfg.Sender.Send(ctx, msg); err != nil {
		return fmt.Errorf("emails: send low stock of level %d: %w", job.Args.LevelID, err)
	}
	return nil
}

// Message renders the low stock email of a, in the shop's language.
func (w *LowStockWorker) Message(ctx context.Context, a LowStockArgs) (mail.Message, error) {
	data := Data{Shop: Shop{Name: "Emporium"}}
	shopLocale := "en"
	if shop, err := w.client.Shop.Query().First(ctx); err == nil {
		data.Shop = Shop{Name: shop.Name, LogoURL: shop.LogoURL}
		shopLocale = shop.Locale
	} else if !ent.IsNotFound(err) {
		return mail.Message{}, fmt.Errorf("emails: shop: %w", err)
	}
	ls := &LowStockData{Available: a.Available, Threshold: a.Threshold}
	v, err := w.client.ProductVariant.Query().Where(productvariant.ID(a.VariantID)).WithProduct().Only(ctx)
	switch {
	case ent.IsNotFound(err):
		return mail.Message{}, nil // the variant is gone: nothing left to restock
	case err != nil:
		return mail.Message{}, fmt.Errorf("emails: variant %d: %w", a.VariantID, err)
	}
	ls.Variant = v.Title
	if v.Sku != nil {
		ls.SKU = *v.Sku
	}
	if v.Edges.Product != nil {
		ls.Product = v.Edges.Product.Title
	}
	if l, err := w.client.Location.Get(ctx, a.LocationID); err == nil {
		ls.Location = l.Name
	} else if !ent.IsNotFound(err) {
		return mail.Message{}, fmt.Errorf("emails: location %d: %w", a.LocationID, err)
	}
	data.LowStock = ls
	return w.cfg.Templates.Render(StaffLowStock, w.cfg.Templates.Language(StaffLowStock, shopLocale), w.cfg.StaffEmail, data)
}
