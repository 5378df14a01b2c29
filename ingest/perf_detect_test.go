package ingest_test

import (
	"os"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// BenchmarkDetectCanonical is the sniffing each input file pays before it
// is read: every format ahead of canonical JSONL tries the first 64 KiB of
// a canonical file and declines. A directory of 5,000 small files pays it
// 5,000 times (docs/performance.md, "Session 7").
func BenchmarkDetectCanonical(b *testing.B) {
	data, err := os.ReadFile("../testdata/fleet.jsonl")
	if err != nil {
		b.Fatal(err)
	}
	head := data[:min(len(data), 64<<10)] // headSize in source.go
	b.ReportAllocs()
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		f, err := ingest.Detect("part.jsonl", head)
		if err != nil || f.Name() != "jsonl" {
			b.Fatalf("detected %v, %v; want jsonl", f, err)
		}
	}
}
