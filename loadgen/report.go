package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	URL     string    `json:"url"`
	Started time.Time `json:"started"`
	Limits  Limits    `json:"limits"`
	Catalog Catalog   `json:"catalog"`
	Results []Result  `json:"results"`
}

// Limits are the bounds each stage ran under.
type Limits struct {
	Duration string `json:"duration"`
	Requests int64  `json:"requests"` // 0: no bound
	Warmup   string `json:"warmup"`
}

// Result is one stage: a scenario at one concurrency level.
type Result struct {
	Scenario    string  `json:"scenario"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	Stats
	// Checkouts are the orders that completed, for the checkout scenario.
	Checkouts          int64            `json:"checkouts"`
	CheckoutsPerSecond float64          `json:"checkoutsPerSecond"`
	StatusCodes        map[string]int64 `json:"statusCodes"`
	ErrorKinds         map[string]int64 `json:"errorKinds,omitempty"`
	ErrorSamples       []string         `json:"errorSamples,omitempty"`
	Interrupted        bool             `json:"interrupted,omitempty"`
	Stopped            string           `json:"stopped,omitempty"` // why the workers stopped before the limits
	Operations         []Operation      `json:"operations"`

	checkoutScenario bool
}

// Operation is one kind of request within a stage.
type Operation struct {
	Name string `json:"name"`
	Stats
}

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes one aligned row per stage, then the kinds of errors seen, if any.
func (r *Report) WriteTable(w io.Writer) error {
	// Numbers align right; each cell after the first brings its own two spaces of gap, so that the
	// scenario names, padded to one width, start at the margin.
	tw := tabwriter.NewWriter(w, 0, 0, 0, ' ', tabwriter.AlignRight)
	width := len("scenario")
	for _, res := range r.Results {
		width = max(width, len(res.Scenario)+1)
	}
	fmt.Fprintf(tw, "%-*s\t  conc\t  requests\t  req/s\t  p50\t  p95\t  p99\t  max\t  errors\t  shed\t  checkouts/s\t\n", width, "scenario")
	for _, res := range r.Results {
		checkouts := "-"
		if res.checkoutScenario {
			checkouts = fmt.Sprintf("%.1f", res.CheckoutsPerSecond)
		}
		name := res.Scenario
		if res.Interrupted {
			name += "*"
		}
		l := res.Latency
		fmt.Fprintf(tw, "%-*s\t  %d\t  %d\t  %.1f\t  %s\t  %s\t  %s\t  %s\t  %d\t  %d\t  %s\t\n", width, name, res.Concurrency, res.Requests,
			res.RequestsPerSecond, formatLatency(l.P50), formatLatency(l.P95), formatLatency(l.P99), formatLatency(l.Max),
			res.Errors, res.Shed, checkouts)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, res := range r.Results {
		if res.Interrupted {
			notes = append(notes, fmt.Sprintf("* %s at %d was interrupted", res.Scenario, res.Concurrency))
		}
		if res.Stopped != "" {
			notes = append(notes, fmt.Sprintf("%s at %d ended early: %s", res.Scenario, res.Concurrency, res.Stopped))
		}
		if len(res.ErrorKinds) > 0 {
			notes = append(notes, fmt.Sprintf("%s at %d: %s", res.Scenario, res.Concurrency, formatKinds(res.ErrorKinds)))
		}
		if res.ErrorKinds[KindGraphQL+" THROTTLED"] > 0 {
			notes = append(notes, "  throttled: run the server with EMPORIUM_RATE_LIMIT=off, since every request comes from one address")
		}
	}
	notes = append(notes, "latencies are of successful requests; errors include shed (503) requests")
	_, err := io.WriteString(w, "\n"+strings.Join(notes, "\n")+"\n")
	return err
}

func formatKinds(kinds map[string]int64) string {
	keys := slices.Sorted(maps.Keys(kinds))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", kinds[k], k)
	}
	return strings.Join(parts, ", ")
}

// formatLatency shows three significant digits in milliseconds, or seconds from one second.
func formatLatency(m Millis) string {
	d := time.Duration(m)
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "-"
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.2fms", ms)
}
