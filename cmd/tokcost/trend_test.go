package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/report"
)

// run calls the CLI in-process and returns its exit status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(&IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, args)
	return code, out.String(), errOut.String()
}

// Nightly fleet sizes for the series test: large enough that P95 cost
// moves by well under the 20% threshold from night to night, small
// enough for 30 nights to run in a few seconds.
const (
	seriesNights   = 30
	seriesSessions = 300
	stepNight      = 21 // 1-based: the first night after the planted change
)

// nightlySeries writes seriesNights nightly reports the way
// examples/cron/nightly.sh does (gen stands in for the day's traces;
// analyze --format json -o OUT/DAY/report.json), each night a new seed,
// and from stepNight on the planted change: the executors' routing to the
// cheaper sibling model is switched off, so every call to gpt-4o-mini goes
// to gpt-4o and every call to claude-haiku-4-5 to claude-sonnet-4-5, which
// the generator's rate table (gen/doc.go) prices at $2.50/$10 against
// $0.15/$0.60, and $3/$15 against $1/$5 per MTok: the same sessions, each
// costing more.
func nightlySeries(t *testing.T, dir string, nights int) []string {
	t.Helper()
	var days []string
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for n := 1; n <= nights; n++ {
		day := start.AddDate(0, 0, n-1).Format(time.DateOnly)
		days = append(days, day)
		traces := filepath.Join(t.TempDir(), day+".jsonl")
		if code, _, stderr := run(t, "gen", "--sessions", fmt.Sprint(seriesSessions), "--seed", fmt.Sprint(n),
			"--start", day+"T01:00:00Z", "-o", traces); code != 0 {
			t.Fatalf("gen night %d: exit %d: %s", n, code, stderr)
		}
		if n >= stepNight {
			b, err := os.ReadFile(traces)
			if err != nil {
				t.Fatal(err)
			}
			b = bytes.ReplaceAll(b, []byte(`"model":"gpt-4o-mini"`), []byte(`"model":"gpt-4o"`))
			b = bytes.ReplaceAll(b, []byte(`"model":"claude-haiku-4-5"`), []byte(`"model":"claude-sonnet-4-5"`))
			if err := os.WriteFile(traces, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(dir, day)
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := run(t, "analyze", "-q", "--format", "json", "-o", filepath.Join(out, "report.json"), traces); code != 0 {
			t.Fatalf("analyze night %d: exit %d: %s", n, code, stderr)
		}
	}
	return days
}

// TestTrendFindsPlantedStep: 30 nights, the change planted at night 21.
// The trend must name night 21 as the start of a rise in P50, P95 and
// total cost; no headline metric may show a shift before it, and P95 no
// flagged night at all. (A single night's P50 or total can be flagged:
// each night's test is at 95%, so about one night in twenty is flagged
// with nothing changed, and one heavy session moves a 300-session total;
// that is a flag, not a shift, and is why a shift needs 3 runs.)
func TestTrendFindsPlantedStep(t *testing.T) {
	dir := t.TempDir()
	days := nightlySeries(t, dir, seriesNights)
	code, out, stderr := run(t, "trend", "--format", "json", dir)
	if code != 0 {
		t.Fatalf("trend: exit %d: %s", code, stderr)
	}
	var tr report.Trend
	if err := json.Unmarshal([]byte(out), &tr); err != nil {
		t.Fatal(err)
	}
	if len(tr.Runs) != seriesNights || tr.OrderedBy != "time_range" {
		t.Fatalf("%d runs ordered by %s, want %d by time_range", len(tr.Runs), tr.OrderedBy, seriesNights)
	}
	for i, r := range tr.Runs {
		if r.Label != days[i] {
			t.Fatalf("run %d is %s, want %s", i, r.Label, days[i])
		}
	}
	for _, sh := range tr.Shifts {
		// Per-workflow and per-model series are subsets without confidence
		// intervals (docs/trend.md): only the headline metrics are held here.
		if !strings.Contains(sh.Metric, "=") && sh.Run < stepNight-1 {
			t.Errorf("%s: shift %s from %s, before the planted change", sh.Metric, sh.Direction, sh.Label)
		}
	}
	for _, key := range []string{"cost_p50", "cost_p95", "cost_total"} {
		var s *report.TrendSeries
		for i := range tr.Series {
			if tr.Series[i].Key == key {
				s = &tr.Series[i]
			}
		}
		for i, p := range s.Points[:stepNight-1] {
			if p.Flag != "" && key == "cost_p95" {
				t.Errorf("%s: night %d (%s) flagged %s before the planted change (value %v, median %v)", key, i+1, days[i], p.Flag, *p.Value, *p.Baseline)
			}
		}
		var found *report.TrendShift
		for i, sh := range tr.Shifts {
			if sh.Metric == key {
				found = &tr.Shifts[i]
				break
			}
		}
		if found == nil {
			t.Errorf("%s: no shift found", key)
			continue
		}
		if found.Label != days[stepNight-1] || found.Direction != "up" {
			t.Errorf("%s: first shift %s %s, want up from %s", key, found.Direction, found.Label, days[stepNight-1])
		}
		t.Logf("%s: %s from %s, %v → %v (%+.0f%%)", key, found.Direction, found.Label, found.Before, found.After, found.Rel*100)
	}
	if t.Failed() {
		_, table, _ := run(t, "trend", dir)
		t.Log(table)
	}
}
