package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
	"github.com/tokcost/tokcost/report"
)

// policyOptions are the simulation flags whatif and ticket share.
type policyOptions struct {
	inputOptions
	Caps           []int
	MaxCollateral  float64
	Window         int
	Routes         []string
	RouteTools     []string
	GroupBy        string
	TasksPerMonth  float64
	RevenuePerTask float64
	Output         string
}

func (o *policyOptions) register(cmd *cobra.Command) {
	o.inputOptions.register(cmd)
	f := cmd.Flags()
	f.IntSliceVar(&o.Caps, "caps", analyze.DefaultCaps, "iteration caps to simulate (an iteration is one LLM call)")
	f.Float64Var(&o.MaxCollateral, "max-collateral", analyze.DefaultMaxCollateral, "largest share of healthy sessions the recommended cap may cut (0.01 = 1%)")
	f.IntVar(&o.Window, "window", 0, "simulate a sliding context window keeping the first call's input and the last K turns' additions")
	f.StringArrayVar(&o.Routes, "route", nil, "re-price calls of a role at another model's rates: ROLE=MODEL (repeatable)")
	f.StringArrayVar(&o.RouteTools, "route-tool", nil, "re-price calls that issued a tool matching a path.Match glob: PATTERN=MODEL (repeatable)")
	f.StringVar(&o.GroupBy, "group-by", "", "repeat every figure per group: workflow, model (dominant by cost) or any record attribute")
	f.Float64Var(&o.TasksPerMonth, "tasks-per-month", 0, "project monthly cost for this many tasks (sessions)")
	f.Float64Var(&o.RevenuePerTask, "revenue-per-task", 0, "revenue per task in USD, for margins (needs --tasks-per-month)")
	f.StringVarP(&o.Output, "output", "o", "", "write the result to FILE instead of stdout")
}

// config validates the flags into a simulation config. Route targets are
// checked against the price table (embedded plus --pricing files) before
// any input is read: an unknown target is a usage error, never $0.
func (o *policyOptions) config(cmd *cobra.Command) (analyze.WhatifConfig, error) {
	var cfg analyze.WhatifConfig
	loops, err := o.loopConfig()
	if err != nil {
		return cfg, err
	}
	for _, c := range o.Caps {
		if c < 1 {
			return cfg, usageErr("--caps: %d is not a positive number of LLM calls", c)
		}
	}
	// Written as !(in range) so NaN, which fails every comparison, is
	// refused too; the upper bounds keep projections finite.
	if !(o.MaxCollateral >= 0 && o.MaxCollateral <= 1) {
		return cfg, usageErr("--max-collateral must be between 0 and 1 (a share, 0.01 = 1%%)")
	}
	if o.Window < 0 {
		return cfg, usageErr("--window must be at least 1")
	}
	if !(o.TasksPerMonth >= 0 && o.TasksPerMonth <= maxTasksPerMonth) {
		return cfg, usageErr("--tasks-per-month must be a number from 0 to 1e12")
	}
	hasRevenue := cmd.Flags().Changed("revenue-per-task")
	if hasRevenue && o.TasksPerMonth == 0 {
		return cfg, usageErr("--revenue-per-task needs --tasks-per-month")
	}
	if !(o.RevenuePerTask >= 0 && o.RevenuePerTask <= maxRevenuePerTask) {
		return cfg, usageErr("--revenue-per-task must be a number of USD from 0 to 1e9")
	}
	if cmd.Flags().Changed("group-by") && o.GroupBy == "" {
		return cfg, usageErr("--group-by needs a field name")
	}
	var routes []analyze.Route
	for _, spec := range o.Routes {
		k, m, ok := strings.Cut(spec, "=")
		if !ok || k == "" || m == "" {
			return cfg, usageErr("--route %q: want ROLE=MODEL", spec)
		}
		routes = append(routes, analyze.Route{Role: k, Model: m})
	}
	for _, spec := range o.RouteTools {
		k, m, ok := strings.Cut(spec, "=")
		if !ok || k == "" || m == "" {
			return cfg, usageErr("--route-tool %q: want PATTERN=MODEL", spec)
		}
		routes = append(routes, analyze.Route{Tool: k, Model: m})
	}
	if len(routes) > 0 {
		prices, err := priceTable(&o.inputOptions)
		if err != nil {
			return cfg, err
		}
		if err := analyze.ValidateRoutes(prices, routes); err != nil {
			if errors.Is(err, analyze.ErrUnknownTarget) {
				return cfg, usageErr("%s; 'tokcost prices --list' lists the known models, --pricing adds others", err)
			}
			return cfg, usageErr("%s", err)
		}
	}
	return analyze.WhatifConfig{
		Caps: o.Caps, MaxCollateral: o.MaxCollateral, Window: o.Window, Routes: routes, Loops: loops, GroupBy: o.GroupBy,
		Econ: analyze.EconConfig{TasksPerMonth: o.TasksPerMonth, RevenuePerTask: o.RevenuePerTask, HasRevenue: hasRevenue},
	}, nil
}

// priceTable is the embedded table with the --pricing files layered on,
// as load builds it.
func priceTable(o *inputOptions) (*pricing.Table, error) {
	prices := pricing.Embedded()
	for _, p := range o.PricingFiles {
		var err error
		if prices, err = pricing.LoadFile(p, prices); err != nil {
			return nil, err
		}
	}
	return prices, nil
}

// validateModel checks that a model named on the command line is priced.
func validateModel(o *inputOptions, model string) error {
	prices, err := priceTable(o)
	if err != nil {
		return err
	}
	if _, ok := prices.Lookup(model, "", 0); !ok {
		return usageErr("model %q is not in the price table; 'tokcost prices --list' lists the known models, --pricing adds others", model)
	}
	return nil
}

// simulate loads the inputs and runs the policies: each session is
// replayed while it is finished, and only what the results are added up
// from is kept (analyze.WhatifSpec), never every event.
func (o *policyOptions) simulate(ios *IOStreams, sp *analyze.WhatifSpec) (*analyze.Summaries, *report.WhatifReport, error) {
	if err := guardOutputs(o.Inputs, o.Output); err != nil {
		return nil, nil, err
	}
	cfg := sp.Config
	l, err := load(ios, &o.inputOptions, replayed(cfg.Loops, sp))
	if err != nil {
		return nil, nil, err
	}
	if err := noRecords(l); err != nil {
		return nil, nil, err
	}
	if cfg.GroupBy != "" {
		// A field no session has is a usage error listing the fields.
		if _, err := analyze.GroupSummaries(l.data, cfg.GroupBy); err != nil {
			return nil, nil, usageErr("--group-by: %s", report.SafeText(err.Error())) // lists the traces' field names
		}
	}
	w, err := analyze.SimulateSummaries(l.data, sp)
	if err != nil {
		return nil, nil, err
	}
	if err := unmatchedRoutes(sp, cfg.Routes, w.Route); err != nil {
		return nil, nil, err
	}
	v, c := buildInfo()
	r := report.BuildWhatifFrom(l.data.Counts, l.data.Config, l.data.Models, w, report.WhatifOptions{
		Tool: report.ToolInfo{Name: "tokcost", Version: v, Commit: c}, Files: l.files, CostSource: o.CostSource,
	})
	return l.data, r, nil
}

// replayed keeps the session summaries (analyze.FinishSummaries), each
// session replayed under sp's policies while its events exist; runaway
// loops are detected with loops.
func replayed(loops analyze.LoopConfig, sp *analyze.WhatifSpec) finisher[*analyze.Summaries] {
	return func(ctx context.Context, col *analyze.Collector, cfg analyze.Config) (*analyze.Summaries, analyze.InputCounts, []ingest.Note, []analyze.ModelUsage, int, error) {
		cfg.Loops, cfg.Whatif = &loops, sp
		d, err := col.FinishSummariesContext(ctx, cfg)
		if err != nil {
			return nil, analyze.InputCounts{}, nil, nil, 0, err
		}
		return d, d.Counts, d.Examples, d.Models, d.Len(), nil
	}
}

// unmatchedRoutes is a usage error for the first route that matched no
// call: a typo in a role or glob would otherwise reroute nothing and say
// nothing. It lists the roles or tools the traces do have.
func unmatchedRoutes(sp *analyze.WhatifSpec, routes []analyze.Route, res []analyze.RouteResult) error {
	for i, r := range routes {
		if r.All || i >= len(res) || res[i].CallsRerouted+res[i].UnpricedCalls > 0 {
			continue
		}
		roles, tools := sp.RolesAndTools()
		if r.Role != "" {
			if roles[r.Role] {
				return usageErr("--route %s=%s matches no call: every call with role %q is taken by an earlier route (the first match wins)", r.Role, r.Model, r.Role)
			}
			return usageErr("--route %s=%s matches no call: no model call has role %q (roles in these traces: %s)", r.Role, r.Model, r.Role, valueList(roles))
		}
		for t := range tools {
			if ok, _ := path.Match(r.Tool, t); ok {
				return usageErr("--route-tool %s=%s matches no call: every call that issued a tool matching %q is taken by an earlier route, or the tool ran before any model call", r.Tool, r.Model, r.Tool)
			}
		}
		return usageErr("--route-tool %s=%s matches no call: no tool matches %q (tools in these traces: %s)", r.Tool, r.Model, r.Tool, valueList(tools))
	}
	return nil
}

// valueList is a set's values, sorted, at most 20 of them; "" is "(none)".
func valueList(set map[string]bool) string {
	vals := make([]string, 0, len(set))
	for v := range set {
		if v == "" {
			v = "(none)"
		}
		// Trace text: errors keep their line breaks (SafeLines), so a
		// newline in a tool name would start a forged line of its own.
		vals = append(vals, report.SafeText(v))
	}
	if len(vals) == 0 {
		return "none"
	}
	sort.Strings(vals)
	const most = 20
	if len(vals) > most {
		return strings.Join(vals[:most], ", ") + fmt.Sprintf(", … and %d more", len(vals)-most)
	}
	return strings.Join(vals, ", ")
}

// unpricedExit applies --fail-on-unpriced after the output is written,
// on the same grounds as analyze: unpriced calls or searches, and rates the
// table does not hold (a service tier at standard or scaled rates, US-only
// or fast mode without a multiplier).
func (o *policyOptions) unpricedExit(d *analyze.Summaries) error {
	if !o.FailOnUnpriced {
		return nil
	}
	return unpricedVerdict(d.Models)
}

const policyHelp = `Policies, each an exact replay of the recorded tokens against the baseline:

  --caps N,…      a session capped at N keeps its first N LLM calls (and the
                  tool calls between them); the saving is the cost of the
                  calls dropped. Healthy sessions cut (not runaway loops) are
                  the collateral; the recommended cap is the smallest N that
                  cuts at most --max-collateral of them.
  --window K      every call keeps the first call's input plus what the last
                  K turns added; tokens dropped are priced at the call's
                  uncached input rate. Truncation can break prompt caching.
  --route R=M     calls with role R are re-priced at model M's rates.
  --route-tool P=M  calls that issued a tool matching the path.Match glob P
                  (a tool record after the call, before the next LLM call)
                  are re-priced at model M's rates. The first matching route
                  wins, --route rules before --route-tool rules.

Combined: cap, then window, then route. With several --caps the combined
policy uses the recommended cap. See docs/whatif.md.`

type whatifOptions struct {
	policyOptions
	Format string
	Wide   bool
}

func newWhatifCmd(ios *IOStreams, runF func(*whatifOptions) error) *cobra.Command {
	opts := &whatifOptions{}
	cmd := &cobra.Command{
		Use:   "whatif [flags] INPUT...",
		Short: "Replay sessions under iteration caps, a context window or model routing",
		Long: `Answer "what would these sessions have cost under policy X" exactly, from the
recorded tokens: per-session total, mean, P50/P95/P99 before and after.

` + policyHelp + `

` + exitCodesHelp,
		Example: `  tokcost whatif --caps 5,10,20 testdata/fleet.jsonl
  tokcost whatif --window 6 --route executor=claude-3-haiku --format json traces/
  tokcost whatif --group-by workflow --tasks-per-month 50000 --revenue-per-task 0.40 traces/`,
		Args: inputArgs(&opts.inputOptions),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Inputs = args
			if runF != nil {
				return runF(opts)
			}
			return whatifRun(ios, cmd, opts)
		},
	}
	opts.register(cmd)
	cmd.Flags().StringVarP(&opts.Format, "format", "f", "table", report.WhatifWriters.FlagHelp())
	cmd.Flags().BoolVar(&opts.Wide, "wide", false, wideHelp)
	return cmd
}

func whatifRun(ios *IOStreams, cmd *cobra.Command, opts *whatifOptions) error {
	w, err := report.WhatifWriters.Lookup(opts.Format, report.WriterOptions{Width: ios.tableWidth(opts.Wide, true)})
	if err != nil {
		return usageErr("%s", err)
	}
	cfg, err := opts.config(cmd)
	if err != nil {
		return err
	}
	d, r, err := opts.simulate(ios, &analyze.WhatifSpec{Config: cfg})
	if err != nil {
		return err
	}
	if err := writeOutput(ios, opts.Output, func(out io.Writer) error { return w.Write(out, r) }); err != nil {
		return err
	}
	return opts.unpricedExit(d)
}

// Bounds on the what-if projection flags: far above any fleet, low enough
// that cost × tasks stays finite.
const (
	maxTasksPerMonth  = 1e12
	maxRevenuePerTask = 1e9
)
