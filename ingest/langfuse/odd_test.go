package langfuse

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestOddInputs pins what the reader makes of JSON Langfuse does not write
// but a damaged or hand-edited export may hold, so that the JSON decoder
// under the reader can change without changing it. Each want is the rule
// stated beside it (docs/formats/langfuse.md, "Odd JSON"): per unit, a
// record "llm id in out model session [zero-output] [unknown usage]" or a
// note "kind reason | detail".
func TestOddInputs(t *testing.T) {
	obs := func(extra string) string {
		return `{"id":"g","trace_id":"t","type":"GENERATION","provided_model_name":"m"` + extra + `}`
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct{ name, in, want string }{
		{"plain", obs(`,"usage_details":{"input":5,"output":2}`), "llm g 5 2 m t"},
		// A repeated key: the last one counts, in the observation and in usage.
		{"duplicate keys", obs(`,"provided_model_name":"b","usage_details":{"input":5,"input":7,"output":2}`), "llm g 7 2 b t"},
		// Usage keys match exactly: "Input" is an unknown key, counted as such.
		{"mis-cased usage key", obs(`,"usage_details":{"Input":5,"output":2}`), "llm g 0 2 m t unknown=Input"},
		// Beside the key it mis-cases, and with a token key Langfuse does not
		// write: in 5 (no total, so the disjoint form: nothing to add), out 2;
		// both named, sorted as bytes ('I' before 'c').
		{"mis-cased and unknown usage keys", obs(`,"usage_details":{"Input":5,"input":5,"output":2,"cachedTokens":3}`), "llm g 5 2 m t unknown=Input,cachedTokens"},
		// Observation keys match exactly too. Changed: earlier builds
		// matched them case-insensitively (a call g of model x; a trace).
		{"mis-cased key", `{"ID":"g","trace_id":"t","type":"GENERATION","Provided_Model_Name":"x","Usage_Details":{"input":1,"output":1}}`, "invalid missing id | "},
		{"mis-cased trace key", `{"Trace":{"id":"t"},"observations":[{"id":"g","type":"GENERATION","model":"m","usageDetails":{"input":1,"output":1}}]}`, "invalid missing id | "},
		// A count may be a number or a string holding an integer; anything
		// else is passed over.
		{"counts as strings and 5.0", obs(`,"usage_details":{"input":"5","output":2.0}`), "llm g 5 2 m t"},
		{"count 1e400", obs(`,"usage_details":{"input":1e400,"output":2}`), "llm g 0 2 m t"},
		// A field of the wrong type: the observation (or document) is
		// malformed, naming the field and the value's type. Changed:
		// earlier builds gave encoding/json's message, naming Go types.
		{"name as number", obs(`,"name":5`), "invalid malformed observation | name: number"},
		{"usage as array", obs(`,"usage_details":[1]`), "invalid malformed observation | usage_details: array"},
		{"trace as number", `{"trace":5,"observations":[]}`, "invalid malformed langfuse | trace: number"},
		{"not an object", `[1]`, "invalid malformed langfuse | not a json object"},
		{"observation not an object", `{"trace":{"id":"t"},"observations":[5]}`, "invalid malformed observation | not a json object"},
		// Fields no rule reads as typed may hold anything.
		{"times and metadata of any type", obs(`,"start_time":{"x":1},"metadata":[1],"output":5,"usage_details":{"input":1,"output":1}`), "llm g 1 1 m t"},
		// null is missing: usageDetails null falls back to usage_details.
		{"null usage", obs(`,"usageDetails":null,"usage_details":{"input":1,"output":3}`), "llm g 1 3 m t"},
		{"null name", obs(`,"name":null,"usage_details":{"input":1,"output":1}`), "llm g 1 1 m t"},
		// data null: the document is one observation.
		{"null data", `{"data":null,"id":"g","trace_id":"t","type":"GENERATION","model":"m","usageDetails":{"input":2,"output":2}}`, "llm g 2 2 m t"},
		// Metadata as a JSON string holding OTel attributes: the session.
		{"metadata string", obs(`,"metadata":"{\"attributes\":{\"session.id\":\"S\"}}","usage_details":{"input":1,"output":1}`), "llm g 1 1 m S"},
		// Output: absent, null, "", an empty object or array is none.
		// Changed: earlier builds took a spaced "{ }" for output.
		{"empty output", obs(`,"usage_details":{"input":1,"output":0},"output":{}`), "llm g 1 0 m t"},
		{"spaced empty output", obs(`,"usage_details":{"input":1,"output":0},"output":{ }`), "llm g 1 0 m t"},
		// Nesting deeper than 300 levels is malformed, even where nothing
		// is read. Changed: earlier builds read it.
		{"deep nesting", obs(`,"input":` + deep + `,"usage_details":{"input":1,"output":1}`), "invalid malformed langfuse | too big depth: nested more than 300 levels"},
		// Strings: invalid UTF-8 becomes U+FFFD; a lone surrogate escape
		// stays as its six characters. Changed: earlier builds made it U+FFFD.
		{"invalid utf-8", obs(",\"provided_model_name\":\"a\xffb\",\"usage_details\":{\"input\":1,\"output\":1}"), "llm g 1 1 a\uFFFDb t"},
		{"lone surrogate", obs(`,"provided_model_name":"a\ud800b","usage_details":{"input":1,"output":1}`), "llm g 1 1 a\\ud800b t"},
		// Null OTel attributes in metadata are none; the resource
		// attributes beside them still name the session. Fixed: earlier
		// builds panicked (assignment to a nil map).
		{"null attributes", obs(`,"metadata":{"attributes":null,"resourceAttributes":{"session.id":"R"}},"usage_details":{"input":1,"output":1}`), "llm g 1 1 m R"},
		// Not RFC 8259: the value splitter (jsonutil.EachValue) rejects it.
		{"leading zero", obs(`,"usage_details":{"input":01}`), "invalid malformed json | "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := decode(t, &ingest.Source{Name: "f.jsonl", R: bufio.NewReader(bytes.NewBufferString(tc.in))})
			if got := summary(s); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func summary(s *collectSink) string {
	var got []string
	for _, r := range s.recs {
		g := fmt.Sprintf("llm %s %d %d %s %s", r.ID, r.InputTokens, r.OutputTokens, r.Model, r.SessionID)
		if r.ZeroOutputText {
			g += " zero-output"
		}
		if r.UnknownUsage != "" {
			g += " unknown=" + r.UnknownUsage
		}
		got = append(got, g)
	}
	for _, n := range s.notes {
		k := map[ingest.NoteKind]string{ingest.NoteInvalid: "invalid", ingest.NoteSkipped: "skipped", ingest.NoteDuplicate: "duplicate"}[n.Kind]
		got = append(got, fmt.Sprintf("%s %s | %s", k, n.Reason, n.Detail))
	}
	return strings.Join(got, "; ")
}
