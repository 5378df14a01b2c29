package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/tokcost/tokcost/ingest"
)

// Large files split where the format allows: a canonical JSONL file's
// lines stand alone, so a local, uncompressed one larger than SplitBytes
// is read as byte ranges of about that size, each on its own element.
// Range k reads the lines that START in [k·size, (k+1)·size): its first
// line is the first one starting at or after its start (the line under
// way there belongs to the range before), so every line is read exactly
// once whatever the range size.
//
// Each range goes through ingest.Run, the CLI's entry point, with the
// format forced to jsonl (the whole file was detected as jsonl first). A
// range after the first is read behind one invalid line (rangePrefix),
// so that its first real line is never taken for what only an input's
// start may be: a byte-order mark, a compression header, or the opening
// of a report tokcost wrote (a line whose first key is schema_version and
// that names tokcost is a record mid-file, but makes a whole input be
// skipped). That line is counted out again (sink.dropFirst).
//
// Line numbers: a range's reader counts lines from the range's start. A
// record's line becomes start + its line in the range: for ordering, that
// is exactly the file's line order (a range holds at most as many lines as
// it has bytes, so range k's numbers stay below range k+1's start). The
// invalid lines shown as examples are renumbered from the file's start in
// the last step, from the line counts of the ranges before (joinRanges).
//
// Files read whole: compressed ones (gzip and zstd streams cannot be
// entered in the middle), other formats (their lines are not
// independent, or they are not lines), and remote ones (Beam's Go
// filesystems read objects from the start only; they are copied whole to
// the worker, localCopy).

// splitFn decides how each file is read: whole, or in ranges.
type splitFn struct {
	Format     string
	SplitBytes int64
}

func (fn *splitFn) ProcessElement(t fileTask, emit func(readTask)) error {
	size := fn.SplitBytes
	whole := readTask{Path: t.Path, Index: t.Index}
	if size <= 0 || strings.Contains(t.Path, "://") {
		emit(whole)
		return nil
	}
	st, err := os.Stat(t.Path)
	if err != nil || !st.Mode().IsRegular() || st.Size() <= size {
		emit(whole) // reading it says what is wrong, as the CLI does
		return nil
	}
	ok, err := splittable(t.Path, fn.Format)
	if err != nil || !ok {
		emit(whole)
		return nil
	}
	n := int((st.Size() + size - 1) / size)
	for k := range n {
		emit(readTask{Path: t.Path, Index: t.Index, Start: int64(k) * size, End: min(int64(k+1)*size, st.Size()), Part: k, Parts: n})
	}
	return nil
}

// splittable reports whether the CLI would read path as canonical JSONL,
// uncompressed: detected (or forced) as jsonl, and not a report tokcost
// wrote (which the CLI skips: checked by ingest.Run itself on the head).
func splittable(path, forced string) (bool, error) {
	src, err := ingest.OpenSource(path, 0, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = src.Close() }() // read only
	if src.Compression != "" {
		return false, nil
	}
	head := src.Head()
	name := forced
	if name == "" {
		f, err := ingest.Detect(path, head)
		if err != nil {
			return false, nil
		}
		name = f.Name()
	}
	if name != "jsonl" {
		return false, nil
	}
	res, err := ingest.Run([]string{"-"}, ingest.Options{Format: "jsonl", Stdin: bytes.NewReader(head)},
		func(ingest.FileResult, int) ingest.SinkFactory { return func() ingest.Sink { return discard{} } })
	if err != nil || len(res) != 1 || res[0].Skipped != "" {
		return false, err
	}
	return true, nil
}

type discard struct{}

func (discard) Record(*ingest.Record) {}
func (discard) Note(ingest.Note)      {}
func (discard) Lines(int64)           {}

// readRange reads the lines of t.Path that start in [t.Start, t.End)
// into sk.
func readRange(ctx context.Context, t readTask, sk *sink) ([]ingest.FileResult, error) {
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	from, err := lineStart(f, t.Start)
	if err != nil {
		return nil, err
	}
	to, err := lineStart(f, t.End)
	if err != nil {
		return nil, err
	}
	var r io.Reader = io.NewSectionReader(f, from, max(to-from, 0))
	sk.local, sk.lineBase = "-", t.Start
	if t.Part > 0 {
		r = io.MultiReader(strings.NewReader(rangePrefix), r)
		sk.lineBase--
		sk.dropFirst = true
	}
	return ingest.Run([]string{"-"}, ingest.Options{Format: "jsonl", Stdin: r, Context: ctx},
		func(ingest.FileResult, int) ingest.SinkFactory { return sk.factory })
}

// rangePrefix is the line a range after the first is read behind: not
// JSON, so the reader notes it invalid at line 1, and not blank, so no
// check of an input's start looks past it.
const rangePrefix = "x\n"

// lineStart is the offset of the first line of f starting at or after
// off: off itself when it is 0 or follows a newline, else the byte after
// the next newline (the file's size when there is none).
func lineStart(f *os.File, off int64) (int64, error) {
	if off <= 0 {
		return 0, nil
	}
	br := bufio.NewReaderSize(io.NewSectionReader(f, off-1, 1<<62), 64<<10)
	pos := off - 1
	for {
		chunk, err := br.ReadSlice('\n')
		pos += int64(len(chunk))
		if err == nil {
			return pos, nil
		}
		if errors.Is(err, io.EOF) {
			return pos, nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return 0, err
		}
	}
}
