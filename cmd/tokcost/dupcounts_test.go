package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestDuplicateCountsIndependentOfFiles: the same three records (X, X
// again with the same id, Y) give the same input counts whether they are
// one file or X, Y in one file and the copy of X in another. By hand: X
// has an unknown usage key foo_tokens and a timestamp without a zone, Y
// neither; one copy of X is a duplicate (duplicates 1 in both runs), so
// X is one record: unknown_usage_fields {foo_tokens: 1}, ts_assumed_utc 1,
// as ts_unreadable counts "the copy kept" (docs/json.md).
//
// KNOWN DEFECT, not fixed (review rev9): the store counts these when a
// record is stored, and drops a repeat it can see (same shard, in order)
// before counting, but a copy in another file reaches Finish and is
// counted: the two-file run says foo_tokens 2, ts_assumed_utc 2. Run with
// TOKCOST_KNOWN_DEFECTS=1 to see it fail.
func TestDuplicateCountsIndependentOfFiles(t *testing.T) {
	if os.Getenv("TOKCOST_KNOWN_DEFECTS") == "" {
		t.Skip("known defect (duplicates counted by file split); set TOKCOST_KNOWN_DEFECTS=1")
	}
	x := `{"session_id":"s","id":"e1","model":"gpt-4o","ts":"2026-01-01T00:00:00","usage":{"prompt_tokens":10,"completion_tokens":1,"foo_tokens":3}}`
	y := `{"session_id":"s","id":"e2","model":"gpt-4o","ts":"2026-01-01T00:00:01Z","usage":{"prompt_tokens":10,"completion_tokens":1}}`
	type counts struct {
		Duplicates   int64            `json:"duplicates"`
		TSAssumedUTC int64            `json:"ts_assumed_utc"`
		Unknown      map[string]int64 `json:"unknown_usage_fields"`
	}
	want := counts{Duplicates: 1, TSAssumedUTC: 1, Unknown: map[string]int64{"foo_tokens": 1}}
	for name, files := range map[string][]string{
		"one file":  {x + "\n" + x + "\n" + y + "\n"},
		"two files": {x + "\n" + y + "\n", x + "\n"},
	} {
		dir := t.TempDir()
		for i, f := range files {
			if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".jsonl"), []byte(f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errOut := run(t, "analyze", "--format", "json", "-q", dir)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errOut)
		}
		var rep struct {
			Input counts `json:"input"`
		}
		if err := json.NewDecoder(strings.NewReader(out)).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rep.Input, want) {
			t.Errorf("%s: %+v, want %+v", name, rep.Input, want)
		}
	}
}
