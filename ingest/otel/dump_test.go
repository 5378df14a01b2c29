package otel

import (
	"os"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// stdouttrace_pretty.json was written by the Go SDK (tracetest span stubs
// encoded as stdouttrace.WithPrettyPrint does; testdata/SOURCES.md): an
// invoke_agent span (conversation conv-go-1, usage 5230/134 = the sum of
// its two calls) above chat (2230 in, 14 out, 1024 cache read),
// execute_tool read_file (status Error) and chat (3000 in, 120 out, 2048
// cache read).
var stdoutWant = totals{
	sessions: 1, // gen_ai.conversation.id on the root, inherited
	llm:      2, tools: 1, errors: 1,
	in:        2230 + 3000, // 5230
	out:       14 + 120,    // 134
	cacheRead: 1024 + 2048, // 3072
}

func TestStdouttracePretty(t *testing.T) {
	s := decodeFile(t, mustLookup(t, "stdouttrace"), "testdata/stdouttrace_pretty.json")
	s.checkUnits(t)
	if got := s.totals(); got != stdoutWant {
		t.Errorf("totals = %+v, want %+v", got, stdoutWant)
	}
	// grep -c '"SpanContext"' → 4 spans; the agent's usage is the sum of
	// its children's: one duplicate, no other note.
	if s.lines != 4 || len(s.notes) != 1 || s.notes[0].Reason != "aggregate usage" {
		t.Errorf("lines %d, notes %+v", s.lines, s.notes)
	}
	for _, r := range s.recs {
		if r.Role != "planner" {
			t.Errorf("%s: role %q, want planner (gen_ai.agent.name of the root)", r.ID, r.Role)
		}
		if r.Kind == ingest.KindLLM && (r.Model != "gpt-4o-mini-2024-07-18" || r.Provider != "openai") {
			t.Errorf("%s: model %q provider %q", r.ID, r.Model, r.Provider)
		}
		if r.Kind == ingest.KindTool && (r.Tool != "read_file" || r.Status != ingest.StatusError || r.Error != "file not found") {
			t.Errorf("tool record %+v", r)
		}
	}
	// First call: StartTime 10:00:00.1Z, EndTime 10:00:01.6Z → 1500 ms.
	first := byStart(s.recs)[0]
	if first.ID != "chatcmpl-go-1" || first.DurationMS != 1500 || first.TSNano != 1773655200100000000 {
		// date -u -d 2026-03-16T10:00:00Z +%s → 1773655200
		t.Errorf("first record %s ts %d dur %v", first.ID, first.TSNano, first.DurationMS)
	}
}

// The same run, exported without WithPrettyPrint: one span per line.
func TestStdouttraceLines(t *testing.T) {
	data, err := os.ReadFile("testdata/stdouttrace_lines.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	s := ingesttest.Decode(t, mustLookup(t, "stdouttrace"), "lines.jsonl", data)
	ingesttest.CheckAccounting(t, s, 4)
	c := &collectSink{recs: s.Recs, notes: s.Notes, lines: s.Units}
	if got := c.totals(); got != stdoutWant {
		t.Errorf("totals = %+v, want %+v", got, stdoutWant)
	}
}

// console_py.json follows ReadableSpan.to_json() (SOURCES.md). Trace 5b8a…:
// openai.chat (OpenLLMetry names: prompt 1200, completion 85, cache read
// 512), execute_tool search (ERROR), anthropic.chat (input 40 exclusive of
// cache read 3000 and write 500 → 3540), their invoke_agent root
// (session.id sess-py-1, no usage). Trace 9d41…: one chat (300/20,
// conversation conv-py-2), exported twice.
func TestConsolePython(t *testing.T) {
	s := decodeFile(t, mustLookup(t, "otel-console"), "testdata/console_py.json")
	s.checkUnits(t)
	want := totals{
		sessions: 2, llm: 3, tools: 1, errors: 1,
		in:         1200 + (40 + 3000 + 500) + 300, // 5040
		out:        85 + 210 + 20,                  // 315
		cacheRead:  512 + 3000,                     // 3512
		cacheWrite: 500,
	}
	if got := s.totals(); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	// grep -c '"context"' → 6 span objects: 4 records, the agent span
	// (skipped) and the repeat (duplicate).
	if s.lines != 6 || s.count(ingest.NoteSkipped) != 1 || s.count(ingest.NoteDuplicate) != 1 {
		t.Errorf("lines %d notes %+v", s.lines, s.notes)
	}
	for _, r := range s.recs {
		want := "sess-py-1"
		if r.TSNano >= 1773658800000000000 { // 11:00Z: the second trace
			want = "conv-py-2"
		}
		if r.SessionID != want {
			t.Errorf("%s: session %q, want %q", r.ID, r.SessionID, want)
		}
		if r.Kind == ingest.KindTool && !strings.HasPrefix(r.Error, "TimeoutError") {
			t.Errorf("tool error %q", r.Error)
		}
	}
}

func TestDumpEdgeCases(t *testing.T) {
	stub := func(span, parent, extra string) string {
		return `{"Name":"chat","SpanContext":{"TraceID":"0af7651916cd43dd8448eb211c80319c","SpanID":"` + span +
			`"},"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"` + parent + `"},"StartTime":"0001-01-01T00:00:00Z","EndTime":"0001-01-01T00:00:00Z","Attributes":[` + extra + `]}`
	}
	usage := `{"Key":"gen_ai.operation.name","Value":{"Type":"STRING","Value":"chat"}},{"Key":"gen_ai.usage.input_tokens","Value":{"Type":"INT64","Value":10}},{"Key":"gen_ai.usage.output_tokens","Value":{"Type":"INT64","Value":2}}`
	for _, tc := range []struct {
		name, format, in         string
		units                    int64
		recs, invalid, dup, skip int
		reason                   string
	}{
		{"root parent all zeros, no timestamps", "stdouttrace", stub("b7ad6b7169203331", "0000000000000000", usage), 1, 1, 0, 0, 0, ""},
		{"bad token count", "stdouttrace", stub("b7ad6b7169203331", "0000000000000000", `{"Key":"gen_ai.usage.input_tokens","Value":{"Type":"FLOAT64","Value":1.5}}`), 1, 0, 1, 0, 0, "bad token count"},
		{"wrong shape", "stdouttrace", `{"Name":"x","SpanContext":"nope"}`, 1, 0, 1, 0, 0, "malformed stdouttrace"},
		{"array is not a span", "stdouttrace", `[1,2]`, 1, 0, 1, 0, 0, "malformed stdouttrace"},
		{"missing ids", "stdouttrace", `{"Name":"x","SpanContext":{}}`, 1, 0, 1, 0, 0, "missing trace id"}, // both ids absent: the trace id is checked first
		{"line not json", "stdouttrace", stub("b7ad6b7169203331", "0000000000000000", usage) + "\n{\"Name\":", 2, 1, 1, 0, 0, ""},
		{"retried export", "stdouttrace", stub("b7ad6b7169203331", "", usage) + "\n" + stub("b7ad6b7169203331", "", usage), 2, 1, 0, 1, 0, ""},
		{"python attributes not an object", "otel-console", `{"name":"x","context":{"trace_id":"0x01","span_id":"0x02"},"parent_id":null,"attributes":[1]}`, 1, 0, 1, 0, 0, "malformed console span"},
		{"python old canonical_code", "otel-console", `{"name":"execute_tool x","context":{"trace_id":"0x01","span_id":"0x02"},"parent_id":null,"status":{"canonical_code":"DEADLINE_EXCEEDED"},"attributes":{"gen_ai.operation.name":"execute_tool"}}`, 1, 1, 0, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := ingesttest.Decode(t, mustLookup(t, tc.format), "t", []byte(tc.in))
			ingesttest.CheckAccounting(t, s, tc.units)
			if len(s.Recs) != tc.recs || s.Count(ingest.NoteInvalid) != tc.invalid || s.Count(ingest.NoteDuplicate) != tc.dup || s.Count(ingest.NoteSkipped) != tc.skip {
				t.Errorf("recs %d notes %+v", len(s.Recs), s.Notes)
			}
			if tc.reason != "" && (len(s.Notes) == 0 || s.Notes[0].Reason != tc.reason) {
				t.Errorf("notes %+v, want reason %q", s.Notes, tc.reason)
			}
			for _, r := range s.Recs {
				if r.TSNano != 0 {
					t.Errorf("zero time read as %d", r.TSNano)
				}
				if tc.format == "otel-console" && r.Status != ingest.StatusError {
					t.Errorf("canonical_code DEADLINE_EXCEEDED not an error: %+v", r)
				}
			}
		})
	}
}

func FuzzStdouttrace(f *testing.F) {
	fuzzFormat(f, "stdouttrace", "testdata/stdouttrace_pretty.json", "testdata/stdouttrace_lines.jsonl")
}

func FuzzConsole(f *testing.F) { fuzzFormat(f, "otel-console", "testdata/console_py.json") }
