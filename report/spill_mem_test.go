package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/memtest"
	"github.com/tokcost/tokcost/pricing"
)

// spilledSummaries reads a generated fleet of n sessions with the
// summaries spilled (a 1 MiB limit), keeping the call costs the HTML cap
// sweep and the session table need. Each session's first record gets a
// "note" field (an attribute) of its id and noteBytes bytes, so that
// each summary is that much larger.
func spilledSummaries(t *testing.T, dir string, n int, seed uint64, noteBytes int) *analyze.Summaries {
	t.Helper()
	var gb bytes.Buffer
	if _, err := gen.Generate(&gb, nil, gen.Options{Sessions: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	fleet := filepath.Join(dir, fmt.Sprintf("fleet%d.jsonl", n))
	f, err := os.Create(fleet)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	seen := map[string]bool{}
	filler := strings.Repeat("x", noteBytes)
	for line := range bytes.Lines(gb.Bytes()) {
		const key = `"session_id":"`
		id := line[bytes.Index(line, []byte(key))+len(key):]
		id = id[:bytes.IndexByte(id, '"')]
		if noteBytes > 0 && !seen[string(id)] {
			seen[string(id)] = true
			fmt.Fprintf(w, `{"note":"%s-%s",`, id, filler)
			line = line[1:]
		}
		_, _ = w.Write(line)
	}
	if err := w.Flush(); err != nil {
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
	noted := 0
	for s := range d.All() {
		if len(s.Attrs["note"]) > noteBytes {
			noted++
		}
	}
	if noted != d.Len() {
		t.Fatalf("%d sessions: %d carry their note", d.Len(), noted)
	}
	if !d.Spilled() || !d.Runaway.OnDisk() || d.Runaway.Len() == 0 {
		t.Fatalf("%d sessions: summaries spilled %v, runaway list on disk %v (%d)", n, d.Spilled(), d.Runaway.OnDisk(), d.Runaway.Len())
	}
	return d
}

// TestSpilledReportMemory measures how far the heap rises while the
// report stage of `analyze -f html` (the cap sweep, Build, the HTML page,
// and the JSON report with its whole runaway list read back from disk)
// runs on spilled summaries of 2,000 and of 8,000 generated sessions. The
// session table is left out: arrow-go's writer holds a row group's
// builders and each group's footer entry, its own memory.
//
// The bound. The summaries, their call costs and the runaway list are
// on disk; what the passes keep is a few numbers a session. Build's pass
// keeps six distributions and the costs (56 bytes a session, sized
// ahead) while the workflow pass beside it keeps a group's six (48 bytes
// a session in slices grown by append: up to twice their length, with the
// old array alive while it is copied, at most 3 × 48 = 144): 200 bytes a
// session at most while both run. The cap sweep keeps less (the costs
// before, a sorted copy and four caps' costs after: 48, with Build's
// costs 56). At GOGC 2 garbage adds about 2%: 6,000 more sessions may
// raise the peak by 6,000 × 205 ≈ 1.2 MB, plus what does not grow with
// them but varies from run to run: each pass reads the 256 partitions
// through 16 KiB buffers (4 MiB), and whether Build's pass and the
// workflow pass hold theirs at the same moment is the scheduler's choice
// (identical runs measured 6.6 or 10 MiB for 2,000 sessions), 4 MiB; and
// 2 MiB for the rest (the decoders' interned names, the JSON writer's
// queue): 6 MiB. A summary kept in memory instead is about 500 bytes and
// its call costs about 100 more on a generated fleet (8 bytes a call);
// alone, 6,000 × 600 ≈ 3.4 MiB would be lost in that 6 MiB. So each
// session carries a note attribute of noteBytes (2 KiB): a pass reads it
// into the one summary it decodes into and drops it at the next, so the
// bounded passes keep no more, while a summary kept in memory is about
// 2,048 + 600 + 300 (the attribute map) ≈ 2,900 bytes: 6,000 × 2,900 ≈
// 16.6 MiB, over twice the bound's 7.2 MiB. (The runaway list read back
// whole, about 80 bytes a session averaged, would not be caught by this
// bound: TestRunawayAndCapsFromDisk and the list's 40-byte keys are what
// check it.) Live heap (memtest.PeakLive), the highest of a few runs.
// gcPercent is GOGC for TestSpilledReportMemory: low, so that the peak is
// mostly live bytes, not garbage waiting for the collector.
const gcPercent = 2

// noteBytes is the note each session of TestSpilledReportMemory carries.
const noteBytes = 2048

func TestSpilledReportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and analyses 80 MB of fleets")
	}
	if raceEnabled {
		// sync.Pool drops a quarter of the passes' read buffers at random
		// under -race (not the heap this derives), and decoding the notes
		// takes minutes there.
		t.Skip("heap figures under the race detector are not the program's")
	}
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	defer func(n int) { parquetRowGroup = n }(parquetRowGroup)
	parquetRowGroup = 2000 // one row group's builders for 2,000 sessions, four for 8,000
	dir := t.TempDir()
	rise := map[int]int64{}
	for _, n := range []int{2000, 8000} {
		d := spilledSummaries(t, dir, n, 5, noteBytes)
		// The highest of three runs (two for 8,000 sessions, whose
		// longer passes all but always overlap): a run may miss the
		// passes' overlap, never add to it.
		for range map[int]int{2000: 3, 8000: 2}[n] {
			rise[n] = max(rise[n], memtest.PeakLive(func() {
				// Four caps: one read of the file sweeps four, so the
				// sweep's peak is that of all thirty, whose other reads
				// would only repeat it.
				a := Build(d, BuildOptions{TopN: 10, Caps: DefaultCaps(d)[:4]})
				if a.CapRecommended == nil || len(a.CapCurve) == 0 {
					t.Errorf("%d sessions: no cap sweep", n)
				}
				for _, w := range []func() error{
					func() error { return htmlWriter{}.Write(io.Discard, a) },
					func() error { return writeJSONChunked(io.Discard, a, 8) }, // 8 a chunk: the queue is full for both
				} {
					if err := w(); err != nil {
						t.Fatal(err)
					}
				}
			}))
		}
		d.Release()
	}
	t.Logf("heap rise of the report stage: %.2f MiB (2,000 sessions), %.2f MiB (8,000)", float64(rise[2000])/(1<<20), float64(rise[8000])/(1<<20))
	const perSession, slack = 205, 6 << 20
	if limit := rise[2000] + 6000*perSession + slack; rise[8000] > limit {
		t.Errorf("the report stage's peak grew with the sessions: %d bytes for 2,000, %d for 8,000 (at most %d)", rise[2000], rise[8000], limit)
	}
}
