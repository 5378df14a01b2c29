package store

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// heldBytes is the capacity shard sh's partition buffers hold: what a
// spilling store's inMem must equal (spill.go), summed over the buffers.
func heldBytes(sh *shard) int64 {
	var held int64
	for _, b := range sh.bufs {
		held += int64(cap(b.cur))
		for _, blk := range b.blocks {
			held += int64(cap(blk))
		}
	}
	return held
}

// TestRoomAfterSmallBlock: a Parquet reader sends most rows through
// RecordBatch and the rows Finish would change through Record, into one
// sink. Record sizes a new buffer's block to its records (put: 32 bytes
// for one record of a few bytes); encodeRow then asks room for space, and
// room must give a block with room for the longest record (maxEncoded),
// or the row's append reallocates a block the spiller never counted.
//
// The row below encodes to more than 64 bytes, counted by hand from
// doc.go: 4 header bytes, an 8-byte id hash, seq 1<<62 as a varint (9
// bytes: 63 bits / 7), a timestamp of 1.7e18+1 ns from 0 (varint of
// 61 bits: 9 bytes), a duration of 1234567800 ns (31 bits: 5 bytes), six
// token counts of 2^31-1 (5 bytes each: 30), an 8-byte cost, five string
// ids of one byte and the error class byte: 4+8+9+9+5+30+8+5+1 = 79 bytes.
// Before the fix room gave it a block of 2*32 = 64 bytes after the
// record's 32, and append moved it to one of 128 that inMem counted as 64.
func TestRoomAfterSmallBlock(t *testing.T) {
	m := NewSpilling(SpillOptions{Limit: 1 << 40})
	sink := m.Sink(0).(*shard)
	sink.Record(&ingest.Record{SessionID: "s", Line: 1, Kind: ingest.KindLLM, Model: "m", InputTokens: 1})
	pb := sink.part(int(partitionOf("s")))
	if cap(pb.cur) >= 64 {
		t.Fatalf("one small record: block of %d bytes; this test needs put's small block", cap(pb.cur))
	}
	var b ingest.Batch
	b.Grow(1, nil)
	const big = 1<<31 - 1
	b.N = 1
	b.Line[0], b.SessionID[0], b.ID[0] = 2, "s", "call-1"
	b.HasSeq[0], b.Seq[0] = true, 1<<62
	b.TSNano[0] = 1_700_000_000_000_000_001
	b.DurationMS[0] = 1234.5678
	b.HasCost[0], b.CostUSD[0] = true, 0.25
	b.Kind[0], b.ErrorClass[0] = ingest.KindLLM, 1
	b.Model[0], b.Provider[0], b.Tool[0], b.Role[0], b.Error[0] = "m", "p", "t", "r", "boom"
	for i := range b.Tokens {
		b.Tokens[i][0] = big
	}
	sink.RecordBatch(&b)
	if got, held := m.spill.inMem.Load(), heldBytes(sink); got != held {
		t.Errorf("spiller counts %d bytes of blocks in memory, the buffers hold %d", got, held)
	}
	// Both records decode as stored: the second's tokens are its own.
	sink.Lines(2)
	m.Seal()
	var sc Scratch
	got := m.Partition(int(partitionOf("s")), &sc)
	if len(got) != 1 || len(got[0].Events) != 2 || got[0].Events[0].Input != 1 || got[0].Events[1].Output != big {
		t.Fatalf("decoded %+v", got)
	}
}
