package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// mixedSamples are real files of several formats, by the format each is.
var mixedSamples = map[string][]string{
	"openhands": {
		"../../ingest/openhands/testdata/basic.json",
		"../../ingest/openhands/testdata/basic_gui_mode.json",
		"../../ingest/openhands/testdata/basic_interactions.json",
		"../../ingest/openhands/testdata/wrong_initial_state.json",
	},
	"litellm-spend-logs": {"../../ingest/litellmlogs/testdata/spendlogs.jsonl"},
	"mini-swe-agent":     {"../../ingest/miniswe/testdata/astropy__astropy-12907.traj.json"},
	// Messages without their part directory: the copy keeps no storage tree.
	"opencode":     {"../../ingest/opencode/testdata/storage/message/ses_B/msg_b1.json", "../../ingest/opencode/testdata/storage/message/ses_B/msg_b2.json"},
	"codex":        {"../../ingest/codex/testdata/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl"},
	"claude-code":  {"../../ingest/claudecode/testdata/short.jsonl", "../../ingest/claudecode/testdata/tool_heavy.jsonl"},
	"gemini-cli":   {"../../ingest/gemini/testdata/session-2026-01-16T11-01-file-ops-37b7abef.json"},
	"cline":        {"../../ingest/cline/testdata/tasks/fineye/ui_messages.json"},
	"jaeger":       {"../../ingest/otel/testdata/k8s.json"},
	"stdouttrace":  {"../../ingest/otel/testdata/stdouttrace_pretty.json"},
	"otel-console": {"../../ingest/otel/testdata/console_py.json"},
	"jsonl":        {"../../testdata/react10.jsonl", "../../testdata/retry15.jsonl"},
}

type reportTotals struct {
	Input struct {
		Files []struct {
			Name   string `json:"name"`
			Format string `json:"format"`
		} `json:"files"`
		Lines      int64 `json:"lines"`
		Records    int64 `json:"records"`
		Duplicates int64 `json:"duplicates"`
		Invalid    int64 `json:"invalid"`
		Skipped    int64 `json:"skipped"`
	} `json:"input"`
	Sessions struct {
		Count int64 `json:"count"`
		Cost  struct {
			Total float64 `json:"total"`
		} `json:"cost_usd"`
		In struct {
			Total int64 `json:"total"`
		} `json:"input_tokens"`
		Out struct {
			Total int64 `json:"total"`
		} `json:"output_tokens"`
	} `json:"sessions"`
}

func analyzeJSON(t *testing.T, args ...string) reportTotals {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(&IOStreams{In: bytes.NewReader(nil), Out: &out, ErrOut: &errOut}, append([]string{"analyze", "--format", "json"}, args...))
	if code != 0 {
		t.Fatalf("analyze %v: exit %d: %s", args, code, errOut.String())
	}
	var r reportTotals
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMixedDirectory: one directory holding files of many formats gives
// the same totals as analysing each format on its own and adding up; the
// second method shares no state with the first (separate runs).
func TestMixedDirectory(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{} // file name in dir → format
	var sum reportTotals
	formats := make([]string, 0, len(mixedSamples))
	for f := range mixedSamples {
		formats = append(formats, f)
	}
	sort.Strings(formats)
	for _, format := range formats {
		files := mixedSamples[format]
		r := analyzeJSON(t, append([]string{"--input-format", format}, files...)...)
		sum.Input.Lines += r.Input.Lines
		sum.Input.Records += r.Input.Records
		sum.Input.Duplicates += r.Input.Duplicates
		sum.Input.Invalid += r.Input.Invalid
		sum.Input.Skipped += r.Input.Skipped
		sum.Sessions.Count += r.Sessions.Count
		sum.Sessions.Cost.Total += r.Sessions.Cost.Total
		sum.Sessions.In.Total += r.Sessions.In.Total
		sum.Sessions.Out.Total += r.Sessions.Out.Total
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			// One sub-directory per format, as a benchmark run would be.
			name := filepath.Join(format, filepath.Base(f))
			if err := os.MkdirAll(filepath.Join(dir, format), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			want[filepath.Join(dir, name)] = format
		}
	}
	got := analyzeJSON(t, dir)
	for _, f := range got.Input.Files {
		if want[f.Name] != f.Format {
			t.Errorf("%s detected as %q, want %q", f.Name, f.Format, want[f.Name])
		}
	}
	if len(got.Input.Files) != len(want) {
		t.Errorf("%d files read, want %d", len(got.Input.Files), len(want))
	}
	gi, si := got.Input, sum.Input
	if gi.Lines != si.Lines || gi.Records != si.Records || gi.Duplicates != si.Duplicates || gi.Invalid != si.Invalid ||
		gi.Skipped != si.Skipped || got.Sessions.Count != sum.Sessions.Count ||
		got.Sessions.In.Total != sum.Sessions.In.Total || got.Sessions.Out.Total != sum.Sessions.Out.Total ||
		math.Abs(got.Sessions.Cost.Total-sum.Sessions.Cost.Total) > 1e-9 {
		t.Errorf("mixed directory %+v\nsum of formats %+v", got, sum)
	}
	if sum.Sessions.Count < int64(len(want)) || sum.Input.Invalid != 0 {
		t.Errorf("each sample is at least one session and clean: %+v", sum)
	}
}
