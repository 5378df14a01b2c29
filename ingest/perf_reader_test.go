package ingest

import (
	"bufio"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// TestSmallInputOneSink: an input that fits in one chunk is decoded with
// one sink, not one per core; a directory of thousands of small files
// would otherwise make thousands of idle sinks. A multi-chunk input still
// gets one per core.
func TestSmallInputOneSink(t *testing.T) {
	count := func(input string) (sinks int, recs int) {
		c := &collect{}
		var n atomic.Int32
		src := &Source{Name: "in.jsonl", R: bufio.NewReader(strings.NewReader(input))}
		err := (jsonlFormat{}).Decode(src, func() Sink { n.Add(1); return collectSink{c} })
		if err != nil {
			t.Fatal(err)
		}
		return int(n.Load()), len(c.recs)
	}
	line := `{"session_id":"s","model":"m","input_tokens":1}` + "\n"
	if sinks, recs := count(strings.Repeat(line, 3)); sinks != 1 || recs != 3 {
		t.Errorf("small input: %d sinks, %d records; want 1, 3", sinks, recs)
	}
	n := 2*chunkSize/len(line) + 1 // three chunks
	if sinks, recs := count(strings.Repeat(line, n)); sinks != runtime.GOMAXPROCS(0) || recs != n {
		t.Errorf("large input: %d sinks, %d records; want %d, %d", sinks, recs, runtime.GOMAXPROCS(0), n)
	}
}
