package analyze

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
)

// readFailFile is a spill file on a failing disk: once fail is set, or
// past readLeft bytes read (negative: never), reads fail with EIO.
type readFailFile struct {
	store.File
	readLeft atomic.Int64
	fail     atomic.Bool
}

func (f *readFailFile) ReadAt(b []byte, off int64) (int, error) {
	if f.fail.Load() || (f.readLeft.Load() >= 0 && f.readLeft.Add(-int64(len(b))) < 0) {
		return 0, &os.PathError{Op: "read", Path: "spill", Err: syscall.EIO}
	}
	return f.File.ReadAt(b, off)
}

// failingReads returns a SpillOptions.Wrap whose files' reads fail past
// readLeft bytes, and the files it made.
func failingReads(readLeft int64) (func(store.File) store.File, *[]*readFailFile) {
	var made []*readFailFile
	return func(f store.File) store.File {
		rf := &readFailFile{File: f}
		rf.readLeft.Store(readLeft)
		made = append(made, rf)
		return rf
	}, &made
}

// TestFinishSpillReadFails: records spilled to disk that cannot be read
// back make FinishContext and FinishSummariesContext return an error
// naming the temp directory and no result, where a worker goroutine
// panicked before (ending the process without its cleanup), and the temp
// directory is empty once the collector is released. cancelInput's 5,000
// sessions pass the reading state's share of the 1 MiB limit, so
// generations retire to the spill file (checked); reads fail from the
// first byte, or after 50 KB. The control, reads that never fail, gives
// the 5,000 sessions.
func TestFinishSpillReadFails(t *testing.T) {
	in := cancelInput()
	for _, summaries := range []bool{false, true} {
		for _, readLeft := range []int64{-1, 0, 50_000} {
			name := fmt.Sprintf("summaries=%v/readLeft=%d", summaries, readLeft)
			dir := t.TempDir()
			wrap, _ := failingReads(readLeft)
			col := NewSpillingCollector(SpillOptions{Limit: 1 << 20, Dir: dir, Wrap: wrap})
			readAll(t, col, in)
			if col.Generations() == 0 {
				t.Fatalf("%s: no generation retired: nothing is read back", name)
			}
			var n int
			var err error
			if summaries {
				var d *Summaries
				if d, err = col.FinishSummariesContext(context.Background(), Config{}); d != nil {
					n = d.Len()
					d.Release()
				}
			} else {
				var d *Dataset
				if d, err = col.FinishContext(context.Background(), Config{}); d != nil {
					n = len(d.Sessions)
				}
			}
			col.Release()
			switch {
			case readLeft < 0 && (err != nil || n != 5000):
				t.Errorf("%s: %d sessions, %v; want 5000", name, n, err)
			case readLeft >= 0 && (err == nil || n != 0):
				t.Errorf("%s: %d sessions, error %v; want an error and no result", name, n, err)
			case readLeft >= 0 && !strings.Contains(err.Error(), "reading spilled records back from a temp file in "+dir):
				t.Errorf("%s: error %q does not name the temp dir", name, err)
			}
			if left, _ := os.ReadDir(dir); len(left) > 0 {
				t.Errorf("%s: left in the temp dir: %v", name, left)
			}
		}
	}
}

// readAll reads the canonical JSONL in into col, as collectCancel does.
func readAll(t *testing.T, col *Collector, in string) {
	t.Helper()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(in)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
}

// TestSummariesReadBackFails: spilled session summaries that cannot be
// read back stop the pass that reads them and every pass after, and
// Summaries.Err says why, naming the temp directory, where the pass
// panicked before. The records stay in memory here (a session-state
// budget too large to retire, 10,000 records well under the limit), so
// only the summaries' file is read back: cancelInput's 5,000 summaries
// at 512 bytes pass half the 1 MiB limit. Reads that fail from the
// start, or after 100 KB (part of the 5,000), fail FinishSummariesContext
// itself (its runaway pass reads every summary), with no result; reads
// that fail only after Finish leave Finish's result and fail the report's
// passes: the first yields nothing and sets Err, the next yields nothing
// either.
func TestSummariesReadBackFails(t *testing.T) {
	in := cancelInput()
	for _, readLeft := range []int64{0, 100_000} {
		dir := t.TempDir()
		wrap, _ := failingReads(readLeft)
		col := NewSpillingCollector(SpillOptions{Limit: 1 << 20, SessionState: 1 << 40, Dir: dir, Wrap: wrap})
		readAll(t, col, in)
		d, err := col.FinishSummariesContext(context.Background(), Config{})
		col.Release()
		if d != nil || err == nil || !strings.Contains(err.Error(), "reading spilled session summaries back from a temp file in "+dir) {
			t.Errorf("reads fail after %d bytes: result %v, error %v; want none and an error naming %s", readLeft, d, err, dir)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("left in the temp dir: %v", left)
		}
	}

	dir := t.TempDir()
	wrap, made := failingReads(-1)
	col := NewSpillingCollector(SpillOptions{Limit: 1 << 20, SessionState: 1 << 40, Dir: dir, Wrap: wrap})
	readAll(t, col, in)
	d, err := col.FinishSummariesContext(context.Background(), Config{})
	col.Release()
	if err != nil || !d.Spilled() || len(*made) != 1 || d.Err() != nil {
		t.Fatalf("reads that do not fail: error %v, spilled %v, %d files, Err %v; want the summaries spilled to one file", err, d.Spilled(), len(*made), d.Err())
	}
	n := 0
	for range d.All() {
		n++
	}
	if n != 5000 {
		t.Fatalf("a pass before the failure read %d summaries, want 5000", n)
	}
	(*made)[0].fail.Store(true)
	n = 0
	for range d.All() {
		n++
	}
	if n != 0 || d.Err() == nil || !strings.Contains(d.Err().Error(), dir) {
		t.Errorf("a failing pass read %d summaries, Err %v; want 0 and an error naming %s", n, d.Err(), dir)
	}
	(*made)[0].fail.Store(false) // the disk is back: the passes still yield nothing, Err stays
	n = 0
	for range d.All() {
		n++
	}
	if n != 0 || d.Err() == nil {
		t.Errorf("a pass after the failure read %d summaries, Err %v; want 0 and the error", n, d.Err())
	}
	d.Release()
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left in the temp dir: %v", left)
	}
}

// TestRunawayListReadBackFails: a runaway list kept on disk whose entries
// cannot be read back stops (Head gives none) and the summaries' Err says
// why, where reading it panicked before. 12 sessions in 2 partitions,
// every third a runaway (4 entries, checked), reads failing once the list
// is made.
func TestRunawayListReadBackFails(t *testing.T) {
	dir := t.TempDir()
	wrap, made := failingReads(-1)
	sf, err := openSumFile(SpillOptions{Dir: dir, Wrap: wrap}, 2)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for p := range 2 {
		res := partResult{}
		for i := p; i < 12; i += 2 {
			s := &Session{Summary: Summary{ID: fmt.Sprintf("s%02d", i), LLMCalls: 5, CostUSD: 1}}
			if i%3 == 0 {
				s.Loop = &RunawaySession{SessionID: s.ID, WastedCostUSD: 0.5, Evidence: "e"}
			}
			res.sessions = append(res.sessions, s)
		}
		buf = spillSummaries(sf, p, &res, buf)
	}
	lc := DefaultLoopConfig().normal()
	d := &Summaries{file: sf, n: 12, Loops: lc}
	d.Runaway = runawaySpilled(sf, 12, lc)
	if !d.Runaway.OnDisk() || d.Runaway.Len() != 4 || len(d.Runaway.Head(10)) != 4 { // 0, 3, 6, 9
		t.Fatalf("on disk %v, Len %d; want 4 on disk, all read back", d.Runaway.OnDisk(), d.Runaway.Len())
	}
	(*made)[0].fail.Store(true)
	if h := d.Runaway.Head(10); len(h) != 0 || d.Err() == nil || !strings.Contains(d.Err().Error(), dir) {
		t.Errorf("failing reads: %d entries, Err %v; want none and an error naming %s", len(h), d.Err(), dir)
	}
	d.Release()
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left in the temp dir: %v", left)
	}
}
