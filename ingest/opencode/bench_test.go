package opencode

import (
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkDecode reads the message files of testdata/ with their parts
// (hand-made in OpenCode's shape, testdata/SOURCES.md).
func BenchmarkDecode(b *testing.B) {
	ingesttest.BenchmarkDecode(b, Format{}, "testdata/storage/message/*/*.json")
}
