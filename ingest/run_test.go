package ingest

import (
	"strings"
	"testing"
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
