package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpillSameAsMemory is the differential test of spilling: a generated
// fleet, read with a memory limit of 1 MiB (the records may keep 512 KiB,
// so a few MiB of encoded records spill many times over), gives the very
// bytes of the JSON report and the session table that the run kept in
// memory (--memory-limit off) gives. The second input repeats the
// committed fleet, so sessions are joined from several sinks, some of
// their records on disk and some in memory.
func TestSpillSameAsMemory(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "4000", "--seed", "7", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	spillDir := filepath.Join(dir, "spill")
	if err := os.Mkdir(spillDir, 0o755); err != nil {
		t.Fatal(err)
	}
	outputs := func(name string, limit ...string) (report, sessions []byte, stderr string) {
		rep, ses := filepath.Join(dir, name+".json"), filepath.Join(dir, name+".parquet")
		args := append([]string{"analyze", "--format", "json", "-o", rep, "--sessions-out", ses, "--temp-dir", spillDir}, limit...)
		code, _, errOut := run(t, append(args, fleet, "../../testdata/fleet.jsonl")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		r, err := os.ReadFile(rep)
		if err != nil {
			t.Fatal(err)
		}
		s, err := os.ReadFile(ses)
		if err != nil {
			t.Fatal(err)
		}
		return r, s, errOut
	}
	memRep, memSes, memErr := outputs("memory", "--memory-limit", "off")
	spRep, spSes, spErr := outputs("spilled", "--memory-limit", "1MiB")
	if strings.Contains(memErr, "spilled") {
		t.Errorf("the in-memory run spilled: %s", memErr)
	}
	// The spill happened, and the user is told: 4000 generated sessions
	// are several MiB of encoded records (about 23 bytes a record), far
	// past the 512 KiB kept.
	if !strings.Contains(spErr, "tokcost: spilled ") || !strings.Contains(spErr, " MiB of records to disk (--memory-limit 1MiB)") {
		t.Errorf("no spill reported on stderr: %q", spErr)
	}
	if !bytes.Equal(memRep, spRep) {
		t.Errorf("JSON reports differ between the in-memory and the spilled run")
	}
	if !bytes.Equal(memSes, spSes) {
		t.Errorf("session tables differ between the in-memory and the spilled run")
	}
	if left, _ := filepath.Glob(filepath.Join(spillDir, "*")); len(left) > 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

// TestMemoryLimitFlag checks the flag's refusals: a limit too small to
// hold the blocks in progress, and one that is not a byte count.
func TestMemoryLimitFlag(t *testing.T) {
	for _, v := range []string{"1000", "lots"} {
		code, _, errOut := run(t, "analyze", "--memory-limit", v, "../../testdata/react10.jsonl")
		if code != ExitUsage || !strings.Contains(errOut, "--memory-limit") {
			t.Errorf("--memory-limit %s: exit %d, stderr %q; want a usage error", v, code, errOut)
		}
	}
}
