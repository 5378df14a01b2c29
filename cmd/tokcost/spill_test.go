package main

import (
	"bytes"
	"encoding/json"
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
// (a quarter of the limit, 256 KiB), so Finish writes them to disk, the
// runaway list stays there (its sort keys in memory), and every pass of
// the report reads them back merged by id. Every output format, --top,
// --group-by, check, the HTML cap sweep and the --sessions-out table
// (whose summaries keep each call's cost, spilled with them) must give
// the very bytes the in-memory run gives. The fleet has 653 runaway
// sessions (722 at --loop-min-repeats 2), fewer than the 2,000 past
// which the in-memory JSON report is written in chunks, so the spilled
// run's chunked writer is compared with the one encoder; the test below
// compares the chunked writers of both runs on a larger fleet.
func TestSummarySpillSameAsMemory(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "4000", "--seed", "11", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	cases := [][]string{
		{"analyze", "--format", "json"},
		{"analyze", "--format", "json", "--loop-min-repeats", "2", "--top", "700"},
		{"analyze", "--format", "table"},
		{"analyze", "--format", "table", "--top", "0"}, // every runaway session
		{"analyze", "--format", "markdown"},
		{"analyze", "--format", "csv"},
		{"analyze", "--format", "csv", "--csv-raw"},
		{"analyze", "--format", "html"},
		{"analyze", "--format", "html", "--group-by", "workflow", "--sessions-out", "@ses"},
		{"analyze", "--format", "json", "--sessions-out", "@ses", "--also", "markdown=@also"},
		{"analyze", "--format", "json", "--group-by", "model", "--top", "25"},
		{"analyze", "--format", "table", "--group-by", "workflow", "--top", "5000"},
		{"analyze", "--format", "json", "--group-by", "no_such_field"}, // the usage error lists the fields
		{"check", "--max-p95-cost", "0.5", "--max-runaway", "0", "--group-by", "workflow"},
		{"check", "--format", "json", "--max-p95-tokens", "100000"},
	}
	summarySpillSame(t, dir, fleet, cases)
}

// TestSummarySpillManyRunaways: past 2,000 runaway sessions both runs
// write the JSON report in chunks, the in-memory one from its list and
// the spilled one reading its list back from disk a chunk at a time:
// 14,000 generated sessions have about 2,300 (16%, docs/scale.md).
func TestSummarySpillManyRunaways(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses an 80 MB fleet four times")
	}
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "14000", "--seed", "12", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	out := filepath.Join(dir, "count.json")
	if code, _, errOut := run(t, "analyze", "-q", "--format", "json", "-o", out, "--memory-limit", "off", fleet); code != 0 {
		t.Fatalf("analyze: exit %d: %s", code, errOut)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Runaway struct{ Sessions []json.RawMessage } `json:"runaway"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Runaway.Sessions); n < 2000 {
		t.Fatalf("%d runaway sessions; the test needs more than 2,000", n)
	}
	// Not --sessions-out: on this fleet the table's loop_json column
	// passes the Parquet writer's dictionary limit and falls back to
	// PLAIN, and arrow-go then writes the footer's page encoding stats in
	// a Go map's order, which differs from run to run with the same
	// binary (scripts/pqsame). The 4,000-session tables above stay under it.
	summarySpillSame(t, dir, fleet, [][]string{
		{"analyze", "--format", "json", "--also", "html=@also"},
	})
}

// summarySpillSame runs each case with --memory-limit off and 1MiB and
// compares their exit codes, stdout, stderr (less the spill notes) and
// files: -o, and where a case names them, @ses (a --sessions-out table)
// and @also (an --also file). Every run but check spills its summaries.
func summarySpillSame(t *testing.T, dir, fleet string, cases [][]string) {
	t.Helper()
	spillDir := filepath.Join(dir, "spill")
	if err := os.MkdirAll(spillDir, 0o755); err != nil {
		t.Fatal(err)
	}
	type result struct {
		code        int
		out, stderr string
		files       map[string][]byte
	}
	runWith := func(limit string, args ...string) result {
		paths := map[string]string{"-o": filepath.Join(dir, "out"), "@ses": filepath.Join(dir, "ses.parquet"), "@also": filepath.Join(dir, "also")}
		for _, p := range paths {
			_ = os.Remove(p)
		}
		var full []string
		for _, a := range args {
			for _, k := range []string{"@ses", "@also"} {
				a = strings.ReplaceAll(a, k, paths[k])
			}
			full = append(full, a)
		}
		full = append(full, "--memory-limit", limit, "--temp-dir", spillDir, fleet)
		if args[0] != "check" {
			full = append(full, "-o", paths["-o"])
		}
		code, stdout, errOut := run(t, full...)
		files := map[string][]byte{}
		for k, p := range paths {
			if b, err := os.ReadFile(p); err == nil {
				files[k] = b
			}
		}
		return result{code, stdout, errOut, files}
	}
	for _, args := range cases {
		name := strings.Join(args, " ")
		mem, sp := runWith("off", args...), runWith("1MiB", args...)
		if usage := slices.Contains(args, "no_such_field"); args[0] == "analyze" && (mem.code == 0) == usage {
			t.Errorf("%s: exit %d: %s", name, mem.code, mem.stderr)
		}
		if mem.code != sp.code || mem.out != sp.out {
			t.Errorf("%s: the spilled run differs from the in-memory run (exit %d against %d)", name, sp.code, mem.code)
		}
		for _, k := range []string{"-o", "@ses", "@also"} {
			if !bytes.Equal(mem.files[k], sp.files[k]) {
				t.Errorf("%s: %s differs between the spilled and the in-memory run (%d bytes against %d)", name, k, len(sp.files[k]), len(mem.files[k]))
			}
			if named := k == "-o" || slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, k) }); named && args[0] == "analyze" && mem.code == 0 && len(mem.files[k]) == 0 {
				t.Errorf("%s: %s not written", name, k)
			}
		}
		if strings.Contains(mem.stderr, "spilled") {
			t.Errorf("%s: the in-memory run spilled: %s", name, mem.stderr)
		}
		if mem.code == 0 && args[0] == "analyze" && !strings.Contains(sp.stderr, " MiB of session summaries to disk (--memory-limit 1MiB)") {
			t.Errorf("%s: summaries not spilled: %s", name, sp.stderr)
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
