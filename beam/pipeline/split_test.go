package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// readAs runs the split and read steps on one file, outside a pipeline,
// with ranges of size bytes (0: whole), and returns the records in the
// order the session step sorts them, and the file's joined account.
func readAs(t *testing.T, path string, size int64) ([]ingest.Record, fileAccount, int) {
	t.Helper()
	var tasks []readTask
	if err := (&splitFn{SplitBytes: size}).ProcessElement(fileTask{Path: path, Index: 3}, func(r readTask) { tasks = append(tasks, r) }); err != nil {
		t.Fatal(err)
	}
	var recs []ingest.Record
	var accs []fileAccount
	for _, task := range tasks {
		err := (&readFn{}).ProcessElement(context.Background(), task,
			func(sid string, b []byte) {
				var r ingest.Record
				f, err := decodeRecord(b, &r)
				if err != nil || f != 3 {
					t.Fatalf("decode: file %d, %v", f, err)
				}
				r.SessionID = sid
				recs = append(recs, r)
			},
			func(b []byte) {
				var a fileAccount
				if err := json.Unmarshal(b, &a); err != nil {
					t.Fatal(err)
				}
				accs = append(accs, a)
			})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.SortStableFunc(recs, func(x, y ingest.Record) int { return cmp.Or(cmp.Compare(x.Line, y.Line), cmp.Compare(x.Sub, y.Sub)) })
	joined := joinRanges(accs)
	if len(joined) != 1 {
		t.Fatalf("%d accounts after joining, want 1", len(joined))
	}
	slices.SortFunc(joined[0].Notes, func(x, y noteCount) int {
		return cmp.Or(cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Reason, y.Reason), cmp.Compare(fmt.Sprint(x.SameUnit), fmt.Sprint(y.SameUnit)))
	})
	// Notes of the same kind from several ranges: add them up.
	var notes []noteCount
	for _, n := range joined[0].Notes {
		if k := len(notes) - 1; k >= 0 && notes[k].Kind == n.Kind && notes[k].Reason == n.Reason && notes[k].SameUnit == n.SameUnit {
			notes[k].N += n.N
			continue
		}
		notes = append(notes, n)
	}
	joined[0].Notes = notes
	return recs, joined[0], len(tasks)
}

// TestRangesReadEachLineOnce: a JSONL file read in ranges of every size
// from 1 byte to past its length gives the records, in the same order,
// and the accounting (lines, blank and invalid lines by reason, the
// invalid lines' numbers) of reading it whole. The file has what a range
// edge could break: lines longer and shorter than a range, blank lines, a
// CRLF line, invalid lines, lines mid-file opening with a byte-order
// mark, with gzip's magic bytes and as a tokcost report does (an input's
// start would be taken for those), and a last line without a newline.
func TestRangesReadEachLineOnce(t *testing.T) {
	lines := []string{
		call("s1", 1), call("s2", 1), "", call("s1", 2) + "\r", "{not json",
		"\xef\xbb\xbf" + call("s3", 1), "\x1f\x8b\x08 gzip magic", "   ", call("s2", 2), call("s1", 3),
		`{"kind":"llm","model":"gpt-4o-mini"}`, call("s3", 2), call("s1", 4),
		// A record mid-file, but as an input's first line it makes the CLI
		// skip the input as a report tokcost wrote.
		`{"schema_version":1,"note":"tokcost","id":"c99","session_id":"s4","ts":"2026-01-05T10:30:00Z","kind":"llm","model":"gpt-4o-mini","input_tokens":5,"output_tokens":1}`,
	}
	text := strings.Join(lines, "\n") // no newline after the last line
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	want, wantAcc, n := readAs(t, path, 0)
	if n != 1 {
		t.Fatalf("read whole in %d tasks", n)
	}
	// Independent of the code: 14 lines; 9 calls with a session (lines 1,
	// 2, 4, 6, 9, 10, 12, 13, 14), of which the BOM one is invalid mid-file
	// (only an input's first bytes may be a BOM): 8 records.
	if len(want) != 8 || wantAcc.Lines != 14 {
		t.Fatalf("whole file: %d records, %d lines; want 8 and 14", len(want), wantAcc.Lines)
	}
	var invalidLines []int64
	for _, e := range wantAcc.Examples {
		invalidLines = append(invalidLines, e.Line)
	}
	// "{not json" is line 5, the BOM line 6, the gzip line 7, the call
	// without a session line 11.
	if !slices.Equal(invalidLines, []int64{5, 6, 7, 11}) {
		t.Fatalf("whole file: invalid lines %v, want [5 6 7 11]", invalidLines)
	}
	// Sizes 1 (every byte starts a range), a few small ones, then every
	// 17th size to past the file's length: each range edge falls
	// somewhere else in the lines.
	sizes := []int64{1, 2, 3, 5, 8}
	for size := int64(13); size <= int64(len(text))+1; size += 17 {
		sizes = append(sizes, size)
	}
	for _, size := range sizes {
		got, acc, n := readAs(t, path, size)
		if size < int64(len(text)) && n != (len(text)+int(size)-1)/int(size) {
			t.Fatalf("size %d: %d ranges, want %d", size, n, (len(text)+int(size)-1)/int(size))
		}
		if len(got) != len(want) {
			t.Fatalf("size %d: %d records, want %d", size, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			g.Line, w.Line = 0, 0 // a range's records are numbered for order, not as lines
			if !reflect.DeepEqual(g, w) {
				t.Fatalf("size %d: record %d\n got %+v\nwant %+v", size, i, g, w)
			}
		}
		acc.Part, wantAcc.Part = 0, 0
		if !reflect.DeepEqual(acc, wantAcc) {
			t.Fatalf("size %d: account\n got %+v\nwant %+v", size, acc, wantAcc)
		}
	}
}

// TestSplitOnlyCanonicalJSONL: compressed files, other formats and files
// under the range size are read whole.
func TestSplitOnlyCanonicalJSONL(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat(call("s", 1)+"\n", 20)
	cases := map[string]struct {
		data  string
		parts bool
	}{
		"a.jsonl": {big, true},
		"b.jsonl": {call("s", 1) + "\n", false}, // under the range size
		"c.gz":    {"\x1f\x8b\x08\x00" + big, false},
		// A tokcost JSON report is skipped by the CLI, never read as lines.
		"d.jsonl": {`{"schema_version":1,"tool":{"name":"tokcost"}}` + "\n" + big, false},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(c.data), 0o644); err != nil {
			t.Fatal(err)
		}
		var tasks []readTask
		if err := (&splitFn{SplitBytes: 300}).ProcessElement(fileTask{Path: p}, func(r readTask) { tasks = append(tasks, r) }); err != nil {
			t.Fatal(err)
		}
		if split := len(tasks) > 1; split != c.parts {
			t.Errorf("%s: %d tasks, split %v, want %v", name, len(tasks), split, c.parts)
		}
	}
}
