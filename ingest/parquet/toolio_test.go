package parquet

import (
	"strings"
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

// TestToolIOColumns: the columns Writer adds (tool_args_hash …) are read
// back as the record's fields, from a signed int64 column too (a tool with
// no unsigned type writes the same 64 bits); a text tool_args column of
// the same row wins over the hash; a negative size is ignored; a label is
// sanitised (the tab becomes a space); a column of the wrong type stops
// the file.
func TestToolIOColumns(t *testing.T) {
	schema := fields(fld("session_id", str), fld("tool", str), fld("tool_args_hash", i64), fld("tool_result_hash", i64),
		fld("tool_args_label", str), fld("tool_result_bytes", i64), fld("tool_args", str))
	// -2 as int64 is 0xFFFFFFFFFFFFFFFE as uint64 (two's complement).
	rows := `[{"session_id":"s","tool":"t","tool_args_hash":-2,"tool_result_hash":5,"tool_args_label":"a\tb","tool_result_bytes":7},
	          {"session_id":"s","tool":"t","tool_args_hash":9,"tool_result_bytes":-1,"tool_args":"x"}]`
	path := saveFixture(t, "toolio.parquet", writeFixture(t, schema, rows, compress.Codecs.Snappy, 100))
	recs, notes, _ := readFixture(t, path)
	if len(recs) != 2 || len(notes) != 0 {
		t.Fatalf("%d records, notes %+v", len(recs), notes)
	}
	a, b := recs[0], recs[1]
	if a.ToolArgsHash != 0xFFFFFFFFFFFFFFFE || a.ToolResultHash != 5 || a.ToolArgsLabel != "a b" || a.ToolResultBytes != 7 {
		t.Errorf("row 1: %+v", a)
	}
	// "x" is not JSON: hashed as text, labelled by itself.
	if b.ToolArgsHash != toolhash.Text("x") || b.ToolArgsLabel != "x" || b.ToolResultHash != 0 || b.ToolResultBytes != 0 {
		t.Errorf("row 2: %+v", b)
	}

	bad := saveFixture(t, "toolio_bad.parquet", writeFixture(t, fields(fld("session_id", str), fld("tool_args_hash", str)),
		`[{"session_id":"s","tool_args_hash":"1"}]`, compress.Codecs.Snappy, 100))
	if err := readErr(bad); err == nil || !strings.Contains(err.Error(), `column "tool_args_hash" has type string`) {
		t.Errorf("string hash column: %v", err)
	}
}
