package catalog

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/image"
	"github.com/emporium/emporium/ent/location"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productoption"
	"github.com/emporium/emporium/ent/producttag"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/ent/variantprice"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/validation"
)

// Bounds on what one product may hold.
const (
	maxOptions      = 3
	maxOptionValues = 100
	maxVariants     = 250
	maxTags         = 250
	maxImages       = 250
)

// ProductInput creates or changes a product; nil fields are left as they are.
type ProductInput struct {
	Title, Handle, DescriptionHTML, Vendor, ProductType *string
	Tags                                                []string // nil leaves tags alone; empty clears them
	SetTags                                             bool
	Status                                              *string
	SEOTitle, SEODescription                            *string
	Options                                             []OptionInput  // creation only
	Variants                                            []VariantInput // creation only
	Media                                               []MediaInput
}

// OptionInput is an option with its values in display order.
type OptionInput struct {
	Name   string
	Values []string
}

// OptionValue picks a value of an option for a variant.
type OptionValue struct{ Option, Value string }

// PriceInput is a variant's price in one currency.
type PriceInput struct {
	Currency  string
	Amount    string
	CompareAt *string
}

// LevelInput is stock at a location.
type LevelInput struct {
	LocationID int
	Quantity   int
}

// VariantInput creates (ID nil) or changes a variant.
type VariantInput struct {
	ID                    *int
	OptionValues          []OptionValue
	Price, CompareAtPrice *string // in the shop's default currency
	Prices                []PriceInput
	SKU, Barcode          *string
	Taxable               *bool
	RequiresShipping      *bool
	Weight                *float64
	WeightUnit            *string
	InventoryPolicy       *string
	Tracked               *bool
	Inventory             []LevelInput
}

// MediaInput is an image by URL.
type MediaInput struct {
	URL, Alt      string
	Width, Height *int
}

var handlePattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Slugify makes a handle from a title: "Organic Cotton Tee" becomes "organic-cotton-tee".
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// CreateProduct validates and creates a product with its options, variants, prices, stock and images,
// in one transaction.
func (c *Catalog) CreateProduct(ctx context.Context, in ProductInput) (*ent.Product, validation.Errors, error) {
	var errs validation.Errors
	if in.Title == nil {
		errs.Add("product.title", validation.Blank, "Title can't be blank")
	}
	var created *ent.Product
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		shop, err := tx.Shop.Query().First(ctx)
		if err != nil {
			return fmt.Errorf("read shop: %w", err)
		}
		if err := checkVariantBounds(in.Variants, shop.DefaultCurrency); err != nil {
			return err
		}
		fields := c.productFields(ctx, tx, 0, in, &errs)
		options := validateOptions(in.Options, &errs)
		if len(in.Variants) == 0 {
			in.Variants = []VariantInput{{}}
		}
		variants := c.validateVariants(ctx, tx, shop, 0, options, nil, in.Variants, true, &errs)
		media := validateMedia(in.Media, &errs)
		if errs.Any() {
			return nil
		}
		b := tx.Product.Create().SetTitle(*fields.title).SetHandle(*fields.handle).SetStatus(product.StatusDRAFT)
		fields.applyCreate(b)
		if created, err = b.Save(ctx); err != nil {
			return err
		}
		if err := setTags(ctx, tx, created.ID, in.Tags); err != nil {
			return err
		}
		for i, o := range options {
			if err := tx.ProductOption.Create().SetProductID(created.ID).SetName(o.Name).SetValues(o.Values).SetPosition(i).Exec(ctx); err != nil {
				return err
			}
		}
		if err := addImages(ctx, tx, created.ID, 0, media); err != nil {
			return err
		}
		if err := createVariants(ctx, tx, created.ID, 0, variants); err != nil {
			return err
		}
		if err := refreshMinPrice(ctx, tx, created.ID, shop.DefaultCurrency); err != nil {
			return err
		}
		if err := c.recordProduct(ctx, tx, events.ProductsCreate, created.ID); err != nil {
			return err
		}
		created, err = tx.Product.Get(ctx, created.ID)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: create product: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	p, err := c.client.Product.Get(ctx, created.ID)
	return p, nil, err
}

// UpdateProduct changes a product's own fields.
func (c *Catalog) UpdateProduct(ctx context.Context, id int, in ProductInput) (*ent.Product, validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		p, err := tx.Product.Get(ctx, id)
		if ent.IsNotFound(err) {
			errs.Add("product.id", validation.NotFound, "Product does not exist")
			return nil
		}
		if err != nil {
			return err
		}
		fields := c.productFields(ctx, tx, id, in, &errs)
		if errs.Any() {
			return nil
		}
		u := p.Update()
		if fields.title != nil {
			u.SetTitle(*fields.title)
		}
		if fields.handle != nil {
			u.SetHandle(*fields.handle)
		}
		fields.applyUpdate(u, p)
		if err := u.Exec(ctx); err != nil {
			return err
		}
		if in.SetTags {
			if err := setTags(ctx, tx, id, in.Tags); err != nil {
				return err
			}
		}
		return c.recordProduct(ctx, tx, events.ProductsUpdate, id)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: update product: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	p, err := c.client.Product.Get(ctx, id)
	return p, nil, err
}

// DeleteProduct removes a product and everything it holds.
func (c *Catalog) DeleteProduct(ctx context.Context, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		n, err := tx.Product.Delete().Where(product.ID(id)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			errs = notFound("input.id", "Product does not exist")
			return nil
		}
		return c.events.Record(ctx, tx, events.ProductsDelete, "Product", id, DeletedPayload{ID: gid.Encode("Product", id)})
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: delete product: %w", err)
	}
	return errs, nil
}

// productFields is a validated ProductInput's own fields.
type productFields struct {
	title, handle, descriptionHTML, vendor, productType, status, seoTitle, seoDescription *string
}

func (c *Catalog) productFields(ctx context.Context, tx *ent.Tx, id int, in ProductInput, errs *validation.Errors) productFields {
	var f productFields
	text := func(field string, v *string, max int) *string {
		if v == nil {
			return nil
		}
		s := errs.Text(field, *v, max)
		return &s
	}
	f.title = text("product.title", in.Title, 255)
	if f.title != nil && *f.title == "" {
		errs.Add("product.title", validation.Blank, "Title can't be blank")
	}
	f.vendor = text("product.vendor", in.Vendor, 255)
	f.productType = text("product.productType", in.ProductType, 255)
	f.seoTitle = text("product.seo.title", in.SEOTitle, 70*4)
	f.seoDescription = text("product.seo.description", in.SEODescription, 320*4)
	if in.DescriptionHTML != nil {
		if len(*in.DescriptionHTML) > 512*1024 {
			errs.Add("product.descriptionHtml", validation.TooLong, "Description is too long")
		}
		f.descriptionHTML = in.DescriptionHTML
	}
	if in.Status != nil {
		if err := product.StatusValidator(product.Status(*in.Status)); err != nil {
			errs.Add("product.status", validation.Invalid, "Status is invalid")
		}
		f.status = in.Status
	}
	if len(in.Tags) > maxTags {
		errs.Add("product.tags", validation.TooLong, fmt.Sprintf("A product has at most %d tags", maxTags))
	}
	for _, t := range in.Tags {
		errs.Text("product.tags", t, 255)
	}
	switch {
	case in.Handle != nil:
		h := strings.TrimSpace(*in.Handle)
		if !handlePattern.MatchString(h) || len(h) > 255 {
			errs.Add("product.handle", validation.Invalid, "Handle may hold lowercase letters, digits and single dashes")
			break
		}
		taken, err := tx.Product.Query().Where(product.Handle(h), product.IDNEQ(id)).Exist(ctx)
		if err != nil || taken {
			errs.Add("product.handle", validation.Taken, "Handle has already been taken")
		}
		f.handle = &h
	case id == 0 && f.title != nil:
		h := uniqueHandle(ctx, tx, Slugify(*f.title))
		f.handle = &h
	}
	return f
}

// uniqueHandle adds -2, -3… to base until no product has it.
func uniqueHandle(ctx context.Context, tx *ent.Tx, base string) string {
	if base == "" {
		base = "product"
	}
	h := base
	for i := 2; ; i++ {
		if taken, err := tx.Product.Query().Where(product.Handle(h)).Exist(ctx); err != nil || !taken {
			return h
		}
		h = fmt.Sprintf("%s-%d", base, i)
	}
}

func (f productFields) applyCreate(b *ent.ProductCreate) {
	b.SetNillableDescriptionHTML(f.descriptionHTML).SetNillableVendor(f.vendor).SetNillableProductType(f.productType).
		SetNillableSeoTitle(f.seoTitle).SetNillableSeoDescription(f.seoDescription)
	if f.descriptionHTML != nil {
		b.SetDescription(seed.PlainText(*f.descriptionHTML))
	}
	if f.status != nil {
		b.SetStatus(product.Status(*f.status))
		if *f.status == string(product.StatusACTIVE) {
			b.SetPublishedAt(time.Now().UTC().Truncate(time.Microsecond))
		}
	}
}

func (f productFields) applyUpdate(u *ent.ProductUpdateOne, p *ent.Product) {
	u.SetNillableDescriptionHTML(f.descriptionHTML).SetNillableVendor(f.vendor).SetNillableProductType(f.productType).
		SetNillableSeoTitle(f.seoTitle).SetNillableSeoDescription(f.seoDescription)
	if f.descriptionHTML != nil {
		u.SetDescription(seed.PlainText(*f.descriptionHTML))
	}
	if f.status != nil {
		u.SetStatus(product.Status(*f.status))
		// Activating publishes: the storefront shows a product from its first activation on.
		if *f.status == string(product.StatusACTIVE) && p.PublishedAt == nil {
			u.SetPublishedAt(time.Now().UTC().Truncate(time.Microsecond))
		}
	}
}

func setTags(ctx context.Context, tx *ent.Tx, productID int, tags []string) error {
	clean := []string{}
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(clean, t) {
			clean = append(clean, t)
		}
	}
	if err := tx.Product.UpdateOneID(productID).SetTags(clean).Exec(ctx); err != nil {
		return err
	}
	if _, err := tx.ProductTag.Delete().Where(producttag.ProductID(productID)).Exec(ctx); err != nil {
		return err
	}
	var lower []string
	for _, t := range clean {
		if l := strings.ToLower(t); !slices.Contains(lower, l) {
			lower = append(lower, l)
		}
	}
	if len(lower) == 0 {
		return nil
	}
	return tx.ProductTag.MapCreateBulk(lower, func(b *ent.ProductTagCreate, i int) {
		b.SetProductID(productID).SetTag(lower[i])
	}).Exec(ctx)
}

func validateOptions(in []OptionInput, errs *validation.Errors) []OptionInput {
	if len(in) > maxOptions {
		errs.Add("product.productOptions", validation.TooLong, fmt.Sprintf("A product has at most %d options", maxOptions))
		return nil
	}
	var out []OptionInput
	for i, o := range in {
		field := fmt.Sprintf("product.productOptions.%d", i)
		name := errs.Text(field+".name", o.Name, 255)
		if name == "" {
			errs.Add(field+".name", validation.Blank, "Option name can't be blank")
		}
		if slices.ContainsFunc(out, func(x OptionInput) bool { return strings.EqualFold(x.Name, name) }) {
			errs.Add(field+".name", validation.Taken, "Option names must be unique")
		}
		if len(o.Values) == 0 || len(o.Values) > maxOptionValues {
			errs.Add(field+".values", validation.Invalid, fmt.Sprintf("An option has 1 to %d values", maxOptionValues))
		}
		var values []string
		for _, v := range o.Values {
			v = errs.Text(field+".values", v, 255)
			if v == "" || slices.Contains(values, v) {
				errs.Add(field+".values", validation.Invalid, "Option values must be unique and not blank")
				continue
			}
			values = append(values, v)
		}
		out = append(out, OptionInput{Name: name, Values: values})
	}
	return out
}

func validateMedia(in []MediaInput, errs *validation.Errors) []MediaInput {
	if len(in) > maxImages {
		errs.Add("media", validation.TooLong, fmt.Sprintf("At most %d images", maxImages))
	}
	for i, m := range in {
		u := strings.TrimSpace(m.URL)
		// A stored picture's URL is a path under /media/, which the media library serves.
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "/media/") || len(u) > 2048 {
			errs.Add(fmt.Sprintf("media.%d.originalSource", i), validation.Invalid, "Media source must be an http(s) URL")
		}
		if m.Width != nil && *m.Width <= 0 || m.Height != nil && *m.Height <= 0 {
			errs.Add(fmt.Sprintf("media.%d", i), validation.Invalid, "Width and height must be positive")
		}
		in[i].Alt = errs.Text(fmt.Sprintf("media.%d.alt", i), m.Alt, 512)
	}
	return in
}

func addImages(ctx context.Context, tx *ent.Tx, productID, firstPosition int, media []MediaInput) error {
	if len(media) == 0 {
		return nil
	}
	return tx.Image.MapCreateBulk(media, func(b *ent.ImageCreate, i int) {
		b.SetProductID(productID).SetURL(strings.TrimSpace(media[i].URL)).SetAltText(media[i].Alt).
			SetNillableWidth(media[i].Width).SetNillableHeight(media[i].Height).SetPosition(firstPosition + i)
	}).Exec(ctx)
}

// AddMedia adds images to a product after its existing ones.
func (c *Catalog) AddMedia(ctx context.Context, productID int, media []MediaInput) (validation.Errors, error) {
	var errs validation.Errors
	media = validateMedia(media, &errs)
	if errs.Any() {
		return errs, nil
	}
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		if ok, err := tx.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil || !ok {
			if err == nil {
				errs = notFound("productId", "Product does not exist")
			}
			return err
		}
		n, err := tx.Image.Query().Where(image.ProductID(productID)).Count(ctx)
		if err != nil {
			return err
		}
		if n+len(media) > maxImages {
			errs.Add("media", validation.TooLong, fmt.Sprintf("A product has at most %d images", maxImages))
			return nil
		}
		return addImages(ctx, tx, productID, n, media)
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: add media: %w", err)
	}
	return errs, nil
}

// MaxWeight bounds a variant's weight in its unit (1,000 tonnes in kilograms), so that a parcel's
// grams, weight × quantity over a cart, stay far inside int64.
const MaxWeight = 1_000_000

// checkVariantBounds refuses prices beyond money.MaxUnitAmount and weights beyond MaxWeight as bad
// input (BAD_USER_INPUT), before anything is written: such values would overflow a cart's totals.
// defaultCurrency is the currency of Price and CompareAtPrice.
func checkVariantBounds(in []VariantInput, defaultCurrency string) error {
	check := func(field string, amount *string, currency string) error {
		if amount == nil || !money.ValidCurrency(currency) {
			return nil
		}
		m, err := money.Parse(*amount, currency)
		if err == nil {
			err = money.CheckUnit(m)
		}
		if errors.Is(err, money.ErrOutOfRange) {
			return fmt.Errorf("%w: %s: %s is out of range (at most %s %s)", ErrInvalidInput, field, *amount,
				money.New(money.MaxUnitAmount, currency).Decimal(), currency)
		}
		return nil // other mistakes are userErrors of validateVariants
	}
	for i, v := range in {
		field := fmt.Sprintf("variants.%d", i)
		if err := errors.Join(check(field+".price", v.Price, defaultCurrency),
			check(field+".compareAtPrice", v.CompareAtPrice, defaultCurrency)); err != nil {
			return err
		}
		for _, p := range v.Prices {
			if err := errors.Join(check(field+".prices.amount", &p.Amount, p.Currency),
				check(field+".prices.compareAt", p.CompareAt, p.Currency)); err != nil {
				return err
			}
		}
		if v.Weight != nil && (*v.Weight > MaxWeight || math.IsNaN(*v.Weight) || math.IsInf(*v.Weight, 0)) {
			return fmt.Errorf("%w: %s.weight: %g is out of range (at most %d)", ErrInvalidInput, field, *v.Weight, MaxWeight)
		}
	}
	return nil
}

// validVariant is a VariantInput after validation.
type validVariant struct {
	in       VariantInput
	selected []schema.SelectedOption
	prices   []PriceInput // every currency, the default included
	parsed   map[string][2]*int64
}

// validateVariants checks variants against the product's options (adding new values to them), the
// shop's currencies, SKU uniqueness and locations. existing are the product's variants on update.
func (c *Catalog) validateVariants(ctx context.Context, tx *ent.Tx, shop *ent.Shop, productID int, options []OptionInput,
	existing []*ent.ProductVariant, in []VariantInput, creating bool, errs *validation.Errors) []validVariant {
	if len(in) > maxVariants || len(existing)+countNew(in) > maxVariants {
		errs.Add("variants", validation.TooLong, fmt.Sprintf("A product has at most %d variants", maxVariants))
		return nil
	}
	combos := map[string]bool{}
	for _, v := range existing {
		if !slices.ContainsFunc(in, func(x VariantInput) bool { return x.ID != nil && *x.ID == v.ID && x.OptionValues != nil }) {
			combos[comboKey(v.SelectedOptions)] = true
		}
	}
	skus := map[string]bool{}
	var out []validVariant
	for i, v := range in {
		field := fmt.Sprintf("variants.%d", i)
		vv := validVariant{in: v, parsed: map[string][2]*int64{}}
		if v.ID == nil && !creating {
			errs.Add(field+".id", validation.Blank, "Give the ID of the variant to update")
			continue
		}
		if v.ID != nil && creating {
			errs.Add(field+".id", validation.Invalid, "A new variant has no ID")
			continue
		}
		if v.ID != nil && !slices.ContainsFunc(existing, func(e *ent.ProductVariant) bool { return e.ID == *v.ID }) {
			errs.Add(field+".id", validation.NotFound, "Variant does not exist on this product")
			continue
		}
		if creating || v.OptionValues != nil {
			vv.selected = selectOptions(field, options, v.OptionValues, errs)
			if key := comboKey(vv.selected); combos[key] {
				errs.Add(field+".optionValues", validation.Taken, "Another variant has these option values")
			} else {
				combos[key] = true
			}
		}
		if creating && v.Price == nil {
			errs.Add(field+".price", validation.Blank, "Price can't be blank")
		}
		if v.Price != nil {
			vv.prices = append(vv.prices, PriceInput{Currency: shop.DefaultCurrency, Amount: *v.Price, CompareAt: v.CompareAtPrice})
		}
		for _, p := range v.Prices {
			if !slices.Contains(shop.Currencies, p.Currency) {
				errs.Add(field+".prices", validation.Invalid, fmt.Sprintf("The shop does not sell in %s", p.Currency))
				continue
			}
			if p.Currency == shop.DefaultCurrency && v.Price != nil {
				errs.Add(field+".prices", validation.Invalid, "The default currency's price is given twice")
				continue
			}
			vv.prices = append(vv.prices, p)
		}
		for _, p := range vv.prices {
			amount, err := money.Parse(p.Amount, p.Currency)
			if err != nil || amount.Amount < 0 {
				errs.Add(field+".price", validation.Invalid, fmt.Sprintf("Price %q is not a non-negative %s amount", p.Amount, p.Currency))
				continue
			}
			pair := [2]*int64{&amount.Amount, nil}
			if p.CompareAt != nil {
				at, err := money.Parse(*p.CompareAt, p.Currency)
				if err != nil || at.Amount < 0 {
					errs.Add(field+".compareAtPrice", validation.Invalid, "Compare-at price is not a non-negative amount")
					continue
				}
				pair[1] = &at.Amount
			}
			vv.parsed[p.Currency] = pair
		}
		if v.SKU != nil {
			sku := errs.Text(field+".sku", *v.SKU, 255)
			vv.in.SKU = &sku
			if sku != "" {
				q := tx.ProductVariant.Query().Where(productvariant.Sku(sku))
				if v.ID != nil {
					q = q.Where(productvariant.IDNEQ(*v.ID))
				}
				taken, err := q.Exist(ctx)
				if err != nil || taken || skus[sku] {
					errs.Add(field+".sku", validation.Taken, "SKU has already been taken")
				}
				skus[sku] = true
			}
		}
		if v.InventoryPolicy != nil && productvariant.InventoryPolicyValidator(productvariant.InventoryPolicy(*v.InventoryPolicy)) != nil {
			errs.Add(field+".inventoryPolicy", validation.Invalid, "Inventory policy is invalid")
		}
		if v.Weight != nil && *v.Weight < 0 {
			errs.Add(field+".weight", validation.Invalid, "Weight can't be negative")
		}
		if len(v.Inventory) > 0 && !creating {
			errs.Add(field+".inventoryQuantities", validation.Invalid, "Change stock with inventorySetQuantities")
		}
		for _, l := range v.Inventory {
			ok, err := tx.Location.Query().Where(location.ID(l.LocationID)).Exist(ctx)
			if err != nil || !ok {
				errs.Add(field+".inventoryQuantities", validation.NotFound, "Location does not exist")
			}
			if l.Quantity < 0 {
				errs.Add(field+".inventoryQuantities", validation.Invalid, "Quantity can't be negative")
			}
		}
		out = append(out, vv)
	}
	return out
}

func countNew(in []VariantInput) int {
	n := 0
	for _, v := range in {
		if v.ID == nil {
			n++
		}
	}
	return n
}

// selectOptions maps a variant's option values onto the product's options, adding values an option
// lacks (as the Admin API does). Every option needs exactly one value.
func selectOptions(field string, options []OptionInput, values []OptionValue, errs *validation.Errors) []schema.SelectedOption {
	if len(options) == 0 {
		if len(values) > 0 {
			errs.Add(field+".optionValues", validation.Invalid, "The product has no options")
		}
		return nil
	}
	selected := make([]schema.SelectedOption, len(options))
	for _, v := range values {
		i := slices.IndexFunc(options, func(o OptionInput) bool { return strings.EqualFold(o.Name, v.Option) })
		if i < 0 {
			errs.Add(field+".optionValues", validation.NotFound, fmt.Sprintf("The product has no option %q", v.Option))
			continue
		}
		if selected[i].Name != "" {
			errs.Add(field+".optionValues", validation.Invalid, fmt.Sprintf("Option %q is given twice", v.Option))
			continue
		}
		value := strings.TrimSpace(v.Value)
		if value == "" || len(value) > 255 {
			errs.Add(field+".optionValues", validation.Invalid, "Option values are 1 to 255 characters")
			continue
		}
		if !slices.Contains(options[i].Values, value) {
			if len(options[i].Values) >= maxOptionValues {
				errs.Add(field+".optionValues", validation.TooLong, "The option has too many values")
				continue
			}
			options[i].Values = append(options[i].Values, value)
		}
		selected[i] = schema.SelectedOption{Name: options[i].Name, Value: value}
	}
	for i, s := range selected {
		if s.Name == "" {
			errs.Add(field+".optionValues", validation.Blank, fmt.Sprintf("Give a value for option %q", options[i].Name))
		}
	}
	return selected
}

func comboKey(sel []schema.SelectedOption) string {
	parts := make([]string, len(sel))
	for i, s := range sel {
		parts[i] = strings.ToLower(s.Name) + "=" + strings.ToLower(s.Value)
	}
	return strings.Join(parts, "\x00")
}

func variantTitle(sel []schema.SelectedOption) string {
	if len(sel) == 0 {
		return "Default Title"
	}
	vals := make([]string, len(sel))
	for i, s := range sel {
		vals[i] = s.Value
	}
	return strings.Join(vals, " / ")
}

func createVariants(ctx context.Context, tx *ent.Tx, productID, firstPosition int, variants []validVariant) error {
	for i, vv := range variants {
		v := vv.in
		b := tx.ProductVariant.Create().SetProductID(productID).SetTitle(variantTitle(vv.selected)).
			SetSelectedOptions(vv.selected).SetPosition(firstPosition + i).SetNillableBarcode(v.Barcode).
			SetNillableTaxable(v.Taxable).SetNillableRequiresShipping(v.RequiresShipping).SetNillableWeight(v.Weight).
			SetNillableInventoryTracked(v.Tracked)
		if v.SKU != nil && *v.SKU != "" {
			b.SetSku(*v.SKU)
		}
		if v.WeightUnit != nil {
			b.SetWeightUnit(productvariant.WeightUnit(*v.WeightUnit))
		}
		if v.InventoryPolicy != nil {
			b.SetInventoryPolicy(productvariant.InventoryPolicy(*v.InventoryPolicy))
		}
		created, err := b.Save(ctx)
		if err != nil {
			return err
		}
		if err := setPrices(ctx, tx, created.ID, vv.parsed); err != nil {
			return err
		}
		for _, l := range v.Inventory {
			if err := tx.InventoryLevel.Create().SetVariantID(created.ID).SetLocationID(l.LocationID).SetAvailable(l.Quantity).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func setPrices(ctx context.Context, tx *ent.Tx, variantID int, prices map[string][2]*int64) error {
	for _, cur := range sortedCurrencies(prices) {
		p := prices[cur]
		if _, err := tx.VariantPrice.Delete().Where(variantprice.VariantID(variantID), variantprice.Currency(cur)).Exec(ctx); err != nil {
			return err
		}
		if err := tx.VariantPrice.Create().SetVariantID(variantID).SetCurrency(cur).SetAmount(*p[0]).
			SetNillableCompareAtAmount(p[1]).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

func sortedCurrencies(m map[string][2]*int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// refreshMinPrice keeps the PRICE sort key equal to the lowest variant price in the default currency.
func refreshMinPrice(ctx context.Context, tx *ent.Tx, productID int, currency string) error {
	prices, err := tx.VariantPrice.Query().
		Where(variantprice.Currency(currency), variantprice.HasVariantWith(productvariant.ProductID(productID))).All(ctx)
	if err != nil {
		return err
	}
	var lowest int64
	for i, p := range prices {
		if i == 0 || p.Amount < lowest {
			lowest = p.Amount
		}
	}
	return tx.Product.UpdateOneID(productID).SetMinPrice(lowest).Exec(ctx)
}

// productOptions reads a product's options as inputs, for validating variants against them.
func productOptions(ctx context.Context, tx *ent.Tx, productID int) ([]OptionInput, []*ent.ProductOption, error) {
	rows, err := tx.ProductOption.Query().Where(productoption.ProductID(productID)).
		Order(ent.Asc(productoption.FieldPosition)).All(ctx)
	if err != nil {
		return nil, nil, err
	}
	out := make([]OptionInput, len(rows))
	for i, o := range rows {
		out[i] = OptionInput{Name: o.Name, Values: slices.Clone(o.Values)}
	}
	return out, rows, nil
}

// saveOptionValues writes back values that variants added to options.
func saveOptionValues(ctx context.Context, tx *ent.Tx, rows []*ent.ProductOption, options []OptionInput) error {
	for i, o := range rows {
		if len(options[i].Values) != len(o.Values) {
			if err := o.Update().SetValues(options[i].Values).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func notFound(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.NotFound, message)
	return errs
}
