package ent

import (
	"github.com/emporium/emporium/ent/schema"
	"github.com/emporium/emporium/gid"
)

// The methods below serve the GraphQL schema directly. Being plain methods, without a context, gqlgen
// resolves them inline instead of in a goroutine per field, which matters on lists of hundreds of
// variants.

// IsNode marks the types that the GraphQL API exposes through the Node interface.
func (*Product) IsNode()        {}
func (*ProductOption) IsNode()  {}
func (*ProductVariant) IsNode() {}
func (*Collection) IsNode()     {}
func (*Menu) IsNode()           {}
func (*MenuItem) IsNode()       {}
func (*Page) IsNode()           {}
func (*Shop) IsNode()           {}

// IsMenuItemResource marks the types a menu item can link to.
func (*Product) IsMenuItemResource()    {}
func (*Collection) IsMenuItemResource() {}
func (*Page) IsMenuItemResource()       {}

// GlobalID is the product's gid://emporium/Product/<id>.
func (p *Product) GlobalID() string { return gid.Encode("Product", p.ID) }

// GlobalID is the option's global ID. The Title option of a product without options is not stored
// (ID 0): its ID names the product instead, under a type of its own that node(id:) resolves.
func (o *ProductOption) GlobalID() string {
	if o.ID == 0 {
		return gid.Encode(DefaultOptionType, o.ProductID)
	}
	return gid.Encode("ProductOption", o.ID)
}

// DefaultOptionType is the global ID type of a product's unstored Title option.
const DefaultOptionType = "ProductDefaultOption"

// DisplayedOptions are the variant's selected options as the storefront shows them: Title: Default
// Title for the single variant of a product without options, as Shopify answers.
func (v *ProductVariant) DisplayedOptions() []schema.SelectedOption {
	if len(v.SelectedOptions) == 0 {
		return []schema.SelectedOption{{Name: schema.DefaultOptionName, Value: schema.DefaultOptionValue}}
	}
	return v.SelectedOptions
}

// GlobalID is the variant's global ID.
func (v *ProductVariant) GlobalID() string { return gid.Encode("ProductVariant", v.ID) }

// GlobalID is the image's global ID.
func (i *Image) GlobalID() string { return gid.Encode("ProductImage", i.ID) }

// GlobalID is the collection's global ID.
func (c *Collection) GlobalID() string { return gid.Encode("Collection", c.ID) }

// GlobalID is the menu's global ID.
func (m *Menu) GlobalID() string { return gid.Encode("Menu", m.ID) }

// GlobalID is the menu item's global ID.
func (m *MenuItem) GlobalID() string { return gid.Encode("MenuItem", m.ID) }

// GlobalID is the page's global ID.
func (p *Page) GlobalID() string { return gid.Encode("Page", p.ID) }

// GlobalID is the shop's global ID.
func (s *Shop) GlobalID() string { return gid.Encode("Shop", s.ID) }

func (*Customer) IsNode()        {}
func (*CustomerAddress) IsNode() {}
func (*StaffMember) IsNode()     {}
func (*PermissionGroup) IsNode() {}
func (*APIKey) IsNode()          {}

// GlobalID is the customer's global ID.
func (c *Customer) GlobalID() string { return gid.Encode("Customer", c.ID) }

// GlobalID is the address's global ID.
func (a *CustomerAddress) GlobalID() string { return gid.Encode("MailingAddress", a.ID) }

// GlobalID is the staff member's global ID.
func (m *StaffMember) GlobalID() string { return gid.Encode("StaffMember", m.ID) }

// GlobalID is the group's global ID.
func (g *PermissionGroup) GlobalID() string { return gid.Encode("PermissionGroup", g.ID) }

// GlobalID is the key's global ID.
func (k *APIKey) GlobalID() string { return gid.Encode("ApiKey", k.ID) }

func (*StorefrontAccessToken) IsNode() {}

// GlobalID is the storefront access token's global ID.
func (t *StorefrontAccessToken) GlobalID() string { return gid.Encode("StorefrontAccessToken", t.ID) }

// GlobalID is the audit entry's global ID.
func (a *AuditEntry) GlobalID() string { return gid.Encode("AuditEntry", a.ID) }

func (*Location) IsNode() {}

// GlobalID is the location's global ID.
func (l *Location) GlobalID() string { return gid.Encode("Location", l.ID) }

// GlobalID is the adjustment's global ID.
func (a *InventoryAdjustment) GlobalID() string { return gid.Encode("InventoryAdjustment", a.ID) }

func (*Cart) IsNode()                  {}
func (*CartLine) IsNode()              {}
func (*CartLine) IsBaseCartLine()      {}
func (*ProductVariant) IsMerchandise() {}

// GlobalID is the cart's global ID; its key is the cart's random token.
func (c *Cart) GlobalID() string { return gid.EncodeKey("Cart", c.ID) }

// GlobalID is the line's global ID.
func (l *CartLine) GlobalID() string { return gid.Encode("CartLine", l.ID) }

// IsCartAddress marks a cart's delivery address.
func (*CartAddress) IsCartAddress() {}

// GlobalID is the cart address's global ID.
func (a *CartAddress) GlobalID() string { return gid.Encode("CartSelectableAddress", a.ID) }

func (*Discount) IsNode() {}

// GlobalID is the discount's global ID.
func (d *Discount) GlobalID() string { return gid.Encode("Discount", d.ID) }

func (*Order) IsNode()       {}
func (*Fulfillment) IsNode() {}
func (*Refund) IsNode()      {}

// GlobalID is the order's global ID.
func (o *Order) GlobalID() string { return gid.Encode("Order", o.ID) }

// GlobalID is the order line's global ID.
func (l *OrderLine) GlobalID() string { return gid.Encode("OrderLineItem", l.ID) }

// GlobalID is the fulfillment's global ID.
func (f *Fulfillment) GlobalID() string { return gid.Encode("Fulfillment", f.ID) }

// GlobalID is the refund's global ID.
func (r *Refund) GlobalID() string { return gid.Encode("Refund", r.ID) }

// GlobalID is the event's global ID.
func (e *OrderEvent) GlobalID() string { return gid.Encode("OrderEvent", e.ID) }

// GlobalID is the subscription's global ID.
func (s *WebhookSubscription) GlobalID() string { return gid.Encode("WebhookSubscription", s.ID) }

// GlobalID is the delivery's global ID.
func (d *WebhookDelivery) GlobalID() string { return gid.Encode("WebhookDelivery", d.ID) }
