package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestSessionTablesWindow: session tables written by windowed runs
// (--since/--until) keep the window, and merge says its figures are windowed: the span of the tables' windows, from
// the earliest since to the latest until (dates chosen by hand below).
func TestSessionTablesWindow(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"a.jsonl": observations("a", 3), "b.jsonl": observations("b", 2)})
	if err := os.Mkdir(filepath.Join(dir, "s"), 0o755); err != nil {
		t.Fatal(err)
	}
	// observations' records are at 2026-12-02 00:00:0i: every one is in
	// both windows.
	for _, c := range [][]string{
		{"a", "--since", "2026-12-02", "--until", "2026-12-03"},
		{"b", "--since", "2026-12-01", "--until", "2026-12-02T00:00:05Z"},
	} {
		args := []string{"analyze", "-q", "-o", os.DevNull, "--sessions-out", filepath.Join(dir, "s", c[0]+".parquet")}
		if code, _, errOut := run(t, append(append(args, c[1:]...), filepath.Join(dir, c[0]+".jsonl"))...); code != 0 {
			t.Fatalf("analyze %s: exit %d: %s", c[0], code, errOut)
		}
	}
	type win struct {
		Input struct {
			Window *struct{ Since, Until string }
		}
	}
	want := struct{ Since, Until string }{"2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z"}
	merged := filepath.Join(dir, "m.json")
	if code, _, errOut := run(t, "merge", "-f", "json", "-o", merged, filepath.Join(dir, "s")); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, errOut)
	}
	b, _ := os.ReadFile(merged)
	var m win
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Input.Window == nil || *m.Input.Window != want {
		t.Errorf("merge: window %+v, want %+v", m.Input.Window, want)
	}
	// check --session-tables gets the same window (check.go), as check
	// over traces does; check's outputs do not print the window in
	// either case, so there is nothing to read back here.
}
