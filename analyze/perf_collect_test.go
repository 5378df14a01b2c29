package analyze

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
)

// TestEventSize guards the per-record memory: every record kept costs one
// Event, so a new field costs its size times the records of a fleet.
// It was 88 bytes with no byte to spare; the service tier (one byte) made
// it 96, which leaves 7 bytes of padding for later billing fields.
func TestEventSize(t *testing.T) {
	// 88, plus 24 for tool arguments and results (loop shapes), plus 8 for
	// the service tier, US-only flag and web-search count (invoice
	// pricing), which no longer fit the padding, plus 16 for the audio and
	// image token counts (multimodal pricing). Events are kept only by
	// whatif and ticket (analyze drops them after Finish).
	if got := unsafe.Sizeof(Event{}); got > 136 {
		t.Fatalf("Event is %d bytes, was 136", got)
	}
}

// TestSessionsExactSize checks the partitioned finish on a fleet decoded
// on every core: each session gets a slice of exactly its records
// (duplicates included before Finish drops them, except repeats the
// shards dropped on arrival, never stored), so an append never
// writes into another session's events, and every record lands in one.
func TestSessionsExactSize(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 3000, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	d := loadString(t, Config{}, b.String())
	var events int64
	for _, s := range d.Sessions {
		if cap(s.Events) != len(s.Events)+s.Duplicates-s.repeats {
			t.Fatalf("session %s: cap %d, want %d events + %d duplicates - %d repeats", s.ID, cap(s.Events), len(s.Events), s.Duplicates, s.repeats)
		}
		events += int64(len(s.Events))
	}
	if events != d.Counts.Records || d.Counts.Records < 100*256 /* the store's partitions */ {
		t.Fatalf("%d events in sessions, %d records (want many per partition)", events, d.Counts.Records)
	}
}

// TestShardsOutOfInputOrder feeds two shards so that the slabs are drained
// out of input order: Finish must still keep the first record of a
// repeated id in input order, and order events by input position.
func TestShardsOutOfInputOrder(t *testing.T) {
	col := NewCollector()
	factory := col.Factory(0)
	a, b := factory(), factory()
	rec := func(line int64, id string, input int64) *ingest.Record {
		return &ingest.Record{SessionID: "s", ID: id, Line: line, Kind: ingest.KindLLM, InputTokens: input}
	}
	// Shard a is drained first, but holds the later lines.
	a.Record(rec(4, "x", 40)) // a repeat of line 1: dropped
	a.Record(rec(5, "", 50))
	b.Record(rec(1, "x", 10))
	b.Record(rec(2, "y", 20))
	b.Record(rec(3, "y", 30)) // a repeat of line 2: dropped
	d := col.Finish(Config{})
	s := d.Sessions[0]
	var got []uint32
	for _, e := range s.Events {
		got = append(got, e.Input)
	}
	// Input order 1..5, lines 3 and 4 dropped as repeats: 10, 20, 50.
	if len(got) != 3 || got[0] != 10 || got[1] != 20 || got[2] != 50 || s.Duplicates != 2 {
		t.Fatalf("events %v, duplicates %d; want [10 20 50], 2", got, s.Duplicates)
	}
}

// TestManyInputsNoTies: records from inputs past the millionth (and lines
// past the 268 millionth, where the old packed key saturated) keep
// distinct input positions, so the first in input order wins whichever
// goroutine asked for its sink first.
func TestManyInputsNoTies(t *testing.T) {
	run := func(reverse bool) (uint32, string) {
		col := NewCollector()
		files := []int{1 << 20, 1<<20 + 1}
		if reverse {
			files[0], files[1] = files[1], files[0]
		}
		for _, f := range files {
			sink := col.Factory(f)()
			// File 1<<20 is first in input order: its copy of "x" (output 10,
			// workflow A) must win.
			out, wf := uint32(20), "B"
			if f == 1<<20 {
				out, wf = 10, "A"
			}
			sink.Record(&ingest.Record{SessionID: "s", ID: "x", Line: 1 << 29, Kind: ingest.KindLLM, OutputTokens: int64(out), Workflow: wf})
		}
		d := col.Finish(Config{})
		s := d.Sessions[0]
		if len(s.Events) != 1 || s.Duplicates != 1 {
			t.Fatalf("%d events, %d duplicates; want 1, 1", len(s.Events), s.Duplicates)
		}
		return s.Events[0].Output, s.Workflow
	}
	for _, reverse := range []bool{false, true} {
		if out, wf := run(reverse); out != 10 || wf != "A" {
			t.Errorf("sinks made in reverse=%v: kept output %d, workflow %q; want 10, A", reverse, out, wf)
		}
	}
}

// TestEmptySessionIDNoPanic: Run validates records before any sink sees
// them, but a Collector fed directly must not crash on a record without
// a session: it becomes a session with the empty id.
func TestEmptySessionIDNoPanic(t *testing.T) {
	col := NewCollector()
	sink := col.Factory(0)()
	sink.Record(&ingest.Record{Line: 1, Kind: ingest.KindLLM, InputTokens: 5})
	sink.Record(&ingest.Record{SessionID: "a", Line: 2, Kind: ingest.KindLLM, InputTokens: 7})
	sink.Record(&ingest.Record{Line: 3, Kind: ingest.KindLLM, InputTokens: 11})
	d := col.Finish(Config{})
	// Sorted by id: "" first, with lines 1 and 3 (5 + 11 input tokens), then "a".
	if len(d.Sessions) != 2 || d.Sessions[0].ID != "" || d.Sessions[0].Tokens.Input != 16 || d.Sessions[1].Tokens.Input != 7 {
		t.Fatalf("sessions %+v", d.Sessions)
	}
}
