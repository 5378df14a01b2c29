package parquet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// TestUsageServerToolKeysNamed: keys of usage.server_tool_use other than
// web_search_requests and web_fetch_requests, and a billing key in other
// case, are named in input.unknown_usage_fields by the Parquet reader as
// by the JSONL reader (docs/formats/parquet.md: "Semantics are exactly the
// canonical JSONL reader's"; docs/format.md, docs/usage.md), whether the
// usage is a struct column or JSON text. Before, the Parquet reader passed
// no key names to ingest.FillUsageBilling: a mis-cased
// Web_Search_Requests billed $0 for its searches with nothing said.
//
// Expected by hand from the three objects: row 1 names
// server_tool_use.Web_Search_Requests, row 2
// server_tool_use.code_execution_requests, row 3 Speed (a "speed" key in
// other case); web_fetch_requests (row 2) is known and not named; each
// once. The struct fixture has the same fields, null where an object lacks
// them (a null is an absent key, so only the non-null ones are named).
func TestUsageServerToolKeysNamed(t *testing.T) {
	objs := []string{
		`{"input_tokens":1000,"output_tokens":100,"server_tool_use":{"Web_Search_Requests":3}}`,
		`{"input_tokens":1000,"output_tokens":100,"server_tool_use":{"code_execution_requests":2,"web_fetch_requests":1}}`,
		`{"input_tokens":1000,"output_tokens":100,"Speed":"fast"}`,
	}
	want := map[string]int64{
		"server_tool_use.Web_Search_Requests":     1,
		"server_tool_use.code_execution_requests": 1,
		"Speed": 1,
	}
	models := make([]string, len(objs))
	for i := range models {
		models[i] = "claude-opus-4-6"
	}
	usage := arrow.StructOf(
		fld("input_tokens", i64), fld("output_tokens", i64), fld("Speed", str),
		fld("server_tool_use", arrow.StructOf(fld("Web_Search_Requests", i64), fld("code_execution_requests", i64), fld("web_fetch_requests", i64))),
	)
	checkUnknownUsage(t, "tools", objs, models, usage, want)
}

// TestUsageServerToolNotObjectNamed: a server_tool_use that is not an
// object holds no count tokcost reads, so it is named, not read as no
// searches: here a string column "3" (row 1). A null struct and a struct
// whose fields are all null are no searches and name nothing, as null and
// {} in JSON: rows 2 and 3 of the struct fixture, whose server_tool_use
// is a struct column. By hand: unknown_usage_fields {server_tool_use: 1}
// for the string column, text and JSONL (row 1 only), none for the struct.
func TestUsageServerToolNotObjectNamed(t *testing.T) {
	models := []string{"claude-opus-4-6"}
	rows, textRows, jsonl := usageRows([]string{`{"input_tokens":1000,"output_tokens":100,"server_tool_use":"3"}`}, models)
	jl := filepath.Join(t.TempDir(), "stu.jsonl")
	if err := os.WriteFile(jl, []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	strUsage := arrow.StructOf(fld("input_tokens", i64), fld("output_tokens", i64), fld("server_tool_use", str))
	schema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", strUsage))
	textSchema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", str))
	structRows, _, _ := usageRows([]string{
		`{"input_tokens":1000,"output_tokens":100}`,
		`{"input_tokens":1000,"output_tokens":100,"server_tool_use":{}}`,
	}, []string{"claude-opus-4-6", "claude-opus-4-6"})
	structUsage := arrow.StructOf(fld("input_tokens", i64), fld("output_tokens", i64), fld("server_tool_use", arrow.StructOf(fld("web_search_requests", i64))))
	structSchema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", structUsage))
	for _, c := range []struct {
		name string
		path string
		want map[string]int64
	}{
		{"jsonl", jl, map[string]int64{"server_tool_use": 1}},
		{"parquet string column", saveFixture(t, "stu.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100)), map[string]int64{"server_tool_use": 1}},
		{"parquet text", saveFixture(t, "stu-text.parquet", writeFixture(t, textSchema, textRows, compress.Codecs.Snappy, 100)), map[string]int64{"server_tool_use": 1}},
		{"parquet null and empty struct", saveFixture(t, "stu-struct.parquet", writeFixture(t, structSchema, structRows, compress.Codecs.Snappy, 100)), nil},
	} {
		invalid, unknown := unknownUsageOf(t, c.path)
		if invalid != 0 || !reflect.DeepEqual(unknown, c.want) {
			t.Errorf("%s: invalid %d, unknown usage fields %v; want 0, %v", c.name, invalid, unknown, c.want)
		}
	}
}

// unknownUsageOf analyses path and returns its report's invalid line count
// and unknown_usage_fields.
func unknownUsageOf(t *testing.T, path string) (int64, map[string]int64) {
	t.Helper()
	var a struct {
		Input struct {
			Invalid       int64            `json:"invalid"`
			UnknownFields map[string]int64 `json:"unknown_usage_fields"`
		} `json:"input"`
	}
	if err := json.Unmarshal(analysisJSON(t, path), &a); err != nil {
		t.Fatal(err)
	}
	return a.Input.Invalid, a.Input.UnknownFields
}

// TestUsageUnknownTokenKeysNamed: token keys of a usage struct (or usage
// JSON text) that no rule reads are named in unknown_usage_fields, as the
// JSONL reader names them (docs/usage.md), and their counts are not read.
// Before, the Parquet reader passed no key names for the token fields:
// a mis-cased Prompt_Tokens left the call's input at 0 with nothing said.
// By hand: row 1 names foo_tokens, row 2 Prompt_Tokens, row 3 nothing
// (every key read); each name once. The struct has every column, null
// where a row lacks it (a null is an absent key).
func TestUsageUnknownTokenKeysNamed(t *testing.T) {
	objs := []string{
		`{"input_tokens":1000,"output_tokens":100,"foo_tokens":3}`,
		`{"Prompt_Tokens":500,"output_tokens":100}`,
		`{"prompt_tokens":700,"completion_tokens":100}`,
	}
	want := map[string]int64{"foo_tokens": 1, "Prompt_Tokens": 1}
	usage := arrow.StructOf(fld("input_tokens", i64), fld("output_tokens", i64), fld("foo_tokens", i64),
		fld("Prompt_Tokens", i64), fld("prompt_tokens", i64), fld("completion_tokens", i64))
	checkUnknownUsage(t, "unk", objs, []string{"gpt-4o", "gpt-4o", "gpt-4o"}, usage, want)
}

// checkUnknownUsage analyses the usage objects objs (one call each, of
// models) as JSONL, as a Parquet usage struct of type usage and as usage
// JSON text, and checks that each names want in unknown_usage_fields with
// no invalid line.
func checkUnknownUsage(t *testing.T, name string, objs, models []string, usage arrow.DataType, want map[string]int64) {
	t.Helper()
	rows, textRows, jsonl := usageRows(objs, models)
	jl := filepath.Join(t.TempDir(), name+".jsonl")
	if err := os.WriteFile(jl, []byte(jsonl), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", usage))
	textSchema := fields(fld("session_id", str), fld("id", str), fld("kind", str), fld("model", str), fld("ts", str), fld("usage", str))
	for _, c := range []struct {
		name string
		path string
	}{
		{"jsonl", jl},
		{"parquet struct", saveFixture(t, name+".parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100))},
		{"parquet text", saveFixture(t, name+"-text.parquet", writeFixture(t, textSchema, textRows, compress.Codecs.Snappy, 100))},
	} {
		invalid, unknown := unknownUsageOf(t, c.path)
		if invalid != 0 || !reflect.DeepEqual(unknown, want) {
			t.Errorf("%s: invalid %d, unknown usage fields %v; want 0, %v", c.name, invalid, unknown, want)
		}
	}
}
