package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/report"
)

type trendOptions struct {
	Inputs    []string
	Format    string
	Output    string
	Wide      bool
	Window    int
	Threshold string
	Sustain   int
}

func newTrendCmd(ios *IOStreams, runF func(*trendOptions) error) *cobra.Command {
	opts := &trendOptions{}
	cmd := &cobra.Command{
		Use:   "trend [flags] INPUT...",
		Short: "Follow nightly JSON reports over time: trailing medians, flags, shifts",
		Long: `Read a series of reports written by 'tokcost analyze --format json' (files, or
directories searched recursively for *.json; other JSON files there are
skipped) and follow each night: sessions, P50/P95/P99 and total cost, tokens,
runaway sessions and wasted dollars, unpriced share, and per workflow, group
and model.

Runs are ordered by the time range each report covers (input.first_ts); when
a report records none, all are ordered by file name, and the output says so.
A copy of a run (same time range and figures, e.g. a baseline.json kept
beside the nightly directories) is counted once.

Each run is compared with the median of the previous --window runs (from the
4th run on) and flagged when it differs by more than --threshold; a P95 or
P99 change is flagged only when that median lies outside the run's 95%
order-statistic confidence interval. --sustain flagged runs in a row, in the
same direction, are a shift, named by its first run. See docs/trend.md.

` + exitCodesHelp,
		Example: `  tokcost trend nightly/
  tokcost trend --format markdown nightly/ >> "$GITHUB_STEP_SUMMARY"
  tokcost trend --format html -o trend.html nightly/*/report.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return trendRun(ios, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Format, "format", "f", "table", report.TrendWriters.FlagHelp())
	f.BoolVar(&opts.Wide, "wide", false, wideHelp)
	f.StringVarP(&opts.Output, "output", "o", "", "write to FILE instead of stdout")
	f.IntVar(&opts.Window, "window", report.DefaultTrendWindow, "compare each run with the median of this many previous runs")
	f.StringVar(&opts.Threshold, "threshold", "20%", "flag a run that differs from the trailing median by more than this (e.g. 20% or 0.2)")
	f.IntVar(&opts.Sustain, "sustain", report.DefaultTrendSustain, "flagged runs in a row that make a sustained shift")
	return cmd
}

func trendRun(ios *IOStreams, opts *trendOptions) error {
	tw, err := report.TrendWriters.Lookup(opts.Format, report.WriterOptions{Width: ios.tableWidth(opts.Wide, opts.Output == "" || opts.Output == "-")})
	if err != nil {
		return usageErr("%s", err)
	}
	if opts.Window < 1 || opts.Sustain < 1 {
		return usageErr("--window and --sustain must be at least 1")
	}
	threshold, err := report.ParseThreshold(opts.Threshold)
	if err != nil {
		return usageErr("--threshold: %s", err)
	}
	series, skipped, err := readSeries(opts.Inputs)
	if err != nil {
		return err
	}
	if err := notOneOf(opts.Output, series); err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(ios.ErrOut, "tokcost: skipped %s\n", s)
	}
	if len(series) == 0 {
		return fmt.Errorf("no tokcost JSON report found in %s", strings.Join(opts.Inputs, " "))
	}
	t := report.BuildTrend(series, report.TrendOptions{Window: opts.Window, Threshold: threshold, Sustain: opts.Sustain})
	return writeOutput(ios, opts.Output, func(w io.Writer) error { return tw.Write(w, t) })
}

// notOneOf refuses an output path that is one of the reports read.
func notOneOf(out string, series []report.SeriesReport) error {
	if out == "" || out == "-" {
		return nil
	}
	st, err := os.Stat(out)
	if err != nil {
		return nil // a new file
	}
	for _, s := range series {
		if in, err := os.Stat(s.Path); err == nil && os.SameFile(st, in) {
			return usageErr("-o %s is one of the input reports", out)
		}
	}
	return nil
}

// readSeries reads every report named or found under a directory. A file
// named explicitly must be a report; one found in a directory that is not
// (a check or diff output, a trend) is skipped and listed.
func readSeries(inputs []string) (series []report.SeriesReport, skipped []string, err error) {
	for _, in := range inputs {
		st, err := os.Stat(in)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", in, err)
		}
		if !st.IsDir() {
			a, err := readReport(in)
			if err != nil {
				return nil, nil, err
			}
			series = append(series, report.SeriesReport{Path: in, Analysis: slim(a)})
			continue
		}
		err = filepath.WalkDir(in, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") || !d.Type().IsRegular() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			if !json.Valid(data) {
				skipped = append(skipped, path+": not valid JSON (a truncated report?)")
				return nil
			}
			if !isAnalysis(data) {
				skipped = append(skipped, path+": not an analyze --format json report")
				return nil
			}
			a, err := report.ReadAnalysis(bytes.NewReader(data))
			if err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			series = append(series, report.SeriesReport{Path: path, Analysis: slim(a)})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return series, skipped, nil
}

// isAnalysis tells an analyze report from the other JSON a nightly
// directory holds: it names its tool and has sessions.
func isAnalysis(data []byte) bool {
	var head struct {
		Tool struct {
			Name string `json:"name"`
		} `json:"tool"`
		Sessions json.RawMessage `json:"sessions"`
		Input    json.RawMessage `json:"input"`
	}
	if json.Unmarshal(data, &head) != nil {
		return false
	}
	return head.Tool.Name == "tokcost" && head.Sessions != nil && head.Input != nil
}

// slim drops what a trend does not read, so a long series of large
// reports holds only their summaries.
func slim(a *report.Analysis) *report.Analysis {
	a.Runaway.Sessions = nil
	a.RunawayGrowth = nil
	a.TopSessions = nil
	a.CapCurve = nil
	return a
}
