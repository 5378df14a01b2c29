package ingest

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// TestCanonicalToolFields: the JSONL reader fills the hashes from
// tool_args and tool_result, on its fast path (strings) and its general
// path (objects) alike.
func TestCanonicalToolFields(t *testing.T) {
	c := decodeString(t, strings.Join([]string{
		`{"session_id":"s","tool":"read_file","tool_args":"src/app.py","tool_result":"2140 bytes"}`,
		`{"session_id":"s","tool":"read_file","tool_args":{"path":"src/app.py"},"tool_result":"2140 bytes"}`,
		`{"session_id":"s","tool":"read_file","tool_args":{ "path" : "src/app.py" },"tool_result":"2140 bytes"}`,
	}, "\n")+"\n")
	if len(c.recs) != 3 {
		t.Fatalf("%d records", len(c.recs))
	}
	a, b, d := c.recs[0], c.recs[1], c.recs[2]
	if a.ToolArgsHash != toolhash.Text("src/app.py") || a.ToolArgsLabel != "src/app.py" || a.ToolResultHash != toolhash.Text("2140 bytes") || a.ToolResultBytes != 10 {
		t.Errorf("string args: %+v", a)
	}
	if b.ToolArgsHash == a.ToolArgsHash || b.ToolArgsHash != d.ToolArgsHash || b.ToolArgsLabel != "src/app.py" || b.ToolResultHash != a.ToolResultHash {
		t.Errorf("object args: %+v vs %+v", b, d)
	}
}
