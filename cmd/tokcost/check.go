package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/report"
)

// defaultConfig is read from the working directory when --config is not given.
const defaultConfig = ".tokcost.yaml"

type checkOptions struct {
	inputOptions
	Format string
	Wide   bool
	Config string
	// SessionTables: the inputs are session tables (analyze
	// --sessions-out), merged as tokcost merge does, not traces.
	SessionTables bool
	// budgets holds the budget flags as text, parsed by report.Budgets.Set
	// exactly like the config file's values.
	budgets map[string]*string
}

func newCheckCmd(ios *IOStreams, runF func(*checkOptions) error) *cobra.Command {
	opts := &checkOptions{budgets: map[string]*string{}}
	cmd := &cobra.Command{
		Use:   "check [flags] INPUT...",
		Short: "Fail (exit 4) when traces break a cost budget: the CI gate",
		Long: `Read agent traces like 'tokcost analyze' and check budgets: P95/P99 cost and
P95 tokens per session (overall, or per group with --group-by workflow|model|ATTR),
runaway loops, wasted and unpriced shares, regression against a baseline
report, and P95 rise over the trailing median of earlier nightly reports
(--history DIR --max-p95-rise 20%: a single noisy night does not move the
median). Each rule is printed with its measured value, limit and PASS/FAIL.

The gate fails closed. Whatever budgets are set, three input rules always
apply: records (no record at all fails, exit 6), max-invalid-share (lines
not understood, default 1% of non-blank lines) and max-unpriced-share
(tokens of calls that could not be priced, default 1%). A default limit is
printed as "(default)"; set the key to change it, e.g. 100% to disable.

Budgets come from flags or a YAML file with the same names (--config FILE,
default .tokcost.yaml in the working directory when present); flags override
the file. An unknown key is a usage error naming it. Example file:

  max-p95-cost: 1.50        # USD per session
  max-runaway: 0
  max-wasted-share: 5%
  group-by: workflow

` + exitCodesHelp,
		Example: `  tokcost check --max-p95-cost 2 --max-runaway 0 traces/
  tokcost check --baseline last-night.json --max-regression 10% traces/
  tokcost check --history nightly/ --max-p95-rise 20% traces/
  tokcost check --format markdown traces/ >> "$GITHUB_STEP_SUMMARY"`,
		Args: inputArgs(&opts.inputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			// Only flags given on the command line override the file.
			for k := range opts.budgets {
				if !cmd.Flags().Changed(k) {
					delete(opts.budgets, k)
				}
			}
			if opts.SessionTables {
				// The tables were priced and analysed by their runs.
				for _, name := range tableIgnoredFlags {
					if cmd.Flags().Changed(name) {
						return usageErr("--%s does not apply to --session-tables: the tables hold what their runs read, priced and found (docs/scale.md)", name)
					}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return checkRun(ios, opts)
		},
	}
	opts.register(cmd)
	f := cmd.Flags()
	f.StringVarP(&opts.Format, "format", "f", "table", report.CheckWriters.FlagHelp())
	f.BoolVar(&opts.Wide, "wide", false, wideHelp)
	f.BoolVar(&opts.SessionTables, "session-tables", false, "the inputs are session tables (analyze --sessions-out: files, directories or s3:// prefixes, as merge reads them), checked as one run over all their traces")
	f.StringVar(&opts.Config, "config", "", "budget file (YAML); default "+defaultConfig+" in the working directory when present")
	for _, k := range report.CheckKeys { // one flag per key of the check table
		if !k.NoKey {
			opts.budgets[k.Key] = f.String(k.Key, "", k.Help)
		}
	}
	return cmd
}

// budgets merges the config file and the flags.
func (o *checkOptions) loadBudgets() (report.Budgets, error) {
	var b report.Budgets
	path, required := o.Config, true
	if path == "" {
		path, required = defaultConfig, false
	}
	fh, err := os.Open(path)
	switch {
	case err == nil:
		b, err = report.ParseBudgets(fh, path)
		_ = fh.Close() // read-only: nothing to lose
		if err != nil {
			return b, usageErr("%s", err)
		}
	case required || !errors.Is(err, os.ErrNotExist):
		return b, usageErr("config: %s", err)
	}
	for _, k := range report.BudgetKeys {
		if v, ok := o.budgets[k]; ok {
			if err := b.Set(k, *v); err != nil {
				return b, usageErr("--%s", err)
			}
		}
	}
	if err := b.Validate(); err != nil {
		return b, usageErr("%s", err)
	}
	return b, nil
}

func checkRun(ios *IOStreams, opts *checkOptions) error {
	cw, err := report.CheckWriters.Lookup(opts.Format, report.WriterOptions{Width: ios.tableWidth(opts.Wide, true)})
	if err != nil {
		return usageErr("%s", err)
	}
	b, err := opts.loadBudgets()
	if err != nil {
		return err
	}
	loops, err := opts.loopConfig()
	if err != nil {
		return err
	}
	var base *report.Analysis
	if b.Baseline != "" {
		if base, err = readReport(b.Baseline); err != nil {
			return err
		}
	}
	var (
		a    *report.Analysis
		data *analyze.Summaries
		// empty is the error for input without records, returned after
		// the check is printed (the records rule fails on it).
		empty error
	)
	if opts.SessionTables {
		if a, data, err = checkTables(ios, opts); err != nil {
			return err
		}
		if data.Len() == 0 {
			empty = &exitError{code: ExitNoRecords, err: fmt.Errorf("no sessions in the session tables; nothing to check")}
		}
	} else {
		l, err := load(ios, &opts.inputOptions, summariesOnly(loops, false))
		if err != nil {
			return err
		}
		defer l.data.Release() // the summaries' spill file, if any
		v, c := buildInfo()
		data, empty = l.data, noRecords(l)
		a = report.Build(l.data, report.BuildOptions{
			Tool:         report.ToolInfo{Name: "tokcost", Version: v, Commit: c},
			Files:        l.files,
			IgnoredFiles: l.ignored,
			Window:       l.window,
			Objects:      l.objects,
			CostSource:   opts.CostSource,
		})
	}
	var groups []report.GroupStats
	if b.GroupBy != "" {
		if groups, err = report.GroupStatsOf(data, b.GroupBy); err != nil {
			return usageErr("--group-by: %s", report.SafeText(err.Error())) // lists the traces' field names
		}
	}
	if err := data.Err(); err != nil {
		return err // spilled summaries not read back: the figures are incomplete
	}
	res := report.Check(a, groups, b, base)
	if b.History != "" {
		if err := historyRule(ios, &res, a, b); err != nil {
			return err
		}
	}
	if err := cw.Write(ios.Out, res); err != nil {
		return err
	}
	// No records fails the records rule; its own exit code says why.
	if empty != nil {
		return empty
	}
	if !res.Pass {
		return &exitError{code: ExitCheck, err: fmt.Errorf("%d of %d budget rules failed", res.Failed, len(res.Rules))}
	}
	// Unpriced calls make every cost figure a lower bound: a gate that
	// passed on them must not pass silently when asked not to.
	if opts.FailOnUnpriced {
		return unpricedError(a)
	}
	return nil
}

// readReport reads a JSON report written by analyze.
func readReport(path string) (*report.Analysis, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	defer func() { _ = fh.Close() }() // read-only: nothing to lose
	a, err := report.ReadAnalysis(fh)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return a, nil
}

// historyRule adds max-p95-rise against the reports in b.History that
// start before this input. A history with no earlier report (the first
// night) adds no rule and says so on stderr.
func historyRule(ios *IOStreams, res *report.CheckResult, a *report.Analysis, b report.Budgets) error {
	st, err := os.Stat(b.History)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if !st.IsDir() {
		return usageErr("--history %s: want a directory of JSON reports", b.History)
	}
	series, skipped, err := readSeries([]string{b.History})
	if err != nil {
		return err
	}
	// A report left out changes the baseline: name each one.
	for _, s := range skipped {
		fmt.Fprintf(ios.ErrOut, "tokcost: history: skipped %s\n", s)
	}
	earlier, note := report.EarlierRuns(a, series)
	if note != "" {
		fmt.Fprintf(ios.ErrOut, "tokcost: history: %s\n", note)
	}
	if _, ok := report.AddHistoryRule(res, a, earlier, *b.MaxP95Rise, report.DefaultTrendWindow); !ok {
		msg := fmt.Sprintf("no report in %s covers time before this input: max-p95-rise not checked", b.History)
		fmt.Fprintf(ios.ErrOut, "tokcost: history: %s\n", msg)
		res.Notes = append(res.Notes, msg)
	}
	return nil
}

// tableIgnoredFlags are the reading, pricing and loop flags a run over
// session tables cannot apply: the tables were read, priced and analysed.
var tableIgnoredFlags = []string{"input-format", "map", "since", "until", "local", "pricing", "cost-source", "openai-residency",
	"timeout", "loop-min-repeats", "max-input-bytes", "max-line-bytes", "memory-limit", "temp-dir"}

// checkTables merges session tables as tokcost merge does and builds the
// analysis check reads: the one of a run over all their traces.
func checkTables(ios *IOStreams, opts *checkOptions) (*report.Analysis, *analyze.Summaries, error) {
	files, _, err := tableFiles(ios, opts.Inputs)
	if err != nil {
		return nil, nil, err
	}
	m, err := readTables(files)
	if err != nil {
		return nil, nil, err
	}
	if err := tableWarnings(ios, m, opts.Strict, opts.Quiet); err != nil {
		return nil, nil, err
	}
	a := report.Build(m.Data, report.BuildOptions{
		Tool:         m.Tool,
		Files:        m.Files,
		IgnoredFiles: m.IgnoredFiles,
		Window:       m.Window, // the tables' runs' --since/--until
		CostSource:   m.Pricing.CostSource,
	})
	a.Pricing.Info, a.Pricing.CostSource = m.Pricing.Info, m.Pricing.CostSource
	return a, m.Data, nil
}
