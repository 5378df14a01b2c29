package analyze

import (
	"errors"
	"fmt"
	"math"
	"path"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// DefaultCaps are the iteration caps swept when none are given.
var DefaultCaps = []int{5, 10, 15, 20, 30, 50}

// DefaultMaxCollateral is the share of healthy sessions the recommended
// cap may cut.
const DefaultMaxCollateral = 0.01

// Route re-prices matching model calls at another model's rates. Exactly
// one of Role, Tool and All is set.
type Route struct {
	// All matches every model call: "what if one model did everything".
	All bool
	// Role matches calls whose role equals it.
	Role string
	// Tool is a path.Match pattern matched against the tools a call
	// issued: the tool records after the call and before the next model
	// call. A call matches when any of them does; a call followed by no
	// tool record (a final answer) never matches.
	Tool string
	// Model is the target, as the user spelled it; it must resolve in the
	// price table.
	Model string
}

// Match describes what the route matches, as "role=executor" or
// "tool=read_*".
func (r Route) Match() string {
	if r.All {
		return "all"
	}
	if r.Role != "" {
		return "role=" + r.Role
	}
	return "tool=" + r.Tool
}

// ErrUnknownTarget is returned for a route whose target model is not in
// the price table: pricing it at $0 would invent savings.
var ErrUnknownTarget = errors.New("route target model is not in the price table")

// ValidateRoutes checks every route's target and pattern against prices.
func ValidateRoutes(prices *pricing.Table, routes []Route) error {
	for _, r := range routes {
		set := 0
		for _, b := range []bool{r.All, r.Role != "", r.Tool != ""} {
			if b {
				set++
			}
		}
		if set != 1 {
			return fmt.Errorf("route to %s: give one of a role, a tool pattern or all", r.Model)
		}
		if r.Tool != "" {
			if _, err := path.Match(r.Tool, ""); err != nil {
				return fmt.Errorf("route %s: bad pattern: %w", r.Match(), err)
			}
		}
		if prices == nil {
			return fmt.Errorf("%w: %s (no price table)", ErrUnknownTarget, r.Model)
		}
		if _, ok := prices.Lookup(r.Model, "", 0); !ok {
			return fmt.Errorf("%w: %s", ErrUnknownTarget, r.Model)
		}
	}
	return nil
}

// WhatifConfig selects the policies to simulate. Zero values turn a
// policy off.
type WhatifConfig struct {
	Caps []int
	// MaxCollateral is the largest share of healthy sessions (not
	// runaway loops) the recommended cap may cut.
	MaxCollateral float64
	// Window is K of the sliding-window policy.
	Window int
	// Routes are tried in order; the first match wins.
	Routes []Route
	// Loops decides which sessions are runaway loops.
	Loops LoopConfig
	// GroupBy, when set, repeats every figure per group (GroupSessions).
	GroupBy string
	Econ    EconConfig
}

// CostSummary is the per-session cost distribution of a set of sessions.
type CostSummary struct {
	Sessions     int     `json:"sessions"`
	TotalCostUSD float64 `json:"total_cost_usd"`
	MeanCostUSD  float64 `json:"mean_cost_usd"`
	P50CostUSD   float64 `json:"p50_cost_usd"`
	P95CostUSD   float64 `json:"p95_cost_usd"`
	P99CostUSD   float64 `json:"p99_cost_usd"`
	MaxCostUSD   float64 `json:"max_cost_usd"`
}

func summarize(costs []float64) CostSummary {
	d := Distribute(costs)
	return CostSummary{Sessions: len(costs), TotalCostUSD: d.Total, MeanCostUSD: d.Mean,
		P50CostUSD: d.P50, P95CostUSD: d.P95, P99CostUSD: d.P99, MaxCostUSD: d.Max}
}

// Baseline is what the sessions cost as recorded.
type Baseline struct {
	CostSummary
	RunawaySessions int `json:"runaway_sessions"`
	HealthySessions int `json:"healthy_sessions"`
	// UnpricedCalls could not be priced: costs are lower bounds and no
	// policy re-prices them.
	UnpricedCalls int      `json:"unpriced_calls"`
	P95CI         Interval `json:"p95_ci"`
	P99CI         Interval `json:"p99_ci"`
	// TotalsOnlySessions are known only by their totals (neither runaway
	// nor healthy: no loop or cap can be judged); every policy leaves them
	// at TotalsOnlyCostUSD.
	TotalsOnlySessions int     `json:"totals_only_sessions,omitempty"`
	TotalsOnlyCostUSD  float64 `json:"totals_only_cost_usd,omitempty"`
}

// CapResult is one iteration cap: a session capped at Cap keeps its first
// Cap model calls and the tool calls between them.
type CapResult struct {
	Cap                     int     `json:"cap"`
	SessionsCut             int     `json:"sessions_cut"`
	HealthySessionsCut      int     `json:"healthy_sessions_cut"`
	HealthySessionsCutShare float64 `json:"healthy_sessions_cut_share"`
	RunawaySessionsCut      int     `json:"runaway_sessions_cut"`
	CostSavedUSD            float64 `json:"cost_saved_usd"`
	SavedShare              float64 `json:"saved_share"`
	TotalCostUSDAfter       float64 `json:"total_cost_usd_after"`
	P95CostUSDAfter         float64 `json:"p95_cost_usd_after"`
	P99CostUSDAfter         float64 `json:"p99_cost_usd_after"`
}

// RecommendedCap is the smallest cap (any positive integer, not only the
// swept ones) that cuts at most MaxCollateral of healthy sessions.
type RecommendedCap struct {
	CapResult
	MaxCollateral float64 `json:"max_collateral"`
}

// WindowResult is the sliding-window policy.
type WindowResult struct {
	K              int     `json:"k"`
	CallsTruncated int     `json:"calls_truncated"`
	TokensSaved    int64   `json:"tokens_saved"`
	CostSavedUSD   float64 `json:"cost_saved_usd"`
	// UnpricedTokensSaved were saved on calls whose model the table does
	// not know: not in CostSavedUSD.
	UnpricedTokensSaved int64   `json:"unpriced_tokens_saved"`
	TotalCostUSDAfter   float64 `json:"total_cost_usd_after"`
	P95CostUSDAfter     float64 `json:"p95_cost_usd_after"`
}

// RouteResult is one route rule.
type RouteResult struct {
	Match         string  `json:"match"`
	Model         string  `json:"model"`
	PricedAs      string  `json:"priced_as"`
	CallsRerouted int     `json:"calls_rerouted"`
	CostBeforeUSD float64 `json:"cost_before_usd"`
	CostAfterUSD  float64 `json:"cost_after_usd"`
	CostSavedUSD  float64 `json:"cost_saved_usd"`
	// UnpricedCalls matched but had no cost to compare: not rerouted.
	UnpricedCalls int `json:"unpriced_calls,omitempty"`
	// PartialCalls were rerouted to a model the table has no rates for in
	// the call's service tier, no web-search fee, no US uplift, no fast
	// multiplier or no rate for its audio or image tokens: priced without
	// them, so CostAfterUSD is low by that much (warned).
	PartialCalls int `json:"partial_calls,omitempty"`
}

// Combined is every requested policy at once: cap, then window, then
// route.
type Combined struct {
	CostSummary
	CostSavedUSD float64  `json:"cost_saved_usd"`
	Cap          int      `json:"cap,omitempty"`
	Policies     []string `json:"policies"`
}

// Sim is every figure for one set of sessions.
type Sim struct {
	Baseline       Baseline        `json:"baseline"`
	Caps           []CapResult     `json:"caps"`
	RecommendedCap *RecommendedCap `json:"recommended_cap"`
	Window         *WindowResult   `json:"window,omitempty"`
	Route          []RouteResult   `json:"route"`
	Combined       *Combined       `json:"combined,omitempty"`
	Econ           *Econ           `json:"economics,omitempty"`
	Warnings       []string        `json:"warnings"`
}

// WhatifGroup is Sim for the sessions of one group.
type WhatifGroup struct {
	Key string `json:"group"`
	Sim
}

// Whatif is the result of Simulate.
type Whatif struct {
	Sim
	GroupBy string        `json:"group_by,omitempty"`
	Groups  []WhatifGroup `json:"groups,omitempty"`
	// Runaway is the loop detection the cap collateral is based on.
	Runaway Runaway `json:"-"`
}

// WindowCaveat is the warning every window result carries.
const WindowCaveat = "truncating the context changes the prompt prefix, which can break prompt caching: savings assume the remaining input is billed at the uncached rate as recorded"

// Simulate replays every session of d under the policies in cfg, exactly,
// from the recorded tokens: each session on its own (on every core), then
// the sessions' results added up in id order (Policy).
func Simulate(d *Dataset, cfg WhatifConfig) (*Whatif, error) {
	cfg, err := checkWhatif(d.Config.Prices, cfg)
	if err != nil {
		return nil, err
	}
	rw := DetectLoops(d, cfg.Loops)
	recs := replayAll(d.Config, d.Strings, cfg, d.Sessions)
	sums := make([]*Summary, len(d.Sessions))
	idx := make(map[*Session]int, len(d.Sessions))
	for i, s := range d.Sessions {
		sums[i], idx[s] = &s.Summary, i
	}
	sm := &simulator{cfg: cfg, runaway: runawayIDs(rw), prices: d.Config.Prices}
	w := &Whatif{Sim: sm.run(sums, recs), Runaway: rw}
	if cfg.GroupBy != "" {
		groups, err := GroupSessions(d, cfg.GroupBy)
		if err != nil {
			return nil, err
		}
		w.GroupBy = cfg.GroupBy
		for _, g := range groups {
			gs, gr := make([]*Summary, len(g.Sessions)), make([]*simRecord, len(g.Sessions))
			for i, s := range g.Sessions {
				gs[i], gr[i] = &s.Summary, recs[idx[s]]
			}
			w.Groups = append(w.Groups, WhatifGroup{Key: g.Key, Sim: sm.run(gs, gr)})
		}
	}
	return w, nil
}

// checkWhatif validates cfg against the price table and sorts its caps.
func checkWhatif(prices *pricing.Table, cfg WhatifConfig) (WhatifConfig, error) {
	if err := ValidateRoutes(prices, cfg.Routes); err != nil {
		return cfg, err
	}
	caps, err := sortedCaps(cfg.Caps)
	if err != nil {
		return cfg, err
	}
	if cfg.Window < 0 {
		return cfg, fmt.Errorf("window %d: must be at least 1", cfg.Window)
	}
	cfg.Caps = caps
	return cfg, nil
}

// replayAll replays every session (Policy), on every core.
func replayAll(c Config, strs []string, cfg WhatifConfig, sessions []*Session) []*simRecord {
	recs := make([]*simRecord, len(sessions))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(sessions)/64)) {
		wg.Go(func() {
			rp, ps := newReplayer(c, strs, cfg), cfg.policies()
			for i := int(next.Add(1) - 1); i < len(sessions); i = int(next.Add(1) - 1) {
				recs[i] = rp.replay(sessions[i], ps)
			}
		})
	}
	wg.Wait()
	return recs
}

type simulator struct {
	cfg     WhatifConfig
	runaway map[string]bool
	prices  *pricing.Table
}

// run adds up one set of sessions, sorted by id, with each one's replay.
func (sm *simulator) run(sessions []*Summary, recs []*simRecord) Sim {
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

	r := &simRun{sm: sm, baseTotal: Distribute(base).Total, healthyCalls: healthyCalls}
	ps := cfg.policies()
	for _, p := range ps {
		p.start(r)
	}
	combined := make([]float64, len(sessions))
	for i, s := range sessions {
		rec := recs[i]
		for j, p := range ps {
			p.add(s, rec, rec.kept[j])
		}
		combined[i] = rec.combined(s, r.combinedCap)
	}
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

// recommendCap is the smallest N ≥ 1 such that at most ⌊share × healthy⌋
// healthy sessions have more than N model calls; false with no healthy
// sessions (there is no collateral to bound).
func recommendCap(healthyCalls []int, share float64) (int, bool) {
	if len(healthyCalls) == 0 {
		return 0, false
	}
	calls := append([]int(nil), healthyCalls...)
	sort.Ints(calls)
	// ⌊share × n⌋, robust to 0.29·100 = 28.999999999999996 in float64.
	allowed := int(math.Floor(share*float64(len(calls)) + 1e-9))
	if allowed >= len(calls) {
		return 1, true
	}
	// Cutting at most `allowed` sessions means the cap must reach the
	// (len−allowed)-th smallest call count.
	n := calls[len(calls)-1-allowed]
	return max(n, 1), true
}

// capResult applies one cap to every session; evOf(i) is session i's
// events (nil: its capCosts), baseTotal is Distribute(base).Total.
func (sm *simulator) capResult(sessions []*Summary, evOf func(int) []Event, base []float64, baseTotal float64, c int) CapResult {
	r := CapResult{Cap: c}
	after := make([]float64, len(sessions))
	healthy := 0
	for i, s := range sessions {
		after[i] = base[i]
		if !sm.runaway[s.ID] && !s.TotalsOnly {
			healthy++
		}
		if s.LLMCalls <= c || s.TotalsOnly { // no call's cost is known to cut
			continue
		}
		var ev []Event
		if evOf != nil {
			ev = evOf(i)
		}
		saved := droppedCost(s, ev, c)
		after[i] -= saved
		r.CostSavedUSD += saved
		r.SessionsCut++
		if sm.runaway[s.ID] {
			r.RunawaySessionsCut++
		} else {
			r.HealthySessionsCut++
		}
	}
	if healthy > 0 {
		r.HealthySessionsCutShare = float64(r.HealthySessionsCut) / float64(healthy)
	}
	as := summarize(after)
	r.TotalCostUSDAfter, r.P95CostUSDAfter, r.P99CostUSDAfter = as.TotalCostUSD, as.P95CostUSD, as.P99CostUSD
	if baseTotal > 0 {
		r.SavedShare = r.CostSavedUSD / baseTotal
	}
	return r
}

// droppedCost is the cost of every event from the (c+1)-th model call on,
// from the session's events ev, or from its capCosts when ev is nil.
func droppedCost(s *Summary, ev []Event, c int) float64 {
	if ev == nil && s.capCosts != nil {
		return s.capCosts.dropped(c)
	}
	calls := 0
	var saved float64
	for i := range ev {
		e := &ev[i]
		if e.Kind == ingest.KindLLM {
			calls++
		}
		if calls > c {
			saved += e.Cost
		}
	}
	return saved
}

// sortedCaps checks caps (each at least 1) and returns them sorted, each once.
func sortedCaps(caps []int) ([]int, error) {
	for _, c := range caps {
		if c < 1 {
			return nil, fmt.Errorf("cap %d: caps must be at least 1", c)
		}
	}
	caps = slices.Clone(caps)
	slices.Sort(caps)
	return slices.Compact(caps), nil
}

// runawayIDs is the set of the sessions r flagged.
func runawayIDs(r Runaway) map[string]bool {
	ids := make(map[string]bool, len(r.Sessions))
	for _, s := range r.Sessions {
		ids[s.SessionID] = true
	}
	return ids
}

// capCosts is what droppedCost needs of a session whose events Finish
// dropped (Config.KeepCapCosts): each model call's cost in order, and the
// other priced events (rare: a tool step with tokens) with the number of
// model calls before them. droppedCost adds the same costs in the same
// order as from the events, so the results are identical to the last bit.
type capCosts struct {
	calls []float64
	other []otherCost
}

type otherCost struct {
	afterCall int // model calls before this event
	cost      float64
}

func newCapCosts(ev []Event) *capCosts {
	cc := &capCosts{}
	n := 0
	for i := range ev {
		if ev[i].Kind == ingest.KindLLM {
			n++
		}
	}
	cc.calls = make([]float64, 0, n)
	for i := range ev {
		e := &ev[i]
		switch {
		case e.Kind == ingest.KindLLM:
			cc.calls = append(cc.calls, e.Cost)
		case e.Cost != 0:
			cc.other = append(cc.other, otherCost{afterCall: len(cc.calls), cost: e.Cost})
		}
	}
	return cc
}

// dropped is droppedCost: the events from the (c+1)-th model call on, in
// event order (a zero-cost event adds nothing, exactly).
func (cc *capCosts) dropped(c int) float64 {
	var saved float64
	o := 0
	for o < len(cc.other) && cc.other[o].afterCall <= c {
		o++
	}
	for k := c + 1; k <= len(cc.calls); k++ {
		saved += cc.calls[k-1]
		for o < len(cc.other) && cc.other[o].afterCall == k {
			saved += cc.other[o].cost
			o++
		}
	}
	return saved
}

// CapSweep is Simulate's cap results alone: what each iteration cap would
// have saved, with d.Runaway's sessions as the runaway ones. It works on
// summaries that kept what it needs (Config.KeepCapCosts, or
// Dataset.Summaries with capCosts).
func CapSweep(d *Summaries, caps []int) ([]CapResult, error) {
	caps, err := sortedCaps(caps)
	if err != nil {
		return nil, err
	}
	if !d.capCosts {
		return nil, errors.New("analyze: cannot sweep caps: the summaries kept no call costs (Config.KeepCapCosts)")
	}
	if d.file != nil {
		return capSweepSpilled(d, caps), nil
	}
	sm := &simulator{runaway: runawayIDs(d.Runaway)}
	base := make([]float64, len(d.Sessions))
	for i, s := range d.Sessions {
		base[i] = s.CostUSD
	}
	// Caps are independent passes over every session: on every core.
	total := Distribute(base).Total
	out := make([]CapResult, len(caps))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(caps)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(caps); i = int(next.Add(1) - 1) {
				out[i] = sm.capResult(d.Sessions, nil, base, total, caps[i])
			}
		})
	}
	wg.Wait()
	return out, nil
}

// windowInputs returns I′ for inclusive inputs I: the first call's input
// plus what the last k turns added, dᵢ = max(0, Iᵢ − Iᵢ₋₁):
// I′ᵢ = min(Iᵢ, I₁ + Σ dⱼ for j = max(2, i−k+1)…i) (1-based).
func windowInputs(in []int64, k int) []int64 {
	out := make([]int64, len(in))
	if len(in) == 0 {
		return out
	}
	d := make([]int64, len(in)) // d[0] unused
	for i := 1; i < len(in); i++ {
		d[i] = max(0, in[i]-in[i-1])
	}
	var sum int64 // Σ d over the window, slid along
	for i := range in {
		if i >= 1 {
			sum += d[i]
		}
		if j := i - k; j >= 1 {
			sum -= d[j] // d[i−k] has just left the window
		}
		out[i] = min(in[i], in[0]+sum)
	}
	return out
}

// shrink takes n input tokens out of a call: from its uncached input
// first, then its cache reads, then its cache writes.
func shrink(u pricing.Usage, n int64) pricing.Usage {
	n = min(n, u.Input)
	uncached := max(0, u.Input-u.CacheRead-u.CacheWrite)
	u.Input -= n
	rest := n - min(n, uncached)
	take := min(rest, u.CacheRead)
	u.CacheRead -= take
	rest -= take
	u.CacheWrite -= min(rest, u.CacheWrite)
	u.CacheWrite1h = min(u.CacheWrite1h, u.CacheWrite)
	return u
}

func usageOf(e *Event) pricing.Usage {
	return pricing.Usage{Input: int64(e.Input), Output: int64(e.Output), CacheRead: int64(e.CacheRead),
		CacheWrite: int64(e.CacheWrite), CacheWrite1h: int64(e.CacheWrite1h), Reasoning: int64(e.Reasoning),
		AudioIn: int64(e.AudioIn), ImageIn: int64(e.ImageIn), AudioOut: int64(e.AudioOut), ImageOut: int64(e.ImageOut)}
}

// FlagshipModel is the most expensive model d used: of the models the
// price table knows, the one with the highest output rate (ties: input
// rate, then table key). "" when no model is priced.
func FlagshipModel(d *Dataset) string {
	return flagshipOf(d.Config.Prices, d.Models)
}

// flagshipOf is FlagshipModel of the models used.
func flagshipOf(prices *pricing.Table, models []ModelUsage) string {
	if prices == nil {
		return ""
	}
	var best pricing.Match
	for _, m := range models {
		if m.Model == "" {
			continue
		}
		r, ok := prices.Lookup(m.Model, "", 0)
		if !ok {
			continue
		}
		a, b := r.Rates, best.Rates
		if best.Key == "" || a.Output > b.Output || a.Output == b.Output && (a.Input > b.Input || a.Input == b.Input && r.Key < best.Key) {
			best = r
		}
	}
	return best.Key
}

// RecommendCap is the cap Simulate recommends, for callers that only
// sweep caps (the HTML report's cap chart): the smallest N that cuts at
// most share of the sessions rw does not list as runaway.
func RecommendCap(d *Summaries, rw Runaway, share float64) (int, bool) {
	if d.file != nil && rw.onDisk != nil && rw.onDisk.file == d.file {
		return recommendCapSpilled(d, share)
	}
	ids := runawayIDs(rw)
	healthy := []int{}
	for _, s := range d.Sessions {
		if !ids[s.ID] && !s.TotalsOnly {
			healthy = append(healthy, s.LLMCalls)
		}
	}
	return recommendCap(healthy, share)
}

// usUplift is the factor Finish bills a call's tokens at: the model's US
// multiplier for a US-only call times its fast-mode multiplier for a fast
// call, each 1 where the table has none (reported there).
func usUplift(e *Event, r pricing.Rates) float64 {
	f := 1.0
	if e.USOnly && r.GeoUS > 0 {
		f = r.GeoUS
	}
	if e.IsFast() && r.Fast > 0 {
		f *= r.Fast
	}
	return f
}

// WhatifSpec asks FinishSummaries (Config.Whatif) to replay each session
// under Config's policies while its events exist, keeping only what
// SimulateSummaries adds up: a few numbers per model call, never the
// events (docs/scale.md). It also collects what `tokcost ticket` needs
// of the events and the route checks (RolesAndTools).
type WhatifSpec struct {
	Config WhatifConfig
	// Flagship is the model of the ticket's "one model for everything"
	// figure: each session is also priced with every model call routed to
	// it. AutoFlagship instead prices each session for every model of the
	// price table the traces name (the flagship, FlagshipModel, is known
	// only once every session is finished).
	Flagship     string
	AutoFlagship bool
	// Roles keeps each model call's role for RoleSpend (the ticket).
	Roles bool

	names     []string // the string table's names (roles), from Finish
	flagships []string // the route targets priced for the flagship figure
	mu        sync.Mutex
	rolesSeen map[uint32]bool
	toolsSeen map[uint32]bool
}

// prepare is called by Finish once the string table is known: names are
// its first entries (models, tools, roles…).
func (sp *WhatifSpec) prepare(c Config, names []string) {
	sp.names = names
	sp.rolesSeen, sp.toolsSeen = map[uint32]bool{}, map[uint32]bool{}
	sp.flagships = nil
	switch {
	case sp.Flagship != "":
		sp.flagships = []string{sp.Flagship}
	case sp.AutoFlagship && c.Prices != nil:
		keys := map[string]bool{}
		for _, n := range names {
			if n == "" {
				continue
			}
			if r, ok := c.Prices.Lookup(n, "", 0); ok && !keys[r.Key] {
				keys[r.Key] = true
				sp.flagships = append(sp.flagships, r.Key)
			}
		}
		slices.Sort(sp.flagships)
	}
}

// specReplayer is one core's replay for a WhatifSpec.
type specReplayer struct {
	sp    *WhatifSpec
	rp    *replayer
	ps    []Policy
	flag  *flagshipPricer // nil without flagship candidates
	roles map[uint32]bool
	tools map[uint32]bool
}

func (sp *WhatifSpec) replayer(c Config, strs []string) *specReplayer {
	sr := &specReplayer{sp: sp, rp: newReplayer(c, strs, sp.Config), ps: sp.Config.policies(),
		roles: map[uint32]bool{}, tools: map[uint32]bool{}}
	if len(sp.flagships) > 0 {
		sr.flag = &flagshipPricer{prices: c.Prices, models: sp.flagships, rates: map[flagshipKey][]pricing.Rates{}}
	}
	return sr
}

// flagshipPricer prices a session with every model call at each flagship
// candidate's rates. The figure is what a replay with the one route "all
// → candidate" combines to, uncapped and unwindowed (routePolicy.step);
// it is priced here in one pass over the events for every candidate,
// since the flagship is known only after Finish and a full replay per
// candidate cost the ticket a fifth more CPU (docs/performance.md,
// session 8). Each candidate's total adds the same values in the same
// order as that replay, so the figures are the same to the last bit.
type flagshipPricer struct {
	prices *pricing.Table
	models []string
	// rates are each candidate's rates on a day at a service tier, found
	// as replayer.target and routePolicy.step find them; cur: last used.
	rates  map[flagshipKey][]pricing.Rates
	curKey flagshipKey
	cur    []pricing.Rates
}

type flagshipKey struct {
	day  int64 // −1: no timestamp
	tier ingest.ServiceTier
}

// ratesFor returns every candidate's rates for the model call e.
func (fp *flagshipPricer) ratesFor(e *Event) []pricing.Rates {
	k := flagshipKey{day: -1, tier: e.Tier}
	if e.HasTS() {
		k.day = e.TSNano / nanosPerDay
	}
	if fp.cur != nil && k == fp.curKey {
		return fp.cur
	}
	rs, ok := fp.rates[k]
	if !ok {
		at := int64(0)
		if k.day >= 0 {
			at = k.day * nanosPerDay
		}
		rs = make([]pricing.Rates, len(fp.models))
		for i, m := range fp.models {
			tgt, _ := fp.prices.Lookup(m, "", at)
			rs[i], _ = tgt.Rates.ForServiceTier(e.Tier.String())
		}
		fp.rates[k] = rs
	}
	fp.curKey, fp.cur = k, rs
	return rs
}

// price returns the session's cost with every priced model call at each
// candidate's rates (unpriced calls and tool calls as recorded).
func (fp *flagshipPricer) price(s *Session) []float64 {
	totals := make([]float64, len(fp.models))
	if s.TotalsOnly { // no calls to replay: the session stays as recorded
		for i := range totals {
			totals[i] = s.CostUSD
		}
		return totals
	}
	for i := range s.Events {
		e := &s.Events[i]
		if e.Kind != ingest.KindLLM || e.Unpriced() {
			for k := range totals {
				totals[k] += e.Cost
			}
			continue
		}
		u := shrink(usageOf(e), 0) // as the combined replay prices a call no window cut
		rs := fp.ratesFor(e)
		for k := range rs {
			r := &rs[k]
			fee, _ := r.ServerToolCost(int64(e.WebSearches))
			c := r.Cost(u)*usUplift(e, *r) + fee
			totals[k] += c
		}
	}
	return totals
}

// replay replays one session for the spec.
func (sr *specReplayer) replay(s *Session) *simRecord {
	rec := sr.rp.replay(s, sr.ps)
	if sr.flag != nil {
		rec.flagship = sr.flag.price(s)
	}
	if sr.sp.Roles || len(sr.sp.Config.Routes) > 0 {
		for i := range s.Events {
			e := &s.Events[i]
			switch e.Kind {
			case ingest.KindLLM:
				sr.roles[e.Role] = true
				if sr.sp.Roles {
					rec.roles = append(rec.roles, e.Role)
				}
			case ingest.KindTool:
				sr.tools[e.Tool] = true
			}
		}
	}
	return rec
}

// flush hands the names this core saw to the spec.
func (sr *specReplayer) flush() {
	sr.sp.mu.Lock()
	defer sr.sp.mu.Unlock()
	for id := range sr.roles {
		sr.sp.rolesSeen[id] = true
	}
	for id := range sr.tools {
		sr.sp.toolsSeen[id] = true
	}
	clear(sr.roles)
	clear(sr.tools)
}

// RolesAndTools are the roles of the model calls and the tools of the
// tool calls FinishSummaries replayed (with routes or Roles set): what a
// route that matched nothing is checked against.
func (sp *WhatifSpec) RolesAndTools() (roles, tools map[string]bool) {
	roles, tools = map[string]bool{}, map[string]bool{}
	for id := range sp.rolesSeen {
		roles[sp.names[id]] = true
	}
	for id := range sp.toolsSeen {
		tools[sp.names[id]] = true
	}
	return roles, tools
}

// RoleCost is what the model calls of one role cost.
type RoleCost struct {
	Role    string
	Calls   int
	CostUSD float64
}

// TicketFigures are what a ticket needs besides the simulation: spend by
// role (first seen first: sessions by id, calls in order) and the
// flagship-for-everything figure (Flagship "" when no model is priced).
type TicketFigures struct {
	Roles                      []RoleCost
	Flagship                   string
	FlagshipP95, FlagshipTotal float64
}

// SimulateSummaries is Simulate for summaries finished with
// Config.Whatif = sp (each session replayed while Finish had its events):
// the same result, to the last bit.
func SimulateSummaries(d *Summaries, sp *WhatifSpec) (*Whatif, error) {
	cfg, err := checkWhatif(d.Config.Prices, sp.Config)
	if err != nil {
		return nil, err
	}
	if d.Spilled() {
		return nil, errors.New("analyze: summaries replayed for a simulation are not spilled")
	}
	recs := make([]*simRecord, len(d.Sessions))
	for i, s := range d.Sessions {
		if s.sim == nil {
			return nil, fmt.Errorf("analyze: session %q was not replayed (Config.Whatif)", s.ID)
		}
		recs[i] = s.sim
	}
	sm := &simulator{cfg: cfg, runaway: runawayIDs(d.Runaway), prices: d.Config.Prices}
	w := &Whatif{Sim: sm.run(d.Sessions, recs), Runaway: d.Runaway}
	if cfg.GroupBy != "" {
		groups, err := GroupSummaries(d, cfg.GroupBy)
		if err != nil {
			return nil, err
		}
		w.GroupBy = cfg.GroupBy
		for _, g := range groups {
			gr := make([]*simRecord, len(g.Sessions))
			for i, s := range g.Sessions {
				gr[i] = s.sim
			}
			w.Groups = append(w.Groups, WhatifGroup{Key: g.Key, Sim: sm.run(g.Sessions, gr)})
		}
	}
	return w, nil
}

// Ticket is the ticket's figures of summaries finished with
// Config.Whatif = sp (with Roles, and Flagship or AutoFlagship).
func (sp *WhatifSpec) Ticket(d *Summaries) (TicketFigures, error) {
	var t TicketFigures
	if sp.Roles {
		idx := map[uint32]int{}
		for _, s := range d.Sessions {
			rec := s.sim
			for j, id := range rec.roles {
				k, ok := idx[id]
				if !ok {
					k = len(t.Roles)
					idx[id] = k
					t.Roles = append(t.Roles, RoleCost{Role: sp.names[id]})
				}
				t.Roles[k].Calls++
				t.Roles[k].CostUSD += rec.cc.calls[j]
			}
		}
	}
	t.Flagship = sp.Flagship
	if t.Flagship == "" && sp.AutoFlagship {
		t.Flagship = flagshipOf(d.Config.Prices, d.Models)
	}
	if t.Flagship == "" {
		return t, nil
	}
	k := slices.Index(sp.flagships, t.Flagship)
	if k < 0 {
		return t, fmt.Errorf("analyze: the flagship model %s was not priced while the sessions were finished", t.Flagship)
	}
	costs := make([]float64, len(d.Sessions))
	for i, s := range d.Sessions {
		costs[i] = s.sim.flagship[k]
	}
	cs := summarize(costs)
	t.FlagshipP95, t.FlagshipTotal = cs.P95CostUSD, cs.TotalCostUSD
	return t, nil
}
