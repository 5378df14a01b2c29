package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
)

// TicketOptions controls BuildTicket.
type TicketOptions struct {
	// Flagship is the model the "one model for everything" counterfactual
	// uses; "" picks analyze.FlagshipModel.
	Flagship string
	// Evidence is how many runaway sessions to list (default 5).
	Evidence int
	// MinCapSaving is the share of spend the recommended cap must save to
	// be proposed; nil is DefaultMinCapSaving.
	MinCapSaving *float64
}

// DefaultMinCapSaving: a cap saving less than 5% of spend is not proposed.
const DefaultMinCapSaving = 0.05

// LoopCause is one runaway-loop signature: the tool and masked error the
// loops retried, and what they wasted.
type LoopCause struct {
	Tool           string
	Signal         string // the loop's signal, shown when there is no tool
	ErrorSignature string
	Sessions       int
	WastedCostUSD  float64
}

// RoleSpend is what the model calls of one role cost.
type RoleSpend struct {
	Role    string
	Calls   int
	CostUSD float64
}

// Ticket is what `tokcost ticket` writes: the whatif result plus the
// flagship-everywhere counterfactual the architecture paragraph needs.
type Ticket struct {
	*WhatifReport
	Flagship      string
	FlagshipP95   float64 // P95 per task with every call on Flagship
	FlagshipTotal float64
	Evidence      int
	// CapIsLever: there is a recommended cap and it saves at least
	// MinCapSaving of spend. Otherwise the ticket proposes no cap and shows
	// what would help instead: LoopCauses, RoleSpend and the input share.
	CapIsLever   bool
	MinCapSaving float64
	LoopCauses   []LoopCause
	RoleSpend    []RoleSpend
	// InputCostUSD is what input tokens cost (cache reads and writes
	// included): what a context window trims.
	InputCostUSD float64
}

// BuildTicket adds the flagship counterfactual to a whatif report. It
// re-simulates d with every call routed to the flagship model.
func BuildTicket(d *analyze.Dataset, r *WhatifReport, opt TicketOptions) (*Ticket, error) {
	f := analyze.TicketFigures{Flagship: opt.Flagship}
	if f.Flagship == "" {
		f.Flagship = analyze.FlagshipModel(d)
	}
	if f.Flagship != "" {
		w, err := analyze.Simulate(d, analyze.WhatifConfig{Routes: []analyze.Route{{All: true, Model: f.Flagship}}})
		if err != nil {
			return nil, err
		}
		f.FlagshipP95, f.FlagshipTotal = w.Combined.P95CostUSD, w.Combined.TotalCostUSD
	}
	f.Roles = roleCosts(d)
	return BuildTicketFrom(d.Models, f, r, opt), nil
}

// BuildTicketFrom is BuildTicket from the figures it needs of the
// sessions (analyze.WhatifSpec.Ticket): the usage by model, the spend by
// role and the flagship figure (opt.Flagship is f's).
func BuildTicketFrom(models []analyze.ModelUsage, f analyze.TicketFigures, r *WhatifReport, opt TicketOptions) *Ticket {
	t := &Ticket{WhatifReport: r, Flagship: f.Flagship, Evidence: opt.Evidence, MinCapSaving: DefaultMinCapSaving}
	if t.Evidence <= 0 {
		t.Evidence = 5
	}
	if opt.MinCapSaving != nil {
		t.MinCapSaving = *opt.MinCapSaving
	}
	rc := r.RecommendedCap
	t.CapIsLever = rc != nil && rc.SavedShare >= t.MinCapSaving && rc.CostSavedUSD > 0
	if !t.CapIsLever {
		t.LoopCauses = loopCauses(r.Runaway.Sessions)
		t.RoleSpend = roleSpend(f.Roles)
		for _, m := range models {
			t.InputCostUSD += m.CostByPart.Input + m.CostByPart.CacheRead + m.CostByPart.CacheWrite
		}
	}
	if t.Flagship != "" {
		t.FlagshipP95, t.FlagshipTotal = f.FlagshipP95, f.FlagshipTotal
	}
	return t
}

// loopCauses groups runaway loops by tool and masked error, most wasted
// first.
func loopCauses(rs []analyze.RunawaySession) []LoopCause {
	idx := map[[3]string]int{}
	var out []LoopCause
	for _, r := range rs {
		k := [3]string{r.Tool, r.ErrorSignature, r.Signal}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, LoopCause{Tool: r.Tool, Signal: r.Signal, ErrorSignature: r.ErrorSignature})
		}
		out[i].Sessions++
		out[i].WastedCostUSD += r.WastedCostUSD
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].WastedCostUSD > out[j].WastedCostUSD })
	return out
}

// roleCosts is the cost of the model calls of each role, first seen
// first ("" for calls without a role).
func roleCosts(d *analyze.Dataset) []analyze.RoleCost {
	idx := map[string]int{}
	var out []analyze.RoleCost
	for _, s := range d.Sessions {
		for i := range s.Events {
			e := &s.Events[i]
			if e.Kind != ingest.KindLLM {
				continue
			}
			role := d.Str(e.Role)
			j, ok := idx[role]
			if !ok {
				j = len(out)
				idx[role] = j
				out = append(out, analyze.RoleCost{Role: role})
			}
			out[j].Calls++
			out[j].CostUSD += e.Cost
		}
	}
	return out
}

// roleSpend is the spend by role, dearest first.
func roleSpend(roles []analyze.RoleCost) []RoleSpend {
	if len(roles) == 0 {
		return nil
	}
	out := make([]RoleSpend, len(roles))
	for i, r := range roles {
		out[i] = RoleSpend{Role: r.Role, Calls: r.Calls, CostUSD: r.CostUSD}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].CostUSD != out[j].CostUSD {
			return out[i].CostUSD > out[j].CostUSD
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// WriteTicket renders the ticket as Markdown for GitHub or Jira.
func WriteTicket(w io.Writer, t *Ticket) error {
	p := &printer{w: w}
	b := t.Baseline
	rc := t.RecommendedCap
	var tasks float64
	if t.Econ != nil {
		tasks = t.Econ.TasksPerMonth
	}
	monthly := func(perTask float64) string {
		if tasks <= 0 {
			return ""
		}
		return " (" + usd(perTask*tasks) + " a month at " + num(tasks) + " tasks)"
	}

	title := "Enforce a maximum-iterations cap on agent sessions"
	if rc != nil {
		title = fmt.Sprintf("Cap agent sessions at %d LLM calls", rc.Cap)
	}
	if len(t.Route) > 0 {
		title += " and route " + routeList(t.Route)
	}
	if !t.CapIsLever {
		// A cap that saves next to nothing is not proposed (issue 14.9).
		title = "Cut agent session cost at its source: an iteration cap is not the lever"
		if len(t.Route) > 0 {
			title = "Route " + routeList(t.Route) + ": an iteration cap is not the lever"
		}
		rc = nil
	}
	p.f("# %s\n\n", title)

	p.f("## Problem\n\n")
	p.f("Measured over %s sessions (tasks) from our traces: P50 %s, **P95 %s**, **P99 %s** per task (max %s, mean %s, total %s).\n",
		count(int64(b.Sessions)), usd(b.P50CostUSD), usd(b.P95CostUSD), usd(b.P99CostUSD), usd(b.MaxCostUSD), usd(b.MeanCostUSD), usd(b.TotalCostUSD))
	p.f("95%% confidence intervals (order statistics): P95 %s, P99 %s.\n", interval(b.P95CI), interval(b.P99CI))
	if e := t.Econ; e != nil {
		p.f("\nAt %s tasks a month that is %s on average (95%% bootstrap interval %s–%s) and **%s** budgeted at P95.\n",
			num(e.TasksPerMonth), usd(e.MonthlyMeanUSD), usd(e.MonthlyMeanLowUSD), usd(e.MonthlyMeanHighUSD), usd(e.MonthlyP95USD))
		if e.RevenuePerTask != nil {
			p.f("At %s revenue per task the margin is %s at P50 and %s at P95.\n", usd(*e.RevenuePerTask), usd(*e.MarginP50USD), usd(*e.MarginP95USD))
		}
	}
	for _, w := range t.Warnings {
		p.f("\n> Note: %s\n", w)
	}

	rw := t.Runaway
	p.f("\n## Evidence: runaway loops\n\n")
	if rw.Count == 0 {
		p.f("No runaway loops were found (no call failing the same way or returning the same result at least %d times, no model-only run as long).\n", rw.MinRepeats)
	} else {
		p.f("%s of %s sessions are runaway loops (a call failing the same way or returning the same result, or the model answering without tools, at least %d times without progress). They wasted %s, %s of all spend.\n\n",
			count(int64(rw.Count)), count(int64(b.Sessions)), rw.MinRepeats, usd(rw.WastedCostUSD), pct(rw.WastedShare))
		p.f("| session | tool | repeats | wasted | context tokens | session cost | ended |\n|---|---|--:|--:|--:|--:|---|\n")
		n := min(t.Evidence, len(rw.Sessions))
		for _, s := range rw.Sessions[:n] {
			tool := code(s.Tool)
			if s.Tool == "" {
				tool = "(" + s.Signal + ")"
			}
			p.f("| %s | %s | %d | %s | %s → %s | %s | %s |\n", mdCell(code(s.SessionID)), mdCell(tool), s.Repeats, usd(s.WastedCostUSD),
				count(s.ContextTokensStart), count(s.ContextTokensEnd), usd(s.SessionCostUSD), s.Ended)
		}
		if len(rw.Sessions) > n {
			p.f("\n… and %d more (`tokcost analyze --format json` lists them all).\n", len(rw.Sessions)-n)
		}
		if ex := rw.Sessions[0]; ex.Evidence != "" {
			p.f("\nCostliest loop (%s): %s\n", ex.Shape, code(ex.Evidence)) // trace text: a code span, never markup
		}
		if ex := rw.Sessions[0]; ex.ErrorSignature != "" {
			p.f("\nCostliest loop's error: %s\n", code(ex.ErrorSignature))
		}
	}

	p.f("\n## Proposal\n\n")
	if rc != nil {
		p.f("1. **Strict maximum of %d LLM calls per session**, enforced by the agent runtime (stop and escalate, do not retry).\n", rc.Cap)
		p.f("   - Replayed on the same sessions it saves **%s** (%s of spend)%s; P95 per task goes from %s to %s.\n",
			usd(rc.CostSavedUSD), pct(rc.SavedShare), monthlyShare(rc.SavedShare, t), usd(b.P95CostUSD), usd(rc.P95CostUSDAfter))
		p.f("   - Collateral: %s healthy sessions (%s of %s) would have been stopped early; the limit was %s.\n",
			count(int64(rc.HealthySessionsCut)), pct(rc.HealthySessionsCutShare), count(int64(b.HealthySessions)), pct(rc.MaxCollateral))
		p.f("   - It stops %s of the %s runaway sessions.\n", count(int64(rc.RunawaySessionsCut)), count(int64(b.RunawaySessions)))
	} else {
		writeNoCap(p, t)
	}
	if len(t.Route) > 0 {
		p.f("2. **Routing layer**: ")
		for i, r := range t.Route {
			if i > 0 {
				p.f("; ")
			}
			p.f("send %s calls (%s) to %s: %s → %s, saving %s", code(r.Match), count(int64(r.CallsRerouted)), code(r.Model), usd(r.CostBeforeUSD), usd(r.CostAfterUSD), usd(r.CostSavedUSD))
		}
		p.f(". Tokens are unchanged; only the rates differ.\n")
	}
	// Without a cap to propose, the combined replay (which includes the
	// cap when several were swept) is not what the ticket proposes.
	if c := t.Combined; c != nil && (t.CapIsLever || c.Cap == 0) {
		p.f("\nTogether (%s): P95 per task %s%s, total %s instead of %s.\n", strings.Join(c.Policies, ", "), usd(c.P95CostUSD), monthly(c.P95CostUSD), usd(c.TotalCostUSD), usd(b.TotalCostUSD))
	}

	p.f("\n## Architecture review\n\n")
	if t.Flagship != "" {
		p.f("If we use the flagship model (%s) for the entire workflow, our P95 cost per task will be %s%s.", code(t.Flagship), usd(t.FlagshipP95), monthly(t.FlagshipP95))
	}
	if len(t.Route) > 0 && t.Combined != nil && (t.CapIsLever || t.Combined.Cap == 0) {
		p.f(" Instead, we will use the premium model exclusively for planning and route the reading and formatting steps to a lightweight model (%s), and cap sessions as above: P95 per task becomes %s%s.",
			routeList(t.Route), usd(t.Combined.P95CostUSD), monthly(t.Combined.P95CostUSD))
	} else if len(t.Route) > 0 && !t.CapIsLever {
		var saved float64
		for _, r := range t.Route {
			saved += r.CostSavedUSD
		}
		p.f(" Instead, we will use the premium model exclusively for planning and route the reading and formatting steps to a lightweight model (%s): that saves %s of the %s the sessions cost.",
			routeList(t.Route), usd(saved), usd(b.TotalCostUSD))
	} else if rc != nil {
		p.f(" As recorded, P95 is %s; with the %d-call cap it becomes %s%s. Routing was not simulated: rerun with `--route ROLE=MODEL` (or `--route-tool PATTERN=MODEL`) to price a premium-planner, lightweight-executor split.",
			usd(b.P95CostUSD), rc.Cap, usd(rc.P95CostUSDAfter), monthly(rc.P95CostUSDAfter))
	}
	p.f("\n")

	p.f("\n## Acceptance criteria\n\n")
	if rc != nil {
		p.f("- [ ] The agent runtime stops a session after %d LLM calls and records why.\n", rc.Cap)
	}
	if len(t.Route) > 0 {
		p.f("- [ ] Calls matching %s run on the routed models; quality is checked on a held-out set before rollout.\n", routeList(t.Route))
	}
	target := b.P95CostUSD
	if t.Combined != nil && (t.CapIsLever || t.Combined.Cap == 0) {
		target = t.Combined.P95CostUSD
	} else if rc != nil {
		target = rc.P95CostUSDAfter
	}
	p.f("- [ ] `tokcost whatif` on next week's traces shows P95 per task at or below %s.\n", usd(target))

	p.f("\n---\nGenerated by tokcost %s from %s sessions; prices %s (sha256 %s); figures are exact replays of the recorded tokens.\n",
		t.Tool.Version, count(int64(b.Sessions)), t.Pricing.Version, short(t.Pricing.SHA256))
	return p.err
}

// writeNoCap is the proposal when no cap saves MinCapSaving of spend: say
// so with the numbers, then show what the spend is made of, the levers
// that can move it.
func writeNoCap(p *printer, t *Ticket) {
	b, rc := t.Baseline, t.RecommendedCap
	p.f("1. **No iteration cap.** ")
	if rc == nil {
		p.f("No cap can be recommended from these traces (no healthy sessions to bound the collateral).")
	} else {
		p.f("The smallest cap within the %s collateral limit, %d LLM calls, would save %s (%s of spend) and stop %s of the %s runaway sessions; P95 per task %s → %s. That is below the %s minimum (`--min-cap-saving`).",
			pct(rc.MaxCollateral), rc.Cap, usd(rc.CostSavedUSD), pct(rc.SavedShare), count(int64(rc.RunawaySessionsCut)),
			count(int64(b.RunawaySessions)), usd(b.P95CostUSD), usd(rc.P95CostUSDAfter), pct(t.MinCapSaving))
	}
	p.f(" A cap is not the lever here; these are:\n")
	share := func(v float64) string {
		if b.TotalCostUSD <= 0 {
			return "-"
		}
		return pct(v / b.TotalCostUSD)
	}
	if len(t.LoopCauses) > 0 {
		var wasted float64
		for _, c := range t.LoopCauses {
			wasted += c.WastedCostUSD
		}
		p.f("   - **The loops' causes.** Runaway loops wasted %s (%s of spend) retrying these errors; fixing them, or not retrying them, saves that without stopping any session:\n\n", usd(wasted), share(wasted))
		rows := [][]string{}
		for i, c := range t.LoopCauses {
			if i == t.Evidence {
				break
			}
			tool := code(c.Tool)
			if c.Tool == "" {
				tool = "(" + c.Signal + ")"
			}
			rows = append(rows, []string{tool, code(c.ErrorSignature), count(int64(c.Sessions)), usd(c.WastedCostUSD), share(c.WastedCostUSD)})
		}
		mdTableIndent(p, "     ", []string{"tool", "error signature", "sessions", "wasted", "of spend"}, rows, 2)
		if len(t.LoopCauses) > t.Evidence {
			p.f("\n     … and %d more signatures.\n", len(t.LoopCauses)-t.Evidence)
		}
		p.f("\n")
	}
	if len(t.Route) > 0 {
		var saved float64
		for _, r := range t.Route {
			saved += r.CostSavedUSD
		}
		p.f("   - **Routing.** The routes below save %s (%s of spend) on their own.\n", usd(saved), share(saved))
	} else if len(t.RoleSpend) > 0 {
		p.f("   - **Routing.** Spend by role: ")
		for i, r := range t.RoleSpend {
			if i == 5 {
				p.f("; … and %d more roles", len(t.RoleSpend)-5)
				break
			}
			if i > 0 {
				p.f("; ")
			}
			role := code(r.Role)
			if r.Role == "" {
				role = "(no role)"
			}
			p.f("%s %s calls, %s (%s)", role, count(int64(r.Calls)), usd(r.CostUSD), share(r.CostUSD))
		}
		p.f(". Rerun with `--route ROLE=MODEL` to price moving a role to a cheaper model.\n")
	}
	if w := t.Window; w != nil {
		p.f("   - **Context window.** A window of %d turns saves %s (%s of spend); P95 per task %s → %s.\n",
			w.K, usd(w.CostSavedUSD), share(w.CostSavedUSD), usd(b.P95CostUSD), usd(w.P95CostUSDAfter))
	} else {
		p.f("   - **Context window.** Input tokens, cache reads and writes included, cost %s (%s of spend); rerun with `--window K` to price a sliding window over them.\n",
			usd(t.InputCostUSD), share(t.InputCostUSD))
	}
}

// mdTableIndent is mdTable inside a list item, every line indented.
func mdTableIndent(p *printer, indent string, header []string, rows [][]string, left int) {
	var buf strings.Builder
	mdTable(&printer{w: &buf}, header, rows, left)
	for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		p.f("%s%s\n", indent, l) // l is already escaped; it has no line break
	}
}

// monthlyShare projects a share of spend onto the monthly mean, when
// there is a projection.
func monthlyShare(share float64, t *Ticket) string {
	if t.Econ == nil {
		return ""
	}
	return ", about " + usd(share*t.Econ.MonthlyMeanUSD) + " a month"
}

func routeList(rs []analyze.RouteResult) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = code(r.Match) + " → " + code(r.Model)
	}
	return strings.Join(parts, ", ")
}
