package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeNight writes one canonical trace of one claude-sonnet-4-5 call of
// tokens input tokens on day (2026-11-DD) and returns its path.
func writeNight(t *testing.T, dir string, day, tokens int) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("n%d.jsonl", day))
	line := fmt.Sprintf(`{"id": "n%d-1", "session_id": "n%d", "seq": 1, "ts": "2026-11-%02dT04:00:00Z", "duration_ms": 1000, "kind": "llm", "model": "claude-sonnet-4-5", "input_tokens": %d, "output_tokens": 0}`+"\n", day, day, day, tokens)
	if err := os.WriteFile(p, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A history report that cannot be read (a truncated report.json: disk
// full, a killed job) must not vanish from the gate's baseline without a
// word: the median then stands on fewer nights than the user kept.
func TestCheckHistorySaysWhichReportsItSkipped(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "hist")
	for day := 1; day <= 3; day++ {
		sub := filepath.Join(hist, fmt.Sprintf("2026-11-%02d", day))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		tr := writeNight(t, dir, day, 100000)
		if code, _, stderr := run(t, "analyze", "-q", "--format", "json", "-o", filepath.Join(sub, "report.json"), tr); code != 0 {
			t.Fatalf("analyze night %d: exit %d: %s", day, code, stderr)
		}
	}
	// Truncate night 2's report to half its bytes.
	broken := filepath.Join(hist, "2026-11-02", "report.json")
	b, err := os.ReadFile(broken)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	tonight := writeNight(t, dir, 4, 100000)
	_, stdout, stderr := run(t, "check", "--history", hist, "--max-p95-rise", "20%", tonight)
	// Two readable earlier runs remain; the third must be named on stderr.
	if !strings.Contains(stdout, "median of 2 earlier runs") {
		t.Fatalf("stdout: want the median of the 2 readable runs, got:\n%s", stdout)
	}
	if !strings.Contains(stderr, broken) {
		t.Errorf("stderr does not name the unreadable history report %s:\n%s", broken, stderr)
	}
}

// When --history cannot gate (no earlier report: the first night, or a
// history cache that expired), the check's own output must say so, not
// only stderr: CI shows the Markdown summary, where a missing rule row
// next to all-PASS rows reads as "gated and passed".
func TestCheckHistoryNotCheckedIsInTheReport(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "hist")
	if err := os.MkdirAll(hist, 0o755); err != nil {
		t.Fatal(err)
	}
	tonight := writeNight(t, dir, 4, 100000)
	for _, format := range []string{"markdown", "table", "json"} {
		code, stdout, stderr := run(t, "check", "--format", format, "--history", hist, "--max-p95-rise", "20%", tonight)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, stderr)
		}
		if !strings.Contains(stdout, "max-p95-rise not checked") {
			t.Errorf("%s: the output does not say max-p95-rise was not checked:\n%s", format, stdout)
		}
	}
}

// A history mixing reports without input.first_ts (written before the
// field existed) and reports with it must still leave out tonight's own
// report, which nightly.sh writes into the history before the check: a
// night in its own baseline raises the limit it is held to.
//
// Nights (one claude-sonnet-4-5 call each, $3 per MTok input):
//
//	11-01 100,000 tokens $0.30 (first_ts removed: an older report)
//	11-02 110,000 tokens $0.33
//	11-03 130,000 tokens $0.39 (tonight, its report already in the history)
//
// Earlier runs: $0.30 and $0.33, median $0.315, limit ×1.2 = $0.378, and
// tonight's $0.39 fails (exit 4). With tonight counted the median of $0.30,
// $0.33, $0.39 is $0.33, the limit $0.396, and it would pass.
func TestCheckHistoryMixedLeavesTonightOut(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "hist")
	var tonight string
	for day, tokens := range map[int]int{1: 100000, 2: 110000, 3: 130000} {
		sub := filepath.Join(hist, fmt.Sprintf("2026-11-%02d", day))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		tr := writeNight(t, dir, day, tokens)
		if day == 3 {
			tonight = tr
		}
		out := filepath.Join(sub, "report.json")
		if code, _, stderr := run(t, "analyze", "-q", "--format", "json", "-o", out, tr); code != 0 {
			t.Fatalf("analyze night %d: exit %d: %s", day, code, stderr)
		}
		if day == 1 {
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			in := m["input"].(map[string]any)
			delete(in, "first_ts")
			delete(in, "last_ts")
			b, _ = json.Marshal(m)
			if err := os.WriteFile(out, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	code, stdout, stderr := run(t, "check", "--history", hist, "--max-p95-rise", "20%", tonight)
	if code != 4 || !strings.Contains(stdout, "median of 2 earlier runs") || !strings.Contains(stdout, "$0.3150") {
		t.Errorf("want exit 4 against the median $0.315 of 2 earlier runs; got exit %d:\n%s\n%s", code, stdout, stderr)
	}
}
