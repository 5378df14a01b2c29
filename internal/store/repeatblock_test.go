package store

import (
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRepeatedBlockBounded: an input that is a block of B distinct events
// of one session repeated R times stores about B events, not B × R. Such
// an input is a decompression bomb: 20,000 lines repeated 500 times (10 M
// records, 894 MB) are a 102 KB `zstd -19` file, whose window (8 MiB)
// spans the block, unlike gzip's 32 KiB. The analysis decodes a session's
// stored events at once before it drops repeats, so every copy stored
// costs memory no --memory-limit bounds: that file peaked at 2.0 GB of
// RSS under --memory-limit 64MiB when only the small repeat set (two
// generations of 4,096 ids) was there (found by the session 10 review).
//
// By hand, B = 20,000, R = 50, one session: copies are 20,000 records
// apart, past the small set's 8,192, so it drops none. The session's
// first bigSession (4,096) events are stored before it is large; every
// later event goes through the large sessions' set too. Pass 1 stores all
// 20,000 (distinct), events 4,097-20,000 entering that set; pass 2 stores
// again e0-e4095, which were not in it, and drops the rest; passes 3-50
// drop everything. Stored: 20,000 + 4,096 = 24,096 exactly, through
// Record and through RecordBatch (rows in batches of 1,000) alike. With
// the small set alone it is 1,000,000.
func TestRepeatedBlockBounded(t *testing.T) {
	const block, passes = 20000, 50
	want := block + bigSession
	for _, batched := range []bool{false, true} {
		m := NewMemory()
		sink := m.Sink(0)
		var b ingest.Batch
		line := int64(0)
		for range passes {
			for i := range block {
				line++
				if !batched {
					sink.Record(&ingest.Record{SessionID: "one", ID: "e" + strconv.Itoa(i), Kind: ingest.KindLLM,
						Line: line, InputTokens: 100, OutputTokens: 10})
					continue
				}
				if b.N == 0 {
					b.Grow(1000, nil)
					b.File = "f"
				}
				k := b.N
				b.N++
				b.Line[k], b.SessionID[k], b.ID[k], b.Kind[k] = line, "one", "e"+strconv.Itoa(i), ingest.KindLLM
				b.Tokens[0][k], b.Tokens[1][k] = 100, 10
				if b.N == 1000 {
					sink.(ingest.BatchSink).RecordBatch(&b)
					b.N = 0
				}
			}
		}
		m.Seal()
		sc := &Scratch{}
		events := 0
		for p := range m.Partitions() {
			for _, s := range mustPartition(t, m, p, sc) {
				events += len(s.Events)
			}
		}
		if events != want {
			t.Errorf("batched %v: %d events stored of %d distinct (%d copies of each); want %d", batched, events, block, passes, want)
		}
	}
}

// TestLargeSessionSetUnused: sessions shorter than bigSession never make
// the large sessions' set, so inputs without long sessions pay nothing for
// it: 3,000 sessions of 10 events with ids leave it empty.
func TestLargeSessionSetUnused(t *testing.T) {
	m := NewMemory()
	sink := m.Sink(0)
	line := int64(0)
	for s := range 3000 {
		for e := range 10 {
			line++
			sink.Record(&ingest.Record{SessionID: "s" + strconv.Itoa(s), ID: strconv.Itoa(s) + "-" + strconv.Itoa(e),
				Kind: ingest.KindLLM, Line: line, InputTokens: 1, OutputTokens: 1})
		}
	}
	sh := sink.(*shard)
	if sh.big.cur.slots != nil || sh.big.old.slots != nil {
		t.Errorf("the large sessions' set was made (%d, %d slots) for sessions of 10 events", len(sh.big.cur.slots), len(sh.big.old.slots))
	}
}
