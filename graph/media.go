package graph

import (
	"context"
	"fmt"
	"strconv"

	"github.com/emporium/emporium/auth"
	"github.com/emporium/emporium/catalog"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/graph/model"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/validation"
)

// imageTransform reads Image.url's transform argument. Out-of-range values are brought into range
// rather than refused, so that a storefront asking too much still gets a picture.
func imageTransform(in *model.ImageTransformInput) media.Transform {
	var t media.Transform
	if in == nil {
		return t
	}
	t.Scale = 1
	if in.Scale != nil {
		t.Scale = min(max(*in.Scale, 1), 3)
	}
	limit := media.MaxOutputSide / t.Scale
	if in.MaxWidth != nil && *in.MaxWidth > 0 {
		t.MaxWidth = min(*in.MaxWidth, limit)
	}
	if in.MaxHeight != nil && *in.MaxHeight > 0 {
		t.MaxHeight = min(*in.MaxHeight, limit)
	}
	if in.Crop != nil && t.MaxWidth > 0 && t.MaxHeight > 0 {
		t.Crop = map[model.CropRegion]string{
			model.CropRegionCenter: "center", model.CropRegionTop: "top", model.CropRegionBottom: "bottom",
			model.CropRegionLeft: "left", model.CropRegionRight: "right",
		}[*in.Crop]
	}
	if in.PreferredContentType != nil {
		switch *in.PreferredContentType {
		case model.ImageContentTypeJpg:
			t.Format = media.JPEG
		case model.ImageContentTypePng:
			t.Format = media.PNG
		}
	}
	if t.MaxWidth == 0 && t.MaxHeight == 0 {
		t.Scale = 1
	}
	return t
}

// maxSourcesPerCall bounds the originalSources one mutation ingests: each may be a fetch.
const maxSourcesPerCall = 50

// ingestMedia turns the originalSources of media inputs into stored pictures (see media.Ingest), with
// the width and height read from the files.
func (r *Resolver) ingestMedia(ctx context.Context, field string, in []catalog.MediaInput) ([]catalog.MediaInput, validation.Errors, error) {
	if len(in) == 0 {
		return in, nil, nil
	}
	if len(in) > maxSourcesPerCall {
		var errs validation.Errors
		errs.Add(field, validation.TooLong, fmt.Sprintf("At most %d media at once", maxSourcesPerCall))
		return nil, errs, nil
	}
	sources := make([]string, len(in))
	for i, m := range in {
		sources[i] = m.URL
	}
	stored, errs, err := r.media.Ingest(ctx, field, sources)
	if err != nil || errs.Any() {
		return nil, errs, err
	}
	out := make([]catalog.MediaInput, len(in))
	for i, m := range in {
		m.URL = stored[i].URL
		if stored[i].Width != nil {
			m.Width, m.Height = stored[i].Width, stored[i].Height
		}
		out[i] = m
	}
	return out, nil, nil
}

// releaseMedia deletes stored pictures that a deletion left unreferenced. A failure is logged, not
// returned: the change itself stands.
func (r *Resolver) releaseMedia(ctx context.Context, urls ...string) {
	if err := r.media.Release(context.WithoutCancel(ctx), urls...); err != nil {
		r.log.WarnContext(ctx, "release stored media", "err", err)
	}
}

// settleMedia ends an ingestion (see media.Settle): kept when the change that uses the pictures
// committed, released otherwise.
func (r *Resolver) settleMedia(ctx context.Context, kept bool, urls ...string) {
	if err := r.media.Settle(context.WithoutCancel(ctx), kept, urls...); err != nil {
		r.log.WarnContext(ctx, "settle stored media", "err", err)
	}
}

func mediaURLs(in []catalog.MediaInput) []string {
	out := make([]string, len(in))
	for i, m := range in {
		out[i] = m.URL
	}
	return out
}

func stagedInputs(in []*model.StagedUploadInput) ([]media.StagedInput, error) {
	out := make([]media.StagedInput, len(in))
	for i, s := range in {
		out[i] = media.StagedInput{Filename: s.Filename, MimeType: s.MimeType, HTTPMethod: "PUT"}
		if s.HTTPMethod != nil {
			out[i].HTTPMethod = string(*s.HTTPMethod)
		}
		if s.FileSize != nil {
			n, err := strconv.ParseInt(*s.FileSize, 10, 64)
			if err != nil {
				return nil, userError(fmt.Errorf("input.%d.fileSize is not a whole number of bytes", i))
			}
			out[i].FileSize = &n
		}
	}
	return out, nil
}

func stagedTargets(in []media.StagedTarget) []*model.StagedMediaUploadTarget {
	out := make([]*model.StagedMediaUploadTarget, len(in))
	for i, t := range in {
		params := make([]*model.StagedUploadParameter, len(t.Parameters))
		for j, p := range t.Parameters {
			params[j] = &model.StagedUploadParameter{Name: p.Name, Value: p.Value}
		}
		out[i] = &model.StagedMediaUploadTarget{URL: &t.URL, ResourceURL: &t.ResourceURL, Parameters: params}
	}
	return out
}

func mediaImage(img *ent.Image) *model.MediaImage {
	m := &model.MediaImage{ID: gid.Encode("MediaImage", img.ID), Image: img, FileStatus: model.FileStatusReady}
	if img.AltText != "" {
		m.Alt = &img.AltText
	}
	if key, ok := media.KeyOf(img.URL); ok {
		if f := media.FormatOfKey(key); f != "" {
			mt := string(f)
			m.MimeType = &mt
		}
	}
	return m
}

// staffID is the viewer's staff ID, when a staff member is signed in.
func staffID(ctx context.Context) *int {
	if v := auth.ViewerFrom(ctx); v.Kind == auth.Staff {
		return &v.ID
	}
	return nil
}

// decodeMediaIDs reads image IDs given as ProductImage or MediaImage global IDs.
// mediaChanges reads productUpdateMedia's input.
func mediaChanges(in []*model.UpdateMediaInput) ([]catalog.MediaChange, error) {
	out := make([]catalog.MediaChange, len(in))
	for i, m := range in {
		ids, err := decodeMediaIDs([]string{m.ID})
		if err != nil {
			return nil, err
		}
		out[i] = catalog.MediaChange{ImageID: ids[0], Alt: m.Alt}
	}
	return out, nil
}

func decodeMediaIDs(ids []string) ([]int, error) {
	out := make([]int, len(ids))
	for i, id := range ids {
		n, err := gid.DecodeType(id, "ProductImage")
		if err != nil {
			if n, err = gid.DecodeType(id, "MediaImage"); err != nil {
				return nil, userError(err)
			}
		}
		out[i] = n
	}
	return out, nil
}

func invalidInput(field, message string) validation.Errors {
	var errs validation.Errors
	errs.Add(field, validation.Invalid, message)
	return errs
}
