package catalog

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/validation"
)

// CreateVariants adds variants to a product.
func (c *Catalog) CreateVariants(ctx context.Context, productID int, in []VariantInput) ([]*ent.ProductVariant, validation.Errors, error) {
	return c.changeVariants(ctx, productID, in, true)
}

// UpdateVariants changes variants of a product; each input names its variant by ID.
func (c *Catalog) UpdateVariants(ctx context.Context, productID int, in []VariantInput) ([]*ent.ProductVariant, validation.Errors, error) {
	return c.changeVariants(ctx, productID, in, false)
}

func (c *Catalog) changeVariants(ctx context.Context, productID int, in []VariantInput, creating bool) ([]*ent.ProductVariant, validation.Errors, error) {
	var errs validation.Errors
	var ids []int
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		shop, err := tx.Shop.Query().First(ctx)
		if err != nil {
			return err
		}
		if err := checkVariantBounds(in, shop.DefaultCurrency); err != nil {
			return err
		}
		if ok, err := tx.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil || !ok {
			if err == nil {
				errs = notFound("productId", "Product does not exist")
			}
			return err
		}
		options, optionRows, err := productOptions(ctx, tx, productID)
		if err != nil {
			return err
		}
		existing, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID)).All(ctx)
		if err != nil {
			return err
		}
		if len(options) == 0 && creating && len(existing)+len(in) > 1 {
			errs.Add("variants", validation.Invalid, "A product without options has one variant")
			return nil
		}
		valid := c.validateVariants(ctx, tx, shop, productID, options, existing, in, creating, &errs)
		if errs.Any() {
			return nil
		}
		if err := saveOptionValues(ctx, tx, optionRows, options); err != nil {
			return err
		}
		if creating {
			before, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID)).IDs(ctx)
			if err != nil {
				return err
			}
			if err := createVariants(ctx, tx, productID, len(existing), valid); err != nil {
				return err
			}
			after, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID), productvariant.IDNotIn(before...)).
				Order(ent.Asc(productvariant.FieldPosition)).IDs(ctx)
			ids = after
			if err != nil {
				return err
			}
		} else {
			for _, vv := range valid {
				if err := updateVariant(ctx, tx, vv); err != nil {
					return err
				}
				ids = append(ids, *vv.in.ID)
			}
		}
		if err := refreshMinPrice(ctx, tx, productID, shop.DefaultCurrency); err != nil {
			return err
		}
		return c.recordProduct(ctx, tx, events.ProductsUpdate, productID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: variants: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	variants, err := c.client.ProductVariant.Query().Where(productvariant.IDIn(ids...)).
		Order(ent.Asc(productvariant.FieldPosition)).All(ctx)
	return variants, nil, err
}

func updateVariant(ctx context.Context, tx *ent.Tx, vv validVariant) error {
	v := vv.in
	u := tx.ProductVariant.UpdateOneID(*v.ID).SetNillableBarcode(v.Barcode).SetNillableTaxable(v.Taxable).
		SetNillableRequiresShipping(v.RequiresShipping).SetNillableWeight(v.Weight).SetNillableInventoryTracked(v.Tracked)
	if vv.selected != nil {
		u.SetSelectedOptions(vv.selected).SetTitle(variantTitle(vv.selected))
	}
	if v.SKU != nil {
		if *v.SKU == "" {
			u.ClearSku()
		} else {
			u.SetSku(*v.SKU)
		}
	}
	if v.WeightUnit != nil {
		u.SetWeightUnit(productvariant.WeightUnit(*v.WeightUnit))
	}
	if v.InventoryPolicy != nil {
		u.SetInventoryPolicy(productvariant.InventoryPolicy(*v.InventoryPolicy))
	}
	if err := u.Exec(ctx); err != nil {
		return err
	}
	return setPrices(ctx, tx, *v.ID, vv.parsed)
}

// DeleteVariants removes variants of a product; a product keeps at least one.
func (c *Catalog) DeleteVariants(ctx context.Context, productID int, ids []int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		shop, err := tx.Shop.Query().First(ctx)
		if err != nil {
			return err
		}
		total, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID)).Count(ctx)
		if err != nil {
			return err
		}
		owned, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID), productvariant.IDIn(ids...)).Count(ctx)
		if err != nil {
			return err
		}
		switch {
		case owned != len(ids):
			errs = notFound("variantsIds", "A variant does not exist on this product")
			return nil
		case owned >= total:
			errs.Add("variantsIds", validation.Invalid, "A product keeps at least one variant")
			return nil
		}
		if _, err := tx.ProductVariant.Delete().Where(productvariant.IDIn(ids...)).Exec(ctx); err != nil {
			return err
		}
		if err := refreshMinPrice(ctx, tx, productID, shop.DefaultCurrency); err != nil {
			return err
		}
		return c.recordProduct(ctx, tx, events.ProductsUpdate, productID)
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: delete variants: %w", err)
	}
	return errs, nil
}
