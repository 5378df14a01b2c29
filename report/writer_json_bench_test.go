package report

import (
	"bytes"
	"io"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

var benchAnalysis = sync.OnceValue(func() *Analysis {
	var fleet bytes.Buffer
	if _, err := gen.Generate(&fleet, nil, gen.Options{Sessions: 20000, Seed: 1}); err != nil {
		panic(err)
	}
	col := analyze.NewCollector()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(fleet.Bytes())},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		panic(err)
	}
	return Build(summaries(col.Finish(analyze.Config{Prices: pricing.Embedded()})), BuildOptions{TopN: 10})
})

// BenchmarkJSONWriter encodes the report of a 20,000-session generated
// fleet (about 3,200 runaway sessions) with one encoder (plain) and with
// the chunked writer Write uses past parallelJSONAfter runaway sessions
// (chunked), for a paired comparison in one run (docs/performance.md).
func BenchmarkJSONWriter(b *testing.B) {
	a := benchAnalysis()
	for _, bc := range []struct {
		name  string
		write func(io.Writer, *Analysis) error
	}{
		{"plain", writeJSONPlain},
		{"chunked", func(w io.Writer, a *Analysis) error { return writeJSONChunked(w, a, jsonChunk) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var out bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				out.Reset()
				if err := bc.write(&out, a); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(out.Len()))
			b.ReportMetric(float64(len(a.Runaway.Sessions)), "runaway")
		})
	}
}
