package main

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/tokcost/tokcost/ingest"
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
