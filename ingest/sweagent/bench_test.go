package sweagent

import (
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkDecode reads the real trajectory of testdata/ (docs/performance.md).
func BenchmarkDecode(b *testing.B) {
	ingesttest.BenchmarkDecode(b, Format{}, "testdata/*.traj")
}
