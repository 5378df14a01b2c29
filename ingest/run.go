package ingest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// Options controls Run.
type Options struct {
	// Format forces a format by name; "" detects each input's format.
	Format string
	// Stdin is read for the input "-" (os.Stdin when nil).
	Stdin io.Reader
	// Map is the --map canonical=path field mapping handed to each Source.
	Map map[string]string
}

// FileResult says what Run made of one input.
type FileResult struct {
	Name        string `json:"name"`
	Format      string `json:"format"`
	Compression string `json:"compression,omitempty"`
}

// Run reads every input (files, directories, "-") and feeds the sinks.
// Inputs are read one after another; a format may decode one input on
// several cores. A missing or unreadable input stops the run with an error
// naming it, since a report over silently fewer files would mislead.
func Run(inputs []string, opt Options, newSink func(file FileResult, index int) SinkFactory) ([]FileResult, error) {
	paths, err := ExpandInputs(inputs)
	if err != nil {
		return nil, err
	}
	var forced Format
	if opt.Format != "" {
		if forced, err = Lookup(opt.Format); err != nil {
			return nil, err
		}
	}
	results := make([]FileResult, 0, len(paths))
	for i, p := range paths {
		src, err := OpenSource(p, i, opt.Stdin)
		if err != nil {
			return results, fmt.Errorf("read %s: %w", p, unwrapPathErr(err))
		}
		src.Map = opt.Map
		f := forced
		if f == nil {
			head := src.Head()
			switch f, err = Detect(p, head); {
			case err == nil:
			case len(head) == 0:
				// An empty file has no records to detect; it is not an error.
				src.Close()
				results = append(results, FileResult{Name: p, Format: "empty"})
				continue
			case len(bytes.TrimSpace(head)) == 0:
				// Blank lines as far as sniffing sees: the canonical reader
				// counts them, and accounts for anything after them.
				f = formats["jsonl"]
			default:
				src.Close()
				return results, err
			}
		}
		res := FileResult{Name: p, Format: f.Name(), Compression: src.Compression}
		err = f.Decode(src, validating(src.Name, newSink(res, i)))
		src.Close()
		if err != nil {
			return results, fmt.Errorf("read %s: %w", p, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// StdinIsTerminal reports whether stdin is an interactive terminal, so the
// CLI can refuse to wait on "-" typed by mistake.
func StdinIsTerminal() bool {
	st, err := os.Stdin.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// validating wraps a sink factory so every record any reader emits meets
// Validate; one that does not becomes an invalid note for its line.
func validating(file string, newSink SinkFactory) SinkFactory {
	return func() Sink { return checkedSink{newSink(), file} }
}

type checkedSink struct {
	Sink
	file string
}

// BorrowsIDs passes on the wrapped sink's declaration: validation keeps
// nothing.
func (s checkedSink) BorrowsIDs() bool { return BorrowsIDs(s.Sink) }

// recordValidated takes a record its reader validated as it decoded it
// (canonical JSONL): Validate would only repeat the work.
func (s checkedSink) recordValidated(r *Record) { s.Sink.Record(r) }

func (s checkedSink) Record(r *Record) {
	if ferr := Validate(r); ferr != nil {
		detail := ferr.Field
		if strings.Contains(ferr.Reason, ferr.Field) {
			detail = ""
		}
		file := r.File
		if file == "" {
			file = s.file
		}
		s.Sink.Note(Note{Kind: NoteInvalid, File: file, Line: r.Line, Reason: ferr.Reason, Detail: detail, SameUnit: r.SameUnit})
		return
	}
	s.Sink.Record(r)
}
