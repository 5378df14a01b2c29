package store

import (
	"os"
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestRepeatedBlockBounded: an input that is a block of B distinct events
// of one session repeated R times hands Finish about B events, not B × R.
// Such an input is a decompression bomb: 20,000 lines repeated 500 times
// (10 M records, 894 MB) are a 102 KB `zstd -19` file, whose window
// (8 MiB) spans the block, unlike gzip's 32 KiB. Finish decodes a
// partition's stored events at once (88 bytes an event, plus its key)
// before it drops repeats, so every copy stored costs memory that no
// --memory-limit bounds: that file peaked at 2.0 GB of RSS under
// --memory-limit 64MiB with the repeat set at two generations of 4,096
// ids, 74 MB with 2^19 (which held the block). Here B = 20,000, R = 50:
// by hand, the first pass's 20,000 events are distinct and every later
// one repeats one of them (same session, id and output), so a bounded
// run hands back at most 20,000 events plus what a bounded set lets
// through; 2 × 20,000 is the limit asserted (1,000,000 fails).
//
// It fails with the default repeat set (4,096 ids a generation) and is
// a known defect without a small fix (reported by the session 10 review);
// run it with TOKCOST_KNOWN_DEFECTS=1.
func TestRepeatedBlockBounded(t *testing.T) {
	if os.Getenv("TOKCOST_KNOWN_DEFECTS") == "" {
		t.Skip("known defect (repeats of a block longer than the repeat set reach Finish): set TOKCOST_KNOWN_DEFECTS=1")
	}
	const block, passes = 20000, 50
	m := NewMemory()
	sink := m.Sink(0)
	line := int64(0)
	for range passes {
		for i := range block {
			line++
			sink.Record(&ingest.Record{SessionID: "one", ID: "e" + strconv.Itoa(i), Kind: ingest.KindLLM,
				Line: line, InputTokens: 100, OutputTokens: 10})
		}
	}
	m.Seal()
	sc := &Scratch{}
	events := 0
	for p := range m.Partitions() {
		for _, s := range mustPartition(t, m, p, sc) {
			events += len(s.Events)
		}
	}
	if events > 2*block {
		t.Errorf("Finish is handed %d events of %d distinct (%d copies of each); want at most %d", events, block, passes, 2*block)
	}
}
