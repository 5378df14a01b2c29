package parquet

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// TestFlatMatchesArrow decodes flat files (the shape the column-by-column
// path reads) both ways and wants the same records, notes and row count:
// the flat path is an optimisation, never a second set of rules.
func TestFlatMatchesArrow(t *testing.T) {
	ts := func(u arrow.TimeUnit) arrow.DataType { return &arrow.TimestampType{Unit: u, TimeZone: "UTC"} }
	i32, f64, bin := arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.Binary
	cases := []struct {
		name   string
		schema *arrow.Schema
		rows   string
	}{
		{"tokens", fields(fld("session_id", str), fld("input_tokens", i64), fld("output_tokens", i32), fld("reasoning_tokens", i64),
			fld("cache_read_tokens", i64), fld("cache_write_tokens", i64), fld("cache_write_1h_tokens", i64), fld("seq", i64), fld("id", i64)), `[
			{"session_id":"a","input_tokens":10,"output_tokens":5,"reasoning_tokens":2,"cache_read_tokens":3,"cache_write_tokens":4,"cache_write_1h_tokens":1,"seq":-9223372036854775808,"id":7},
			{"session_id":"a","input_tokens":-1,"output_tokens":5},
			{"session_id":"a","input_tokens":4294967296,"output_tokens":5},
			{"session_id":"a","input_tokens":4294967295,"output_tokens":2147483647,"seq":9223372036854775807},
			{"session_id":"b","input_tokens":1,"output_tokens":-2147483648},
			{"session_id":"b","input_tokens":1,"cache_read_tokens":2},
			{"session_id":"b","output_tokens":1,"reasoning_tokens":2},
			{"session_id":null,"input_tokens":1},
			{"session_id":"","input_tokens":1},
			{"session_id":"c","input_tokens":9223372036854775807}
		]`},
		{"times", fields(fld("session_id", str), fld("ts", ts(arrow.Second)), fld("timestamp_ms", ts(arrow.Millisecond)),
			fld("duration_ms", f64), fld("cost_usd", f64)), `[
			{"session_id":"a","ts":"2026-11-02T09:00:00Z","duration_ms":1.5,"cost_usd":0.25},
			{"session_id":"a","ts":"1969-12-31T23:59:59Z","duration_ms":-1},
			{"session_id":"a","ts":"9999-12-31T23:59:59Z","cost_usd":-0.5},
			{"session_id":"a","ts":null,"duration_ms":null,"cost_usd":null},
			{"session_id":"a","ts":"1970-01-01T00:00:00Z","timestamp_ms":"2026-11-02T09:00:00.250Z"}
		]`},
		{"ms-timestamp", fields(fld("sessionId", str), fld("timestamp", ts(arrow.Millisecond)), fld("prompt_tokens", i64)), `[
			{"sessionId":"a","timestamp":"2026-11-02T09:00:00.250Z","prompt_tokens":1},
			{"sessionId":"a","timestamp":"1900-01-01T00:00:00Z","prompt_tokens":1}
		]`},
		{"strings", fields(fld("session_id", str), fld("kind", str), fld("status", str), fld("error_class", str), fld("error", str),
			fld("model", str), fld("provider", str), fld("tool", str), fld("role", str), fld("workflow", str), fld("event_id", str),
			fld("team", str), fld("bytes", bin), fld("tool_name", bin), fld("count", i64), fld("score", f64)), `[
			{"session_id":"a","kind":"LLM","status":"OK","model":"m","provider":"p","role":"r","workflow":"w","event_id":"e1","team":"x","count":3,"score":0.5},
			{"session_id":"a","kind":"tool","tool":"bash","error":"boom","team":"x","bytes":"/w==","count":-3},
			{"session_id":"a","kind":"tool","tool":"bash","error":"Sibling tool call errored","status":"timeout"},
			{"session_id":"a","kind":"tool","tool":"bash","error":"Sibling tool call errored","event_id":"e2"},
			{"session_id":"a","tool":"bash","error":"User rejected tool use","status":"ok"},
			{"session_id":"a","kind":"nope"},
			{"session_id":"a","status":"maybe"},
			{"session_id":"a","error_class":"odd"},
			{"session_id":"a","error_class":"user_rejected","error":"no"},
			{"session_id":"a","tool_name":"//79","kind":"tool"},
			{"session_id":"a","tool_name":"Z3JlcA=="},
			{"session_id":"b","team":"y","bytes":"aGk="},
			{"session_id":"b","team":"x"},
			{"session_id":"a","team":"x"}
		]`},
		// Unsigned 64-bit columns, as Writer writes the tool-io hashes;
		// 18446744073709551614 is past int64 (an attribute shows it as
		// unsigned text).
		{"uint64", fields(fld("session_id", str), fld("tool_args_hash", u64), fld("tool_result_hash", u64), fld("tool_args_label", str),
			fld("tool_result_bytes", i64), fld("big", u64)), `[
			{"session_id":"a","tool_args_hash":18446744073709551614,"tool_result_hash":5,"tool_args_label":"x","tool_result_bytes":7,"big":18446744073709551615},
			{"session_id":"a","tool_args_hash":null,"tool_result_hash":9,"big":1},
			{"session_id":"a","tool_args_hash":3,"tool_result_hash":null,"big":null}
		]`},
		// Booleans, as Writer writes fast_mode and us_only (null when
		// false), and a boolean attribute.
		{"bool", fields(fld("session_id", str), fld("kind", str), fld("model", str), fld("input_tokens", i64),
			fld("fast_mode", arrow.FixedWidthTypes.Boolean), fld("us_only", arrow.FixedWidthTypes.Boolean), fld("flag", arrow.FixedWidthTypes.Boolean)), `[
			{"session_id":"a","kind":"llm","model":"claude-opus-4-6","input_tokens":1,"fast_mode":true,"us_only":null,"flag":false},
			{"session_id":"a","kind":"llm","model":"claude-opus-4-6","input_tokens":2,"fast_mode":null,"us_only":true,"flag":true},
			{"session_id":"a","kind":"llm","model":"claude-opus-4-6","input_tokens":3,"fast_mode":false,"us_only":false,"flag":null}
		]`},
	}
	for _, c := range cases {
		for _, per := range []int64{1, 3, 1 << 20} {
			path := saveFixture(t, c.name+".parquet", writeFixture(t, c.schema, c.rows, compress.Codecs.Zstd, per))
			compareFlat(t, c.name, path)
		}
	}
	compareFlat(t, "generated", toParquet(t, "../../testdata/fleet.jsonl"))
}

var u64 = arrow.PrimitiveTypes.Uint64

// TestWriterOutputIsFlat: every file Writer makes is read by the flat
// path. Writer's unsigned tool-io hash columns once sent every such file
// (tokcost convert's output, the benchmark's) through the slower Arrow
// path, and TestFlatMatchesArrow's "generated" case compared the Arrow
// path with itself.
func TestWriterOutputIsFlat(t *testing.T) {
	path := toParquet(t, "../../testdata/fleet.jsonl")
	if flatPlanOf(t, path) == nil {
		t.Fatal("a file Writer wrote is not read by the flat path")
	}
}

func compareFlat(t *testing.T, name, path string) {
	t.Helper()
	defer func() { arrowOnly = false }()
	arrowOnly = false
	fr, fn, fl := readFixture(t, path)
	arrowOnly = true
	ar, an, al := readFixture(t, path)
	if fl != al || !reflect.DeepEqual(fn, an) || !reflect.DeepEqual(fr, ar) {
		t.Errorf("%s: flat path differs from the Arrow path:\nflat  %d lines %+v\n%+v\narrow %d lines %+v\n%+v", name, fl, fn, fr, al, an, ar)
	}
	if len(fr)+len(fn) == 0 {
		t.Errorf("%s: nothing decoded", name)
	}
	compareBatch(t, name, path)
}

// TestSparseDistinctColumnStopsInterning: interning is judged on values,
// not rows. A column that is mostly null and whose values are all distinct
// (error texts) stops interning once a thousand values show it; judged on
// rows (1,024 a batch, 10% of them values) it never would, and every
// worker held 65,536 texts at a time.
func TestSparseDistinctColumnStopsInterning(t *testing.T) {
	sparse := &flatCol{kind: fkString}
	for range 9 { // 9 batches of 110 values, 100 of them new: 990 values, not yet judged
		sparse.finishBatch(100, 110)
	}
	if sparse.noIntern {
		t.Fatal("judged before a thousand values")
	}
	sparse.finishBatch(100, 110) // 1,100 values, 1,000 misses: more than half
	if !sparse.noIntern {
		t.Fatal("a sparse column of distinct values is still interned")
	}
	repeats := &flatCol{kind: fkString} // models: few distinct values
	for range 20 {
		repeats.finishBatch(3, 1024)
	}
	if repeats.noIntern {
		t.Fatal("a column of repeated values stopped interning")
	}
}

// TestInternResetReleasesStrings: when the intern table is full and
// starts over, the strings it held are no longer reachable through it.
func TestInternResetReleasesStrings(t *testing.T) {
	c := &flatCol{kind: fkString, strs: make([]string, 1), bad: make([]bool, 1)}
	// All the values at once, as one page read holds them: within a read,
	// equal addresses mean equal bytes.
	values := make([][]byte, 1<<16+1)
	for i := range values {
		values[i] = fmt.Appendf(nil, "value-%d", i)
	}
	for _, v := range values {
		c.str(0, v)
	}
	if len(c.interned) != 1 {
		t.Fatalf("%d interned after the reset, want 1", len(c.interned))
	}
	for i, e := range c.interned[1:cap(c.interned)] {
		if e.s != "" {
			t.Fatalf("entry %d past the reset still holds %q", i+1, e.s)
		}
	}
}

// TestUnknownColumnTypeTakesGeneralPath: a column the flat path has no
// kind for (a float32 attribute here; canonical columns other work adds
// may be of any type) sends the whole file through the general path,
// and its values are still read, never dropped.
func TestUnknownColumnTypeTakesGeneralPath(t *testing.T) {
	schema := fields(fld("session_id", str), fld("input_tokens", i64), fld("score", arrow.PrimitiveTypes.Float32))
	path := saveFixture(t, "f32.parquet", writeFixture(t, schema,
		`[{"session_id":"a","input_tokens":1,"score":0.5},{"session_id":"a","input_tokens":2,"score":2}]`, compress.Codecs.Zstd, 100))
	if flatPlanOf(t, path) != nil {
		t.Fatal("a float32 column is read by the flat path, which has no kind for it")
	}
	recs, notes, _ := readFixture(t, path)
	// The two rows as written: attribute score is the number as text.
	if len(recs) != 2 || len(notes) != 0 || recs[0].Attrs["score"] != "0.5" || recs[1].Attrs["score"] != "2" {
		t.Fatalf("records %+v notes %+v", recs, notes)
	}
}

// flatPlanOf is the flat path's plan for the file at path (nil: the
// general path reads it).
func flatPlanOf(t *testing.T, path string) []flatCol {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }() // read-only
	pf, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planCanonical(fr.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	return flatPlan(fr.Manifest, pf, p)
}
