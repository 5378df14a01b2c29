package gen

import (
	"io"
	"testing"
)

// BenchmarkGenerate reports trace throughput; b.SetBytes uses the bytes of
// one run, so MB/s is trace bytes per second.
func BenchmarkGenerate(b *testing.B) {
	opt := Options{Sessions: 5000, Seed: 7}
	s, err := Generate(io.Discard, nil, opt)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(s.Bytes)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := Generate(io.Discard, nil, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Bytes)/float64(s.Records), "bytes/record")
	b.ReportMetric(float64(s.Records)/float64(s.Sessions), "records/session")
}
