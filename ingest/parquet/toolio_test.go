package parquet

import (
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// TestToolArgsColumns: string columns tool_args and tool_result (JSON or
// plain text) fill the records' hashes as the JSONL reader would: the two
// rows' arguments differ only in key order and spacing.
func TestToolArgsColumns(t *testing.T) {
	schema := fields(fld("session_id", str), fld("tool", str), fld("tool_args", str), fld("tool_result", str))
	rows := `[{"session_id":"s","tool":"read_file","tool_args":"{\"path\":\"a.py\",\"n\":1}","tool_result":"abc"},
	          {"session_id":"s","tool":"read_file","tool_args":"{ \"n\": 1, \"path\": \"a.py\" }","tool_result":"abc"}]`
	path := saveFixture(t, "tools.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100))
	recs, notes, _ := readFixture(t, path)
	if len(recs) != 2 || len(notes) != 0 {
		t.Fatalf("%d records, notes %+v", len(recs), notes)
	}
	a, b := recs[0], recs[1]
	// "abc" is not JSON: hashed as text, 3 bytes.
	if a.ToolArgsHash == 0 || a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsLabel != "a.py" ||
		a.ToolResultHash != toolhash.Text("abc") || a.ToolResultBytes != 3 {
		t.Errorf("%+v\n%+v", a, b)
	}
}
