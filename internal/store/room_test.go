package store

import (
	"math/rand/v2"
	"reflect"
	"strconv"
	"sync"
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
	got := mustPartition(t, m, int(partitionOf("s")), &sc)
	if len(got) != 1 || len(got[0].Events) != 2 || got[0].Events[0].Input != 1 || got[0].Events[1].Output != big {
		t.Fatalf("decoded %+v", got)
	}
}

// TestSpillWhilePut is a differential test of put and room against the
// spiller on other goroutines: four sinks fed at once, each a mix of
// Record and RecordBatch over 300 sessions (hundreds of partition
// buffers of a few records, grown in place by put, then chained by room),
// into a spilling store whose record limit (4 KiB) makes every few blocks
// spill, and into an in-memory store fed one sink after the other. Every
// partition must decode the same (the second method: no spilling, no
// concurrency), and once reading is over the spiller's count must equal
// the capacity the buffers still hold.
func TestSpillWhilePut(t *testing.T) {
	const sinks, n = 4, 6000
	batches := make([]ingest.Batch, sinks)
	for f := range batches {
		b := &batches[f]
		b.Grow(n, nil)
		b.File = "f" + strconv.Itoa(f)
		rng := rand.New(rand.NewPCG(uint64(f), 9))
		for k := range n {
			b.Line[k] = int64(k + 1)
			b.SessionID[k] = "s" + strconv.Itoa(rng.IntN(300))
			b.ID[k] = "e" + strconv.Itoa(k)
			b.HasSeq[k], b.Seq[k] = true, int64(k)
			b.TSNano[k] = 1_700_000_000_000_000_000 + int64(k)*1_000_003
			b.Kind[k] = ingest.KindLLM
			b.Model[k] = "m" + strconv.Itoa(rng.IntN(3))
			if rng.IntN(9) == 0 {
				b.Error[k] = "boom " + strconv.Itoa(rng.IntN(40))
			}
			for i := range b.Tokens {
				b.Tokens[i][k] = int64(rng.IntN(1 << (4 * i)))
			}
		}
		b.N = n
	}
	feed := func(sk ingest.Sink, b *ingest.Batch) {
		var r ingest.Record
		for lo := 0; lo < n; lo += 50 {
			if lo/50%2 == 0 {
				for k := lo; k < lo+50; k++ {
					b.Record(k, &r)
					sk.Record(&r)
				}
			} else {
				part := sliceBatch(b, lo, lo+50)
				sk.(ingest.BatchSink).RecordBatch(&part)
			}
		}
		sk.Lines(n)
	}
	mem := NewMemory()
	for f := range batches {
		feed(mem.Sink(f), &batches[f])
	}
	sp := NewSpilling(SpillOptions{Limit: 8 << 10, SessionState: 1 << 40, Dir: t.TempDir()})
	sks := make([]ingest.Sink, sinks)
	for f := range sks {
		sks[f] = sp.Sink(f)
	}
	var wg sync.WaitGroup
	for f := range sks {
		wg.Go(func() { feed(sks[f], &batches[f]) })
	}
	wg.Wait()
	if sp.Spilled() == 0 {
		t.Fatal("nothing spilled: the test needs the spiller")
	}
	var held int64
	for _, sh := range sp.shards {
		held += heldBytes(sh)
	}
	if got := sp.spill.inMem.Load(); got != held {
		t.Errorf("spiller counts %d bytes of blocks in memory, the buffers hold %d", got, held)
	}
	want, got := mem.Seal(), sp.Seal()
	if !reflect.DeepEqual(want.Counts, got.Counts) {
		t.Fatalf("sealed differently:\nmemory %+v\nspill  %+v", want.Counts, got.Counts)
	}
	var sw, sg Scratch
	sw.KeepEvents, sg.KeepEvents = true, true
	for p := range mem.Partitions() {
		if pw, pg := mustPartition(t, mem, p, &sw), mustPartition(t, sp, p, &sg); !reflect.DeepEqual(pw, pg) {
			t.Fatalf("partition %d differs", p)
		}
	}
}
