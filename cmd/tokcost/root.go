package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	// Each format registers itself with ingest; the CLI offers them all.
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
	_ "github.com/tokcost/tokcost/ingest/sweagent"

	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// Main runs tokcost with args and returns the exit status. Errors are
// printed once, here, as "tokcost: …".
func Main(ios *IOStreams, args []string) int {
	return MainContext(context.Background(), ios, args)
}

// MainContext is Main under ctx: once ctx is cancelled with a signalled
// cause (signals.go), reading and writing stop, no output is replaced,
// temp files are removed, and the exit status is 128 + the signal number.
func MainContext(ctx context.Context, ios *IOStreams, args []string) int {
	cp := *ios
	cp.ctx = ctx
	ios = &cp
	root := newRootCmd(ios)
	root.SetArgs(args)
	err := root.Execute()
	if code, ok := interruptedExit(ctx); ok {
		fmt.Fprintf(ios.ErrOut, "tokcost: %s: stopped; no output file was replaced\n", context.Cause(ctx))
		return code
	}
	if err == nil {
		return ExitOK
	}
	var re *runError
	fromRun := errors.As(err, &re)
	if fromRun {
		err = re.err
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		// Errors quote file names, models and flag values: escape them.
		fmt.Fprintf(ios.ErrOut, "tokcost: %s\n", report.SafeLines(err.Error()))
	}
	if !fromRun && !errors.As(err, &ee) {
		// cobra's own errors (arguments, unknown commands, flag groups)
		// are plain errors; flag parsing errors come typed through the
		// FlagErrorFunc.
		fmt.Fprintf(ios.ErrOut, "Run 'tokcost --help' for usage.\n")
		return ExitUsage
	}
	return exitCode(err)
}

// runError marks an error a command's RunE returned, so that every other
// plain error Execute returns is known to be cobra's rejection of the
// command line, without matching its text.
type runError struct{ err error }

func (e *runError) Error() string { return e.err.Error() }
func (e *runError) Unwrap() error { return e.err }

// markRunErrors wraps the RunE of c and of every command below it.
func markRunErrors(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := run(cmd, args); err != nil {
				return &runError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRunErrors(sub)
	}
}

func newRootCmd(ios *IOStreams) *cobra.Command {
	v, c := buildInfo()
	info := pricing.Embedded().Info()
	versionLine := fmt.Sprintf("%s (commit %s), price table %s (sha256 %s)", v, orUnknown(c), info.Version, info.SHA256)
	root := &cobra.Command{
		Use:   "tokcost",
		Short: "What your AI agents really cost, and why",
		Long: `tokcost reads agent traces (JSONL, Parquet, OpenTelemetry, Claude Code, Codex,
Langfuse) offline and reports the per-session cost distribution (P50/P95/P99),
runaway retry loops, and what caps, windows and routing would save.`,
		Version:       versionLine,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetIn(ios.In)
	root.SetVersionTemplate("tokcost {{.Version}}\n")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		//nolint:revive,staticcheck // the second line is the usage hint, printed as is
		return &exitError{code: ExitUsage, err: fmt.Errorf("%w\nRun '%s --help' for usage.", err, cmd.CommandPath())}
	})
	root.AddCommand(
		newAnalyzeCmd(ios, nil),
		newMergeCmd(ios),
		newWhatifCmd(ios, nil),
		newTicketCmd(ios, nil),
		newCheckCmd(ios, nil),
		newDiffCmd(ios, nil),
		newTrendCmd(ios, nil),
		newPricesCmd(ios, nil),
		newConvertCmd(ios, nil),
		newGenCmd(ios),
		newFormatsCmd(ios),
	)
	registerCompletions(root)
	markRunErrors(root)
	return root
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
