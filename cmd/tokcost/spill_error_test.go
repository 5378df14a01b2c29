package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpillFileGoneAfterError: a run that spilled and then fails (--strict
// with an invalid line: exit 3, decided after the records were read back)
// leaves nothing in --temp-dir, and writes no report. Success is
// TestSpillSameAsMemory's last check, SIGINT TestSignalMidSpill's.
func TestSpillFileGoneAfterError(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "2000", "--seed", "3", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spillDir := filepath.Join(dir, "spill")
	if err := os.Mkdir(spillDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rep := filepath.Join(dir, "report.json")
	code, _, errOut := run(t, "analyze", "--strict", "--format", "json", "-o", rep,
		"--memory-limit", "1MiB", "--temp-dir", spillDir, fleet, bad)
	if code != ExitInvalid {
		t.Fatalf("exit %d, want %d (--strict, one invalid line): %s", code, ExitInvalid, errOut)
	}
	// 2,000 generated sessions are about 47,000 records, ~1 MiB encoded at
	// ~23 bytes each: past the 512 KiB the records may keep.
	if !strings.Contains(errOut, "tokcost: spilled ") {
		t.Errorf("nothing spilled, so the test shows nothing: %q", errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(spillDir, "*")); len(left) > 0 {
		t.Errorf("spill files left behind after the error: %v", left)
	}
	if _, err := os.Stat(rep); !os.IsNotExist(err) {
		t.Errorf("a report was written despite the error (stat: %v)", err)
	}
}
