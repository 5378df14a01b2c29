package store

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRecordBatchMatchesRecord is RecordBatch's check by a second method:
// the same rows stored through RecordBatch (in batches of random sizes)
// and one at a time through Record (each row made a record by
// Batch.Record, the reference) must seal to the same counts and decode to
// the same partitions, event for event. The rows repeat ids (within a
// session, with the same and with other output; across sessions), come
// back to earlier sessions, carry every field a batch has, and include a
// line number going backwards (which turns the repeat set off). The two
// repeat sets are given the same generation (the batch rows' set is
// smaller by default, which changes only what is dropped on arrival and
// what Finish drops: ingest/parquet's TestBatchPathSameAnalysis), large
// and small enough to turn over.
func TestRecordBatchMatchesRecord(t *testing.T) {
	defer func(r, b int) { repeatGeneration, batchRepeatGeneration = r, b }(repeatGeneration, batchRepeatGeneration)
	for _, c := range []struct {
		backwards bool
		gen       int
	}{{false, 1 << 19}, {true, 1 << 19}, {false, 64}} {
		backwards := c.backwards
		repeatGeneration, batchRepeatGeneration = c.gen, c.gen
		rng := rand.New(rand.NewPCG(3, 4))
		var b ingest.Batch
		const n = 30000
		b.Grow(n, []string{"team", "env"})
		b.File = "f"
		line := int64(0)
		for k := 0; k < n; k++ {
			line += 1 + int64(rng.IntN(2)) // gaps: not every line a record
			if backwards && k == n/2 {
				line -= 100
			}
			b.Line[k] = line
			b.SessionID[k] = "s" + strconv.Itoa(rng.IntN(300))
			if rng.IntN(8) > 0 {
				// Few distinct ids: many repeats, some with other output.
				b.ID[k] = "e" + strconv.Itoa(rng.IntN(2000))
			}
			b.HasSeq[k] = rng.IntN(3) > 0
			if b.HasSeq[k] {
				b.Seq[k] = int64(k) - int64(rng.IntN(2))
			}
			if rng.IntN(6) > 0 {
				b.TSNano[k] = 1_700_000_000_000_000_000 + int64(k)*1_000_000 + int64(rng.IntN(2))*int64(rng.IntN(999_999))
			}
			b.DurationMS[k] = float64(rng.IntN(3)) * rng.Float64() * 1e4
			b.HasCost[k] = rng.IntN(5) == 0
			if b.HasCost[k] {
				b.CostUSD[k] = rng.Float64()
			}
			b.Kind[k] = ingest.Kind(1 + rng.IntN(2))
			b.Status[k] = ingest.Status(rng.IntN(3))
			b.ErrorClass[k] = ingest.ErrorClass(rng.IntN(3))
			names := []string{"", "m1", "m2", "a-much-longer-model-name"}
			b.Model[k], b.Provider[k], b.Tool[k] = names[rng.IntN(4)], names[rng.IntN(2)], names[rng.IntN(3)]
			b.Role[k], b.Workflow[k] = names[rng.IntN(2)], names[rng.IntN(4)]
			if rng.IntN(10) == 0 {
				b.Error[k] = "boom " + strconv.Itoa(rng.IntN(50)) + string(make([]byte, rng.IntN(700)))
			}
			for t := range b.Tokens {
				b.Tokens[t][k] = 0
				if rng.IntN(2) == 0 {
					b.Tokens[t][k] = int64(rng.IntN(3))
				}
			}
			for j := range b.Attrs {
				a := &b.Attrs[j]
				a.Has[k] = rng.IntN(4) == 0
				a.Val[k] = ""
				if a.Has[k] {
					a.Val[k] = "v" + strconv.Itoa(rng.IntN(3))
				}
			}
		}
		b.N = n

		byRecord, byBatch := NewMemory(), NewMemory()
		rs := byRecord.Sink(0)
		var r ingest.Record
		for k := 0; k < n; k++ {
			b.Record(k, &r)
			rs.Record(&r)
		}
		bs := byBatch.Sink(0).(ingest.BatchSink)
		for lo := 0; lo < n; {
			hi := min(n, lo+1+rng.IntN(2000))
			part := sliceBatch(&b, lo, hi)
			bs.RecordBatch(&part)
			lo = hi
		}
		bs.Lines(n)
		rs.Lines(n)
		want, got := byRecord.Seal(), byBatch.Seal()
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("backwards %v: sealed differently:\nrecord %+v\nbatch  %+v", backwards, want.Counts, got.Counts)
		}
		// Not vacuous: repeats were dropped on arrival (unless the line
		// going back turned the set off), and most rows were stored.
		if c := got.Counts; c.Records < n/2 || (!backwards && c.Duplicates == 0) {
			t.Fatalf("backwards %v: %d records, %d duplicates", backwards, c.Records, c.Duplicates)
		}
		var sw, sg Scratch
		sw.KeepEvents, sg.KeepEvents = true, true
		for p := 0; p < byRecord.Partitions(); p++ {
			pw, pg := mustPartition(t, byRecord, p, &sw), mustPartition(t, byBatch, p, &sg)
			for _, ss := range [][]SessionEvents{pw, pg} {
				for i := range ss {
					// Record sets a row's attributes in map order.
					slices.SortFunc(ss[i].Attrs, func(x, y Attr) int { return cmp.Compare(x.Key, y.Key) })
				}
			}
			if !reflect.DeepEqual(pw, pg) {
				t.Fatalf("backwards %v: partition %d differs", backwards, p)
			}
		}
	}
}

// sliceBatch is rows lo to hi of b as a batch of their own.
func sliceBatch(b *ingest.Batch, lo, hi int) ingest.Batch {
	o := ingest.Batch{File: b.File, N: hi - lo,
		Line: b.Line[lo:hi], SessionID: b.SessionID[lo:hi], ID: b.ID[lo:hi], HasSeq: b.HasSeq[lo:hi], Seq: b.Seq[lo:hi],
		TSNano: b.TSNano[lo:hi], DurationMS: b.DurationMS[lo:hi], HasCost: b.HasCost[lo:hi], CostUSD: b.CostUSD[lo:hi],
		Kind: b.Kind[lo:hi], Status: b.Status[lo:hi], ErrorClass: b.ErrorClass[lo:hi],
		Model: b.Model[lo:hi], Provider: b.Provider[lo:hi], Tool: b.Tool[lo:hi], Role: b.Role[lo:hi],
		Workflow: b.Workflow[lo:hi], Error: b.Error[lo:hi]}
	for t := range b.Tokens {
		o.Tokens[t] = b.Tokens[t][lo:hi]
	}
	for _, a := range b.Attrs {
		o.Attrs = append(o.Attrs, ingest.BatchAttr{Key: a.Key, Has: a.Has[lo:hi], Val: a.Val[lo:hi]})
	}
	return o
}
