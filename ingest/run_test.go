package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// badFormat emits one record per line as the line describes, standing in
// for a reader that forgets a check.
type badFormat struct{}

func (badFormat) Name() string              { return "test-bad" }
func (badFormat) Describe() string          { return "test only" }
func (badFormat) Sniff(string, []byte) bool { return false }
func (badFormat) Decode(src *Source, newSink SinkFactory) error {
	sink := newSink()
	n, err := EachLine(src.R, func(line []byte, no int64) error {
		r := Record{SessionID: "s", Kind: KindLLM, File: src.Name, Line: no}
		switch string(line) {
		case "huge":
			r.InputTokens = 99_999_999_999 // would be $10,737 clamped to 2³²−1 at $2.50/MTok
		case "negative":
			r.OutputTokens = -5
		case "exclusive":
			r.InputTokens, r.CacheReadTokens = 3, 1000
		case "nosession":
			r.SessionID = ""
		default:
			r.InputTokens = 10
		}
		sink.Record(&r)
		return nil
	})
	sink.Lines(n)
	return err
}

func init() { Register(badFormat{}, 1000) }

func TestRunValidatesEveryReader(t *testing.T) {
	c := &collect{}
	_, err := Run([]string{"-"}, Options{Format: "test-bad", Stdin: strings.NewReader("ok\nhuge\nnegative\nexclusive\nnosession\n")},
		func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	if err != nil {
		t.Fatal(err)
	}
	// Five lines: the first is valid; each other breaks one invariant.
	want := map[int64]string{2: "token count too large", 3: "negative token count",
		4: "cache tokens exceed input_tokens (input must include cache reads and writes)", 5: "missing session_id"}
	if len(c.recs) != 1 || c.recs[0].Line != 1 || len(c.notes) != 4 {
		t.Fatalf("records %d notes %d", len(c.recs), len(c.notes))
	}
	for _, n := range c.notes {
		if n.Kind != NoteInvalid || n.Reason != want[n.Line] || n.File != "-" {
			t.Errorf("note %+v, want reason %q", n, want[n.Line])
		}
	}
}

func TestRunBlankOnlyInputCountsBlanks(t *testing.T) {
	// Longer than what sniffing sees (64 KiB): still blank lines.
	big := &collect{}
	if _, err := Run([]string{"-"}, Options{Stdin: strings.NewReader(strings.Repeat(" ", 70000) + "\n\n")},
		func(FileResult, int) SinkFactory { return func() Sink { return collectSink{big} } }); err != nil || big.lines != 2 {
		t.Fatalf("70,000 spaces and a blank line: err %v, lines %d, want 2", err, big.lines)
	}

	c := &collect{}
	res, err := Run([]string{"-"}, Options{Stdin: strings.NewReader("\n\n  \n")},
		func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	// Three blank lines: accounted as blank by the canonical reader, not an
	// error that would stop a directory's other files from being read.
	if err != nil || len(res) != 1 || res[0].Format != "jsonl" || c.lines != 3 || len(c.notes) != 3 {
		t.Fatalf("err %v res %+v lines %d notes %d", err, res, c.lines, len(c.notes))
	}
}

func TestRunSkipsByteOrderMark(t *testing.T) {
	c := &collect{}
	_, err := Run([]string{"-"}, Options{Stdin: strings.NewReader("\xef\xbb\xbf" + `{"session_id":"a","kind":"llm","input_tokens":1}` + "\n")},
		func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	// One line, one record: the BOM does not make line 1 malformed.
	if err != nil || len(c.recs) != 1 || len(c.notes) != 0 || c.lines != 1 {
		t.Fatalf("err %v records %d notes %+v lines %d", err, len(c.recs), c.notes, c.lines)
	}
}

// concFormat records how inputs are read side by side: how many decode at
// once, and whether anything else decodes while a wide input does.
type concFormat struct{}

var conc struct {
	mu          sync.Mutex
	active      int
	wideActive  bool
	overlapWide bool // something decoded alongside a wide input
	maxActive   int
	decoded     map[string]int
}

func (concFormat) Name() string              { return "test-concurrency" }
func (concFormat) Describe() string          { return "test only" }
func (concFormat) Sniff(string, []byte) bool { return false }
func (concFormat) Decode(src *Source, newSink SinkFactory) error {
	// Wide by the rule, worked out here on its own: compressed, or a chunk
	// or more on disk.
	st, err := os.Stat(src.Name)
	wide := strings.HasSuffix(src.Name, ".gz") || err != nil || st.Size() >= wideInput
	conc.mu.Lock()
	if conc.wideActive || wide && conc.active > 0 {
		conc.overlapWide = true
	}
	conc.active++
	conc.wideActive = conc.wideActive || wide
	conc.maxActive = max(conc.maxActive, conc.active)
	conc.decoded[src.Name]++
	conc.mu.Unlock()
	n, err := EachLine(src.R, func([]byte, int64) error { return nil })
	newSink().Lines(n)
	conc.mu.Lock()
	conc.active--
	if wide {
		conc.wideActive = false
	}
	conc.mu.Unlock()
	return err
}

func init() { Register(concFormat{}, 1000) }

// TestRunSmallInputsSideBySide: small inputs are read concurrently, a wide
// one (a chunk or more) alone; every input is read once and results come
// in input order.
func TestRunSmallInputsSideBySide(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	dir := t.TempDir()
	var paths []string
	for i := range 40 {
		size := 1000
		if i == 10 || i == 25 {
			size = wideInput + 1
		}
		p := filepath.Join(dir, fmt.Sprintf("in-%02d.jsonl", i))
		body := bytes.Repeat([]byte("x\n"), size/2+1)
		if i%7 == 3 { // small on disk but compressed: may hold far more, so read alone
			p += ".gz"
			var zb bytes.Buffer
			zw := gzip.NewWriter(&zb)
			zw.Write(body)
			zw.Close()
			body = zb.Bytes()
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths) // the order ExpandInputs lists a directory in
	conc.decoded = map[string]int{}
	var lines atomic.Int64
	results, err := Run([]string{dir}, Options{Format: "test-concurrency"}, func(FileResult, int) SinkFactory {
		return func() Sink { return lineCounter{&lines} }
	})
	if err != nil {
		t.Fatal(err)
	}
	if conc.overlapWide {
		t.Error("a wide input was read alongside another")
	}
	if len(results) != len(paths) {
		t.Fatalf("%d results for %d inputs", len(results), len(paths))
	}
	for i, r := range results {
		if r.Name != paths[i] || conc.decoded[paths[i]] != 1 {
			t.Errorf("result %d: %s (decoded %d times), want %s once", i, r.Name, conc.decoded[paths[i]], paths[i])
		}
	}
	t.Logf("at most %d inputs at once", conc.maxActive)
}

type lineCounter struct{ n *atomic.Int64 }

func (lineCounter) Record(*Record)  {}
func (lineCounter) Note(Note)       {}
func (c lineCounter) Lines(n int64) { c.n.Add(n) }

// TestRunOpensStdinOnlyAfterEarlierInputs: stdin (or a pipe) may block or
// never end, so it is not opened while an earlier input may still fail,
// and not at all once one has.
func TestRunOpensStdinOnlyAfterEarlierInputs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	paths := writeInputs(t, 6, func(i int, line []byte) []byte {
		if i != 4 {
			return line
		}
		// A truncated gzip: it fails only once read to its end, so stdin
		// comes up while it is still being read.
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		zw.Write(bytes.Repeat(line, 200_000))
		zw.Close()
		return zb.Bytes()[:zb.Len()-100]
	})
	stdin := &neverReader{}
	done := make(chan error, 1)
	go func() {
		_, err := Run(append(paths, "-"), Options{Stdin: stdin}, func(FileResult, int) SinkFactory {
			return func() Sink { return lineCounter{new(atomic.Int64)} }
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), paths[4]) {
			t.Fatalf("error %v, want one naming %s", err, paths[4])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run waited on stdin after an earlier input failed")
	}
	if stdin.reads.Load() != 0 {
		t.Fatal("stdin was read after an earlier input failed")
	}
}

// neverReader is a stdin that never delivers: reading it blocks forever.
type neverReader struct{ reads atomic.Int64 }

func (r *neverReader) Read([]byte) (int, error) {
	r.reads.Add(1)
	select {}
}

// TestRunStopsAtFirstFailure: whichever input finishes first, the error
// names the first input in order that cannot be read, and the results
// list the inputs before it.
func TestRunStopsAtFirstFailure(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	paths := writeInputs(t, 30, func(i int, line []byte) []byte {
		if i == 7 || i == 20 {
			return []byte{0x1f, 0x8b, 'n', 'o', 't', 'g', 'z', 'i', 'p'} // gzip magic, no gzip
		}
		return line
	})
	for range 20 {
		results, err := Run(paths, Options{}, func(FileResult, int) SinkFactory {
			return func() Sink { return lineCounter{new(atomic.Int64)} }
		})
		if err == nil || !strings.Contains(err.Error(), paths[7]) {
			t.Fatalf("error %v, want one naming %s", err, paths[7])
		}
		if len(results) != 7 || results[6].Name != paths[6] {
			t.Fatalf("%d results (%v), want the 7 inputs before the failure", len(results), results)
		}
	}
}

// writeInputs writes n inputs of one canonical line each, or of what body
// makes of that line for input i, and returns their paths in order.
func writeInputs(t *testing.T, n int, body func(i int, line []byte) []byte) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("in-%02d.jsonl", i))
		if err := os.WriteFile(p, body(i, []byte(`{"session_id":"s","input_tokens":1}`+"\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}
