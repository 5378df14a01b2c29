package main

import (
	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/report"
)

type diffOptions struct {
	Old, New string
	Format   string
	Wide     bool
}

func newDiffCmd(ios *IOStreams, runF func(*diffOptions) error) *cobra.Command {
	opts := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff [flags] OLD.json NEW.json",
		Short: "Compare two JSON reports: headline numbers side by side",
		Long: `Compare two reports written by 'tokcost analyze --format json': session and
record counts, P50/P95/P99/mean/total cost per session, tokens, runaway loops
and wasted dollars, cost by model and by workflow, each with its absolute and
relative change. Reports of a schema_version this tokcost does not know are
refused.

` + exitCodesHelp,
		Example: `  tokcost diff last-night.json tonight.json
  tokcost diff --format markdown last-night.json tonight.json >> "$GITHUB_STEP_SUMMARY"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if runF != nil {
				return runF(opts)
			}
			return diffRun(ios, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "table", report.DiffWriters.FlagHelp())
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, wideHelp)
	return cmd
}

func diffRun(ios *IOStreams, opts *diffOptions) error {
	w, err := report.DiffWriters.Lookup(opts.Format, report.WriterOptions{Width: ios.tableWidth(opts.Wide, true)})
	if err != nil {
		return usageErr("%s", err)
	}
	old, err := readReport(opts.Old)
	if err != nil {
		return err
	}
	cur, err := readReport(opts.New)
	if err != nil {
		return err
	}
	return w.Write(ios.Out, report.Diff(old, cur))
}
