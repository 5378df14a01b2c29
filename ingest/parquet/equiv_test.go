package parquet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// collectSink gathers records (copied) and notes from any number of workers.
type collectSink struct {
	mu    *sync.Mutex
	recs  *[]ingest.Record
	notes *[]ingest.Note
	lines *int64
}

func (s collectSink) Record(r *ingest.Record) {
	c := *r
	c.Attrs = make(map[string]string, len(r.Attrs))
	for k, v := range r.Attrs {
		c.Attrs[k] = v
	}
	s.mu.Lock()
	*s.recs = append(*s.recs, c)
	s.mu.Unlock()
}

func (s collectSink) Note(n ingest.Note) { s.mu.Lock(); *s.notes = append(*s.notes, n); s.mu.Unlock() }
func (s collectSink) Lines(n int64)      { s.mu.Lock(); *s.lines += n; s.mu.Unlock() }

// decodeAll reads files with ingest.Run and returns records sorted by
// input position, notes sorted by line, and the unit count.
func decodeAll(t testing.TB, opt ingest.Options, files ...string) ([]ingest.Record, []ingest.Note, int64) {
	t.Helper()
	var (
		mu    sync.Mutex
		recs  []ingest.Record
		notes []ingest.Note
		lines int64
	)
	s := collectSink{&mu, &recs, &notes, &lines}
	if _, err := ingest.Run(files, opt, func(ingest.FileResult, int) ingest.SinkFactory {
		return func() ingest.Sink { return s }
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(i, j int) bool {
		if recs[i].Line != recs[j].Line {
			return recs[i].Line < recs[j].Line
		}
		return recs[i].Sub < recs[j].Sub
	})
	sort.Slice(notes, func(i, j int) bool { return notes[i].Line < notes[j].Line })
	return recs, notes, lines
}

// analysisJSON runs the real pipeline over files and returns the analysis
// JSON without the input file list (names and formats differ by design).
func analysisJSON(t *testing.T, files ...string) []byte {
	t.Helper()
	col := analyze.NewCollector()
	if _, err := ingest.Run(files, ingest.Options{}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	d := col.Finish(analyze.Config{Prices: pricing.Embedded()})
	a := report.Build(d.Summaries(analyze.DefaultLoopConfig(), false), report.BuildOptions{TopN: 20})
	a.Input.Files = nil
	out, err := json.MarshalIndent(a, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// toParquet converts a canonical JSONL file to Parquet with WriteCanonical
// and returns the new file's path.
func toParquet(t testing.TB, jsonl string) string {
	t.Helper()
	recs, notes, _ := decodeAll(t, ingest.Options{Format: "jsonl"}, jsonl)
	if len(notes) != 0 {
		t.Fatalf("%s: the source itself has notes: %+v", jsonl, notes[0])
	}
	out := filepath.Join(t.TempDir(), filepath.Base(jsonl)+".parquet")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCanonical(f, recs); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEquivalence is the reader's main check by a second method: the same
// traces as canonical JSONL (read by the JSONL reader) and as Parquet (read
// by this one) must give byte-identical analyses: counts, costs, sessions,
// loops, top sessions. Row n of the Parquet file is line n of the JSONL
// (the sources have no blank lines), so even input-order tie-breaks agree.
func TestEquivalence(t *testing.T) {
	dir := t.TempDir()
	genFile := filepath.Join(dir, "gen.jsonl")
	var traces bytes.Buffer
	sum, err := gen.Generate(&traces, nil, gen.Options{Sessions: 3000, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(genFile, traces.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Small row groups so that the generated file spans many and the
	// parallel path, with rows numbered across groups, is what is compared.
	defer func(n int) { rowGroupRows = n }(rowGroupRows)
	rowGroupRows = 8192
	if sum.Records < 4*rowGroupRows {
		t.Fatalf("generated %d records: fewer than 4 row groups", sum.Records)
	}
	// The loop shapes: every tool call carries tool_args and tool_result, so
	// the record-by-record check covers the tool-io columns and the
	// analysis below the loops that need them (no_progress, the
	// arguments in evidence). Before the columns existed, every record
	// differed and the Parquet analysis lost the no_progress loops.
	shapesFile := filepath.Join(dir, "shapes.jsonl")
	traces.Reset()
	_, err = gen.Generate(&traces, nil, gen.Options{Sessions: 600, Seed: 3, LoopShapes: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shapesFile, traces.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{genFile, shapesFile, "../../testdata/react10.jsonl", "../../testdata/retry15.jsonl", "../../testdata/service_tiers.jsonl"} {
		pq := toParquet(t, src)
		// Record by record first: every field but File must survive.
		a, _, na := decodeAll(t, ingest.Options{}, src)
		b, notes, nb := decodeAll(t, ingest.Options{}, pq)
		if na != nb || len(a) != len(b) || len(notes) != 0 {
			t.Fatalf("%s: units %d/%d records %d/%d notes %v", src, na, nb, len(a), len(b), notes)
		}
		for i := range a {
			a[i].File, b[i].File = "", ""
			if !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("%s record %d:\njsonl   %+v\nparquet %+v", src, i, a[i], b[i])
			}
		}
		want, got := analysisJSON(t, src), analysisJSON(t, pq)
		if !bytes.Equal(want, got) {
			t.Errorf("%s: analysis differs between JSONL and Parquet\n%s", filepath.Base(src), firstDiff(want, got))
		}
	}
}

// TestLoopShapesParquet is issue 15's differential check: the loops found
// in gen --loop-shapes JSONL and in its Parquet conversion are identical,
// shape by shape, including no_progress, which only the tool-io columns
// make visible (without them the Parquet side finds none).
func TestLoopShapesParquet(t *testing.T) {
	src := filepath.Join(t.TempDir(), "shapes.jsonl")
	var traces bytes.Buffer
	if _, err := gen.Generate(&traces, nil, gen.Options{Sessions: 800, Seed: 11, LoopShapes: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, traces.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	loops := func(file string) analyze.Runaway {
		col := analyze.NewCollector()
		if _, err := ingest.Run([]string{file}, ingest.Options{}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
		return analyze.DetectLoops(col.Finish(analyze.Config{Prices: pricing.Embedded()}), analyze.DefaultLoopConfig())
	}
	want, got := loops(src), loops(toParquet(t, src))
	shapes := map[string]int{}
	withArgs := 0
	for _, s := range want.Sessions {
		shapes[s.Shape]++
		if s.ArgsExample != "" {
			withArgs++
		}
	}
	// Not vacuous: every shape occurs (800 sessions hold each loop class
	// many times) and the evidence carries argument excerpts.
	for _, sh := range analyze.Shapes {
		if shapes[sh] == 0 {
			t.Errorf("no %s loop in the JSONL: %v", sh, shapes)
		}
	}
	if withArgs == 0 {
		t.Error("no loop evidence with arguments in the JSONL")
	}
	if !reflect.DeepEqual(want, got) {
		a, _ := json.MarshalIndent(want, "", " ")
		b, _ := json.MarshalIndent(got, "", " ")
		t.Errorf("loops differ between JSONL and Parquet\n%s", firstDiff(a, b))
	}
}

// firstDiff shows where two JSON texts part.
func firstDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return "jsonl:   …" + string(a[lo:min(len(a), i+200)]) + "\nparquet: …" + string(b[lo:min(len(b), i+200)])
}

// TestDuckDBWrittenParquet is the differential check on Parquet written by
// another engine: DuckDB's COPY of testdata/fleet.jsonl (how it was made:
// testdata/README.md). Row n is line n of the JSONL (DuckDB keeps the
// insertion order), so every record must equal the JSONL reader's but for
// File, the analysis must be byte-identical, and the flat path must read
// it (DuckDB's types are all ones it knows) and agree with the general,
// Arrow path.
func TestDuckDBWrittenParquet(t *testing.T) {
	const src, pq = "../../testdata/fleet.jsonl", "testdata/duckdb-fleet.parquet"
	a, _, na := decodeAll(t, ingest.Options{}, src)
	b, notes, nb := decodeAll(t, ingest.Options{}, pq)
	if na != nb || len(a) != len(b) || len(notes) != 0 || na != 7128 {
		t.Fatalf("units %d/%d (want 7,128: wc -l) records %d/%d notes %v", na, nb, len(a), len(b), notes)
	}
	for i := range a {
		a[i].File, b[i].File = "", ""
		if !reflect.DeepEqual(a[i], b[i]) {
			t.Fatalf("record %d:\njsonl   %+v\nparquet %+v", i, a[i], b[i])
		}
	}
	if want, got := analysisJSON(t, src), analysisJSON(t, pq); !bytes.Equal(want, got) {
		t.Errorf("analysis differs between JSONL and DuckDB's Parquet\n%s", firstDiff(want, got))
	}
	if flatPlanOf(t, pq) == nil {
		t.Error("DuckDB's Parquet is not read by the flat path")
	}
	compareFlat(t, "duckdb", pq)
}
