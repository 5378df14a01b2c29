package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
//
// At 1 MiB the sinks' per-session reading state (ids, counters,
// attributes, error texts) may take a quarter of the 512 KiB, 64 KiB a
// sink at most (store.SpillOptions.SessionState), and each of the 4,000
// sessions costs at least 120 bytes of it besides its id (internal/store,
// sessionStateBytes): 480,000 bytes, past 64 KiB seven times over, so
// unless the input is spread over more than seven sinks, sinks retire
// generations of that state to disk, and a session seen again after one
// is joined from several generations. TOKCOST_TIMING reports how many;
// whatif and ticket, which keep every event, are compared too.
func TestSpillSameAsMemory(t *testing.T) {
	t.Setenv("TOKCOST_TIMING", "1")
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
		// With a phase timer, as TOKCOST_TIMING gives the command.
		var errBuf bytes.Buffer
		code := Main(&IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &errBuf, timing: newPhaseTimer(&errBuf)},
			append(args, fleet, "../../testdata/fleet.jsonl"))
		errOut := errBuf.String()
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
	if g := generations(t, spErr); g < 1 {
		t.Errorf("%d generations of session state retired at --memory-limit 1MiB, want some", g)
	}
	if g := generations(t, memErr); g != 0 {
		t.Errorf("%d generations retired at --memory-limit off, want 0", g)
	}
	for _, args := range [][]string{
		{"whatif", "--format", "json", "--caps", "3,10", "--window", "4", "--route", "executor=gpt-4o-mini"},
		{"ticket"},
	} {
		var outs [2]string
		for i, limit := range []string{"off", "1MiB"} {
			code, stdout, errOut := run(t, append(append(args, "--memory-limit", limit, "--temp-dir", spillDir), fleet, "../../testdata/fleet.jsonl")...)
			if code != 0 {
				t.Fatalf("%v at %s: exit %d: %s", args, limit, code, errOut)
			}
			outs[i] = stdout
		}
		if outs[0] != outs[1] {
			t.Errorf("%v: the spilled run's output differs from the in-memory run's", args)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(spillDir, "*")); len(left) > 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

// generations is the count of retired generations TOKCOST_TIMING reports
// on stderr.
func generations(t *testing.T, stderr string) int {
	t.Helper()
	for l := range strings.Lines(stderr) {
		if rest, ok := strings.CutPrefix(l, "tokcost: timing: "); ok && strings.Contains(rest, " generations of session state") {
			n, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no generations reported on stderr: %q", stderr)
	return 0
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

// TestSummarySpillSameAsMemory is the differential test of spilling the
// session summaries: at --memory-limit 1MiB the 4,000 generated sessions'
// summaries (about 512 bytes each by the estimate, 2 MB) pass their share
// (a quarter of the limit, 256 KiB), so Finish writes them to disk and
// every pass of the report reads them back merged by id. Every output
// format, --group-by and check must give the very bytes the in-memory run
// gives. HTML keeps each call's cost for its cap sweep, which does not
// spill: it is compared too, and must say nothing about summaries.
func TestSummarySpillSameAsMemory(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "4000", "--seed", "11", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	spillDir := filepath.Join(dir, "spill")
	if err := os.Mkdir(spillDir, 0o755); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code        int
		out, stderr string
		file        []byte
	}
	runWith := func(limit string, args ...string) result {
		out := filepath.Join(dir, "out")
		_ = os.Remove(out)
		full := append(append([]string{}, args...), "-o", out, "--memory-limit", limit, "--temp-dir", spillDir, fleet)
		if args[0] == "check" {
			full = append(append([]string{}, args...), "--memory-limit", limit, "--temp-dir", spillDir, fleet)
		}
		code, stdout, errOut := run(t, full...)
		b, _ := os.ReadFile(out)
		return result{code, stdout, errOut, b}
	}
	cases := [][]string{
		{"analyze", "--format", "json"},
		{"analyze", "--format", "table"},
		{"analyze", "--format", "markdown"},
		{"analyze", "--format", "csv"},
		{"analyze", "--format", "csv", "--csv-raw"},
		{"analyze", "--format", "html"},
		{"analyze", "--format", "json", "--group-by", "model", "--top", "25"},
		{"analyze", "--format", "table", "--group-by", "workflow", "--top", "5000"},
		{"analyze", "--format", "json", "--group-by", "no_such_field"}, // the usage error lists the fields
		{"check", "--max-p95-cost", "0.5", "--max-runaway", "0", "--group-by", "workflow"},
		{"check", "--format", "json", "--max-p95-tokens", "100000"},
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		mem, sp := runWith("off", args...), runWith("1MiB", args...)
		if mem.code != sp.code || mem.out != sp.out || !bytes.Equal(mem.file, sp.file) {
			t.Errorf("%s: the spilled run differs from the in-memory run (exit %d against %d)", name, sp.code, mem.code)
		}
		if strings.Contains(mem.stderr, "spilled") {
			t.Errorf("%s: the in-memory run spilled: %s", name, mem.stderr)
		}
		spilledSums := strings.Contains(sp.stderr, " MiB of session summaries to disk (--memory-limit 1MiB)")
		if html := slices.Contains(args, "html"); spilledSums == html {
			t.Errorf("%s: summaries spilled: %v, want %v: %s", name, spilledSums, !html, sp.stderr)
		}
		var rest []string // stderr less the spill notes, which only the spilled run has
		for l := range strings.Lines(sp.stderr) {
			if !strings.HasPrefix(l, "tokcost: spilled ") {
				rest = append(rest, l)
			}
		}
		if got := strings.Join(rest, ""); got != mem.stderr {
			t.Errorf("%s: stderr differs:\nspilled: %s\nmemory:  %s", name, got, mem.stderr)
		}
		if left, _ := filepath.Glob(filepath.Join(spillDir, "*")); len(left) > 0 {
			t.Errorf("%s: spill files left behind: %v", name, left)
		}
	}
}
