package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/collection"
	"github.com/emporium/emporium/ent/collectionproduct"
	"github.com/emporium/emporium/ent/product"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/seed"
	"github.com/emporium/emporium/validation"
)

// maxCollectionProducts bounds one call's product list.
const maxCollectionProducts = 250

// CollectionInput creates or changes a collection; nil fields stay as they are.
type CollectionInput struct {
	Title, Handle, DescriptionHTML, SEOTitle, SEODescription, SortOrder *string
	Image                                                               *MediaInput
	Products                                                            []int
}

// SaveCollection creates a collection (id 0) or changes one.
func (c *Catalog) SaveCollection(ctx context.Context, id int, in CollectionInput) (*ent.Collection, validation.Errors, error) {
	var errs validation.Errors
	var saved int
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		var current *ent.Collection
		if id != 0 {
			var err error
			if current, err = tx.Collection.Get(ctx, id); ent.IsNotFound(err) {
				errs = notFound("input.id", "Collection does not exist")
				return nil
			} else if err != nil {
				return err
			}
		}
		title := optionalText(&errs, "input.title", in.Title, 255)
		if id == 0 && (title == nil || *title == "") || title != nil && *title == "" {
			errs.Add("input.title", validation.Blank, "Title can't be blank")
		}
		handle := in.Handle
		if handle != nil {
			h := strings.TrimSpace(*handle)
			handle = &h
			if !handlePattern.MatchString(h) {
				errs.Add("input.handle", validation.Invalid, "Handle may hold lowercase letters, digits and single dashes")
			} else if taken, err := tx.Collection.Query().Where(collection.Handle(h), collection.IDNEQ(id)).Exist(ctx); err != nil || taken {
				errs.Add("input.handle", validation.Taken, "Handle has already been taken")
			}
		} else if id == 0 && title != nil {
			h := Slugify(*title)
			for i := 2; ; i++ {
				if taken, err := tx.Collection.Query().Where(collection.Handle(h)).Exist(ctx); err != nil || !taken {
					break
				}
				h = fmt.Sprintf("%s-%d", Slugify(*title), i)
			}
			handle = &h
		}
		if in.SortOrder != nil && collection.SortOrderValidator(collection.SortOrder(*in.SortOrder)) != nil {
			errs.Add("input.sortOrder", validation.Invalid, "Sort order is invalid")
		}
		seoTitle := optionalText(&errs, "input.seo.title", in.SEOTitle, 280)
		seoDesc := optionalText(&errs, "input.seo.description", in.SEODescription, 1280)
		var media []MediaInput
		if in.Image != nil {
			media = validateMedia([]MediaInput{*in.Image}, &errs)
		}
		if id != 0 && in.Products != nil {
			errs.Add("input.products", validation.Invalid, "Change an existing collection's products with collectionAddProducts")
		}
		if errs.Any() {
			return nil
		}
		if id == 0 {
			if err := checkProducts(ctx, tx, "input.products", in.Products, &errs); err != nil || errs.Any() {
				return err
			}
		}
		var imageID *int
		if len(media) == 1 {
			img, err := tx.Image.Create().SetURL(media[0].URL).SetAltText(media[0].Alt).
				SetNillableWidth(media[0].Width).SetNillableHeight(media[0].Height).Save(ctx)
			if err != nil {
				return err
			}
			imageID = &img.ID
		}
		if current == nil {
			b := tx.Collection.Create().SetTitle(*title).SetHandle(*handle).SetNillableSeoTitle(seoTitle).
				SetNillableSeoDescription(seoDesc).SetNillableImageID(imageID)
			if in.DescriptionHTML != nil {
				b.SetDescriptionHTML(*in.DescriptionHTML).SetDescription(seed.PlainText(*in.DescriptionHTML))
			}
			if in.SortOrder != nil {
				b.SetSortOrder(collection.SortOrder(*in.SortOrder))
			}
			created, err := b.Save(ctx)
			if err != nil {
				return err
			}
			saved = created.ID
			if err := addToCollection(ctx, tx, saved, in.Products); err != nil {
				return err
			}
			return c.recordCollection(ctx, tx, events.CollectionsCreate, saved)
		}
		u := current.Update().SetNillableTitle(title).SetNillableHandle(handle).SetNillableSeoTitle(seoTitle).
			SetNillableSeoDescription(seoDesc).SetNillableImageID(imageID)
		if in.DescriptionHTML != nil {
			u.SetDescriptionHTML(*in.DescriptionHTML).SetDescription(seed.PlainText(*in.DescriptionHTML))
		}
		if in.SortOrder != nil {
			u.SetSortOrder(collection.SortOrder(*in.SortOrder))
		}
		saved = id
		if err := u.Exec(ctx); err != nil {
			return err
		}
		return c.recordCollection(ctx, tx, events.CollectionsUpdate, id)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("catalog: save collection: %w", err)
	}
	if errs.Any() {
		return nil, errs, nil
	}
	col, err := c.client.Collection.Get(ctx, saved)
	return col, nil, err
}

func optionalText(errs *validation.Errors, field string, v *string, max int) *string {
	if v == nil {
		return nil
	}
	s := errs.Text(field, *v, max)
	return &s
}

func checkProducts(ctx context.Context, tx *ent.Tx, field string, ids []int, errs *validation.Errors) error {
	if len(ids) > maxCollectionProducts {
		errs.Add(field, validation.TooLong, fmt.Sprintf("At most %d products per call", maxCollectionProducts))
		return nil
	}
	if len(ids) == 0 {
		return nil
	}
	unique := slices.Compact(slices.Sorted(slices.Values(ids)))
	n, err := tx.Product.Query().Where(product.IDIn(unique...)).Count(ctx)
	if err != nil {
		return err
	}
	if n != len(unique) || len(unique) != len(ids) {
		errs.Add(field, validation.NotFound, "A product does not exist or is listed twice")
	}
	return nil
}

// addToCollection appends products after the collection's last position, skipping ones already in it.
func addToCollection(ctx context.Context, tx *ent.Tx, collectionID int, ids []int) error {
	links, err := tx.CollectionProduct.Query().Where(collectionproduct.CollectionID(collectionID)).All(ctx)
	if err != nil {
		return err
	}
	next := 0
	in := map[int]bool{}
	for _, l := range links {
		next = max(next, l.Position+1)
		in[l.ProductID] = true
	}
	var create []*ent.CollectionProductCreate
	for _, id := range ids {
		if !in[id] {
			in[id] = true
			create = append(create, tx.CollectionProduct.Create().SetCollectionID(collectionID).SetProductID(id).SetPosition(next))
			next++
		}
	}
	if len(create) == 0 {
		return nil
	}
	return tx.CollectionProduct.CreateBulk(create...).Exec(ctx)
}

// AddToCollection adds products at the end of a collection's manual order.
func (c *Catalog) AddToCollection(ctx context.Context, collectionID int, ids []int) (validation.Errors, error) {
	return c.changeMembers(ctx, collectionID, ids, func(tx *ent.Tx) error { return addToCollection(ctx, tx, collectionID, ids) })
}

// RemoveFromCollection takes products out of a collection.
func (c *Catalog) RemoveFromCollection(ctx context.Context, collectionID int, ids []int) (validation.Errors, error) {
	return c.changeMembers(ctx, collectionID, ids, func(tx *ent.Tx) error {
		_, err := tx.CollectionProduct.Delete().
			Where(collectionproduct.CollectionID(collectionID), collectionproduct.ProductIDIn(ids...)).Exec(ctx)
		return err
	})
}

// Move puts a product at a zero-based position of a collection's manual order.
type Move struct{ ProductID, Position int }

// ReorderCollection applies moves, in order, to a collection's manual order.
func (c *Catalog) ReorderCollection(ctx context.Context, collectionID int, moves []Move) (validation.Errors, error) {
	ids := make([]int, len(moves))
	for i, m := range moves {
		ids[i] = m.ProductID
	}
	return c.changeMembers(ctx, collectionID, ids, func(tx *ent.Tx) error {
		links, err := tx.CollectionProduct.Query().Where(collectionproduct.CollectionID(collectionID)).
			Order(ent.Asc(collectionproduct.FieldPosition, collectionproduct.FieldProductID)).All(ctx)
		if err != nil {
			return err
		}
		order := make([]int, len(links))
		for i, l := range links {
			order[i] = l.ProductID
		}
		for _, m := range moves {
			i := slices.Index(order, m.ProductID)
			if i < 0 {
				return errNotMember
			}
			order = slices.Delete(order, i, i+1)
			pos := min(max(m.Position, 0), len(order))
			order = slices.Insert(order, pos, m.ProductID)
		}
		for pos, pid := range order {
			if err := tx.CollectionProduct.Update().
				Where(collectionproduct.CollectionID(collectionID), collectionproduct.ProductID(pid)).
				SetPosition(pos).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

var errNotMember = fmt.Errorf("product is not in the collection")

func (c *Catalog) changeMembers(ctx context.Context, collectionID int, ids []int, change func(*ent.Tx) error) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		if ok, err := tx.Collection.Query().Where(collection.ID(collectionID)).Exist(ctx); err != nil || !ok {
			if err == nil {
				errs = notFound("id", "Collection does not exist")
			}
			return err
		}
		if err := checkProducts(ctx, tx, "productIds", ids, &errs); err != nil || errs.Any() {
			return err
		}
		if err := change(tx); err != nil {
			if err == errNotMember {
				errs = notFound("moves", "A product is not in the collection")
				return nil
			}
			return err
		}
		if err := tx.Collection.UpdateOneID(collectionID).SetUpdatedAt(now()).Exec(ctx); err != nil {
			return err
		}
		return c.recordCollection(ctx, tx, events.CollectionsUpdate, collectionID)
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: collection products: %w", err)
	}
	return errs, nil
}

// DeleteCollection removes a collection; its products stay.
func (c *Catalog) DeleteCollection(ctx context.Context, id int) (validation.Errors, error) {
	var errs validation.Errors
	err := database.WithTx(ctx, c.client, func(tx *ent.Tx) error {
		n, err := tx.Collection.Delete().Where(collection.ID(id)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			errs = notFound("input.id", "Collection does not exist")
			return nil
		}
		return c.events.Record(ctx, tx, events.CollectionsDelete, "Collection", id, DeletedPayload{ID: gid.Encode("Collection", id)})
	})
	if err != nil {
		return nil, fmt.Errorf("catalog: delete collection: %w", err)
	}
	return errs, nil
}
