// Package loadgen measures Emporium through its public GraphQL API: named scenarios of what storefronts
// do, run by concurrent workers for a bounded time or number of requests, reported as throughput and
// latency percentiles.
package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run: every scenario at every concurrency level, one stage after the other.
type Options struct {
	URL         string   // the GraphQL endpoint
	Scenarios   []string // names from ScenarioNames
	Concurrency []int    // workers per stage
	// A stage ends at Duration or after Requests requests, whichever comes first; zero is no bound,
	// and at least one must be set.
	Duration time.Duration
	Requests int64
	Warmup   time.Duration // run before each stage, not recorded
	Timeout  time.Duration // of one request
	Seed     uint64        // for the workers' random choices
	Log      *slog.Logger
}

func (o *Options) validate() error {
	if o.URL == "" {
		return errors.New("loadgen: no URL")
	}
	if len(o.Scenarios) == 0 || len(o.Concurrency) == 0 {
		return errors.New("loadgen: no scenario or no concurrency level")
	}
	for _, name := range o.Scenarios {
		if _, ok := scenarioByName(name); !ok {
			return fmt.Errorf("loadgen: unknown scenario %q (known: %v)", name, ScenarioNames())
		}
	}
	for _, n := range o.Concurrency {
		if n < 1 {
			return fmt.Errorf("loadgen: concurrency %d is not positive", n)
		}
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return errors.New("loadgen: set a duration, a number of requests, or both")
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Run discovers the catalog, then runs each stage. When ctx ends it returns the stages done so far, the
// interrupted one included, with ctx's error.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	client := NewClient(opts.URL, slices.Max(opts.Concurrency), opts.Timeout)
	defer client.Close()
	cat, err := discover(ctx, client)
	if err != nil {
		return nil, err
	}
	opts.Log.Info("catalog discovered", "collections", len(cat.collections), "products", len(cat.products),
		"purchasable_variants", len(cat.stocked), "search_terms", len(cat.terms))
	report := &Report{URL: opts.URL, Started: time.Now().UTC(), Catalog: cat.summary(),
		Limits: Limits{Duration: opts.Duration.String(), Requests: opts.Requests, Warmup: opts.Warmup.String()}}
	for _, name := range opts.Scenarios {
		sc, _ := scenarioByName(name)
		for _, n := range opts.Concurrency {
			if opts.Warmup > 0 {
				runStage(ctx, client, cat, sc, n, opts.Warmup, 0, opts.Seed^0x5eed)
			}
			opts.Log.Info("stage", "scenario", sc.name, "concurrency", n)
			res := runStage(ctx, client, cat, sc, n, opts.Duration, opts.Requests, opts.Seed)
			if res.Stopped != "" {
				opts.Log.Warn("stage ended early", "scenario", sc.name, "concurrency", n, "reason", res.Stopped)
			}
			report.Results = append(report.Results, res)
			if ctx.Err() != nil {
				return report, ctx.Err()
			}
			opts.Log.Info("stage done", "scenario", sc.name, "concurrency", n, "requests", res.Requests,
				"requests_per_second", int(res.RequestsPerSecond), "p99_ms", float64(res.Latency.P99)/1e6, "errors", res.Errors)
		}
	}
	return report, nil
}

// limits end a stage: no request starts after the deadline or beyond the budget.
type limits struct {
	deadline time.Time // zero: none
	budget   int64     // zero: none
	issued   atomic.Int64
}

// take reserves the right to send one more request.
func (l *limits) take() bool {
	if !l.deadline.IsZero() && !time.Now().Before(l.deadline) {
		return false
	}
	return l.budget == 0 || l.issued.Add(1) <= l.budget
}

// errStop ends a worker: the stage reached its limits.
var errStop = errors.New("loadgen: stage limit reached")

// runStage runs n workers of sc until the limits.
func runStage(ctx context.Context, client *Client, cat *catalog, sc scenario, n int, duration time.Duration, requests int64, seed uint64) Result {
	l := &limits{budget: requests}
	start := time.Now()
	if duration > 0 {
		l.deadline = start.Add(duration)
	}
	workers := make([]*worker, n)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{client: client, cat: cat, limits: l, ops: map[string]*series{},
			rng: rand.New(rand.NewPCG(seed, uint64(i)))}
		workers[i] = w
		wg.Go(func() { w.stopped = w.loop(ctx, sc) })
	}
	wg.Wait()
	elapsed := time.Since(start)

	total, ops := newSeries(), map[string]*series{}
	var checkouts int64
	var stopped error
	for _, w := range workers {
		stopped = cmp.Or(stopped, w.stopped)
		for name, s := range w.ops {
			if ops[name] == nil {
				ops[name] = newSeries()
			}
			ops[name].merge(s)
			total.merge(s)
		}
		checkouts += w.checkouts
	}
	res := Result{Scenario: sc.name, Concurrency: n, Seconds: elapsed.Seconds(), Stats: total.stats(elapsed),
		ErrorKinds: total.kinds, StatusCodes: total.statusCounts(), ErrorSamples: total.samples,
		Interrupted: ctx.Err() != nil, checkoutScenario: sc.checkouts}
	if stopped != nil {
		res.Stopped = stopped.Error()
	}
	if sc.checkouts {
		res.Checkouts = checkouts
		res.CheckoutsPerSecond = float64(checkouts) / elapsed.Seconds()
	}
	for _, name := range slices.Sorted(maps.Keys(ops)) {
		res.Operations = append(res.Operations, Operation{Name: name, Stats: ops[name].stats(elapsed)})
	}
	return res
}

// worker runs one scenario's iterations in a loop, as one shopper after another.
type worker struct {
	client    *Client
	cat       *catalog
	limits    *limits
	rng       *rand.Rand
	ops       map[string]*series // by operation name
	checkouts int64
	stopped   error // why the worker stopped before the stage's limits
}

// loop runs iterations until the limits, or until the scenario cannot go on (its error).
func (w *worker) loop(ctx context.Context, sc scenario) error {
	for ctx.Err() == nil {
		err := sc.run(ctx, w)
		var re *RequestError
		switch {
		case err == nil:
		case errors.Is(err, errStop) || ctx.Err() != nil:
			return nil
		case errors.Is(err, errSoldOut):
			return err
		case errors.As(err, &re) && re.Kind == KindTransport:
			// The server is unreachable or overwhelmed: pause rather than spin on instant failures.
			select {
			case <-ctx.Done():
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// step is one kind of request: its name in reports, the root field its data is read from, its document.
type step struct {
	op, field, query string
}

// call sends one request of st, records it, and decodes its data into out.
func (w *worker) call(ctx context.Context, st step, vars map[string]any, out any) error {
	if !w.limits.take() {
		return errStop
	}
	start := time.Now()
	status, body, err := w.client.send(ctx, st.query, vars)
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		return ctx.Err() // interrupted, not measured
	}
	if err == nil {
		err = decode(status, body, st.field, out)
	}
	s := w.ops[st.op]
	if s == nil {
		s = newSeries()
		w.ops[st.op] = s
	}
	s.add(elapsed, status, err)
	return err
}

// pick returns a random element of xs.
func pick[T any](rng *rand.Rand, xs []T) T {
	return xs[rng.IntN(len(xs))]
}
