package pipeline

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/parquet"
)

// The pipeline runs on Prism, Beam's local runner, started in-process.
func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

// cliBin builds the tokcost CLI from the repository root (its own
// module) once: the acceptance test is identity with what it writes.
var cliBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tokcost-cli-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "tokcost")
	out, err := exec.Command("go", "build", "-C", "../..", "-o", bin, "./cmd/tokcost").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the CLI: %v\n%s", err, out)
	}
	return bin, nil
})

// cliReport runs tokcost analyze on files (in the given order) and returns
// the JSON report.
func cliReport(t *testing.T, files []string) []byte {
	t.Helper()
	bin, err := cliBin()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "cli.json")
	cmd := exec.Command(bin, append([]string{"analyze", "--format", "json", "-q", "-o", out}, files...)...)
	// Unclean input may exit non-zero; the report is written all the same.
	msg, runErr := cmd.CombinedOutput()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("tokcost analyze: %v (%v)\n%s", err, runErr, msg)
	}
	return b
}

// beamReport runs the pipeline on Prism and returns the JSON report.
func beamReport(t *testing.T, inputs ...string) []byte {
	t.Helper()
	return runBeam(t, Options{Inputs: inputs})
}

// runBeam runs the pipeline on Prism with opt (the CLI's defaults where
// opt leaves a setting zero) and returns the JSON report.
func runBeam(t testing.TB, opt Options) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "beam.json")
	opt.CostSource, opt.Timeout, opt.LoopMinRepeats = "auto", 10*time.Minute, analyze.DefaultMinRepeats
	opt.Top, opt.Format, opt.Output = 10, "json", out
	p, s := beam.NewPipelineWithRoot()
	if err := Build(s, opt); err != nil {
		t.Fatal(err)
	}
	if err := ptest.Run(p); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cliMerge runs tokcost merge on session tables and returns its JSON report.
func cliMerge(t *testing.T, tables ...string) []byte {
	t.Helper()
	bin, err := cliBin()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "merged.json")
	msg, err := exec.Command(bin, append([]string{"merge", "--format", "json", "-q", "-o", out}, tables...)...).CombinedOutput()
	b, rerr := os.ReadFile(out)
	if rerr != nil {
		t.Fatalf("tokcost merge: %v (%v)\n%s", rerr, err, msg)
	}
	return b
}

// sameReport compares the two JSON reports byte for byte, except the
// "tool" object (name and version of the program that wrote it).
func sameReport(t *testing.T, cli, bm []byte) map[string]any {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal(cli, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bm, &b); err != nil {
		t.Fatal(err)
	}
	if a["tool"] == nil || b["tool"] == nil {
		t.Fatalf("a report without its tool: %v / %v", a["tool"], b["tool"])
	}
	delete(a, "tool")
	delete(b, "tool")
	for k := range maps.Keys(a) {
		x, _ := json.MarshalIndent(a[k], "", " ")
		y, _ := json.MarshalIndent(b[k], "", " ")
		if !bytes.Equal(x, y) {
			t.Errorf("report field %q differs:\nCLI:  %.2000s\nBeam: %.2000s", k, x, y)
		}
	}
	for k := range maps.Keys(b) {
		if _, ok := a[k]; !ok {
			t.Errorf("report field %q only in the Beam report", k)
		}
	}
	return a
}

// writeFiles writes each file's lines, as JSONL or, for names ending in
// .parquet, as canonical Parquet (the records the JSONL reader makes of
// them), and returns the paths in name order.
func writeFiles(t *testing.T, dir string, files map[string][]string) []string {
	t.Helper()
	var paths []string
	for name, lines := range files {
		p := filepath.Join(dir, name)
		text := []byte(strings.Join(lines, "\n") + "\n")
		if strings.HasSuffix(name, ".parquet") {
			text = toParquet(t, text)
		}
		if err := os.WriteFile(p, text, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// collect keeps copies of every record read.
type collect struct {
	mu   *sync.Mutex
	recs *[]ingest.Record
}

func (c collect) Record(r *ingest.Record) {
	x := *r
	x.Attrs = maps.Clone(r.Attrs)
	c.mu.Lock()
	*c.recs = append(*c.recs, x)
	c.mu.Unlock()
}
func (collect) Note(ingest.Note) {}
func (collect) Lines(int64)      {}

// toParquet converts canonical JSONL to canonical Parquet through the
// canonical reader and writer, in line order.
func toParquet(t *testing.T, jsonl []byte) []byte {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(tmp, jsonl, 0o644); err != nil {
		t.Fatal(err)
	}
	var recs []ingest.Record
	var mu sync.Mutex
	if _, err := ingest.Run([]string{tmp}, ingest.Options{Format: "jsonl"}, func(ingest.FileResult, int) ingest.SinkFactory {
		return func() ingest.Sink { return collect{&mu, &recs} }
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(recs, func(a, b ingest.Record) int { return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Sub, b.Sub)) })
	var buf bytes.Buffer
	if err := parquet.WriteCanonical(&buf, recs); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// A generated fleet of 400 sessions, its lines dealt round-robin over six
// files (so every session of more than one step is split across files,
// and the generator's repeated lines, which follow their original, land
// in another file), four kept as JSONL and two converted to Parquet; the
// JSONL files are read in ranges of 8 KiB (about 50 lines). The
// pipeline's report is the CLI's, field for field; and tokcost merge on
// the pipeline's session table writes the pipeline's report, byte for
// byte (tool included: the table names the program that wrote it).
func TestFleetMatchesCLI(t *testing.T) {
	var traces bytes.Buffer
	sum, err := gen.Generate(&traces, nil, gen.Options{Sessions: 400, Seed: 19, LoopShapes: true})
	if err != nil {
		t.Fatal(err)
	}
	all := lines(traces.Bytes())
	files := map[string][]string{}
	names := []string{"part-0.jsonl", "part-1.jsonl", "part-2.jsonl", "part-3.jsonl", "part-4.parquet", "part-5.parquet"}
	for i, l := range all {
		files[names[i%len(names)]] = append(files[names[i%len(names)]], l)
	}
	dir := t.TempDir()
	paths := writeFiles(t, dir, files)
	if st, err := os.Stat(paths[0]); err != nil || st.Size() < 4*8192 {
		t.Fatalf("part-0.jsonl: %v bytes (%v): too small to be read in ranges", st.Size(), err)
	}
	cli := cliReport(t, paths)
	table := filepath.Join(t.TempDir(), "sessions.parquet")
	bm := runBeam(t, Options{Inputs: []string{filepath.Join(dir, "part-*")}, SessionsOut: table, SplitBytes: 8192})
	rep := sameReport(t, cli, bm)
	if merged := cliMerge(t, table); !bytes.Equal(merged, bm) {
		t.Errorf("tokcost merge on the session table differs from the pipeline's report:\nmerge: %.3000s\nbeam:  %.3000s", merged, bm)
	}

	// Independent of both programs: the generator says how many sessions
	// and repeated lines it wrote.
	sess := rep["sessions"].(map[string]any)
	if n := sess["count"]; n != float64(sum.Sessions) {
		t.Errorf("sessions: %v, the generator wrote %d", n, sum.Sessions)
	}
	in := rep["input"].(map[string]any)
	if d := in["duplicates"]; d != float64(sum.Duplicates) || sum.Duplicates == 0 {
		t.Errorf("duplicates: %v, the generator repeated %d lines (want some)", d, sum.Duplicates)
	}
	// The fleet has runaway loops (LoopShapes), so the loop path is
	// compared too, not only empty lists.
	if rw, _ := rep["runaway"].(map[string]any); rw == nil || rw["count"] == float64(0) {
		t.Errorf("no runaway sessions in the report (%v): the fleet should have some", rep["runaway"])
	}
}

// call is one canonical JSONL model call of session sid: id c<k>, k
// minutes after 10:00, 1000·k input and 100·k output tokens of gpt-4o-mini.
func call(sid string, k int) string {
	return fmt.Sprintf(`{"id":"c%02d","session_id":%q,"ts":"2026-01-05T10:%02d:00Z","kind":"llm","model":"gpt-4o-mini","input_tokens":%d,"output_tokens":%d}`,
		k, sid, k, 1000*k, 100*k)
}

// One session's 12 calls dealt over 7 files (call k to file 5k mod 7),
// each file holding its calls latest first, so neither the file order
// nor the line order is the calls' order: one session, and the CLI's
// report.
func TestOneSessionManyFilesOutOfOrder(t *testing.T) {
	files := map[string][]string{}
	for k := 12; k >= 1; k-- { // latest first within each file
		name := fmt.Sprintf("s-%d.jsonl", (5*k)%7)
		files[name] = append(files[name], call("s1", k))
	}
	if len(files) != 7 {
		t.Fatalf("%d files, want 7", len(files))
	}
	dir := t.TempDir()
	paths := writeFiles(t, dir, files)
	rep := sameReport(t, cliReport(t, paths), beamReport(t, filepath.Join(dir, "s-*.jsonl")))

	sess := rep["sessions"].(map[string]any)
	if n := sess["count"]; n != float64(1) {
		t.Errorf("sessions: %v, want 1", n)
	}
	// By hand: 12 calls; input 1000·(1+…+12) = 78,000 tokens, output
	// 100·78 = 7,800; gpt-4o-mini at $0.15/M input and $0.60/M output
	// (pricing/source/litellm_model_prices.json): 0.0117 + 0.00468 = $0.01638.
	in := rep["input"].(map[string]any)
	if n := in["llm_calls"]; n != float64(12) {
		t.Errorf("llm calls: %v, want 12", n)
	}
	cost := sess["cost_usd"].(map[string]any)
	if got := cost["max"].(float64); got < 0.01638-1e-12 || got > 0.01638+1e-12 {
		t.Errorf("session cost: %v, want 0.01638", got)
	}
}

// The same calls in two files: calls 1–10 of sessions a and b in one,
// calls 5–14 in the other (and in reverse order). Calls 5–10 of each
// session are repeated: 2·6 = 12 duplicates, 2·14 = 28 records, found
// after the shuffle as the CLI finds them in one process; and two
// invalid lines.
func TestDuplicatesAcrossFiles(t *testing.T) {
	files := map[string][]string{}
	for _, sid := range []string{"a", "b"} {
		for k := 1; k <= 10; k++ {
			files["d-1.jsonl"] = append(files["d-1.jsonl"], call(sid, k))
		}
		for k := 14; k >= 5; k-- {
			files["d-2.jsonl"] = append(files["d-2.jsonl"], call(sid, k))
		}
	}
	// Two invalid lines, accounted for by reason as the CLI does.
	files["d-2.jsonl"] = append(files["d-2.jsonl"], "{not json", `{"kind":"llm","model":"gpt-4o-mini"}`)
	dir := t.TempDir()
	paths := writeFiles(t, dir, files)
	// Ranges of 100 bytes: about one line each (some hold none), so the
	// invalid lines' numbers are counted across ranges.
	rep := sameReport(t, cliReport(t, paths), runBeam(t, Options{Inputs: []string{filepath.Join(dir, "d-*.jsonl")}, SplitBytes: 100}))
	in := rep["input"].(map[string]any)
	if d := in["duplicates"]; d != float64(12) {
		t.Errorf("duplicates: %v, want 12", d)
	}
	if r := in["records"]; r != float64(28) {
		t.Errorf("records: %v, want 28", r)
	}
	if l := in["lines"]; l != float64(42) {
		t.Errorf("lines: %v, want 42 (20 in one file, 22 in the other)", l)
	}
	if n := in["invalid"]; n != float64(2) {
		t.Errorf("invalid: %v, want 2", n)
	}
}

// BenchmarkPrismFleet runs the pipeline on Prism over a generated fleet
// of 2,000 sessions in four JSONL files (about 11 MB): with -cpuprofile,
// where the time goes between Prism, Beam's SDK harness and tokcost's
// own code (docs/scale.md).
func BenchmarkPrismFleet(b *testing.B) {
	var traces bytes.Buffer
	if _, err := gen.Generate(&traces, nil, gen.Options{Sessions: 2000, Seed: 1}); err != nil {
		b.Fatal(err)
	}
	all := lines(traces.Bytes())
	dir := b.TempDir()
	for k := range 4 {
		part := all[k*len(all)/4 : (k+1)*len(all)/4]
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%d.jsonl", k)), []byte(strings.Join(part, "\n")+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(traces.Len()))
	for b.Loop() {
		runBeam(b, Options{Inputs: []string{filepath.Join(dir, "part-*.jsonl")}})
	}
}
