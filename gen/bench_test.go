package gen

import (
	"io"
	"testing"
)

// BenchmarkGenerate reports trace throughput: b.SetBytes is one run's trace
// bytes, so MB/s counts trace bytes per second, with and without truth.
func BenchmarkGenerate(b *testing.B) {
	opt := Options{Sessions: 5000, Seed: 7}
	s, err := Generate(io.Discard, nil, opt)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		truth io.Writer
	}{{"traces", nil}, {"traces+truth", io.Discard}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(s.Bytes)
			b.ReportAllocs()
			for range b.N {
				if _, err := Generate(io.Discard, bc.truth, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(s.Bytes)/float64(s.Records), "bytes/record")
			b.ReportMetric(float64(s.Records)/float64(s.Sessions), "records/session")
		})
	}
}
