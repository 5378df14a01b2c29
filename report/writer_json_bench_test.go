package report

import (
	"bytes"
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
// fleet (about 3,200 runaway sessions), the figure the dropped parallel
// splice was measured against (docs/performance.md).
func BenchmarkJSONWriter(b *testing.B) {
	a := benchAnalysis()
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		if err := (jsonWriter{}).Write(&out, a); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(out.Len()))
	b.ReportMetric(float64(len(a.Runaway.Sessions)), "runaway")
}
