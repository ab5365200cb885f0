// Package jobs is Emporium's one home for background work: a durable queue in the shop's own database
// (River, on PostgreSQL or SQLite), so that no new infrastructure is needed. Domain packages insert jobs
// inside the transaction of the change that calls for them (InsertTx), so a job exists if and only if
// its change committed; workers run in every `emporium serve` replica and in `emporium worker`;
// periodic jobs run once across all replicas, scheduled by River's elected leader.
//
// Domain packages name their job arguments and workers with the aliases below, so that River stays
// behind this package.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/emporium/emporium/database"
	"github.com/emporium/emporium/ent"
)

// Queues. Each has workers of its own in every process, so work on one never waits behind another.
const (
	// QueueEvents is for jobs about events. Events themselves are handed on by the relay, a batch loop
	// (events.Relay, see Run), not one job each.
	QueueEvents = "events"
	// QueueDeliver is for jobs about webhook deliveries; the deliveries themselves are made by the
	// pump, a batch loop (webhooks.Service.Pump, see Run), not one job each.
	QueueDeliver = "deliver"
	// QueueMaintenance runs the periodic sweeps (the completion recoverer).
	QueueMaintenance = "maintenance"
	// QueueEmails sends transactional emails (package emails): a slow mail server holds up neither
	// events nor webhook deliveries.
	QueueEmails = "emails"
)

// Aliases of River's types, for the job arguments and workers of domain packages.
type (
	// Args are a job's arguments; Kind names the worker that works them.
	Args = river.JobArgs
	// Job is a job being worked.
	Job[T Args] = river.Job[T]
	// Worker works jobs of one kind.
	Worker[T Args] = river.Worker[T]
	// WorkerDefaults gives a worker River's default timeout and retry schedule.
	WorkerDefaults[T Args] = river.WorkerDefaults[T]
	// InsertOpts choose a job's queue, schedule, attempts and uniqueness.
	InsertOpts = river.InsertOpts
	// UniqueOpts make an insert a no-op while an equal job exists.
	UniqueOpts = river.UniqueOpts
)

// Snooze asks for the job to be worked again after d, without counting an attempt.
func Snooze(d time.Duration) error { return river.JobSnooze(d) }

// pollInterval is how often each queue looks for jobs. The drivers used here have no LISTEN/NOTIFY
// (database/sql and SQLite; LISTEN would not pass PgBouncer in transaction mode either), so the queue
// polls: often enough that a job starts within a fraction of a second of its commit, for a cheap indexed
// query per queue.
const pollInterval = 200 * time.Millisecond

// fastPoll is the poll interval of the events queue (a pass of the relay on demand).
const fastPoll = 50 * time.Millisecond

// Config configures a Queue.
type Config struct {
	Log *slog.Logger
	// Workers is the number of jobs of each queue one process works at once (10 when zero).
	Workers int
}

// Queue is the job queue of one process: it inserts jobs always, and works them once started.
type Queue struct {
	client  *river.Client[*sql.Tx]
	workers *river.Workers
	// pool is River's own pool; closePool is set when it is not the app's (see database.OpenJobsPool).
	pool      *sql.DB
	closePool bool
	log       *slog.Logger

	postgres bool

	mu      sync.Mutex
	started bool
	// timers are the pending inserts of InsertAfter, stopped by Stop.
	timers []*time.Timer
	// loops are the long-running workers of Run; stopLoops ends them and loopsDone says when they ended.
	loops     []func(context.Context)
	stopLoops context.CancelFunc
	loopsDone sync.WaitGroup
}

// driver is River's driver for the kind of db, on pool.
func driver(db *database.DB, pool *sql.DB) riverdriver.Driver[*sql.Tx] {
	if db.Postgres() {
		return riverdatabasesql.New(pool)
	}
	return riversqlite.New(pool)
}

// Migrate creates or updates River's tables. Run it where the schema is migrated, inside
// database.DB.Exclusive, so that replicas starting together migrate one after another.
func Migrate(ctx context.Context, db *database.DB, log *slog.Logger) error {
	m, err := rivermigrate.New(driver(db, db.SQL), &rivermigrate.Config{Logger: quiet(log)})
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if len(res.Versions) > 0 {
		log.InfoContext(ctx, "job queue migrated", "versions", len(res.Versions))
	}
	return nil
}

// New opens the queue of db. Register workers and periodic jobs before Start; inserting works at once.
func New(ctx context.Context, db *database.DB, cfg Config) (*Queue, error) {
	pool, err := db.OpenJobsPool(ctx)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	q := &Queue{workers: river.NewWorkers(), pool: pool, closePool: pool != db.SQL, log: cfg.Log, postgres: db.Postgres()}
	n := cfg.Workers
	if n <= 0 {
		n = 10
	}
	q.client, err = river.NewClient(driver(db, pool), &river.Config{
		Logger:   quiet(cfg.Log),
		Workers:  q.workers,
		PollOnly: true,
		// Maintenance sweeps are few and short; those of other replicas may run beside them.
		Queues: map[string]river.QueueConfig{
			// Events and deliveries poll more often: each event waits for two polls (its own and its
			// deliveries') between a commit and a partner's receiver, and webhook latency is watched.
			QueueEvents:      {MaxWorkers: n, FetchPollInterval: fastPoll, FetchCooldown: fastPoll / 4},
			QueueMaintenance: {MaxWorkers: 2},
			QueueDeliver:     {MaxWorkers: n},
			QueueEmails:      {MaxWorkers: n},
		},
		FetchPollInterval: pollInterval,
		FetchCooldown:     pollInterval / 4,
		// A job left running by a process that died is given to another after this (River's default is
		// an hour); it is longer than any job's timeout (River's default, a minute).
		RescueStuckJobsAfter: 5 * time.Minute,
		ErrorHandler:         &errorLogger{log: cfg.Log},
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("jobs: client: %w", err), q.closeOwnPool())
	}
	return q, nil
}

// quiet hands River the logger at warnings and above: River reports each start, stop and election at
// info, which would drown the service's own log.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(atLeast{Handler: log.Handler(), level: slog.LevelWarn})
}

type atLeast struct {
	slog.Handler
	level slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}
func (h atLeast) WithAttrs(a []slog.Attr) slog.Handler {
	return atLeast{Handler: h.Handler.WithAttrs(a), level: h.level}
}
func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{Handler: h.Handler.WithGroup(name), level: h.level}
}

// errorLogger logs a job's failure once, with its kind and attempt; River retries it with backoff.
type errorLogger struct{ log *slog.Logger }

func (e *errorLogger) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	e.log.WarnContext(ctx, "job failed", "kind", job.Kind, "job", job.ID, "attempt", job.Attempt, "max_attempts", job.MaxAttempts, "err", err)
	return nil
}

func (e *errorLogger) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	e.log.ErrorContext(ctx, "job panicked", "kind", job.Kind, "job", job.ID, "attempt", job.Attempt, "panic", fmt.Sprint(panicVal), "trace", trace)
	return nil
}

// Register adds the worker of one kind of job. Call it before Start.
func Register[T Args](q *Queue, w Worker[T]) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.started {
		return errors.New("jobs: register workers before the queue starts")
	}
	if err := river.AddWorkerSafely(q.workers, w); err != nil {
		return fmt.Errorf("jobs: register worker: %w", err)
	}
	return nil
}

// Every runs a job made by args every interval, once across all replicas: River's elected leader
// inserts it, and whichever process fetches it first works it. Call it before Start.
//
// The job's options must choose a queue.
func (q *Queue) Every(interval time.Duration, args func() (Args, *InsertOpts)) {
	q.client.PeriodicJobs().Add(river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args() }, nil))
}

// errNoQueue refuses a job without a queue: River would put it on its default queue, which no process
// here works, and it would wait for ever.
var errNoQueue = errors.New("no queue chosen: set InsertOpts.Queue")

func checkQueue(opts *InsertOpts) error {
	if opts == nil || opts.Queue == "" {
		return errNoQueue
	}
	return nil
}

// InsertTx inserts a job in tx, the ent transaction of the change that calls for it: the job is
// visible to workers once tx commits, and never if it rolls back.
func (q *Queue) InsertTx(ctx context.Context, tx *ent.Tx, args Args, opts *InsertOpts) error {
	if err := checkQueue(opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	stx, err := database.SQLTx(tx)
	if err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	if _, err := q.client.InsertTx(ctx, stx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}

// InsertManyTx inserts jobs in tx as InsertTx does, in one statement.
func (q *Queue) InsertManyTx(ctx context.Context, tx *ent.Tx, args []Args, opts *InsertOpts) error {
	if len(args) == 0 {
		return nil
	}
	if err := checkQueue(opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args[0].Kind(), err)
	}
	stx, err := database.SQLTx(tx)
	if err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args[0].Kind(), err)
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a, InsertOpts: opts}
	}
	if _, err := q.client.InsertManyTx(ctx, stx, params); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args[0].Kind(), err)
	}
	return nil
}

// Insert inserts a job outside any transaction of the caller.
func (q *Queue) Insert(ctx context.Context, args Args, opts *InsertOpts) error {
	if err := checkQueue(opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	if _, err := q.client.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("jobs: insert %s: %w", args.Kind(), err)
	}
	return nil
}

// InsertAfter inserts a job, ready to be worked at once, after d, if this process's queue still runs.
//
// Unlike a job scheduled for later (InsertOpts.ScheduledAt), it does not wait for River's leader: a
// scheduled job becomes available only when the elected leader's scheduler moves it, and a process
// that starts after its predecessor was killed is not elected until the dead leader's term runs out
// (about 15 s). Work that must follow a restart sooner than that is inserted from here.
func (q *Queue) InsertAfter(d time.Duration, args Args, opts *InsertOpts) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.started {
		return
	}
	q.timers = append(q.timers, time.AfterFunc(d, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := q.Insert(ctx, args, opts); err != nil {
			q.log.WarnContext(ctx, "delayed insert", "kind", args.Kind(), "err", err)
		}
	}))
}

// Postgres reports whether the queue's database is PostgreSQL (else SQLite), for workers that write
// their own SQL.
func (q *Queue) Postgres() bool { return q.postgres }

// Run registers loop to run in every process that works jobs, from Start until Stop, which cancels its
// context and waits for it to return. It is for the few workers that are batch loops over a table of
// their own rather than one job per item (the events relay, the webhook delivery pump): their rows are
// their durable queue, claimed with leases, so that a process that dies leaves nothing behind. Call it
// before Start.
func (q *Queue) Run(loop func(ctx context.Context)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.loops = append(q.loops, loop)
}

// Start works jobs in the background until Stop.
func (q *Queue) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	// River's work ends through Stop, not the caller's context: a cancelled start context would cancel
	// the jobs in flight at once instead of letting them finish.
	if err := q.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	q.started = true
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	q.stopLoops = stop
	for _, loop := range q.loops {
		q.loopsDone.Add(1)
		go func() {
			defer q.loopsDone.Done()
			loop(loopCtx)
		}()
	}
	return nil
}

// Stop stops fetching jobs and waits for those running to finish, until ctx ends; then it cancels them
// (they will be worked again: River's rescuer hands jobs left running to another process).
func (q *Queue) Stop(ctx context.Context) error {
	q.mu.Lock()
	if !q.started {
		q.mu.Unlock()
		return nil
	}
	q.started = false
	for _, t := range q.timers {
		t.Stop()
	}
	q.timers = nil
	stopLoops := q.stopLoops
	q.mu.Unlock()
	stopLoops()
	done := make(chan struct{})
	go func() { q.loopsDone.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		q.log.Warn("job loops still running at the shutdown deadline")
	}
	err := q.client.Stop(ctx)
	if err == nil {
		return nil
	}
	if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	q.log.Warn("jobs still running at the shutdown deadline; cancelling them", "err", err)
	cancelCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.client.StopAndCancel(cancelCtx); err != nil {
		return fmt.Errorf("jobs: stop and cancel: %w", err)
	}
	return nil
}

// Close releases the queue's own pool; Stop it first.
func (q *Queue) Close() error { return q.closeOwnPool() }

func (q *Queue) closeOwnPool() error {
	if !q.closePool {
		return nil
	}
	q.closePool = false
	return q.pool.Close()
}
