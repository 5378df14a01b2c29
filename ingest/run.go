package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Options controls Run.
type Options struct {
	// Format forces a format by name; "" detects each input's format.
	Format string
	// Stdin is read for the input "-" (os.Stdin when nil).
	Stdin io.Reader
	// Map is the --map canonical=path field mapping handed to each Source.
	Map map[string]string
	// MaxLineBytes is the longest input line read (0: DefaultMaxLineBytes);
	// a longer one is an invalid line, read past in constant memory.
	MaxLineBytes int
	// MaxInputBytes, when positive, stops the run with an error once the
	// inputs, decompressed, hold more bytes than this in total.
	MaxInputBytes int64

	inputBytes *atomic.Int64 // bytes read so far, for MaxInputBytes
	// Context, when set, cancels the run: no input starts after it is
	// done, reads in progress fail, and Run returns its error.
	Context context.Context
	// Ignored, when set, receives how many entries below input
	// directories were not read because their names are not trace files'.
	Ignored *int64
	// Window, when set, keeps only records whose timestamp is in
	// [Since, Until): the others, and records without a readable
	// timestamp, are skipped with a reason (SkippedOutsideWindow,
	// SkippedNoTimestamp). Object-storage partitions (year=/month=/day=/
	// hour=, dt=) that lie wholly outside it are pruned without reading.
	Window Window
	// Remote, when set, receives what object-storage inputs came to.
	Remote *RemoteStats
	// Incremental, when set, leaves out what earlier runs read (a state
	// file) and records what this run reads (incremental.go).
	Incremental *Incremental
}

// FileResult says what Run made of one input.
type FileResult struct {
	Name        string `json:"name"`
	Format      string `json:"format"`
	Compression string `json:"compression,omitempty"`
	// Skipped says why the input was not read although that is fine: a
	// second name of a file read already, or a report or sessions table
	// tokcost wrote (reading it would count everything twice).
	Skipped string `json:"skipped,omitempty"`
	// Error says why a file found in an input directory could not be
	// read (unreadable, cut short, no reader recognises it): the run went
	// on without it, and the input was not clean.
	Error string `json:"error,omitempty"`
}

// Run reads every input (files, directories, "-") and feeds the sinks.
// Small uncompressed files (under one decoding chunk, 4 MiB) are read side
// by side, one per core: a directory of one file per session otherwise
// keeps a single core busy. Every other input (larger or compressed files,
// stdin, pipes) is read alone, on every core by its format, so memory
// stays about that of one input; stdin and pipes are opened only once
// every input before them has been read without error. Records carry
// their input's index, so the analysis does not depend on which input
// finished first. A missing or unreadable input named on the command
// line stops the run with an error naming it (the first such input in
// order), since a report over silently fewer files would mislead; a file
// found in a directory that cannot be opened or recognised is listed with
// FileResult.Error and the run goes on. Inputs Run does not read (see
// FileResult.Skipped) are listed too.
func Run(inputs []string, opt Options, newSink func(file FileResult, index int) SinkFactory) ([]FileResult, error) {
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	x, err := (&expansion{ctx: opt.Context, window: opt.Window}).expand(inputs)
	if err != nil {
		return nil, err
	}
	if opt.Incremental != nil {
		if err := x.incremental(opt.Incremental); err != nil {
			return nil, err
		}
	}
	if opt.Ignored != nil {
		*opt.Ignored = x.ignored
	}
	if opt.Remote != nil {
		*opt.Remote = x.remote
		for _, in := range x.inputs {
			if in.remote != nil {
				opt.Remote.Read++
			}
		}
	}
	paths := x.inputs
	var forced Format
	if opt.Format != "" {
		if forced, err = Lookup(opt.Format); err != nil {
			return nil, err
		}
	}
	if opt.MaxInputBytes > 0 {
		opt.inputBytes = new(atomic.Int64)
	}
	outs := make([]runOutcome, len(paths))
	workers := min(runtime.GOMAXPROCS(0), len(paths))
	if workers <= 1 {
		for i, p := range paths {
			if outs[i] = runOne(p, i, opt, forced, newSink, nil); outs[i].err != nil {
				break
			}
		}
		return collectOutcomes(opt.Context, outs)
	}
	sc := newSchedule(len(paths))
	var wg sync.WaitGroup
	work := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range work {
				outs[i] = runOne(paths[i], i, opt, forced, newSink, sc)
				close(sc.done[i])
			}
		})
	}
	for i := range paths {
		if sc.failedBefore(i) || opt.Context.Err() != nil {
			break
		}
		work <- i
	}
	close(work)
	wg.Wait()
	return collectOutcomes(opt.Context, outs)
}

// schedule coordinates the inputs Run reads side by side.
type schedule struct {
	wide   sync.RWMutex    // held shared by small files, alone by every other input
	failed atomic.Int64    // the lowest index that failed
	done   []chan struct{} // closed when input i is finished with
}

func newSchedule(n int) *schedule {
	sc := &schedule{done: make([]chan struct{}, n)}
	for i := range sc.done {
		sc.done[i] = make(chan struct{})
	}
	sc.failed.Store(int64(n))
	return sc
}

// failedBefore reports whether an input before i failed: i need not start.
func (sc *schedule) failedBefore(i int) bool { return sc.failed.Load() < int64(i) }

// fail records that input i failed.
func (sc *schedule) fail(i int) {
	for f := sc.failed.Load(); int64(i) < f && !sc.failed.CompareAndSwap(f, int64(i)); f = sc.failed.Load() {
	}
}

// runOutcome is what reading one input came to.
type runOutcome struct {
	ran bool
	res FileResult
	err error
}

// collectOutcomes lists the inputs' results in input order up to the first
// failure, and returns that failure; a cancelled run returns the
// context's error, whatever the inputs' errors (they follow from it).
func collectOutcomes(ctx context.Context, outs []runOutcome) ([]FileResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]FileResult, 0, len(outs))
	for _, o := range outs {
		if o.err != nil {
			return results, o.err
		}
		if !o.ran {
			break // after a failure: never started
		}
		results = append(results, o.res)
	}
	return results, nil
}

// wideInput is the size from which an input is decoded on every core by
// its format (more than one chunk) and so is read alone.
const wideInput = chunkSize

// runOne opens, detects and decodes input p. With a schedule, it waits
// for every earlier input before opening stdin or a pipe (which may block
// or never end), holds the schedule's lock shared while it reads a small
// uncompressed file and alone otherwise, does not start after an earlier
// input failed, and records its own failure before it lets others go.
func runOne(in input, i int, opt Options, forced Format, newSink func(FileResult, int) SinkFactory, sc *schedule) (out runOutcome) {
	p := in.path
	switch {
	case in.skip != "":
		return runOutcome{ran: true, res: FileResult{Name: p, Skipped: in.skip}}
	case in.fail != "":
		return runOutcome{ran: true, res: FileResult{Name: p, Error: in.fail}}
	case opt.Context.Err() != nil:
		return runOutcome{err: opt.Context.Err()}
	}
	// A file found in a directory that cannot be opened or recognised is
	// listed and the run goes on; named by the user, it is an error.
	failed := func(err error) runOutcome {
		if in.fromDir {
			return runOutcome{ran: true, res: FileResult{Name: p, Error: err.Error()}}
		}
		return runOutcome{ran: true, err: fmt.Errorf("read %s: %w", p, err)}
	}
	if sc != nil {
		if in.remote == nil && !in.regular {
			for j := range i {
				<-sc.done[j]
			}
		}
		if sc.failedBefore(i) {
			return runOutcome{}
		}
		defer func() {
			if out.err != nil {
				sc.fail(i) // before the deferred unlock below
			}
		}()
	}
	var src *Source
	var err error
	if in.remote != nil {
		src, err = openRemote(opt.Context, in.remote, i)
	} else {
		src, err = openSource(opt.Context, p, i, opt.Stdin)
	}
	if err != nil {
		return failed(unwrapPathErr(err))
	}
	defer func() { _ = src.Close() }() // read-only: nothing to lose
	if sc != nil {
		// A small compressed file may hold hundreds of megabytes, and the
		// span formats keep every span until their input ends: only small
		// uncompressed files share.
		if smallFile(src) {
			sc.wide.RLock()
			defer sc.wide.RUnlock()
		} else {
			sc.wide.Lock()
			defer sc.wide.Unlock()
		}
		if sc.failedBefore(i) {
			return runOutcome{}
		}
	}
	if what := tokcostOutput(src); what != "" {
		return runOutcome{ran: true, res: FileResult{Name: p, Skipped: what + " written by tokcost"}}
	}
	src.Map = opt.Map
	src.MaxLineBytes = opt.MaxLineBytes
	if opt.MaxInputBytes > 0 {
		src.limitInput(opt.MaxInputBytes, opt.inputBytes)
	}
	f := forced
	if f == nil {
		head := src.Head()
		switch f, err = Detect(p, head); {
		case err == nil:
		case len(head) == 0:
			// An empty file has no records to detect; it is not an error.
			return runOutcome{ran: true, res: FileResult{Name: p, Format: "empty"}}
		case len(bytes.TrimSpace(head)) == 0:
			// Blank lines as far as sniffing sees: the canonical reader
			// counts them, and accounts for anything after them.
			f = formats["jsonl"]
		default:
			if in.fromDir {
				return failed(errors.New("no reader recognises this file"))
			}
			return runOutcome{ran: true, err: err}
		}
	}
	res := FileResult{Name: p, Format: f.Name(), Compression: src.Compression}
	// Records reach the sinks as they are decoded: an error from here on
	// stops the run even for a file in a directory, since what was read
	// of it is already counted.
	src.Window = opt.Window
	if err := f.Decode(src, validating(src.Name, opt.Window, newSink(res, i))); err != nil {
		return runOutcome{ran: true, err: fmt.Errorf("read %s: %w", p, err)}
	}
	return runOutcome{ran: true, res: res}
}

// smallFile reports whether src is an uncompressed regular file of fewer
// than wideInput bytes, by the stat openSource made.
func smallFile(src *Source) bool {
	// An object streams over the network: latency, not cores, is what
	// reading many small ones side by side saves.
	return src.Compression == "" && (src.regular || src.remote != nil) && src.size < wideInput
}

// validating wraps a sink factory so every record any reader emits meets
// Validate; one that does not becomes an invalid note for its line.
// With a window set, records outside it are skipped, never analysed.
func validating(file string, w Window, newSink SinkFactory) SinkFactory {
	return func() Sink { return checkedSink{newSink(), file, w} }
}

type checkedSink struct {
	Sink
	file string
	win  Window
}

// Reasons of the records a Window leaves out (Note.Reason, NoteSkipped).
const (
	SkippedOutsideWindow = "outside --since/--until"
	SkippedNoTimestamp   = "no timestamp: cannot place in --since/--until"
	// SkippedUnread is the reason of rows a reader left unread because
	// its file's own statistics place every one outside the window
	// (Parquet row groups, by their timestamp column's minimum and
	// maximum): outside it like SkippedOutsideWindow, but not checked
	// otherwise, so an invalid row among them is counted here too.
	SkippedUnread = "outside --since/--until (not read: the file's statistics place the rows outside)"
)

// outside reports why r falls outside s's window ("" when it is inside or
// there is no window).
func (s checkedSink) outside(r *Record) string {
	if s.win.Since.IsZero() && s.win.Until.IsZero() {
		return ""
	}
	if r.TSNano == 0 || r.TSUnreadable {
		return SkippedNoTimestamp
	}
	if !s.win.Since.IsZero() && r.TSNano < s.win.Since.UnixNano() {
		return SkippedOutsideWindow
	}
	if !s.win.Until.IsZero() && r.TSNano >= s.win.Until.UnixNano() {
		return SkippedOutsideWindow
	}
	return ""
}

// skip accounts for a record the window leaves out.
func (s checkedSink) skip(r *Record, why string) {
	file := r.File
	if file == "" {
		file = s.file
	}
	s.Sink.Note(Note{Kind: NoteSkipped, File: file, Line: r.Line, Reason: why, SameUnit: r.SameUnit})
}

// BorrowsIDs passes on the wrapped sink's declaration: validation keeps
// nothing.
func (s checkedSink) BorrowsIDs() bool { return BorrowsIDs(s.Sink) }

// recordValidated takes a record its reader validated as it decoded it
// (canonical JSONL): Validate would only repeat the work.
func (s checkedSink) recordValidated(r *Record) {
	if why := s.outside(r); why != "" {
		s.skip(r, why)
		return
	}
	s.Sink.Record(r)
}

// RecordBatch takes rows a reader validated as it decoded them (every
// row of a Batch is valid): to a sink that takes batches at once when no
// window is set, else a record at a time, each placed in the window.
func (s checkedSink) RecordBatch(b *Batch) {
	if s.win.Since.IsZero() && s.win.Until.IsZero() {
		RecordRows(s.Sink, b, &Record{})
		return
	}
	var r Record
	for k := 0; k < b.N; k++ {
		b.Record(k, &r)
		s.recordValidated(&r)
	}
}

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
	if why := s.outside(r); why != "" {
		s.skip(r, why)
		return
	}
	s.Sink.Record(r)
}

// errInputTooLarge is the error of a run whose inputs exceed
// Options.MaxInputBytes.
var errInputTooLarge = errors.New("input larger than --max-input-bytes")

// limitInput makes reading fail with errInputTooLarge once the run's
// inputs, decompressed, exceed limit bytes (total counts all inputs).
// The bytes sniffing already buffered count too.
func (s *Source) limitInput(limit int64, total *atomic.Int64) {
	s.R = bufio.NewReaderSize(&limitedReader{r: s.R, limit: limit, total: total}, 1<<20)
}

type limitedReader struct {
	r     io.Reader
	limit int64
	total *atomic.Int64
	over  bool
}

// Read fails once the total passed the limit, so even a read that only
// fills the sniffing buffer leaves the error for the decoder to meet.
func (l *limitedReader) Read(p []byte) (int, error) {
	if l.over || l.total.Load() > l.limit {
		l.over = true
		return 0, fmt.Errorf("%w (%d bytes)", errInputTooLarge, l.limit)
	}
	n, err := l.r.Read(p)
	if l.total.Add(int64(n)) > l.limit {
		l.over = true
		return n, nil
	}
	return n, err
}
