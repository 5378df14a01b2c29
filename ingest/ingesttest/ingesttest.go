// Package ingesttest holds what the format readers' tests share: a sink
// that keeps everything, a decode helper, and the accounting check every
// reader must pass.
package ingesttest

import (
	"bufio"
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// Sink keeps copies of everything a decoder gives it. It is for one
// decoding goroutine.
type Sink struct {
	Recs  []ingest.Record
	Notes []ingest.Note
	Units int64 // the sum of Lines calls: lines, or spans/messages/rows
}

func (s *Sink) Record(r *ingest.Record) {
	cp := *r
	cp.Attrs = maps.Clone(r.Attrs)
	s.Recs = append(s.Recs, cp)
}
func (s *Sink) Note(n ingest.Note) { s.Notes = append(s.Notes, n) }
func (s *Sink) Lines(n int64)      { s.Units += n }

// Count is how many notes of one kind the decoder gave.
func (s *Sink) Count(k ingest.NoteKind) int {
	n := 0
	for _, x := range s.Notes {
		if x.Kind == k {
			n++
		}
	}
	return n
}

// Decode runs f over data as if it were the file name.
func Decode(t testing.TB, f ingest.Format, name string, data []byte) *Sink {
	t.Helper()
	s := &Sink{}
	src := &ingest.Source{Name: name, R: bufio.NewReader(bytes.NewReader(data))}
	if err := f.Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return s
}

// CheckAccounting asserts the invariant every reader keeps, unit by unit:
// units = units with records + duplicate + invalid + blank + skipped, with
// exactly one note for each unit that has no record and none for a unit
// that has (units are numbered 1…want in Record.Line and Note.Line).
func CheckAccounting(t testing.TB, s *Sink, want int64) {
	t.Helper()
	if s.Units != want {
		t.Errorf("units = %d, want %d", s.Units, want)
	}
	withRecs := map[int64]bool{}
	for _, r := range s.Recs {
		withRecs[r.Line] = true
	}
	noted := map[int64]int{}
	for _, n := range s.Notes {
		noted[n.Line]++
		if withRecs[n.Line] {
			t.Errorf("unit %d has records and a %v note %q", n.Line, n.Kind, n.Reason)
		}
		if n.Line < 1 || n.Line > want {
			t.Errorf("note for unit %d, out of range 1…%d", n.Line, want)
		}
	}
	for ln, k := range noted {
		if k != 1 {
			t.Errorf("unit %d has %d notes", ln, k)
		}
	}
	if got := int64(len(withRecs) + len(s.Notes)); got != want {
		t.Errorf("units with records %d + notes %d = %d, want %d", len(withRecs), len(s.Notes), got, want)
	}
}

// nopSink drops everything: what a decoding benchmark measures is the
// decoder alone.
type nopSink struct{}

func (nopSink) Record(*ingest.Record) {}
func (nopSink) Note(ingest.Note)      {}
func (nopSink) Lines(int64)           {}

// BenchmarkDecode decodes every file matching glob with f, all of them per
// iteration, reporting bytes per second and allocations.
func BenchmarkDecode(b *testing.B, f ingest.Format, glob string) {
	files, _ := filepath.Glob(glob)
	var data [][]byte
	size := 0
	for _, name := range files {
		d, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		for i, d := range data {
			src := &ingest.Source{Name: files[i], R: bufio.NewReader(bytes.NewReader(d))}
			if err := f.Decode(src, func() ingest.Sink { return nopSink{} }); err != nil {
				b.Fatal(err)
			}
		}
	}
}
