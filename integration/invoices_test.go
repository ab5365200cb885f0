package integration

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/ent/inventorylevel"
	entinvoice "github.com/emporium/emporium/ent/invoice"
	"github.com/emporium/emporium/gid"
	"github.com/emporium/emporium/invoices"
	"github.com/emporium/emporium/payments"
)

// waitInvoices waits until kind has n documents in client, and returns them by sequence.
func waitInvoices(t *testing.T, client *ent.Client, kind string, n int) []*ent.Invoice {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		docs, err := client.Invoice.Query().Where(entinvoice.KindEQ(entinvoice.Kind(kind))).Order(ent.Asc(entinvoice.FieldSequence)).All(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(docs) >= n {
			return docs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s documents after a minute, want %d", len(docs), kind, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkGapFree fails unless docs are numbered 1…len(docs) in year, each number once, each order once.
func checkGapFree(t *testing.T, docs []*ent.Invoice, prefix string) {
	t.Helper()
	orders := map[int]bool{}
	for i, d := range docs {
		want := fmt.Sprintf("%s-%d-%06d", prefix, d.Year, i+1)
		if d.Sequence != int64(i+1) || d.Number != want {
			t.Fatalf("document %d: number %s (sequence %d), want %s", i, d.Number, d.Sequence, want)
		}
		if orders[d.OrderID] && prefix == "INV" {
			t.Fatalf("order %d invoiced twice", d.OrderID)
		}
		orders[d.OrderID] = true
	}
}

// TestInvoiceNumbersAcrossProcesses places many paid orders through two server processes on one
// database, whose relays issue the invoices concurrently: the numbers run 1…n with no gap and no
// duplicate, one invoice per order. PostgreSQL (row lock of the counter) and SQLite (one writer).
func TestInvoiceNumbersAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	const orders = 40
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "invoices.db")
			if kind == "postgres" {
				dsn = pg.NewDatabase(t)
			}
			a := startProcess(t, dsn)
			b := startProcess(t, dsn)
			ctx := context.Background()
			db, err := database.Open(ctx, dsn, database.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			tee := variantIDs(t, a.asServer(), "organic-cotton-tee")["EMP-TEE-ORG-M-NVY"]
			variant, _ := gid.DecodeType(tee, "ProductVariant")
			if _, err := db.Client.InventoryLevel.Update().Where(inventorylevel.VariantID(variant)).SetAvailable(100000).Save(ctx); err != nil {
				t.Fatal(err)
			}
			procs := []*process{a, b}
			carts := make([]string, orders)
			for i := range carts {
				carts[i], _ = readyCart(t, procs[i%2].asServer(), tee, 1, payments.CardSuccess)
			}
			var wg sync.WaitGroup
			outcomes := make([]submitOutcome, orders)
			for i, id := range carts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					outcomes[i] = submitTo(procs[i%2].url, id, fmt.Sprintf("invoice-%d", i))
				}()
			}
			wg.Wait()
			for i, o := range outcomes {
				if o.err != nil || o.kind == "" {
					t.Fatalf("checkout %d: %+v", i, o)
				}
			}
			docs := waitInvoices(t, db.Client, invoices.KindInvoice, orders)
			// The relays may still be running: give a duplicate the time to show.
			time.Sleep(500 * time.Millisecond)
			docs = waitInvoices(t, db.Client, invoices.KindInvoice, orders)
			if len(docs) != orders {
				t.Fatalf("%d invoices for %d orders", len(docs), orders)
			}
			checkGapFree(t, docs, "INV")
			byOrder := map[int]bool{}
			for _, d := range docs {
				byOrder[d.OrderID] = true
			}
			if len(byOrder) != orders {
				t.Fatalf("%d orders invoiced, want %d", len(byOrder), orders)
			}
		})
	}
}
