package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cart"
	"github.com/emporium/emporium/ent/cartline"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/variantprice"
	"github.com/emporium/emporium/ent/webhooksubscription"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/realtime"
)

// Announcer tells live subscriptions about committed changes of orders, carts, stock, prices and
// products (edits, publication, deletion, variants added or removed), and
// records the outbox events of carts and stock levels (carts/create, carts/update,
// inventory_levels/update) while a webhook subscription wants them.
//
// It watches writes through an ent hook (Hook) rather than calls in each domain package: every path
// that changes an order, a cart or a stock level (checkout, admin edits, refunds, imports) goes
// through ent, so none can forget to announce. The changes of one transaction are gathered and
// announced once, just before it commits: on PostgreSQL with NOTIFY inside the transaction, which
// PostgreSQL delivers to every replica (this one too) only if it commits; on SQLite to this process's
// hub after the commit.
type Announcer struct {
	recorder *Recorder
	hub      *realtime.Hub
	postgres bool
	pending  sync.Map // database.TxKey → *liveChanges
}

// NewAnnouncer returns an announcer recording through r. On PostgreSQL (postgres set), changes go out
// with NOTIFY on realtime.Channel (see realtime.Listen); otherwise they go straight to hub.
func NewAnnouncer(r *Recorder, hub *realtime.Hub, postgres bool) *Announcer {
	return &Announcer{recorder: r, hub: hub, postgres: postgres}
}

// liveChanges are the resources one transaction changed.
type liveChanges struct {
	mu         sync.Mutex
	orders     map[int]bool
	orderKinds map[int][]string
	carts      map[string]bool // true: created in this transaction
	levels     map[int]bool
	variants   map[int]bool
	products   map[int]bool // edited, unpublished, deleted, or with variants added or removed
}

func newLiveChanges() *liveChanges {
	return &liveChanges{orders: map[int]bool{}, orderKinds: map[int][]string{}, carts: map[string]bool{},
		levels: map[int]bool{}, variants: map[int]bool{}, products: map[int]bool{}}
}

func (c *liveChanges) empty() bool {
	return len(c.orders) == 0 && len(c.carts) == 0 && len(c.levels) == 0 && len(c.variants) == 0 && len(c.products) == 0
}

// watchedTypes are the ent types whose writes are announced.
var watchedTypes = map[string]bool{
	ent.TypeOrder: true, ent.TypeEvent: true, ent.TypeCart: true, ent.TypeInventoryLevel: true, ent.TypeVariantPrice: true,
	ent.TypeProduct: true, ent.TypeProductVariant: true,
}

// Hook gathers the changes of each transaction, and announces them when it commits.
func (a *Announcer) Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !watchedTypes[m.Type()] {
				return next.Mutate(ctx, m)
			}
			c := newLiveChanges()
			if !m.Op().Is(ent.OpCreate) {
				// Which rows an update or delete reaches is known only before it runs.
				if err := a.before(ctx, m, c); err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if m.Op().Is(ent.OpCreate) {
				after(v, c)
			}
			txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
			if !ok || c.empty() {
				return v, nil
			}
			if tx, terr := txm.Tx(); terr == nil {
				a.gather(tx, c)
				return v, nil
			}
			// Outside a transaction the write has committed already: announce it at once.
			client := m.(interface{ Client() *ent.Client }).Client()
			return v, a.announceNow(ctx, client, c)
		})
	}
}

func (a *Announcer) before(ctx context.Context, m ent.Mutation, c *liveChanges) error {
	switch m := m.(type) {
	case *ent.OrderMutation:
		ids, err := m.IDs(ctx)
		for _, id := range ids {
			c.orders[id] = true
		}
		return err
	case *ent.CartMutation:
		ids, err := m.IDs(ctx)
		for _, id := range ids {
			c.carts[id] = false
		}
		return err
	case *ent.InventoryLevelMutation:
		ids, err := m.IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		variants, err := m.Client().InventoryLevel.Query().Where(inventorylevel.IDIn(ids...)).
			Select(inventorylevel.FieldVariantID).Ints(ctx)
		for _, id := range ids {
			c.levels[id] = true
		}
		for _, v := range variants {
			c.variants[v] = true
		}
		return err
	case *ent.ProductMutation:
		// A product unpublished or deleted must leave its followers' answers.
		ids, err := m.IDs(ctx)
		for _, id := range ids {
			c.products[id] = true
		}
		return err
	case *ent.ProductVariantMutation:
		ids, err := m.IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		// Read before the write: a deleted variant's product is not to be found after it.
		products, err := m.Client().ProductVariant.Query().Where(productvariant.IDIn(ids...)).Unique(true).
			Select(productvariant.FieldProductID).Ints(ctx)
		for _, p := range products {
			c.products[p] = true
		}
		return err
	case *ent.VariantPriceMutation:
		ids, err := m.IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		variants, err := m.Client().VariantPrice.Query().Where(variantprice.IDIn(ids...)).
			Select(variantprice.FieldVariantID).Ints(ctx)
		for _, v := range variants {
			c.variants[v] = true
		}
		return err
	}
	return nil
}

func after(v ent.Value, c *liveChanges) {
	switch v := v.(type) {
	case *ent.Order:
		c.orders[v.ID] = true
	case *ent.Cart:
		c.carts[v.ID] = true
	case *ent.InventoryLevel:
		c.levels[v.ID] = true
		c.variants[v.VariantID] = true
	case *ent.VariantPrice:
		c.variants[v.VariantID] = true
	case *ent.ProductVariant:
		c.products[v.ProductID] = true
	case *ent.Event:
		if !strings.HasPrefix(v.Topic, "orders/") {
			return
		}
		if id, err := gid.DecodeType(v.ResourceID, "Order"); err == nil {
			c.orders[id] = true
			c.orderKinds[id] = append(c.orderKinds[id], v.Topic)
		}
	}
}

// gather adds c to tx's changes, and arranges their announcement when tx commits.
func (a *Announcer) gather(tx *ent.Tx, c *liveChanges) {
	got, loaded := a.pending.LoadOrStore(database.TxKey(tx), c)
	if !loaded {
		tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				all := a.take(tx)
				changes, err := a.prepare(ctx, tx, all)
				if err != nil {
					_ = tx.Rollback()
					return err
				}
				if err := next.Commit(ctx, tx); err != nil {
					return err
				}
				if !a.postgres {
					a.publish(changes)
				}
				return nil
			})
		})
		tx.OnRollback(func(next ent.Rollbacker) ent.Rollbacker {
			return ent.RollbackFunc(func(ctx context.Context, tx *ent.Tx) error {
				a.pending.Delete(database.TxKey(tx))
				return next.Rollback(ctx, tx)
			})
		})
		return
	}
	all := got.(*liveChanges)
	all.mu.Lock()
	defer all.mu.Unlock()
	for id := range c.orders {
		all.orders[id] = true
	}
	for id, kinds := range c.orderKinds {
		all.orderKinds[id] = append(all.orderKinds[id], kinds...)
	}
	for id, created := range c.carts {
		all.carts[id] = all.carts[id] || created
	}
	for id := range c.levels {
		all.levels[id] = true
	}
	for id := range c.variants {
		all.variants[id] = true
	}
	for id := range c.products {
		all.products[id] = true
	}
}

func (a *Announcer) take(tx *ent.Tx) *liveChanges {
	got, ok := a.pending.LoadAndDelete(database.TxKey(tx))
	if !ok {
		return newLiveChanges()
	}
	return got.(*liveChanges)
}

// prepare records the outbox events of c in tx and, on PostgreSQL, announces its changes there; it
// returns them for in-process delivery.
func (a *Announcer) prepare(ctx context.Context, tx *ent.Tx, c *liveChanges) ([]realtime.Change, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := a.recordOutbox(ctx, tx, c); err != nil {
		return nil, err
	}
	changes, err := changesOf(ctx, tx.Client(), c)
	if err != nil {
		return nil, err
	}
	if a.postgres {
		if err := notify(ctx, tx.ExecContext, changes); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

func (a *Announcer) announceNow(ctx context.Context, client *ent.Client, c *liveChanges) error {
	changes, err := changesOf(ctx, client, c)
	if err != nil {
		return err
	}
	if a.postgres {
		return notify(ctx, client.ExecContext, changes)
	}
	a.publish(changes)
	return nil
}

func (a *Announcer) publish(changes []realtime.Change) {
	if a.hub == nil {
		return
	}
	for _, ch := range changes {
		a.hub.Publish(ch)
	}
}

// Announce tells live subscriptions, in tx's transaction, that a resource changed: on PostgreSQL with
// NOTIFY, delivered at commit; otherwise once tx commits. Writes through ent are announced by Hook
// already; Announce is for changes made otherwise.
func (a *Announcer) Announce(tx *ent.Tx, topic, id string) {
	c := newLiveChanges()
	switch topic {
	case realtime.TopicCart:
		c.carts[id] = false
	case realtime.TopicOrder:
		if n, err := strconv.Atoi(id); err == nil {
			c.orders[n] = true
		}
	}
	a.gather(tx, c)
}

// changesOf lists what c changed as live subscriptions see it: orders, carts, and the products whose
// stock or prices changed.
func changesOf(ctx context.Context, client *ent.Client, c *liveChanges) ([]realtime.Change, error) {
	var out []realtime.Change
	for id := range c.orders {
		sid := strconv.Itoa(id)
		out = append(out, realtime.Change{Topic: realtime.TopicOrder, ID: sid})
		kinds := c.orderKinds[id]
		if len(kinds) == 0 {
			kinds = []string{OrdersUpdated}
		}
		seen := map[string]bool{}
		for _, k := range kinds {
			if !seen[k] {
				seen[k] = true
				out = append(out, realtime.Change{Topic: realtime.TopicOrders, ID: sid, Kind: k})
			}
		}
	}
	for token := range c.carts {
		out = append(out, realtime.Change{Topic: realtime.TopicCart, ID: token})
	}
	products := maps.Clone(c.products)
	if len(c.variants) > 0 {
		ids := make([]int, 0, len(c.variants))
		for id := range c.variants {
			ids = append(ids, id)
		}
		ofVariants, err := client.ProductVariant.Query().Where(productvariant.IDIn(ids...)).Unique(true).
			Select(productvariant.FieldProductID).Ints(ctx)
		if err != nil {
			return nil, fmt.Errorf("events: products of changed variants: %w", err)
		}
		for _, p := range ofVariants {
			products[p] = true
		}
	}
	for p := range products {
		out = append(out, realtime.Change{Topic: realtime.TopicProduct, ID: strconv.Itoa(p)})
	}
	return out, nil
}

// notify announces changes on realtime.Channel.
func notify(ctx context.Context, exec func(context.Context, string, ...any) (sql.Result, error), changes []realtime.Change) error {
	payloads, err := realtime.Payloads(changes)
	if err != nil {
		return fmt.Errorf("events: announce live changes: %w", err)
	}
	for _, p := range payloads {
		if _, err := exec(ctx, "SELECT pg_notify($1, $2)", realtime.Channel, p); err != nil {
			return fmt.Errorf("events: announce live changes: %w", err)
		}
	}
	return nil
}

// recordOutbox records carts/create, carts/update and inventory_levels/update for what c changed,
// each only while a webhook subscription to its topic exists: these are the hot paths of shopping
// (every add to cart), which should not pay for events nobody receives.
func (a *Announcer) recordOutbox(ctx context.Context, tx *ent.Tx, c *liveChanges) error {
	if len(c.carts) == 0 && len(c.levels) == 0 {
		return nil
	}
	// One statement asks for every topic this transaction could record.
	var topics []string
	for _, created := range c.carts {
		if topic := map[bool]string{true: CartsCreate, false: CartsUpdate}[created]; !slices.Contains(topics, topic) {
			topics = append(topics, topic)
		}
	}
	if len(c.levels) > 0 {
		topics = append(topics, InventoryLevelsUpdate)
	}
	subscribed, err := tx.WebhookSubscription.Query().Where(webhooksubscription.TopicIn(topics...),
		webhooksubscription.StatusEQ(webhooksubscription.StatusActive)).Unique(true).
		Select(webhooksubscription.FieldTopic).Strings(ctx)
	if err != nil {
		return fmt.Errorf("events: subscriptions to %v: %w", topics, err)
	}
	wanted := func(topic string) bool { return slices.Contains(subscribed, topic) }
	for token, created := range c.carts {
		topic := CartsUpdate
		if created {
			topic = CartsCreate
		}
		if !wanted(topic) {
			continue
		}
		p, err := cartPayload(ctx, tx, token)
		if err != nil {
			return err
		}
		if p == nil {
			continue
		}
		if err := a.record(ctx, tx, topic, "Cart", p.ID, p); err != nil {
			return err
		}
	}
	if len(c.levels) > 0 && wanted(InventoryLevelsUpdate) {
		ids := make([]int, 0, len(c.levels))
		for id := range c.levels {
			ids = append(ids, id)
		}
		levels, err := tx.InventoryLevel.Query().Where(inventorylevel.IDIn(ids...)).All(ctx)
		if err != nil {
			return fmt.Errorf("events: read stock levels: %w", err)
		}
		for _, l := range levels {
			p := InventoryLevelPayload{ID: gid.Encode("InventoryLevel", l.ID),
				InventoryItemID: gid.Encode("ProductVariant", l.VariantID), LocationID: gid.Encode("Location", l.LocationID),
				Available: l.Available, UpdatedAt: l.UpdatedAt}
			if err := a.record(ctx, tx, InventoryLevelsUpdate, "InventoryLevel", p.ID, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// record writes an event of a resource known by its global ID, as Record does for numbered ones.
func (a *Announcer) record(ctx context.Context, tx *ent.Tx, topic, resourceType, resource string, payload any) error {
	if a.recorder == nil || a.recorder.queue == nil {
		return fmt.Errorf("events: %s: %w", topic, ErrNoRecorder)
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("events: %s: payload: %w", topic, err)
	}
	e, err := tx.Event.Create().SetTopic(topic).SetResourceType(resourceType).SetResourceID(resource).
		SetPayload(body).Save(ctx)
	if err != nil {
		return fmt.Errorf("events: %s: write: %w", topic, err)
	}
	args := EventArgs{EventID: e.ID, Topic: topic, ResourceID: resource}
	if err := a.recorder.queue.InsertTx(ctx, tx, args, &jobs.InsertOpts{Queue: jobs.QueueEvents}); err != nil {
		return fmt.Errorf("events: %s: %w", topic, err)
	}
	return nil
}

// CartPayload is a cart as carts/create and carts/update carry it.
type CartPayload struct {
	ID            string            `json:"id"`
	Token         string            `json:"token"`
	CurrencyCode  string            `json:"currencyCode"`
	Note          *string           `json:"note"`
	DiscountCodes []string          `json:"discountCodes"`
	Lines         []CartLinePayload `json:"lines"`
	CreatedAt     time.Time         `json:"createdAt"`
	UpdatedAt     time.Time         `json:"updatedAt"`
}

// CartLinePayload is a line of a cart's events.
type CartLinePayload struct {
	ID            string `json:"id"`
	MerchandiseID string `json:"merchandiseId"`
	Quantity      int    `json:"quantity"`
}

// InventoryLevelPayload is a stock level as inventory_levels/update carries it: the variant (the
// Admin API's inventory item), the location and what is available there.
type InventoryLevelPayload struct {
	ID              string    `json:"id"`
	InventoryItemID string    `json:"inventoryItemId"`
	LocationID      string    `json:"locationId"`
	Available       int       `json:"available"`
	UpdatedAt       time.Time `json:"updatedAt"`
}

// cartPayload reads cart token as tx sees it; nil if it no longer exists.
func cartPayload(ctx context.Context, tx *ent.Tx, token string) (*CartPayload, error) {
	c, err := tx.Cart.Query().Where(cart.ID(token)).
		WithLines(func(q *ent.CartLineQuery) { q.Order(ent.Asc(cartline.FieldID)) }).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("events: read cart: %w", err)
	}
	p := &CartPayload{ID: gid.EncodeKey("Cart", c.ID), Token: c.ID, CurrencyCode: c.Currency, Note: c.Note,
		DiscountCodes: c.DiscountCodes, Lines: []CartLinePayload{}, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if p.DiscountCodes == nil {
		p.DiscountCodes = []string{}
	}
	for _, l := range c.Edges.Lines {
		p.Lines = append(p.Lines, CartLinePayload{ID: gid.Encode("CartLine", l.ID),
			MerchandiseID: gid.Encode("ProductVariant", l.VariantID), Quantity: l.Quantity})
	}
	return p, nil
}
