package analyze

import (
	"fmt"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestExamplesInInputOrder: the invalid lines shown are the first ten in
// input order — by input index (not name), line, then the order one sink
// saw a line's notes in — whichever sink reported first.
func TestExamplesInInputOrder(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		col := NewCollector()
		// Input 0 is named "z.jsonl", input 1 "a.jsonl": order is by index.
		// The sinks are made (and fed) in either order.
		var z, a ingest.Sink
		if reverse {
			a = col.Factory(1)()
			z = col.Factory(0)()
		} else {
			z = col.Factory(0)()
			a = col.Factory(1)()
		}
		note := func(s ingest.Sink, file string, line int64, reason string) {
			s.Note(ingest.Note{Kind: ingest.NoteInvalid, File: file, Line: line, Reason: reason})
		}
		feedA := func() {
			for l := int64(1); l <= 5; l++ {
				note(a, "a.jsonl", l, "a")
			}
		}
		feedZ := func() {
			note(z, "z.jsonl", 9, "z9-first")
			note(z, "z.jsonl", 9, "z9-second")
			for l := int64(10); l <= 15; l++ {
				note(z, "z.jsonl", l, "z")
			}
		}
		if reverse {
			feedA()
			feedZ()
		} else {
			feedZ()
			feedA()
		}
		d := col.Finish(Config{Prices: pricing.Embedded()})
		// Expected by hand: z's eight notes (line 9 twice, in the order
		// given, then lines 10-15), then a's lines 1 and 2: ten in all.
		want := []string{"z.jsonl:9:z9-first", "z.jsonl:9:z9-second", "z.jsonl:10:z", "z.jsonl:11:z", "z.jsonl:12:z",
			"z.jsonl:13:z", "z.jsonl:14:z", "z.jsonl:15:z", "a.jsonl:1:a", "a.jsonl:2:a"}
		if len(d.Examples) != len(want) {
			t.Fatalf("reverse=%v: %d examples, want %d", reverse, len(d.Examples), len(want))
		}
		for i, n := range d.Examples {
			if got := fmt.Sprintf("%s:%d:%s", n.File, n.Line, n.Reason); got != want[i] {
				t.Errorf("reverse=%v: example %d is %s, want %s", reverse, i, got, want[i])
			}
		}
	}
}

// TestWorkflowFirstInInputOrder: a session's workflow is the one its first
// record in input order names, even when one sink receives the records out
// of that order (the span readers emit a trace at a time, in trace id
// order), so analysing the input and analysing its conversion agree.
func TestWorkflowFirstInInputOrder(t *testing.T) {
	col := NewCollector()
	sink := col.Factory(0)()
	for _, r := range []ingest.Record{
		{SessionID: "S", Kind: ingest.KindTool, Tool: "x", Workflow: "late", File: "in", Line: 2},
		{SessionID: "S", Kind: ingest.KindTool, Tool: "x", Workflow: "early", File: "in", Line: 1, Sub: 3},
		{SessionID: "S", Kind: ingest.KindTool, Tool: "x", Workflow: "later", File: "in", Line: 1, Sub: 4},
	} {
		sink.Record(&r)
	}
	d := col.Finish(Config{Prices: pricing.Embedded()})
	if len(d.Sessions) != 1 || d.Sessions[0].Workflow != "early" {
		t.Fatalf("sessions %d, workflow %q, want early (line 1, record 3)", len(d.Sessions), d.Sessions[0].Workflow)
	}
}
