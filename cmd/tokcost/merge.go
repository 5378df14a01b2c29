package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/cline"
	"github.com/tokcost/tokcost/ingest/opencode"
	"github.com/tokcost/tokcost/report"
)

type mergeOptions struct {
	Tables         []string
	Format         string
	Output         string
	Top            int
	GroupBy        string
	Also           []string
	CSVRaw         bool
	Strict         bool
	FailOnUnpriced bool
	Quiet          bool
	Wide           bool
}

func newMergeCmd(ios *IOStreams) *cobra.Command {
	opts := &mergeOptions{}
	cmd := &cobra.Command{
		Use:   "merge [flags] SESSION_TABLE...",
		Short: "Report on session tables of separate runs as one run over all their traces",
		Long: `Read session tables (analyze --sessions-out) of runs over disjoint parts of
a fleet, e.g. the buckets of convert --partition-by session, and write the
report analyze would have written over all their traces in one run: the
same percentiles, loops, models, group-by and formats, to the last digit
(docs/scale.md).

SESSION_TABLE is a file, a directory (its *.parquet files, recursively,
in name order) or an object-storage URL (s3://BUCKET/PREFIX: its *.parquet
objects in key order, read by ranged requests; docs/storage.md). A session id found in more than one table is reported
(count and ids): its sums are added up, the rest is not exact, and
--strict fails (exit 3). Window and routing what-ifs need the raw calls:
run whatif on the traces.

` + exitCodesHelp,
		Example: `  tokcost analyze --sessions-out s/b0.parquet -o /dev/null traces/bucket=000/
  tokcost merge -f json -o report.json s/`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Tables = args
			return mergeRun(ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Format, "format", "f", "table", report.AnalyzeWriters.FlagHelp())
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to FILE instead of stdout")
	f.IntVar(&opts.Top, "top", 10, "how many of the most expensive sessions to list")
	f.StringVar(&opts.GroupBy, "group-by", "", "repeat the distributions per group: workflow, model (dominant by cost) or any record attribute")
	f.StringArrayVar(&opts.Also, "also", nil, "also write the report in another format to a file: FORMAT=FILE (repeatable)")
	f.BoolVar(&opts.CSVRaw, "csv-raw", false, "CSV: write text cells exactly, without the spreadsheet guard")
	f.BoolVar(&opts.Strict, "strict", false, "exit 3 when a session id is in more than one table, or the runs had invalid lines, unreadable files or timestamps, or assumed Cline/OpenCode input tokens")
	f.BoolVar(&opts.FailOnUnpriced, "fail-on-unpriced", false, "exit 5 when some calls could not be priced, or were billed on a rate the price table does not hold (as analyze)")
	f.BoolVarP(&opts.Quiet, "quiet", "q", false, "print no warnings on stderr (errors still print)")
	f.BoolVar(&opts.Wide, "wide", false, wideHelp)
	return cmd
}

// tableSource is one session table to read: a local file or an object.
type tableSource struct {
	name string
	read func() (*report.SessionTable, error)
}

// tableFiles expands directories into their *.parquet files, in name
// order, and object-storage prefixes into their *.parquet objects, in key
// order (read by ranged requests, like Parquet inputs). locals are the
// local files, for the output guard.
func tableFiles(ios *IOStreams, args []string) (srcs []tableSource, locals []string, err error) {
	local := func(p string) tableSource {
		return tableSource{p, func() (*report.SessionTable, error) { return report.ReadSessionTable(p) }}
	}
	for _, a := range args {
		if ingest.IsRemote(a) {
			r, l, err := ingest.ListRemote(ios.context(), a)
			if err != nil {
				return nil, nil, err
			}
			n := 0
			for _, o := range l.Objects {
				if !l.Single && !strings.HasSuffix(strings.ToLower(o.Key), ".parquet") {
					continue
				}
				n++
				srcs = append(srcs, tableSource{o.URL, func() (*report.SessionTable, error) {
					return report.ReadSessionTableAt(o.URL, r.ReaderAt(ios.context(), o), o.Size)
				}})
			}
			if n == 0 {
				return nil, nil, fmt.Errorf("%s: no .parquet session tables", o0(a))
			}
			continue
		}
		st, err := os.Stat(a)
		if err != nil {
			return nil, nil, err
		}
		if !st.IsDir() {
			srcs, locals = append(srcs, local(a)), append(locals, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(strings.ToLower(d.Name()), ".parquet") {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if len(found) == 0 {
			return nil, nil, fmt.Errorf("%s: no .parquet session tables", a)
		}
		sort.Strings(found)
		for _, p := range found {
			srcs, locals = append(srcs, local(p)), append(locals, p)
		}
	}
	return srcs, locals, nil
}

// o0 names an object-storage URL without its query, which may carry an
// endpoint's credentials.
func o0(url string) string {
	if i := strings.IndexByte(url, '?'); i >= 0 {
		return url[:i]
	}
	return url
}

func mergeRun(ios *IOStreams, opts *mergeOptions) error {
	wopt, xopt := reportWriterOptions(ios, opts.Output, opts.CSVRaw, opts.Wide)
	w, err := report.AnalyzeWriters.Lookup(opts.Format, wopt)
	if err != nil {
		return usageErr("%s", err)
	}
	if opts.Top < 0 {
		return usageErr("--top must be 0 or more")
	}
	extras, html, err := parseAlso(opts.Also, xopt)
	if err != nil {
		return err
	}
	html = html || opts.Format == "html"
	files, locals, err := tableFiles(ios, opts.Tables)
	if err != nil {
		return err
	}
	paths := []string{opts.Output}
	for _, x := range extras {
		paths = append(paths, x.path)
	}
	if err := guardOutputs(locals, paths...); err != nil {
		return err
	}
	outs := newOutputs(ios)
	defer outs.discard()
	mainOut, err := outs.open(opts.Output)
	if err != nil {
		return err
	}
	if err := openExtras(outs, extras); err != nil {
		return err
	}
	m, err := readTables(files)
	if err != nil {
		return err
	}
	d := m.Data
	if len(d.Sessions) == 0 {
		return &exitError{code: ExitNoRecords, err: fmt.Errorf("no sessions in %d session tables; nothing to report", len(files))}
	}
	if err := tableWarnings(ios, m, opts.Strict, opts.Quiet); err != nil {
		return err
	}
	var caps []int
	if html {
		caps = report.DefaultCaps(d)
	}
	a := report.Build(d, report.BuildOptions{
		Tool:         m.Tool,
		Files:        m.Files,
		IgnoredFiles: m.IgnoredFiles,
		Window:       m.Window, // the tables' runs' --since/--until
		CostSource:   m.Pricing.CostSource,
		TopN:         opts.Top,
		Caps:         caps,
	})
	a.Pricing.Info, a.Pricing.CostSource = m.Pricing.Info, m.Pricing.CostSource // Build's cost by source stands
	a.Pricing.OpenAIResidency = m.Pricing.OpenAIResidency
	if html && a.CapCurve == nil && !opts.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: some session tables have no call costs: the HTML report has no cap sweep\n")
	}
	if opts.GroupBy != "" {
		if err := a.AddGroups(d, opts.GroupBy); err != nil {
			return usageErr("--group-by: %s", report.SafeText(err.Error()))
		}
	}
	if err := outs.write(ios, mainOut, func(out io.Writer) error { return w.Write(out, a) }); err != nil {
		return err
	}
	if err := writeExtras(ios, outs, extras, a); err != nil {
		return err
	}
	if err := outs.commit(); err != nil {
		return err
	}
	if opts.FailOnUnpriced {
		// The same grounds as analyze's, assumed rates included.
		if err := unpricedError(a); err != nil {
			return err
		}
	}
	if opts.FailOnUnpriced && (len(a.Input.Unpriced) > 0 || len(a.Input.UnpricedServerTools) > 0 || len(a.Input.StandardRate) > 0) {
		return &exitError{code: ExitUnpriced, err: fmt.Errorf("some calls could not be priced (or were billed at standard rates) and --fail-on-unpriced is set")}
	}
	return nil
}

// readTables reads and merges session tables.
func readTables(files []tableSource) (*report.Merged, error) {
	tables := make([]*report.SessionTable, len(files))
	for i, f := range files {
		var err error
		if tables[i], err = f.read(); err != nil {
			return nil, err
		}
	}
	return report.MergeSessionTables(tables)
}

// tableWarnings says on stderr what makes merged tables less than exact or
// their runs' input not clean, and fails under strict.
func tableWarnings(ios *IOStreams, m *report.Merged, strict, quiet bool) error {
	d := m.Data
	if n := len(m.DuplicateIDs); n > 0 {
		ids := m.DuplicateIDs
		if len(ids) > 10 {
			ids = ids[:10]
		}
		msg := fmt.Sprintf("%d session ids are in more than one table (%s%s): their sums are added up, but loops, dominant models, attributes and cap sweeps of those sessions are not exact; a session must be whole in one table",
			n, report.SafeText(strings.Join(ids, ", ")), map[bool]string{true: ", …", false: ""}[n > 10])
		if strict {
			return &exitError{code: ExitInvalid, err: fmt.Errorf("%s, and --strict is set", msg)}
		}
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %s\n", msg)
	}
	if strict && d.Counts.Invalid > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d invalid input lines and --strict is set", d.Counts.Invalid)}
	}
	unread := reportUnread(ios, quiet, m.Files)
	if strict && unread > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d input files could not be read and --strict is set", unread)}
	}
	if strict && d.Counts.TSUnreadable > 0 {
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%d records have a timestamp that cannot be read (kept without a time, unordered) and --strict is set", d.Counts.TSUnreadable)}
	}
	// Input tokens the runs assumed (Cline, OpenCode): analyze --strict
	// fails on them, so --strict over their tables must too; the runs
	// printed the warning.
	if c := d.Counts.UnknownUsageFields; strict && c[cline.AssumedField]+c[opencode.AssumedField] > 0 {
		return assumedInput(ios, &inputOptions{Strict: true}, c[cline.AssumedField], c[opencode.AssumedField])
	}
	if d.Counts.Invalid > 0 && !quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: the runs read %d invalid lines (counted by reason in the report's input section; their runs printed them)\n", d.Counts.Invalid)
	}
	return nil
}
