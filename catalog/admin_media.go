package catalog

import (
	"context"
	"fmt"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/image"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/ent/productvariant"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/validation"
)

// DeleteMedia removes images from a product, and from its variants that showed them, in one
// transaction. It returns the URLs the removed images showed, for the media library to release once
// nothing else shows them.
func (c *Catalog) DeleteMedia(ctx context.Context, productID int, imageIDs []int) ([]int, []string, validation.Errors, error) {
	var errs validation.Errors
	var urls []string
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		if ok, err := tx.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil || !ok {
			if err == nil {
				errs = notFound("productId", "Product does not exist")
			}
			return err
		}
		imgs, err := tx.Image.Query().Where(image.IDIn(imageIDs...), image.ProductID(productID)).All(ctx)
		if err != nil {
			return err
		}
		if len(imgs) != len(uniqueInts(imageIDs)) {
			errs.Add("mediaIds", validation.NotFound, "Some media do not exist on this product")
			return nil
		}
		if err := tx.ProductVariant.Update().Where(productvariant.ImageIDIn(imageIDs...)).ClearImageID().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.Image.Delete().Where(image.IDIn(imageIDs...)).Exec(ctx); err != nil {
			return err
		}
		for _, img := range imgs {
			urls = append(urls, img.URL)
		}
		// Touch the product so that caches of its answers are invalidated with it.
		return tx.Product.UpdateOneID(productID).Exec(ctx)
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("catalog: delete media: %w", err)
	}
	if errs.Any() {
		return nil, nil, errs, nil
	}
	return uniqueInts(imageIDs), urls, nil, nil
}

// MediaChange is a change to one of a product's images; a nil Alt keeps the image's alt text.
type MediaChange struct {
	ImageID int
	Alt     *string
}

// UpdateMedia changes the alt text of a product's images in one transaction: all of them, or none when
// any is invalid or not the product's. It returns the images in the order given.
func (c *Catalog) UpdateMedia(ctx context.Context, productID int, in []MediaChange) ([]*ent.Image, validation.Errors, error) {
	var errs validation.Errors
	if len(in) == 0 {
		errs.Add("media", validation.Blank, "Give at least one image")
	}
	if len(in) > maxImages {
		errs.Add("media", validation.TooLong, fmt.Sprintf("At most %d images", maxImages))
	}
	ids := make([]int, len(in))
	for i, m := range in {
		if m.Alt != nil {
			alt := errs.Text(fmt.Sprintf("media.%d.alt", i), *m.Alt, 512)
			in[i].Alt = &alt
		}
		ids[i] = m.ImageID
	}
	if errs.Any() {
		return nil, errs, nil
	}
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		if ok, err := tx.Product.Query().Where(product.ID(productID)).Exist(ctx); err != nil || !ok {
			if err == nil {
				errs = notFound("productId", "Product does not exist")
			}
			return err
		}
		n, err := tx.Image.Query().Where(image.IDIn(ids...), image.ProductID(productID)).Count(ctx)
		if err != nil {
			return err
		}
		if n != len(uniqueInts(ids)) {
			errs.Add("media", validation.NotFound, "Some media do not exist on this product")
			return nil
		}
		for _, m := range in {
			if m.Alt == nil {
				continue
			}
			if err := tx.Image.UpdateOneID(m.ImageID).SetAltText(*m.Alt).Exec(ctx); err != nil {
				return err
			}
		}
		// The storefront shows alt texts: its cached answers and subscribers learn of the change.
		return c.recordProduct(ctx, tx, events.ProductsUpdate, productID)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: update media: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	imgs, err := c.client.Image.Query().Where(image.IDIn(ids...)).All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: read updated media: %w", err)
	}
	byID := make(map[int]*ent.Image, len(imgs))
	for _, img := range imgs {
		byID[img.ID] = img
	}
	out := make([]*ent.Image, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out, nil, nil
}

// CreateFiles adds pictures to the shop's files: images that belong to no product.
func (c *Catalog) CreateFiles(ctx context.Context, files []MediaInput) ([]*ent.Image, validation.Errors, error) {
	var errs validation.Errors
	files = validateMedia(files, &errs)
	if errs.Any() {
		return nil, errs, nil
	}
	imgs, err := c.client.Image.MapCreateBulk(files, func(b *ent.ImageCreate, i int) {
		b.SetURL(files[i].URL).SetAltText(files[i].Alt).SetNillableWidth(files[i].Width).SetNillableHeight(files[i].Height)
	}).Save(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: create files: %w", err)
	}
	return imgs, nil, nil
}

// DeleteFiles removes files (images of no product) that no collection shows, returning their URLs.
func (c *Catalog) DeleteFiles(ctx context.Context, ids []int) ([]int, []string, validation.Errors, error) {
	var errs validation.Errors
	var urls []string
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		imgs, err := tx.Image.Query().Where(image.IDIn(ids...), image.ProductIDIsNil()).All(ctx)
		if err != nil {
			return err
		}
		if len(imgs) != len(uniqueInts(ids)) {
			errs.Add("fileIds", validation.NotFound, "Some files do not exist")
			return nil
		}
		if used, err := tx.Collection.Query().Where(collection.ImageIDIn(ids...)).Exist(ctx); err != nil || used {
			if used {
				errs.Add("fileIds", validation.Invalid, "A collection shows one of these files")
			}
			return err
		}
		if _, err := tx.Image.Delete().Where(image.IDIn(ids...)).Exec(ctx); err != nil {
			return err
		}
		for _, img := range imgs {
			urls = append(urls, img.URL)
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("catalog: delete files: %w", err)
	}
	if errs.Any() {
		return nil, nil, errs, nil
	}
	return uniqueInts(ids), urls, nil, nil
}

// ProductImageURLs returns the URLs a product's images show, for releasing them after it is deleted.
func (c *Catalog) ProductImageURLs(ctx context.Context, productID int) ([]string, error) {
	urls, err := c.client.Image.Query().Where(image.ProductID(productID)).Select(image.FieldURL).Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: product images: %w", err)
	}
	return urls, nil
}

func uniqueInts(in []int) []int {
	seen := make(map[int]bool, len(in))
	out := make([]int, 0, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
