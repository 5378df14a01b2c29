package otel

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// collectSink keeps what a decoder produces.
type collectSink struct {
	recs  []ingest.Record
	notes []ingest.Note
	lines int64
}

func (s *collectSink) Record(r *ingest.Record) {
	c := *r
	if r.Attrs != nil {
		c.Attrs = make(map[string]string, len(r.Attrs))
		for k, v := range r.Attrs {
			c.Attrs[k] = v
		}
	}
	s.recs = append(s.recs, c)
}
func (s *collectSink) Note(n ingest.Note) { s.notes = append(s.notes, n) }
func (s *collectSink) Lines(n int64)      { s.lines += n }

func (s *collectSink) count(kind ingest.NoteKind) int {
	n := 0
	for _, x := range s.notes {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

// totals sums what the tests assert on.
type totals struct {
	sessions, llm, tools, errors           int
	in, out, cacheRead, cacheWrite, reason int64
}

func (s *collectSink) totals() totals {
	var t totals
	sess := map[string]bool{}
	for _, r := range s.recs {
		sess[r.SessionID] = true
		switch r.Kind {
		case ingest.KindLLM:
			t.llm++
		case ingest.KindTool:
			t.tools++
		}
		if r.Status != ingest.StatusOK {
			t.errors++
		}
		t.in += r.InputTokens
		t.out += r.OutputTokens
		t.cacheRead += r.CacheReadTokens
		t.cacheWrite += r.CacheWriteTokens
		t.reason += r.ReasoningTokens
	}
	t.sessions = len(sess)
	return t
}

// checkUnits asserts the accounting invariant: every unit read is one
// record or one note.
func (s *collectSink) checkUnits(t *testing.T) {
	t.Helper()
	if got := int64(len(s.recs) + len(s.notes)); got != s.lines {
		t.Errorf("units: %d records + %d notes = %d, Lines = %d", len(s.recs), len(s.notes), got, s.lines)
	}
}

// decodeFile runs format f over a file.
func decodeFile(t testing.TB, f ingest.Format, path string) *collectSink {
	t.Helper()
	src, err := ingest.OpenSource(path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return decodeSource(t, f, src)
}

func decodeSource(t testing.TB, f ingest.Format, src *ingest.Source) *collectSink {
	t.Helper()
	sink := &collectSink{}
	if err := f.Decode(src, func() ingest.Sink { return sink }); err != nil {
		t.Fatal(err)
	}
	return sink
}

func mustLookup(t testing.TB, name string) ingest.Format {
	t.Helper()
	f, err := ingest.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
