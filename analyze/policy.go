package analyze

import (
	"fmt"
	"path"
	"strconv"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// Policy is one what-if policy (docs/architecture.md, "How to add a
// what-if policy"). The simulation has two phases, so that no session's
// events have to outlive the session (docs/scale.md):
//
//   - Replay, per session, while its events exist (on any core): for each
//     event every policy, in WhatifConfig.policies order (cap → window →
//     route), first measures the event on its own (its result alone,
//     reported in Sim) and then rewrites it in the combined replay (step:
//     input tokens cut, re-priced). endSession returns what the policy
//     keeps of the session: the few figures its result is added up from.
//   - Run, per set of sessions (the whole input, then each group), in
//     session-id order: start, then add with what each session kept, then
//     finish. Sums across sessions are added here, value by value in the
//     order the events came, so the results do not depend on the cores.
//
// A policy value does one phase: each replaying core makes its own from
// WhatifConfig.policies, and so does each run.
type Policy interface {
	// session begins replaying a session, before its events.
	session(s *Session, rp *replayer)
	// step sees one event of the session being replayed.
	step(st *step)
	// endSession ends the replayed session and returns what the policy
	// keeps of it (nil: nothing), handed back to add.
	endSession() any
	// start begins a run, after the baseline is measured.
	start(r *simRun)
	// add adds one session of the run, in id order: its summary, its
	// replay and what this policy kept of it.
	add(s *Summary, rec *simRecord, kept any)
	// finish writes the policy's result alone into out and returns what
	// it adds to Combined.Policies (none when it changed nothing).
	finish(out *Sim) []string
}

// simRecord is what the simulation keeps of one replayed session: no
// events, a few numbers per model call at most.
type simRecord struct {
	// prefix[k] is the combined replay's cost of the events up to the
	// (k+1)-th model call (before it): the session capped at k calls,
	// k = 0…calls; the last is the uncapped session. A cap known only
	// once every session is seen (the recommended cap) cuts it here.
	prefix []float64
	// cc gives the cost dropped at any cap, added as droppedCost adds it.
	cc *capCosts
	// kept is each policy's endSession, in WhatifConfig.policies order.
	kept []any
	// For the ticket (WhatifSpec): the session's cost with every call
	// routed to each of the spec's flagship candidates, and each model
	// call's role.
	flagship []float64
	roles    []uint32
}

// combined is the session's cost in the combined replay under cap c (0:
// uncapped).
func (rec *simRecord) combined(s *Summary, c int) float64 {
	if s.TotalsOnly || len(rec.prefix) == 0 {
		return s.CostUSD
	}
	calls := len(rec.prefix) - 1
	if c <= 0 || c > calls {
		c = calls
	}
	return rec.prefix[c]
}

// simRun is one run of the simulation: the sessions and their baseline.
type simRun struct {
	sm           *simulator
	baseTotal    float64 // Distribute(base).Total
	healthyCalls []int   // model calls of each session not a runaway loop
	// combinedCap is the cap of the combined replay; 0 for none.
	combinedCap int
}

// replayer replays sessions one at a time; one per core.
type replayer struct {
	cfg     WhatifConfig
	prices  *pricing.Table
	strs    []string
	p       *pricer
	targets map[[2]int64]pricing.Match // route index, day → target rates
}

func newReplayer(c Config, strs []string, cfg WhatifConfig) *replayer {
	return &replayer{cfg: cfg, prices: c.Prices, strs: strs, p: newPricer(c, strs), targets: map[[2]int64]pricing.Match{}}
}

// step is one event of a session in the combined replay.
type step struct {
	rp     *replayer
	events []Event
	i      int // index of the event in events
	e      *Event
	// call is the number of model calls up to and including this event.
	call int
	llm  bool
	u    pricing.Usage // a model call's usage as recorded
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
// or the recommended one. It keeps nothing of its own per session: the
// record's capCosts and prefix costs answer any cap.
type capPolicy struct {
	caps          []int
	maxCollateral float64
	r             *simRun
	rc            int // the recommended cap; 0 for none
	c             int // the cap of the combined replay; 0 for none
	sweep         []capAcc
	rec           *capAcc
}

// capAcc adds up one cap's result session by session, as capResult does.
type capAcc struct {
	res     CapResult
	after   []float64
	healthy int
}

func (a *capAcc) add(sm *simulator, s *Summary, rec *simRecord) {
	a.after = append(a.after, s.CostUSD)
	c := a.res.Cap
	if !sm.runaway[s.ID] && !s.TotalsOnly {
		a.healthy++
	}
	if s.LLMCalls <= c || s.TotalsOnly { // no call's cost is known to cut
		return
	}
	saved := rec.cc.dropped(c)
	a.after[len(a.after)-1] -= saved
	a.res.CostSavedUSD += saved
	a.res.SessionsCut++
	if sm.runaway[s.ID] {
		a.res.RunawaySessionsCut++
	} else {
		a.res.HealthySessionsCut++
	}
}

func (a *capAcc) result(baseTotal float64) CapResult {
	r := a.res
	if a.healthy > 0 {
		r.HealthySessionsCutShare = float64(r.HealthySessionsCut) / float64(a.healthy)
	}
	as := summarize(a.after)
	r.TotalCostUSDAfter, r.P95CostUSDAfter, r.P99CostUSDAfter = as.TotalCostUSD, as.P95CostUSD, as.P99CostUSD
	if baseTotal > 0 {
		r.SavedShare = r.CostSavedUSD / baseTotal
	}
	return r
}

func (p *capPolicy) session(*Session, *replayer) {}
func (p *capPolicy) step(*step)                  {}
func (p *capPolicy) endSession() any             { return nil }

func (p *capPolicy) start(r *simRun) {
	p.r = r
	if rc, ok := recommendCap(r.healthyCalls, p.maxCollateral); ok {
		p.rc = rc
		p.rec = &capAcc{res: CapResult{Cap: rc}}
	}
	switch {
	case len(p.caps) == 1:
		p.c = p.caps[0]
	case len(p.caps) > 1:
		p.c = p.rc
	}
	r.combinedCap = p.c
	p.sweep = make([]capAcc, len(p.caps))
	for i, c := range p.caps {
		p.sweep[i].res.Cap = c
	}
}

func (p *capPolicy) add(s *Summary, rec *simRecord, _ any) {
	for i := range p.sweep {
		p.sweep[i].add(p.r.sm, s, rec)
	}
	if p.rec != nil {
		p.rec.add(p.r.sm, s, rec)
	}
}

func (p *capPolicy) finish(out *Sim) []string {
	for i := range p.sweep {
		out.Caps = append(out.Caps, p.sweep[i].result(p.r.baseTotal))
	}
	if p.rec != nil {
		out.RecommendedCap = &RecommendedCap{CapResult: p.rec.result(p.r.baseTotal), MaxCollateral: p.maxCollateral}
	}
	if p.c > 0 {
		return []string{"cap " + strconv.Itoa(p.c)}
	}
	return nil
}

// windowPolicy keeps each call's first input plus what the last K turns
// added (windowInputs); the tokens cut are priced at the call's rates.
type windowPolicy struct {
	k int
	// Replay: the session's model-call inputs as recorded and windowed,
	// and what is kept of it.
	inputs, windowed []int64
	cur              windowKept
	// Run.
	res   WindowResult
	costs []float64 // per session, the window alone
}

// windowKept is a session under the window alone: its cost, what was
// cut, and each priced call's saving in order (their sum across sessions
// is added call by call).
type windowKept struct {
	cost                          float64
	truncated                     int
	tokensSaved, unpricedTokSaved int64
	saved                         []float64
}

func (p *windowPolicy) session(s *Session, _ *replayer) {
	p.inputs = p.inputs[:0]
	for i := range s.Events {
		if s.Events[i].Kind == ingest.KindLLM {
			p.inputs = append(p.inputs, int64(s.Events[i].Input))
		}
	}
	p.windowed = windowInputs(p.inputs, p.k)
	p.cur = windowKept{cost: s.CostUSD}
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
	p.cur.truncated++
	p.cur.tokensSaved += cut
	// Only a table-priced call can be re-priced at table rates; a
	// recorded cost_usd minus a table-rate saving could go negative.
	if orig := st.rp.p.lookup(e); orig.ok && !e.Unpriced() && !e.CostFromRecord() {
		rates, _ := orig.rates.ForServiceTier(e.Tier.String()) // as Finish billed it
		saved := (rates.Cost(u) - rates.Cost(shrink(u, cut))) * usUplift(e, rates)
		p.cur.saved = append(p.cur.saved, saved)
		p.cur.cost -= saved
		st.cost = e.Cost - saved
	} else {
		p.cur.unpricedTokSaved += cut
	}
}

func (p *windowPolicy) endSession() any {
	k := p.cur
	return &k
}

func (p *windowPolicy) start(*simRun) { p.res = WindowResult{K: p.k} }

func (p *windowPolicy) add(_ *Summary, _ *simRecord, kept any) {
	k := kept.(*windowKept)
	p.res.CallsTruncated += k.truncated
	p.res.TokensSaved += k.tokensSaved
	p.res.UnpricedTokensSaved += k.unpricedTokSaved
	for _, v := range k.saved {
		p.res.CostSavedUSD += v
	}
	p.costs = append(p.costs, k.cost)
}

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
	cur    *routeKept // replay: the session's
	res    []RouteResult
}

// routeKept is what a session's calls add to each route: its counts, and
// each rerouted call's cost before and after in order (their sums across
// sessions are added call by call).
type routeKept struct {
	counts []routeCounts // per route
	calls  []routedCall
}

type routeCounts struct{ rerouted, unpriced, partial int }

type routedCall struct {
	route         int
	before, after float64
}

func (p *routePolicy) session(*Session, *replayer) { p.cur = nil }

func (p *routePolicy) step(st *step) {
	if !st.llm {
		return
	}
	e, u := st.e, st.u
	ri := st.rp.routeOf(st.events, st.i)
	if ri < 0 {
		return
	}
	if p.cur == nil {
		p.cur = &routeKept{counts: make([]routeCounts, len(p.routes))}
	}
	n := &p.cur.counts[ri]
	if e.Unpriced() {
		n.unpriced++
		return
	}
	tgt := st.rp.target(ri, e)
	// The routed call keeps its service tier and its web searches.
	var tierOK, feeOK bool
	tgt.Rates, tierOK = tgt.Rates.ForServiceTier(e.Tier.String())
	fee, feeOK := tgt.Rates.ServerToolCost(int64(e.WebSearches))
	if !tierOK || !feeOK || e.USOnly && tgt.Rates.GeoUS <= 0 || e.IsFast() && tgt.Rates.Fast <= 0 ||
		e.HasMedia() && tgt.Rates.MediaAtTextRate(u) { // audio or image at the target's text rate
		n.partial++
	}
	n.rerouted++
	p.cur.calls = append(p.cur.calls, routedCall{route: ri, before: e.Cost,
		after: tgt.Rates.Cost(u)*usUplift(e, tgt.Rates) + fee})
	// Combined: the windowed tokens at the target's rates.
	st.cost = tgt.Rates.Cost(shrink(u, st.cut))*usUplift(e, tgt.Rates) + fee
}

func (p *routePolicy) endSession() any {
	if p.cur == nil {
		return nil // no call matched: nothing to add
	}
	return p.cur
}

func (p *routePolicy) start(r *simRun) {
	p.res = make([]RouteResult, len(p.routes))
	for i, rt := range p.routes {
		m, _ := r.sm.prices.Lookup(rt.Model, "", 0)
		p.res[i] = RouteResult{Match: rt.Match(), Model: rt.Model, PricedAs: m.Key}
	}
}

func (p *routePolicy) add(_ *Summary, _ *simRecord, kept any) {
	k, _ := kept.(*routeKept)
	if k == nil {
		return
	}
	for i, n := range k.counts {
		r := &p.res[i]
		r.CallsRerouted += n.rerouted
		r.UnpricedCalls += n.unpriced
		r.PartialCalls += n.partial
	}
	for _, c := range k.calls {
		r := &p.res[c.route]
		r.CostBeforeUSD += c.before
		r.CostAfterUSD += c.after
	}
}

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
func (rp *replayer) target(i int, e *Event) pricing.Match {
	day := int64(-1)
	if e.HasTS() {
		day = e.TSNano / nanosPerDay
	}
	k := [2]int64{int64(i), day}
	if m, ok := rp.targets[k]; ok {
		return m
	}
	at := int64(0)
	if day >= 0 {
		at = day * nanosPerDay
	}
	m, _ := rp.prices.Lookup(rp.cfg.Routes[i].Model, "", at)
	rp.targets[k] = m
	return m
}

// routeOf returns the index of the first route matching the call at
// events[i], or −1.
func (rp *replayer) routeOf(events []Event, i int) int {
	e := &events[i]
	for ri, r := range rp.cfg.Routes {
		if r.All {
			return ri
		}
		if r.Role != "" {
			if rp.strs[e.Role] == r.Role {
				return ri
			}
			continue
		}
		for j := i + 1; j < len(events) && events[j].Kind != ingest.KindLLM; j++ {
			if events[j].Kind != ingest.KindTool {
				continue
			}
			if ok, _ := path.Match(r.Tool, rp.strs[events[j].Tool]); ok {
				return ri
			}
		}
	}
	return -1
}

// replay runs one session through the policies, in order: what each
// keeps of it, its cap costs and its combined replay's cost at every
// cap.
func (rp *replayer) replay(s *Session, ps []Policy) *simRecord {
	rec := &simRecord{cc: newCapCosts(s.Events), kept: make([]any, len(ps))}
	for _, p := range ps {
		p.session(s, rp)
	}
	st := step{rp: rp, events: s.Events}
	if s.TotalsOnly { // no calls to replay: the session stays as recorded
		st.events = nil
	} else {
		rec.prefix = make([]float64, 0, len(rec.cc.calls)+1)
	}
	total := 0.0
	for i := range st.events {
		e := &s.Events[i]
		st.i, st.e, st.llm, st.cut, st.cost = i, e, e.Kind == ingest.KindLLM, 0, e.Cost
		if st.llm {
			rec.prefix = append(rec.prefix, total) // capped at st.call calls
			st.call++
			st.u = usageOf(e)
		}
		for _, p := range ps {
			p.step(&st)
		}
		total += st.cost
	}
	if !s.TotalsOnly {
		rec.prefix = append(rec.prefix, total)
	}
	for i, p := range ps {
		rec.kept[i] = p.endSession()
	}
	return rec
}
