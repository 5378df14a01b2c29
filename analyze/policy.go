package analyze

import (
	"fmt"
	"path"
	"strconv"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// Policy is one what-if policy (docs/architecture.md, "How to add a
// what-if policy"). Simulate replays every session once: for each event
// every policy, in WhatifConfig.policies order (cap → window → route),
// first measures the event on its own (its result alone, reported in
// Sim) and then rewrites it in the combined replay (step: dropped, input
// tokens cut, re-priced). A policy is made fresh for each run (the whole
// input, then each group).
type Policy interface {
	// start begins a run, after the baseline is measured.
	start(r *simRun)
	// session begins a session, before its events.
	session(s *Session)
	// step sees one event.
	step(st *step)
	// endSession ends a session.
	endSession()
	// finish writes the policy's result alone into out and returns what
	// it adds to Combined.Policies (none when it changed nothing).
	finish(out *Sim) []string
}

// simRun is one run of the simulation: the sessions and their baseline.
type simRun struct {
	sm           *simulator
	sessions     []*Session
	base         []float64 // recorded cost per session
	baseTotal    float64   // Distribute(base).Total
	healthyCalls []int     // model calls of each session not a runaway loop
	// combinedCap is the cap of the combined replay; 0 for none.
	combinedCap int
}

// step is one event of a session in the combined replay.
type step struct {
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
func (cfg WhatifConfig) policies() []Policy {
	ps := []Policy{&capPolicy{caps: cfg.Caps, maxCollateral: cfg.MaxCollateral}}
	if cfg.Window > 0 {
		ps = append(ps, &windowPolicy{k: cfg.Window})
	}
	if len(cfg.Routes) > 0 {
		ps = append(ps, &routePolicy{routes: cfg.Routes})
	}
	return ps
}

// capPolicy keeps a session's first N model calls and the tool calls
// between them. Alone it is a sweep over every cap asked for, plus the
// recommended cap; combined it applies one cap: the only one asked for,
// or the recommended one.
type capPolicy struct {
	caps          []int
	maxCollateral float64
	r             *simRun
	rc            int // the recommended cap; 0 for none
	c             int // the cap of the combined replay; 0 for none
}

func (p *capPolicy) start(r *simRun) {
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

func (p *capPolicy) session(*Session) {}

func (p *capPolicy) step(st *step) {
	if p.c > 0 && st.call > p.c {
		st.drop = true
	}
}

func (p *capPolicy) endSession() {}

func (p *capPolicy) finish(out *Sim) []string {
	r := p.r
	sums := make([]*Summary, len(r.sessions))
	for i, s := range r.sessions {
		sums[i] = &s.Summary
	}
	evOf := func(i int) []Event { return r.sessions[i].Events }
	for _, c := range p.caps {
		out.Caps = append(out.Caps, r.sm.capResult(sums, evOf, r.base, r.baseTotal, c))
	}
	if p.rc > 0 {
		out.RecommendedCap = &RecommendedCap{CapResult: r.sm.capResult(sums, evOf, r.base, r.baseTotal, p.rc), MaxCollateral: p.maxCollateral}
	}
	if p.c > 0 {
		return []string{"cap " + strconv.Itoa(p.c)}
	}
	return nil
}

// windowPolicy keeps each call's first input plus what the last K turns
// added (windowInputs); the tokens cut are priced at the call's rates.
type windowPolicy struct {
	k     int
	r     *simRun
	res   WindowResult
	costs []float64 // per session, the window alone
	// Per session: model-call inputs as recorded and windowed, and the
	// cost under the window alone.
	inputs, windowed []int64
	cur              float64
}

func (p *windowPolicy) start(r *simRun) {
	p.r, p.res = r, WindowResult{K: p.k}
	p.costs = make([]float64, 0, len(r.sessions))
}

func (p *windowPolicy) session(s *Session) {
	p.inputs = p.inputs[:0]
	for i := range s.Events {
		if s.Events[i].Kind == ingest.KindLLM {
			p.inputs = append(p.inputs, int64(s.Events[i].Input))
		}
	}
	p.windowed = windowInputs(p.inputs, p.k)
	p.cur = s.CostUSD
}

func (p *windowPolicy) step(st *step) {
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

func (p *windowPolicy) endSession() { p.costs = append(p.costs, p.cur) }

func (p *windowPolicy) finish(out *Sim) []string {
	ws := summarize(p.costs)
	p.res.TotalCostUSDAfter, p.res.P95CostUSDAfter = ws.TotalCostUSD, ws.P95CostUSD
	out.Window = &p.res
	out.Warnings = append(out.Warnings, "window: "+WindowCaveat)
	return []string{"window " + strconv.Itoa(p.k)}
}

// routePolicy re-prices model calls at another model's rates: each call
// by the first route that matches it (Route: a role, a tool pattern, or
// all). Alone each route is measured on the uncapped, unwindowed
// session; combined, the routed call's windowed tokens are priced at the
// target.
type routePolicy struct {
	routes []Route
	r      *simRun
	res    []RouteResult
}

func (p *routePolicy) start(r *simRun) {
	p.r = r
	p.res = make([]RouteResult, len(p.routes))
	for i, rt := range p.routes {
		m, _ := r.sm.d.Config.Prices.Lookup(rt.Model, "", 0)
		p.res[i] = RouteResult{Match: rt.Match(), Model: rt.Model, PricedAs: m.Key}
	}
}

func (p *routePolicy) session(*Session) {}

func (p *routePolicy) step(st *step) {
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

func (p *routePolicy) endSession() {}

func (p *routePolicy) finish(out *Sim) []string {
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
func (sm *simulator) target(i int, e *Event) pricing.Match {
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
func (sm *simulator) routeOf(events []Event, i int) int {
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
func (r *simRun) replay(ps []Policy) []float64 {
	combined := make([]float64, len(r.sessions))
	for si, s := range r.sessions {
		for _, p := range ps {
			p.session(s)
		}
		total := 0.0
		st := step{events: s.Events}
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
