package codex

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

type nopSink struct{}

func (nopSink) Record(*ingest.Record) {}
func (nopSink) Note(ingest.Note)      {}
func (nopSink) Lines(int64)           {}

// BenchmarkDecode reads the real transcripts of testdata/ (docs/performance.md).
func BenchmarkDecode(b *testing.B) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	var data [][]byte
	size := 0
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for i, d := range data {
			src := &ingest.Source{Name: files[i], R: bufio.NewReader(bytes.NewReader(d))}
			if err := (Format{}).Decode(src, func() ingest.Sink { return nopSink{} }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
