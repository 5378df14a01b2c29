package analyze

import (
	"bytes"
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
