package otel

import (
	"fmt"
	"testing"

	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// TestToolArgsAndResult: execute_tool spans carry
// gen_ai.tool.call.arguments and gen_ai.tool.call.result (JSON text in a
// string attribute); the records keep their hashes, the arguments'
// excerpt and the result's size, on the fast decoder and the reference
// alike. The two calls' arguments differ only in key order and spacing.
func TestToolArgsAndResult(t *testing.T) {
	span := func(id, args string) string {
		return fmt.Sprintf(`{"traceId":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","spanId":"%s","name":"execute_tool read_file","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001000000000","attributes":[`+
			`{"key":"gen_ai.operation.name","value":{"stringValue":"execute_tool"}},{"key":"gen_ai.tool.name","value":{"stringValue":"read_file"}},`+
			`{"key":"gen_ai.conversation.id","value":{"stringValue":"c1"}},`+
			`{"key":"gen_ai.tool.call.arguments","value":{"stringValue":%q}},{"key":"gen_ai.tool.call.result","value":{"stringValue":"def main(): pass"}}]}`, id, args)
	}
	line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + span("0000000000000001", `{"path":"src/app.py","limit":5}`) + `,` +
		span("0000000000000002", `{ "limit": 5, "path": "src/app.py" }`) + `]}]}]}` + "\n"
	got, want := decodeBoth(t, []byte(line))
	for name, s := range map[string]*collectSink{"fast": got, "reference": want} {
		if len(s.recs) != 2 {
			t.Fatalf("%s: %d records", name, len(s.recs))
		}
		a, b := s.recs[0], s.recs[1]
		// "def main(): pass" is 16 bytes and not JSON: hashed as text.
		if a.ToolArgsHash == 0 || a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsLabel != "src/app.py" ||
			a.ToolResultHash != toolhash.Text("def main(): pass") || a.ToolResultBytes != 16 || b.ToolResultHash != a.ToolResultHash {
			t.Errorf("%s: %+v\n%+v", name, a, b)
		}
	}
}
