package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// dupCounts are the input counts TestDuplicateCountsIndependentOfFiles
// compares.
type dupCounts struct {
	Duplicates       int64            `json:"duplicates"`
	TSAssumedUTC     int64            `json:"ts_assumed_utc"`
	ZeroOutputCalls  int64            `json:"zero_output_calls"`
	CallsFromTotals  int64            `json:"calls_tokens_from_totals"`
	TokensFromTotals int64            `json:"tokens_from_totals"`
	Unknown          map[string]int64 `json:"unknown_usage_fields"`
}

// TestDuplicateCountsIndependentOfFiles: what readers note of a record
// (a timestamp without a zone read as UTC, output tokens recovered from a
// usage total, unknown usage keys, a call that returned text with no
// output tokens) is counted for the copy of an event id the analysis
// keeps (docs/json.md, as ts_unreadable), so a repeat counts the same
// whether it is dropped on arrival (same decoding goroutine, near its
// first copy) or by the analysis's de-duplication (another file, another
// goroutine, far apart: past the repeat set's generations of 4,096 ids,
// or batch rows' own set), on one core or two.
//
// JSONL and Parquet: X has a timestamp without a zone and usage
// {prompt_tokens 10, completion_tokens 1, total_tokens 20,
// server_tool_use {code_execution_requests 2}}: total 20 > 10 + 1 with no
// reasoning count, so 20 − 10 − 1 = 9 output tokens come from the total,
// and server_tool_use.code_execution_requests is a key no rule reads
// (docs/usage.md; named by both readers). Y and the filler records have
// none of that. One copy of X is a duplicate, so X counts once:
// duplicates 1, ts_assumed_utc 1, calls_tokens_from_totals 1,
// tokens_from_totals 9, and the name once. Before, a copy the store did
// not drop on arrival counted again: 2, 2, 18 and the name twice in the
// two-file run.
//
// OTLP: span Z (a chat call, 5 input and 0 output tokens, with completion
// text) is noted as a zero-output call; its copy in a second file is a
// duplicate: duplicates 1, zero_output_calls 1 (2 before).
func TestDuplicateCountsIndependentOfFiles(t *testing.T) {
	x := `{"session_id":"s","id":"e1","model":"gpt-4o","ts":"2026-01-01T00:00:00","usage":{"prompt_tokens":10,"completion_tokens":1,"total_tokens":20,"server_tool_use":{"code_execution_requests":2}}}`
	y := `{"session_id":"s","id":"e2","model":"gpt-4o","ts":"2026-01-01T00:00:01Z","usage":{"prompt_tokens":10,"completion_tokens":1}}`
	// far is n filler records of another session, ~100 bytes each.
	far := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"session_id":"f","id":"f%d","model":"gpt-4o","ts":"2026-01-01T00:00:02Z","usage":{"prompt_tokens":1,"completion_tokens":1}}`+"\n", i)
		}
		return b.String()
	}
	want := dupCounts{Duplicates: 1, TSAssumedUTC: 1, CallsFromTotals: 1, TokensFromTotals: 9, Unknown: map[string]int64{"server_tool_use.code_execution_requests": 1}}

	kv := func(k, v string) string { return `{"key":"` + k + `","value":` + v + `}` }
	z := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c803191","spanId":"b7ad6b7169203331","name":"chat",` +
		`"startTimeUnixNano":"1748000000000000000","endTimeUnixNano":"1748000001000000000","attributes":[` +
		strings.Join([]string{kv("gen_ai.operation.name", `{"stringValue":"chat"}`), kv("gen_ai.request.model", `{"stringValue":"gpt-4o"}`),
			kv("gen_ai.usage.input_tokens", `{"intValue":"5"}`), kv("gen_ai.usage.output_tokens", `{"intValue":"0"}`),
			kv("gen_ai.completion.0.content", `{"stringValue":"Hello"}`)}, ",") + `]}]}]}]}`
	wantZ := dupCounts{Duplicates: 1, ZeroOutputCalls: 1}

	// 9,000 records apart: past two generations of 4,096 ids. 50,000
	// fillers (~5 MB) put the copy in another 4 MiB chunk of the file,
	// which another goroutine decodes on two cores.
	near, wide := far(9000), far(50000)
	for _, c := range []struct {
		name  string
		files map[string]string
		want  dupCounts
	}{
		{"one file", map[string]string{"a.jsonl": x + "\n" + x + "\n" + y + "\n"}, want},
		{"two files", map[string]string{"a.jsonl": x + "\n" + y + "\n", "b.jsonl": x + "\n"}, want},
		{"9,000 records apart", map[string]string{"a.jsonl": x + "\n" + y + "\n" + near + x + "\n"}, want},
		{"another chunk", map[string]string{"a.jsonl": x + "\n" + y + "\n" + wide + x + "\n"}, want},
		{"parquet, 9,000 rows apart", map[string]string{"a.parquet": dupParquet(t, x+"\n"+y+"\n"+near+x+"\n")}, want},
		{"parquet, two files", map[string]string{"a.parquet": dupParquet(t, x+"\n"+y+"\n"), "b.parquet": dupParquet(t, x+"\n")}, want},
		{"otlp, one file", map[string]string{"a.jsonl": z + "\n" + z + "\n"}, wantZ},
		{"otlp, two files", map[string]string{"a.jsonl": z + "\n", "b.jsonl": z + "\n"}, wantZ},
	} {
		dir := t.TempDir()
		for name, data := range c.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, procs := range []int{1, 2} {
			old := runtime.GOMAXPROCS(procs)
			code, out, errOut := run(t, "analyze", "--format", "json", "-q", dir)
			runtime.GOMAXPROCS(old)
			if code != 0 {
				t.Fatalf("%s, %d cores: exit %d: %s", c.name, procs, code, errOut)
			}
			var rep struct {
				Input dupCounts `json:"input"`
			}
			if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rep.Input, c.want) {
				t.Errorf("%s, %d cores: %+v, want %+v", c.name, procs, rep.Input, c.want)
			}
		}
	}
}

// dupParquet writes the canonical JSONL lines as Parquet with string
// columns (ts as text, usage as JSON text), so that the reader notes what
// the JSONL reader notes. Row groups of 1,000 rows: the reader may decode
// them on several goroutines.
func dupParquet(t *testing.T, jsonl string) string {
	t.Helper()
	str := arrow.BinaryTypes.String
	var fs []arrow.Field
	for _, n := range []string{"session_id", "id", "model", "ts", "usage"} {
		fs = append(fs, arrow.Field{Name: n, Type: str, Nullable: true})
	}
	schema := arrow.NewSchema(fs, nil)
	var rows []map[string]string
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var r map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{"usage": string(r["usage"])}
		for _, n := range []string{"session_id", "id", "model", "ts"} {
			var s string
			if err := json.Unmarshal(r[n], &s); err != nil {
				t.Fatal(err)
			}
			row[n] = s
		}
		rows = append(rows, row)
	}
	js, err := json.Marshal(rows)
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, bytes.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(schema, &buf, pq.NewWriterProperties(pq.WithMaxRowGroupLength(1000)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}
