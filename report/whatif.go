package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
)

// WhatifReport is the result of `tokcost whatif`: the JSON contract.
// Baseline, caps, window, route, combined and groups come from the
// embedded analyze.Whatif.
type WhatifReport struct {
	SchemaVersion int         `json:"schema_version"`
	Tool          ToolInfo    `json:"tool"`
	Pricing       PricingInfo `json:"pricing"`
	Input         Input       `json:"input"`
	*analyze.Whatif
}

// WhatifOptions controls BuildWhatif.
type WhatifOptions struct {
	Tool       ToolInfo
	Files      []ingest.FileResult
	CostSource string
}

// BuildWhatif wraps a simulation result with the report's provenance.
func BuildWhatif(d *analyze.Dataset, w *analyze.Whatif, opt WhatifOptions) *WhatifReport {
	return BuildWhatifFrom(d.Counts, d.Config, d.Models, w, opt)
}

// BuildWhatifFrom is BuildWhatif from what it reads of the sessions: the
// input counts, the finishing config and the usage by model (a Dataset's
// or a Summaries').
func BuildWhatifFrom(counts analyze.InputCounts, cfg analyze.Config, models []analyze.ModelUsage, w *analyze.Whatif, opt WhatifOptions) *WhatifReport {
	d := struct {
		Config analyze.Config
		Models []analyze.ModelUsage
	}{cfg, models}
	r := &WhatifReport{
		SchemaVersion: SchemaVersion,
		Tool:          opt.Tool,
		Input:         Input{Files: opt.Files, InputCounts: counts, Unpriced: []Unpriced{}},
		Whatif:        w,
	}
	if r.Input.Files == nil {
		r.Input.Files = []ingest.FileResult{}
	}
	if r.Input.InvalidByReason == nil {
		r.Input.InvalidByReason = map[string]int64{}
	}
	if d.Config.Prices != nil {
		r.Pricing.Info = d.Config.Prices.Info()
	}
	r.Pricing.CostSource = opt.CostSource
	r.Pricing.OpenAIResidency = d.Config.OpenAIResidency
	for _, m := range d.Models {
		if m.Unpriced > 0 {
			r.Input.Unpriced = append(r.Input.Unpriced, Unpriced{Model: m.Model, Calls: m.Unpriced, Tokens: m.Tokens.Total()})
		}
	}
	sort.Slice(r.Input.Unpriced, func(i, j int) bool {
		a, b := r.Input.Unpriced[i], r.Input.Unpriced[j]
		if a.Tokens != b.Tokens {
			return a.Tokens > b.Tokens
		}
		return a.Model < b.Model
	})
	return r
}

// WhatifWriter renders a WhatifReport in one format (WhatifWriters).
type WhatifWriter = FormatWriter[*WhatifReport]

type whatifTable struct{ width int }

// WriteWhatif renders the human view: baseline, then each policy against it.
func (t whatifTable) Write(w io.Writer, r *WhatifReport) error {
	p := &printer{w: w, width: t.width}
	p.f("tokcost %s · prices %s (sha256 %s) · cost source %s\n", r.Tool.Version, r.Pricing.Version, short(r.Pricing.SHA256), r.Pricing.CostSource)
	writeSim(p, &r.Sim, true)
	if len(r.Groups) > 0 {
		p.f("\nby %s\n", r.GroupBy)
		rows := make([][]string, 0, len(r.Groups))
		for _, g := range r.Groups {
			b := g.Baseline
			rec, recSaved := "-", "-"
			if g.RecommendedCap != nil {
				rec, recSaved = count(int64(g.RecommendedCap.Cap)), usd(g.RecommendedCap.CostSavedUSD)
			}
			win, comb := "-", "-"
			if g.Window != nil {
				win = usd(g.Window.CostSavedUSD)
			}
			if g.Combined != nil {
				comb = usd(g.Combined.P95CostUSD)
			}
			route := 0.0
			for _, rt := range g.Route {
				route += rt.CostSavedUSD
			}
			routeS := "-"
			if len(g.Route) > 0 {
				routeS = usd(route)
			}
			rows = append(rows, []string{g.Key, count(int64(b.Sessions)), count(int64(b.RunawaySessions)), usd(b.TotalCostUSD),
				usd(b.P50CostUSD), usd(b.P95CostUSD), usd(b.P99CostUSD), rec, recSaved, win, routeS, comb})
		}
		if err := p.table([]string{r.GroupBy, "sessions", "runaway", "total", "P50", "P95", "P99", "rec. cap", "cap saves", "window saves", "route saves", "combined P95"}, rows, 1,
			// Too wide: P50 and P99 go first (P95 is the budget figure), then
			// the window, route and combined what-ifs (each has its own table
			// above), then runaway; key, sessions, total, P95 and the cap stay.
			4, 6, 9, 10, 11, 2); err != nil {
			return err
		}
		for _, g := range r.Groups {
			for _, warn := range g.Warnings {
				if strings.HasPrefix(warn, "window: ") {
					continue // said once for the whole report
				}
				p.f("%s: warning: %s\n", g.Key, warn)
			}
		}
	}
	return p.err
}

// writeSim renders one Sim; top adds the warnings (groups show theirs in
// a list after the group table).
func writeSim(p *printer, s *analyze.Sim, top bool) {
	b := s.Baseline
	p.f("\nbaseline: %s sessions (%s runaway loops, %s healthy)", count(int64(b.Sessions)), count(int64(b.RunawaySessions)), count(int64(b.HealthySessions)))
	if b.UnpricedCalls > 0 {
		p.f(", %s unpriced calls", count(int64(b.UnpricedCalls)))
	}
	p.f("\n")
	rows := [][]string{{"cost (USD)", usd(b.TotalCostUSD), usd(b.MeanCostUSD), usd(b.P50CostUSD), usd(b.P95CostUSD), usd(b.P99CostUSD), usd(b.MaxCostUSD)}}
	// Too wide: mean (total ÷ sessions) then max go first.
	_ = p.table([]string{"per session", "total", "mean", "P50", "P95", "P99", "max"}, rows, 1, 2, 6)
	p.f("95%% confidence (order statistics): P95 %s · P99 %s\n", interval(b.P95CI), interval(b.P99CI))
	if top {
		for _, w := range s.Warnings {
			p.f("warning: %s\n", w)
		}
	}

	if len(s.Caps) > 0 {
		p.f("\niteration caps (an iteration is one LLM call; healthy = not a runaway loop)\n")
		rows = rows[:0]
		for _, c := range s.Caps {
			rows = append(rows, capRow(c))
		}
		_ = p.table([]string{"cap", "sessions cut", "healthy cut", "healthy %", "runaway cut", "saved", "saved %", "P95 after", "P99 after"}, rows, 0,
			// Too wide: healthy cut goes first (healthy % says it), then
			// runaway cut, P99 after and sessions cut; the cap, the share of
			// healthy sessions it cuts, the savings and P95 after stay.
			2, 4, 8, 1)
	}
	if rc := s.RecommendedCap; rc != nil {
		p.f("recommended cap: %d LLM calls, the smallest that cuts at most %s of healthy sessions: cuts %s healthy (%s) and %s runaway sessions, saves %s (%s), P95 %s → %s\n",
			rc.Cap, pct(rc.MaxCollateral), count(int64(rc.HealthySessionsCut)), pct(rc.HealthySessionsCutShare), count(int64(rc.RunawaySessionsCut)),
			usd(rc.CostSavedUSD), pct(rc.SavedShare), usd(b.P95CostUSD), usd(rc.P95CostUSDAfter))
	}
	if w := s.Window; w != nil {
		p.f("\nsliding window K=%d: %s calls truncated, %s input tokens saved, %s saved, P95 %s → %s",
			w.K, count(int64(w.CallsTruncated)), count(w.TokensSaved), usd(w.CostSavedUSD), usd(b.P95CostUSD), usd(w.P95CostUSDAfter))
		if w.UnpricedTokensSaved > 0 {
			p.f(" (+%s tokens on unpriced calls)", count(w.UnpricedTokensSaved))
		}
		p.f("\n")
	}
	if len(s.Route) > 0 {
		p.f("\nrouting (tokens unchanged, re-priced at the target's rates)\n")
		rows = rows[:0]
		for _, r := range s.Route {
			calls := count(int64(r.CallsRerouted))
			if r.UnpricedCalls > 0 {
				calls += fmt.Sprintf(" (+%d unpriced)", r.UnpricedCalls)
			}
			rows = append(rows, []string{r.Match, r.Model, r.PricedAs, calls, usd(r.CostBeforeUSD), usd(r.CostAfterUSD), usd(r.CostSavedUSD)})
		}
		// Too wide: priced as (provenance, in JSON) then calls go first.
		_ = p.table([]string{"match", "model", "priced as", "calls", "before", "after", "saved"}, rows, 3, 2, 3)
	}
	if c := s.Combined; c != nil {
		p.f("\ncombined (%s; applied in that order): total %s (saves %s), mean %s, P50 %s, P95 %s, P99 %s\n",
			strings.Join(c.Policies, ", "), usd(c.TotalCostUSD), usd(c.CostSavedUSD), usd(c.MeanCostUSD), usd(c.P50CostUSD), usd(c.P95CostUSD), usd(c.P99CostUSD))
	}
	if e := s.Econ; e != nil {
		p.f("\nunit economics at %s tasks/month: mean × tasks %s (95%% bootstrap %s–%s, %d resamples, seed %d); P95 × tasks %s\n",
			num(e.TasksPerMonth), usd(e.MonthlyMeanUSD), usd(e.MonthlyMeanLowUSD), usd(e.MonthlyMeanHighUSD), e.Resamples, e.Seed, usd(e.MonthlyP95USD))
		if e.RevenuePerTask != nil {
			p.f("margin per task at %s revenue: P50 %s", usd(*e.RevenuePerTask), usd(*e.MarginP50USD))
			if e.MarginP50Share != nil {
				p.f(" (%s)", pct(*e.MarginP50Share))
			}
			p.f(", P95 %s", usd(*e.MarginP95USD))
			if e.MarginP95Share != nil {
				p.f(" (%s)", pct(*e.MarginP95Share))
			}
			p.f("\n")
		}
	}
}

func capRow(c analyze.CapResult) []string {
	return []string{count(int64(c.Cap)), count(int64(c.SessionsCut)), count(int64(c.HealthySessionsCut)), pct(c.HealthySessionsCutShare),
		count(int64(c.RunawaySessionsCut)), usd(c.CostSavedUSD), pct(c.SavedShare), usd(c.P95CostUSDAfter), usd(c.P99CostUSDAfter)}
}

// interval shows a confidence interval; a bound the sample cannot give
// shows as "?".
func interval(iv analyze.Interval) string {
	lo, hi := "?", "?"
	if iv.Lower != nil {
		lo = usd(*iv.Lower)
	}
	if iv.Upper != nil {
		hi = usd(*iv.Upper)
	}
	return "[" + lo + ", " + hi + "]"
}
