package store

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestGenerationSpillWriteFails: retire's doc promises that when the spill
// file cannot be written the generation stays in memory and the results
// stay exact. The file here is opened read-only, so every write to it
// fails (as on a full disk); the records are small enough to sit in the
// spill writer's buffer, so the failure shows only when it is flushed.
// Before the fix the flush at the end of retire panicked ("flushing the
// spill file") although every record was still in memory or on disk.
// Expected, derived from the promise and not from the program: the same
// partitions as the in-memory store (compared by resolve, texts as
// texts), 500 sessions (s0…s499: record k is in session k mod 500),
// SpillErr set, no generation retired (none could be written), no panic.
// The 2 KiB state budget is passed after about a dozen sessions (each
// costs at least 120 bytes), so retire is reached within the first
// records, long before the 64 KiB of records would make spillAll run.
func TestGenerationSpillWriteFails(t *testing.T) {
	dir := t.TempDir()
	feed := func(m *Memory) {
		sk := m.Sink(0)
		for k := range 4000 {
			r := ingest.Record{SessionID: "s" + strconv.Itoa(k%500), ID: "e" + strconv.Itoa(k), Line: int64(k + 1),
				Kind: ingest.KindLLM, OutputTokens: int64(k % 7)}
			sk.Record(&r)
		}
		sk.Lines(4000)
	}
	mem := NewMemory()
	feed(mem)
	sp := NewSpilling(SpillOptions{Limit: 64 << 10, SessionState: 2 << 10, Dir: dir,
		Create: func(dir string) (*os.File, error) {
			name := filepath.Join(dir, "ro")
			if err := os.WriteFile(name, nil, 0o600); err != nil {
				return nil, err
			}
			return os.Open(name) // read-only: writes fail
		}})
	feed(sp)
	mem.Seal()
	sp.Seal()
	if sp.SpillErr() == nil {
		t.Errorf("no spill error reported")
	}
	if g := sp.Generations(); g != 0 {
		t.Errorf("%d generations retired into an unwritable file", g)
	}
	var sw, sg Scratch
	total := 0
	for p := range partitions {
		pw := resolve(mustPartition(t, mem, p, &sw), sw.Strings)
		pg := resolve(mustPartition(t, sp, p, &sg), sg.Strings)
		if !reflect.DeepEqual(pw, pg) {
			t.Fatalf("partition %d differs", p)
		}
		total += len(pw)
	}
	if total != 500 {
		t.Errorf("%d sessions, want 500", total)
	}
	mem.Release()
	sp.Release()
}
