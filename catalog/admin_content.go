package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/language"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/menu"
	"github.com/emporium/emporium/ent/menuitem"
	"github.com/emporium/emporium/ent/page"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/validation"
)

// PageInput creates or changes a content page; nil fields stay as they are.
type PageInput struct {
	Title, Handle, Body, BodySummary, SEOTitle, SEODescription *string
	Published                                                  *bool
}

// SavePage creates (id 0) or changes a page.
func (c *Catalog) SavePage(ctx context.Context, id int, in PageInput) (*ent.Page, validation.Errors, error) {
	var errs validation.Errors
	var saved int
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		var current *ent.Page
		if id != 0 {
			var err error
			if current, err = tx.Page.Get(ctx, id); ent.IsNotFound(err) {
				errs = notFound("id", "Page does not exist")
				return nil
			} else if err != nil {
				return err
			}
		}
		title := optionalText(&errs, "page.title", in.Title, 255)
		if id == 0 && title == nil || title != nil && *title == "" {
			errs.Add("page.title", validation.Blank, "Title can't be blank")
		}
		handle := in.Handle
		if handle == nil && id == 0 && title != nil {
			h := Slugify(*title)
			handle = &h
		}
		if handle != nil {
			if !handlePattern.MatchString(*handle) {
				errs.Add("page.handle", validation.Invalid, "Handle may hold lowercase letters, digits and single dashes")
			} else if taken, err := tx.Page.Query().Where(page.Handle(*handle), page.IDNEQ(id)).Exist(ctx); err != nil || taken {
				errs.Add("page.handle", validation.Taken, "Handle has already been taken")
			}
		}
		if in.Body != nil && len(*in.Body) > 512*1024 {
			errs.Add("page.body", validation.TooLong, "Body is too long")
		}
		summary := optionalText(&errs, "page.bodySummary", in.BodySummary, 1000)
		seoTitle := optionalText(&errs, "page.seo.title", in.SEOTitle, 280)
		seoDesc := optionalText(&errs, "page.seo.description", in.SEODescription, 1280)
		if errs.Any() {
			return nil
		}
		if summary == nil && in.Body != nil {
			s := seed.PlainText(*in.Body)
			if r := []rune(s); len(r) > 150 {
				s = strings.TrimSpace(string(r[:150])) + "…"
			}
			summary = &s
		}
		publish := func(published bool, already bool, set func()) {
			if published && !already {
				set()
			}
		}
		if current == nil {
			b := tx.Page.Create().SetTitle(*title).SetHandle(*handle).SetNillableBody(in.Body).SetNillableBodySummary(summary).
				SetNillableSeoTitle(seoTitle).SetNillableSeoDescription(seoDesc)
			publish(in.Published == nil || *in.Published, false, func() { b.SetPublishedAt(now()) })
			p, err := b.Save(ctx)
			if err != nil {
				return err
			}
			saved = p.ID
			return nil
		}
		u := current.Update().SetNillableTitle(title).SetNillableHandle(handle).SetNillableBody(in.Body).
			SetNillableBodySummary(summary).SetNillableSeoTitle(seoTitle).SetNillableSeoDescription(seoDesc)
		if in.Published != nil {
			if *in.Published {
				publish(true, current.PublishedAt != nil, func() { u.SetPublishedAt(now()) })
			} else {
				u.ClearPublishedAt()
			}
		}
		saved = id
		return u.Exec(ctx)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: save page: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	p, err := c.client.Page.Get(ctx, saved)
	return p, nil, err
}

// DeletePage removes a page.
func (c *Catalog) DeletePage(ctx context.Context, id int) (validation.Errors, error) {
	n, err := c.client.Page.Delete().Where(page.ID(id)).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: delete page: %w", err)
	}
	if n == 0 {
		return notFound("id", "Page does not exist"), nil
	}
	return nil, nil
}

// MenuItemInput is a menu entry with nested entries.
type MenuItemInput struct {
	Title, Type, URL string
	// ResourceType and ResourceID name a Product, Collection or Page.
	ResourceType string
	ResourceID   *int
	Tags         []string
	Items        []MenuItemInput
}

const maxMenuItems = 250

// SaveMenu creates (id 0) or replaces a menu with its items.
func (c *Catalog) SaveMenu(ctx context.Context, id int, title string, handle *string, items []MenuItemInput) (*ent.Menu, validation.Errors, error) {
	var errs validation.Errors
	var saved int
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		title = errs.Text("title", title, 255)
		if title == "" {
			errs.Add("title", validation.Blank, "Title can't be blank")
		}
		if id == 0 && handle == nil {
			errs.Add("handle", validation.Blank, "Handle can't be blank")
		}
		if handle != nil {
			if !handlePattern.MatchString(*handle) {
				errs.Add("handle", validation.Invalid, "Handle may hold lowercase letters, digits and single dashes")
			} else if taken, err := tx.Menu.Query().Where(menu.Handle(*handle), menu.IDNEQ(id)).Exist(ctx); err != nil || taken {
				errs.Add("handle", validation.Taken, "Handle has already been taken")
			}
		}
		count := 0
		var check func(prefix string, items []MenuItemInput, depth int)
		check = func(prefix string, items []MenuItemInput, depth int) {
			for i, it := range items {
				field := fmt.Sprintf("%s.%d", prefix, i)
				count++
				if errs.Text(field+".title", it.Title, 255) == "" {
					errs.Add(field+".title", validation.Blank, "Title can't be blank")
				}
				if depth > 3 {
					errs.Add(field, validation.Invalid, "Menus nest at most 3 levels deep")
				}
				if it.ResourceID != nil {
					exists, err := resourceExists(ctx, tx, it.ResourceType, *it.ResourceID)
					if err != nil || !exists {
						errs.Add(field+".resourceId", validation.NotFound, "The linked resource does not exist")
					}
				}
				check(field+".items", it.Items, depth+1)
			}
		}
		check("items", items, 1)
		if count > maxMenuItems {
			errs.Add("items", validation.TooLong, fmt.Sprintf("A menu has at most %d items", maxMenuItems))
		}
		if errs.Any() {
			return nil
		}
		if id == 0 {
			m, err := tx.Menu.Create().SetTitle(title).SetHandle(*handle).Save(ctx)
			if err != nil {
				return err
			}
			saved = m.ID
		} else {
			n, err := tx.Menu.Update().Where(menu.ID(id)).SetTitle(title).SetNillableHandle(handle).Save(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				errs = notFound("id", "Menu does not exist")
				return nil
			}
			if _, err := tx.MenuItem.Delete().Where(menuitem.MenuID(id)).Exec(ctx); err != nil {
				return err
			}
			saved = id
		}
		var add func(items []MenuItemInput, parent *int) error
		add = func(items []MenuItemInput, parent *int) error {
			for i, it := range items {
				b := tx.MenuItem.Create().SetMenuID(saved).SetNillableParentID(parent).SetTitle(strings.TrimSpace(it.Title)).
					SetType(menuitem.Type(it.Type)).SetURL(it.URL).SetTags(it.Tags).SetPosition(i).
					SetResourceType(it.ResourceType).SetNillableResourceID(it.ResourceID)
				created, err := b.Save(ctx)
				if err != nil {
					return err
				}
				if err := add(it.Items, &created.ID); err != nil {
					return err
				}
			}
			return nil
		}
		return add(items, nil)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: save menu: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	m, err := c.client.Menu.Get(ctx, saved)
	return m, nil, err
}

func resourceExists(ctx context.Context, tx *ent.Tx, typ string, id int) (bool, error) {
	switch typ {
	case "Product":
		return tx.Product.Query().Where(product.ID(id)).Exist(ctx)
	case "Collection":
		return tx.Collection.Query().Where(collection.ID(id)).Exist(ctx)
	case "Page":
		return tx.Page.Query().Where(page.ID(id)).Exist(ctx)
	}
	return false, nil
}

// DeleteMenu removes a menu and its items.
func (c *Catalog) DeleteMenu(ctx context.Context, id int) (validation.Errors, error) {
	n, err := c.client.Menu.Delete().Where(menu.ID(id)).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: delete menu: %w", err)
	}
	if n == 0 {
		return notFound("id", "Menu does not exist"), nil
	}
	return nil, nil
}

// ShopInput changes the shop's settings; nil fields stay as they are.
type ShopInput struct {
	Name, Description, PrimaryDomain, Currency *string
	Currencies                                 []string
	// LogoURL and Locale are shown and used by the shop's emails.
	LogoURL, Locale *string
	// LegalName, VATNumber and Address are the seller's details invoices print.
	LegalName, VATNumber *string
	Address              map[string]string
}

// UpdateShop changes the shop's settings. A new default currency re-keys the PRICE sort of every
// product, in the same transaction.
func (c *Catalog) UpdateShop(ctx context.Context, in ShopInput) (*ent.Shop, validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		shop, err := tx.Shop.Query().First(ctx)
		if err != nil {
			return err
		}
		name := optionalText(&errs, "input.name", in.Name, 255)
		if name != nil && *name == "" {
			errs.Add("input.name", validation.Blank, "Name can't be blank")
		}
		desc := optionalText(&errs, "input.description", in.Description, 2000)
		if in.PrimaryDomain != nil && !strings.HasPrefix(*in.PrimaryDomain, "https://") && !strings.HasPrefix(*in.PrimaryDomain, "http://") {
			errs.Add("input.primaryDomain", validation.Invalid, "Primary domain must be an http(s) URL")
		}
		currency := shop.DefaultCurrency
		if in.Currency != nil {
			currency = *in.Currency
		}
		currencies := shop.Currencies
		if in.Currencies != nil {
			currencies = in.Currencies
		}
		if !slices.Contains(currencies, currency) {
			currencies = append([]string{currency}, currencies...)
		}
		for _, cur := range currencies {
			if !money.ValidCurrency(cur) {
				errs.Add("input.enabledPresentmentCurrencies", validation.Invalid, "Currency "+cur+" is invalid")
			}
		}
		if in.LogoURL != nil && *in.LogoURL != "" && !strings.HasPrefix(*in.LogoURL, "https://") && !strings.HasPrefix(*in.LogoURL, "http://") {
			errs.Add("input.logoUrl", validation.Invalid, "Logo URL must be an http(s) URL")
		}
		var locale *string
		if in.Locale != nil {
			tag, err := language.Parse(*in.Locale)
			if err != nil || len(*in.Locale) > 35 {
				errs.Add("input.locale", validation.Invalid, "Locale is invalid")
			} else {
				l := tag.String()
				locale = &l
			}
		}
		for field, v := range map[string]*string{"input.legalName": in.LegalName, "input.vatNumber": in.VATNumber} {
			if v != nil && len(*v) > 255 {
				errs.Add(field, validation.Invalid, "Too long (255 characters at most)")
			}
		}
		for k, v := range in.Address {
			if len(v) > 255 {
				errs.Add("input.address."+k, validation.Invalid, "Too long (255 characters at most)")
			}
		}
		if errs.Any() {
			return nil
		}
		up := shop.Update().SetNillableLegalName(in.LegalName).SetNillableVatNumber(in.VATNumber)
		if in.Address != nil {
			up.SetAddress(in.Address)
		}
		err = up.SetNillableName(name).SetNillableDescription(desc).SetNillablePrimaryDomain(in.PrimaryDomain).
			SetNillableLogoURL(in.LogoURL).SetNillableLocale(locale).
			SetDefaultCurrency(currency).SetCurrencies(currencies).Exec(ctx)
		if err != nil || currency == shop.DefaultCurrency {
			return err
		}
		ids, err := tx.Product.Query().IDs(ctx)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := refreshMinPrice(ctx, tx, id, currency); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: update shop: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	s, err := c.client.Shop.Query().First(ctx)
	return s, nil, err
}
