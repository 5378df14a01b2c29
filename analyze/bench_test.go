package analyze

import (
	"bytes"
	"strings"
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
		_, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(string(data))},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return func() ingest.Sink { return nopSink{} } })
		if err != nil {
			b.Fatal(err)
		}
	}
}

type nopSink struct{}

func (nopSink) Record(*ingest.Record) {}
func (nopSink) Note(ingest.Note)      {}
func (nopSink) Lines(int64)           {}
