package carts

import (
	"errors"
	"fmt"
	"time"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/money"
	"github.com/emporium/emporium/shipping"
	"github.com/emporium/emporium/tax"
)

// PriceInput is what pricing a cart reads: its lines' variants and prices, their products (always: a
// line of a product no longer on sale is reported in Pricing.Unsellable) and
// collections, the shop's discounts and shipping zones, and a tax provider.
type PriceInput struct {
	Cart        *ent.Cart
	Variants    map[int]*ent.ProductVariant
	Prices      map[int][]*ent.VariantPrice
	Products    map[int]*ent.Product
	Collections map[int][]int // product ID -> collection IDs
	Discounts   []*ent.Discount
	Zones       []*ent.ShippingZone
	Now         time.Time
	Tax         func(tax.Request) (tax.Result, error)
	// Used holds the once-per-customer discounts the buyer has used already.
	Used map[int]bool
}

// Pricing is a cart's whole price.
type Pricing struct {
	Lines     map[int]LineCost // by line ID; Total is after the line's discounts
	Discounts discounts.Result
	Group     *Group
	Tax       *tax.Result
	Subtotal  money.Money // lines before discounts
	Total     money.Money // what the buyer pays
	// Unsellable are the lines that can no longer be bought, in line order; a cart with any cannot be
	// completed (see CheckSellable).
	Unsellable []UnsellableLine
}

// UnsellableLine is a cart line that was sellable when added and is no longer: its product was set to
// draft or archived or unpublished, its variant deleted, or its price in the cart's currency removed.
type UnsellableLine struct {
	LineID  int
	Message string
}

// CodeNotForSale is the code of a cart warning, and of a failed completion, for unsellable lines.
const CodeNotForSale = "MERCHANDISE_NOT_FOR_SALE"

// CheckSellable returns a message naming what cannot be bought when p has unsellable lines, or "".
// Completion calls it on a Quote, which reads the catalog fresh.
func CheckSellable(p *Pricing) string {
	if len(p.Unsellable) == 0 {
		return ""
	}
	return p.Unsellable[0].Message
}

// unsellable says why line l cannot be bought now, or "".
func unsellable(in PriceInput, l *ent.CartLine, priced bool) string {
	v := in.Variants[l.VariantID]
	switch {
	case v == nil:
		return "A product in the cart no longer exists."
	case !catalog.OnSale(in.Products[v.ProductID], in.Now):
		return fmt.Sprintf("%s is no longer for sale.", productTitle(in.Products[v.ProductID]))
	case !priced:
		return fmt.Sprintf("%s is no longer sold in %s.", productTitle(in.Products[v.ProductID]), in.Cart.Currency)
	}
	return ""
}

func productTitle(p *ent.Product) string {
	if p == nil {
		return "A product in the cart"
	}
	return p.Title
}

// Price works out a cart's price. Discounts come first (they lower what shipping thresholds and tax
// see), then delivery is quoted on the discounted lines, then shipping discounts, then tax on the
// discounted amounts.
func Price(in PriceInput) (*Pricing, error) {
	c := in.Cart
	p := &Pricing{Lines: map[int]LineCost{}, Subtotal: money.New(0, c.Currency)}
	var dl []discounts.Line
	for _, l := range c.Edges.Lines {
		lc, err := CostOfLine(l, in.Prices[l.VariantID], c.Currency)
		priced := !errors.Is(err, ErrNoPrice)
		if !priced {
			// Its price was removed: the line costs nothing here and the cart cannot be completed.
			lc, err = LineCost{PerUnit: money.New(0, c.Currency), Subtotal: money.New(0, c.Currency), Total: money.New(0, c.Currency)}, nil
		}
		if err != nil {
			return nil, err
		}
		if why := unsellable(in, l, priced); why != "" {
			p.Unsellable = append(p.Unsellable, UnsellableLine{LineID: l.ID, Message: why})
		}
		p.Lines[l.ID] = lc
		p.Subtotal.Amount += lc.Subtotal.Amount
		productID := 0
		if v := in.Variants[l.VariantID]; v != nil {
			productID = v.ProductID
		}
		dl = append(dl, discounts.Line{Key: l.ID, ProductID: productID, CollectionIDs: in.Collections[productID],
			UnitPrice: lc.PerUnit, Quantity: l.Quantity})
	}
	dIn := discounts.Input{Currency: c.Currency, Lines: dl, Codes: c.DiscountCodes, Now: in.Now, Used: in.Used}
	lineDiscounts := discounts.Apply(in.Discounts, dIn)
	discounted := map[int]LineCost{}
	for id, lc := range p.Lines {
		lc.Total = money.New(lc.Subtotal.Amount-lineDiscounts.LineDiscount[id], c.Currency)
		discounted[id] = lc
	}
	group, err := quoteDiscounted(c, in, discounted)
	if err != nil {
		return nil, err
	}
	p.Group = group
	if group != nil && group.Selected != nil {
		cost := group.Selected.Cost
		dIn.Shipping = &cost
	}
	p.Discounts = discounts.Apply(in.Discounts, dIn)
	for id, lc := range p.Lines {
		lc.Total = money.New(lc.Subtotal.Amount-p.Discounts.LineDiscount[id], c.Currency)
		p.Lines[id] = lc
	}
	ordered := make([]LineCost, len(c.Edges.Lines))
	for i, l := range c.Edges.Lines {
		ordered[i] = p.Lines[l.ID]
	}
	shippedGroup := group
	if group != nil && group.Selected != nil && p.Discounts.ShippingDiscount > 0 {
		free := *group.Selected
		free.Cost = money.New(free.Cost.Amount-p.Discounts.ShippingDiscount, c.Currency)
		shippedGroup = &Group{Options: group.Options, Selected: &free}
	}
	if req := TaxRequest(c, ordered, in.Variants, in.Products, shippedGroup); req != nil && in.Tax != nil {
		res, err := in.Tax(*req)
		if err != nil {
			return nil, err
		}
		if res.Total.Currency == "" {
			res.Total = money.New(0, c.Currency)
		}
		p.Tax = &res
	}
	linesTotal := money.New(p.Subtotal.Amount-p.Discounts.Total.Amount+p.Discounts.ShippingDiscount, c.Currency)
	if p.Total, err = Total(linesTotal, shippedGroup, p.Tax); err != nil {
		return nil, err
	}
	return p, nil
}

// quoteDiscounted quotes delivery with lines at their discounted amounts.
func quoteDiscounted(c *ent.Cart, in PriceInput, lines map[int]LineCost) (*Group, error) {
	address := SelectedAddress(c)
	if address == nil {
		return nil, nil
	}
	parcel := shipping.Parcel{CountryCode: address.CountryCode, Subtotal: money.New(0, c.Currency)}
	ships := false
	for _, l := range c.Edges.Lines {
		v := in.Variants[l.VariantID]
		if v == nil || !v.RequiresShipping {
			continue
		}
		ships = true
		parcel.Subtotal.Amount += lines[l.ID].Total.Amount
		parcel.WeightGrams += shipping.Grams(v.Weight, v.WeightUnit) * int64(l.Quantity)
	}
	if !ships {
		return nil, nil
	}
	g := &Group{Options: shipping.Quote(in.Zones, parcel)}
	if c.DeliveryOption != nil {
		for i, o := range g.Options {
			if o.Handle == *c.DeliveryOption {
				g.Selected = &g.Options[i]
			}
		}
	}
	return g, nil
}
