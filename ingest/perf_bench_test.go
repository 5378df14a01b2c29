package ingest

import (
	"bytes"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/gen"
)

var benchLines = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 2000, Seed: 1}); err != nil {
		panic(err)
	}
	return b.Bytes()
})

// benchmarkDecoder decodes generated canonical JSONL on one goroutine
// into a sink that keeps nothing: the decoder's own cost, per core.
func benchmarkDecoder(b *testing.B, noFast bool) {
	data := benchLines()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	d := newLineDecoder("bench", nopSink{})
	d.noFast = noFast
	for b.Loop() {
		d.decodeChunk(chunk{buf: data, firstLine: 1})
	}
}

func BenchmarkDecoderFast(b *testing.B)    { benchmarkDecoder(b, false) }
func BenchmarkDecoderGeneral(b *testing.B) { benchmarkDecoder(b, true) }

type nopSink struct{}

func (nopSink) Record(*Record) {}
func (nopSink) Note(Note)      {}
func (nopSink) Lines(int64)    {}
