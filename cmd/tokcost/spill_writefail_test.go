package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpillWriteFailsSameReport: spill files on a disk that refuses every
// write (handed out read-only from the createSpillTemp seam, so writes
// fail with EBADF) leave the records and the summaries in memory: the
// report is byte for byte the one of a run that never spills (the second
// method: --memory-limit off), exit 0, a warning for each on stderr, and
// nothing left in the temp directory. 2,000 generated sessions with
// --memory-limit 1MiB spill both records and summaries when the disk works
// (TestSpillReadBackFailsExit1's control); here the records' first write
// is a generation's (retire), so this guards its put-back: without it the
// CSV lost 107 bytes of rows and the JSON changed, same length (checked by
// removing the put-back in retire). spillAll's put-back is guarded in
// internal/store (TestSpillWriteFailsKeepsRecords).
func TestSpillWriteFailsSameReport(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "2000", "--seed", "3", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	orig := createSpillTemp
	t.Cleanup(func() { createSpillTemp = orig })
	made := 0
	createSpillTemp = func(d string) (*os.File, error) {
		f, err := orig(d)
		if err != nil {
			return f, err
		}
		made++
		name := f.Name()
		_ = f.Close()
		return os.Open(name) // read-only: every write fails
	}
	for _, format := range []string{"json", "csv"} {
		code, want, errOut := run(t, "analyze", "--format", format, "--memory-limit", "off", fleet)
		if code != 0 {
			t.Fatalf("%s, no spill: exit %d: %s", format, code, errOut)
		}
		spillDir := filepath.Join(dir, format)
		if err := os.Mkdir(spillDir, 0o755); err != nil {
			t.Fatal(err)
		}
		made = 0
		code, got, errOut := run(t, "analyze", "--format", format, "--memory-limit", "1MiB", "--temp-dir", spillDir, fleet)
		if code != 0 {
			t.Fatalf("%s, writes failing: exit %d: %s", format, code, errOut)
		}
		if made < 2 || !strings.Contains(errOut, "stopped spilling to disk") || !strings.Contains(errOut, "could not spill session summaries") {
			t.Errorf("%s: %d spill files, stderr %q; want both spills tried and warned about", format, made, errOut)
		}
		if got != want {
			t.Errorf("%s: the report differs from the in-memory run's (%d vs %d bytes)", format, len(got), len(want))
		}
		if left, _ := os.ReadDir(spillDir); len(left) > 0 {
			t.Errorf("%s: left in the temp dir: %v", format, left)
		}
	}
}
