package loadgen

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	lat := func(p50, p95, p99, max time.Duration) Latency {
		return Latency{P50: Millis(p50), P95: Millis(p95), P99: Millis(p99), Max: Millis(max), Mean: Millis(p50)}
	}
	return &Report{URL: "http://127.0.0.1:8080/graphql", Results: []Result{
		{Scenario: "browse", Concurrency: 1, Seconds: 2, Stats: Stats{Requests: 812, RequestsPerSecond: 406,
			Latency: lat(2100*time.Microsecond, 9800*time.Microsecond, 14200*time.Microsecond, 31*time.Millisecond)},
			StatusCodes: map[string]int64{"200": 812}},
		{Scenario: "deep-page", Concurrency: 64, Seconds: 2, Stats: Stats{Requests: 12345, RequestsPerSecond: 6172.5, Errors: 9, Shed: 7,
			Latency: lat(150*time.Millisecond, 420*time.Millisecond, 980*time.Millisecond, 1500*time.Millisecond)},
			StatusCodes: map[string]int64{"200": 12338, "503": 7}, ErrorKinds: map[string]int64{"shed": 7, "graphql THROTTLED": 2}},
		{Scenario: "checkout", Concurrency: 16, Seconds: 2, Stats: Stats{Requests: 500, RequestsPerSecond: 250,
			Latency: lat(400*time.Microsecond, time.Millisecond, 2*time.Millisecond, 3*time.Millisecond)},
			Checkouts: 100, CheckoutsPerSecond: 50, checkoutScenario: true},
	}}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	header, rows := lines[0], lines[1:4]
	for _, col := range []string{"scenario", "conc", "requests", "req/s", "p50", "p95", "p99", "max", "errors", "shed", "checkouts/s"} {
		if !strings.Contains(header, col) {
			t.Errorf("header %q lacks %q", header, col)
		}
	}
	wantRows := [][]string{
		{"browse", "1", "812", "406.0", "2.10ms", "9.80ms", "14.2ms", "31.0ms", "0", "0", "-"},
		{"deep-page", "64", "12345", "6172.5", "150ms", "420ms", "980ms", "1.50s", "9", "7", "-"},
		{"checkout", "16", "500", "250.0", "0.40ms", "1.00ms", "2.00ms", "3.00ms", "0", "0", "50.0"},
	}
	for i, row := range rows {
		if got := strings.Fields(row); strings.Join(got, " ") != strings.Join(wantRows[i], " ") {
			t.Errorf("row %d = %q, want %q", i, got, wantRows[i])
		}
		// Right-aligned columns end at the same place on every line.
		if len(row) != len(header) {
			t.Errorf("row %d is %d wide, the header %d:\n%s\n%s", i, len(row), len(header), header, row)
		}
	}
	if !strings.HasPrefix(rows[0], "browse ") || !strings.HasPrefix(header, "scenario ") {
		t.Errorf("scenario names do not start at the margin:\n%s", b.String())
	}
	for _, note := range []string{"deep-page at 64: 2 graphql THROTTLED, 7 shed", "EMPORIUM_RATE_LIMIT=off"} {
		if !strings.Contains(b.String(), note) {
			t.Errorf("table lacks the note %q:\n%s", note, b.String())
		}
	}
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Results []struct {
			Scenario  string `json:"scenario"`
			Requests  int64  `json:"requests"`
			Shed      int64  `json:"shed"`
			Checkouts int64  `json:"checkouts"`
			LatencyMs struct {
				P50, P99, Max float64
			} `json:"latencyMs"`
			StatusCodes map[string]int64 `json:"statusCodes"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("%v:\n%s", err, b.String())
	}
	r := got.Results[1]
	if r.Scenario != "deep-page" || r.Requests != 12345 || r.Shed != 7 || r.StatusCodes["503"] != 7 ||
		r.LatencyMs.P50 != 150 || r.LatencyMs.P99 != 980 || r.LatencyMs.Max != 1500 {
		t.Errorf("deep-page decoded as %+v", r)
	}
	if got.Results[0].LatencyMs.P50 != 2.1 || got.Results[2].Checkouts != 100 {
		t.Errorf("decoded %+v", got.Results)
	}
	// A whole report reads back as it was written.
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Results[1].Latency != sampleReport().Results[1].Latency {
		t.Errorf("round trip: %v, %+v", err, back.Results[1].Latency)
	}
}

func TestFormatLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                        "-",
		420 * time.Microsecond:   "0.42ms",
		4211 * time.Microsecond:  "4.21ms",
		42110 * time.Microsecond: "42.1ms",
		421 * time.Millisecond:   "421ms",
		1420 * time.Millisecond:  "1.42s",
	} {
		if got := formatLatency(Millis(d)); got != want {
			t.Errorf("formatLatency(%v) = %q, want %q", d, got, want)
		}
	}
}
