package graph

import (
	"context"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/discounts"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/inventory"
	"github.com/emporium/emporium/validation"
)

func decodeIDs(ids []string, typ string) ([]int, error) {
	out := make([]int, len(ids))
	for i, id := range ids {
		n, err := decodeID(id, typ)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func mediaInputs(in []*model.CreateMediaInput) []catalog.MediaInput {
	out := make([]catalog.MediaInput, len(in))
	for i, m := range in {
		out[i] = catalog.MediaInput{URL: m.OriginalSource, Alt: optionalString(m.Alt), Width: m.Width, Height: m.Height}
	}
	return out
}

func variantInputs(in []*model.ProductVariantsBulkInput) ([]catalog.VariantInput, error) {
	out := make([]catalog.VariantInput, len(in))
	for i, v := range in {
		vi := catalog.VariantInput{
			Price: v.Price, CompareAtPrice: v.CompareAtPrice, SKU: v.Sku, Barcode: v.Barcode, Taxable: v.Taxable,
			RequiresShipping: v.RequiresShipping, Weight: v.Weight, InventoryPolicy: v.InventoryPolicy, Tracked: v.Tracked,
		}
		if v.ID != nil {
			id, err := decodeID(*v.ID, "ProductVariant")
			if err != nil {
				return nil, err
			}
			vi.ID = &id
		}
		if v.WeightUnit != nil {
			u := string(*v.WeightUnit)
			vi.WeightUnit = &u
		}
		if v.OptionValues != nil {
			vi.OptionValues = []catalog.OptionValue{}
		}
		for _, o := range v.OptionValues {
			vi.OptionValues = append(vi.OptionValues, catalog.OptionValue{Option: o.OptionName, Value: o.Name})
		}
		for _, p := range v.Prices {
			vi.Prices = append(vi.Prices, catalog.PriceInput{Currency: p.CurrencyCode, Amount: p.Amount, CompareAt: p.CompareAtAmount})
		}
		for _, l := range v.InventoryQuantities {
			loc, err := decodeID(l.LocationID, "Location")
			if err != nil {
				return nil, err
			}
			vi.Inventory = append(vi.Inventory, catalog.LevelInput{LocationID: loc, Quantity: l.AvailableQuantity})
		}
		out[i] = vi
	}
	return out, nil
}

func productAndVariants(productID string, variants []*model.ProductVariantsBulkInput) (int, []catalog.VariantInput, error) {
	id, err := decodeID(productID, "Product")
	if err != nil {
		return 0, nil, err
	}
	in, err := variantInputs(variants)
	return id, in, err
}

// productIfNoErrors reads the product back for a payload, unless the mutation answered userErrors.
func (r *Resolver) productIfNoErrors(ctx context.Context, id int, failed bool) (*ent.Product, error) {
	if failed {
		return nil, nil
	}
	return r.client.Product.Get(ctx, id)
}

func (r *Resolver) collectionIfNoErrors(ctx context.Context, id int, failed bool) (*ent.Collection, error) {
	if failed {
		return nil, nil
	}
	return r.client.Collection.Get(ctx, id)
}

func collectionInput(in model.CollectionInput) (catalog.CollectionInput, error) {
	out := catalog.CollectionInput{Title: in.Title, Handle: in.Handle, DescriptionHTML: in.DescriptionHTML, SortOrder: in.SortOrder}
	if in.Seo != nil {
		out.SEOTitle, out.SEODescription = in.Seo.Title, in.Seo.Description
	}
	if in.Image != nil {
		out.Image = &catalog.MediaInput{URL: in.Image.Src, Alt: optionalString(in.Image.AltText), Width: in.Image.Width, Height: in.Image.Height}
	}
	if in.Products != nil {
		ids, err := decodeIDs(in.Products, "Product")
		if err != nil {
			return out, err
		}
		out.Products = ids
	}
	return out, nil
}

func (r *Resolver) changeCollection(ctx context.Context, id string, productIDs []string,
	change func(context.Context, int, []int) (validation.Errors, error)) (*ent.Collection, validation.Errors, error) {
	colID, err := decodeID(id, "Collection")
	if err != nil {
		return nil, nil, err
	}
	ids, err := decodeIDs(productIDs, "Product")
	if err != nil {
		return nil, nil, err
	}
	errs, err := change(ctx, colID, ids)
	if err != nil {
		return nil, nil, err
	}
	c, err := r.collectionIfNoErrors(ctx, colID, errs.Any())
	return c, errs, err
}

func menuItems(in []*model.MenuItemCreateInput) ([]catalog.MenuItemInput, error) {
	out := make([]catalog.MenuItemInput, len(in))
	for i, it := range in {
		mi := catalog.MenuItemInput{Title: it.Title, Type: string(it.Type), URL: optionalString(it.URL), Tags: it.Tags}
		if it.ResourceID != nil {
			ref, err := gid.Decode(*it.ResourceID)
			if err != nil {
				return nil, userError(err)
			}
			mi.ResourceType, mi.ResourceID = ref.Type, &ref.ID
		}
		children, err := menuItems(it.Items)
		if err != nil {
			return nil, err
		}
		mi.Items = children
		out[i] = mi
	}
	return out, nil
}

type inventoryChange struct {
	variantID, locationID string
	amount                int
}

func (r *Resolver) changeStock(ctx context.Context, reason string, in []inventoryChange, absolute bool) ([]*ent.InventoryAdjustment, validation.Errors, error) {
	changes := make([]inventory.Change, len(in))
	for i, c := range in {
		v, err := decodeID(c.variantID, "ProductVariant")
		if err != nil {
			return nil, nil, err
		}
		l, err := decodeID(c.locationID, "Location")
		if err != nil {
			return nil, nil, err
		}
		changes[i] = inventory.Change{VariantID: v, LocationID: l, Amount: c.amount}
	}
	actor := actorID(auth.ViewerFrom(ctx))
	if absolute {
		return r.inventory.Set(ctx, reason, actor, changes)
	}
	return r.inventory.Adjust(ctx, reason, actor, changes)
}

// stockLevel is l as the Admin API shows it; nil for nil.
func stockLevel(l *ent.InventoryLevel) *model.InventoryStockLevel {
	if l == nil {
		return nil
	}
	return &model.InventoryStockLevel{InventoryItemID: gid.Encode("ProductVariant", l.VariantID),
		LocationID: gid.Encode("Location", l.LocationID), Available: l.Available, LowStockThreshold: l.LowStockThreshold}
}

func actorID(v auth.Viewer) string {
	switch v.Kind {
	case auth.Staff:
		return gid.Encode("StaffMember", v.ID)
	case auth.APIKey:
		return gid.Encode("ApiKey", v.ID)
	}
	return ""
}

func discountInput(in model.DiscountInput) (discounts.DiscountInput, error) {
	out := discounts.DiscountInput{
		Title: in.Title, Code: in.Code, Kind: in.Kind, Target: in.Target, Percentage: in.Percentage, Amount: in.Amount,
		Currency: in.CurrencyCode, MinimumSubtotal: in.MinimumSubtotal, MinimumQuantity: in.MinimumQuantity,
		BuyQuantity: in.BuyQuantity, GetQuant: in.GetQuantity, UsageLimit: in.UsageLimit, OncePerCustomer: in.OncePerCustomer,
		StartsAt: in.StartsAt, EndsAt: in.EndsAt, CombinesWithProduct: in.CombinesWithProductDiscounts,
		CombinesWithOrder: in.CombinesWithOrderDiscounts, Active: in.Active,
		SetProducts: in.ProductIds != nil, SetCollections: in.CollectionIds != nil,
	}
	var err error
	if out.ProductIDs, err = decodeIDs(in.ProductIds, "Product"); err != nil {
		return out, err
	}
	out.CollectionIDs, err = decodeIDs(in.CollectionIds, "Collection")
	return out, err
}
