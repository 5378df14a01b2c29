package report

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// SchemaVersion is the JSON contract's version. Adding keys keeps it;
// renaming, removing or changing the meaning of a key bumps it.
const SchemaVersion = 1

// Analysis is the result of `tokcost analyze`: the JSON contract.
type Analysis struct {
	SchemaVersion int                  `json:"schema_version"`
	Tool          ToolInfo             `json:"tool"`
	Pricing       PricingInfo          `json:"pricing"`
	Input         Input                `json:"input"`
	Sessions      analyze.SessionStats `json:"sessions"`
	// OutputCostShare is the share of priced cost that pays for output
	// tokens (reasoning included): the output premium.
	OutputCostShare float64       `json:"output_cost_share"`
	CostByClass     analyze.Parts `json:"cost_by_class"`
	// CostByTier splits calls and dollars by vendor service tier, as an
	// invoice does; absent when every call was standard.
	CostByTier  []analyze.TierUsage  `json:"cost_by_tier,omitempty"`
	Models      []analyze.ModelUsage `json:"models"`
	TopSessions []TopSession         `json:"top_sessions"`
	// Runaway lists every session with a runaway retry loop (the table
	// view shows the top ones).
	Runaway analyze.Runaway `json:"runaway"`
	// RunawayGrowth is the context growth of the top runaway sessions by
	// wasted dollars (at most MaxGrowthSessions): the charts need the
	// per-call input tokens, which Runaway only summarises.
	RunawayGrowth []SessionGrowth `json:"runaway_growth"`
	// UnpricedTokens counts the input + output tokens of calls that could
	// not be priced; LLMTokens those of every model call, priced or not.
	UnpricedTokens int64 `json:"unpriced_tokens"`
	LLMTokens      int64 `json:"llm_tokens"`
	// Workflows is the per-session cost distribution of each workflow,
	// costliest first ("" for sessions without one); empty when no session
	// names a workflow.
	Workflows []WorkflowStats `json:"workflows"`
	// CapCurve is the iteration-cap sweep (BuildOptions.Caps): dollars
	// saved versus healthy sessions cut, per cap. Absent without caps.
	CapCurve []analyze.CapResult `json:"cap_curve,omitempty"`
	// CapRecommended is the cap `whatif` would recommend (the smallest
	// that cuts at most analyze.DefaultMaxCollateral of healthy sessions),
	// with its sweep result; present with CapCurve when there are healthy
	// sessions.
	CapRecommended *analyze.RecommendedCap `json:"cap_recommended,omitempty"`
	// CostCI holds the 95% order-statistic confidence intervals of the
	// per-session cost P50, P95 and P99 (analyze.QuantileCI): what `trend`
	// needs to tell a shift from sampling noise. Absent without sessions.
	CostCI *CostCI `json:"cost_ci,omitempty"`
	// GroupBy and Groups repeat the session distributions per value of a
	// session field (analyze --group-by): "P95 cost per task" is per
	// workflow in real fleets.
	GroupBy string        `json:"group_by,omitempty"`
	Groups  []GroupReport `json:"groups,omitempty"`

	// sessions is the dataset's sessions when the Analysis was built from
	// one (not when read back from JSON): the per-session writers need them.
	sessions []*analyze.Summary
	// spilled is where the sessions are when their summaries were spilled
	// to disk (sessions is then nil): read back by allSessions.
	spilled *analyze.Summaries
}

// allSessions yields the sessions in id order, from memory or read back
// from disk (each valid until the next); ok is false when a has none (it
// was read back from JSON).
func (a *Analysis) allSessions() (all func(yield func(*analyze.Summary) bool), ok bool) {
	switch {
	case a.sessions != nil:
		return slices.Values(a.sessions), true
	case a.spilled != nil:
		return a.spilled.All(), true
	}
	return nil, false
}

// loopOf returns a session's entry in a's runaway list (nil: none). When
// the list stayed on disk with the summaries, each summary read back has
// its own loop, the entry the list was made from; else the list is
// indexed by session id.
func (a *Analysis) loopOf() func(*analyze.Summary) *analyze.RunawaySession {
	if a.Runaway.OnDisk() {
		return func(s *analyze.Summary) *analyze.RunawaySession { return s.Loop }
	}
	loops := make(map[string]*analyze.RunawaySession, len(a.Runaway.Sessions))
	for i := range a.Runaway.Sessions {
		loops[a.Runaway.Sessions[i].SessionID] = &a.Runaway.Sessions[i]
	}
	return func(s *analyze.Summary) *analyze.RunawaySession { return loops[s.ID] }
}

// MaxGrowthSessions is how many runaway sessions RunawayGrowth keeps.
const MaxGrowthSessions = 5

// SessionGrowth is one session's input tokens per LLM call, in order.
type SessionGrowth struct {
	SessionID string `json:"session_id"`
	// LoopStartCall is the 1-based LLM call where its costliest loop starts.
	LoopStartCall int     `json:"loop_start_call"`
	WastedCostUSD float64 `json:"wasted_cost_usd"`
	InputTokens   []int64 `json:"input_tokens"`
}

// WorkflowStats is the session distribution of one workflow.
type WorkflowStats struct {
	Workflow    string               `json:"workflow"`
	Sessions    int                  `json:"sessions"`
	CostUSD     analyze.Distribution `json:"cost_usd"`
	TotalTokens analyze.Distribution `json:"total_tokens"`
}

// GroupStats is the session distribution of one group of sessions.
type GroupStats struct {
	Group       string
	Sessions    int
	CostUSD     analyze.Distribution
	TotalTokens analyze.Distribution
}

// ToolInfo names the program that wrote the report.
type ToolInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
}

// PricingInfo identifies the price table and how costs were chosen.
type PricingInfo struct {
	pricing.Info
	CostSource string `json:"cost_source"`
	// OpenAIResidency is --openai-residency ("eu", "us"), omitted if none.
	OpenAIResidency string `json:"openai_residency,omitempty"`
	// CostBySource splits the model calls and dollars by where each call's
	// price came from (analyze only; nil in other reports).
	CostBySource *CostBySource `json:"cost_by_source,omitempty"`
}

// CostBySource is the share of cost priced by each source: the embedded
// table, --pricing files (override), producers' own cost_usd, and calls
// not priced at all (no dollars: their tokens instead).
type CostBySource struct {
	Table    SourceShare   `json:"table"`
	Override SourceShare   `json:"override"`
	Producer SourceShare   `json:"producer"`
	Unpriced UnpricedShare `json:"unpriced"`
}

// SourceShare is one price source's calls and dollars; Share is its part
// of the priced dollars (0 when nothing was priced).
type SourceShare struct {
	Calls   int64   `json:"calls"`
	CostUSD float64 `json:"cost_usd"`
	Share   float64 `json:"share"`
}

// UnpricedShare is the calls no source priced: they have no dollars, so
// TokenShare is their part of all model-call tokens (input + output).
type UnpricedShare struct {
	Calls      int64   `json:"calls"`
	Tokens     int64   `json:"tokens"`
	TokenShare float64 `json:"token_share"`
}

// Input accounts for everything read: lines = records + duplicates +
// invalid + blank + skipped.
type Input struct {
	// Files lists every input, those not read too (with why: Skipped or
	// Error).
	Files []ingest.FileResult `json:"files"`
	// IgnoredFiles counts the entries below input directories not read
	// because their names are not trace files' (README.md, notes.tar.gz).
	IgnoredFiles int64 `json:"ignored_files,omitempty"`
	// Window is --since/--until when either is set: only records in
	// [since, until) were analysed (the others are skipped, by reason).
	Window *Window `json:"window,omitempty"`
	// Objects counts object-storage inputs: objects listed, pruned by
	// their partition's dates without being read, and read.
	Objects *ingest.RemoteStats `json:"objects,omitempty"`
	// AlreadyRead counts files and objects left out unread because an
	// earlier run recorded in the --state file read them unchanged.
	AlreadyRead int64 `json:"already_read,omitempty"`
	// NotInManifest counts files and objects of a Langfuse export left
	// out because no manifest after --after-manifest lists them.
	NotInManifest int64 `json:"not_in_manifest,omitempty"`
	// ManifestMissing counts files that a Langfuse manifest read lists but
	// that are not among the inputs (deleted, or not copied yet): data the
	// report does not stand on, so the input is not clean (--strict exits 3).
	ManifestMissing int64 `json:"manifest_missing,omitempty"`
	analyze.InputCounts
	Unpriced []Unpriced `json:"unpriced"`
	// FirstTS and LastTS bound the time the sessions cover (earliest
	// session start, latest session end; RFC 3339, UTC): `trend` orders
	// reports by them. Omitted when no record has a timestamp.
	FirstTS string `json:"first_ts,omitempty"`
	LastTS  string `json:"last_ts,omitempty"`
	Coverage
	// StandardRate lists calls of a service tier the price table has no
	// rates for (for that model): billed at standard rates, so the invoice
	// will differ by the tier's discount or uplift.
	StandardRate []TierFallback `json:"standard_rate_tiers,omitempty"`
	// ScaledRate lists calls of a priced service tier billed, for a token
	// class the table gives the tier no rate for, at the standard rate
	// scaled like the tier's input (docs/pricing.md): an assumed rate.
	ScaledRate []TierScaled `json:"scaled_rate_tiers,omitempty"`
	// UnpricedServerTools lists server-side tool calls (web searches) of
	// models the table has no fee for: not in the cost, which is then low.
	UnpricedServerTools []UnpricedServerTools `json:"unpriced_server_tools,omitempty"`
}

// UnpricedServerTools is one model's web searches without a price.
type UnpricedServerTools struct {
	Model       string `json:"model"`
	WebSearches int64  `json:"web_searches"`
}

// Coverage is what share of the input the figures stand on (docs/json.md):
// lines understood (read less invalid), model calls by where their price
// came from, and dollars by source. With InputCounts' timestamp, totals
// and unknown-field counts it is the report's footer.
type Coverage struct {
	LinesUnderstood     int64 `json:"lines_understood"`
	LLMCalls            int64 `json:"llm_calls"`
	CallsPricedTable    int64 `json:"calls_priced_table"`
	CallsPricedProducer int64 `json:"calls_priced_producer"`
	CallsUnpriced       int64 `json:"calls_unpriced"`
	// CallsNoTokens are calls with no tokens and no price: $0 at any rate.
	CallsNoTokens   int64   `json:"calls_no_tokens"`
	CostTableUSD    float64 `json:"cost_table_usd"`
	CostProducerUSD float64 `json:"cost_producer_usd"`
	// CostOverrideUSD is the part of CostTableUSD priced from --pricing
	// files' rates (omitted when none): the footer names it apart.
	CostOverrideUSD     float64 `json:"cost_override_usd,omitempty"`
	CallsPricedOverride int64   `json:"calls_priced_override,omitempty"`
}

// CostCI is the confidence intervals of the per-session cost percentiles.
type CostCI struct {
	P50 analyze.Interval `json:"p50"`
	P95 analyze.Interval `json:"p95"`
	P99 analyze.Interval `json:"p99"`
}

// TierScaled is one model's calls of a service tier billed at a derived rate.
type TierScaled struct {
	Model string `json:"model"`
	Tier  string `json:"tier"`
	Calls int64  `json:"calls"`
}

// TierFallback is one model's calls in a service tier it has no rates for.
type TierFallback struct {
	Model  string `json:"model"`
	Tier   string `json:"tier"`
	Calls  int64  `json:"calls"`
	Tokens int64  `json:"tokens"`
}

// Unpriced is a model the price table does not know. Its calls are
// excluded from cost totals, which are then lower bounds.
type Unpriced struct {
	Model  string `json:"model"`
	Calls  int64  `json:"calls"`
	Tokens int64  `json:"tokens"`
}

// Window is the time window of a run (RFC 3339, UTC); an empty bound is
// open.
type Window struct {
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
}

// windowOf is w as the report shows it, nil when it is unbounded.
func windowOf(w ingest.Window) *Window {
	if w.Since.IsZero() && w.Until.IsZero() {
		return nil
	}
	var out Window
	if !w.Since.IsZero() {
		out.Since = w.Since.UTC().Format(time.RFC3339Nano)
	}
	if !w.Until.IsZero() {
		out.Until = w.Until.UTC().Format(time.RFC3339Nano)
	}
	return &out
}

// filesText is "N files" for the inputs read, with those listed but not
// read and those ignored by name, when there are any.
func filesText(in Input) string {
	var read, unread int64
	for _, f := range in.Files {
		if f.Skipped != "" || f.Error != "" {
			unread++
		} else {
			read++
		}
	}
	s := count(read) + " files"
	switch {
	case unread > 0 && in.IgnoredFiles > 0:
		s += fmt.Sprintf(" (%s not read, %s ignored: not trace files)", count(unread), count(in.IgnoredFiles))
	case unread > 0:
		s += fmt.Sprintf(" (%s not read)", count(unread))
	case in.IgnoredFiles > 0:
		s += fmt.Sprintf(" (%s ignored: not trace files)", count(in.IgnoredFiles))
	}
	if o := in.Objects; o != nil {
		s += fmt.Sprintf(", objects %s listed, %s pruned, %s read", count(o.Listed), count(o.Pruned), count(o.Read))
	}
	if in.AlreadyRead > 0 {
		s += fmt.Sprintf(", %s already read (--state)", count(in.AlreadyRead))
	}
	if in.NotInManifest > 0 {
		s += fmt.Sprintf(", %s in no newer manifest", count(in.NotInManifest))
	}
	if in.ManifestMissing > 0 {
		s += fmt.Sprintf(", %s listed by a manifest but missing", count(in.ManifestMissing))
	}
	if w := in.Window; w != nil {
		s += fmt.Sprintf(", window %s → %s", orOpen(w.Since), orOpen(w.Until))
	}
	return s
}

func orOpen(t string) string {
	if t == "" {
		return "…"
	}
	return t
}

// TopSession is one of the most expensive sessions.
type TopSession struct {
	SessionID     string  `json:"session_id"`
	Workflow      string  `json:"workflow,omitempty"`
	CostUSD       float64 `json:"cost_usd"`
	LLMCalls      int     `json:"llm_calls"`
	ToolCalls     int     `json:"tool_calls"`
	ToolErrors    int     `json:"tool_errors"`
	TotalTokens   int64   `json:"total_tokens"`
	DurationS     float64 `json:"duration_s"`
	Amplification float64 `json:"context_amplification"`
	UnpricedCalls int     `json:"unpriced_calls,omitempty"`
}

// BuildOptions controls Build.
type BuildOptions struct {
	Tool  ToolInfo
	Files []ingest.FileResult
	// IgnoredFiles: see Input.IgnoredFiles.
	IgnoredFiles int64
	// Window and Objects: see Input.Window and Input.Objects.
	Window  ingest.Window
	Objects *ingest.RemoteStats
	// AlreadyRead, NotInManifest and ManifestMissing: see Input.
	AlreadyRead, NotInManifest, ManifestMissing int64
	CostSource                                  string
	TopN                                        int
	// Caps, when set, sweeps these iteration caps (what-if simulation) into
	// CapCurve; caps below 1 are ignored.
	Caps []int
}

// Build fills the result model from session summaries (with the runaway
// loops they were finished with: d.Runaway).
func Build(d *analyze.Summaries, opt BuildOptions) *Analysis {
	a := &Analysis{
		SchemaVersion: SchemaVersion,
		Tool:          opt.Tool,
		Input:         Input{Files: opt.Files, IgnoredFiles: opt.IgnoredFiles, Window: windowOf(opt.Window), Objects: opt.Objects, AlreadyRead: opt.AlreadyRead, NotInManifest: opt.NotInManifest, ManifestMissing: opt.ManifestMissing, InputCounts: d.Counts, Unpriced: []Unpriced{}},
		Models:        d.Models,
		TopSessions:   []TopSession{},
		sessions:      d.Sessions,
	}
	if d.Spilled() {
		a.spilled = d
	}
	// Three independent passes over every session (each sorts per-session
	// numbers): on a large fleet they take a tenth of a second each.
	var wg sync.WaitGroup
	wg.Go(func() { a.Workflows = workflowStats(d) })
	a.Runaway = d.Runaway
	// One pass over every session for the rest (on disk when the
	// summaries were spilled, so each pass is a read of the file).
	stats := analyze.NewStatsAcc(d.Len())
	top := analyze.NewTopCost(opt.TopN, d.Len())
	growth := newGrowth(a.Runaway.Head(MaxGrowthSessions))
	var tr timeSpan
	costs := make([]float64, 0, d.Len())
	for s := range d.All() {
		stats.Add(s)
		top.Add(s)
		growth.add(s)
		a.UnpricedTokens += s.UnpricedTokens
		tr.add(s)
		costs = append(costs, s.CostUSD)
	}
	a.Sessions = stats.Result()
	wg.Wait()
	a.RunawayGrowth = growth.result()
	if caps := validCaps(opt.Caps); len(caps) > 0 {
		// CapSweep fails only on caps below 1, excluded, or when the
		// call costs were not kept (a caller's mistake: no curve).
		if curve, err := analyze.CapSweep(d, caps); err == nil {
			a.CapCurve = curve
			if rc, ok := analyze.RecommendCap(d, a.Runaway, analyze.DefaultMaxCollateral); ok {
				if r, err := analyze.CapSweep(d, []int{rc}); err == nil && len(r) == 1 {
					a.CapRecommended = &analyze.RecommendedCap{CapResult: r[0], MaxCollateral: analyze.DefaultMaxCollateral}
				}
			}
		}
	}
	a.Input.FirstTS, a.Input.LastTS = tr.rfc3339()
	if len(costs) > 0 {
		sort.Float64s(costs)
		a.CostCI = &CostCI{P50: analyze.QuantileCI(costs, 0.50, 0.95), P95: analyze.QuantileCI(costs, 0.95, 0.95), P99: analyze.QuantileCI(costs, 0.99, 0.95)}
	}
	if a.Runaway.Sessions == nil && !a.Runaway.OnDisk() {
		a.Runaway.Sessions = []analyze.RunawaySession{}
	}
	if a.Input.Files == nil {
		a.Input.Files = []ingest.FileResult{}
	}
	if a.Input.InvalidByReason == nil {
		a.Input.InvalidByReason = map[string]int64{}
	}
	if a.Models == nil {
		a.Models = []analyze.ModelUsage{}
	}
	if d.Config.Prices != nil {
		a.Pricing.Info = d.Config.Prices.Info()
	}
	a.Pricing.CostSource = opt.CostSource
	a.Pricing.OpenAIResidency = d.Config.OpenAIResidency
	var priced float64
	var tiers analyze.TierSplit
	var src CostBySource
	for _, m := range d.Models {
		src.Override.Calls += m.OverrideCalls
		src.Override.CostUSD += m.OverrideCostUSD
		a.CostByClass.Input += m.CostByPart.Input
		a.CostByClass.CacheRead += m.CostByPart.CacheRead
		a.CostByClass.CacheWrite += m.CostByPart.CacheWrite
		a.CostByClass.Output += m.CostByPart.Output
		a.CostByClass.Recorded += m.CostByPart.Recorded
		a.CostByClass.ServerTools += m.CostByPart.ServerTools
		a.CostByClass.Multimodal += m.CostByPart.Multimodal
		if m.UnpricedWebSearches > 0 {
			a.Input.UnpricedServerTools = append(a.Input.UnpricedServerTools, UnpricedServerTools{Model: m.Model, WebSearches: m.UnpricedWebSearches})
		}
		a.LLMTokens += m.Tokens.Total()
		c := &a.Input.Coverage
		c.LLMCalls += m.Calls
		c.CallsPricedTable += m.TableCalls
		c.CallsPricedProducer += m.RecordCalls
		c.CallsUnpriced += m.Unpriced
		c.CallsNoTokens += m.Calls - m.TableCalls - m.RecordCalls - m.Unpriced
		if m.Unpriced > 0 {
			a.Input.Unpriced = append(a.Input.Unpriced, Unpriced{Model: m.Model, Calls: m.Unpriced, Tokens: m.Tokens.Total()})
		}
		split := m.ByTier
		if len(split.Used()) == 0 { // every call standard
			split[ingest.TierStandard] = analyze.TierUsage{Tier: ingest.TierStandard.String(), Calls: m.Calls, Tokens: m.Tokens.Total(), CostUSD: m.CostUSD}
		}
		tiers.Add(split)
		for _, t := range split.Used() {
			if t.StandardRateCalls > 0 {
				a.Input.StandardRate = append(a.Input.StandardRate, TierFallback{Model: m.Model, Tier: t.Tier, Calls: t.StandardRateCalls, Tokens: t.StandardRateTokens})
			}
			if t.ScaledRateCalls > 0 {
				a.Input.ScaledRate = append(a.Input.ScaledRate, TierScaled{Model: m.Model, Tier: t.Tier, Calls: t.ScaledRateCalls})
			}
		}
	}
	for t := ingest.TierStandard + 1; t < ingest.NumServiceTiers; t++ {
		if tiers[t].Calls > 0 { // some call was not standard
			a.CostByTier = tiers.Used()
			break
		}
	}
	priced = a.CostByClass.Input + a.CostByClass.CacheRead + a.CostByClass.CacheWrite + a.CostByClass.Output + a.CostByClass.ServerTools
	if a.CostByClass.Multimodal != 0 { // apart, so text-only sums are as they were, to the bit
		priced += a.CostByClass.Multimodal
	}
	a.Input.CostTableUSD, a.Input.CostProducerUSD = priced, a.CostByClass.Recorded
	a.Input.CostOverrideUSD, a.Input.CallsPricedOverride = src.Override.CostUSD, src.Override.Calls
	c := a.Input.Coverage
	src.Table = SourceShare{Calls: c.CallsPricedTable - src.Override.Calls, CostUSD: priced - src.Override.CostUSD}
	if src.Table.Calls == 0 {
		src.Table.CostUSD = 0 // not a float residue of priced − override
	}
	src.Producer = SourceShare{Calls: c.CallsPricedProducer, CostUSD: a.CostByClass.Recorded}
	src.Unpriced = UnpricedShare{Calls: c.CallsUnpriced, Tokens: a.UnpricedTokens}
	if total := priced + a.CostByClass.Recorded; total > 0 {
		for _, s := range []*SourceShare{&src.Table, &src.Override, &src.Producer} {
			s.Share = s.CostUSD / total
		}
	}
	if a.LLMTokens > 0 {
		src.Unpriced.TokenShare = float64(a.UnpricedTokens) / float64(a.LLMTokens)
	}
	a.Pricing.CostBySource = &src
	a.Input.LinesUnderstood = a.Input.Lines - a.Input.Invalid
	if priced > 0 {
		a.OutputCostShare = a.CostByClass.Output / priced
	}
	sort.Slice(a.Input.Unpriced, func(i, j int) bool {
		if a.Input.Unpriced[i].Tokens != a.Input.Unpriced[j].Tokens {
			return a.Input.Unpriced[i].Tokens > a.Input.Unpriced[j].Tokens
		}
		return a.Input.Unpriced[i].Model < a.Input.Unpriced[j].Model
	})
	for _, s := range top.Result() {
		a.TopSessions = append(a.TopSessions, TopSession{
			SessionID: s.ID, Workflow: s.Workflow, CostUSD: s.CostUSD, LLMCalls: s.LLMCalls,
			ToolCalls: s.ToolCalls, ToolErrors: s.ToolErrors, TotalTokens: s.Tokens.Total(),
			DurationS: s.DurationS(), Amplification: s.Amplification(), UnpricedCalls: s.UnpricedCalls,
		})
	}
	return a
}

// timeSpan is the earliest session start and the latest session end.
type timeSpan struct{ lo, hi int64 }

func (t *timeSpan) add(s *analyze.Summary) {
	if s.StartNano == 0 {
		return
	}
	if t.lo == 0 || s.StartNano < t.lo {
		t.lo = s.StartNano
	}
	t.hi = max(t.hi, s.EndNano, s.StartNano)
}

// rfc3339 is the span in UTC; empty when no session has timestamps.
func (t *timeSpan) rfc3339() (first, last string) {
	if t.lo == 0 {
		return "", ""
	}
	return time.Unix(0, t.lo).UTC().Format(time.RFC3339Nano), time.Unix(0, t.hi).UTC().Format(time.RFC3339Nano)
}

// growth collects the per-call input tokens of the top runaway sessions
// (rs is sorted by wasted dollars) as the sessions are read. Every
// runaway session is one of the sessions read (its loops were found in
// them), so the first MaxGrowthSessions of rs are the ones.
type growth struct {
	rs    []analyze.RunawaySession
	want  map[string]int
	found []bool
	out   []SessionGrowth
}

func newGrowth(rs []analyze.RunawaySession) *growth {
	rs = rs[:min(len(rs), MaxGrowthSessions)]
	g := &growth{rs: rs, want: make(map[string]int, len(rs)), found: make([]bool, len(rs)), out: make([]SessionGrowth, len(rs))}
	for i, r := range rs {
		g.want[r.SessionID] = i
	}
	return g
}

func (g *growth) add(s *analyze.Summary) {
	if len(g.rs) == 0 {
		return
	}
	i, ok := g.want[s.ID]
	if !ok {
		return
	}
	r := &g.rs[i]
	g.found[i] = true
	g.out[i] = SessionGrowth{SessionID: r.SessionID, LoopStartCall: r.LoopStartCall, WastedCostUSD: r.WastedCostUSD, InputTokens: s.LLMInputs()}
	if g.out[i].InputTokens == nil {
		g.out[i].InputTokens = []int64{}
	}
}

// result is the sessions found, in rs's order.
func (g *growth) result() []SessionGrowth {
	kept := []SessionGrowth{}
	for i := range g.out {
		if g.found[i] {
			kept = append(kept, g.out[i])
		}
	}
	return kept
}

// workflowStats is GroupStatsOf by workflow, costliest first; nothing
// when no session names a workflow.
func workflowStats(d *analyze.Summaries) []WorkflowStats {
	out := []WorkflowStats{}
	named := false
	for s := range d.All() {
		if s.Workflow != "" {
			named = true
			break
		}
	}
	if !named {
		return out
	}
	groups, _ := GroupStatsOf(d, "workflow") // "workflow" is always a valid field
	for _, g := range groups {
		w := g.Group
		if w == analyze.NoGroup {
			w = ""
		}
		out = append(out, WorkflowStats{Workflow: w, Sessions: g.Sessions, CostUSD: g.CostUSD, TotalTokens: g.TotalTokens})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CostUSD.Total > out[j].CostUSD.Total })
	return out
}

// GroupStatsOf splits the sessions by field (see analyze.GroupSessions:
// workflow, model or any attribute) in key order.
func GroupStatsOf(d *analyze.Summaries, field string) ([]GroupStats, error) {
	groups, err := analyze.SummaryGroupStats(d, field, nil)
	if err != nil {
		return nil, err
	}
	out := make([]GroupStats, 0, len(groups))
	for _, g := range groups {
		st := g.Stats
		out = append(out, GroupStats{Group: g.Key, Sessions: st.Count, CostUSD: st.CostUSD, TotalTokens: st.TotalTokens})
	}
	return out, nil
}

// validCaps drops caps below 1.
func validCaps(caps []int) []int {
	var out []int
	for _, c := range caps {
		if c >= 1 {
			out = append(out, c)
		}
	}
	return out
}

// DefaultCaps is a cap sweep for the charts: about 30 caps from 1 to the
// largest session's LLM calls.
func DefaultCaps(d *analyze.Summaries) []int {
	most := 0
	for s := range d.All() {
		most = max(most, s.LLMCalls)
	}
	step := max(1, most/30)
	var caps []int
	for c := 1; c <= most; c += step {
		caps = append(caps, c)
	}
	return caps
}

// GroupReport is the session distributions of one group (--group-by).
type GroupReport struct {
	Group           string               `json:"group"`
	Sessions        analyze.SessionStats `json:"sessions"`
	RunawaySessions int                  `json:"runaway_sessions"`
	WastedCostUSD   float64              `json:"wasted_cost_usd"`
}

// AddGroups splits a's distributions by field (workflow, model or any
// session attribute; see analyze.GroupSessions), with each group's share of
// the runaway loops a already holds.
func (a *Analysis) AddGroups(d *analyze.Summaries, field string) error {
	loopOf := a.loopOf()
	// Each group's waste is added up in id order, as its sessions come.
	type waste struct {
		n   int
		usd float64
	}
	byKey := map[string]*waste{}
	groups, err := analyze.SummaryGroupStats(d, field, func(key string, s *analyze.Summary) {
		if l := loopOf(s); l != nil {
			g := byKey[key]
			if g == nil {
				g = &waste{}
				byKey[key] = g
			}
			g.n++
			g.usd += l.WastedCostUSD
		}
	})
	if err != nil {
		return err
	}
	a.GroupBy = field
	a.Groups = make([]GroupReport, 0, len(groups))
	for _, g := range groups {
		gr := GroupReport{Group: g.Key, Sessions: g.Stats}
		if w := byKey[g.Key]; w != nil {
			gr.RunawaySessions, gr.WastedCostUSD = w.n, w.usd
		}
		a.Groups = append(a.Groups, gr)
	}
	return nil
}

// totalsOnlyNote says which analyses left out the sessions known only by
// their totals, and what share of spend they are ("" when none).
func totalsOnlyNote(s analyze.SessionStats) string {
	if s.TotalsOnly == 0 {
		return ""
	}
	return fmt.Sprintf("%s sessions (%s of spend) are totals only, with no per-call data: counted in cost, token and call percentiles; not checked for runaway loops, nor in caps, window or context amplification",
		count(int64(s.TotalsOnly)), pct(s.TotalsOnlyCostShare))
}
