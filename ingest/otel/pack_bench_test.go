package otel

import (
	"bytes"
	"runtime"
	"runtime/metrics"
	"testing"
)

// BenchmarkBufferedSpansGC measures what buffered spans cost the garbage
// collector: 200,000 spans of genOTLP, decoded as the line workers do and
// added to a collector, then one full collection per op with the
// collector live. Per buffered span it reports the heap the collector
// keeps (B/span), its heap objects, the part of it the collector must
// scan for pointers (scan-B/span: runtime/metrics /gc/scan/heap:bytes),
// and the runtime's estimate of the collection's CPU time (gc-ns/span).
//
// Kept as decoded (span: two dozen strings each, a map keyed by pairs of
// id strings), 705 bytes, 1.77 heap objects and 673 scannable bytes per
// span, and 214-502 ns of collector CPU per span and collection; kept
// packed (pack.go), 352 bytes, 0.035 objects (the distinct session ids),
// 1.8 scannable bytes and 2.7-3.4 ns (three runs each, load 5).
func BenchmarkBufferedSpansGC(b *testing.B) {
	const n = 200_000
	data := genOTLP(n)
	sample := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/cpu/classes/gc/total:cpu-seconds"}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	metrics.Read(sample)
	scan0 := sample[0].Value.Uint64()
	c := newCollector("bench", &countSink{})
	d := newFastDecoder()
	var spans []span
	line := int64(0)
	for buf := data; len(buf) > 0; line++ {
		i := bytes.IndexByte(buf, '\n')
		var ok bool
		if spans, ok = d.decode(buf[:i], "bench", line, spans[:0]); !ok {
			b.Fatal("fast decoder declined a bench line")
		}
		for j := range spans {
			c.add(&spans[j])
		}
		buf = buf[i+1:]
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	metrics.Read(sample)
	scan1, cpu0 := sample[0].Value.Uint64(), sample[1].Value.Float64()
	runs := 0
	for b.Loop() {
		runtime.GC()
		runs++
	}
	metrics.Read(sample)
	cpu1 := sample[1].Value.Float64()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/span")
	b.ReportMetric(float64(after.HeapObjects-before.HeapObjects)/n, "objects/span")
	b.ReportMetric(float64(scan1-scan0)/n, "scan-B/span")
	b.ReportMetric((cpu1-cpu0)*1e9/float64(runs)/n, "gc-ns/span")
	runtime.KeepAlive(c)
	runtime.KeepAlive(data)
}
