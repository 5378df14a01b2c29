package cline

import (
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkDecode reads the real tasks of testdata/ (docs/performance.md).
func BenchmarkDecode(b *testing.B) {
	ingesttest.BenchmarkDecode(b, Format{}, "testdata/tasks/*/ui_messages.json")
}
