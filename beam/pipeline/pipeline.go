// Package pipeline is tokcost's analysis as an Apache Beam pipeline:
// match input files → read each with tokcost's own readers → key every
// record by session id → GroupByKey → the analysis and report.
//
// The reading (the costly part: decoding JSON, spans, Parquet) runs on as
// many workers as the runner gives it, one file per element. Every
// record crosses the shuffle with its input position (file index, line,
// record within the line), so the analysis sees exactly what the CLI sees
// however the runner ordered the work: duplicates across files are
// dropped by the same rule, sessions are ordered by the same tie-breaks.
//
// Limit (stated, not hidden): the per-session analysis and the report run
// in one final step, on one worker, through the CLI's own code path
// (analyze.Collector.FinishSummaries and report.Build). That worker holds every
// session in tokcost's compact store, as the CLI does on one machine
// (about 100 bytes a record); the distributed part is the reading and the
// grouping. Running the per-session analysis on many workers needs
// analyze to expose one session's analysis and a merge of session
// summaries (tokcost issues 18 and 19), which this package does not yet
// use.
package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/fileio"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	// The filesystems --input and --output may name.
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	// Every format the CLI reads (cmd/tokcost/root.go registers the same).
	_ "github.com/tokcost/tokcost/ingest/claudecode"
	_ "github.com/tokcost/tokcost/ingest/cline"
	_ "github.com/tokcost/tokcost/ingest/codex"
	_ "github.com/tokcost/tokcost/ingest/csvfmt"
	_ "github.com/tokcost/tokcost/ingest/gemini"
	_ "github.com/tokcost/tokcost/ingest/langfuse"
	_ "github.com/tokcost/tokcost/ingest/litellmlogs"
	_ "github.com/tokcost/tokcost/ingest/mapped"
	_ "github.com/tokcost/tokcost/ingest/miniswe"
	_ "github.com/tokcost/tokcost/ingest/opencode"
	_ "github.com/tokcost/tokcost/ingest/openhands"
	_ "github.com/tokcost/tokcost/ingest/otel"
	_ "github.com/tokcost/tokcost/ingest/parquet"
	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// Options are the analysis settings; every field is carried to the
// workers with the DoFns, so they must be plain data.
type Options struct {
	Inputs      []string // file paths or globs: local, gs://, s3://
	InputFormat string   // "" detects each file's format
	// Pricing holds the contents of each --pricing file, read when the
	// pipeline is built, so workers need no access to the files.
	Pricing        []PriceFile
	CostSource     string // auto, computed, record
	Timeout        time.Duration
	LoopMinRepeats int
	Top            int
	Format         string // report format: json, markdown, html, …
	Output         string // report file (local, gs://, s3://)
	SessionsOut    string // optional per-session Parquet table
	ToolVersion    string
}

// PriceFile is one --pricing file: its base name (the loader picks the
// format by extension) and contents.
type PriceFile struct {
	Name string
	Data []byte
}

func init() {
	register.Function1x1(metaPath)
	register.DoFn3x0[int, func(*string) bool, func(fileTask)](&indexFn{})
	register.Emitter1[fileTask]()
	register.DoFn4x1[context.Context, fileTask, func(string, []byte), func([]byte), error](&readFn{})
	register.Emitter2[string, []byte]()
	register.Emitter1[[]byte]()
	register.DoFn3x1[string, func(*[]byte) bool, func([]byte), error](&sessionFn{})
	register.DoFn4x1[context.Context, int, func(*[]byte) bool, func(*[]byte) bool, error](&finalFn{})
	register.Iter1[string]()
	register.Iter1[[]byte]()
	beam.RegisterType(reflect.TypeOf(fileTask{}))
}

// fileTask is one input file and its index in the sorted list of all
// inputs: records are ordered by (index, line, sub), as the CLI orders
// the inputs it is given.
type fileTask struct {
	Path  string
	Index int
}

// posRecord is a record with the index of its file, as it crosses the
// shuffle.
type posRecord struct {
	F int
	R ingest.Record
}

// fileAccount is what reading one file yielded besides records: the
// footer's accounting.
type fileAccount struct {
	Index  int
	Result ingest.FileResult
	Lines  int64
	// Examples are the file's first invalid lines (by line), shown to
	// the user; Notes counts every note by kind, reason and unit.
	Examples []ingest.Note
	Notes    []noteCount
}

type noteCount struct {
	Kind     ingest.NoteKind
	Reason   string
	SameUnit bool
	N        int64
}

// Build adds the whole analysis to the pipeline.
func Build(s beam.Scope, opt Options) error {
	if len(opt.Inputs) == 0 {
		return fmt.Errorf("no --input")
	}
	if opt.Output == "" {
		return fmt.Errorf("no --output")
	}
	if _, err := report.AnalyzeWriters.Lookup(opt.Format, report.WriterOptions{}); err != nil {
		return err
	}
	if _, err := opt.loopConfig(); err != nil {
		return err
	}
	var matched []beam.PCollection
	for _, in := range opt.Inputs {
		matched = append(matched, fileio.MatchFiles(s.Scope("match"), in, fileio.MatchEmptyDisallow()))
	}
	paths := beam.ParDo(s, metaPath, beam.Flatten(s, matched...))
	tasks := beam.ParDo(s.Scope("index"), &indexFn{}, beam.GroupByKey(s, beam.AddFixedKey(s, paths)))
	records, accounts := beam.ParDo2(s.Scope("read"), &readFn{Format: opt.InputFormat}, beam.Reshuffle(s, tasks))
	sessions := beam.ParDo(s.Scope("session"), &sessionFn{}, beam.GroupByKey(s, records))
	all := beam.CoGroupByKey(s, beam.AddFixedKey(s, sessions), beam.AddFixedKey(s, accounts))
	beam.ParDo0(s.Scope("report"), &finalFn{Opt: opt}, all)
	return nil
}

func metaPath(md fileio.FileMetadata) string { return md.Path }

// indexFn numbers the matched files in sorted order (a path matched by
// two globs is read once, as the CLI reads a file named twice once).
type indexFn struct{}

func (*indexFn) ProcessElement(_ int, paths func(*string) bool, emit func(fileTask)) {
	var all []string
	var p string
	for paths(&p) {
		all = append(all, p)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	for i, p := range all {
		emit(fileTask{Path: p, Index: i})
	}
}

// readFn reads one file with ingest.Run, the CLI's entry point, and
// emits each record keyed by session id, and the file's accounting.
type readFn struct {
	Format string
}

func (fn *readFn) ProcessElement(ctx context.Context, t fileTask, emit func(string, []byte), emitAcct func([]byte)) error {
	local, cleanup, err := localCopy(ctx, t.Path)
	if err != nil {
		return err
	}
	defer cleanup()
	acc := &accounting{notes: map[noteKey]int64{}}
	var mu sync.Mutex // ingest decodes one file on several cores; emitters are not safe for that
	records := beam.NewCounter("tokcost", "records")
	lines := beam.NewCounter("tokcost", "lines")
	files, err := ingest.Run([]string{local}, ingest.Options{Format: fn.Format, Context: ctx},
		func(ingest.FileResult, int) ingest.SinkFactory {
			return func() ingest.Sink {
				return &sink{ctx: ctx, mu: &mu, acc: acc, file: t.Index, name: t.Path, local: local,
					emit: emit, records: records, lines: lines}
			}
		})
	if err != nil {
		return fmt.Errorf("%s: %w", t.Path, err)
	}
	a := fileAccount{Index: t.Index, Lines: acc.lines}
	if len(files) > 0 {
		a.Result = files[0]
		a.Result.Name = t.Path
	}
	slices.SortFunc(acc.examples, func(x, y ingest.Note) int { return cmp.Compare(x.Line, y.Line) })
	a.Examples = acc.examples[:min(len(acc.examples), maxExamples)]
	for k, n := range acc.notes {
		a.Notes = append(a.Notes, noteCount{Kind: k.kind, Reason: k.reason, SameUnit: k.sameUnit, N: n})
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	emitAcct(b)
	return nil
}

// maxExamples is at least the number of example lines the analysis
// keeps per input (analyze's maxExamples, 10).
const maxExamples = 10

type noteKey struct {
	kind     ingest.NoteKind
	reason   string
	sameUnit bool
}

type accounting struct {
	lines    int64
	examples []ingest.Note
	notes    map[noteKey]int64
}

// sink turns the reader's output into pipeline elements.
type sink struct {
	ctx            context.Context
	mu             *sync.Mutex
	acc            *accounting
	file           int
	name, local    string
	emit           func(string, []byte)
	records, lines beam.Counter
}

func (s *sink) Record(r *ingest.Record) {
	if r.File == s.local {
		r.File = s.name
	}
	b, err := json.Marshal(posRecord{F: s.file, R: *r})
	if err != nil {
		panic(err) // a Record always marshals: plain fields and a string map
	}
	s.mu.Lock()
	s.emit(r.SessionID, b)
	s.mu.Unlock()
	s.records.Inc(s.ctx, 1)
}

func (s *sink) Note(n ingest.Note) {
	if n.File == s.local {
		n.File = s.name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n.Kind == ingest.NoteInvalid {
		s.acc.examples = append(s.acc.examples, n)
		if len(s.acc.examples) > 4*maxExamples { // keep the first lines only: bounded
			slices.SortFunc(s.acc.examples, func(x, y ingest.Note) int { return cmp.Compare(x.Line, y.Line) })
			s.acc.examples = s.acc.examples[:maxExamples]
		}
	}
	s.acc.notes[noteKey{n.Kind, n.Reason, n.SameUnit}]++
}

func (s *sink) Lines(n int64) {
	s.mu.Lock()
	s.acc.lines += n
	s.mu.Unlock()
	s.lines.Inc(s.ctx, n)
}

// localCopy returns a local path for p: p itself when it is local, else
// a temporary copy (removed by cleanup) with p's base name, since readers
// are picked by name and content and read files by path.
func localCopy(ctx context.Context, p string) (string, func(), error) {
	if !strings.Contains(p, "://") {
		return p, func() {}, nil
	}
	fs, err := filesystem.New(ctx, p)
	if err != nil {
		return "", nil, err
	}
	defer fs.Close()
	dir, err := os.MkdirTemp("", "tokcost-beam-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	local := filepath.Join(dir, filepath.Base(p))
	r, err := fs.OpenRead(ctx, p)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	defer r.Close()
	f, err := os.Create(local)
	if err == nil {
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return "", nil, fmt.Errorf("%s: copying to local disk: %w", p, err)
	}
	return local, cleanup, nil
}

// sessionFn gathers one session's records (from any number of files, in
// any order) and orders them by input position.
type sessionFn struct{}

func (*sessionFn) ProcessElement(_ string, recs func(*[]byte) bool, emit func([]byte)) error {
	var all []json.RawMessage
	var pos []posKey
	var b []byte
	for recs(&b) {
		var k struct {
			F int
			R struct {
				Line int64
				Sub  int32
			}
		}
		if err := json.Unmarshal(b, &k); err != nil {
			return err
		}
		all = append(all, slices.Clone(b))
		pos = append(pos, posKey{k.F, k.R.Line, k.R.Sub, len(pos)})
	}
	slices.SortFunc(pos, func(x, y posKey) int {
		return cmp.Or(cmp.Compare(x.file, y.file), cmp.Compare(x.line, y.line), cmp.Compare(x.sub, y.sub))
	})
	sorted := make([]json.RawMessage, len(all))
	for i, p := range pos {
		sorted[i] = all[p.i]
	}
	out, err := json.Marshal(sorted)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

type posKey struct {
	file int
	line int64
	sub  int32
	i    int
}

func (o Options) loopConfig() (analyze.LoopConfig, error) {
	if o.Timeout <= 0 {
		return analyze.LoopConfig{}, fmt.Errorf("--timeout must be positive")
	}
	if o.LoopMinRepeats < 2 {
		return analyze.LoopConfig{}, fmt.Errorf("--loop_min_repeats must be at least 2")
	}
	cfg := analyze.DefaultLoopConfig()
	cfg.Timeout, cfg.MinRepeats = o.Timeout, o.LoopMinRepeats
	return cfg, nil
}

func costSource(s string) (analyze.CostSource, error) {
	switch s {
	case "auto", "":
		return analyze.CostAuto, nil
	case "computed":
		return analyze.CostComputed, nil
	case "record":
		return analyze.CostRecord, nil
	}
	return 0, fmt.Errorf("invalid --cost_source %q (valid: auto, computed, record)", s)
}

// finalFn runs the analysis and writes the report: the CLI's load and
// analyze steps, fed from the pipeline instead of the files.
type finalFn struct {
	Opt Options
}

func (fn *finalFn) ProcessElement(ctx context.Context, _ int, sessions func(*[]byte) bool, accounts func(*[]byte) bool) error {
	opt := fn.Opt
	loops, err := opt.loopConfig()
	if err != nil {
		return err
	}
	src, err := costSource(opt.CostSource)
	if err != nil {
		return err
	}
	prices, err := loadPrices(opt.Pricing)
	if err != nil {
		return err
	}
	var accs []fileAccount
	var b []byte
	for accounts(&b) {
		var a fileAccount
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		accs = append(accs, a)
	}
	slices.SortFunc(accs, func(x, y fileAccount) int { return cmp.Compare(x.Index, y.Index) })
	col := analyze.NewCollector()
	sinks := map[int]ingest.Sink{}
	files := make([]ingest.FileResult, len(accs))
	for i, a := range accs {
		files[i] = a.Result
		sk := col.Factory(a.Index)()
		sinks[a.Index] = sk
		sk.Lines(a.Lines)
		// The examples first (the analysis keeps each input's first
		// invalid lines), then every other note by its count.
		left := map[noteKey]int64{}
		for _, n := range a.Notes {
			left[noteKey{n.Kind, n.Reason, n.SameUnit}] = n.N
		}
		for _, n := range a.Examples {
			sk.Note(n)
			left[noteKey{n.Kind, n.Reason, n.SameUnit}]--
		}
		for _, n := range a.Notes {
			note := ingest.Note{Kind: n.Kind, File: a.Result.Name, Reason: n.Reason, SameUnit: n.SameUnit}
			for range left[noteKey{n.Kind, n.Reason, n.SameUnit}] {
				sk.Note(note)
			}
		}
	}
	html := opt.Format == "html"
	for sessions(&b) {
		var recs []posRecord
		if err := json.Unmarshal(b, &recs); err != nil {
			return err
		}
		for i := range recs {
			sk, ok := sinks[recs[i].F]
			if !ok {
				return fmt.Errorf("record of input %d, which has no accounting", recs[i].F)
			}
			sk.Record(&recs[i].R)
		}
	}
	d := col.FinishSummaries(analyze.Config{Prices: prices, CostSource: src, Loops: &loops, KeepCapCosts: html})
	if d.Counts.Records == 0 || len(d.Sessions) == 0 {
		return fmt.Errorf("no records: %d files, %d lines: %d invalid, %d blank, %d skipped; nothing to report",
			len(files), d.Counts.Lines, d.Counts.Invalid, d.Counts.Blank, d.Counts.Skipped)
	}
	var caps []int
	if html {
		caps = report.DefaultCaps(d)
	}
	a := report.Build(d, report.BuildOptions{
		Tool:       report.ToolInfo{Name: "tokcost-beam", Version: opt.ToolVersion},
		Files:      files,
		CostSource: opt.CostSource,
		TopN:       opt.Top,
		Caps:       caps,
	})
	beam.NewCounter("tokcost", "sessions").Inc(ctx, int64(len(d.Sessions)))
	beam.NewCounter("tokcost", "duplicates").Inc(ctx, d.Counts.Duplicates)
	beam.NewCounter("tokcost", "invalid").Inc(ctx, d.Counts.Invalid)
	w, err := report.AnalyzeWriters.Lookup(opt.Format, report.WriterOptions{})
	if err != nil {
		return err
	}
	if err := writeFile(ctx, opt.Output, func(out io.Writer) error { return w.Write(out, a) }); err != nil {
		return err
	}
	if opt.SessionsOut != "" {
		meta := report.RunMeta{RunDate: time.Now()}
		if err := writeFile(ctx, opt.SessionsOut, func(out io.Writer) error { return report.WriteSessionsParquet(out, a, meta) }); err != nil {
			return err
		}
	}
	return nil
}

// loadPrices layers the --pricing files over the embedded table, as the
// CLI does; the loader reads paths, so each goes through a temp file.
func loadPrices(files []PriceFile) (*pricing.Table, error) {
	prices := pricing.Embedded()
	if len(files) == 0 {
		return prices, nil
	}
	dir, err := os.MkdirTemp("", "tokcost-beam-pricing-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for i, f := range files {
		p := filepath.Join(dir, fmt.Sprintf("%d-%s", i, filepath.Base(f.Name)))
		if err := os.WriteFile(p, f.Data, 0o600); err != nil {
			return nil, err
		}
		if prices, err = pricing.LoadFile(p, prices); err != nil {
			return nil, fmt.Errorf("--pricing %s: %w", f.Name, err)
		}
	}
	return prices, nil
}

// writeFile writes path through Beam's filesystems (local, gs://, s3://).
// A local file is written beside its final name and renamed into place
// once complete, so a failed run leaves no half report.
func writeFile(ctx context.Context, path string, write func(io.Writer) error) error {
	if !strings.Contains(path, "://") {
		tmp, err := os.CreateTemp(filepath.Dir(path), ".tokcost-beam-*")
		if err != nil {
			return err
		}
		defer os.Remove(tmp.Name())
		if err := write(tmp); err != nil {
			tmp.Close()
			return err
		}
		if err := tmp.Close(); err != nil {
			return err
		}
		return os.Rename(tmp.Name(), path)
	}
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return err
	}
	defer fs.Close()
	w, err := fs.OpenWrite(ctx, path)
	if err != nil {
		return err
	}
	if err := write(w); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}
