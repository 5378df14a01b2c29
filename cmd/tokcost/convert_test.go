package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/cline"
	"github.com/tokcost/tokcost/ingest/opencode"
)

// TestConvertKeepsFirstInvalidInInputOrder: inputs are read side by side,
// so invalid lines arrive in any order; convert shows the first ten in
// input order (file, then line), whatever the order of arrival.
func TestConvertKeepsFirstInvalidInInputOrder(t *testing.T) {
	type pos struct {
		file int
		line int64
	}
	var all []pos
	for f := range 3 {
		for l := int64(1); l <= 8; l++ {
			all = append(all, pos{f, l * 3})
		}
	}
	// The expected ten, derived by sorting all 24 by (file, line): file 0
	// lines 3..24 (eight) and file 1 lines 3 and 6.
	want := []pos{{0, 3}, {0, 6}, {0, 9}, {0, 12}, {0, 15}, {0, 18}, {0, 21}, {0, 24}, {1, 3}, {1, 6}}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		c := &recordCollector{}
		sinks := map[int]*collectSink{}
		for _, p := range all {
			if sinks[p.file] == nil {
				sinks[p.file] = &collectSink{c: c, file: p.file}
			}
			sinks[p.file].Note(ingest.Note{Kind: ingest.NoteInvalid, Line: p.line})
		}
		sort.Slice(c.first, func(i, j int) bool { return c.first[i].before(c.first[j]) })
		if c.invalid != int64(len(all)) || len(c.first) != len(want) {
			t.Fatalf("invalid %d, kept %d", c.invalid, len(c.first))
		}
		for i, pn := range c.first {
			if (pos{pn.file, pn.note.Line}) != want[i] {
				t.Fatalf("kept %d: file %d line %d, want %+v", i, pn.file, pn.note.Line, want[i])
			}
		}
	}
}

// TestConvertOrdersNotesOfOneLine: several invalid records of one line
// (spans of one OTLP document) keep the order their sink saw them in.
func TestConvertOrdersNotesOfOneLine(t *testing.T) {
	c := &recordCollector{}
	s := &collectSink{c: c, file: 0}
	for _, r := range []string{"a", "b", "c"} {
		s.Note(ingest.Note{Kind: ingest.NoteInvalid, Line: 1, Reason: r})
	}
	sort.Slice(c.first, func(i, j int) bool { return c.first[i].before(c.first[j]) })
	var got string
	for _, pn := range c.first {
		got += pn.note.Reason
	}
	if got != "abc" {
		t.Fatalf("notes of one line in order %q, want abc", got)
	}
}

// TestConvertBucketsFailureLeavesNoDirs: a --partition-by run that fails
// while making its buckets removes the bucket directories it made. Nine
// sessions s0..s8 into 3 buckets (FNV-1a of the id modulo 3, computed by
// sessionBucket) fill every bucket; bucket=002 already exists as a regular
// file, so its part cannot be opened and the run fails after bucket=000
// and bucket=001 were made. Before the fix both stayed behind, empty,
// where `tokcost merge` or a glob would take them for buckets.
func TestConvertBucketsFailureLeavesNoDirs(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	var b strings.Builder
	seen := map[int]bool{}
	for i := range 9 {
		id := fmt.Sprintf("s%d", i)
		seen[sessionBucket(id, 3)] = true
		fmt.Fprintf(&b, `{"session_id":%q,"id":"e%d","model":"gpt-4o","input_tokens":10,"output_tokens":1}`+"\n", id, i)
	}
	if len(seen) != 3 {
		t.Fatalf("the sessions fill %d of 3 buckets; pick other ids", len(seen))
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "bucket=002"), []byte("not a directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "convert", "-q", "--partition-by", "session", "--buckets", "3", "-o", out, in)
	if code == 0 {
		t.Fatalf("convert succeeded with bucket=002 a file: %s", errOut)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "bucket=002" {
		t.Errorf("after the failure %s holds %v, want only the file bucket=002", out, names)
	}
}

// TestConvertCountsAssumedBesideOtherNames: a record's UnknownUsage is a
// list; an OpenCode or Cline assumption in it is counted for assumedInput
// (and --strict) whatever other names it carries, and the other names are
// noted once per record. By hand, four records: OpenCode alone (oc 1),
// OpenCode with tokens.foo (oc 2, unknown 1), Cline with foo_tokens
// (assumed 1, unknown 2), bar_tokens alone (unknown 3); names sorted.
func TestConvertCountsAssumedBesideOtherNames(t *testing.T) {
	var c recordCollector
	for _, names := range []string{
		opencode.AssumedField,
		opencode.AssumedField + ",tokens.foo",
		cline.AssumedField + ",foo_tokens",
		"bar_tokens",
	} {
		c.noteUnknown(names)
	}
	if c.ocAssumed != 2 || c.assumed != 1 || c.unknown != 3 || strings.Join(c.unknownNames, ",") != "bar_tokens,foo_tokens,tokens.foo" {
		t.Errorf("opencode %d, cline %d, unknown %d %v; want 2, 1, 3 [bar_tokens foo_tokens tokens.foo]", c.ocAssumed, c.assumed, c.unknown, c.unknownNames)
	}
}
