package seed

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/menuitem"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/ent/taxrate"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/shipping"
	"github.com/emporium/emporium/tax"
)

// Decode reads a catalog file, rejecting unknown fields so that typos surface.
func Decode(r io.Reader) (*File, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seed: decode catalog: %w", err)
	}
	return &f, nil
}

// Empty reports whether the database has no shop yet, the sign of a first start.
func Empty(ctx context.Context, client *ent.Client) (bool, error) {
	n, err := client.Shop.Query().Count(ctx)
	if err != nil {
		return false, fmt.Errorf("seed: count shops: %w", err)
	}
	return n == 0, nil
}

// Load writes f into the database in one transaction: either all of it lands or none does.
func Load(ctx context.Context, client *ent.Client, f *File) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("seed: begin: %w", err)
	}
	defer database.RollbackOnPanic(tx)
	l := &loader{tx: tx, now: time.Now().UTC().Truncate(time.Microsecond)}
	if err := l.load(ctx, f); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed: commit: %w", err)
	}
	return nil
}

type loader struct {
	tx          *ent.Tx
	now         time.Time
	currency    string
	locations   map[string]int
	products    map[string]int
	collections map[string]int
	pages       map[string]int
}

func (l *loader) load(ctx context.Context, f *File) error {
	if err := l.shop(ctx, f.Shop); err != nil {
		return err
	}
	l.locations = map[string]int{}
	existing, err := l.tx.Location.Query().All(ctx)
	if err != nil {
		return fmt.Errorf("seed: locations: %w", err)
	}
	for _, loc := range existing {
		l.locations[loc.Name] = loc.ID
	}
	for _, loc := range f.Locations {
		if _, ok := l.locations[loc.Name]; ok {
			continue
		}
		created, err := l.tx.Location.Create().SetName(loc.Name).SetCountry(loc.Country).SetCity(loc.City).Save(ctx)
		if err != nil {
			return fmt.Errorf("seed: location %q: %w", loc.Name, err)
		}
		l.locations[loc.Name] = created.ID
	}
	l.products = map[string]int{}
	for i := range f.Products {
		if err := l.product(ctx, &f.Products[i]); err != nil {
			return fmt.Errorf("seed: product %q: %w", f.Products[i].Handle, err)
		}
	}
	l.collections = map[string]int{}
	for i := range f.Collections {
		if err := l.collection(ctx, &f.Collections[i]); err != nil {
			return fmt.Errorf("seed: collection %q: %w", f.Collections[i].Handle, err)
		}
	}
	l.pages = map[string]int{}
	for _, p := range f.Pages {
		created, err := l.tx.Page.Create().
			SetHandle(p.Handle).SetTitle(p.Title).SetBody(p.Body).
			SetBodySummary(cmp.Or(p.BodySummary, summary(PlainText(p.Body), 150))).
			SetSeoTitle(p.SEO.Title).SetSeoDescription(p.SEO.Description).
			SetPublishedAt(l.now).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("seed: page %q: %w", p.Handle, err)
		}
		l.pages[p.Handle] = created.ID
	}
	for _, z := range f.ShippingZones {
		if err := l.shippingZone(ctx, z); err != nil {
			return fmt.Errorf("seed: shipping zone %q: %w", z.Name, err)
		}
	}
	for _, r := range f.TaxRates {
		if err := l.taxRate(ctx, r); err != nil {
			return fmt.Errorf("seed: tax rate %s %s: %w", r.CountryCode, r.ProvinceCode, err)
		}
	}
	for _, m := range f.Menus {
		if err := l.menu(ctx, m); err != nil {
			return fmt.Errorf("seed: menu %q: %w", m.Handle, err)
		}
	}
	return nil
}

func (l *loader) shop(ctx context.Context, s *Shop) error {
	current, err := l.tx.Shop.Query().First(ctx)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("seed: shop: %w", err)
	}
	if s == nil {
		if current == nil {
			return errors.New("seed: the catalog has no shop section and the database has no shop")
		}
		l.currency = current.DefaultCurrency
		return nil
	}
	if !money.ValidCurrency(s.DefaultCurrency) {
		return fmt.Errorf("seed: shop default currency %q is not an ISO 4217 code", s.DefaultCurrency)
	}
	currencies := s.Currencies
	if !slices.Contains(currencies, s.DefaultCurrency) {
		currencies = append([]string{s.DefaultCurrency}, currencies...)
	}
	for _, c := range currencies {
		if !money.ValidCurrency(c) {
			return fmt.Errorf("seed: shop currency %q is not an ISO 4217 code", c)
		}
	}
	l.currency = s.DefaultCurrency
	if current == nil {
		err = l.tx.Shop.Create().SetName(s.Name).SetDescription(s.Description).SetDefaultCurrency(s.DefaultCurrency).
			SetCurrencies(currencies).SetPrimaryDomain(s.PrimaryDomain).Exec(ctx)
	} else {
		err = current.Update().SetName(s.Name).SetDescription(s.Description).SetDefaultCurrency(s.DefaultCurrency).
			SetCurrencies(currencies).SetPrimaryDomain(s.PrimaryDomain).Exec(ctx)
	}
	if err != nil {
		return fmt.Errorf("seed: shop: %w", err)
	}
	return nil
}

func (l *loader) product(ctx context.Context, p *Product) error {
	if len(p.Variants) == 0 {
		return errors.New("a product needs at least one variant")
	}
	status := product.StatusACTIVE
	if p.Status != "" {
		status = product.Status(p.Status)
		if err := product.StatusValidator(status); err != nil {
			return err
		}
	}
	published := l.now
	if p.PublishedAt != "" {
		t, err := time.Parse(time.RFC3339, p.PublishedAt)
		if err != nil {
			return fmt.Errorf("publishedAt: %w", err)
		}
		published = t.UTC()
	}
	taxClass := product.TaxClassSTANDARD
	if p.TaxClass != "" {
		taxClass = product.TaxClass(p.TaxClass)
		if err := product.TaxClassValidator(taxClass); err != nil {
			return err
		}
	}
	minPrice := int64(-1)
	for _, v := range p.Variants {
		amount, ok := v.Prices[l.currency]
		if !ok {
			return fmt.Errorf("variant %q has no %s price", v.SKU, l.currency)
		}
		m, err := money.Parse(amount, l.currency)
		if err != nil {
			return err
		}
		if minPrice < 0 || m.Amount < minPrice {
			minPrice = m.Amount
		}
	}
	created, err := l.tx.Product.Create().
		SetHandle(p.Handle).SetTitle(p.Title).
		SetDescriptionHTML(p.DescriptionHTML).SetDescription(PlainText(p.DescriptionHTML)).
		SetVendor(p.Vendor).SetProductType(p.ProductType).SetTags(p.Tags).
		SetStatus(status).SetPublishedAt(published).
		SetSeoTitle(p.SEO.Title).SetSeoDescription(p.SEO.Description).
		SetMinPrice(minPrice).SetSalesCount(p.SalesCount).SetTaxClass(taxClass).
		Save(ctx)
	if err != nil {
		return err
	}
	l.products[p.Handle] = created.ID
	if tags := uniqueLower(p.Tags); len(tags) > 0 {
		err := l.tx.ProductTag.MapCreateBulk(tags, func(c *ent.ProductTagCreate, i int) {
			c.SetProductID(created.ID).SetTag(tags[i])
		}).Exec(ctx)
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
	}
	if len(p.Options) > 0 {
		err := l.tx.ProductOption.MapCreateBulk(p.Options, func(c *ent.ProductOptionCreate, i int) {
			c.SetProductID(created.ID).SetName(p.Options[i].Name).SetValues(p.Options[i].Values).SetPosition(i)
		}).Exec(ctx)
		if err != nil {
			return fmt.Errorf("options: %w", err)
		}
	}
	var images []*ent.Image
	if len(p.Images) > 0 {
		images, err = l.tx.Image.MapCreateBulk(p.Images, func(c *ent.ImageCreate, i int) {
			img := p.Images[i]
			c.SetProductID(created.ID).SetURL(img.URL).SetAltText(img.AltText).SetPosition(i).
				SetNillableWidth(positive(img.Width)).SetNillableHeight(positive(img.Height))
		}).Save(ctx)
		if err != nil {
			return fmt.Errorf("images: %w", err)
		}
	}
	return l.variants(ctx, created.ID, p, images)
}

func (l *loader) variants(ctx context.Context, productID int, p *Product, images []*ent.Image) error {
	seen := map[string]bool{}
	builders := make([]*ent.ProductVariantCreate, len(p.Variants))
	for i, v := range p.Variants {
		if len(v.Options) != len(p.Options) {
			return fmt.Errorf("variant %d gives %d option values for %d options", i, len(v.Options), len(p.Options))
		}
		selected := make([]schema.SelectedOption, len(v.Options))
		for j, val := range v.Options {
			if !slices.Contains(p.Options[j].Values, val) {
				return fmt.Errorf("variant %d: %q is not a value of option %s", i, val, p.Options[j].Name)
			}
			selected[j] = schema.SelectedOption{Name: p.Options[j].Name, Value: val}
		}
		combo := strings.Join(v.Options, "\x00")
		if seen[combo] {
			return fmt.Errorf("variant %d repeats the option values %v", i, v.Options)
		}
		seen[combo] = true
		title := v.Title
		if title == "" {
			title = cmp.Or(strings.Join(v.Options, " / "), "Default Title")
		}
		policy := productvariant.InventoryPolicyDENY
		if v.InventoryPolicy != "" {
			policy = productvariant.InventoryPolicy(v.InventoryPolicy)
			if err := productvariant.InventoryPolicyValidator(policy); err != nil {
				return err
			}
		}
		unit := productvariant.WeightUnitKILOGRAMS
		if v.WeightUnit != "" {
			unit = productvariant.WeightUnit(v.WeightUnit)
			if err := productvariant.WeightUnitValidator(unit); err != nil {
				return err
			}
		}
		b := l.tx.ProductVariant.Create().
			SetProductID(productID).SetTitle(title).SetSelectedOptions(selected).SetPosition(i).
			SetWeight(v.Weight).SetWeightUnit(unit).SetInventoryPolicy(policy).
			SetRequiresShipping(v.RequiresShipping == nil || *v.RequiresShipping).
			SetTaxable(v.Taxable == nil || *v.Taxable).
			SetInventoryTracked(v.Inventory != nil)
		if v.SKU != "" {
			b.SetSku(v.SKU)
		}
		if v.Barcode != "" {
			b.SetBarcode(v.Barcode)
		}
		if v.Image != nil {
			if *v.Image < 0 || *v.Image >= len(images) {
				return fmt.Errorf("variant %d: image %d does not exist", i, *v.Image)
			}
			b.SetImageID(images[*v.Image].ID)
		}
		builders[i] = b
	}
	variants, err := l.tx.ProductVariant.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return fmt.Errorf("variants: %w", err)
	}
	var prices []*ent.VariantPriceCreate
	var levels []*ent.InventoryLevelCreate
	for i, v := range p.Variants {
		for _, cur := range sortedKeys(v.Prices) {
			amount, err := parseUnit(v.Prices[cur], cur)
			if err != nil {
				return fmt.Errorf("variant %d: %w", i, err)
			}
			pc := l.tx.VariantPrice.Create().SetVariantID(variants[i].ID).SetCurrency(cur).SetAmount(amount.Amount)
			if at, ok := v.CompareAtPrices[cur]; ok {
				c, err := parseUnit(at, cur)
				if err != nil {
					return fmt.Errorf("variant %d compare-at price: %w", i, err)
				}
				pc.SetCompareAtAmount(c.Amount)
			}
			prices = append(prices, pc)
		}
		for _, name := range sortedKeys(v.Inventory) {
			loc, ok := l.locations[name]
			if !ok {
				return fmt.Errorf("variant %d: unknown location %q", i, name)
			}
			levels = append(levels, l.tx.InventoryLevel.Create().SetVariantID(variants[i].ID).SetLocationID(loc).SetAvailable(v.Inventory[name]))
		}
	}
	if err := l.tx.VariantPrice.CreateBulk(prices...).Exec(ctx); err != nil {
		return fmt.Errorf("prices: %w", err)
	}
	if len(levels) > 0 {
		if err := l.tx.InventoryLevel.CreateBulk(levels...).Exec(ctx); err != nil {
			return fmt.Errorf("inventory: %w", err)
		}
	}
	return nil
}

func (l *loader) collection(ctx context.Context, c *Collection) error {
	order := collection.SortOrderMANUAL
	if c.SortOrder != "" {
		order = collection.SortOrder(c.SortOrder)
		if err := collection.SortOrderValidator(order); err != nil {
			return err
		}
	}
	b := l.tx.Collection.Create().SetHandle(c.Handle).SetTitle(c.Title).
		SetDescriptionHTML(c.DescriptionHTML).SetDescription(PlainText(c.DescriptionHTML)).
		SetSeoTitle(c.SEO.Title).SetSeoDescription(c.SEO.Description).SetSortOrder(order)
	if c.Image != nil {
		img, err := l.tx.Image.Create().SetURL(c.Image.URL).SetAltText(c.Image.AltText).
			SetNillableWidth(positive(c.Image.Width)).SetNillableHeight(positive(c.Image.Height)).Save(ctx)
		if err != nil {
			return fmt.Errorf("image: %w", err)
		}
		b.SetImageID(img.ID)
	}
	created, err := b.Save(ctx)
	if err != nil {
		return err
	}
	l.collections[c.Handle] = created.ID
	links := make([]*ent.CollectionProductCreate, 0, len(c.Products))
	seen := map[string]bool{}
	for i, h := range c.Products {
		id, ok := l.products[h]
		if !ok {
			return fmt.Errorf("unknown product %q", h)
		}
		if seen[h] {
			return fmt.Errorf("product %q is listed twice", h)
		}
		seen[h] = true
		links = append(links, l.tx.CollectionProduct.Create().SetCollectionID(created.ID).SetProductID(id).SetPosition(i))
	}
	if len(links) > 0 {
		if err := l.tx.CollectionProduct.CreateBulk(links...).Exec(ctx); err != nil {
			return fmt.Errorf("products: %w", err)
		}
	}
	return nil
}

func (l *loader) menu(ctx context.Context, m Menu) error {
	created, err := l.tx.Menu.Create().SetHandle(m.Handle).SetTitle(m.Title).Save(ctx)
	if err != nil {
		return err
	}
	var add func(items []MenuItem, parent *int) error
	add = func(items []MenuItem, parent *int) error {
		for i, it := range items {
			typ := menuitem.Type(it.Type)
			if err := menuitem.TypeValidator(typ); err != nil {
				return fmt.Errorf("item %q: %w", it.Title, err)
			}
			b := l.tx.MenuItem.Create().SetMenuID(created.ID).SetNillableParentID(parent).
				SetTitle(it.Title).SetType(typ).SetURL(it.URL).SetTags(it.Tags).SetPosition(i)
			if it.Resource != "" {
				kind, id, err := l.resource(typ, it.Resource)
				if err != nil {
					return fmt.Errorf("item %q: %w", it.Title, err)
				}
				b.SetResourceType(kind).SetResourceID(id)
			}
			item, err := b.Save(ctx)
			if err != nil {
				return fmt.Errorf("item %q: %w", it.Title, err)
			}
			if err := add(it.Items, &item.ID); err != nil {
				return err
			}
		}
		return nil
	}
	return add(m.Items, nil)
}

func (l *loader) resource(typ menuitem.Type, handle string) (string, int, error) {
	var (
		kind string
		ids  map[string]int
	)
	switch typ {
	case menuitem.TypePRODUCT:
		kind, ids = "Product", l.products
	case menuitem.TypeCOLLECTION:
		kind, ids = "Collection", l.collections
	case menuitem.TypePAGE:
		kind, ids = "Page", l.pages
	default:
		return "", 0, fmt.Errorf("a %s item links no resource", typ)
	}
	id, ok := ids[handle]
	if !ok {
		return "", 0, fmt.Errorf("unknown %s %q", strings.ToLower(kind), handle)
	}
	return kind, id, nil
}

// PlainText strips tags from HTML and unescapes entities, collapsing white space.
func PlainText(s string) string {
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(html.UnescapeString(b.String())), " ")
}

func summary(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}

func uniqueLower(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func positive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (l *loader) shippingZone(ctx context.Context, z ShippingZone) error {
	// The Admin API's own rules: one way in for a zone. A seed rate priced in several currencies is one
	// rate per currency.
	in := shipping.ZoneInput{Name: z.Name, Countries: z.Countries}
	for _, r := range z.Rates {
		for _, cur := range sortedKeys(r.Prices) {
			optional := func(m map[string]string) *string {
				if v, ok := m[cur]; ok {
					return &v
				}
				return nil
			}
			in.Rates = append(in.Rates, shipping.RateInput{Handle: r.Handle, Title: r.Title, Kind: r.Kind, Currency: cur,
				Amount: r.Prices[cur], MinWeightGrams: r.MinWeightGrams, MaxWeightGrams: r.MaxWeightGrams,
				MinSubtotal: optional(r.MinSubtotal), MaxSubtotal: optional(r.MaxSubtotal), FreeAbove: optional(r.FreeAbove)})
		}
	}
	_, errs, err := shipping.SaveZone(ctx, l.tx, 0, in)
	if err != nil {
		return err
	}
	if errs.Any() {
		return fmt.Errorf("%s: %s", strings.Join(errs[0].Field, "."), errs[0].Message)
	}
	return nil
}

// parseUnit reads a price or a rate, within money.MaxUnitAmount so that no total made of it can
// overflow.
func parseUnit(s, currency string) (money.Money, error) {
	m, err := money.Parse(s, currency)
	if err != nil {
		return money.Money{}, err
	}
	return m, money.CheckUnit(m)
}

func (l *loader) taxRate(ctx context.Context, r TaxRate) error {
	// The Admin API's own rules: one way in for a rate.
	class := r.TaxClass
	if class == "" {
		class = string(taxrate.TaxClassSTANDARD)
	}
	_, errs, err := tax.SaveRate(ctx, l.tx, 0, tax.RateInput{CountryCode: &r.CountryCode, ProvinceCode: &r.ProvinceCode,
		TaxClass: &class, Name: &r.Name, Rate: &r.Rate, Inclusive: &r.Inclusive, ShippingTaxable: &r.ShippingTaxable})
	if err != nil {
		return err
	}
	if errs.Any() {
		return fmt.Errorf("%s: %s", strings.Join(errs[0].Field, "."), errs[0].Message)
	}
	return nil
}
