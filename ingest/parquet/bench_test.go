package parquet

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
)

// BenchmarkReadParquet reads a generated canonical Parquet file (about
// 235k rows) through ingest.Run; records/s is reported.
func BenchmarkReadParquet(b *testing.B) {
	var traces bytes.Buffer
	if _, err := gen.Generate(&traces, nil, gen.Options{Sessions: 10000, Seed: 3}); err != nil {
		b.Fatal(err)
	}
	src := filepath.Join(b.TempDir(), "gen.jsonl")
	if err := os.WriteFile(src, traces.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	pq := toParquet(b, src)
	st, _ := os.Stat(pq)
	b.ResetTimer()
	var rows int64
	for range b.N {
		c := &counter{}
		if _, err := ingest.Run([]string{pq}, ingest.Options{}, func(ingest.FileResult, int) ingest.SinkFactory {
			return func() ingest.Sink { return c }
		}); err != nil {
			b.Fatal(err)
		}
		rows = c.recs
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(st.Size()), "file-bytes")
}
