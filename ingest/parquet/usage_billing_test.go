package parquet

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// TestUsageBillingFields: a usage struct's speed, inference_geo,
// service_tier and server_tool_use.web_search_requests are read as the
// JSONL reader reads them from a usage object. Before, the Parquet reader
// read only the token counts: a fast, US-only, priority or web-searching
// call was priced at standard rates with exit 0.
//
// Dollars by hand (pricing/table_gen.json; claude-opus-4-6 from
// 2026-03-13: $5/$25 per MTok in/out, fast ×6, US ×1.1, web search $0.01
// each; gpt-4o priority: $4.25/$17 per MTok). Anthropic usage: input_tokens
// excludes the cache (none here), so each Opus call is 1,000 in and 100
// out, $0.005 + $0.0025 = $0.0075 at standard rates:
//
//	fast:               0.0075 × 6             = 0.045
//	inference_geo us:   0.0075 × 1.1           = 0.00825
//	3 web searches:     0.0075 + 3 × 0.01      = 0.0375
//	gpt-4o priority:    1000 × 4.25e-6 + 100 × 17e-6 = 0.00595
//	speed "turbo":      0.0075 (standard, and "speed" counted as unknown)
//	total                                      = 0.1042
func TestUsageBillingFields(t *testing.T) {
	usage := arrow.StructOf(
		fld("input_tokens", i64), fld("output_tokens", i64),
		fld("prompt_tokens", i64), fld("completion_tokens", i64),
		fld("speed", str), fld("inference_geo", str), fld("service_tier", str),
		fld("server_tool_use", arrow.StructOf(fld("web_search_requests", i64))),
	)
	schema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", usage))
	objs := []string{
		`{"input_tokens":1000,"output_tokens":100,"speed":"fast"}`,
		`{"input_tokens":1000,"output_tokens":100,"inference_geo":"us"}`,
		`{"input_tokens":1000,"output_tokens":100,"server_tool_use":{"web_search_requests":3}}`,
		`{"prompt_tokens":1000,"completion_tokens":100,"service_tier":"priority"}`,
		`{"input_tokens":1000,"output_tokens":100,"speed":"turbo"}`,
	}
	models := []string{"claude-opus-4-6", "claude-opus-4-6", "claude-opus-4-6", "gpt-4o", "claude-opus-4-6"}
	rows, textRows, jsonl := usageRows(objs, models)
	pq := saveFixture(t, "billing.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100))
	jl := filepath.Join(t.TempDir(), "billing.jsonl")
	if err := os.WriteFile(jl, []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	// The usage object as JSON text in a string column, read the same.
	textSchema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", str))
	pqText := saveFixture(t, "billing-text.parquet", writeFixture(t, textSchema, textRows, compress.Codecs.Snappy, 100))
	fromParquet, fromJSONL := analysisJSON(t, pq), analysisJSON(t, jl)
	if !bytes.Equal(fromParquet, fromJSONL) {
		t.Errorf("Parquet and JSONL analyses differ\n%s", firstDiff(fromJSONL, fromParquet))
	}
	if fromText := analysisJSON(t, pqText); !bytes.Equal(fromText, fromJSONL) {
		t.Errorf("Parquet (usage as text) and JSONL analyses differ\n%s", firstDiff(fromJSONL, fromText))
	}
	var a struct {
		Sessions struct {
			CostUSD struct {
				Total float64 `json:"total"`
			} `json:"cost_usd"`
		} `json:"sessions"`
		Input struct {
			Invalid       int64            `json:"invalid"`
			UnknownFields map[string]int64 `json:"unknown_usage_fields"`
		} `json:"input"`
		Models []struct {
			Model     string `json:"model"`
			WebSearch int64  `json:"web_searches"`
			USOnly    int64  `json:"us_only_calls"`
			FastCalls int64  `json:"fast_calls"`
		} `json:"models"`
	}
	if err := json.Unmarshal(fromParquet, &a); err != nil {
		t.Fatal(err)
	}
	if got, want := a.Sessions.CostUSD.Total, 0.1042; math.Abs(got-want) > 1e-12 {
		t.Errorf("total $%.10f, want $%.4f", got, want)
	}
	if a.Input.Invalid != 0 || a.Input.UnknownFields["speed"] != 1 || len(a.Input.UnknownFields) != 1 {
		t.Errorf("invalid %d, unknown usage fields %v; want 0, speed: 1", a.Input.Invalid, a.Input.UnknownFields)
	}
	for _, m := range a.Models {
		if m.Model == "claude-opus-4-6" && (m.WebSearch != 3 || m.USOnly != 1 || m.FastCalls != 1) {
			t.Errorf("claude-opus-4-6: %d web searches, %d US-only, %d fast calls; want 3, 1, 1", m.WebSearch, m.USOnly, m.FastCalls)
		}
	}
}

// usageRows makes one llm call of session "s" per usage object objs[i]
// (model models[i]), at minute i: the rows as JSON for writeFixture with
// usage as a struct (rows) and as JSON text (textRows), and as canonical
// JSONL lines, so one test can read the same calls three ways.
func usageRows(objs, models []string) (rows, textRows, jsonl string) {
	var r, tr, jl strings.Builder
	r.WriteString("[")
	tr.WriteString("[")
	for i, o := range objs {
		line := `{"session_id":"s","id":"c` + string(rune('1'+i)) + `","kind":"llm","model":"` + models[i] + `","ts":"2026-04-01T00:0` + string(rune('0'+i)) + `:00Z","usage":` + o + `}`
		if i > 0 {
			r.WriteString(",")
			tr.WriteString(",")
		}
		r.WriteString(line)
		quoted, _ := json.Marshal(o)
		tr.WriteString(strings.Replace(line, `"usage":`+o, `"usage":`+string(quoted), 1))
		jl.WriteString(line + "\n")
	}
	r.WriteString("]")
	tr.WriteString("]")
	return r.String(), tr.String(), jl.String()
}
