package parquet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// analysisWith is analysisJSON with reading options.
func analysisWith(t *testing.T, opt ingest.Options, files ...string) []byte {
	t.Helper()
	col := analyze.NewCollector()
	if _, err := ingest.Run(files, opt, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
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

// benchWindow is a --since/--until that cuts testdata/fleet.jsonl's and
// the generated fleets' days (from 2026-01-05T09:00Z) in two.
var benchWindow = ingest.Window{Since: time.Date(2026, 1, 5, 9, 10, 0, 0, time.UTC), Until: time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)}

// compareBatch wants the same analysis of path whether the flat path hands
// valid rows to the store in batches (ingest.Batch, store RecordBatch) or
// a record at a time (noBatch, the reference), with and without a window.
func compareBatch(t *testing.T, name, path string) {
	t.Helper()
	defer func() { noBatch = false }()
	for _, opt := range []ingest.Options{{Format: "parquet"}, {Format: "parquet", Window: benchWindow}} {
		noBatch = true
		want := analysisWith(t, opt, path)
		noBatch = false
		if got := analysisWith(t, opt, path); !bytes.Equal(want, got) {
			t.Errorf("%s (window %v): the batch path's analysis differs from the record path's\n%s", name, opt.Window, firstDiff(want, got))
		}
	}
}

// inputDuplicates reads input.duplicates from an analysis.
func inputDuplicates(t *testing.T, analysis []byte) int64 {
	t.Helper()
	var a struct {
		Input struct {
			Lines      int64 `json:"lines"`
			Duplicates int64 `json:"duplicates"`
		} `json:"input"`
	}
	if err := json.Unmarshal(analysis, &a); err != nil {
		t.Fatal(err)
	}
	return a.Input.Duplicates
}

// TestBatchPathSameAnalysis: Writer's output (what tokcost convert
// writes) of a generated fleet, the same with 2,000 of its rows copied to
// its end, and testdata's canonical files, analysed through the batch
// path and a record at a time, give the same report. The copies sit
// ~40,000 rows after their originals: past the batch rows' small repeat
// set (store.batchRepeatGeneration, at most 8,192 ids), inside the record
// path's (2^19), so the record path drops them on arrival and the batch
// path leaves them to Finish, which must drop and count them the same.
func TestBatchPathSameAnalysis(t *testing.T) {
	dir := t.TempDir()
	genFile := filepath.Join(dir, "gen.jsonl")
	var traces bytes.Buffer
	if _, err := gen.Generate(&traces, nil, gen.Options{Sessions: 3000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(genFile, traces.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(n int) { rowGroupRows = n }(rowGroupRows)
	rowGroupRows = 8192 // many row groups: both workers, batches cut by groups

	recs, notes, _ := decodeAll(t, ingest.Options{Format: "jsonl"}, genFile)
	if len(notes) != 0 || len(recs) < 20000 {
		t.Fatalf("generated %d records, notes %v", len(recs), notes)
	}
	const copies = 2000
	withCopies := append(append([]ingest.Record(nil), recs...), recs[:copies]...)
	repeated := filepath.Join(dir, "repeated.parquet")
	f, err := os.Create(repeated)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCanonical(f, withCopies); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Each copy repeats its original's session and id (the generator gives
	// every row an id), so each is one more duplicate than the JSONL
	// reader finds in the file itself.
	for _, r := range recs[:copies] {
		if r.ID == "" {
			t.Fatal("a generated row without an id")
		}
	}
	base := inputDuplicates(t, analysisWith(t, ingest.Options{}, genFile))
	if got := inputDuplicates(t, analysisWith(t, ingest.Options{Format: "parquet"}, repeated)); got != base+copies {
		t.Errorf("duplicates with %d copies: %d, want %d + %d", copies, got, base, copies)
	}
	compareBatch(t, "repeated", repeated)
	compareBatch(t, "generated", toParquet(t, genFile))
	for _, src := range []string{"../../testdata/fleet.jsonl", "../../testdata/react10.jsonl", "../../testdata/retry15.jsonl", "../../testdata/service_tiers.jsonl"} {
		compareBatch(t, filepath.Base(src), toParquet(t, src))
	}
}
