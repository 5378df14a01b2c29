package analyze

// The what-if simulation as it was until session 8: every session's
// events kept in a Dataset and replayed after Finish. Kept here, verbatim
// but for the names, as the reference the per-session algorithm is
// checked against (TestSimulatePerSessionSameAsOld).

import (
	"fmt"
	"path"
	"sort"
	"strconv"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

func oldSimulate(d *Dataset, cfg WhatifConfig) (*Whatif, error) {
	if err := ValidateRoutes(d.Config.Prices, cfg.Routes); err != nil {
		return nil, err
	}
	caps, err := sortedCaps(cfg.Caps)
	if err != nil {
		return nil, err
	}
	if cfg.Window < 0 {
		return nil, fmt.Errorf("window %d: must be at least 1", cfg.Window)
	}
	cfg.Caps = caps
	rw := DetectLoops(d, cfg.Loops)
	sim := &oldSimulator{d: d, cfg: cfg, runaway: runawayIDs(rw), p: newPricer(d.Config, d.Strings),
		targets: map[[2]int64]pricing.Match{}}
	w := &Whatif{Sim: sim.run(d.Sessions), Runaway: rw}
	if cfg.GroupBy != "" {
		groups, err := GroupSessions(d, cfg.GroupBy)
		if err != nil {
			return nil, err
		}
		w.GroupBy = cfg.GroupBy
		for _, g := range groups {
			w.Groups = append(w.Groups, WhatifGroup{Key: g.Key, Sim: sim.run(g.Sessions)})
		}
	}
	return w, nil
}

type oldSimulator struct {
	d       *Dataset
	cfg     WhatifConfig
	runaway map[string]bool
	p       *pricer
	targets map[[2]int64]pricing.Match // route index, day → target rates
}

func (sm *oldSimulator) run(sessions []*Session) Sim {
	cfg := sm.cfg
	var out Sim
	out.Warnings = []string{}
	out.Route = []RouteResult{}
	out.Caps = []CapResult{}

	base := make([]float64, len(sessions))
	healthyCalls := []int{}
	for i, s := range sessions {
		base[i] = s.CostUSD
		out.Baseline.UnpricedCalls += s.UnpricedCalls
		switch {
		case s.TotalsOnly:
			out.Baseline.TotalsOnlySessions++
			out.Baseline.TotalsOnlyCostUSD += s.CostUSD
		case sm.runaway[s.ID]:
			out.Baseline.RunawaySessions++
		default:
			healthyCalls = append(healthyCalls, s.LLMCalls)
		}
	}
	out.Baseline.HealthySessions = len(healthyCalls)
	out.Baseline.CostSummary = summarize(base)
	sorted := append([]float64(nil), base...)
	sort.Float64s(sorted)
	out.Baseline.P95CI = QuantileCI(sorted, 0.95, 0.95)
	out.Baseline.P99CI = QuantileCI(sorted, 0.99, 0.95)
	if n, need := len(sessions), MinSamplesForUpper(0.99, 0.95); n > 0 && n < need {
		out.Warnings = append(out.Warnings, fmt.Sprintf(
			"%d sessions are too few for a stable P99: its 95%% confidence interval has no upper bound below %d sessions", n, need))
	}
	if out.Baseline.UnpricedCalls > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf(
			"%d calls could not be priced: costs and savings are lower bounds", out.Baseline.UnpricedCalls))
	}
	if n := out.Baseline.TotalsOnlySessions; n > 0 {
		share := 0.0
		if t := out.Baseline.TotalCostUSD; t > 0 {
			share = out.Baseline.TotalsOnlyCostUSD / t
		}
		out.Warnings = append(out.Warnings, fmt.Sprintf(
			"%d sessions (%.1f%% of spend) are totals only, with no per-call data: caps, window and routes leave them at their recorded cost", n, 100*share))
	}
	out.Econ = Economics(base, cfg.Econ)

	r := &oldSimRun{sm: sm, sessions: sessions, base: base, baseTotal: Distribute(base).Total, healthyCalls: healthyCalls}
	ps := oldPoliciesOf(cfg)
	for _, p := range ps {
		p.start(r)
	}
	combined := r.replay(ps)
	var policies []string
	for _, p := range ps {
		policies = append(policies, p.finish(&out)...)
	}
	if len(policies) > 0 {
		cs := summarize(combined)
		out.Combined = &Combined{CostSummary: cs, CostSavedUSD: out.Baseline.TotalCostUSD - cs.TotalCostUSD,
			Cap: r.combinedCap, Policies: policies}
	}
	return out
}

// oldPolicy is one what-if policy (docs/architecture.md, "How to add a
// what-if policy"). Simulate replays every session once: for each event
// every policy, in WhatifConfig.policies order (cap → window → route),
// first measures the event on its own (its result alone, reported in
// Sim) and then rewrites it in the combined replay (step: dropped, input
// tokens cut, re-priced). A policy is made fresh for each run (the whole
// input, then each group).
type oldPolicy interface {
	// start begins a run, after the baseline is measured.
	start(r *oldSimRun)
	// session begins a session, before its events.
	session(s *Session)
	// step sees one event.
	step(st *oldStep)
	// endSession ends a session.
	endSession()
	// finish writes the policy's result alone into out and returns what
	// it adds to Combined.Policies (none when it changed nothing).
	finish(out *Sim) []string
}

// oldSimRun is one run of the simulation: the sessions and their baseline.
type oldSimRun struct {
	sm           *oldSimulator
	sessions     []*Session
	base         []float64 // recorded cost per session
	baseTotal    float64   // Distribute(base).Total
	healthyCalls []int     // model calls of each session not a runaway loop
	// combinedCap is the cap of the combined replay; 0 for none.
	combinedCap int
}

// step is one event of a session in the combined replay.
type oldStep struct {
	events []Event
	i      int // index of the event in events
	e      *Event
	// call is the number of model calls up to and including this event.
	call int
	llm  bool
	u    pricing.Usage // a model call's usage as recorded
	drop bool          // not in the combined replay (past the cap)
	cut  int64         // input tokens the window took out
	// cost is the event's cost in the combined replay.
	cost float64
}

// policies are the policies cfg asks for, in the order they compose.
func oldPoliciesOf(cfg WhatifConfig) []oldPolicy {
	ps := []oldPolicy{&oldCapPolicy{caps: cfg.Caps, maxCollateral: cfg.MaxCollateral}}
	if cfg.Window > 0 {
		ps = append(ps, &oldWindowPolicy{k: cfg.Window})
	}
	if len(cfg.Routes) > 0 {
		ps = append(ps, &oldRoutePolicy{routes: cfg.Routes})
	}
	return ps
}

// oldCapPolicy keeps a session's first N model calls and the tool calls
// between them. Alone it is a sweep over every cap asked for, plus the
// recommended cap; combined it applies one cap: the only one asked for,
// or the recommended one.
type oldCapPolicy struct {
	caps          []int
	maxCollateral float64
	r             *oldSimRun
	rc            int // the recommended cap; 0 for none
	c             int // the cap of the combined replay; 0 for none
}

func (p *oldCapPolicy) start(r *oldSimRun) {
	p.r = r
	if rc, ok := recommendCap(r.healthyCalls, p.maxCollateral); ok {
		p.rc = rc
	}
	switch {
	case len(p.caps) == 1:
		p.c = p.caps[0]
	case len(p.caps) > 1:
		p.c = p.rc
	}
	r.combinedCap = p.c
}

func (p *oldCapPolicy) session(*Session) {}

func (p *oldCapPolicy) step(st *oldStep) {
	if p.c > 0 && st.call > p.c {
		st.drop = true
	}
}

func (p *oldCapPolicy) endSession() {}

func (p *oldCapPolicy) finish(out *Sim) []string {
	r := p.r
	sums := make([]*Summary, len(r.sessions))
	for i, s := range r.sessions {
		sums[i] = &s.Summary
	}
	evOf := func(i int) []Event { return r.sessions[i].Events }
	for _, c := range p.caps {
		out.Caps = append(out.Caps, (&simulator{runaway: r.sm.runaway}).capResult(sums, evOf, r.base, r.baseTotal, c))
	}
	if p.rc > 0 {
		out.RecommendedCap = &RecommendedCap{CapResult: (&simulator{runaway: r.sm.runaway}).capResult(sums, evOf, r.base, r.baseTotal, p.rc), MaxCollateral: p.maxCollateral}
	}
	if p.c > 0 {
		return []string{"cap " + strconv.Itoa(p.c)}
	}
	return nil
}

// oldWindowPolicy keeps each call's first input plus what the last K turns
// added (windowInputs); the tokens cut are priced at the call's rates.
type oldWindowPolicy struct {
	k     int
	r     *oldSimRun
	res   WindowResult
	costs []float64 // per session, the window alone
	// Per session: model-call inputs as recorded and windowed, and the
	// cost under the window alone.
	inputs, windowed []int64
	cur              float64
}

func (p *oldWindowPolicy) start(r *oldSimRun) {
	p.r, p.res = r, WindowResult{K: p.k}
	p.costs = make([]float64, 0, len(r.sessions))
}

func (p *oldWindowPolicy) session(s *Session) {
	p.inputs = p.inputs[:0]
	for i := range s.Events {
		if s.Events[i].Kind == ingest.KindLLM {
			p.inputs = append(p.inputs, int64(s.Events[i].Input))
		}
	}
	p.windowed = windowInputs(p.inputs, p.k)
	p.cur = s.CostUSD
}

func (p *oldWindowPolicy) step(st *oldStep) {
	if !st.llm {
		return
	}
	e, u := st.e, st.u
	cut := p.inputs[st.call-1] - p.windowed[st.call-1]
	st.cut = cut
	if cut <= 0 {
		return
	}
	p.res.CallsTruncated++
	p.res.TokensSaved += cut
	// Only a table-priced call can be re-priced at table rates; a
	// recorded cost_usd minus a table-rate saving could go negative.
	if orig := p.r.sm.p.lookup(e); orig.ok && !e.Unpriced() && !e.CostFromRecord() {
		rates, _ := orig.rates.ForServiceTier(e.Tier.String()) // as Finish billed it
		saved := (rates.Cost(u) - rates.Cost(shrink(u, cut))) * usUplift(e, rates)
		p.res.CostSavedUSD += saved
		p.cur -= saved
		st.cost = e.Cost - saved
	} else {
		p.res.UnpricedTokensSaved += cut
	}
}

func (p *oldWindowPolicy) endSession() { p.costs = append(p.costs, p.cur) }

func (p *oldWindowPolicy) finish(out *Sim) []string {
	ws := summarize(p.costs)
	p.res.TotalCostUSDAfter, p.res.P95CostUSDAfter = ws.TotalCostUSD, ws.P95CostUSD
	out.Window = &p.res
	out.Warnings = append(out.Warnings, "window: "+WindowCaveat)
	return []string{"window " + strconv.Itoa(p.k)}
}

// oldRoutePolicy re-prices model calls at another model's rates: each call
// by the first route that matches it (Route: a role, a tool pattern, or
// all). Alone each route is measured on the uncapped, unwindowed
// session; combined, the routed call's windowed tokens are priced at the
// target.
type oldRoutePolicy struct {
	routes []Route
	r      *oldSimRun
	res    []RouteResult
}

func (p *oldRoutePolicy) start(r *oldSimRun) {
	p.r = r
	p.res = make([]RouteResult, len(p.routes))
	for i, rt := range p.routes {
		m, _ := r.sm.d.Config.Prices.Lookup(rt.Model, "", 0)
		p.res[i] = RouteResult{Match: rt.Match(), Model: rt.Model, PricedAs: m.Key}
	}
}

func (p *oldRoutePolicy) session(*Session) {}

func (p *oldRoutePolicy) step(st *oldStep) {
	if !st.llm {
		return
	}
	e, u := st.e, st.u
	ri := p.r.sm.routeOf(st.events, st.i)
	if ri < 0 {
		return
	}
	res := &p.res[ri]
	if e.Unpriced() {
		res.UnpricedCalls++
		return
	}
	tgt := p.r.sm.target(ri, e)
	// The routed call keeps its service tier and its web searches.
	var tierOK, feeOK bool
	tgt.Rates, tierOK = tgt.Rates.ForServiceTier(e.Tier.String())
	fee, feeOK := tgt.Rates.ServerToolCost(int64(e.WebSearches))
	if !tierOK || !feeOK || e.USOnly && tgt.Rates.GeoUS <= 0 || e.IsFast() && tgt.Rates.Fast <= 0 ||
		e.HasMedia() && tgt.Rates.MediaAtTextRate(u) { // audio or image at the target's text rate
		res.PartialCalls++
	}
	res.CallsRerouted++
	res.CostBeforeUSD += e.Cost
	res.CostAfterUSD += tgt.Rates.Cost(u)*usUplift(e, tgt.Rates) + fee
	// Combined: the windowed tokens at the target's rates.
	st.cost = tgt.Rates.Cost(shrink(u, st.cut))*usUplift(e, tgt.Rates) + fee
}

func (p *oldRoutePolicy) endSession() {}

func (p *oldRoutePolicy) finish(out *Sim) []string {
	var names []string
	for i := range p.res {
		r := &p.res[i]
		r.CostSavedUSD = r.CostBeforeUSD - r.CostAfterUSD
		if n := r.PartialCalls; n > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("route %s → %s: %d calls have a service tier, web searches, US-only or fast-mode inference, or audio or image tokens the target has no price for: "+
				"priced without it, so the cost after is low and the saving high", r.Match, r.Model, n))
		}
		names = append(names, "route "+r.Match+" → "+r.Model)
	}
	out.Route = append(out.Route, p.res...)
	return names
}

// target returns route i's rates on the event's day.
func (sm *oldSimulator) target(i int, e *Event) pricing.Match {
	day := int64(-1)
	if e.HasTS() {
		day = e.TSNano / nanosPerDay
	}
	k := [2]int64{int64(i), day}
	if m, ok := sm.targets[k]; ok {
		return m
	}
	at := int64(0)
	if day >= 0 {
		at = day * nanosPerDay
	}
	m, _ := sm.d.Config.Prices.Lookup(sm.cfg.Routes[i].Model, "", at)
	sm.targets[k] = m
	return m
}

// routeOf returns the index of the first route matching the call at
// events[i], or −1.
func (sm *oldSimulator) routeOf(events []Event, i int) int {
	e := &events[i]
	for ri, r := range sm.cfg.Routes {
		if r.All {
			return ri
		}
		if r.Role != "" {
			if sm.d.Str(e.Role) == r.Role {
				return ri
			}
			continue
		}
		for j := i + 1; j < len(events) && events[j].Kind != ingest.KindLLM; j++ {
			if events[j].Kind != ingest.KindTool {
				continue
			}
			if ok, _ := path.Match(r.Tool, sm.d.Str(events[j].Tool)); ok {
				return ri
			}
		}
	}
	return -1
}

// replay runs every session through the policies, in order, and returns
// each session's cost under all of them at once.
func (r *oldSimRun) replay(ps []oldPolicy) []float64 {
	combined := make([]float64, len(r.sessions))
	for si, s := range r.sessions {
		for _, p := range ps {
			p.session(s)
		}
		total := 0.0
		st := oldStep{events: s.Events}
		if s.TotalsOnly { // no calls to replay: the session stays as recorded
			total = s.CostUSD
			st.events = nil
		}
		for i := range st.events {
			e := &s.Events[i]
			st.i, st.e, st.llm, st.drop, st.cut, st.cost = i, e, e.Kind == ingest.KindLLM, false, 0, e.Cost
			if st.llm {
				st.call++
				st.u = usageOf(e)
			}
			for _, p := range ps {
				p.step(&st)
			}
			if !st.drop {
				total += st.cost
			}
		}
		for _, p := range ps {
			p.endSession()
		}
		combined[si] = total
	}
	return combined
}
