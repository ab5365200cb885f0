package inventory

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect/sql"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/location"
	"github.com/emporium/emporium/ent/predicate"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/keyset"
	"github.com/emporium/emporium/pagination"
)

// MaxLowStock bounds a low stock list.
const MaxLowStock = 100

// Levels returns a page of the stock levels of tracked variants, by level ID, with their variant (and its
// product) and location loaded. A non-empty search keeps the variants whose SKU or product title
// contains it, ignoring case; a non-zero variantID keeps that variant's.
func (s *Service) Levels(ctx context.Context, search string, variantID int, args pagination.Args) (keyset.Page[*ent.InventoryLevel], error) {
	w, err := pagination.NewWindow(args, "ID")
	if err != nil || w.Limit == 0 {
		return keyset.Page[*ent.InventoryLevel]{}, err
	}
	variant := []predicate.ProductVariant{productvariant.InventoryTracked(true)}
	if search = strings.TrimSpace(search); search != "" {
		variant = append(variant, productvariant.Or(productvariant.SkuContainsFold(search),
			productvariant.HasProductWith(product.TitleContainsFold(search))))
	}
	if variantID != 0 {
		variant = append(variant, productvariant.ID(variantID))
	}
	o := keyset.Order{Key: "ID"}
	var applyErr error
	rows, err := s.client.InventoryLevel.Query().
		Where(inventorylevel.HasVariantWith(variant...)).
		WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() }).WithLocation().
		Modify(func(sel *sql.Selector) { applyErr = o.Apply(sel, w, args.Reverse, inventorylevel.FieldID) }).
		All(ctx)
	if applyErr != nil {
		return keyset.Page[*ent.InventoryLevel]{}, applyErr
	}
	if err != nil {
		return keyset.Page[*ent.InventoryLevel]{}, fmt.Errorf("inventory: levels: %w", err)
	}
	return keyset.NewPage(w, o, rows, func(l *ent.InventoryLevel) int { return l.ID })
}

// LowStock returns at most n stock levels of tracked variants of unarchived products at active locations
// that are low: at or below threshold when it is given, else at or below the level's own low stock
// threshold (levels without one are then never low). The lowest come first, ties by level ID.
func (s *Service) LowStock(ctx context.Context, threshold *int, n int) ([]*ent.InventoryLevel, error) {
	if n <= 0 {
		return nil, nil
	}
	n = min(n, MaxLowStock)
	q := s.client.InventoryLevel.Query().Where(
		inventorylevel.HasVariantWith(productvariant.InventoryTracked(true),
			productvariant.HasProductWith(product.StatusNEQ(product.StatusARCHIVED))),
		inventorylevel.HasLocationWith(location.Active(true)),
	)
	if threshold != nil {
		q.Where(inventorylevel.AvailableLTE(*threshold))
	} else {
		q.Where(func(sel *sql.Selector) {
			sel.Where(sql.ColumnsLTE(sel.C(inventorylevel.FieldAvailable), sel.C(inventorylevel.FieldLowStockThreshold)))
		})
	}
	rows, err := q.WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() }).WithLocation().
		Order(ent.Asc(inventorylevel.FieldAvailable), ent.Asc(inventorylevel.FieldID)).Limit(n).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory: low stock: %w", err)
	}
	return rows, nil
}
