package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/parquet"
	"github.com/tokcost/tokcost/internal/memtest"
)

// inMemoryConvert is convert as it was before records were spilled: every
// record copied into memory, sorted by (input, line, record in line), each
// bucket written by parquet.WriteCanonical. The reference the streaming
// convert must equal byte for byte.
func inMemoryConvert(t testing.TB, inputs []string, buckets int) [][]byte {
	type pos struct {
		file int
		rec  ingest.Record
	}
	var mu sync.Mutex
	var recs []pos
	_, err := ingest.Run(inputs, ingest.Options{}, func(_ ingest.FileResult, index int) ingest.SinkFactory {
		return func() ingest.Sink {
			return sinkFunc(func(r *ingest.Record) {
				cp := *r
				cp.Attrs = nil
				if len(r.Attrs) > 0 {
					cp.Attrs = map[string]string{}
					for k, v := range r.Attrs {
						cp.Attrs[k] = v
					}
				}
				mu.Lock()
				recs = append(recs, pos{index, cp})
				mu.Unlock()
			})
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(recs, func(i, j int) bool {
		a, b := &recs[i], &recs[j]
		if a.file != b.file {
			return a.file < b.file
		}
		if a.rec.Line != b.rec.Line {
			return a.rec.Line < b.rec.Line
		}
		return a.rec.Sub < b.rec.Sub
	})
	by := make([][]ingest.Record, buckets)
	for i := range recs {
		b := 0
		if buckets > 1 {
			b = sessionBucket(recs[i].rec.SessionID, buckets)
		}
		by[b] = append(by[b], recs[i].rec)
	}
	recs = nil
	out := make([][]byte, buckets)
	for b, rs := range by {
		if len(rs) == 0 {
			continue
		}
		var buf bytes.Buffer
		if err := parquet.WriteCanonical(&buf, rs); err != nil {
			t.Fatal(err)
		}
		out[b] = buf.Bytes()
	}
	return out
}

type sinkFunc func(*ingest.Record)

func (f sinkFunc) Record(r *ingest.Record) { f(r) }
func (sinkFunc) Note(ingest.Note)          {}
func (sinkFunc) Lines(int64)               {}

// TestConvertStreamSameAsInMemory: convert of a generated fleet plus the
// committed samples with attributes, kept in memory (--memory-limit off)
// and spilled in 256 KiB runs (--memory-limit 1MiB), as one file and in 5
// buckets, gives the bytes the in-memory convert gives. 1,500 sessions
// (about 35,000 rows) keep every dictionary under its 1 MiB page limit,
// so the writer's own output is the same run to run (docs/scale.md).
func TestConvertStreamSameAsInMemory(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.jsonl")
	if code, _, errOut := run(t, "gen", "--sessions", "1500", "--seed", "11", "-o", fleet); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, errOut)
	}
	inputs := []string{fleet, "../../testdata/fleet.jsonl", "../../ingest/otel/testdata"}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, buckets := range []int{1, 5} {
		want := inMemoryConvert(t, inputs, buckets)
		for _, limit := range []string{"off", "1MiB"} {
			out := filepath.Join(dir, fmt.Sprintf("out-%d-%s", buckets, limit))
			args := []string{"convert", "-q", "--memory-limit", limit, "--temp-dir", tmp, "-o", out}
			if buckets > 1 {
				args = append(args, "--partition-by", "session", "--buckets", fmt.Sprint(buckets))
			}
			if code, _, errOut := run(t, append(args, inputs...)...); code != 0 {
				t.Fatalf("%v: exit %d: %s", args, code, errOut)
			}
			for b, w := range want {
				path := out
				if buckets > 1 {
					path = filepath.Join(out, fmt.Sprintf("bucket=%03d", b), "part-00000.parquet")
				}
				got, err := os.ReadFile(path)
				if w == nil {
					if err == nil {
						t.Errorf("%s: written for an empty bucket", path)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, w) {
					t.Errorf("--memory-limit %s, %d buckets: bucket %d differs from the in-memory convert (%d bytes, want %d)", limit, buckets, b, len(got), len(w))
				}
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

// TestConvertMemoryBounded measures how far the live heap rises while
// convert streams a generated fleet of 6,000 sessions (about 35 MB,
// 142,000 records: past one row group of 131,072 rows) and one twice as
// large, with the CLI's collector setting (GOGC 30, gc.go), against the
// in-memory convert of the smaller one. Kept in memory, every record costs
// over 1 KB decoded (docs/scale.md): about 175 MiB live for 142,000, and
// twice that for twice the records. Streaming with --memory-limit 4MiB
// keeps 1 MiB of encoded records, one Parquet row group being built
// (about 40 MiB of column builders for 131,072 rows, from a heap profile)
// and the decoders, whatever the input's size. Live heap (memtest.PeakLive),
// not a timing: the heap with garbage swung by 30 MiB between identical
// runs.
func TestConvertMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and converts 105 MB of fleets")
	}
	dir := t.TempDir()
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	stream := map[int]int64{}
	var inMem int64
	for _, n := range []int{6000, 12000} {
		fleet := filepath.Join(dir, fmt.Sprintf("fleet%d.jsonl", n))
		if code, _, errOut := run(t, "gen", "--sessions", fmt.Sprint(n), "--seed", "5", "-o", fleet); code != 0 {
			t.Fatalf("gen: exit %d: %s", code, errOut)
		}
		if n == 6000 {
			inMem = memtest.PeakLive(func() { inMemoryConvert(t, []string{fleet}, 1) })
		}
		out := filepath.Join(dir, "out.parquet")
		stream[n] = memtest.PeakLive(func() {
			if code, _, errOut := run(t, "convert", "--memory-limit", "4MiB", "--temp-dir", dir, "-o", out, fleet); code != 0 {
				t.Fatalf("convert: exit %d: %s", code, errOut)
			}
		})
		if err := os.Remove(fleet); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("heap rise: in memory (6,000 sessions) %.1f MiB; streaming %.1f MiB (6,000), %.1f MiB (12,000)",
		float64(inMem)/(1<<20), float64(stream[6000])/(1<<20), float64(stream[12000])/(1<<20))
	// Doubling the records would raise an in-memory convert's peak by its
	// whole rise (inMem: the records are most of it). The streaming peak
	// may move by a quarter of that: identical streaming runs differ by up
	// to 19 MiB of live heap (72 against 89 MiB for 6,000 sessions in
	// eight local runs), depending on whether a collection lands while a
	// row group's builders are full, so a tighter bound failed in CI with
	// nothing wrong.
	if stream[12000] > stream[6000]+inMem/4 {
		t.Errorf("streaming convert's peak grew with the input: %d bytes for 6,000 sessions, %d for 12,000", stream[6000], stream[12000])
	}
	if stream[6000] >= inMem {
		t.Errorf("streaming convert peaked at %d bytes, the in-memory one at %d", stream[6000], inMem)
	}
}

// TestConvertTempDirUnwritable: runs that cannot be written stop convert
// with an error naming the directory (exit 1) and no output, rather than
// keep every record in memory. The bundled fleet's 7,128 records encode to
// about 0.9 MB (about 130 bytes each), past the 256 KiB run buffer
// --memory-limit 1MiB gives.
func TestConvertTempDirUnwritable(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.parquet")
	code, _, errOut := run(t, "convert", "--memory-limit", "1MiB", "--temp-dir", filepath.Join(dir, "missing"), "-o", out, "../../testdata/fleet.jsonl")
	if code != ExitError || !strings.Contains(errOut, "temp file in "+filepath.Join(dir, "missing")) {
		t.Errorf("exit %d, stderr %q; want exit 1 naming the temp directory", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written", out)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tokcost-*")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}
