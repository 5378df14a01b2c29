package store

import (
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRepeatSetBounded feeds one shard 1,000 distinct events and then a
// copy of each, with a repeat set of 64 ids a generation: the set must
// stay at two generations' tables (without the bound it holds every id:
// 2,048 slots), a copy far from its first (outside the window) is stored
// for Finish to drop, and a copy right after its first is still dropped on
// arrival. Whichever does it, each session's stored events plus the
// repeats dropped on arrival add up to what was fed, and its distinct ids
// to the distinct events.
func TestRepeatSetBounded(t *testing.T) {
	old := repeatGeneration
	repeatGeneration = 64
	defer func() { repeatGeneration = old }()

	m := NewMemory()
	sink := m.Sink(0)
	line := int64(0)
	feed := func(session, id string) {
		line++
		sink.Record(&ingest.Record{SessionID: session, ID: id, Kind: ingest.KindLLM, Line: line, InputTokens: 10, OutputTokens: 1})
	}
	// "far": 1,000 events, then the 1,000 again in the same order; each
	// copy comes 1,000 records after its first, past two generations of 64.
	for pass := 0; pass < 2; pass++ {
		for i := range 1000 {
			feed("far", "e"+strconv.Itoa(i))
		}
	}
	// "near": 100 events, each followed at once by 9 copies: every copy is
	// in the current generation.
	for i := range 100 {
		for range 10 {
			feed("near", "n"+strconv.Itoa(i))
		}
	}
	sh := m.shards[0]
	if n := len(sh.ids.cur.slots) + len(sh.ids.old.slots); n > 4*64 {
		t.Errorf("repeat set holds %d slots, want at most 256 (two generations of 64 ids, half full at most)", n)
	}
	sealed := m.Seal()
	if sealed.Counts.Duplicates != 900 { // 100 near ids × 9 copies; the far copies are Finish's to count
		t.Errorf("duplicates dropped on arrival %d, want 900", sealed.Counts.Duplicates)
	}
	got := map[string][2]int{} // session → stored events, repeats
	distinct := map[string]int{}
	sc := &Scratch{}
	for p := range m.Partitions() {
		for _, s := range mustPartition(t, m, p, sc) {
			seen := map[uint64]bool{}
			for _, k := range s.Keys {
				seen[k.IDHash] = true
			}
			got[s.ID] = [2]int{len(s.Events), s.Repeats}
			distinct[s.ID] = len(seen)
		}
	}
	// far: 2,000 fed, none caught (each copy is 1,000 ids back), 1,000 distinct.
	// near: 1,000 fed, 900 caught, 100 stored, 100 distinct.
	if got["far"] != [2]int{2000, 0} || distinct["far"] != 1000 {
		t.Errorf("far: stored, repeats %v, distinct %d; want [2000 0], 1000", got["far"], distinct["far"])
	}
	if got["near"] != [2]int{100, 900} || distinct["near"] != 100 {
		t.Errorf("near: stored, repeats %v, distinct %d; want [100 900], 100", got["near"], distinct["near"])
	}
}

// TestRepeatSetReusesTable: once two generations have filled, the repeat
// set allocates nothing more, as each new generation takes the table of
// the one it drops. Before, each generation grew a table again from 64
// slots (at 64 ids a generation: a table of 64 and one of 128 slots, two
// allocations a generation; at 2^19, 16 MiB).
func TestRepeatSetReusesTable(t *testing.T) {
	old := repeatGeneration
	repeatGeneration = 64
	defer func() { repeatGeneration = old }()

	s := &shard{}
	h := uint64(0)
	generation := func() {
		for range 64 {
			h++
			if s.seenID(h*0x9E3779B97F4A7C15, false) { // odd: distinct, never 0
				t.Fatal("a distinct id was taken for a repeat")
			}
		}
	}
	generation()
	generation()
	if allocs := testing.AllocsPerRun(10, generation); allocs != 0 {
		t.Errorf("a generation of the repeat set allocated %.1f times; want 0 (the dropped generation's table reused)", allocs)
	}
}

// BenchmarkRepeatSet feeds one shard 2,097,152 distinct ids, four
// generations of the repeat set: what remembering ids costs a shard of a
// large input (a shard of the 1.18 GB bench fleet sees about 2.5 million).
func BenchmarkRepeatSet(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s := &shard{}
		for i := uint64(1); i <= 4<<19; i++ {
			if s.seenID(i*0x9E3779B97F4A7C15, false) { // odd: distinct, never 0
				b.Fatal("a distinct id was taken for a repeat")
			}
		}
	}
}
