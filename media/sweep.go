package media

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/emporium/emporium/ent/stagedupload"
	"github.com/emporium/emporium/jobs"
)

// SweepGrace is how long after its expiry a staged upload is left alone: a change that took its
// resource URL just before the expiry may still be committing, and would otherwise lose its picture.
const SweepGrace = time.Hour

// SweepEvery is how often expired staged uploads are swept.
const SweepEvery = 10 * time.Minute

// sweepBatch bounds the uploads one sweep ends; a backlog is worked off over the next sweeps.
const sweepBatch = 500

// SweepStaged deletes the staged uploads that expired more than SweepGrace ago, and releases the
// stored bytes of those never attached (Release keeps bytes that an image, or another live upload of the
// same picture, still uses). An attached upload's bytes belong to its image and stay. It says how many
// uploads it deleted.
func (l *Library) SweepStaged(ctx context.Context) (int, error) {
	expired, err := l.client.StagedUpload.Query().
		Where(stagedupload.ExpiresAtLT(l.now().Add(-SweepGrace).UTC())).Limit(sweepBatch).All(ctx)
	if err != nil {
		return 0, fmt.Errorf("media: find expired uploads: %w", err)
	}
	var errs []error
	deleted := 0
	for _, u := range expired {
		// The row goes first, so that Release no longer counts it as a use of its bytes.
		if err := l.client.StagedUpload.DeleteOneID(u.ID).Exec(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		deleted++
		if u.Status == "stored" && u.ObjectKey != nil {
			if err := l.Release(ctx, Prefix+*u.ObjectKey); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return deleted, fmt.Errorf("media: sweep staged uploads: %w", err)
	}
	return deleted, nil
}

// SweepArgs are the arguments of the periodic sweep of staged uploads: it has none.
type SweepArgs struct{}

// Kind names the sweep's worker.
func (SweepArgs) Kind() string { return "media.staged_sweep" }

type sweepWorker struct {
	jobs.WorkerDefaults[SweepArgs]
	l *Library
}

func (w *sweepWorker) Work(ctx context.Context, _ *jobs.Job[SweepArgs]) error {
	_, err := w.l.SweepStaged(ctx)
	return err
}

// Schedule registers the sweep's worker on q and runs it every SweepEvery, once across all replicas,
// never retried (the next sweep is the retry). Call it before q starts.
func (l *Library) Schedule(q *jobs.Queue) error {
	if err := jobs.Register(q, &sweepWorker{l: l}); err != nil {
		return err
	}
	q.Every(SweepEvery, func() (jobs.Args, *jobs.InsertOpts) {
		return SweepArgs{}, &jobs.InsertOpts{Queue: jobs.QueueMaintenance, MaxAttempts: 1,
			UniqueOpts: jobs.UniqueOpts{ByPeriod: SweepEvery}}
	})
	return nil
}
