package otel

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestJaegerOddInputs pins what the Jaeger reader makes of JSON Jaeger does
// not write but a damaged or hand-edited export may hold, so that the JSON
// decoder under it can change without changing it. Each want is the rule
// stated beside it (docs/formats/otel.md, "Odd JSON"): per unit, a record
// "kind in out model service" or a note "reason | detail".
func TestJaegerOddInputs(t *testing.T) {
	const model = `{"key":"gen_ai.request.model","type":"string","value":"gpt-4o"}`
	const counts = `{"key":"gen_ai.usage.input_tokens","type":"int64","value":5},{"key":"gen_ai.usage.output_tokens","type":"int64","value":2}`
	span := func(extra, tags string) string {
		return `{"traceID":"t1","spanID":"s1","operationName":"chat","startTime":1700000000000000,"duration":1000,"processID":"p1"` + extra + `,"tags":[` + tags + `]}`
	}
	doc := func(spans string, extra string) string {
		return `{"data":[{"traceID":"t1","spans":[` + spans + `],"processes":{"p1":{"serviceName":"svc","tags":[]}}` + extra + `}]}`
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", doc(span("", model+","+counts), ""), "llm 5 2 gpt-4o svc"},
		// A repeated key: the last one counts.
		{"duplicate tags", doc(`{"traceID":"t1","spanID":"s1","processID":"p1","tags":[{"key":"gen_ai.request.model","value":"a"}],"tags":[`+model+`,`+counts+`]}`, ""), "llm 5 2 gpt-4o svc"},
		{"duplicate process", doc(span("", model+","+counts), `,"processes":{"p1":{"serviceName":"x"},"p1":{"serviceName":"y"}}`), "llm 5 2 gpt-4o y"},
		// Keys match exactly. Changed: earlier builds matched them
		// case-insensitively (a call).
		{"mis-cased keys", doc(`{"TraceID":"t1","SpanID":"s1","ProcessID":"p1","Tags":[`+model+`,`+counts+`]}`, ""), "missing span id | "},
		// Tag values: numbers, strings holding numbers and 5.0 are counts.
		{"counts as strings and 5.0", doc(span("", model+`,{"key":"gen_ai.usage.input_tokens","value":"5"},{"key":"gen_ai.usage.output_tokens","value":2.0}`), ""), "llm 5 2 gpt-4o svc"},
		// A field of the wrong type: the document is malformed, naming the
		// field and the type. Changed: earlier builds gave encoding/json's
		// message, naming Go types.
		{"operationName as number", doc(span(`,"operationName":5`, model+","+counts), ""), "malformed jaeger | data.spans.operationName: number"},
		{"spans as object", `{"data":[{"traceID":"t1","spans":{}}]}`, "malformed jaeger | data.spans: object"},
		{"tag key as number", doc(span("", `{"key":5,"value":1}`), ""), "malformed jaeger | data.spans.tags.key: number"},
		{"not an object", `[1]`, "malformed jaeger | not a json object"},
		// null is missing: a null span is a span with no fields.
		{"null tags", doc(span("", model+","+counts)+`,{"traceID":"t1","spanID":"s2","tags":null}`, ""), "llm 5 2 gpt-4o svc; skipped no usage | "},
		{"null span", doc(span("", model+","+counts)+`,null`, ""), "llm 5 2 gpt-4o svc; missing span id | "},
		// Spans at the top level (a single trace) beside data: null.
		{"top-level trace", `{"data":null,"traceID":"t1","spans":[` + span("", model+","+counts) + `],"processes":{"p1":{"serviceName":"svc"}}}`, "llm 5 2 gpt-4o svc"},
		// Nesting deeper than 300 levels is malformed, even where nothing
		// is read. Changed: earlier builds read it.
		{"deep nesting", doc(span(`,"x":`+deep, model+","+counts), ""), "malformed jaeger | too big depth: nested more than 300 levels"},
		// A lone surrogate escape stays as its six characters. Changed:
		// earlier builds made it U+FFFD.
		{"lone surrogate", doc(span("", `{"key":"gen_ai.request.model","value":"a\ud800b"},`+counts), ""), "llm 5 2 a\\ud800b svc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := decodeSource(t, mustLookup(t, "jaeger"), &ingest.Source{Name: "f.json", R: bufio.NewReader(bytes.NewBufferString(tc.in))})
			var got []string
			for _, r := range s.recs {
				got = append(got, fmt.Sprintf("%s %d %d %s %s", r.Kind, r.InputTokens, r.OutputTokens, r.Model, r.Attrs["service.name"]))
			}
			for _, n := range s.notes {
				k := map[ingest.NoteKind]string{ingest.NoteInvalid: "", ingest.NoteSkipped: "skipped "}[n.Kind]
				got = append(got, fmt.Sprintf("%s%s | %s", k, n.Reason, n.Detail))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

// TestJaegerUnknownTokenKeys: usage tags that name tokens but are not read
// are named in Record.UnknownUsage. By hand: input 5, output 2 read;
// "gen_ai.usage.Input_Tokens" (mis-cased), "gen_ai.usage.cached_token_count"
// (no such key), "GEN_AI.USAGE.output_tokens" (mis-cased namespace) and
// "llm.token_count.Prompt" (every key there is a count) are named, in the
// order the tags come; "llm.token_count.total" (read: 7 = 5 + 2, so no
// hidden reasoning) and "gen_ai.usage.cost" (not tokens) are not.
func TestJaegerUnknownTokenKeys(t *testing.T) {
	tags := `{"key":"gen_ai.request.model","value":"gpt-4o"},{"key":"gen_ai.usage.input_tokens","value":5},{"key":"gen_ai.usage.output_tokens","value":2},` +
		`{"key":"gen_ai.usage.Input_Tokens","value":5},{"key":"gen_ai.usage.cached_token_count","value":3},{"key":"GEN_AI.USAGE.output_tokens","value":2},` +
		`{"key":"llm.token_count.Prompt","value":5},{"key":"llm.token_count.total","value":7},{"key":"gen_ai.usage.cost","value":0.1}`
	in := `{"data":[{"traceID":"t1","spans":[{"traceID":"t1","spanID":"s1","operationName":"chat","startTime":1700000000000000,"duration":1000,"processID":"p1","tags":[` +
		tags + `]}],"processes":{"p1":{"serviceName":"svc","tags":[]}}}]}`
	s := decodeSource(t, mustLookup(t, "jaeger"), &ingest.Source{Name: "f.json", R: bufio.NewReader(bytes.NewBufferString(in))})
	want := "gen_ai.usage.Input_Tokens,gen_ai.usage.cached_token_count,GEN_AI.USAGE.output_tokens,llm.token_count.Prompt"
	if len(s.recs) != 1 || s.recs[0].InputTokens != 5 || s.recs[0].OutputTokens != 2 || s.recs[0].UnknownUsage != want {
		t.Fatalf("records %+v, notes %+v\nwant in 5, out 2, unknown %s", s.recs, s.notes, want)
	}
}
