package otel

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// units renders what a decode yielded, one entry per unit: a record
// "kind in out model service" (then " ts=N" when it has a start time,
// " err=MSG" when it failed, " unknown=KEYS" for unknown usage fields) or
// a note "[skipped ]reason | detail".
func units(s *collectSink) string {
	var got []string
	for _, r := range s.recs {
		g := fmt.Sprintf("%s %d %d %s %s", r.Kind, r.InputTokens, r.OutputTokens, r.Model, r.Attrs["service.name"])
		if r.TSNano != 0 {
			g += fmt.Sprintf(" ts=%d", r.TSNano)
		}
		if r.Status == ingest.StatusError {
			g += " err=" + r.Error
		}
		if r.UnknownUsage != "" {
			g += " unknown=" + r.UnknownUsage
		}
		got = append(got, g)
	}
	for _, n := range s.notes {
		k := map[ingest.NoteKind]string{ingest.NoteInvalid: "", ingest.NoteSkipped: "skipped ", ingest.NoteDuplicate: "duplicate "}[n.Kind]
		got = append(got, fmt.Sprintf("%s%s | %s", k, n.Reason, n.Detail))
	}
	return strings.Join(got, "; ")
}

func decodeString(t *testing.T, format, in string) *collectSink {
	t.Helper()
	return decodeSource(t, mustLookup(t, format), &ingest.Source{Name: "f.json", R: bufio.NewReader(bytes.NewBufferString(in))})
}

// TestOTLPOddJSON pins what the OTLP/JSON reader makes of JSON no exporter
// writes but a damaged or hand-edited file may hold. Each case is read
// three ways that must agree: as a JSON line (the fast path takes it when
// it can), as a line holding a non-ASCII member (the fast path declines
// every non-ASCII line, so the general decoder reads it) and as a
// pretty-printed document. Each want is the rule stated beside it
// (docs/formats/otel.md, "Odd JSON").
func TestOTLPOddJSON(t *testing.T) {
	const (
		op     = `{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}}`
		model  = `{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}}`
		counts = `{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":2}}`
		attrs  = `"attributes":[` + op + `,` + model + `,` + counts + `]`
		ids    = `"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331"`
		res    = `"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]}`
	)
	// doc wraps span members (after the ids) in one resource and scope.
	doc := func(members string) string {
		return `{"resourceSpans":[{` + res + `,"scopeSpans":[{"scope":{"name":"sc"},"spans":[{` + ids + members + `}]}]}]}`
	}
	withAttrs := func(list string) string { return doc(`,"attributes":[` + list + `]`) }
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", doc("," + attrs), "llm 5 2 gpt-4o svc"},
		// A repeated key counts once, the last one, whole. Changed:
		// encoding/json merged a repeated object member by member (the
		// message of the first status survived: err=boom).
		{"duplicate attributes", doc(`,"attributes":[` + model + `],` + attrs), "llm 5 2 gpt-4o svc"},
		{"duplicate status", doc(`,"status":{"message":"boom"},"status":{"code":2},` + attrs), "llm 5 2 gpt-4o svc err=error"},
		{"duplicate value member", withAttrs(op + `,` + model + `,{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1","intValue":"5"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":2}}`), "llm 5 2 gpt-4o svc"},
		// Keys match exactly, and a known key in other case makes the
		// line malformed, naming it. Changed: encoding/json matched keys
		// case-insensitively (both read as a call, llm 5 2 gpt-4o svc).
		{"mis-cased attributes key", doc(`,"Attributes":[` + op + `,` + model + `,` + counts + `]`), `malformed otlp | resourceSpans.scopeSpans.spans: key "Attributes" is not "attributes"`},
		{"mis-cased key and stringValue", withAttrs(op + `,{"Key":"gen_ai.request.model","value":{"StringValue":"gpt-4o"}},` + counts), `malformed otlp | resourceSpans.scopeSpans.spans.attributes: key "Key" is not "key"`},
		// Usage attribute names are data: under a usage namespace (in
		// any case), one no rule reads that names tokens is an unknown
		// usage field. Changed: a namespace in other case was not one.
		{"mis-cased usage attribute", withAttrs(op + `,` + model + `,` + counts + `,{"key":"gen_ai.usage.Input_Tokens","value":{"intValue":9}},{"key":"GEN_AI.USAGE.INPUT_TOKENS","value":{"intValue":9}}`), "llm 5 2 gpt-4o svc unknown=gen_ai.usage.Input_Tokens,GEN_AI.USAGE.INPUT_TOKENS"},
		// Numbers and strings stand for each other in values and times.
		{"numbers as strings", doc(`,"startTimeUnixNano":"1777555053809433900","endTimeUnixNano":1777555055625694500,"attributes":[` + op + `,{"key":"gen_ai.request.model","value":{"stringValue":5}},{"key":"gen_ai.usage.input_tokens","value":{"doubleValue":"5"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":2.0}}]`), "llm 5 2 5 svc ts=1777555053809433900"},
		// A count beyond int64 (or float64) is not a count: invalid.
		{"huge count", withAttrs(op + `,` + model + `,{"key":"gen_ai.usage.input_tokens","value":{"intValue":99999999999999999999}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"1e400"}}`), "bad token count | gen_ai.usage.input_tokens"},
		// Nesting past 300 levels is malformed, even where nothing is
		// read. Changed: it was read (to 10,000 levels).
		{"deep nesting", doc(`,"x":` + deep + `,` + attrs), "malformed otlp | too big depth: nested more than 300 levels"},
		// Invalid UTF-8 becomes U+FFFD per bad byte; escapes are read; a
		// lone surrogate escape stays as its six characters. Changed: it
		// became U+FFFD.
		{"invalid utf-8", withAttrs(op + `,{"key":"gen_ai.request.model","value":{"stringValue":"gpt` + "\xff" + `4o"}},` + counts), "llm 5 2 gpt\uFFFD4o svc"},
		{"escapes", withAttrs(op + `,{"key":"gen_ai.request.\u006dodel","value":{"stringValue":"gpt-4o\"\\\/"}},` + counts), `llm 5 2 gpt-4o"\/ svc`},
		{"lone surrogate", withAttrs(op + `,{"key":"gen_ai.request.model","value":{"stringValue":"a\ud800b"}},` + counts), `llm 5 2 a\ud800b svc`},
		// null is missing: a null span is a span with no fields, a null
		// attribute one with no key.
		{"null objects", `{"resourceSpans":[null,{"resource":null,"scopeSpans":[null,{"scope":null,"spans":[{` + ids + `,"status":null,"attributes":[null,` + op + `,` + model + `,` + counts + `,{"key":"x","value":null}]}]}]}]}`, "llm 5 2 gpt-4o "},
		{"null span", `{"resourceSpans":[{"scopeSpans":[{"spans":[null]}]}]}`, "missing trace id | "},
		{"null document", `null`, "skipped no spans | "},
		{"null lists", `{"resourceSpans":null,"batches":null}`, "skipped no spans | "},
		// A field of the wrong type makes the line malformed, naming the
		// field and the type. Changed: encoding/json's message named Go
		// types ("json: cannot unmarshal number into Go struct field
		// otlpSpan.resourceSpans.scopeSpans.spans.name of type string").
		{"name as number", doc(`,"name":5,` + attrs), "malformed otlp | resourceSpans.scopeSpans.spans.name: number"},
		{"spans as object", `{"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]}`, "malformed otlp | resourceSpans.scopeSpans.spans: object"},
		{"not an object", `[1]`, "malformed otlp | not a json object"},
		// {"trace":…} wraps a document; the outer lists are then not read.
		{"trace wrapper", `{"trace":` + doc(","+attrs) + `,"resourceSpans":[{"scopeSpans":[{"spans":[null]}]}]}`, "llm 5 2 gpt-4o svc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			line := decodeString(t, "otlp", tc.in+"\n")
			if g := units(line); g != tc.want {
				t.Errorf("line:\ngot  %s\nwant %s", g, tc.want)
			}
			// The same value with a non-ASCII member ahead of it.
			general := `{"é":1,` + strings.TrimPrefix(tc.in, "{")
			if tc.in[0] != '{' {
				general = `{"é":1,"trace":null}` + "\n" + tc.in
			}
			got := decodeString(t, "otlp", general+"\n")
			want := tc.want
			if tc.in[0] != '{' {
				want = "skipped no spans | ; " + want
			}
			if g := units(got); g != want {
				t.Errorf("general:\ngot  %s\nwant %s", g, want)
			}
			// As a pretty-printed document.
			if tc.in[0] == '{' {
				got := decodeString(t, "otlp", "{\n"+tc.in[1:]+"\n")
				if g := units(got); g != tc.want {
					t.Errorf("document:\ngot  %s\nwant %s", g, tc.want)
				}
			}
		})
	}
}

// TestOTLPOddDocuments pins how broken lines and documents are counted.
func TestOTLPOddDocuments(t *testing.T) {
	span := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa","spanId":"01","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":5}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":2}}]}]}]}]}`
	for _, tc := range []struct{ name, in, want string }{
		// A truncated line is one invalid unit; the next line is read.
		{"truncated line", span[:40] + "\n" + span + "\n", "llm 5 2  ; malformed json | "},
		// A pretty document that breaks after its first value: the rest
		// is one invalid unit, worded by the decoder.
		{"truncated document", "{\n" + span[1:] + "\n" + span[:60], "llm 5 2  ; malformed json | unexpected EOF"},
		{"garbage after document", "{\n" + span[1:] + "\nnot json", "llm 5 2  ; malformed json | invalid character 'o' in literal null (expecting 'u')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if g := units(decodeString(t, "otlp", tc.in)); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

// TestDumpOddJSON pins what the SDK dump readers make of odd JSON in a
// span (docs/formats/otel-sdk-dumps.md, "Odd JSON"). Each case is one
// span, as a line; each want is the rule stated beside it.
func TestDumpOddJSON(t *testing.T) {
	const (
		goAttrs = `{"Key":"gen_ai.operation.name","Value":{"Type":"STRING","Value":"chat"}},{"Key":"gen_ai.request.model","Value":{"Type":"STRING","Value":"gpt-4o"}},{"Key":"gen_ai.usage.input_tokens","Value":{"Type":"INT64","Value":5}},{"Key":"gen_ai.usage.output_tokens","Value":{"Type":"INT64","Value":2}}`
		goIDs   = `"SpanContext":{"TraceID":"0af7651916cd43dd8448eb211c80319c","SpanID":"b7ad6b7169203331"},"Parent":{"TraceID":"00000000000000000000000000000000","SpanID":"0000000000000000"}`
		goRes   = `"Resource":[{"Key":"service.name","Value":{"Type":"STRING","Value":"svc"}}]`
		pyAttrs = `"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2}`
		pyIDs   = `"context":{"trace_id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0xb7ad6b7169203331"},"parent_id":null`
		pyRes   = `"resource":{"attributes":{"service.name":"svc"}}`
	)
	stub := func(members string) string { return `{"Name":"chat",` + goIDs + `,` + goRes + members + `}` }
	py := func(members string) string { return `{"name":"chat",` + pyIDs + `,` + pyRes + members + `}` }
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct{ name, format, in, want string }{
		{"go plain", "stdouttrace", stub(`,"Attributes":[` + goAttrs + `]`), "llm 5 2 gpt-4o svc"},
		// A repeated key counts once, the last one, whole. Changed:
		// encoding/json merged a repeated object (err=boom).
		{"go duplicate attributes", "stdouttrace", stub(`,"Attributes":[],"Attributes":[` + goAttrs + `]`), "llm 5 2 gpt-4o svc"},
		{"go duplicate status", "stdouttrace", stub(`,"Status":{"Description":"boom"},"Status":{"Code":"Error"},"Attributes":[` + goAttrs + `]`), "llm 5 2 gpt-4o svc err=error"},
		// Keys match exactly; a known key in other case is malformed.
		// Changed: keys matched case-insensitively (a call, llm 5 2
		// gpt-4o svc).
		{"go mis-cased keys", "stdouttrace", stub(`,"attributes":[{"key":"gen_ai.operation.name","value":{"type":"STRING","value":"chat"}},{"KEY":"gen_ai.request.model","VALUE":{"VALUE":"gpt-4o"}},` + strings.TrimPrefix(goAttrs, `{"Key":"gen_ai.operation.name","Value":{"Type":"STRING","Value":"chat"}},{"Key":"gen_ai.request.model","Value":{"Type":"STRING","Value":"gpt-4o"}},`) + `]`), `malformed stdouttrace | key "attributes" is not "Attributes"`},
		// A usage namespace in any case: a name no rule reads is an
		// unknown usage field. Changed: in other case it was dropped.
		{"go mis-cased usage attribute", "stdouttrace", stub(`,"Attributes":[` + goAttrs + `,{"Key":"gen_ai.usage.INPUT_TOKENS","Value":{"Value":9}},{"Key":"Gen_AI.Usage.Input_Tokens","Value":{"Value":9}}]`), "llm 5 2 gpt-4o svc unknown=gen_ai.usage.INPUT_TOKENS,Gen_AI.Usage.Input_Tokens"},
		// Values: numbers as strings and 2.0 are counts; beyond int64 is not.
		{"go numbers as strings", "stdouttrace", stub(`,"Attributes":[{"Key":"gen_ai.operation.name","Value":{"Value":"chat"}},{"Key":"gen_ai.request.model","Value":{"Value":4}},{"Key":"gen_ai.usage.input_tokens","Value":{"Value":"5"}},{"Key":"gen_ai.usage.output_tokens","Value":{"Value":2.0}}]`), "llm 5 2 4 svc"},
		{"go huge count", "stdouttrace", stub(`,"Attributes":[` + goAttrs + `,{"Key":"gen_ai.usage.input_tokens","Value":{"Value":1e400}}]`), "bad token count | gen_ai.usage.input_tokens"},
		// Nesting past 300 levels is malformed, even where nothing is
		// read. Changed: it was read.
		{"go deep nesting", "stdouttrace", stub(`,"Links":` + deep + `,"Attributes":[` + goAttrs + `]`), "malformed stdouttrace | too big depth: nested more than 300 levels"},
		// Invalid UTF-8 is U+FFFD per bad byte; a lone surrogate escape
		// stays text. Changed: it was U+FFFD.
		{"go invalid utf-8 and lone surrogate", "stdouttrace", stub(`,"Attributes":[{"Key":"gen_ai.operation.name","Value":{"Value":"chat"}},{"Key":"gen_ai.request.model","Value":{"Value":"g` + "\xff" + `\ud800"}},` + strings.TrimPrefix(goAttrs, `{"Key":"gen_ai.operation.name","Value":{"Type":"STRING","Value":"chat"}},{"Key":"gen_ai.request.model","Value":{"Type":"STRING","Value":"gpt-4o"}},`) + `]`), `llm 5 2 g` + "\uFFFD" + `\ud800 svc`},
		// null is missing (a note's detail is the span's name).
		{"go null objects", "stdouttrace", `{"Name":null,` + goIDs + `,"Resource":null,"Status":null,"InstrumentationScope":null,"Attributes":[null,` + goAttrs + `,{"Key":"x","Value":null}]}`, "llm 5 2 gpt-4o "},
		{"go null context", "stdouttrace", `{"Name":"x","SpanContext":null}`, "missing trace id | x"},
		// A field of the wrong type is malformed, naming the field and
		// the type. Changed: encoding/json's message named Go types ("json:
		// cannot unmarshal number into Go struct field goStub.Name of type
		// string").
		{"go name as number", "stdouttrace", stub(`,"Name":5,"Attributes":[` + goAttrs + `]`), "malformed stdouttrace | Name: number"},
		{"go not an object", "stdouttrace", `null`, "malformed stdouttrace | not a JSON object"},

		{"py plain", "otel-console", py("," + pyAttrs), "llm 5 2 gpt-4o svc"},
		// In the attributes object every member is read in file order, a
		// repeated one too: a count read first keeps its place, as an
		// alias of equal priority does.
		{"py repeated attribute", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o","gen_ai.usage.input_tokens":5,"gen_ai.usage.input_tokens":7,"gen_ai.usage.output_tokens":2}`), "llm 5 2 gpt-4o svc"},
		{"py duplicate attributes", "otel-console", py(`,"attributes":{},` + pyAttrs), "llm 5 2 gpt-4o svc"},
		// (Changed as in Go's: the status was merged, err=boom.)
		{"py duplicate status", "otel-console", py(`,"status":{"description":"boom"},"status":{"status_code":"ERROR"},` + pyAttrs), "llm 5 2 gpt-4o svc err=error"},
		// (Changed as in Go's: keys matched case-insensitively.)
		{"py mis-cased keys", "otel-console", `{"NAME":"chat","Context":{"Trace_Id":"0x0af7651916cd43dd8448eb211c80319c","span_id":"0xb7ad6b7169203331"},"parent_id":null,` + pyRes + `,"Attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2}}`, `malformed console span | key "NAME" is not "name"`},
		// (Changed as in Go's: LLM.USAGE.TOTAL_TOKENS was dropped.)
		{"py mis-cased usage attribute", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2,"gen_ai.usage.Output_Tokens":9,"LLM.USAGE.TOTAL_TOKENS":9}`), "llm 5 2 gpt-4o svc unknown=gen_ai.usage.Output_Tokens,LLM.USAGE.TOTAL_TOKENS"},
		{"py numbers as strings", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":4,"gen_ai.usage.input_tokens":"5","gen_ai.usage.output_tokens":2.0}`), "llm 5 2 4 svc"},
		{"py huge count", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.usage.input_tokens":99999999999999999999,"gen_ai.usage.output_tokens":2}`), "bad token count | gen_ai.usage.input_tokens"},
		// (Changed as in Go's: deep nesting and lone surrogates were read.)
		{"py deep nesting", "otel-console", py(`,"events":` + deep + `,` + pyAttrs), "malformed console span | too big depth: nested more than 300 levels"},
		{"py invalid utf-8 and lone surrogate", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":"g` + "\xff" + `\ud800","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2,"gen_ai.usage.` + "\xff" + `_tokens":1}`), `llm 5 2 g` + "\uFFFD" + `\ud800 svc unknown=gen_ai.usage.` + "\uFFFD" + `_tokens`},
		{"py escapes", "otel-console", py(`,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.\u006dodel":"gpt\n","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2}`), "llm 5 2 gpt\n svc"},
		{"py null objects", "otel-console", `{"name":null,` + pyIDs + `,"resource":null,"status":null,"attributes":{"gen_ai.operation.name":"chat","gen_ai.request.model":null,"gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2}}`, "llm 5 2  "},
		{"py null attributes", "otel-console", py(`,"attributes":null`), "skipped no usage | chat"},
		// (Changed as in Go's: the message named Go types.)
		{"py parent as number", "otel-console", `{"name":"chat","context":{"trace_id":"0x01","span_id":"0x02"},"parent_id":5}`, "malformed console span | parent_id: number"},
		{"py attributes as array", "otel-console", py(`,"attributes":[1]`), "malformed console span | attributes: not a JSON object"},
		{"py resource attributes as string", "otel-console", `{"name":"chat",` + pyIDs + `,"resource":{"attributes":"x"},` + pyAttrs + `}`, "malformed console span | attributes: not a JSON object"},
		{"py not an object", "otel-console", `[{"name":"chat"}]`, "malformed console span | not a JSON object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if g := units(decodeString(t, tc.format, tc.in+"\n")); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}

// TestDumpOddDocuments pins how a broken pretty-printed dump is counted.
func TestDumpOddDocuments(t *testing.T) {
	span := `{"name":"chat","context":{"trace_id":"0x01","span_id":"0x02"},"parent_id":null,"attributes":{"gen_ai.operation.name":"chat","gen_ai.usage.input_tokens":5,"gen_ai.usage.output_tokens":2}}`
	pretty := "{\n    " + span[1:]
	for _, tc := range []struct{ name, in, want string }{
		{"two spans", pretty + "\n" + strings.Replace(pretty, "0x02", "0x03", 1), "llm 5 2  ; llm 5 2  "},
		// A log line between spans ends the input: one invalid unit.
		{"log line between spans", pretty + "\nINFO done\n" + pretty, "llm 5 2  ; malformed json | invalid character 'I' looking for beginning of value"},
		{"truncated last span", pretty + "\n" + pretty[:50], "llm 5 2  ; malformed json | unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if g := units(decodeString(t, "otel-console", tc.in)); g != tc.want {
				t.Errorf("got  %q\nwant %q", g, tc.want)
			}
		})
	}
}
