package loadgen

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	const def = "http://127.0.0.1:8080/graphql"
	t.Run("defaults", func(t *testing.T) {
		opts, jsonPath, err := parseFlags(nil, def)
		if err != nil {
			t.Fatal(err)
		}
		if opts.URL != def || !slices.Equal(opts.Scenarios, []string{"browse", "search", "deep-page", "cart"}) ||
			!slices.Equal(opts.Concurrency, []int{1, 16, 64}) || opts.Duration != 30*time.Second || opts.Requests != 0 || jsonPath != "" {
			t.Errorf("defaults: %+v, json %q", opts, jsonPath)
		}
	})
	t.Run("everything set", func(t *testing.T) {
		opts, jsonPath, err := parseFlags([]string{"--url", "http://h:1/graphql", "--scenario", "search, checkout", "--concurrency", "2,32",
			"--duration", "5s", "--requests", "1000", "--warmup", "1s", "--timeout", "3s", "--seed", "9", "--json", "out.json"}, def)
		if err != nil {
			t.Fatal(err)
		}
		if opts.URL != "http://h:1/graphql" || !slices.Equal(opts.Scenarios, []string{"search", "checkout"}) ||
			!slices.Equal(opts.Concurrency, []int{2, 32}) || opts.Duration != 5*time.Second || opts.Requests != 1000 ||
			opts.Warmup != time.Second || opts.Timeout != 3*time.Second || opts.Seed != 9 || jsonPath != "out.json" {
			t.Errorf("parsed %+v, json %q", opts, jsonPath)
		}
	})
	t.Run("all scenarios", func(t *testing.T) {
		opts, _, err := parseFlags([]string{"-scenario", "all"}, def)
		if err != nil || !slices.Equal(opts.Scenarios, ScenarioNames()) || len(opts.Scenarios) != 5 {
			t.Errorf("all: %v %v", opts.Scenarios, err)
		}
	})
	t.Run("only a request bound", func(t *testing.T) {
		opts, _, err := parseFlags([]string{"-duration", "0", "-requests", "500"}, def)
		if err != nil || opts.Duration != 0 || opts.Requests != 500 {
			t.Errorf("%+v %v", opts, err)
		}
	})
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-scenario", "browse,shopping"}, `unknown scenario "shopping"`},
		{[]string{"-concurrency", "1,0"}, "not a positive number"},
		{[]string{"-concurrency", "many"}, "not a positive number"},
		{[]string{"-duration", "0", "-requests", "0"}, "set a duration"},
		{[]string{"-requests", "-5"}, "negative"},
		{[]string{"-url", ""}, "no URL"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-rate", "5"}, "not defined"},
	} {
		if _, _, err := parseFlags(tt.args, def); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseFlags(%v) = %v, want an error about %s", tt.args, err, tt.want)
		}
	}
	if _, _, err := parseFlags([]string{"-help"}, def); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-help: %v", err)
	}
}

func TestCommandHelp(t *testing.T) {
	var out bytes.Buffer
	if err := Command(context.Background(), []string{"-h"}, "http://x/graphql", &out, io.Discard, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	for _, want := range append(ScenarioNames(), "-concurrency", "-duration", "-requests", "-json", "EMPORIUM_RATE_LIMIT=off") {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
