package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestCSVGolden: one row per session. By hand: react-10 has 10 LLM calls,
// 9 tools, 32,500 input and 2,000 output tokens, $0.1275, no loop;
// retry-15 has 15 calls, 14 tools (all failing: 14 errors), 675,000 input
// and 3,300 output tokens, $2.0745, a tool_error loop of parse_document
// with 14 failed attempts wasting calls 2–15: 665,000 + 3,100 = 668,100
// tokens, $2.0415.
func TestCSVGolden(t *testing.T) {
	a := build(t, BuildOptions{}, "react10.jsonl", "retry15.jsonl")
	got := render(t, "csv", a)
	golden(t, "react10_retry15.csv.golden", got)
	recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want header + 2", len(recs))
	}
	col := map[string]int{}
	for i, n := range recs[0] {
		col[n] = i
	}
	want := map[string][2]string{ // column → react-10, retry-15
		"session_id": {"react-10", "retry-15"}, "llm_calls": {"10", "15"}, "tool_calls": {"9", "14"},
		"tool_errors": {"0", "14"}, "input_tokens": {"32500", "675000"}, "output_tokens": {"2000", "3300"},
		"cost_usd": {"0.1275", "2.0745"}, "runaway": {"false", "true"}, "loop_tool": {"", "parse_document"},
		"loop_repeats": {"0", "14"}, "wasted_tokens": {"0", "668100"}, "wasted_cost_usd": {"0", "2.0415"},
	}
	for name, w := range want {
		for i := range 2 {
			if got := recs[i+1][col[name]]; got != w[i] {
				t.Errorf("%s row %d = %q, want %q", name, i+1, got, w[i])
			}
		}
	}
}

// TestSessionsParquetMatchesCSV reads the Parquet file back with arrow-go
// and compares every cell with the CSV writer's, over the whole fleet.
func TestSessionsParquetMatchesCSV(t *testing.T) {
	a := build(t, BuildOptions{}, "fleet.jsonl")
	recs, err := csv.NewReader(bytes.NewReader(render(t, "csv", a))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	runDate := time.Date(2026, 1, 6, 3, 0, 0, 0, time.UTC)
	if err := WriteSessionsParquet(&buf, a, RunMeta{RunDate: runDate, Host: "ci-1"}); err != nil {
		t.Fatal(err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	kv := pf.MetaData().KeyValueMetadata()
	for k, want := range map[string]string{"tokcost.schema_version": "1", "tokcost.tool_version": "test", "tokcost.pricing_sha256": "0123456789abcdef"} {
		if v := kv.FindValue(k); v == nil || *v != want {
			t.Errorf("metadata %s = %v, want %q", k, v, want)
		}
	}
	if c, err := pf.MetaData().RowGroup(0).ColumnChunk(0); err != nil {
		t.Error(err)
	} else if c.Compression() != compress.Codecs.Zstd {
		t.Errorf("compression %v, want zstd", c.Compression())
	}
	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(buf.Bytes()), parquet.NewReaderProperties(memory.DefaultAllocator),
		pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if int(tbl.NumRows()) != len(recs)-1 || len(recs)-1 != 300 {
		t.Fatalf("%d parquet rows, %d csv rows, want 300 (the fleet's sessions)", tbl.NumRows(), len(recs)-1)
	}
	for j, name := range recs[0] {
		if got := tbl.Schema().Field(j).Name; got != name {
			t.Fatalf("column %d is %q in parquet, %q in csv", j, got, name)
		}
		row := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for k := 0; k < chunk.Len(); k++ {
				var v any
				switch c := chunk.(type) {
				case *array.String:
					v = c.Value(k)
				case *array.Int64:
					v = c.Value(k)
				case *array.Float64:
					v = c.Value(k)
				case *array.Boolean:
					v = c.Value(k)
				default:
					t.Fatalf("column %s: unexpected %T", name, chunk)
				}
				if got := formatCell(sessionColumns[j].kind, v); got != recs[row+1][j] {
					t.Errorf("row %d %s: parquet %q, csv %q", row+1, name, got, recs[row+1][j])
				}
				row++
			}
		}
	}
	// Run metadata columns follow the CSV ones.
	n := len(sessionColumns)
	date := tbl.Column(n).Data().Chunk(0).(*array.Date32)
	if got := date.Value(0); got != arrow.Date32FromTime(runDate) {
		t.Errorf("run_date = %v, want 2026-01-06", got.ToTime())
	}
	if got := tbl.Column(n + 2).Data().Chunk(0).(*array.String).Value(299); got != "ci-1" {
		t.Errorf("host = %q", got)
	}
}

func TestSessionRowsNeedSessions(t *testing.T) {
	var a Analysis // as read back from JSON
	if _, err := a.SessionRows(); !errors.Is(err, ErrNoSessions) {
		t.Errorf("err = %v, want ErrNoSessions", err)
	}
	w, _ := AnalyzeWriters.Lookup("csv", WriterOptions{})
	if err := w.Write(&bytes.Buffer{}, &a); !errors.Is(err, ErrNoSessions) {
		t.Errorf("csv err = %v", err)
	}
}

// closeSpy is a writer that notices being closed.
type closeSpy struct {
	bytes.Buffer
	closed bool
}

func (c *closeSpy) Close() error { c.closed = true; return nil }

// The caller owns the file: writing Parquet must not close it (the CLI
// renames a temp file into place after closing it itself).
func TestSessionsParquetLeavesWriterOpen(t *testing.T) {
	a := build(t, BuildOptions{}, "react10.jsonl")
	var spy closeSpy
	if err := WriteSessionsParquet(&spy, a, RunMeta{}); err != nil {
		t.Fatal(err)
	}
	if spy.closed || !bytes.HasPrefix(spy.Bytes(), []byte("PAR1")) {
		t.Errorf("closed %v, %d bytes", spy.closed, spy.Len())
	}
}
