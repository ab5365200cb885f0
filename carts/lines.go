package carts

import (
	"context"
	"fmt"
	"slices"

	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/cartline"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/validation"
)

func checkQuantity(q int, field string, errs *validation.Errors) {
	switch {
	case q < 1:
		errs.Add(field, CodeLessThan, "Quantity must be at least 1")
	case q > maxQuantity:
		errs.Add(field, CodeMaximumExceeded, fmt.Sprintf("Quantity must be at most %d", maxQuantity))
	}
}

// sellable loads the variants that may be added to a cart in currency: of visible products, priced in
// the currency. Others are reported against their field. client is the cart's transaction's, if any
// (see catalog.Sales).
func (s *Service) sellable(ctx context.Context, client *ent.Client, ids []int, currency string, fields map[int]string, errs *validation.Errors) map[int]catalog.Sale {
	sales, err := s.catalog.Sales(ctx, client, ids)
	if err != nil {
		errs.Add("lines", CodeInvalid, "The variants could not be read")
		return nil
	}
	out := map[int]catalog.Sale{}
	for _, id := range ids {
		sale, ok := sales[id]
		switch {
		case !ok || !s.catalog.Visible(sale.Variant.Edges.Product):
			errs.Add(fields[id], CodeInvalidLine, "The merchandise does not exist or is not for sale")
		case !pricedIn(sale, currency):
			errs.Add(fields[id], CodeInvalidLine, fmt.Sprintf("The variant is not sold in %s", currency))
		default:
			out[id] = sale
		}
	}
	return out
}

func pricedIn(sale catalog.Sale, currency string) bool {
	_, ok := catalog.PriceIn(sale.Variant.Edges.Prices, currency, currency)
	return ok
}

// checkLineInputs checks the quantities and attributes of lines given at field, and that their variants
// may be sold in currency (see sellable). It returns the field of each variant, for errors found later,
// and the variants' sale data.
func (s *Service) checkLineInputs(ctx context.Context, client *ent.Client, lines []LineInput, currency, field string) (map[int]string, map[int]catalog.Sale, validation.Errors) {
	var errs validation.Errors
	fields := map[int]string{}
	var ids []int
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", field, i)
		checkQuantity(l.Quantity, f+".quantity", &errs)
		checkAttributes(l.Attributes, f+".attributes", &errs)
		fields[l.VariantID] = f + ".merchandiseId"
		ids = append(ids, l.VariantID)
	}
	sales := s.sellable(ctx, client, ids, currency, fields, &errs)
	return fields, sales, errs
}

// sameLine is the index of the line among lines that l adds to, the same variant with the same
// attributes, or -1.
func sameLine(lines []*ent.CartLine, l LineInput) int {
	return slices.IndexFunc(lines, func(e *ent.CartLine) bool {
		return e.VariantID == l.VariantID && slices.Equal(e.Attributes, l.Attributes)
	})
}

// addLines adds lines to cart c, which holds no lines yet when fresh, and returns the cart's lines.
func (s *Service) addLines(ctx context.Context, tx *ent.Tx, c *ent.Cart, fresh bool, lines []LineInput, field string) ([]*ent.CartLine, validation.Errors) {
	token := c.ID
	fields, variants, errs := s.checkLineInputs(ctx, tx.Client(), lines, c.Currency, field)
	if errs.Any() {
		return nil, errs
	}
	var existing []*ent.CartLine
	if !fresh {
		var err error
		if existing, err = tx.CartLine.Query().Where(cartline.CartID(token)).Order(ent.Asc(cartline.FieldID)).All(ctx); err != nil {
			errs.Add(field, CodeInvalid, "The cart could not be read")
			return nil, errs
		}
	}
	for _, l := range lines {
		if i := sameLine(existing, l); i >= 0 {
			existing[i].Quantity += l.Quantity
			if existing[i].Quantity > maxQuantity {
				errs.Add(fields[l.VariantID], CodeMaximumExceeded, fmt.Sprintf("Quantity must be at most %d", maxQuantity))
				return nil, errs
			}
			if err := tx.CartLine.UpdateOneID(existing[i].ID).SetQuantity(existing[i].Quantity).Exec(ctx); err != nil {
				errs.Add(field, CodeInvalid, "The line could not be saved")
				return nil, errs
			}
			continue
		}
		created, err := tx.CartLine.Create().SetCartID(token).SetVariantID(l.VariantID).SetQuantity(l.Quantity).
			SetAttributes(l.Attributes).Save(ctx)
		if err != nil {
			errs.Add(field, CodeInvalid, "The line could not be saved")
			return nil, errs
		}
		existing = append(existing, created)
	}
	if len(existing) > maxLines {
		errs.Add(field, CodeCartTooLarge, fmt.Sprintf("A cart holds at most %d lines", maxLines))
		return nil, errs
	}
	return existing, s.checkStock(ctx, tx.Client(), existing, fields, field, variants)
}

func (s *Service) updateLines(ctx context.Context, tx *ent.Tx, token string, updates []LineUpdate) validation.Errors {
	var errs validation.Errors
	c, err := tx.Cart.Get(ctx, token)
	if err != nil {
		errs.Add("lines", CodeInvalid, "The cart could not be read")
		return errs
	}
	existing, err := tx.CartLine.Query().Where(cartline.CartID(token)).All(ctx)
	if err != nil {
		errs.Add("lines", CodeInvalid, "The cart could not be read")
		return errs
	}
	fields := map[int]string{}
	var newVariants []int
	for i, u := range updates {
		f := fmt.Sprintf("lines.%d", i)
		if !slices.ContainsFunc(existing, func(e *ent.CartLine) bool { return e.ID == u.LineID }) {
			errs.Add(f+".id", CodeInvalidLine, "The line does not exist in this cart")
		}
		if u.Quantity != nil && *u.Quantity != 0 {
			checkQuantity(*u.Quantity, f+".quantity", &errs)
		}
		if u.Quantity != nil && *u.Quantity < 0 {
			errs.Add(f+".quantity", CodeLessThan, "Quantity can't be negative")
		}
		checkAttributes(u.Attributes, f+".attributes", &errs)
		if u.VariantID != nil {
			fields[*u.VariantID] = f + ".merchandiseId"
			newVariants = append(newVariants, *u.VariantID)
		}
	}
	if len(newVariants) > 0 {
		s.sellable(ctx, tx.Client(), newVariants, c.Currency, fields, &errs)
	}
	if errs.Any() {
		return errs
	}
	for _, u := range updates {
		if u.Quantity != nil && *u.Quantity == 0 {
			if err := tx.CartLine.DeleteOneID(u.LineID).Exec(ctx); err != nil {
				errs.Add("lines", CodeInvalid, "The line could not be removed")
				return errs
			}
			continue
		}
		m := tx.CartLine.UpdateOneID(u.LineID).SetNillableQuantity(u.Quantity).SetNillableVariantID(u.VariantID)
		if u.Attributes != nil {
			m.SetAttributes(u.Attributes)
		}
		if err := m.Exec(ctx); err != nil {
			errs.Add("lines", CodeInvalid, "The line could not be saved")
			return errs
		}
	}
	after, err := tx.CartLine.Query().Where(cartline.CartID(token)).All(ctx)
	if err != nil {
		errs.Add("lines", CodeInvalid, "The cart could not be read")
		return errs
	}
	for _, l := range after {
		if _, ok := fields[l.VariantID]; !ok {
			fields[l.VariantID] = "lines"
		}
	}
	return s.checkStock(ctx, tx.Client(), after, fields, "lines", nil)
}

// checkStock refuses quantities beyond stock for variants that are tracked and deny backorders. The
// cart only checks; stock is taken when an order is placed. known holds sale data read already.
func (s *Service) checkStock(ctx context.Context, client *ent.Client, lines []*ent.CartLine, fields map[int]string, field string, known map[int]catalog.Sale) validation.Errors {
	var errs validation.Errors
	totals := map[int]int{}
	var ids, missing []int
	for _, l := range lines {
		if _, seen := totals[l.VariantID]; !seen {
			ids = append(ids, l.VariantID)
			if _, ok := known[l.VariantID]; !ok {
				missing = append(missing, l.VariantID)
			}
		}
		totals[l.VariantID] += l.Quantity
	}
	sales := known
	if len(missing) > 0 {
		read, err := s.catalog.Sales(ctx, client, missing)
		if err != nil {
			errs.Add(field, CodeInvalid, "Stock could not be read")
			return errs
		}
		sales = make(map[int]catalog.Sale, len(ids))
		for id, sale := range known {
			sales[id] = sale
		}
		for id, sale := range read {
			sales[id] = sale
		}
	}
	for _, id := range ids {
		sale, ok := sales[id]
		if !ok {
			continue
		}
		v := sale.Variant
		a := catalog.VariantAvailability(v, sale.Stock)
		if a.Quantity != nil && !a.Backorder && v.InventoryPolicy == productvariant.InventoryPolicyDENY && totals[id] > *a.Quantity {
			f := fields[id]
			if f == "" {
				f = field
			}
			msg := fmt.Sprintf("Only %d of %s are in stock", *a.Quantity, v.Title)
			if *a.Quantity <= 0 {
				msg = v.Title + " is out of stock"
			}
			errs.Add(f, CodeInvalid, msg)
		}
	}
	return errs
}

// LinesOf returns a cart's lines in order (loaded with the cart).
func LinesOf(c *ent.Cart) []*ent.CartLine { return c.Edges.Lines }
