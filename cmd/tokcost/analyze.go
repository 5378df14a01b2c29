package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/cline"
	"github.com/tokcost/tokcost/ingest/mapped"
	"github.com/tokcost/tokcost/ingest/opencode"
	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// inputOptions are the flags every command that reads traces shares.
type inputOptions struct {
	Inputs         []string
	InputFormat    string
	PricingFiles   []string
	CostSource     string
	Strict         bool
	FailOnUnpriced bool
	Quiet          bool
	Timeout        time.Duration
	LoopMinRepeats int
	Map            []string
	Limits         limitFlags
	// Local adds the default log directories of every supported coding
	// agent that exist here (local.go).
	Local bool
	// Since and Until keep records with a timestamp in [Since, Until)
	// (window.go).
	Since, Until string
	// State and AfterManifest read only what earlier runs did not
	// (analyze only; incremental.go).
	State, AfterManifest string
	// OpenAIResidency is --openai-residency: "", "eu" or "us".
	OpenAIResidency string
}

// register adds every shared input flag: reading, pricing and loops.
func (o *inputOptions) register(cmd *cobra.Command) {
	o.registerReading(cmd)
	f := cmd.Flags()
	f.StringArrayVar(&o.PricingFiles, "pricing", nil, "price file layered over the embedded table: LiteLLM JSON or tokcost YAML/JSON (repeatable)")
	f.StringVar(&o.CostSource, "cost-source", "auto", "where a call's cost comes from: auto (table, else the record's cost_usd), computed (table only), record (cost_usd only)")
	f.BoolVar(&o.FailOnUnpriced, "fail-on-unpriced", false, "exit 5 when some calls could not be priced, or were billed on a rate the price table does not hold (a service tier at standard or scaled rates, US-only, fast mode or --openai-residency without a multiplier)")
	f.StringVar(&o.OpenAIResidency, "openai-residency", "none", "the data-residency region of the OpenAI project these traces come from: none, eu or us; OpenAI models are billed × the table's regional multiplier (docs/pricing.md)")
	f.DurationVar(&o.Timeout, "timeout", 10*time.Minute, "the agent runtime's session time limit; loops that ended before it are 'under the timeout'")
	f.IntVar(&o.LoopMinRepeats, "loop-min-repeats", analyze.DefaultMinRepeats, "repeats that make a runaway loop, in every shape: failed attempts with the same masked error, identical calls with the same result, model-only calls")
	f.BoolVar(&o.Local, "local", false, "also read the default log directories of every supported coding agent found on this machine (Claude Code, Codex, Gemini CLI, OpenCode, Cline, Roo Code, Kilo Code); prints each one found")
}

// registerReading adds the flags about reading input only, for commands
// that neither price nor analyse (convert).
func (o *inputOptions) registerReading(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.InputFormat, "input-format", "", "force an input format (see 'tokcost formats'); default: detect per file")
	f.StringArrayVar(&o.Map, "map", nil, "read JSONL of any shape: CANONICAL=json.path, e.g. session_id=attributes.thread (repeatable; implies --input-format mapped); with --input-format csv, CANONICAL=Column")
	f.BoolVar(&o.Strict, "strict", false, "treat any invalid input line, a file in a directory that cannot be read, a timestamp that cannot be read, a Cline/Roo Code call whose input tokens had to be assumed, or an OpenCode call that is a message's tokens without its steps, as fatal (exit 3)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print no warnings on stderr (errors still print)")
	f.StringVar(&o.Since, "since", "", "keep only records at or after this time: RFC 3339 (2026-12-03T07:00:00Z) or a UTC date (2026-12-03); records without a timestamp are skipped; prunes year=/month=/day=/hour= and dt= partitions of object-storage inputs")
	f.StringVar(&o.Until, "until", "", "keep only records before this time (exclusive): RFC 3339 or a UTC date")
	o.Limits.register(cmd)
}

// inputSelection validates --map, --input-format and stdin, and returns
// the field mapping (nil without --map).
func (o *inputOptions) inputSelection(ios *IOStreams) (map[string]string, error) {
	fieldMap, err := parseMap(o.Map)
	if err != nil {
		return nil, err
	}
	if fieldMap != nil {
		if o.InputFormat, err = ingest.FieldMapFormat(o.InputFormat); err != nil {
			return nil, usageErr("%s", err)
		}
	}
	if o.InputFormat != "" {
		if _, err := ingest.Lookup(o.InputFormat); err != nil {
			return nil, usageErr("%s", err)
		}
	}
	for _, in := range o.Inputs {
		if in == "-" && ios.StdinTTY {
			return nil, usageErr("input - reads stdin, which is a terminal; pipe traces in or name a file")
		}
	}
	return fieldMap, nil
}

// loopConfig validates the loop flags.
func (o *inputOptions) loopConfig() (analyze.LoopConfig, error) {
	if o.Timeout <= 0 {
		return analyze.LoopConfig{}, usageErr("--timeout must be positive")
	}
	if o.LoopMinRepeats < 2 {
		return analyze.LoopConfig{}, usageErr("--loop-min-repeats must be at least 2")
	}
	cfg := analyze.DefaultLoopConfig()
	cfg.Timeout, cfg.MinRepeats = o.Timeout, o.LoopMinRepeats
	return cfg, nil
}

type analyzeOptions struct {
	inputOptions
	Format string
	Output string
	Top    int
	// GroupBy splits the distributions by a session field.
	GroupBy string
	// SessionsOut, when set, also writes the per-session table as Parquet.
	SessionsOut string
	// Also writes the same report in more formats: FORMAT=FILE each.
	Also []string
	// CSVRaw writes CSV text cells exactly, without the spreadsheet guard.
	CSVRaw bool
	// Wide prints the table format's every column at full width.
	Wide bool
}

func newAnalyzeCmd(ios *IOStreams, runF func(*analyzeOptions) error) *cobra.Command {
	opts := &analyzeOptions{}
	cmd := &cobra.Command{
		Use:   "analyze [flags] INPUT...",
		Short: "Report the per-session cost distribution of agent traces",
		Long: `Read agent traces and report what sessions cost: P50/P95/P99, max, mean and
total of cost, tokens and LLM calls per session, cost and tokens by model,
the output premium, context amplification, and the most expensive sessions.

INPUT is a file, a directory (read recursively), or - for stdin. gzip and
zstd inputs are recognised by their magic bytes.

` + exitCodesHelp,
		Example: `  tokcost analyze testdata/fleet.jsonl
  tokcost analyze --format json -o report.json traces/
  zcat traces.jsonl.gz | tokcost analyze -`,
		Args: inputArgs(&opts.inputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return analyzeRun(ios, opts)
		},
	}
	opts.register(cmd)
	f := cmd.Flags()
	f.StringVarP(&opts.Format, "format", "f", "table", report.AnalyzeWriters.FlagHelp())
	f.StringVarP(&opts.Output, "output", "o", "", "write the report to FILE instead of stdout")
	f.IntVar(&opts.Top, "top", 10, "how many of the most expensive sessions to list")
	f.StringVar(&opts.GroupBy, "group-by", "", "repeat the distributions per group: workflow, model (dominant by cost) or any record attribute")
	f.StringVar(&opts.SessionsOut, "sessions-out", "", "also write one row per session to FILE as zstd Parquet (for DuckDB, Spark, Trino, BigQuery)")
	f.BoolVar(&opts.Wide, "wide", false, wideHelp)
	f.BoolVar(&opts.CSVRaw, "csv-raw", false, "CSV: write text cells exactly as in the traces, for machine consumers (default: a cell starting with = + - @ gets a leading ' so spreadsheets do not run it, and control characters are escaped)")
	f.StringArrayVar(&opts.Also, "also", nil, "also write the report in another format to a file, reading the traces once: FORMAT=FILE, e.g. --also html=report.html (repeatable)")
	f.StringVar(&opts.State, "state", "", "state file (JSON): leave out the files and objects earlier runs with this file read unchanged, and record this run's when it exits 0, so a nightly job reads only what is new; not with --since/--until; the reading options must stay the same (docs/storage.md)")
	f.StringVar(&opts.AfterManifest, "after-manifest", "", "Langfuse blob export: read only the files listed by run manifests (PROJECT/manifests/ID.json) with an ID (YYYY-MM-DDTHH-MM-SS, or 0 for all) after this one, in every project folder; with --state, the newest manifest read in each project folder is remembered (docs/formats/langfuse.md)")
	return cmd
}

// loaded is what every reading command starts from: the finished data
// (*analyze.Dataset or *analyze.Summaries) and what was read.
type loaded[D any] struct {
	data    D
	files   []ingest.FileResult
	ignored int64 // directory entries not read: not trace files by name
	// window is --since/--until; objects what object-storage inputs came
	// to (nil when there were none).
	window  ingest.Window
	objects *ingest.RemoteStats
	counts  analyze.InputCounts
	n       int // sessions
	// inc is what --state/--after-manifest left out and read (nil
	// without them); state the state file read.
	inc   *ingest.Incremental
	state *ingest.State
}

// finisher finishes the collector into D with cfg (prices and cost
// source set), and returns what load reports on.
// It stops, returning ctx's error, once ctx is done.
type finisher[D any] func(ctx context.Context, col *analyze.Collector, cfg analyze.Config) (D, analyze.InputCounts, []ingest.Note, []analyze.ModelUsage, int, error)

// summariesOnly keeps the session summaries (analyze.FinishSummaries),
// for commands that simulate nothing, and with capCosts what a cap sweep
// needs besides; runaway loops are detected with loops.
func summariesOnly(loops analyze.LoopConfig, capCosts bool) finisher[*analyze.Summaries] {
	return func(ctx context.Context, col *analyze.Collector, cfg analyze.Config) (*analyze.Summaries, analyze.InputCounts, []ingest.Note, []analyze.ModelUsage, int, error) {
		cfg.Loops, cfg.KeepCapCosts = &loops, capCosts
		d, err := col.FinishSummariesContext(ctx, cfg)
		if err != nil {
			return nil, analyze.InputCounts{}, nil, nil, 0, err
		}
		return d, d.Counts, d.Examples, d.Models, d.Len(), nil
	}
}

// parseCostSource validates --cost-source.
func parseCostSource(s string) (analyze.CostSource, error) {
	switch s {
	case "auto":
		return analyze.CostAuto, nil
	case "computed":
		return analyze.CostComputed, nil
	case "record":
		return analyze.CostRecord, nil
	}
	return 0, usageErr("invalid --cost-source %q (valid: auto, computed, record)", s)
}

// beforeFinish, when set (by a test), runs just before sessions are
// finished; afterFinish just after.
var beforeFinish, afterFinish func(ctx context.Context)

// load reads, prices and accounts for every input, printing warnings about
// invalid lines and unpriced models on stderr; finish says what is kept
// (summariesOnly).
func load[D any](ios *IOStreams, o *inputOptions, finish finisher[D]) (*loaded[D], error) {
	src, err := parseCostSource(o.CostSource)
	if err != nil {
		return nil, err
	}
	residency, err := o.residency()
	if err != nil {
		return nil, err
	}
	if o.Local {
		dirs, err := localInputs(ios, o.Quiet, thisMachine())
		if err != nil {
			return nil, err
		}
		o.Inputs = append(o.Inputs, dirs...)
		o.Local = false // expanded once
	}
	fieldMap, err := o.inputSelection(ios)
	if err != nil {
		return nil, err
	}
	runOpt, err := o.ingestOptions(ios, fieldMap)
	if err != nil {
		return nil, err
	}
	prices := pricing.Embedded()
	for _, p := range o.PricingFiles {
		if prices, err = pricing.LoadFile(p, prices); err != nil {
			return nil, err
		}
	}
	spill, spilling, err := o.Limits.spillOptions()
	if err != nil {
		return nil, err
	}
	col := analyze.NewCollector()
	if spilling {
		col = analyze.NewSpillingCollector(spill)
	}
	defer col.Release() // on every path: the spill file goes where it cannot be unlinked early
	prog := startProgress(ios, o.Quiet, o.Inputs)
	ctx := ios.context()
	var ignored int64
	var objects ingest.RemoteStats
	runOpt.Context, runOpt.Ignored, runOpt.Remote = ctx, &ignored, &objects
	state, inc, err := o.incremental(runOpt)
	if err != nil {
		return nil, err
	}
	runOpt.Incremental = inc
	files, err := ingest.Run(o.Inputs, runOpt,
		func(res ingest.FileResult, index int) ingest.SinkFactory {
			return prog.wrap(index, col.Factory(index))
		})
	prog.finish()
	ios.timing.done("read")
	ios.timing.generations(col.Generations())
	if err != nil {
		return nil, err
	}
	if beforeFinish != nil {
		beforeFinish(ctx)
	}
	data, counts, examples, models, n, err := finish(ctx, col, analyze.Config{Prices: prices, CostSource: src, OpenAIResidency: residency})
	if err != nil {
		return nil, err // interrupted, or a spill file not read back: finish released what it held
	}
	if afterFinish != nil {
		afterFinish(ctx)
	}
	ios.timing.done("finish")
	// Summaries spilled to disk (analyze.Summaries) have a file to remove.
	spilledSums, _ := any(data).(interface {
		SpilledSummaries() int64
		Release()
	})
	if err := ctx.Err(); err != nil {
		if spilledSums != nil {
			spilledSums.Release()
		}
		return nil, err // interrupted while sessions were finished
	}
	if n, err := col.Spilled(); !o.Quiet {
		if n > 0 {
			fmt.Fprintf(ios.ErrOut, "tokcost: spilled %.1f MiB of records to disk (--memory-limit %s); the results are the same as in memory\n",
				float64(n)/(1<<20), memoryLimitText(o.Limits.MemoryLimit))
		}
		if err != nil {
			fmt.Fprintf(ios.ErrOut, "tokcost: warning: stopped spilling to disk (%v); the rest of the records stayed in memory\n", err)
		}
		if spilledSums != nil && spilledSums.SpilledSummaries() > 0 {
			fmt.Fprintf(ios.ErrOut, "tokcost: spilled %.1f MiB of session summaries to disk (--memory-limit %s); the results are the same as in memory\n",
				float64(spilledSums.SpilledSummaries())/(1<<20), memoryLimitText(o.Limits.MemoryLimit))
		}
		if err := col.SummarySpillErr(); err != nil {
			fmt.Fprintf(ios.ErrOut, "tokcost: warning: could not spill session summaries to disk (%v); they stayed in memory\n", err)
		}
	}
	unread := reportUnread(ios, o.Quiet, files)

	if counts.Invalid > 0 && (!o.Quiet || o.Strict) {
		for _, n := range examples {
			msg := n.Reason
			if n.Detail != "" {
				msg += ": " + n.Detail
			}
			fmt.Fprintf(ios.ErrOut, "tokcost: %s:%d: %s\n", report.SafeText(n.File), n.Line, report.SafeText(msg))
		}
		if more := counts.Invalid - int64(len(examples)); more > 0 {
			fmt.Fprintf(ios.ErrOut, "tokcost: … and %d more invalid lines (counted by reason in the report's input section)\n", more)
		}
	}
	if o.Strict && counts.Invalid > 0 {
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("%d invalid input lines and --strict is set", counts.Invalid)}
	}
	if o.Strict && unread > 0 {
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("%d input files could not be read and --strict is set", unread)}
	}
	if err := assumedInput(ios, o, counts.UnknownUsageFields[cline.AssumedField], counts.UnknownUsageFields[opencode.AssumedField]); err != nil {
		return nil, err
	}
	if o.Strict && inc != nil && inc.Missing > 0 {
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("%d files listed by Langfuse manifests are not among the inputs and --strict is set", inc.Missing)}
	}
	if o.Strict && counts.TSUnreadable > 0 {
		// Kept without a time, such records have no place in their
		// session's order and no duration: loops, caps and durations stand
		// on an assumption, so the input is not clean.
		return nil, &exitError{code: ExitInvalid, err: fmt.Errorf("%d records have a timestamp that cannot be read (kept without a time, unordered) and --strict is set", counts.TSUnreadable)}
	}
	var unpriced []string
	var unpricedCalls int64
	for _, m := range models {
		if m.Unpriced > 0 {
			name := m.Model
			if name == "" {
				name = "(no model)"
			}
			unpriced = append(unpriced, fmt.Sprintf("%s (%d calls)", report.SafeText(name), m.Unpriced))
			unpricedCalls += m.Unpriced
		}
	}
	if len(unpriced) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d calls could not be priced and are excluded from costs: %s; add prices with --pricing\n",
			unpricedCalls, strings.Join(unpriced, ", "))
	}
	var noFee, noUplift, noFast, mediaText, noRegion, otherProv []string
	for _, m := range models {
		if m.ResidencyOtherProvider > 0 {
			otherProv = append(otherProv, fmt.Sprintf("%s (%d calls)", m.Model, m.ResidencyOtherProvider))
		}
		if m.ResidencyNoUplift > 0 {
			noRegion = append(noRegion, fmt.Sprintf("%s (%d calls)", m.Model, m.ResidencyNoUplift))
		}
		if m.UnpricedWebSearches > 0 {
			noFee = append(noFee, fmt.Sprintf("%s (%d searches)", m.Model, m.UnpricedWebSearches))
		}
		if m.USOnlyNoUplift > 0 {
			noUplift = append(noUplift, fmt.Sprintf("%s (%d calls)", m.Model, m.USOnlyNoUplift))
		}
		if m.FastNoMultiplier > 0 {
			noFast = append(noFast, fmt.Sprintf("%s (%d calls)", m.Model, m.FastNoMultiplier))
		}
		if m.MediaTextRateCalls > 0 {
			mediaText = append(mediaText, fmt.Sprintf("%s (%d calls)", m.Model, m.MediaTextRateCalls))
		}
	}
	if len(mediaText) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: audio or image tokens billed at a text rate (no rate for the modality in the table, or more media than uncached input, so in the cache classes): %s\n", report.SafeText(strings.Join(mediaText, ", ")))
	}
	if len(otherProv) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: note: --openai-residency %s: calls of OpenAI models whose records name another provider are billed by that provider and not uplifted: %s\n", o.OpenAIResidency, report.SafeText(strings.Join(otherProv, ", ")))
	}
	if len(noRegion) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: --openai-residency %s: OpenAI models without that region's multiplier in the table, billed at base rates: %s\n", o.OpenAIResidency, report.SafeText(strings.Join(noRegion, ", ")))
	}
	if len(noFast) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: fast-mode calls of models without a fast multiplier in the table, billed at base rates: %s\n", report.SafeText(strings.Join(noFast, ", ")))
	}
	if n := counts.SkippedByReason[ingest.SkippedNoTimestamp]; n > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d records have no timestamp and were left out by --since/--until\n", n)
	}
	if len(noUplift) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: US-only calls of models without a US uplift in the table, billed at base rates: %s\n", report.SafeText(strings.Join(noUplift, ", ")))
	}
	if len(noFee) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: web searches without a price in the table are not in the cost: %s\n", report.SafeText(strings.Join(noFee, ", ")))
	}
	if fb := standardRateTiers(models); len(fb) > 0 && !o.Quiet {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: service tiers without rates in the price table, billed at standard rates: %s; add the tier's rates with --pricing\n",
			report.SafeText(strings.Join(fb, ", ")))
	}
	if inc != nil && !o.Quiet {
		incrementalNotes(ios, inc)
	}
	l := &loaded[D]{data: data, files: files, ignored: ignored, window: runOpt.Window, counts: counts, n: n, inc: inc, state: state}
	if objects.Listed > 0 {
		l.objects = &objects
	}
	return l, nil
}

// assumedInput reports n Cline/Roo Code calls whose tokensIn may or may
// not include the cache (their totals stand on an assumption,
// docs/formats/cline.md) and oc OpenCode calls whose tokens are their
// message's, the last step's only (docs/formats/opencode.md): a warning,
// or exit 3 under --strict.
func assumedInput(ios *IOStreams, o *inputOptions, n, oc int64) error {
	if n == 0 && oc == 0 {
		return nil
	}
	if o.Strict {
		var what []string
		if n > 0 {
			what = append(what, fmt.Sprintf("%d Cline/Roo Code calls do not record whether tokensIn includes the cache (input tokens assumed)", n))
		}
		if oc > 0 {
			what = append(what, fmt.Sprintf("%d OpenCode calls are a message's own tokens without its steps (the last step's only; earlier steps may be missing)", oc))
		}
		return &exitError{code: ExitInvalid, err: fmt.Errorf("%s and --strict is set", strings.Join(what, "; "))}
	}
	if !o.Quiet && n > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d Cline/Roo Code calls do not record whether tokensIn includes the cache; their input tokens are assumed (docs/formats/cline.md), counted as unknown usage field %s\n", n, cline.AssumedField)
	}
	if !o.Quiet && oc > 0 {
		fmt.Fprintf(ios.ErrOut, "tokcost: warning: %d OpenCode calls are their message's own tokens, which are only its last step's: the message's step-finish parts are missing, so earlier steps may be uncounted (docs/formats/opencode.md); counted as unknown usage field %s\n", oc, opencode.AssumedField)
	}
	return nil
}

// reportUnread prints one line per input listed but not read (unless
// quiet: the report lists them too) and returns how many could not be
// read, which makes the input unclean (--strict fails on them).
func reportUnread(ios *IOStreams, quiet bool, files []ingest.FileResult) int {
	unread := 0
	for _, f := range files {
		switch {
		case f.Error != "":
			unread++
			if !quiet {
				fmt.Fprintf(ios.ErrOut, "tokcost: warning: %s: not read: %s\n", report.SafeText(f.Name), report.SafeText(f.Error))
			}
		case f.Skipped != "" && !quiet:
			fmt.Fprintf(ios.ErrOut, "tokcost: note: %s: not read: %s\n", report.SafeText(f.Name), report.SafeText(f.Skipped))
		}
	}
	return unread
}

// noRecords is the error for input without a single record: nothing is
// written, since a report of zeros would read as "cost nothing".
func noRecords[D any](l *loaded[D]) error {
	c := l.counts
	if c.Records > 0 && l.n > 0 {
		return nil
	}
	what := "no line held a record tokcost could read"
	if c.Lines == 0 {
		what = "the input is empty"
	}
	return &exitError{code: ExitNoRecords, err: fmt.Errorf("no records: %s (%d files, %d lines: %d invalid, %d blank, %d skipped); nothing to report",
		what, len(l.files), c.Lines, c.Invalid, c.Blank, c.Skipped)}
}

// parseMap turns repeated --map CANONICAL=PATH flags into a mapping,
// validated against the canonical field names.
func parseMap(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(flags))
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil, usageErr("invalid --map %q: want CANONICAL=json.path, e.g. session_id=attributes.thread", f)
		}
		if _, dup := m[k]; dup {
			return nil, usageErr("--map names %s twice", k)
		}
		m[k] = v
	}
	if err := mapped.ValidateMap(m); err != nil {
		return nil, usageErr("--map: %s", err)
	}
	return m, nil
}

func analyzeRun(ios *IOStreams, opts *analyzeOptions) error {
	wopt, xopt := reportWriterOptions(ios, opts.Output, opts.CSVRaw, opts.Wide)
	w, err := report.AnalyzeWriters.Lookup(opts.Format, wopt)
	if err != nil {
		return usageErr("%s", err)
	}
	if opts.Top < 0 {
		return usageErr("--top must be 0 or more")
	}
	loops, err := opts.loopConfig()
	if err != nil {
		return err
	}
	if opts.SessionsOut == "-" {
		return usageErr("--sessions-out needs a file: stdout carries the report")
	}
	extras, html, err := parseAlso(opts.Also, xopt)
	if err != nil {
		return err
	}
	html = html || opts.Format == "html"
	// Outputs are checked against the inputs and their temp files made
	// before anything is read: a clash or an unwritable directory fails
	// at once, not after the whole read.
	paths := []string{opts.Output, opts.SessionsOut, opts.State}
	for _, x := range extras {
		paths = append(paths, x.path)
	}
	if err := guardOutputs(opts.Inputs, paths...); err != nil {
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
	sessionsOut, err := outs.open(opts.SessionsOut)
	if err != nil {
		return err
	}
	// The state is replaced with the reports, never before: a run that
	// fails leaves it as it was, so the next run reads the same inputs.
	stateOut, err := outs.open(opts.State)
	if err != nil {
		return err
	}
	// Events are dropped as sessions are finished, which bounds memory;
	// the HTML report's cap sweep and the session table (merge) keep
	// each model call's cost.
	ios.timing.done("start")
	l, err := load(ios, &opts.inputOptions, summariesOnly(loops, html || opts.SessionsOut != ""))
	if err != nil {
		return err
	}
	defer l.data.Release() // the summaries' spill file, if any
	outs.failed = l.data.Err
	if err := nothingNew(l); err != nil {
		return err
	}
	if err := noRecords(l); err != nil {
		return err
	}
	v, c := buildInfo()
	var caps []int
	if html { // the HTML report charts the cap sweep
		caps = report.DefaultCaps(l.data)
	}
	var alreadyRead, notInManifest, manifestMissing int64
	if l.inc != nil {
		alreadyRead, notInManifest, manifestMissing = l.inc.AlreadyRead, l.inc.NotInManifest, l.inc.Missing
	}
	a := report.Build(l.data, report.BuildOptions{
		Tool:            report.ToolInfo{Name: "tokcost", Version: v, Commit: c},
		Files:           l.files,
		IgnoredFiles:    l.ignored,
		Window:          l.window,
		Objects:         l.objects,
		AlreadyRead:     alreadyRead,
		NotInManifest:   notInManifest,
		ManifestMissing: manifestMissing,
		CostSource:      opts.CostSource,
		TopN:            opts.Top,
		Caps:            caps,
	})
	if opts.GroupBy != "" {
		if err := a.AddGroups(l.data, opts.GroupBy); err != nil {
			return usageErr("--group-by: %s", report.SafeText(err.Error())) // lists the traces' field names
		}
	}
	ios.timing.done("report")
	// Summaries spilled to disk that could not be read back leave the
	// figures incomplete: an error, before anything is written.
	if err := l.data.Err(); err != nil {
		return err
	}
	if err := outs.write(ios, mainOut, func(out io.Writer) error { return w.Write(out, a) }); err != nil {
		return err
	}
	if err := writeExtras(ios, outs, extras, a); err != nil {
		return err
	}
	if sessionsOut != nil {
		meta := report.RunMeta{RunDate: time.Now()}
		if err := outs.write(ios, sessionsOut, func(out io.Writer) error { return report.WriteSessionsParquet(out, a, meta) }); err != nil {
			return err
		}
	}
	// The state is written only by a run that exits 0: a run that fails
	// (here --fail-on-unpriced) is to be run again on the same inputs.
	var verdict error
	if opts.FailOnUnpriced {
		verdict = unpricedError(a)
	}
	if stateOut != nil && verdict == nil {
		l.state.Add(l.inc, l.files, time.Now())
		b, err := l.state.Marshal()
		if err != nil {
			return err
		}
		if err := outs.write(ios, stateOut, func(out io.Writer) error { _, err := out.Write(b); return err }); err != nil {
			return err
		}
		if n := l.inc.Forgotten; n > 0 {
			fmt.Fprintf(ios.ErrOut, "tokcost: note: the state file forgot %d inputs that are gone from the directories and prefixes read\n", n)
		}
	}
	// Every output is replaced only once all are written.
	if err := outs.commit(); err != nil {
		return err
	}
	ios.timing.done("write")
	return verdict
}

// unpricedError is --fail-on-unpriced's verdict: exit 5 when some dollars
// are missing (calls or web searches the table has no price for) or stand
// on a rate the table does not hold (a service tier billed at standard
// rates, a tier class scaled from the standard rate, a US-only call billed
// without its uplift). Exact, or loud: an assumed figure must be able to
// fail the run (docs/pricing.md, "Billing dimensions").
func unpricedError(a *report.Analysis) error { return unpricedVerdict(a.Models) }

// unpricedVerdict is unpricedError on the models of any run (analyze's
// report, check's report read back, whatif's and ticket's dataset), so
// every command's --fail-on-unpriced fails on the same things.
func unpricedVerdict(models []analyze.ModelUsage) error {
	var unpriced, noFee, stdTiers, scaledTiers int
	var usNoUplift, noFast, mediaText, noRegion int64
	for _, m := range models {
		noRegion += m.ResidencyNoUplift
		if m.Unpriced > 0 {
			unpriced++
		}
		if m.UnpricedWebSearches > 0 {
			noFee++
		}
		for _, t := range m.ByTier.Used() {
			if t.StandardRateCalls > 0 {
				stdTiers++
			}
			if t.ScaledRateCalls > 0 {
				scaledTiers++
			}
		}
		usNoUplift += m.USOnlyNoUplift
		noFast += m.FastNoMultiplier
		mediaText += m.MediaTextRateCalls
	}
	var why string
	switch {
	case unpriced > 0:
		why = fmt.Sprintf("%d models could not be priced", unpriced)
	case noFee > 0:
		why = fmt.Sprintf("%d models made web searches the table has no price for", noFee)
	case stdTiers > 0:
		why = fmt.Sprintf("%d model service tiers have no rates (billed at standard rates)", stdTiers)
	case scaledTiers > 0:
		why = fmt.Sprintf("%d model service tiers were billed at assumed (scaled) rates for some token class", scaledTiers)
	case usNoUplift > 0:
		why = fmt.Sprintf("%d US-only calls were billed without a US multiplier", usNoUplift)
	case noFast > 0:
		why = fmt.Sprintf("%d fast-mode calls were billed without a fast multiplier", noFast)
	case mediaText > 0:
		why = fmt.Sprintf("%d calls with audio or image tokens were billed at a text rate (no rate for the modality, or more media than uncached input)", mediaText)
	case noRegion > 0:
		why = fmt.Sprintf("%d OpenAI calls were billed without the --openai-residency multiplier", noRegion)
	default:
		return nil
	}
	return &exitError{code: ExitUnpriced, err: fmt.Errorf("%s and --fail-on-unpriced is set", why)}
}

// standardRateTiers lists "model tier (N calls)" for each service tier a
// model was called in that the price table has no rates for.
func standardRateTiers(models []analyze.ModelUsage) []string {
	var out []string
	for _, m := range models {
		for _, t := range m.ByTier.Used() {
			if t.StandardRateCalls > 0 {
				name := m.Model
				if name == "" {
					name = "(no model)"
				}
				out = append(out, fmt.Sprintf("%s %s (%d calls)", name, t.Tier, t.StandardRateCalls))
			}
		}
	}
	return out
}

// reportWriterOptions are the writer options of an analysis report's main
// output (-o, or stdout: a table there fits the terminal) and of its --also
// files (a table there fits COLUMNS or 100, not this terminal).
func reportWriterOptions(ios *IOStreams, output string, csvRaw, wide bool) (main, also report.WriterOptions) {
	toStdout := output == "" || output == "-"
	main = report.WriterOptions{CSVRaw: csvRaw, Width: ios.tableWidth(wide, toStdout)}
	also = main
	also.Width = ios.tableWidth(wide, false)
	return main, also
}

// extra is one --also FORMAT=FILE: a writer, the file it writes and, once
// opened (openExtras), its output.
type extra struct {
	w    report.Writer
	path string
	out  *output
}

// openExtras opens every --also file in outs.
func openExtras(outs *outputs, extras []extra) error {
	for i := range extras {
		var err error
		if extras[i].out, err = outs.open(extras[i].path); err != nil {
			return err
		}
	}
	return nil
}

// writeExtras writes a to every --also file.
func writeExtras(ios *IOStreams, outs *outputs, extras []extra, a *report.Analysis) error {
	for _, x := range extras {
		if err := outs.write(ios, x.out, func(out io.Writer) error { return x.w.Write(out, a) }); err != nil {
			return err
		}
	}
	return nil
}

// parseAlso reads analyze's and merge's --also FORMAT=FILE values, and
// reports whether one of them is HTML (which needs the cap sweep).
func parseAlso(also []string, opt report.WriterOptions) ([]extra, bool, error) {
	var extras []extra
	html := false
	for _, a := range also {
		format, path, ok := strings.Cut(a, "=")
		if !ok || path == "" || path == "-" {
			return nil, false, usageErr("invalid --also %q: want FORMAT=FILE, e.g. html=report.html (stdout carries the main report)", a)
		}
		xw, err := report.AnalyzeWriters.Lookup(format, opt)
		if err != nil {
			return nil, false, usageErr("--also: %s", err)
		}
		extras = append(extras, extra{w: xw, path: path})
		html = html || format == "html"
	}
	return extras, html, nil
}

// residency validates --openai-residency: "" for none.
func (o *inputOptions) residency() (string, error) {
	switch o.OpenAIResidency {
	case "", "none":
		return "", nil
	case "eu", "us":
		return o.OpenAIResidency, nil
	}
	return "", usageErr("--openai-residency %q: want none, eu or us", o.OpenAIResidency)
}
