package ingest

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest/internal/jsonscan"
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
func benchmarkDecoder(b *testing.B, noFast bool, sink Sink, noPredict ...bool) {
	data := benchLines()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	d := getDecoder("bench", sink)
	defer putDecoder(d)
	d.noFast = noFast
	d.fast.noPredict = len(noPredict) > 0
	for b.Loop() {
		d.decodeChunk(chunk{buf: data, firstLine: 1})
	}
}

func BenchmarkDecoderFast(b *testing.B)          { benchmarkDecoder(b, false, nopSink{}) }
func BenchmarkDecoderFastNoPredict(b *testing.B) { benchmarkDecoder(b, false, nopSink{}, true) }
func BenchmarkDecoderGeneral(b *testing.B)       { benchmarkDecoder(b, true, nopSink{}) }

// BenchmarkDecoderFastBorrowed is the fast decoder feeding a sink that
// borrows ids, as the analysis does: no id is copied.
func BenchmarkDecoderFastBorrowed(b *testing.B) { benchmarkDecoder(b, false, borrowingNopSink{}) }

// BenchmarkByteClassFloor is a floor for any validating decoder, not a
// decoder: it splits the lines and tests every byte for a quote,
// backslash or control character, eight bytes at a time, and does nothing
// else. Compare its MB/s with BenchmarkDecoderFast's (docs/performance.md).
func BenchmarkByteClassFloor(b *testing.B) {
	data := benchLines()
	b.SetBytes(int64(len(data)))
	flagged := 0
	for b.Loop() {
		for buf := data; len(buf) > 0; {
			line := buf
			if i := bytes.IndexByte(buf, '\n'); i >= 0 {
				line, buf = buf[:i], buf[i+1:]
			} else {
				buf = nil
			}
			j := 0
			for ; j+8 <= len(line); j += 8 {
				flagged += bits.OnesCount64(jsonscan.Special(binary.LittleEndian.Uint64(line[j:])))
			}
			for ; j < len(line); j++ {
				if c := line[j]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
					flagged++
				}
			}
		}
	}
	if flagged == 0 {
		b.Fatal("no quotes found")
	}
}

type borrowingNopSink struct{ nopSink }

func (borrowingNopSink) BorrowsIDs() bool { return true }

type nopSink struct{}

func (nopSink) Record(*Record) {}
func (nopSink) Note(Note)      {}
func (nopSink) Lines(int64)    {}
