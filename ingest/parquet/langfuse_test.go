package parquet

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/tokcost/tokcost/ingest"
)

// TestLangfuseParquet: an observations export (docs/formats/langfuse.md snake_case
// columns, usage_details as a map) maps as the Langfuse JSON reader does.
func TestLangfuseParquet(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	schema := fields(
		fld("id", str), fld("trace_id", str), fld("parent_observation_id", str), fld("type", str), fld("name", str),
		fld("start_time", ts), fld("end_time", ts), fld("level", str), fld("status_message", str),
		fld("provided_model_name", str), fld("usage_details", arrow.MapOf(str, i64)),
		fld("cost_details", arrow.MapOf(str, arrow.PrimitiveTypes.Float64)), fld("session_id", str),
		fld("input", str), // a large payload column the reader must not need
	)
	// start_time in µs: 1793610000000000 = 2026-11-02T09:00:00Z (see TestTimestampColumns).
	rows := `[
	 {"id":"a1","trace_id":"t1","type":"AGENT","name":"planner","start_time":1793610000000000,"session_id":"sess-1"},
	 {"id":"g1","trace_id":"t1","parent_observation_id":"a1","type":"GENERATION","name":"chat","start_time":1793610001000000,"end_time":1793610003000000,
	  "provided_model_name":"gpt-4o","usage_details":[{"key":"input","value":100},{"key":"input_cached_tokens","value":400},{"key":"output","value":20},{"key":"output_reasoning_tokens","value":5},{"key":"total","value":525}],
	  "cost_details":[{"key":"total","value":0.01}],"session_id":"sess-1","input":"a long prompt"},
	 {"id":"tl1","trace_id":"t1","parent_observation_id":"a1","type":"TOOL","name":"grep","start_time":1793610004000000,"level":"ERROR","status_message":"boom","session_id":"sess-1"},
	 {"id":"sp1","trace_id":"t1","parent_observation_id":"a1","type":"SPAN","name":"step","start_time":1793610005000000,"session_id":"sess-1"}
	]`
	path := saveFixture(t, "observations.parquet", writeFixture(t, schema, rows, compress.Codecs.Zstd, 2))
	recs, notes, lines := decodeAll(t, ingest.Options{}, path) // detected, not forced
	// AGENT and SPAN observations are skipped (one note each); GENERATION and TOOL are records.
	if lines != 4 || len(recs) != 2 || len(notes) != 2 {
		t.Fatalf("lines %d records %d notes %+v", lines, len(recs), notes)
	}
	g, tool := recs[0], recs[1]
	// Disjoint buckets (total 525 = 100 + 400 + 20 + 5) made inclusive:
	// input = 100 + 400 cached = 500; output = 20 + 5 reasoning = 25.
	if g.Kind != ingest.KindLLM || g.SessionID != "sess-1" || g.Model != "gpt-4o" || g.Role != "planner" ||
		g.InputTokens != 500 || g.CacheReadTokens != 400 || g.OutputTokens != 25 || g.ReasoningTokens != 5 ||
		!g.HasCost || g.CostUSD != 0.01 || g.DurationMS != 2000 || g.Line != 2 || g.File != path {
		t.Errorf("generation: %+v", g)
	}
	if tool.Kind != ingest.KindTool || tool.Tool != "grep" || tool.Status != ingest.StatusError || tool.Error != "boom" || tool.Line != 3 {
		t.Errorf("tool: %+v", tool)
	}
	if notes[0].Line != 1 || notes[1].Line != 4 || notes[0].Kind != ingest.NoteSkipped {
		t.Errorf("notes: %+v", notes)
	}
}

// TestLangfuseParquetJSONUsage: usage_details as a JSON string column, with
// inclusive buckets: total 1020 = input 1000 + output 20, not the sum of all
// keys (1420), so input already includes the 400 cached tokens.
func TestLangfuseParquetJSONUsage(t *testing.T) {
	schema := fields(fld("id", str), fld("trace_id", str), fld("type", str), fld("usage_details", str), fld("provided_model_name", str))
	rows := `[{"id":"g","trace_id":"t","type":"GENERATION","provided_model_name":"m",
	  "usage_details":"{\"input\":1000,\"input_cached_tokens\":400,\"output\":20,\"total\":1020}"}]`
	path := saveFixture(t, "obs.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 10))
	recs, notes, _ := decodeAll(t, ingest.Options{}, path)
	if len(recs) != 1 || len(notes) != 0 {
		t.Fatalf("records %d notes %+v", len(recs), notes)
	}
	// No session column or metadata: the trace id is the session.
	if r := recs[0]; r.InputTokens != 1000 || r.CacheReadTokens != 400 || r.OutputTokens != 20 || r.SessionID != "t" {
		t.Errorf("%+v", r)
	}
}
