package integration

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/event"
	"github.com/emporium/emporium/ent/stagedupload"
	"github.com/emporium/emporium/events"
	"github.com/emporium/emporium/jobs"
	"github.com/emporium/emporium/media"
	"github.com/emporium/emporium/service"
)

// waitUntil polls cond until it holds or d passes.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPeriodicSweeps runs the two periodic sweeps through the job queue (their jobs inserted as the
// leader inserts them): the events cleanup deletes processed events past the retention and keeps recent
// ones, unprocessed ones however old, and ones a webhook delivery still has to send; the staged upload
// sweep deletes expired uploads, releases the bytes of those never attached, and keeps the bytes of the
// attached one and everything of a live upload.
func TestPeriodicSweeps(t *testing.T) {
	eachFreshDB(t, func(o *service.Options) { withOwner(nil)(o); o.EventsRetention = time.Hour }, func(t *testing.T, s *server) {
		ctx := context.Background()
		db := s.svc.DB.Client
		as := bearer(staffLogin(t, s, ownerEmail, ownerPassword))

		// Events: four customers' customers/create, processed by the queue.
		var ids []string
		for _, email := range []string{"old@example.com", "older@example.com", "recent@example.com", "owed@example.com"} {
			id, _ := signUpAndLogIn(t, s, email)
			ids = append(ids, id)
		}
		if err := s.svc.StartJobs(ctx); err != nil {
			t.Fatal(err)
		}
		waitUntil(t, 20*time.Second, "events still unprocessed", func() bool {
			n, err := db.Event.Query().Where(event.ProcessedAtIsNil()).Count(ctx)
			return err == nil && n == 0
		})
		old := time.Now().Add(-2 * time.Hour).UTC()
		if _, err := db.Event.Update().Where(event.ResourceIDIn(ids[0], ids[1], ids[3])).SetProcessedAt(old).Save(ctx); err != nil {
			t.Fatal(err)
		}
		// An old event never processed (its job lost, say), and a delivery still owed for ids[3]'s.
		unprocessed, err := db.Event.Create().SetTopic(events.CustomersCreate).SetResourceType("Customer").
			SetResourceID("gid://emporium/Customer/999999").SetPayload([]byte(`{}`)).SetCreatedAt(old.Add(-24 * time.Hour)).Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		owed, err := db.Event.Query().Where(event.ResourceID(ids[3])).Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.WebhookDelivery.Create().SetSubscriptionID(1).SetEventID(owed.ID).SetTopic(owed.Topic).SetResourceID(owed.ResourceID).
			SetCallbackURL("https://hooks.example/x").SetWebhookID("test-owed").SetStatus("retrying").Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// Staged uploads: one attached, one stored and never attached, one never uploaded, one live.
		var product struct{ Product struct{ ID string } }
		s.query(t, `{ product(handle: "canvas-tote-bag") { id } }`, nil, &product)
		var resources []string
		for i, pic := range [][]byte{testPNG(t, 40, 30), testPNG(t, 41, 30), nil, testPNG(t, 42, 30)} {
			url, resource := stage(t, s, as, "PUT", "image/png")
			if pic != nil {
				if st := upload(t, http.MethodPut, url, pic); st != http.StatusOK {
					t.Fatalf("upload %d: %d", i, st)
				}
			}
			resources = append(resources, resource)
		}
		var attached createMediaResult
		s.queryAs(t, as, createMediaMutation, map[string]any{"id": product.Product.ID, "m": []any{map[string]any{"originalSource": resources[0]}}}, &attached)
		if len(attached.ProductCreateMedia.UserErrors) > 0 {
			t.Fatalf("productCreateMedia: %+v", attached.ProductCreateMedia)
		}
		uploads, err := db.StagedUpload.Query().Order(ent.Asc(stagedupload.FieldID)).All(ctx)
		if err != nil || len(uploads) != 4 || uploads[0].Status != "attached" || uploads[1].Status != "stored" || uploads[2].Status != "pending" {
			t.Fatalf("staged uploads: %v, %v", uploads, err)
		}
		expired := time.Now().Add(-media.SweepGrace - time.Minute).UTC()
		if _, err := db.StagedUpload.Update().Where(stagedupload.IDIn(uploads[0].ID, uploads[1].ID, uploads[2].ID)).SetExpiresAt(expired).Save(ctx); err != nil {
			t.Fatal(err)
		}
		stored := func(key string) bool {
			_, err := s.svc.Media.Storage().Stat(ctx, key)
			if err != nil && !errors.Is(err, media.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		for _, u := range []*ent.StagedUpload{uploads[0], uploads[1], uploads[3]} {
			if !stored(*u.ObjectKey) {
				t.Fatalf("upload %d's bytes are not stored before the sweep", u.ID)
			}
		}

		for _, args := range []jobs.Args{events.CleanupArgs{}, media.SweepArgs{}} {
			if err := s.svc.Jobs.Insert(ctx, args, &jobs.InsertOpts{Queue: jobs.QueueMaintenance}); err != nil {
				t.Fatal(err)
			}
		}

		waitUntil(t, 20*time.Second, "old processed events are still there", func() bool {
			n, err := db.Event.Query().Where(event.ResourceIDIn(ids[0], ids[1])).Count(ctx)
			return err == nil && n == 0
		})
		for _, keep := range []string{ids[2], ids[3], unprocessed.ResourceID} {
			if n, err := db.Event.Query().Where(event.ResourceID(keep)).Count(ctx); err != nil || n != 1 {
				t.Errorf("the event of %s: %d rows, %v; want it kept", keep, n, err)
			}
		}

		waitUntil(t, 20*time.Second, "expired staged uploads are still there", func() bool {
			n, err := db.StagedUpload.Query().Count(ctx)
			return err == nil && n == 1
		})
		if live, err := db.StagedUpload.Query().Only(ctx); err != nil || live.ID != uploads[3].ID || live.Status != "stored" {
			t.Errorf("the live upload: %v, %v", live, err)
		}
		if stored(*uploads[1].ObjectKey) {
			t.Errorf("the bytes of an expired upload never attached were kept")
		}
		if !stored(*uploads[0].ObjectKey) || !stored(*uploads[3].ObjectKey) {
			t.Errorf("the bytes of the attached upload or of the live one were released")
		}
		imgs := attached.ProductCreateMedia.Product.Images.Nodes
		if f := fetch(t, imgs[len(imgs)-1].URL, nil); f.status != http.StatusOK {
			t.Errorf("the attached picture after the sweep: %d", f.status)
		}
	})
}
