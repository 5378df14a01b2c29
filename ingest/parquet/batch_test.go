package parquet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
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
// ~40,000 rows after their originals: past the batch rows' repeat set
// (two generations of 4,096 ids, at most 8,192), inside the record path's,
// made 2^19 here, so the record path drops them on arrival and the batch
// path leaves them to Finish, which must drop and count them the same.
func TestBatchPathSameAnalysis(t *testing.T) {
	defer store.SetRepeatGenerations(1<<19, 1<<12)()
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

// TestRowGroupPruning: with --since/--until, a row group whose timestamp
// statistics place every row outside the window is not read; its rows are
// skipped as ingest.SkippedUnread. Against the same file read whole
// (noPrune), the analysis is the same but for that reason's share of the
// skipped rows, and for one row: an invalid row (cache reads above
// input) in a pruned group is counted invalid when read and skipped when
// not, which is why the reason says the rows were not read. A group with
// a row without a timestamp is read (the row is skipped for another
// reason), and so is one that reaches into the window.
func TestRowGroupPruning(t *testing.T) {
	recs, notes, _ := decodeAll(t, ingest.Options{Format: "jsonl"}, "../../testdata/fleet.jsonl")
	if len(notes) != 0 || len(recs) != 7128 {
		t.Fatalf("%d records, notes %v", len(recs), notes)
	}
	const group = 500
	bad, noTS := 3, 600 // rows (0-based) in the first and second groups
	recs[bad].CacheReadTokens = recs[bad].InputTokens + 1
	recs[noTS].TSNano = 0
	defer func(n int) { rowGroupRows = n }(rowGroupRows)
	rowGroupRows = group
	path := filepath.Join(t.TempDir(), "fleet.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCanonical(f, recs); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// The rows a reader may leave unread, from the records themselves: the
	// groups of 500 consecutive rows whose every timestamp is set and
	// before --since (the window has no end).
	win := ingest.Window{Since: benchWindow.Since}
	var unread int64
	badUnread := false
	for lo := 0; lo < len(recs); lo += group {
		hi, all := min(lo+group, len(recs)), true
		for _, r := range recs[lo:hi] {
			all = all && r.TSNano > 0 && r.TSNano < win.Since.UnixNano()
		}
		if all {
			unread += int64(hi - lo)
			badUnread = badUnread || (lo <= bad && bad < hi)
		}
	}
	if unread < 2*group || !badUnread {
		t.Fatalf("the fixture prunes %d rows (bad row pruned: %v): too few to test", unread, badUnread)
	}
	type input struct {
		Lines           int64            `json:"lines"`
		Understood      int64            `json:"lines_understood"` // lines less invalid ones
		Records         int64            `json:"records"`
		Invalid         int64            `json:"invalid"`
		Skipped         int64            `json:"skipped"`
		InvalidByReason map[string]int64 `json:"invalid_by_reason"`
		SkippedByReason map[string]int64 `json:"skipped_by_reason"`
	}
	read := func(prune bool) (map[string]any, input) {
		defer func() { noPrune = false }()
		noPrune = !prune
		out := analysisWith(t, ingest.Options{Format: "parquet", Window: win}, path)
		var all map[string]any
		var in struct {
			Input input `json:"input"`
		}
		if err := json.Unmarshal(out, &all); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &in); err != nil {
			t.Fatal(err)
		}
		return all, in.Input
	}
	whole, w := read(false)
	pruned, p := read(true)
	if got := p.SkippedByReason[ingest.SkippedUnread]; got != unread {
		t.Errorf("%d rows skipped unread, want %d", got, unread)
	}
	if w.SkippedByReason[ingest.SkippedUnread] != 0 || w.Invalid != 1 || p.Invalid != 0 {
		t.Errorf("read whole: %d unread, %d invalid; pruned: %d invalid (want 0, 1, 0)",
			w.SkippedByReason[ingest.SkippedUnread], w.Invalid, p.Invalid)
	}
	// The skipped rows: the same in all, and outside the window by one
	// reason or the other; the invalid row read whole is one of the unread.
	if p.Lines != w.Lines || p.Records != w.Records || p.Skipped != w.Skipped+1 || p.Understood != w.Understood+1 ||
		p.SkippedByReason[ingest.SkippedOutsideWindow]+unread != w.SkippedByReason[ingest.SkippedOutsideWindow]+1 ||
		p.SkippedByReason[ingest.SkippedNoTimestamp] != 1 || w.SkippedByReason[ingest.SkippedNoTimestamp] != 1 {
		t.Errorf("accounting: pruned %+v, read whole %+v", p, w)
	}
	// Everything else is the same.
	for _, m := range []map[string]any{whole, pruned} {
		in := m["input"].(map[string]any)
		for _, k := range []string{"skipped", "skipped_by_reason", "invalid", "invalid_by_reason", "lines_understood"} {
			delete(in, k)
		}
	}
	a, _ := json.MarshalIndent(whole, "", " ")
	b, _ := json.MarshalIndent(pruned, "", " ")
	if !bytes.Equal(a, b) {
		t.Errorf("pruned analysis differs from the whole file's\n%s", firstDiff(a, b))
	}
}

// TestBatchRepeatThenRecord: a row the batch path stores and, next, a
// copy of it (same session, id and output) that must go through Record
// because its timestamp is past 2200 (unreadable). Finish keeps the first
// and drops the copy; read a record at a time, the shard drops the copy
// on arrival, so its unreadable timestamp is never counted: ts_unreadable
// is 0 (the one kept row has a 2026 time) and duplicates 1. The batch
// path must count the same, so its rows' repeat set is consulted for a
// record too.
func TestBatchRepeatThenRecord(t *testing.T) {
	ts := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC).UnixNano()
	first := ingest.Record{SessionID: "s", ID: "call-1", Model: "gpt-4o", Kind: ingest.KindLLM, InputTokens: 10, OutputTokens: 5, TSNano: ts}
	copyLate := first
	copyLate.TSNano = time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	path := filepath.Join(t.TempDir(), "r.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteCanonical(f, []ingest.Record{first, copyLate}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var a struct {
		Input struct {
			Duplicates   int64 `json:"duplicates"`
			TSUnreadable int64 `json:"ts_unreadable"`
		} `json:"input"`
	}
	if err := json.Unmarshal(analysisWith(t, ingest.Options{Format: "parquet"}, path), &a); err != nil {
		t.Fatal(err)
	}
	if a.Input.Duplicates != 1 || a.Input.TSUnreadable != 0 {
		t.Errorf("duplicates %d, ts_unreadable %d; want 1, 0", a.Input.Duplicates, a.Input.TSUnreadable)
	}
	compareBatch(t, "repeat then record", path)
}

// TestTSUnreadableRepeatFarApart (issue 20): a row and its copy (same
// session, id and output) with 9,000 other rows between them, one of the
// two with a timestamp past 2200 (unreadable). 9,000 is past the batch
// rows' repeat set (two generations of 4,096: at most 8,192 ids) and
// inside the record path's, made 2^19 here, so the record path and the JSONL
// reader drop the copy on arrival and the batch path leaves it to
// Finish. Whatever the path, the analysis keeps the first copy and drops
// the second, so by hand:
//
//   - records 9,001 (1 + 9,000 distinct fillers), duplicates 1;
//   - ts_unreadable is the kept (first) copy's: 0 when the late copy has
//     the bad time, 1 when the first has it.
//
// Counted on arrival, the batch path reported ts_unreadable 1 in the
// first case (--strict would exit 3 on a clean reading).
func TestTSUnreadableRepeatFarApart(t *testing.T) {
	defer store.SetRepeatGenerations(1<<19, 1<<12)()
	const fillers = 9000
	good := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	bad := time.Date(2250, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name             string
		firstTS, copyTS  time.Time
		wantTSUnreadable int64
	}{
		{"late copy unreadable", good, bad, 0},
		{"first copy unreadable", bad, good, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rec := func(id string, ts time.Time) ingest.Record {
				return ingest.Record{SessionID: "s", ID: id, Model: "gpt-4o", Kind: ingest.KindLLM, InputTokens: 10, OutputTokens: 5, TSNano: ts.UnixNano()}
			}
			line := func(id string, ts time.Time) string {
				return `{"session_id":"s","id":"` + id + `","model":"gpt-4o","kind":"llm","input_tokens":10,"output_tokens":5,"ts":"` + ts.Format(time.RFC3339Nano) + `"}` + "\n"
			}
			recs := []ingest.Record{rec("call-0", tc.firstTS)}
			var jsonl bytes.Buffer
			jsonl.WriteString(line("call-0", tc.firstTS))
			for i := 1; i <= fillers; i++ {
				at := good.Add(time.Duration(i) * time.Second)
				recs = append(recs, rec("call-"+strconv.Itoa(i), at))
				jsonl.WriteString(line("call-"+strconv.Itoa(i), at))
			}
			recs = append(recs, rec("call-0", tc.copyTS))
			jsonl.WriteString(line("call-0", tc.copyTS))

			pq := filepath.Join(dir, "r.parquet")
			f, err := os.Create(pq)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteCanonical(f, recs); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			jl := filepath.Join(dir, "r.jsonl")
			if err := os.WriteFile(jl, jsonl.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}

			type input struct {
				Records      int64 `json:"records"`
				Duplicates   int64 `json:"duplicates"`
				TSUnreadable int64 `json:"ts_unreadable"`
			}
			counts := func(analysis []byte) input {
				var a struct {
					Input input `json:"input"`
				}
				if err := json.Unmarshal(analysis, &a); err != nil {
					t.Fatal(err)
				}
				return a.Input
			}
			want := input{Records: 1 + fillers, Duplicates: 1, TSUnreadable: tc.wantTSUnreadable}
			defer func() { noBatch = false }()
			batch := analysisWith(t, ingest.Options{Format: "parquet"}, pq)
			noBatch = true
			perRecord := analysisWith(t, ingest.Options{Format: "parquet"}, pq)
			noBatch = false
			fromJSONL := analysisWith(t, ingest.Options{Format: "jsonl"}, jl)
			for name, a := range map[string][]byte{"batch": batch, "per-record": perRecord, "jsonl": fromJSONL} {
				if got := counts(a); got != want {
					t.Errorf("%s path: %+v, want %+v", name, got, want)
				}
			}
			if !bytes.Equal(batch, perRecord) {
				t.Errorf("batch and per-record analyses differ\n%s", firstDiff(perRecord, batch))
			}
			if !bytes.Equal(batch, fromJSONL) {
				t.Errorf("Parquet and JSONL analyses differ\n%s", firstDiff(fromJSONL, batch))
			}
		})
	}
}
