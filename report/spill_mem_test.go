package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/memtest"
	"github.com/tokcost/tokcost/pricing"
)

// spilledSummaries reads a generated fleet of n sessions with the
// summaries spilled (a 1 MiB limit), keeping the call costs the HTML cap
// sweep and the session table need.
func spilledSummaries(t *testing.T, dir string, n int, seed uint64) *analyze.Summaries {
	t.Helper()
	fleet := filepath.Join(dir, fmt.Sprintf("fleet%d.jsonl", n))
	f, err := os.Create(fleet)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gen.Generate(f, nil, gen.Options{Sessions: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	col := analyze.NewSpillingCollector(analyze.SpillOptions{Limit: 1 << 20, Dir: dir})
	if _, err := ingest.Run([]string{fleet}, ingest.Options{},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	loops := analyze.DefaultLoopConfig()
	d := col.FinishSummaries(analyze.Config{Prices: pricing.Embedded(), Loops: &loops, KeepCapCosts: true})
	if err := os.Remove(fleet); err != nil {
		t.Fatal(err)
	}
	if !d.Spilled() || !d.Runaway.OnDisk() || d.Runaway.Len() == 0 {
		t.Fatalf("%d sessions: summaries spilled %v, runaway list on disk %v (%d)", n, d.Spilled(), d.Runaway.OnDisk(), d.Runaway.Len())
	}
	return d
}

// TestSpilledReportMemory measures how far the heap rises while the
// report stage of `analyze -f html --sessions-out` (the cap sweep, Build,
// the HTML page, the session table, and the JSON report with its whole
// runaway list) runs on spilled summaries of 2,000 and of 8,000 generated
// sessions, at GOGC 30 as the CLI runs.
//
// The bound. What the passes keep is a few numbers a session, whatever
// the summaries hold: Build sorts six distributions (48 bytes a session)
// and keeps each cost (8); the cap sweep keeps the costs before (8), a
// sorted copy of them (8) and four caps' costs after (32); the HTML CDF
// a cost and its sorted copy (16); RecommendCap an int and its sorted
// copy (16). The most alive at once is Build's costs with the cap
// sweep's: 8 + 8 + 8 + 32 = 56 bytes a session, under 64. The collector
// lets the heap pass the live bytes by 30% before it collects: at most
// 64 × 1.3 ≈ 84 bytes a session, so 6,000 more sessions may raise the
// peak by at most 6,000 × 84 ≈ 0.5 MB; 1 MiB of slack covers the read
// buffers that do not depend on the sessions (16 KiB for each of 256
// partitions, 4 MiB, the same for both). Summaries held in memory are
// about 500 bytes a session and their call costs 8 bytes a call (about
// 100 more on a generated fleet): 6,000 × 600 ≈ 3.4 MiB, past the bound;
// so would be the runaway list read back whole (about 500 bytes for each
// of the 16% of sessions that loop: 0.5 MB for 6,000 more, a third more
// than the bound allows with the rest).
// gcPercent is GOGC for TestSpilledReportMemory: low, so that the peak is
// mostly live bytes, not garbage waiting for the collector.
const gcPercent = 2

func TestSpilledReportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses 59 MB of fleets")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	defer func(n int) { parquetRowGroup = n }(parquetRowGroup)
	parquetRowGroup = 2000 // one row group's builders for 2,000 sessions, four for 8,000
	dir := t.TempDir()
	rise := map[int]int64{}
	for _, n := range []int{2000, 8000} {
		d := spilledSummaries(t, dir, n, 5)
		rise[n] = memtest.PeakHeap(func() {
			a := Build(d, BuildOptions{TopN: 10, Caps: DefaultCaps(d)})
			if a.CapRecommended == nil || len(a.CapCurve) == 0 {
				t.Errorf("%d sessions: no cap sweep", n)
			}
			for _, w := range []func() error{
				func() error { return htmlWriter{}.Write(io.Discard, a) },
				func() error { return WriteSessionsParquet(io.Discard, a, RunMeta{}) },
				func() error { return writeJSONChunked(io.Discard, a, 8) }, // 8 a chunk: the queue is full for both
			} {
				if err := w(); err != nil {
					t.Fatal(err)
				}
			}
		})
		d.Release()
	}
	t.Logf("heap rise of the report stage: %.2f MiB (2,000 sessions), %.2f MiB (8,000)", float64(rise[2000])/(1<<20), float64(rise[8000])/(1<<20))
	const perSession, slack = 84, 1 << 20
	if limit := rise[2000] + 6000*perSession + slack; rise[8000] > limit {
		t.Errorf("the report stage's peak grew with the sessions: %d bytes for 2,000, %d for 8,000 (at most %d)", rise[2000], rise[8000], limit)
	}
}
