package loadgen

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Usage describes the flags of Command.
func Usage() string {
	return `Usage: emporium bench [flags]

Runs storefront scenarios against a running Emporium through its GraphQL API and reports, per scenario
and concurrency level, requests per second, latency percentiles and errors.

Flags:
  -url URL            GraphQL endpoint (default from EMPORIUM_ADDR)
  -scenario LIST      comma-separated scenarios, or "all"   (default browse,search,deep-page,cart)
  -concurrency LIST   comma-separated numbers of workers    (default 1,16,64)
  -duration D         length of each stage; 0 for none      (default 30s)
  -requests N         requests per stage; 0 for no bound    (default 0)
  -warmup D           unrecorded run before each stage      (default 0s)
  -timeout D          timeout of one request                (default 30s)
  -json FILE          also write the report as JSON to FILE; "-" for stdout (the table then goes to stderr)
  -seed N             seed of the workers' random choices   (default 1)

Scenarios:
` + ScenarioHelp() + `
checkout creates orders and takes stock. Run the server with EMPORIUM_RATE_LIMIT=off: every request
comes from one address and would otherwise be throttled.
`
}

// Command runs "emporium bench": parses args, runs, and writes the table to stdout and the JSON where
// asked. The report of the stages done is written even when the run is interrupted.
func Command(ctx context.Context, args []string, defaultURL string, stdout, stderr io.Writer, log *slog.Logger) error {
	opts, jsonPath, err := parseFlags(args, defaultURL)
	if errors.Is(err, flag.ErrHelp) {
		_, err = io.WriteString(stdout, Usage())
		return err
	}
	if err != nil {
		return fmt.Errorf("bench: %w\n\n%s", err, Usage())
	}
	opts.Log = log
	report, runErr := Run(ctx, opts)
	if report == nil {
		return fmt.Errorf("bench: %w", runErr)
	}
	table := stdout
	if jsonPath == "-" {
		table = stderr
		if err := report.WriteJSON(stdout); err != nil {
			return err
		}
	}
	if err := report.WriteTable(table); err != nil {
		return err
	}
	if jsonPath != "" && jsonPath != "-" {
		if err := writeJSONFile(jsonPath, report); err != nil {
			return err
		}
	}
	if runErr != nil {
		return fmt.Errorf("bench: %w", runErr)
	}
	return nil
}

func writeJSONFile(path string, r *Report) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := r.WriteJSON(f); err != nil {
		f.Close()
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return f.Close()
}

func parseFlags(args []string, defaultURL string) (Options, string, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var opts Options
	fs.StringVar(&opts.URL, "url", defaultURL, "")
	scenarioList := fs.String("scenario", "browse,search,deep-page,cart", "")
	concurrency := fs.String("concurrency", "1,16,64", "")
	fs.DurationVar(&opts.Duration, "duration", 30*time.Second, "")
	fs.Int64Var(&opts.Requests, "requests", 0, "")
	fs.DurationVar(&opts.Warmup, "warmup", 0, "")
	fs.DurationVar(&opts.Timeout, "timeout", 30*time.Second, "")
	fs.Uint64Var(&opts.Seed, "seed", 1, "")
	jsonPath := fs.String("json", "", "")
	if err := fs.Parse(args); err != nil {
		return opts, "", err
	}
	if fs.NArg() > 0 {
		return opts, "", fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *scenarioList == "all" {
		opts.Scenarios = ScenarioNames()
	} else {
		opts.Scenarios = splitList(*scenarioList)
	}
	for _, s := range splitList(*concurrency) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return opts, "", fmt.Errorf("-concurrency: %q is not a positive number", s)
		}
		opts.Concurrency = append(opts.Concurrency, n)
	}
	if opts.Duration < 0 || opts.Requests < 0 {
		return opts, "", errors.New("-duration and -requests cannot be negative")
	}
	return opts, *jsonPath, opts.validate()
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
