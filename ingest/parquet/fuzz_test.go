package parquet

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/tokcost/tokcost/ingest"
)

// FuzzParquet: any bytes named .parquet either fail with an error or are
// read with every row accounted for; never a panic. Seeds are tiny valid
// files (under 4 KB) so that mutations stay near real structure.
func FuzzParquet(f *testing.F) {
	usage := arrow.StructOf(fld("prompt_tokens", i64), fld("cache_read_input_tokens", i64))
	f.Add(writeFixture(f, fields(fld("session_id", str), fld("input_tokens", arrow.PrimitiveTypes.Int32)),
		`[{"session_id":"a","input_tokens":5},{"session_id":"b","input_tokens":7}]`, compress.Codecs.Uncompressed, 10))
	f.Add(writeFixture(f, fields(fld("session_id", str), fld("usage", usage), fld("team", str)),
		`[{"session_id":"a","usage":{"prompt_tokens":3,"cache_read_input_tokens":1},"team":"x"}]`, compress.Codecs.Snappy, 10))
	f.Add(writeFixture(f, fields(fld("session_id", str), fld("ts", &arrow.TimestampType{Unit: arrow.Millisecond})),
		`[{"session_id":"a","ts":1}]`, compress.Codecs.Zstd, 1))
	f.Add(writeFixture(f, fields(fld("id", str), fld("trace_id", str), fld("type", str), fld("usage_details", arrow.MapOf(str, i64))),
		`[{"id":"g","trace_id":"t","type":"GENERATION","usage_details":[{"key":"input","value":3}]}]`, compress.Codecs.Uncompressed, 10))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		c := &counter{}
		_, err := ingest.Run([]string{p}, ingest.Options{Format: "parquet"}, func(ingest.FileResult, int) ingest.SinkFactory {
			return func() ingest.Sink { return c }
		})
		if err == nil && c.lines != c.recs+c.notes {
			t.Fatalf("rows %d != records %d + notes %d", c.lines, c.recs, c.notes)
		}
	})
}

// counter counts what the workers report.
type counter struct {
	mu                 sync.Mutex
	recs, notes, lines int64
}

func (c *counter) Record(*ingest.Record) { c.mu.Lock(); c.recs++; c.mu.Unlock() }
func (c *counter) Note(ingest.Note)      { c.mu.Lock(); c.notes++; c.mu.Unlock() }
func (c *counter) Lines(n int64)         { c.mu.Lock(); c.lines += n; c.mu.Unlock() }
