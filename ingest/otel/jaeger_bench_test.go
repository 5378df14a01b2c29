package otel

import (
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// BenchmarkJaegerDecode reads the real Jaeger export of testdata/
// (docs/performance.md, JSON decoding).
func BenchmarkJaegerDecode(b *testing.B) {
	ingesttest.BenchmarkDecode(b, jaegerFormat{}, "testdata/k8s.json")
}
