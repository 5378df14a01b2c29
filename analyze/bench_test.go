package analyze

import (
	"bytes"
	"runtime"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

var benchData = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 20000, Seed: 1}); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// BenchmarkPipeline measures the whole canonical path: decode, shard,
// merge, dedupe, order, price, summarise, detect loops. MB/s is of JSONL.
func BenchmarkPipeline(b *testing.B) {
	data := benchData()
	prices := pricing.Embedded()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		col := NewCollector()
		_, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) })
		if err != nil {
			b.Fatal(err)
		}
		d := col.Finish(Config{Prices: prices})
		DetectLoops(d, DefaultLoopConfig())
		_ = Stats(d.Sessions)
	}
}

// BenchmarkDecodeOnly isolates JSONL decoding into a sink that keeps nothing.
func BenchmarkDecodeOnly(b *testing.B) {
	data := benchData()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		_, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return func() ingest.Sink { return nopSink{} } })
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionise measures the sessioniser alone: records already
// decoded are fed to shards, then Finish dedupes, orders and prices them.
// MB/s is of the JSONL the records came from, for comparison.
func BenchmarkSessionise(b *testing.B) {
	data := benchData()
	list := &recordList{}
	_, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory {
			return func() ingest.Sink { return list }
		})
	if err != nil {
		b.Fatal(err)
	}
	prices := pricing.Embedded()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		col := NewCollector()
		sink := col.Factory(0)()
		for i := range list.recs {
			sink.Record(&list.recs[i])
		}
		col.Finish(Config{Prices: prices})
	}
}

// BenchmarkShardRecord measures one decoding goroutine's sink alone:
// encoding decoded records into a shard, without Finish. ns/op is per
// record.
func BenchmarkShardRecord(b *testing.B) {
	data := benchData()
	list := &recordList{}
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return func() ingest.Sink { return list } }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var s ingest.Sink
	i := len(list.recs)
	for b.Loop() {
		if i == len(list.recs) {
			s, i = NewCollector().Factory(0)(), 0
		}
		s.Record(&list.recs[i])
		i++
	}
}

// recordList keeps copies of records from every decoding goroutine.
type recordList struct {
	mu   sync.Mutex
	recs []ingest.Record
}

func (l *recordList) Record(r *ingest.Record) {
	l.mu.Lock()
	l.recs = append(l.recs, *r) // the generator writes no attributes to share
	l.mu.Unlock()
}
func (*recordList) Note(ingest.Note) {}
func (*recordList) Lines(int64)      {}

type nopSink struct{}

func (nopSink) Record(*ingest.Record) {}
func (nopSink) Note(ingest.Note)      {}
func (nopSink) Lines(int64)           {}

// BenchmarkRetained measures the memory the analysis keeps, which is what
// bounds peak memory on large inputs: the heap in use, after a collection,
// once every record is read (reported per record kept), and once Finish
// has dropped the events as analyze does (per session). Time per op is
// not the point here.
func BenchmarkRetained(b *testing.B) {
	data := benchData()
	prices := pricing.Embedded()
	loops := DefaultLoopConfig()
	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc)
	}
	for b.Loop() {
		base := heap()
		col := NewCollector()
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			b.Fatal(err)
		}
		read := heap() - base
		d := col.FinishSummaries(Config{Prices: prices, Loops: &loops})
		done := heap() - base
		b.ReportMetric(read/float64(d.Counts.Lines), "read-B/record")
		b.ReportMetric(done/float64(len(d.Sessions)), "finished-B/session")
		b.ReportMetric(float64(d.Counts.Lines)/float64(len(d.Sessions)), "records/session")
		runtime.KeepAlive(d)
	}
}
