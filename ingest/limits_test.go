package ingest

import (
	"bufio"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

const okLine = `{"session_id":"s","kind":"llm","model":"gpt-4o","input_tokens":10,"output_tokens":1}`

// byteStream yields n copies of b, then EOF: a long input without holding it.
type byteStream struct {
	b byte
	n int64
}

func (s *byteStream) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), s.n))
	for i := range k {
		p[i] = s.b
	}
	s.n -= int64(k)
	return k, nil
}

func TestMaxLineBytesJSONL(t *testing.T) {
	// Line 2 (10 MiB, longer than a 4 MiB chunk) is read past by the
	// splitter; line 4 (2 KiB, inside a chunk) by the decoder; line 6
	// ends the input without a newline. Limit 1 KiB: okLine (84 bytes)
	// and the blank line 5 stay.
	in := io.MultiReader(
		strings.NewReader(okLine+"\n"),
		&byteStream{'x', 10 << 20}, strings.NewReader("\n"+okLine+"\n"+strings.Repeat("y", 2048)+"\n\n"),
		&byteStream{'z', 5 << 20})
	c := &collect{}
	_, err := Run([]string{"-"}, Options{Format: "jsonl", Stdin: in, MaxLineBytes: 1 << 10},
		func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
	if err != nil {
		t.Fatal(err)
	}
	if len(c.recs) != 2 || c.recs[0].Line != 1 || c.recs[1].Line != 3 {
		t.Fatalf("records %+v, want lines 1 and 3", c.recs)
	}
	long := map[int64]bool{}
	for _, n := range c.notes {
		if n.Kind == NoteInvalid && n.Reason == ReasonLineTooLong {
			long[n.Line] = true
		}
	}
	if len(long) != 3 || !long[2] || !long[4] || !long[6] || len(c.notes) != 4 || c.lines != 6 {
		t.Fatalf("notes %+v, lines %d; want too long at 2, 4, 6, a blank, 6 lines", c.notes, c.lines)
	}
}

// allocDuring reports the bytes allocated while fn ran.
func allocDuring(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func TestLongLineReadInConstantMemory(t *testing.T) {
	// 512 MiB of one line: before the limit each reader grew a buffer to
	// hold it whole (over 512 MiB allocated); now it costs the 4 MiB
	// chunk (JSONL) or the 1 MiB read buffer plus the line limit.
	const size = 512 << 20
	for _, format := range []string{"jsonl", "test-lines"} {
		c := &collect{}
		var err error
		got := allocDuring(func() {
			_, err = Run([]string{"-"}, Options{Format: format, Stdin: &byteStream{0, size}, MaxLineBytes: 1 << 20},
				func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
		})
		if err != nil {
			t.Fatal(err)
		}
		if got > 64<<20 || c.lines != 1 || len(c.notes) != 1 || c.notes[0].Reason != ReasonLineTooLong {
			t.Errorf("%s: allocated %d MiB (want under 64), lines %d, notes %+v", format, got>>20, c.lines, c.notes)
		}
	}
}

func TestSourceEachLineLimit(t *testing.T) {
	// Lines of 3, 12 and 5 bytes with a 5-byte limit and a 16-byte
	// buffer: the second is too long (and spans buffer refills).
	src := &Source{R: bufio.NewReaderSize(strings.NewReader("abc\n"+strings.Repeat("x", 12)+"\r\nhello"), 16), MaxLineBytes: 5}
	var got []string
	var long []int64
	n, err := src.EachLine(func(l []byte, n int64) error { got = append(got, string(l)); return nil },
		func(n int64) { long = append(long, n) })
	if err != nil || n != 3 || strings.Join(got, ",") != "abc,hello" || len(long) != 1 || long[0] != 2 {
		t.Fatalf("n %d err %v lines %q long %v", n, err, got, long)
	}
}

func TestMaxInputBytes(t *testing.T) {
	// 3 lines of 85 bytes (okLine, 84 bytes, and a newline) = 255 bytes:
	// a limit of 255 passes, 254 stops the run.
	in := strings.Repeat(okLine+"\n", 3)
	for _, tc := range []struct {
		limit int64
		fail  bool
	}{{255, false}, {254, true}} {
		c := &collect{}
		_, err := Run([]string{"-"}, Options{Stdin: strings.NewReader(in), MaxInputBytes: tc.limit},
			func(FileResult, int) SinkFactory { return func() Sink { return collectSink{c} } })
		if errors.Is(err, errInputTooLarge) != tc.fail {
			t.Errorf("limit %d: err %v", tc.limit, err)
		}
	}
}

// linesFormat notes every line it is handed and counts them, reading
// through Source.EachLine as the line-based readers do.
type linesFormat struct{}

func (linesFormat) Name() string              { return "test-lines" }
func (linesFormat) Describe() string          { return "test only" }
func (linesFormat) Sniff(string, []byte) bool { return false }
func (linesFormat) Decode(src *Source, newSink SinkFactory) error {
	sink := newSink()
	n, err := src.EachLine(func(line []byte, no int64) error {
		sink.Note(Note{Kind: NoteSkipped, File: src.Name, Line: no})
		return nil
	}, func(no int64) {
		sink.Note(Note{Kind: NoteInvalid, File: src.Name, Line: no, Reason: ReasonLineTooLong})
	})
	sink.Lines(n)
	return err
}

func init() { Register(linesFormat{}, 1001) }

// Values past the bounds are invalid with a reason, in both decoders:
// two costs of 1e308 summed to +Inf; 500 years between timestamps made
// a negative duration in int64 nanoseconds; duration_ms 1e13 overflowed.
func TestValueBounds(t *testing.T) {
	for _, tt := range []struct{ line, reason string }{
		{`{"session_id":"s","model":"m","cost_usd":1e308}`, "cost_usd too large (over $1,000,000 for one call)"},
		{`{"session_id":"s","model":"m","cost_usd":1000000.01}`, "cost_usd too large (over $1,000,000 for one call)"},
		{`{"session_id":"s","tool":"t","duration_ms":1e13}`, "duration_ms too large (over a year)"},
		// 365 days = 31,536,000,000 ms; one more is over.
		{`{"session_id":"s","tool":"t","duration_ms":31536000001}`, "duration_ms too large (over a year)"},
	} {
		for _, noFast := range []bool{false, true} {
			var s lastSink
			d := newLineDecoder("f", &s)
			d.noFast = noFast
			d.decodeLine([]byte(tt.line), 1)
			if s.rec != nil || len(s.notes) != 1 || s.notes[0].Reason != tt.reason {
				t.Errorf("noFast=%v %s: record %v notes %+v, want %q", noFast, tt.line, s.rec != nil, s.notes, tt.reason)
			}
		}
	}
	// A time outside 1970–2200 is dropped, never the record (a bad time
	// is an unordered record, not an invalid one: its tokens still count).
	// 2200-01-01 is 7,258,118,400 s after the epoch (date -d @7258118400).
	for _, line := range []string{
		`{"session_id":"s","tool":"t","ts":"2250-01-01T00:00:00Z"}`,
		`{"session_id":"s","tool":"t","ts":"1969-12-31T23:59:59Z"}`,
		`{"session_id":"s","tool":"t","ts":7258118400000}`,
		`{"session_id":"s","tool":"t","ts":1e14}`,
	} {
		for _, noFast := range []bool{false, true} {
			var s lastSink
			d := newLineDecoder("f", &s)
			d.noFast = noFast
			d.decodeLine([]byte(line), 1)
			if s.rec == nil || len(s.notes) != 0 || s.rec.TSNano != 0 || !s.rec.TSUnreadable {
				t.Errorf("noFast=%v %s: record %+v notes %+v, want the record kept without its time", noFast, line, s.rec, s.notes)
			}
		}
	}
	// At the bounds: accepted.
	for _, line := range []string{
		`{"session_id":"s","model":"m","cost_usd":1000000}`,
		`{"session_id":"s","tool":"t","duration_ms":31536000000,"ts":"2199-12-31T23:59:59Z"}`,
		`{"session_id":"s","tool":"t","ts":7258118399999}`,
	} {
		var s lastSink
		d := newLineDecoder("f", &s)
		d.decodeLine([]byte(line), 1)
		if s.rec == nil {
			t.Errorf("%s: rejected %+v", line, s.notes)
		}
	}
}
