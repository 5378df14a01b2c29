package main

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/cline"
	"github.com/tokcost/tokcost/ingest/opencode"
	"github.com/tokcost/tokcost/ingest/parquet"
	"github.com/tokcost/tokcost/internal/runsort"
	"github.com/tokcost/tokcost/report"
)

type convertOptions struct {
	inputOptions
	Output string
	// PartitionBy "session" writes Buckets files under the directory
	// Output, each session whole in one (Bucket).
	PartitionBy string
	Buckets     int
}

func newConvertCmd(ios *IOStreams, runF func(*convertOptions) error) *cobra.Command {
	opts := &convertOptions{}
	cmd := &cobra.Command{
		Use:   "convert [flags] -o FILE.parquet INPUT...",
		Short: "Convert traces of any supported format to canonical Parquet",
		Long: `Read traces in any format tokcost reads and write them as one canonical
Parquet file (zstd, dictionary-encoded strings; docs/formats/parquet.md),
in input order, for DuckDB, Spark or a faster re-analysis. Analysing the
Parquet file gives the same results as analysing the inputs, except the
names of usage fields no rule reads (input.unknown_usage_fields), which
the file has no column for: convert warns with their count instead.

Memory does not grow with the input: records are kept encoded, at most
64 MiB of them (a quarter of --memory-limit when that is smaller; "off"
keeps them all), and past that written as sorted runs to one temp file in
--temp-dir (unlinked at once, gone on every exit path), then merged in input
order as the Parquet file is written, one row group of 131,072 rows at a
time (docs/scale.md). The temp file takes about 150 bytes a record of a
typical fleet.

` + exitCodesHelp,
		Example: `  tokcost convert -o fleet.parquet fleet.jsonl
  tokcost convert -o claude.parquet ~/.claude/projects`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return convertRun(ios, opts)
		},
	}
	opts.registerReading(cmd)
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "", "the Parquet file to write (required); with --partition-by, the directory")
	cmd.Flags().StringVar(&opts.PartitionBy, "partition-by", "", "session: write DIR/bucket=NNN/part-00000.parquet, each session whole in the bucket its id hashes to (FNV-1a 64 of the id, modulo --buckets), for analysing buckets separately and merging their session tables (tokcost merge)")
	cmd.Flags().IntVar(&opts.Buckets, "buckets", 16, "with --partition-by session: how many buckets (1 to 1000)")
	return cmd
}

// recordCollector keeps every record, encoded, with its input position,
// so the output can be written in input order whatever order decoders
// finish in; past the run buffer they go to a temp file (internal/runsort).
type recordCollector struct {
	mu      sync.Mutex
	sorter  *runsort.Sorter       // nil: one bucket, never spilled (tests)
	err     error                 // the first error spilling
	stop    func()                // cancels the reading
	attrs   []map[string]struct{} // each bucket's attribute keys, a column each
	count   []int64               // each bucket's records
	assumed int64                 // records whose input tokens were assumed (Cline)
	// ocAssumed: OpenCode calls with only their message's last-step tokens.
	ocAssumed int64
	// unknown counts records with other unknown usage fields, the first
	// maxUnknownNames of whose names in byte order are in unknownNames:
	// the Parquet file has no column for them.
	unknown      int64
	unknownNames []string
	invalid      int64
	first        []positionedNote // the first invalid lines in input order, at most maxFirst
}

// positionedNote is an invalid line, with its input's index and, for
// notes of one line, the order its sink saw them in (one line is read by
// one sink).
type positionedNote struct {
	file int
	seq  int
	note ingest.Note
}

func (a positionedNote) before(b positionedNote) bool {
	if a.file != b.file {
		return a.file < b.file
	}
	if a.note.Line != b.note.Line {
		return a.note.Line < b.note.Line
	}
	return a.seq < b.seq
}

// maxUnknownNames is how many unknown usage field names convert shows.
const maxUnknownNames = 8

// noteUnknown counts a record's UnknownUsage (comma-separated names; c.mu
// held): the assumptions assumedInput reports (an assumed Cline or OpenCode
// call, whatever other names it carries: beside another name it was not
// counted at all, so --strict passed it), and the other names.
func (c *recordCollector) noteUnknown(names string) {
	seen := false
	for name := range strings.SplitSeq(names, ",") {
		switch name {
		case cline.AssumedField:
			c.assumed++
			continue
		case opencode.AssumedField:
			c.ocAssumed++
			continue
		}
		seen = true
		// The first names in byte order, so that the list does not
		// depend on which decoder finishes first.
		if !slices.Contains(c.unknownNames, name) {
			c.unknownNames = append(c.unknownNames, name)
			slices.Sort(c.unknownNames)
			c.unknownNames = c.unknownNames[:min(len(c.unknownNames), maxUnknownNames)]
		}
	}
	if seen {
		c.unknown++
	}
}

// maxFirst is how many invalid lines convert shows.
const maxFirst = 10

type collectSink struct {
	c       *recordCollector
	file    int
	notes   int    // invalid notes seen, to order notes of one line
	scratch []byte // the record being encoded
}

func (s *collectSink) Record(r *ingest.Record) {
	s.scratch = runsort.AppendRecord(s.scratch[:0], r)
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sorter == nil {
		c.sorter = &runsort.Sorter{Buckets: 1}
	}
	b := 0
	if c.sorter.Buckets > 1 {
		b = sessionBucket(r.SessionID, c.sorter.Buckets)
	}
	if c.count == nil {
		c.count = make([]int64, c.sorter.Buckets)
		c.attrs = make([]map[string]struct{}, c.sorter.Buckets)
	}
	c.count[b]++
	if r.UnknownUsage != "" {
		c.noteUnknown(r.UnknownUsage)
	}
	for k := range r.Attrs {
		if c.attrs[b] == nil {
			c.attrs[b] = map[string]struct{}{}
		}
		c.attrs[b][k] = struct{}{}
	}
	if c.err != nil {
		return
	}
	k := runsort.Key{Line: r.Line, File: int32(s.file), Sub: r.Sub}
	if c.err = c.sorter.Add(k, b, s.scratch); c.err != nil && c.stop != nil {
		c.stop() // the run cannot finish: stop reading
	}
}

func (s *collectSink) Note(n ingest.Note) {
	if n.Kind != ingest.NoteInvalid {
		return
	}
	s.notes++
	s.c.mu.Lock()
	s.c.invalid++
	// Inputs are read side by side: keep the first lines in input order,
	// not the first to arrive.
	pn := positionedNote{s.file, s.notes, n}
	if len(s.c.first) < maxFirst {
		s.c.first = append(s.c.first, pn)
	} else {
		last := 0
		for i := range s.c.first {
			if s.c.first[last].before(s.c.first[i]) {
				last = i
			}
		}
		if pn.before(s.c.first[last]) {
			s.c.first[last] = pn
		}
	}
	s.c.mu.Unlock()
}

func (*collectSink) Lines(int64) {}

func convertRun(ios *IOStreams, o *convertOptions) error {
	if o.Output == "" || o.Output == "-" {
		return usageErr("convert needs -o FILE.parquet")
	}
	switch o.PartitionBy {
	case "":
	case "session":
		if o.Buckets < 1 || o.Buckets > 1000 {
			return usageErr("--buckets must be 1 to 1000")
		}
	default:
		return usageErr("invalid --partition-by %q (valid: session)", o.PartitionBy)
	}
	fieldMap, err := o.inputSelection(ios)
	if err != nil {
		return err
	}
	runOpt, err := o.ingestOptions(ios, fieldMap)
	if err != nil {
		return err
	}
	if err := guardOutputs(o.Inputs, o.Output); err != nil {
		return err
	}
	outs := newOutputs(ios)
	defer outs.discard()
	var out *output
	if o.PartitionBy == "" {
		if out, err = outs.open(o.Output); err != nil {
			return err
		}
	} else if st, err := os.Stat(o.Output); err == nil && !st.IsDir() {
		return usageErr("--partition-by writes a directory: %s is a file", o.Output)
	}
	buckets := 1
	if o.PartitionBy != "" {
		buckets = o.Buckets
	}
	sorter := &runsort.Sorter{Buckets: buckets}
	if spill, ok, err := o.Limits.spillOptions(); err != nil {
		return err
	} else if ok {
		// A quarter of --memory-limit, at most runsort.DefaultRunBytes: the rest
		// is for the decoders, the Parquet row group being built and the
		// collector's headroom (docs/scale.md).
		sorter.RunBytes = min(spill.Limit/2, runsort.DefaultRunBytes)
		sorter.Dir, sorter.Create, sorter.Forget = spill.Dir, spill.Create, spill.Forget
	}
	defer sorter.Release()
	ctx, stop := context.WithCancel(ios.context())
	defer stop()
	c := &recordCollector{sorter: sorter, stop: stop}
	runOpt.Context = ctx
	files, err := ingest.Run(o.Inputs, runOpt,
		func(_ ingest.FileResult, index int) ingest.SinkFactory {
			return func() ingest.Sink { return &collectSink{c: c, file: index} }
		})
	if c.err != nil {
		return c.err
	}
	if err != nil {
		return err
	}
	unread := reportUnread(ios, o.Quiet, files)
	if c.invalid > 0 && (!o.Quiet || o.Strict) {
		sort.Slice(c.first, func(i, j int) bool { return c.first[i].before(c.first[j]) })
		for _, pn := range c.first {
			n := pn.note
			fmt.Fprintf(ios.ErrOut, "tokcost: %s:%d: %s\n", report.SafeText(n.File), n.Line, report.SafeText(n.Reason))
		}
		fmt.Fprintf(ios.ErrOut, "tokcost: %d invalid input lines were not converted\n", c.invalid)
	}
	if o.Strict && c.invalid > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d invalid input lines and --strict is set", c.invalid)}
	}
	if o.Strict && unread > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d input files could not be read and --strict is set", unread)}
	}
	// The canonical output has no field for an assumption: say it here.
	if err := assumedInput(ios, &o.inputOptions, c.assumed, c.ocAssumed); err != nil {
		return err
	}
	// Nor for a usage field no rule reads, which analysing the inputs
	// names and analysing the Parquet file cannot.
	if c.unknown > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d records have usage fields no rule reads (%s); the Parquet file has no column for them, so analysing it does not name them (analyse the inputs: input.unknown_usage_fields, docs/usage.md)\n",
			c.unknown, report.SafeText(strings.Join(c.unknownNames, ", ")))
	}
	sorter.Finish()
	if o.PartitionBy != "" {
		return writeBuckets(ios, o, outs, c)
	}
	if err := outs.write(ios, out, func(w io.Writer) error { return c.writeBucket(w, 0) }); err != nil {
		return err
	}
	return outs.commit()
}

// writeBucket writes bucket b's records as one canonical Parquet file, in
// input order, with a column for every attribute they carry: what
// parquet.WriteCanonical writes given them all.
func (c *recordCollector) writeBucket(w io.Writer, b int) error {
	var attrs []string
	if c.attrs != nil {
		for k := range c.attrs[b] {
			attrs = append(attrs, k)
		}
	}
	pw, err := parquet.NewWriter(w, attrs)
	if err != nil {
		return err
	}
	var rec ingest.Record
	err = c.sorter.MergeBucket(b, func(k runsort.Key, p []byte) error {
		if err := runsort.DecodeRecord(p, &rec); err != nil {
			return err
		}
		rec.Line, rec.Sub = k.Line, k.Sub
		return pw.Write(&rec)
	})
	if err != nil {
		_ = pw.Close() // the merge's error is the one to report
		return err
	}
	return pw.Close()
}

// sessionBucket is the bucket of a session id: FNV-1a 64 of its bytes
// modulo n. Stable across runs, machines and versions (docs/scale.md).
func sessionBucket(id string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int(h.Sum64() % uint64(n))
}

// writeBuckets writes the records, in input order, to
// DIR/bucket=NNN/part-00000.parquet by their session's bucket; buckets
// without records get no file. On failure the directories it made are
// removed again (the files' temp copies already are: outputs), so a
// failed run leaves no empty bucket=NNN behind to be read as a bucket.
func writeBuckets(ios *IOStreams, o *convertOptions, outs *outputs, c *recordCollector) (err error) {
	type part struct {
		out    *output
		bucket int
	}
	var made []string // directories this run created, parents first
	defer func() {
		if err != nil {
			outs.discard() // the parts' temp files first, so the directories are empty
			for i := len(made) - 1; i >= 0; i-- {
				_ = os.Remove(made[i]) // only if empty: a file renamed into it stays
			}
		}
	}()
	var parts []part
	for b := range o.Buckets {
		if c.count == nil || c.count[b] == 0 {
			continue
		}
		dir := filepath.Join(o.Output, fmt.Sprintf("bucket=%03d", b))
		path := filepath.Join(dir, "part-00000.parquet")
		if err := guardOutputs(o.Inputs, path); err != nil {
			return err
		}
		if err := mkdirAllNoting(dir, &made); err != nil {
			return err
		}
		out, err := outs.open(path)
		if err != nil {
			return err
		}
		parts = append(parts, part{out, b})
	}
	for _, p := range parts {
		if err := outs.write(ios, p.out, func(w io.Writer) error { return c.writeBucket(w, p.bucket) }); err != nil {
			return err
		}
	}
	return outs.commit()
}

// mkdirAllNoting is os.MkdirAll(dir, 0o755) that appends to made each
// directory it creates, parents first.
func mkdirAllNoting(dir string, made *[]string) error {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil {
			if errors.Is(err, fs.ErrExist) {
				continue // made meanwhile by someone else: not ours to remove
			}
			return err
		}
		*made = append(*made, missing[i])
	}
	return nil
}
