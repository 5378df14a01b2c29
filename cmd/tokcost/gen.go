package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/gen"
)

type genOptions struct {
	Sessions int
	Seed     uint64
	Output   string
	Truth    string
	Start    string
	Timeout  time.Duration
	MeanGap  time.Duration
	Shapes   bool
}

func newGenCmd(ios *IOStreams) *cobra.Command {
	opts := &genOptions{}
	cmd := &cobra.Command{
		Use:   "gen [flags]",
		Short: "Generate realistic synthetic agent traces with ground truth",
		Long: `Generate a deterministic, seeded fleet of agent sessions as canonical JSONL:
healthy ReAct loops, long healthy sessions, expensive single documents,
runaway retry loops under and over the timeout, sibling-cancel cascades, user
rejections, prompt caching, planner/executor roles, interleaved sessions and
duplicate events. --truth writes one JSON object per session saying what it
is (class, loop start, repeats, tokens, cost from the generator's own rate
table), for tests and benchmarks. The same seed gives byte-identical output.

` + exitCodesHelp,
		Example: `  tokcost gen --sessions 1000 --seed 7 -o fleet.jsonl --truth truth.jsonl
  tokcost gen --sessions 200000 | tokcost analyze -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return genRun(ios, opts) },
	}
	f := cmd.Flags()
	f.IntVarP(&opts.Sessions, "sessions", "n", 1000, "number of sessions")
	f.Uint64Var(&opts.Seed, "seed", 1, "random seed")
	f.StringVarP(&opts.Output, "output", "o", "", "write traces to FILE instead of stdout")
	f.StringVar(&opts.Truth, "truth", "", "write the ground truth (JSONL, one object per session) to FILE")
	f.StringVar(&opts.Start, "start", "", "first session's start, RFC 3339 (default "+gen.DefaultStart.Format(time.RFC3339)+")")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Minute, "the agent runtime's session time limit the over-timeout loops exceed")
	f.DurationVar(&opts.MeanGap, "mean-gap", 3*time.Second, "mean time between session starts (sets how many sessions overlap)")
	f.BoolVar(&opts.Shapes, "loop-shapes", false, "add the loop shapes of real traces (no progress, interleaved, volatile errors, fix-test cycles, apologies) and their hard negatives (batch reads, polling, flaky retries) as classes, and write tool_args and tool_result")
	return cmd
}

func genRun(ios *IOStreams, o *genOptions) error {
	if o.Sessions < 0 {
		return usageErr("--sessions must be 0 or more")
	}
	if o.Timeout <= 0 || o.MeanGap <= 0 {
		return usageErr("--timeout and --mean-gap must be positive")
	}
	opt := gen.Options{Sessions: o.Sessions, Seed: o.Seed, Timeout: o.Timeout, MeanGap: o.MeanGap, LoopShapes: o.Shapes}
	if o.Start != "" {
		t, err := time.Parse(time.RFC3339, o.Start)
		if err != nil {
			return usageErr("invalid --start %q: want RFC 3339, e.g. 2026-11-01T00:00:00Z", o.Start)
		}
		opt.Start = t
	}
	write := func(traces io.Writer) error {
		if o.Truth == "" {
			_, err := gen.Generate(traces, nil, opt)
			return err
		}
		return writeOutput(ios, o.Truth, func(truth io.Writer) error {
			_, err := gen.Generate(traces, truth, opt)
			return err
		})
	}
	if err := writeOutput(ios, o.Output, write); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	return nil
}
