package inventory

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/hook"
	"github.com/emporium/emporium/ent/inventorylevel"
	"github.com/emporium/emporium/ent/location"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/validation"
)

// LowStock is a stock level that a movement took from above its low stock threshold to at or below it.
// AdjustmentID names the movement, so that each crossing is told once.
type LowStock struct {
	LevelID, VariantID, LocationID, AdjustmentID int
	Available, Threshold                         int
}

// Crossed says whether a movement from before to after units crossed threshold downwards: it is low
// stock at or below the threshold, and only the movement that makes it so counts, not every later sale.
func Crossed(before, after int, threshold *int) bool {
	return threshold != nil && before > *threshold && after <= *threshold
}

// OnLowStock calls alert, in the transaction of the movement, for every stock movement that crosses a
// level's low stock threshold. Every movement of any package (staff adjustments, orders taking and
// giving back stock) writes its row to the stock history, so watching that one write, rather than
// each caller, is what keeps a future caller from forgetting it. Movements must run in a transaction.
func OnLowStock(client *ent.Client, alert func(ctx context.Context, tx *ent.Tx, l LowStock) error) {
	client.InventoryAdjustment.Use(func(next ent.Mutator) ent.Mutator {
		return hook.InventoryAdjustmentFunc(func(ctx context.Context, m *ent.InventoryAdjustmentMutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || !m.Op().Is(ent.OpCreate) {
				return v, err
			}
			adj, ok := v.(*ent.InventoryAdjustment)
			if !ok || adj.Delta >= 0 {
				return v, nil
			}
			tx, err := m.Tx()
			if err != nil {
				return nil, fmt.Errorf("inventory: a stock movement outside a transaction: %w", err)
			}
			level, err := tx.InventoryLevel.Query().
				Where(inventorylevel.VariantID(adj.VariantID), inventorylevel.LocationID(adj.LocationID)).Only(ctx)
			if err != nil {
				return nil, fmt.Errorf("inventory: level of a movement: %w", err)
			}
			if !Crossed(adj.QuantityAfter-adj.Delta, adj.QuantityAfter, level.LowStockThreshold) {
				return v, nil
			}
			err = alert(ctx, tx, LowStock{LevelID: level.ID, VariantID: adj.VariantID, LocationID: adj.LocationID,
				AdjustmentID: adj.ID, Available: adj.QuantityAfter, Threshold: *level.LowStockThreshold})
			if err != nil {
				return nil, fmt.Errorf("inventory: low stock of level %d: %w", level.ID, err)
			}
			return v, nil
		})
	})
}

// SetLowStockThreshold sets the low stock threshold of a variant at a location; nil removes it. A level
// not yet stocked is made, empty.
func (s *Service) SetLowStockThreshold(ctx context.Context, variantID, locationID int, threshold *int) (*ent.InventoryLevel, validation.Errors, error) {
	var errs validation.Errors
	if threshold != nil && *threshold < 0 {
		errs.Add("input.lowStockThreshold", validation.Invalid, "Threshold can't be negative")
		return nil, errs, nil
	}
	okV, err := s.client.ProductVariant.Query().Where(productvariant.ID(variantID)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: threshold: %w", err)
	}
	okL, err := s.client.Location.Query().Where(location.ID(locationID)).Exist(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: threshold: %w", err)
	}
	if !okV || !okL {
		errs.Add("input", validation.NotFound, "Variant or location does not exist")
		return nil, errs, nil
	}
	// One statement that creates or updates, so two staff setting it at once never collide.
	err = s.client.InventoryLevel.Create().SetVariantID(variantID).SetLocationID(locationID).
		SetNillableLowStockThreshold(threshold).
		OnConflictColumns(inventorylevel.FieldVariantID, inventorylevel.FieldLocationID).
		Update(func(u *ent.InventoryLevelUpsert) {
			if threshold == nil {
				u.ClearLowStockThreshold()
			} else {
				u.SetLowStockThreshold(*threshold)
			}
		}).Exec(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: threshold: %w", err)
	}
	l, err := s.client.InventoryLevel.Query().
		Where(inventorylevel.VariantID(variantID), inventorylevel.LocationID(locationID)).Only(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: threshold: %w", err)
	}
	return l, nil, nil
}
