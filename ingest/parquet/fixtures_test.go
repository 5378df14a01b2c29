package parquet

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/tokcost/tokcost/ingest"
)

// writeFixture writes rows (a JSON array of objects) with the given schema
// as a Parquet file, compressed with codec, rowsPerGroup rows per group.
func writeFixture(t testing.TB, schema *arrow.Schema, rows string, codec compress.Compression, rowsPerGroup int64) []byte {
	t.Helper()
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var buf bytes.Buffer
	props := pq.NewWriterProperties(pq.WithCompression(codec), pq.WithDictionaryDefault(true), pq.WithMaxRowGroupLength(rowsPerGroup))
	fw, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func saveFixture(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fields(fs ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fs, nil) }

func fld(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

var (
	str = arrow.BinaryTypes.String
	i64 = arrow.PrimitiveTypes.Int64
)

// readFixture decodes one file with the parquet format forced.
func readFixture(t testing.TB, path string) ([]ingest.Record, []ingest.Note, int64) {
	t.Helper()
	return decodeAll(t, ingest.Options{Format: "parquet"}, path)
}

func readErr(path string) error {
	_, err := ingest.Run([]string{path}, ingest.Options{Format: "parquet"}, func(ingest.FileResult, int) ingest.SinkFactory {
		return func() ingest.Sink { return discard{} }
	})
	return err
}

type discard struct{}

func (discard) Record(*ingest.Record) {}
func (discard) Note(ingest.Note)      {}
func (discard) Lines(int64)           {}

func TestNestedUsageStruct(t *testing.T) {
	usage := arrow.StructOf(
		fld("prompt_tokens", i64), fld("completion_tokens", i64), fld("input_tokens", i64), fld("output_tokens", i64),
		fld("cache_creation_input_tokens", i64), fld("cache_read_input_tokens", i64),
		fld("cache_creation", arrow.StructOf(fld("ephemeral_1h_input_tokens", i64))),
		fld("prompt_tokens_details", arrow.StructOf(fld("cached_tokens", i64))),
		fld("completion_tokens_details", arrow.StructOf(fld("reasoning_tokens", i64))),
	)
	schema := fields(fld("session_id", str), fld("model", str), fld("input_tokens", i64), fld("usage", usage))
	rows := `[
	 {"session_id":"s","model":"gpt-4o","usage":{"prompt_tokens":1000,"completion_tokens":200,"prompt_tokens_details":{"cached_tokens":600},"completion_tokens_details":{"reasoning_tokens":50}}},
	 {"session_id":"s","model":"claude-sonnet-4-5","usage":{"input_tokens":100,"output_tokens":30,"cache_creation_input_tokens":400,"cache_read_input_tokens":2000,"cache_creation":{"ephemeral_1h_input_tokens":150}}},
	 {"session_id":"s","model":"m","input_tokens":7,"usage":{"prompt_tokens":1000}},
	 {"session_id":"s","model":"m","usage":null}
	]`
	path := saveFixture(t, "usage.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100))
	recs, notes, lines := readFixture(t, path)
	if lines != 4 || len(recs) != 4 || len(notes) != 0 {
		t.Fatalf("lines %d records %d notes %+v", lines, len(recs), notes)
	}
	type tok struct{ in, out, cr, cw, cw1h, reas int64 }
	got := func(r ingest.Record) tok {
		return tok{r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.CacheWrite1hTokens, r.ReasoningTokens}
	}
	want := []tok{
		// OpenAI: already inclusive, taken as is.
		{1000, 200, 600, 0, 0, 50},
		// Anthropic: input excludes cache, so 100 + 400 + 2000 = 2500.
		{2500, 30, 2000, 400, 150, 0},
		// A top-level token column wins over usage (as in JSONL).
		{7, 0, 0, 0, 0, 0},
		// Null usage: no tokens.
		{},
	}
	for i, w := range want {
		if g := got(recs[i]); g != w {
			t.Errorf("row %d: %+v, want %+v", i+1, g, w)
		}
	}
}

func TestDictionaryAndIntWidths(t *testing.T) {
	dict := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: str}
	schema := fields(
		fld("sessionId", dict), fld("model", dict), fld("kind", str),
		fld("prompt_tokens", arrow.PrimitiveTypes.Int32), fld("completion_tokens", arrow.PrimitiveTypes.Uint16),
		fld("cache_read_tokens", arrow.PrimitiveTypes.Int8), fld("reasoning_tokens", arrow.PrimitiveTypes.Uint64),
		fld("seq", arrow.PrimitiveTypes.Int16), fld("cost_usd", arrow.PrimitiveTypes.Float32),
	)
	rows := `[
	 {"sessionId":"a","model":"gpt-4o","kind":"LLM","prompt_tokens":2000000,"completion_tokens":65535,"cache_read_tokens":127,"reasoning_tokens":5,"seq":-3,"cost_usd":0.5},
	 {"sessionId":"b","model":"gpt-4o","kind":"llm","prompt_tokens":1,"completion_tokens":0,"cache_read_tokens":0,"reasoning_tokens":0,"seq":2},
	 {"sessionId":"a","model":"o3","kind":"llm","prompt_tokens":3,"completion_tokens":2,"cache_read_tokens":1,"reasoning_tokens":1,"seq":1}
	]`
	path := saveFixture(t, "dict.parquet", writeFixture(t, schema, rows, compress.Codecs.Zstd, 2))
	recs, notes, lines := readFixture(t, path)
	if lines != 3 || len(recs) != 3 || len(notes) != 0 {
		t.Fatalf("lines %d records %d notes %+v", lines, len(recs), notes)
	}
	r := recs[0]
	// The extremes of each width survive: int32 2,000,000; uint16 65,535; int8 127.
	if r.SessionID != "a" || r.Model != "gpt-4o" || r.Kind != ingest.KindLLM || r.InputTokens != 2000000 || r.OutputTokens != 65535 ||
		r.CacheReadTokens != 127 || r.ReasoningTokens != 5 || !r.HasSeq || r.Seq != -3 || !r.HasCost || r.CostUSD != 0.5 || r.Line != 1 {
		t.Errorf("row 1: %+v", r)
	}
	// Rows 2 and 3 sit in the second row group: lines continue across groups.
	if recs[1].SessionID != "b" || recs[1].Line != 2 || recs[1].HasCost || recs[2].Model != "o3" || recs[2].Line != 3 {
		t.Errorf("rows 2-3: %+v %+v", recs[1], recs[2])
	}
}

func TestTimestampColumns(t *testing.T) {
	// 2026-11-02T09:00:00.250Z = 1793610000250 ms since the epoch:
	// date -u -d 2026-11-02T09:00:00Z +%s → 1793610000; plus 250 ms.
	const ms = int64(1793610000250)
	wantNS := time.Date(2026, 11, 2, 9, 0, 0, 250e6, time.UTC).UnixNano()
	if wantNS != ms*1e6 {
		t.Fatalf("derivation: %d != %d", wantNS, ms*1e6)
	}
	for _, tc := range []struct {
		name string
		typ  arrow.DataType
		val  string
	}{
		{"timestamp_ms", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, "1793610000250"},
		{"timestamp_us", &arrow.TimestampType{Unit: arrow.Microsecond}, "1793610000250000"},
		{"timestamp_s", &arrow.TimestampType{Unit: arrow.Second}, "1793610000"},
		{"epoch_ms_int", i64, "1793610000250"},
		{"rfc3339", str, `"2026-11-02T09:00:00.25Z"`},
	} {
		schema := fields(fld("session_id", str), fld("timestamp", tc.typ))
		path := saveFixture(t, tc.name+".parquet", writeFixture(t, schema, `[{"session_id":"s","timestamp":`+tc.val+`}]`, compress.Codecs.Gzip, 10))
		recs, notes, _ := readFixture(t, path)
		want := wantNS
		if tc.name == "timestamp_s" {
			want = 1793610000 * 1e9
		}
		if len(recs) != 1 || len(notes) != 0 || recs[0].TSNano != want {
			t.Errorf("%s: records %+v notes %+v, want ts %d", tc.name, recs, notes, want)
		}
	}
}

func TestAttributes(t *testing.T) {
	schema := fields(fld("session_id", i64), fld("team", str), fld("priority", i64), fld("beta", arrow.FixedWidthTypes.Boolean),
		fld("score", arrow.PrimitiveTypes.Float64), fld("tags", arrow.ListOf(str)), fld("meta", arrow.StructOf(fld("x", str))))
	rows := `[{"session_id":42,"team":"search","priority":3,"beta":true,"score":1.5,"tags":["a"],"meta":{"x":"y"}},
	          {"session_id":43,"team":null}]`
	path := saveFixture(t, "attrs.parquet", writeFixture(t, schema, rows, compress.Codecs.Uncompressed, 10))
	recs, notes, _ := readFixture(t, path)
	if len(recs) != 2 || len(notes) != 0 {
		t.Fatalf("records %d notes %+v", len(recs), notes)
	}
	// Scalars become text, lists and structs under unknown names are not read;
	// an integer session id is its decimal text.
	want := map[string]string{"team": "search", "priority": "3", "beta": "true", "score": "1.5"}
	if recs[0].SessionID != "42" || len(recs[0].Attrs) != len(want) {
		t.Errorf("row 1: session %q attrs %v", recs[0].SessionID, recs[0].Attrs)
	}
	for k, v := range want {
		if recs[0].Attrs[k] != v {
			t.Errorf("attr %s = %q, want %q", k, recs[0].Attrs[k], v)
		}
	}
	if recs[1].SessionID != "43" || len(recs[1].Attrs) != 0 {
		t.Errorf("row 2 (nulls are absent): %+v", recs[1])
	}
}

func TestInvalidRowsAreNotes(t *testing.T) {
	schema := fields(fld("session_id", str), fld("kind", str), fld("input_tokens", arrow.PrimitiveTypes.Float64),
		fld("output_tokens", i64), fld("cache_read_tokens", i64), fld("ts", str))
	rows := `[
	 {"session_id":"s","input_tokens":10,"output_tokens":1},
	 {"session_id":"s","input_tokens":10.5},
	 {"session_id":"s","output_tokens":-1},
	 {"session_id":null,"input_tokens":1},
	 {"session_id":"s","kind":"agent"},
	 {"session_id":"s","input_tokens":5,"cache_read_tokens":6},
	 {"session_id":"s","ts":"yesterday"},
	 {"session_id":"s","input_tokens":4294967296}
	]`
	path := saveFixture(t, "bad.parquet", writeFixture(t, schema, rows, compress.Codecs.Zstd, 3))
	recs, notes, lines := readFixture(t, path)
	// Rows 1 and 7 (a bad time loses no tokens: the record is kept,
	// unordered) are records; each other row is one note at its row.
	want := []string{
		"2 fractional token count",
		"3 negative token count",
		"4 missing session_id",
		"5 unknown kind (want llm or tool)",
		"6 cache tokens exceed input_tokens (input must include cache reads and writes)",
		"8 token count too large", // 2^32 is the bound
	}
	if lines != 8 || len(recs) != 2 || len(notes) != len(want) || !recs[1].TSUnreadable {
		t.Fatalf("lines %d records %d notes %+v", lines, len(recs), notes)
	}
	for i, n := range notes {
		if g := strconv.FormatInt(n.Line, 10) + " " + n.Reason; g != want[i] || n.File != path || n.Kind != ingest.NoteInvalid {
			t.Errorf("note %d: %s (%s), want %s", i, g, n.File, want[i])
		}
	}
}

func TestFileErrors(t *testing.T) {
	good := writeFixture(t, fields(fld("session_id", str), fld("input_tokens", i64)), `[{"session_id":"s","input_tokens":1}]`, compress.Codecs.Zstd, 10)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(good)
	zw.Close()
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       []string
	}{
		{"missing session", "nosession.parquet",
			writeFixture(t, fields(fld("session", str), fld("input_tokens", i64)), `[{"session":"s","input_tokens":1}]`, compress.Codecs.Zstd, 10),
			[]string{"nosession.parquet", "no session_id column", "columns found: session, input_tokens"}},
		{"wrong type", "wrongtype.parquet",
			writeFixture(t, fields(fld("session_id", str), fld("input_tokens", str)), `[{"session_id":"s","input_tokens":"12"}]`, compress.Codecs.Zstd, 10),
			[]string{"wrongtype.parquet", `column "input_tokens" has type string`, "want integer or float or decimal"}},
		{"truncated", "truncated.parquet", good[:len(good)/2], []string{"truncated.parquet", "not a readable parquet file"}},
		{"footer only", "tiny.parquet", []byte("PAR1"), []string{"tiny.parquet", "not a readable parquet file"}},
		{"gzip wrapped", "x.parquet.gz", gz.Bytes(), []string{"x.parquet.gz", "gzip", "decompress"}},
	} {
		err := readErr(saveFixture(t, tc.file, tc.data))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}

// TestSniff: by name or by magic, never a JSON file.
func TestSniff(t *testing.T) {
	var p format
	if !p.Sniff("a.PARQUET", nil) || !p.Sniff("-", []byte("PAR1\x15")) || p.Sniff("a.jsonl", []byte(`{"session_id":"s"}`)) {
		t.Error("sniff")
	}
}
