package analyze

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRepeatsCostNothing: a bomb of one valid record repeated (issue 13:
// 960 KB of zstd held 10 GB of copies and reached 12.8 GB resident)
// stores the first copy only. 2,000,000 copies cost ~23 bytes each in the
// store before (46 MB); now the store holds 3 records and a set of 3.
func TestRepeatsCostNothing(t *testing.T) {
	const copies = 2_000_000
	c := NewCollector()
	sink := c.Factory(0)()
	var ms0, ms1 runtime.MemStats
	// One record reused, as the readers do: the sink is an interface whose
	// type the compiler cannot see through (the collector's store.Store),
	// so a record made per copy would be a heap allocation of the test's.
	var r ingest.Record
	runtime.ReadMemStats(&ms0)
	for i := range copies {
		// Lines 1..copies: line 1 is e1, line 2 e2 (another session),
		// every later line repeats e1 or e2; line 3 is e3 with another
		// output, which is not a repeat.
		r = ingest.Record{ID: "e1", SessionID: "s", Kind: ingest.KindLLM, Model: "gpt-4o", InputTokens: 100, OutputTokens: 10, Line: int64(i + 1)}
		switch {
		case i == 1:
			r.ID, r.SessionID = "e2", "t"
		case i == 2:
			r.ID, r.OutputTokens = "e3", 11
		case i%2 == 1:
			r.ID, r.SessionID = "e2", "t"
		}
		sink.Record(&r)
	}
	sink.Lines(copies)
	runtime.ReadMemStats(&ms1)
	if grew := ms1.TotalAlloc - ms0.TotalAlloc; grew > 1<<20 {
		t.Errorf("storing %d copies allocated %d KiB, want under 1 MiB", copies, grew>>10)
	}
	d := c.Finish(Config{})
	// 3 distinct events (e1, e2, e3); the other copies are duplicates,
	// each the first record of its line: lines = 3 + (copies-3).
	if d.Counts.Records != 3 || d.Counts.LinesWithRecords != 3 || d.Counts.Duplicates != copies-3 || len(d.Sessions) != 2 {
		t.Fatalf("counts %+v, %d sessions", d.Counts, len(d.Sessions))
	}
	for _, s := range d.Sessions {
		want := map[string]int{"s": 2, "t": 1}[s.ID]
		if len(s.Events) != want {
			t.Errorf("session %s: %d events, want %d", s.ID, len(s.Events), want)
		}
	}
}

// BenchmarkRepeatedRecord is the per-copy cost of a repeated record.
func BenchmarkRepeatedRecord(b *testing.B) {
	c := NewCollector()
	sink := c.Factory(0)()
	b.ReportAllocs()
	i := 0
	var r ingest.Record // reused, as the readers do (see TestRepeatsCostNothing)
	for b.Loop() {
		i++
		r = ingest.Record{ID: "e" + strconv.Itoa(i%2), SessionID: "s", Kind: ingest.KindLLM, Model: "gpt-4o", InputTokens: 100, OutputTokens: 10, Line: int64(i)}
		sink.Record(&r)
	}
}
