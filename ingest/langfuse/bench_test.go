package langfuse

import (
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkDecode reads the four real trace downloads of testdata/
// (docs/performance.md, JSON decoding).
func BenchmarkDecode(b *testing.B) {
	ingesttest.BenchmarkDecode(b, format{}, "testdata/*.trace.json")
}
