package analyze

import (
	"reflect"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestNotesCountedForKeptCopies: what a reader noted of a record (a time
// read as UTC, an unreadable time, text with no output tokens, output
// recovered from a total, unknown usage names) is counted for the copy of
// an event id the analysis keeps, however the copies reached the store:
// in one sink (the repeat dropped on arrival), in two sinks of one input
// (two decoding goroutines) or of two inputs (the repeat stored, then
// dropped by Finish), and whichever copy the replica rule keeps.
//
// Session s: X (id x, every note: 7 output tokens from a total, names
// foo_tokens and bar_tokens) on line 1, Y (id y, no note) on line 2, a
// copy of X on line 3. By hand, when the kept copy of x has the notes:
// records 2, duplicates 1, and one each of ts_assumed_utc, ts_unreadable,
// zero_output_calls and calls_tokens_from_totals, tokens_from_totals 7,
// foo_tokens 1 and bar_tokens 1. When the kept copy is the one without
// notes, none of them.
func TestNotesCountedForKeptCopies(t *testing.T) {
	noted := func(r *ingest.Record) {
		r.TSAssumedUTC, r.TSUnreadable, r.ZeroOutputText = true, true, true
		r.TokensFromTotal, r.UnknownUsage = 7, "bar_tokens,foo_tokens"
	}
	rec := func(id string, line int64, f func(*ingest.Record)) ingest.Record {
		r := ingest.Record{SessionID: "s", ID: id, Line: line, Kind: ingest.KindLLM, Model: "gpt-4o", InputTokens: 10, OutputTokens: 10}
		if f != nil {
			f(&r)
		}
		return r
	}
	replica := func(r *ingest.Record) { r.Replica = true }
	notedReplica := func(r *ingest.Record) { noted(r); r.Replica = true }
	want := InputCounts{Records: 2, Duplicates: 1, TSAssumedUTC: 1, TSUnreadable: 1, ZeroOutputCalls: 1, CallsFromTotals: 1,
		TokensFromTotals: 7, UnknownUsageFields: map[string]int64{"foo_tokens": 1, "bar_tokens": 1}}
	none := InputCounts{Records: 2, Duplicates: 1}
	type fed struct {
		sink int // which of the collector's sinks
		file int // the input it reads
		r    ingest.Record
	}
	for _, c := range []struct {
		name string
		recs []fed
		want InputCounts
	}{
		{"one sink", []fed{{0, 0, rec("x", 1, noted)}, {0, 0, rec("y", 2, nil)}, {0, 0, rec("x", 3, noted)}}, want},
		{"two sinks of one input", []fed{{0, 0, rec("x", 1, noted)}, {0, 0, rec("y", 2, nil)}, {1, 0, rec("x", 3, noted)}}, want},
		{"two inputs", []fed{{0, 0, rec("x", 1, noted)}, {0, 0, rec("y", 2, nil)}, {1, 1, rec("x", 1, noted)}}, want},
		// The copy arrives first at its sink: input order still keeps
		// line 1's.
		{"copy stored first", []fed{{1, 0, rec("x", 3, noted)}, {0, 0, rec("x", 1, noted)}, {0, 0, rec("y", 2, nil)}}, want},
		// Only the dropped copy has the notes: none counted.
		{"notes on the dropped copy", []fed{{0, 0, rec("x", 1, nil)}, {0, 0, rec("y", 2, nil)}, {1, 0, rec("x", 3, noted)}}, none},
		{"notes on the dropped copy, one sink", []fed{{0, 0, rec("x", 1, nil)}, {0, 0, rec("y", 2, nil)}, {0, 0, rec("x", 3, noted)}}, none},
		// A non-replica beats a replica whatever their order
		// (dedupeReplicas): the notes of the copy kept count.
		{"replica first with notes", []fed{{0, 0, rec("x", 1, notedReplica)}, {0, 0, rec("y", 2, nil)}, {1, 0, rec("x", 3, nil)}}, none},
		{"replica later without notes", []fed{{0, 0, rec("x", 1, noted)}, {0, 0, rec("y", 2, nil)}, {1, 0, rec("x", 3, replica)}}, want},
		{"replica first without notes", []fed{{0, 0, rec("x", 1, replica)}, {0, 0, rec("y", 2, nil)}, {0, 0, rec("x", 3, noted)}}, want},
	} {
		col := NewCollector()
		var sinks [2]ingest.Sink
		for _, f := range c.recs {
			if sinks[f.sink] == nil {
				sinks[f.sink] = col.Factory(f.file)()
			}
			r := f.r
			sinks[f.sink].Record(&r)
		}
		got := col.Finish(Config{Prices: pricing.Embedded()}).Counts
		w := c.want
		// Lines and units are the readers' business (no Lines here); a
		// record is the first of its unit, so each is a line with records.
		w.LinesWithRecords = w.Records
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", c.name, got, w)
		}
	}
}
