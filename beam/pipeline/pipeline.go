// Package pipeline is tokcost's analysis as an Apache Beam pipeline:
// match input files → cut large JSONL files into byte ranges → read each
// file or range with tokcost's own readers → key every record by session
// id → GroupByKey → finish each session (the CLI's analysis) into a
// session-table row → the report, built from the rows as tokcost merge
// builds it from session tables.
//
// The reading (the costly part: decoding JSON, spans, Parquet) and the
// per-session analysis (dedupe, order, price, loops, per-call costs) run
// on as many workers as the runner gives them. Every record crosses the
// shuffle in a compact binary form (codec.go) with its input position
// (input index, line, record within the line), so each session is
// finished exactly as the CLI finishes it however the runner ordered the
// work: duplicates across files are dropped by the same rule, calls
// ordered by the same tie-breaks.
//
// The last step runs on one worker: it receives one row per session (a
// few hundred bytes, not the records) and builds the report with the code
// tokcost merge uses (analyze.MergeModels, analyze.NewSummaries,
// report.Build), so tokcost merge on the --sessions_out table gives the
// same report.
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
	SessionsOut    string // optional session table (Parquet), as tokcost analyze --sessions-out
	ToolVersion    string
	// SplitBytes cuts a local, uncompressed canonical JSONL file larger
	// than this into ranges of about this many bytes, read in parallel
	// (split.go); 0 or less never cuts.
	SplitBytes int64
}

// DefaultSplitBytes is the range size of --split_bytes: a few seconds of
// decoding on one core (docs/scale.md), few elements per file.
const DefaultSplitBytes = 64 << 20

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
	register.DoFn2x1[fileTask, func(readTask), error](&splitFn{})
	register.Emitter1[readTask]()
	register.DoFn4x1[context.Context, readTask, func(string, []byte), func([]byte), error](&readFn{})
	register.Emitter2[string, []byte]()
	register.Emitter1[[]byte]()
	register.DoFn4x1[context.Context, string, func(*[]byte) bool, func(int, []byte), error](&sessionFn{})
	register.Emitter2[int, []byte]()
	register.DoFn4x1[int, func(*[]byte) bool, func([]byte), func([]byte), error](&partitionFn{})
	register.DoFn5x1[context.Context, int, func(*[]byte) bool, func(*[]byte) bool, func(*[]byte) bool, error](&finalFn{})
	register.Iter1[string]()
	register.Iter1[[]byte]()
	beam.RegisterType(reflect.TypeOf(fileTask{}))
	beam.RegisterType(reflect.TypeOf(readTask{}))
}

// fileTask is one input file and its index in the sorted list of all
// inputs: records are ordered by (index, line, sub), as the CLI orders
// the inputs it is given.
type fileTask struct {
	Path  string
	Index int
}

// readTask is what one read element reads: a whole file (Parts 0), or
// the lines of a JSONL file that start in [Start, End), range Part of
// Parts (split.go).
type readTask struct {
	Path        string
	Index       int
	Start, End  int64
	Part, Parts int
}

// fileAccount is what reading one file (or one range of it) yielded
// besides records: the footer's accounting.
type fileAccount struct {
	Index  int
	Part   int // the range, for a file read in ranges
	Result ingest.FileResult
	Lines  int64
	// Examples are the first invalid lines (by line; a range's counted
	// from the range's first line), shown to the user; Notes counts every
	// note by kind, reason and unit.
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
	if err := checkRecordFields(); err != nil {
		return err
	}
	if _, err := report.AnalyzeWriters.Lookup(opt.Format, report.WriterOptions{}); err != nil {
		return err
	}
	if _, err := opt.config(); err != nil {
		return err
	}
	var matched []beam.PCollection
	for _, in := range opt.Inputs {
		matched = append(matched, fileio.MatchFiles(s.Scope("match"), in, fileio.MatchEmptyDisallow()))
	}
	paths := beam.ParDo(s, metaPath, beam.Flatten(s, matched...))
	files := beam.ParDo(s.Scope("index"), &indexFn{}, beam.GroupByKey(s, beam.AddFixedKey(s, paths)))
	tasks := beam.ParDo(s.Scope("split"), &splitFn{Format: opt.InputFormat, SplitBytes: opt.SplitBytes}, beam.Reshuffle(s, files))
	records, accounts := beam.ParDo2(s.Scope("read"), &readFn{Format: opt.InputFormat}, beam.Reshuffle(s, tasks))
	rows := beam.ParDo(s.Scope("session"), &sessionFn{Opt: opt}, beam.GroupByKey(s, records))
	summaries, usage := beam.ParDo2(s.Scope("partition"), &partitionFn{}, beam.GroupByKey(s, rows))
	all := beam.CoGroupByKey(s, beam.AddFixedKey(s, summaries), beam.AddFixedKey(s, usage), beam.AddFixedKey(s, accounts))
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

// readFn reads one file, or one range of a JSONL file, with ingest.Run,
// the CLI's entry point, and emits each record keyed by session id, and
// the accounting.
type readFn struct {
	Format string
}

func (fn *readFn) ProcessElement(ctx context.Context, t readTask, emit func(string, []byte), emitAcct func([]byte)) error {
	acc := &accounting{notes: map[noteKey]int64{}}
	var mu sync.Mutex // ingest decodes one file on several cores; emitters are not safe for that
	sk := &sink{ctx: ctx, mu: &mu, acc: acc, file: t.Index, name: t.Path, emit: emit,
		records: beam.NewCounter("tokcost", "records"), lines: beam.NewCounter("tokcost", "lines")}
	var files []ingest.FileResult
	var err error
	if t.Parts > 0 {
		files, err = readRange(ctx, t, sk)
	} else {
		var cleanup func()
		sk.local, cleanup, err = localCopy(ctx, t.Path)
		if err != nil {
			return err
		}
		defer cleanup()
		files, err = ingest.Run([]string{sk.local}, ingest.Options{Format: fn.Format, Context: ctx},
			func(ingest.FileResult, int) ingest.SinkFactory { return sk.factory })
	}
	if err != nil {
		return fmt.Errorf("%s: %w", t.Path, err)
	}
	if t.Parts > 0 && (len(files) != 1 || files[0].Skipped != "" || files[0].Error != "") {
		// Never expected (split.go): a range is read as JSONL, whatever its
		// lines; anything else must not pass silently.
		return fmt.Errorf("%s: range %d of %d was not read as JSONL: %+v", t.Path, t.Part, t.Parts, files)
	}
	a := fileAccount{Index: t.Index, Part: t.Part, Lines: acc.lines}
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

// sink turns the reader's output into pipeline elements: each record
// encoded (codec.go) and keyed by its session id.
type sink struct {
	ctx            context.Context
	mu             *sync.Mutex
	acc            *accounting
	file           int
	name, local    string // the input's name, and the name the reader knows it by
	emit           func(string, []byte)
	records, lines beam.Counter
	// lineBase is added to every record's line (a range's records are
	// ordered by it, split.go); dropFirst drops the invalid line a range
	// after the first is read with (rangePrefix), and counts it out of
	// lines.
	lineBase  int64
	dropFirst bool
}

// factory hands out the sink itself: every method locks.
func (s *sink) factory() ingest.Sink { return s }

// BorrowsIDs: Record encodes the record before it returns and keeps
// nothing of it, so decoders need not copy ids (ingest.BorrowsIDs).
func (*sink) BorrowsIDs() bool { return true }

func (s *sink) Record(r *ingest.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.Line += s.lineBase
	// A new slice each time: a runner may hold an element after emit
	// returns (buffered, or passed on to a fused step).
	s.emit(r.SessionID, appendRecord(make([]byte, 0, 96), s.file, r))
	s.records.Inc(s.ctx, 1)
}

func (s *sink) Note(n ingest.Note) {
	if n.File == s.local {
		n.File = s.name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dropFirst {
		if n.Kind == ingest.NoteInvalid && n.Line == 1 {
			s.acc.lines-- // the line is not the input's
			s.lines.Inc(s.ctx, -1)
			return
		}
		n.Line--
	}
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

// config is the analysis configuration of the options, as the CLI's
// analyze makes it; call costs are always kept, since the session table
// stores them (so a merge of it can redo the cap sweep).
func (o Options) config() (analyze.Config, error) {
	if o.Timeout <= 0 {
		return analyze.Config{}, fmt.Errorf("--timeout must be positive")
	}
	if o.LoopMinRepeats < 2 {
		return analyze.Config{}, fmt.Errorf("--loop_min_repeats must be at least 2")
	}
	loops := analyze.DefaultLoopConfig()
	loops.Timeout, loops.MinRepeats = o.Timeout, o.LoopMinRepeats
	src, err := costSource(o.CostSource)
	if err != nil {
		return analyze.Config{}, err
	}
	return analyze.Config{CostSource: src, Loops: &loops, KeepCapCosts: true}, nil
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

// sessionRow is one finished session as it crosses the shuffle: its
// summary (a session-table row, report/session_table.go) and call costs;
// on the way to its partition also its usage by model, with the running
// sums behind the dollars, and what it adds to the input counts
// (records, duplicates, timestamps read as UTC, …).
type sessionRow struct {
	S          *analyze.Summary
	Calls      []float64            `json:",omitempty"`
	OtherAfter []int64              `json:",omitempty"`
	OtherCosts []float64            `json:",omitempty"`
	HasCosts   bool                 `json:",omitempty"`
	Models     []analyze.ModelState `json:",omitempty"`
	Counts     *analyze.InputCounts `json:",omitempty"`
}

// partUsage is one partition's sessions' usage by model and input
// counts, added up in session id order.
type partUsage struct {
	P      int
	Models []analyze.ModelState
	Counts analyze.InputCounts
}

// partitions is how many groups the session rows are added up in before
// the last step (by FNV-1a of the session id): the last step then merges
// a few hundred model usages instead of one per session (1.5 KB each).
const partitions = 256

func partitionOf(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return int(h % partitions)
}

// sessionFn finishes one session from its records, from any number of
// files in any order: in input order through the CLI's store and
// analyze.Collector.FinishSummaries (dedupe, order, price, loops, call
// costs), into its row.
type sessionFn struct {
	Opt Options

	cfg analyze.Config
}

func (fn *sessionFn) Setup() error {
	cfg, err := fn.Opt.config()
	if err != nil {
		return err
	}
	if cfg.Prices, err = loadPrices(fn.Opt.Pricing); err != nil {
		return err
	}
	fn.cfg = cfg
	return nil
}

type posRecord struct {
	file int
	r    ingest.Record
}

func (fn *sessionFn) ProcessElement(_ context.Context, sid string, recs func(*[]byte) bool, emit func(int, []byte)) error {
	var all []posRecord
	var b []byte
	for recs(&b) {
		all = append(all, posRecord{})
		p := &all[len(all)-1]
		f, err := decodeRecord(b, &p.r)
		if err != nil {
			return fmt.Errorf("session %q: %w", sid, err)
		}
		p.file, p.r.SessionID = f, sid
	}
	// Input order: the order the CLI's sinks see a file's records in.
	slices.SortFunc(all, func(x, y posRecord) int {
		return cmp.Or(cmp.Compare(x.file, y.file), cmp.Compare(x.r.Line, y.r.Line), cmp.Compare(x.r.Sub, y.r.Sub))
	})
	col := analyze.NewSmallCollector()
	sinks := map[int]ingest.Sink{}
	for i := range all {
		sk := sinks[all[i].file]
		if sk == nil {
			sk = col.Factory(all[i].file)()
			sinks[all[i].file] = sk
		}
		sk.Record(&all[i].r)
	}
	d := col.FinishSummaries(fn.cfg)
	if len(d.Sessions) != 1 {
		return fmt.Errorf("session %q: %d records made %d sessions", sid, len(all), len(d.Sessions))
	}
	row := sessionRow{S: d.Sessions[0], Counts: &d.Counts}
	row.Calls, row.OtherAfter, row.OtherCosts, row.HasCosts = row.S.CallCosts()
	for i := range d.Models {
		row.Models = append(row.Models, d.Models[i].State())
	}
	out, err := json.Marshal(row)
	if err != nil {
		return err
	}
	emit(partitionOf(sid), out)
	return nil
}

// partitionFn adds up one partition's sessions' model usage and input
// counts, in session id order (so the sums are the same on every run,
// whatever order the runner delivered the rows in), and passes each
// session's summary on without them.
type partitionFn struct{}

func (*partitionFn) ProcessElement(p int, rows func(*[]byte) bool, emitRow func([]byte), emitUsage func([]byte)) error {
	type usage struct {
		id     string
		models []analyze.ModelState
	}
	var all []usage
	u := partUsage{P: p}
	var b []byte
	for rows(&b) {
		var r sessionRow
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		if r.Counts != nil {
			u.Counts.Add(*r.Counts)
		}
		all = append(all, usage{r.S.ID, r.Models})
		r.Models, r.Counts = nil, nil
		out, err := json.Marshal(r)
		if err != nil {
			return err
		}
		emitRow(out)
	}
	slices.SortFunc(all, func(x, y usage) int { return strings.Compare(x.id, y.id) })
	var states []analyze.ModelState
	for _, x := range all {
		states = append(states, x.models...)
	}
	for _, mu := range analyze.MergeModels(states) {
		u.Models = append(u.Models, mu.State())
	}
	out, err := json.Marshal(u)
	if err != nil {
		return err
	}
	emitUsage(out)
	return nil
}

// finalFn builds the report from the session rows and the input
// accounting, with the code tokcost merge uses, and writes it.
type finalFn struct {
	Opt Options
}

func (fn *finalFn) ProcessElement(ctx context.Context, _ int, rowIter, usageIter, accounts func(*[]byte) bool) error {
	opt := fn.Opt
	cfg, err := opt.config()
	if err != nil {
		return err
	}
	if cfg.Prices, err = loadPrices(opt.Pricing); err != nil {
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
	files, counts := replayAccounts(joinRanges(accs))

	var rows []sessionRow
	for rowIter(&b) {
		var r sessionRow
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		if r.HasCosts {
			r.S.SetCallCosts(r.Calls, r.OtherAfter, r.OtherCosts)
		}
		r.Calls, r.OtherAfter, r.OtherCosts = nil, nil, nil
		rows = append(rows, r)
	}
	sessions := make([]*analyze.Summary, len(rows))
	for i := range rows {
		sessions[i] = rows[i].S
	}
	rows = nil
	// The partitions' usage in partition order, whichever order the
	// runner delivered them in: the sums are then the same on every run.
	var parts []partUsage
	for usageIter(&b) {
		var u partUsage
		if err := json.Unmarshal(b, &u); err != nil {
			return err
		}
		parts = append(parts, u)
	}
	slices.SortFunc(parts, func(x, y partUsage) int { return cmp.Compare(x.P, y.P) })
	var states []analyze.ModelState
	for _, u := range parts {
		counts.Add(u.Counts)
		states = append(states, u.Models...)
	}
	if counts.Records == 0 || len(sessions) == 0 {
		return fmt.Errorf("no records: %d files, %d lines: %d invalid, %d blank, %d skipped; nothing to report",
			len(files), counts.Lines, counts.Invalid, counts.Blank, counts.Skipped)
	}
	// What report.MergeSessionTables does with session tables: the models'
	// running sums added up, the summaries sorted by id with their loops.
	d := analyze.NewSummaries(sessions, counts, analyze.MergeModels(states), cfg, *cfg.Loops)
	var caps []int
	if opt.Format == "html" {
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

// joinRanges makes one account of each file read in ranges: lines and
// notes added up, the examples' lines counted from the file's start (a
// range counts them from its own), in range order.
func joinRanges(accs []fileAccount) []fileAccount {
	slices.SortFunc(accs, func(x, y fileAccount) int { return cmp.Or(cmp.Compare(x.Index, y.Index), cmp.Compare(x.Part, y.Part)) })
	var out []fileAccount
	var before int64 // lines of the file's earlier ranges
	for _, a := range accs {
		if len(out) == 0 || out[len(out)-1].Index != a.Index {
			out = append(out, a)
			before = a.Lines
			continue
		}
		dst := &out[len(out)-1]
		for _, n := range a.Examples {
			n.Line += before
			dst.Examples = append(dst.Examples, n)
		}
		dst.Examples = dst.Examples[:min(len(dst.Examples), maxExamples)]
		dst.Notes = append(dst.Notes, a.Notes...)
		dst.Lines += a.Lines
		before += a.Lines
	}
	return out
}

// replayAccounts feeds the accounts to a collector, as the CLI's readers
// feed its sinks, and returns the inputs and what they count: lines,
// invalid lines by reason and the first of them, blank and skipped
// lines (the records' counts come with the session rows).
func replayAccounts(accs []fileAccount) ([]ingest.FileResult, analyze.InputCounts) {
	col := analyze.NewCollector()
	files := make([]ingest.FileResult, len(accs))
	for i, a := range accs {
		files[i] = a.Result
		sk := col.Factory(a.Index)()
		sk.Lines(a.Lines)
		// The examples first (the analysis keeps each input's first
		// invalid lines), then every other note by its count.
		left := map[noteKey]int64{}
		for _, n := range a.Notes {
			left[noteKey{n.Kind, n.Reason, n.SameUnit}] += n.N
		}
		for _, n := range a.Examples {
			sk.Note(n)
			left[noteKey{n.Kind, n.Reason, n.SameUnit}]--
		}
		for k, n := range left {
			note := ingest.Note{Kind: k.kind, File: a.Result.Name, Reason: k.reason, SameUnit: k.sameUnit}
			for range n {
				sk.Note(note)
			}
		}
	}
	d := col.FinishSummaries(analyze.Config{Prices: pricing.Embedded()})
	return files, d.Counts
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
