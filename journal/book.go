package journal

import (
	"context"

	"github.com/emporium/emporium/ent"
	"github.com/emporium/emporium/events"
)

// Book posts e in tx, the transaction of the change it records, and announces it through rec.
func Book(ctx context.Context, tx *ent.Tx, rec *events.Recorder, e Entry) error {
	return Post(ctx, tx, e, nil)
}

// BookRefund posts the entry of refund r of order o (see Refunded) in tx and announces it through rec.
func BookRefund(ctx context.Context, tx *ent.Tx, rec *events.Recorder, o *ent.Order, r *ent.Refund) error {
	e, err := Refunded(ctx, tx, o, r)
	if err != nil {
		return err
	}
	return Book(ctx, tx, rec, e)
}
