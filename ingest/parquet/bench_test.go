package parquet

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
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

// BenchmarkReadParquetFile reads the file named by $TOKCOST_BENCH_PARQUET
// (e.g. bench/fleet-200000.parquet) into one no-op sink per worker, so the
// figure is the reader alone; skipped when the variable is unset.
func BenchmarkReadParquetFile(b *testing.B) {
	path := os.Getenv("TOKCOST_BENCH_PARQUET")
	if path == "" {
		b.Skip("TOKCOST_BENCH_PARQUET not set")
	}
	var rows int64
	for range b.N {
		var mu sync.Mutex
		var sinks []*nopSink
		if _, err := ingest.Run([]string{path}, ingest.Options{}, func(ingest.FileResult, int) ingest.SinkFactory {
			return func() ingest.Sink {
				s := &nopSink{}
				mu.Lock()
				sinks = append(sinks, s)
				mu.Unlock()
				return s
			}
		}); err != nil {
			b.Fatal(err)
		}
		rows = 0
		for _, s := range sinks {
			rows += s.recs
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// nopSink counts records and does nothing else; one per worker.
type nopSink struct{ recs, notes, lines int64 }

func (s *nopSink) Record(*ingest.Record) { s.recs++ }
func (s *nopSink) Note(ingest.Note)      { s.notes++ }
func (s *nopSink) Lines(n int64)         { s.lines += n }
