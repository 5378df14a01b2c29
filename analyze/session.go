package analyze

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
	"github.com/tokcost/tokcost/pricing"
)

// CostSource decides where a call's cost comes from.
type CostSource uint8

const (
	// CostAuto prices from the table and falls back on the record's own
	// cost_usd for models the table does not know.
	CostAuto CostSource = iota
	// CostComputed prices from the table only.
	CostComputed
	// CostRecord uses the record's cost_usd only.
	CostRecord
)

// Config controls Finish and FinishSummaries.
type Config struct {
	Prices     *pricing.Table
	CostSource CostSource
	// Loops, when set, detects runaway loops while sessions are finished,
	// for DetectLoops with the same configuration to report. For
	// FinishSummaries, which cannot detect them later, nil means
	// DefaultLoopConfig.
	Loops *LoopConfig
	// KeepCapCosts makes FinishSummaries keep each session's model-call
	// costs (8 bytes a call) so that CapSweep works on the summaries.
	KeepCapCosts bool
	// Whatif makes FinishSummaries replay each session under its what-if
	// policies while the session's events exist (SimulateSummaries).
	Whatif *WhatifSpec
	// OpenAIResidency is the data-residency region the user says their
	// OpenAI project runs in ("eu", "us"; "" none): OpenAI-keyed calls are
	// billed × the key's regional multiplier (docs/pricing.md). No trace
	// records it, so it is stated per run.
	OpenAIResidency string
}

// Summary is what one session adds up to: every per-session figure the
// reports use, as plain data, without the events. FinishSummaries keeps
// only these.
type Summary struct {
	ID       string
	Workflow string
	Attrs    map[string]string

	LLMCalls   int
	ToolCalls  int
	ToolErrors int
	Duplicates int
	// repeats is the part of Duplicates the shards dropped on arrival,
	// which Finish never stored.
	repeats       int
	UnpricedCalls int
	TimedOut      bool // some record has status timeout
	// TotalsOnly marks a session whose model calls are known only as
	// totals (ingest.Record.Calls): its calls, tokens and cost are exact,
	// but the analyses that need each call (loops, caps, window,
	// amplification) leave it out and count it instead.
	TotalsOnly bool
	// UnpricedTokens is the input plus output tokens of unpriced calls.
	UnpricedTokens int64

	Tokens  Tokens
	CostUSD float64

	StartNano, EndNano int64 // 0 when the session has no timestamps
	MaxCallInput       int64 // the largest single LLM call's input

	// Model is the session's dominant model: most cost, then most calls,
	// then name (GroupSessions' "model").
	Model string
	// Loop is the runaway loop Finish found (nil: none, or Config.Loops
	// was not set).
	Loop *RunawaySession
	// CallInputs are the input tokens of each model call, in order (how
	// the context grew), kept by FinishSummaries for sessions with a
	// runaway loop only.
	CallInputs []uint32

	capCosts *capCosts  // for CapSweep (Config.KeepCapCosts)
	sim      *simRecord // its what-if replay (Config.Whatif)
}

// Session is one agent session: its events in order and what they add up
// to. Only Finish makes them; FinishSummaries keeps the Summary alone.
type Session struct {
	Summary
	Events []Event
}

// LLMInputs returns the input tokens of each model call, in order: how
// the context grew.
func (s *Session) LLMInputs() []int64 {
	var out []int64
	for i := range s.Events {
		if s.Events[i].Kind == ingest.KindLLM {
			out = append(out, int64(s.Events[i].Input))
		}
	}
	return out
}

// LLMInputs returns CallInputs as int64: after FinishSummaries, only
// sessions with a runaway loop have them.
func (s *Summary) LLMInputs() []int64 {
	var out []int64
	for _, v := range s.CallInputs {
		out = append(out, int64(v))
	}
	return out
}

// Tokens are token counts by class, canonical semantics (input includes
// cache reads and writes; output includes reasoning).
type Tokens struct {
	Input      int64 `json:"input_tokens"`
	Output     int64 `json:"output_tokens"`
	CacheRead  int64 `json:"cache_read_tokens"`
	CacheWrite int64 `json:"cache_write_tokens"`
	Reasoning  int64 `json:"reasoning_tokens"`
	// The audio and image parts of Input and Output (docs/pricing.md);
	// absent from JSON when 0, so text-only reports read as before.
	AudioInput  int64 `json:"audio_input_tokens,omitempty"`
	ImageInput  int64 `json:"image_input_tokens,omitempty"`
	AudioOutput int64 `json:"audio_output_tokens,omitempty"`
	ImageOutput int64 `json:"image_output_tokens,omitempty"`
}

// Total is input plus output.
func (t Tokens) Total() int64 { return t.Input + t.Output }

func (t *Tokens) addEvent(e *Event) {
	t.Input += int64(e.Input)
	t.Output += int64(e.Output)
	t.CacheRead += int64(e.CacheRead)
	t.CacheWrite += int64(e.CacheWrite)
	t.Reasoning += int64(e.Reasoning)
	if e.HasMedia() {
		t.AudioInput += int64(e.AudioIn)
		t.ImageInput += int64(e.ImageIn)
		t.AudioOutput += int64(e.AudioOut)
		t.ImageOutput += int64(e.ImageOut)
	}
}

func (t *Tokens) add(o Tokens) {
	t.Input += o.Input
	t.Output += o.Output
	t.CacheRead += o.CacheRead
	t.CacheWrite += o.CacheWrite
	t.Reasoning += o.Reasoning
	t.AudioInput += o.AudioInput
	t.ImageInput += o.ImageInput
	t.AudioOutput += o.AudioOutput
	t.ImageOutput += o.ImageOutput
}

// DurationS is the session's wall time, first start to last end, in seconds.
func (s *Summary) DurationS() float64 {
	return float64(s.EndNano-s.StartNano) / 1e9
}

// Amplification is Σ input tokens ÷ the largest single call's input: how
// many times the context was re-sent. 0 when there are no inputs.
func (s *Summary) Amplification() float64 {
	if s.MaxCallInput == 0 {
		return 0
	}
	return float64(s.Tokens.Input) / float64(s.MaxCallInput)
}

// ModelUsage aggregates the calls of one model id as it appeared in traces.
type ModelUsage struct {
	Model    string `json:"model"`
	PricedAs string `json:"priced_as,omitempty"` // the price-table key it resolved to
	Calls    int64  `json:"calls"`
	Tokens
	CostUSD  float64 `json:"cost_usd"`
	Unpriced int64   `json:"unpriced_calls,omitempty"`
	// RecordCalls counts the calls priced by the producer's own cost_usd
	// (--cost-source auto without a table price, or record) rather than
	// the table: PricedAs is then not the whole story.
	RecordCalls int64 `json:"record_cost_calls,omitempty"`
	// TableCalls counts the calls priced from the price table. Calls -
	// TableCalls - RecordCalls - Unpriced are calls with no tokens and no
	// price: they cost nothing whatever the rate.
	TableCalls int64 `json:"table_cost_calls"`
	// OverrideCalls are those of TableCalls priced from a --pricing file's
	// rates rather than the embedded table's; OverrideCostUSD their cost
	// (part of CostUSD).
	OverrideCalls   int64   `json:"override_cost_calls,omitempty"`
	OverrideCostUSD float64 `json:"override_cost_usd,omitempty"`
	// WebSearches are the server-side web searches of its calls;
	// UnpricedWebSearches those the price table has no fee for (not in
	// the cost, reported).
	WebSearches         int64 `json:"web_searches,omitempty"`
	UnpricedWebSearches int64 `json:"unpriced_web_searches,omitempty"`
	// USOnlyCalls ran US-only (Anthropic inference_geo "us"); those of
	// them the table has no US uplift for are USOnlyNoUplift (billed at
	// the base rates, reported).
	USOnlyCalls    int64 `json:"us_only_calls,omitempty"`
	USOnlyNoUplift int64 `json:"us_only_no_uplift_calls,omitempty"`
	// FastCalls ran in Anthropic's fast mode (usage.speed "fast"); those
	// of a model the table has no fast multiplier for are FastNoMultiplier
	// (billed at the base rates, reported).
	FastCalls        int64 `json:"fast_calls,omitempty"`
	FastNoMultiplier int64 `json:"fast_no_multiplier_calls,omitempty"`
	// MediaTextRateCalls have audio or image tokens of a modality the
	// table has no rate for the model for: billed at the text rate,
	// reported, and --fail-on-unpriced fails on them.
	MediaTextRateCalls int64 `json:"media_text_rate_calls,omitempty"`
	// ResidencyCalls are OpenAI calls under --openai-residency; those of a
	// key without that region's multiplier are ResidencyNoUplift (billed
	// at the base rates, reported).
	ResidencyCalls    int64 `json:"openai_residency_calls,omitempty"`
	ResidencyNoUplift int64 `json:"openai_residency_no_uplift_calls,omitempty"`
	// ResidencyOtherProvider are calls of an OpenAI key under
	// --openai-residency whose record names another provider (openrouter,
	// azure, bedrock, …): that provider bills them, not uplifted.
	ResidencyOtherProvider int64 `json:"openai_residency_other_provider_calls,omitempty"`
	CostByPart             Parts `json:"cost_by_class"`
	// ByTier splits the calls by vendor service tier; absent when every
	// call was standard.
	ByTier TierSplit `json:"by_tier,omitzero"`

	tiers [ingest.NumServiceTiers]tierAcc

	// sums are the dollar fields above while Finish adds them up: sums of
	// millions of small costs, compensated so that the result does not
	// depend on the order they are added in (which partition finished
	// first, how many cores), to the last digit in practice.
	sums [8]fsum // CostUSD, then Parts' fields in order, then OverrideCostUSD
	// multimodal is Parts.Multimodal's sum, apart from sums so that the
	// session table's sums of text-only runs are as they were.
	multimodal fsum
}

// TierUsage is one service tier's share of a model's (or the fleet's)
// calls. StandardRateCalls are calls of a tier the price table has no rates
// for (for that model): they are billed at the standard rates, which the
// report says, since the invoice will differ.
type TierUsage struct {
	Tier               string  `json:"tier"`
	Calls              int64   `json:"calls"`
	Tokens             int64   `json:"tokens"` // input + output
	CostUSD            float64 `json:"cost_usd"`
	StandardRateCalls  int64   `json:"standard_rate_calls,omitempty"`
	StandardRateTokens int64   `json:"standard_rate_tokens,omitempty"`
	// ScaledRateCalls are calls of a priced tier billed, for some token
	// class, at the standard rate scaled like the tier's input (the table
	// gives the tier no rate for that class; pricing.Rates.TierScaled).
	ScaledRateCalls int64 `json:"scaled_rate_calls,omitempty"`
}

type tierAcc struct {
	calls, tokens, stdCalls, stdTokens, scaled int64
	cost                                       fsum
}

func (a *tierAcc) merge(o tierAcc) {
	a.calls += o.calls
	a.tokens += o.tokens
	a.stdCalls += o.stdCalls
	a.stdTokens += o.stdTokens
	a.scaled += o.scaled
	a.cost.merge(o.cost)
}

// fsum is Neumaier's compensated sum.
type fsum struct{ s, c float64 }

func (f *fsum) add(x float64) {
	t := f.s + x
	if math.Abs(f.s) >= math.Abs(x) {
		f.c += (f.s - t) + x
	} else {
		f.c += (x - t) + f.s
	}
	f.s = t
}

func (f *fsum) merge(o fsum) {
	f.add(o.s)
	f.add(o.c)
}

func (f fsum) value() float64 { return f.s + f.c }

func (mu *ModelUsage) addCost(cost float64, p Parts, override bool) {
	if p.Multimodal != 0 {
		mu.multimodal.add(p.Multimodal)
	}
	over := 0.0
	if override {
		over = cost
	}
	for i, x := range [8]float64{cost, p.Input, p.CacheRead, p.CacheWrite, p.Output, p.Recorded, p.ServerTools, over} {
		if x != 0 {
			mu.sums[i].add(x)
		}
	}
}

// settle sets the dollar fields from the sums.
func (mu *ModelUsage) settle() {
	mu.CostUSD = mu.sums[0].value()
	mu.CostByPart = Parts{Input: mu.sums[1].value(), CacheRead: mu.sums[2].value(), CacheWrite: mu.sums[3].value(),
		Output: mu.sums[4].value(), Recorded: mu.sums[5].value(), ServerTools: mu.sums[6].value()}
	mu.OverrideCostUSD = mu.sums[7].value()
	mu.CostByPart.Multimodal = mu.multimodal.value()
	mu.ByTier = TierSplit{}
	if mu.tiers[ingest.TierStandard].calls == mu.Calls {
		return // all standard: nothing to split
	}
	for t, a := range mu.tiers {
		if a.calls > 0 {
			mu.ByTier[t] = TierUsage{Tier: ingest.ServiceTier(t).String(), Calls: a.calls, Tokens: a.tokens,
				CostUSD: a.cost.value(), StandardRateCalls: a.stdCalls, StandardRateTokens: a.stdTokens,
				ScaledRateCalls: a.scaled}
		}
	}
}

// TierSplit is usage by service tier, indexed by ingest.ServiceTier. In
// JSON it is the list of tiers with calls, in tier order.
type TierSplit [ingest.NumServiceTiers]TierUsage

// Add adds o's calls, tokens and dollars tier by tier.
func (t *TierSplit) Add(o TierSplit) {
	for i := range t {
		if o[i].Calls == 0 {
			continue
		}
		t[i].Tier = o[i].Tier
		t[i].Calls += o[i].Calls
		t[i].Tokens += o[i].Tokens
		t[i].CostUSD += o[i].CostUSD
		t[i].StandardRateCalls += o[i].StandardRateCalls
		t[i].StandardRateTokens += o[i].StandardRateTokens
		t[i].ScaledRateCalls += o[i].ScaledRateCalls
	}
}

// Used lists the tiers with calls, in tier order.
func (t TierSplit) Used() []TierUsage {
	var out []TierUsage
	for _, u := range t {
		if u.Calls > 0 {
			out = append(out, u)
		}
	}
	return out
}

// MarshalJSON writes the tiers with calls, as a list.
func (t TierSplit) MarshalJSON() ([]byte, error) {
	used := t.Used()
	if used == nil {
		used = []TierUsage{}
	}
	return json.Marshal(used)
}

// UnmarshalJSON reads the list MarshalJSON writes.
func (t *TierSplit) UnmarshalJSON(b []byte) error {
	var list []TierUsage
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*t = TierSplit{}
	for _, u := range list {
		for i := range t {
			if ingest.ServiceTier(i).String() == u.Tier {
				t[i] = u
			}
		}
	}
	return nil
}

// Parts is cost by token class; Recorded is cost taken from records' own
// cost_usd, which has no class breakdown.
type Parts struct {
	Input      float64 `json:"input_usd"`
	CacheRead  float64 `json:"cache_read_usd"`
	CacheWrite float64 `json:"cache_write_usd"`
	Output     float64 `json:"output_usd"`
	Recorded   float64 `json:"recorded_usd,omitempty"`
	// ServerTools is server-side tool fees (web search), billed per call,
	// not per token.
	ServerTools float64 `json:"server_tools_usd"`
	// Multimodal is audio and image tokens at their modality's rates
	// (Input and Output are then the text parts); absent when 0.
	Multimodal float64 `json:"multimodal_usd,omitempty"`
}

// Dataset is everything read, deduplicated, ordered and priced, with
// every session's events: what simulations and loop detection need.
type Dataset struct {
	Sessions []*Session // sorted by ID
	Strings  []string   // the interned-string table Event fields index
	Counts   InputCounts
	Examples []ingest.Note // the first invalid lines, for the user
	Models   []ModelUsage  // sorted by cost, then name
	Config   Config

	loopsBy *LoopConfig // loops were detected by Finish with this
}

// Str returns an interned string.
func (d *Dataset) Str(id uint32) string { return d.Strings[id] }

// Summaries is everything read, deduplicated, ordered and priced, as
// session summaries only: loops were detected while the events existed,
// and the events were dropped, so memory holds the summaries and nothing
// can be simulated (CapSweep excepted, with Config.KeepCapCosts).
type Summaries struct {
	Sessions []*Summary // sorted by ID
	Counts   InputCounts
	Examples []ingest.Note // the first invalid lines, for the user
	Models   []ModelUsage  // sorted by cost, then name
	Config   Config
	// Runaway is the loops found while finishing, with Loops.
	Runaway Runaway
	Loops   LoopConfig

	capCosts bool // every session has its capCosts

	// file holds the sessions when they were spilled (Sessions is then
	// nil; All reads them back), n how many there are.
	file *sumFile
	n    int
}

// Len is the number of sessions.
func (d *Summaries) Len() int {
	if d.file != nil {
		return d.n
	}
	return len(d.Sessions)
}

// All yields every session in id order: Sessions, or when the summaries
// were spilled to disk, each read back from there. A summary read back is
// valid only until the next is yielded (copy it to keep it; its Attrs,
// Loop and CallInputs are its own). Each call reads the file anew.
func (d *Summaries) All() iter.Seq[*Summary] {
	if d.file != nil {
		return d.file.all()
	}
	return slices.Values(d.Sessions)
}

// Err is the first failure to read spilled summaries back (a pass of All,
// or of Runaway.All), if any: the pass it cut short yielded only some of
// the sessions and every pass after it yields none, so nothing computed
// from d may be used once it is set. Check it after the last pass.
func (d *Summaries) Err() error {
	if d.file == nil {
		return nil
	}
	return d.file.readErr()
}

// Spilled reports whether the summaries were spilled to disk: Sessions
// is nil, All reads them back.
func (d *Summaries) Spilled() bool { return d.file != nil }

// SpilledSummaries is how many bytes of session summaries went to disk
// (0: they stayed in memory).
func (d *Summaries) SpilledSummaries() int64 {
	if d.file == nil {
		return 0
	}
	return d.file.written()
}

// Release removes the summaries' spill file, if any; d cannot be read
// after. Without it, the file goes with the process (it is unlinked at
// creation where the OS allows).
func (d *Summaries) Release() {
	if d.file != nil {
		d.file.release()
	}
}

// Summaries is d's sessions as summaries, with the loops found with
// loops and, when capCosts is set, what CapSweep needs: the view of d
// the reports take. The summaries are d's own.
func (d *Dataset) Summaries(loops LoopConfig, capCosts bool) *Summaries {
	rw := DetectLoops(d, loops)
	runaway := runawayIDs(rw)
	out := &Summaries{Sessions: make([]*Summary, len(d.Sessions)), Counts: d.Counts, Examples: d.Examples,
		Models: d.Models, Config: d.Config, Runaway: rw, Loops: loops.normal(), capCosts: capCosts}
	for i, s := range d.Sessions {
		sum := &s.Summary
		if sum.Model == "" {
			sum.Model = d.Str(dominantModelID(d.Strings, s.Events))
		}
		if runaway[s.ID] && sum.CallInputs == nil {
			sum.CallInputs = callInputs(s)
		}
		if capCosts && sum.capCosts == nil {
			sum.capCosts = newCapCosts(s.Events)
		}
		out.Sessions[i] = sum
	}
	return out
}

// Finish deduplicates, orders and prices every session, and detects
// runaway loops when cfg.Loops is set, keeping every event. The collector
// is empty afterwards.
//
// Finish is for a collector that does not spill: reading a spill file
// back can fail, and Finish would have no way to say so but a panic. Use
// FinishContext with NewSpillingCollector.
func (c *Collector) Finish(cfg Config) *Dataset {
	d, err := c.FinishContext(context.Background(), cfg) // never cancelled
	if err != nil {
		panic(fmt.Sprintf("analyze: Finish: %v (use FinishContext with a spilling collector)", err))
	}
	return d
}

// FinishContext is Finish under ctx: once ctx is done, every worker stops
// within its partition (a few sessions), the collector's records and any
// spill file are released, and it returns ctx's error and no dataset. A
// partition whose spilled records cannot be read back (the temp file's
// disk failed) stops the workers the same way, and its error is returned.
func (c *Collector) FinishContext(ctx context.Context, cfg Config) (*Dataset, error) {
	d := &Dataset{Config: cfg}
	if cfg.Loops != nil {
		lc := cfg.Loops.normal()
		d.loopsBy = &lc
	}
	r, err := c.finish(ctx, cfg, d.loopsBy, false)
	if err != nil {
		return nil, err
	}
	d.Sessions, d.Strings, d.Counts, d.Examples, d.Models = r.sessions, r.strings, r.counts, r.examples, r.models
	return d, nil
}

// FinishSummaries is Finish keeping only each session's Summary: loops
// are detected (cfg.Loops, or DefaultLoopConfig) and each session's events
// dropped as soon as it is summarised, so that memory holds the compact
// encoding and the summaries, never every event.
//
// As Finish, it is for a collector that does not spill: use
// FinishSummariesContext with NewSpillingCollector.
func (c *Collector) FinishSummaries(cfg Config) *Summaries {
	d, err := c.FinishSummariesContext(context.Background(), cfg) // never cancelled
	if err != nil {
		panic(fmt.Sprintf("analyze: FinishSummaries: %v (use FinishSummariesContext with a spilling collector)", err))
	}
	return d
}

// FinishSummariesContext is FinishSummaries under ctx, as FinishContext.
// Spilled summaries keep ctx: their read-back passes (the runaway list
// here, the report's later) stop early once it is done, so a caller that
// goes on after cancellation must not use what they return.
func (c *Collector) FinishSummariesContext(ctx context.Context, cfg Config) (*Summaries, error) {
	lc := DefaultLoopConfig()
	if cfg.Loops != nil {
		lc = *cfg.Loops
	}
	lc = lc.normal()
	r, err := c.finish(ctx, cfg, &lc, true)
	if err != nil {
		return nil, err
	}
	out := &Summaries{Sessions: make([]*Summary, len(r.sessions)), Counts: r.counts, Examples: r.examples, Models: r.models,
		Config: cfg, Loops: lc, capCosts: cfg.KeepCapCosts}
	if r.file != nil {
		// Spilled: the runaway totals are added up in id order, as below;
		// the list stays on disk with the summaries.
		out.Sessions, out.file, out.n = nil, r.file, r.n
		out.Runaway = runawaySpilled(r.file, r.n, lc)
		if err := ctx.Err(); err != nil {
			out.Release() // the read-back stopped early: the list is partial
			return nil, err
		}
		if err := out.Err(); err != nil {
			out.Release() // a summary could not be read back: the totals are partial
			return nil, err
		}
		return out, nil
	}
	found := make([]*RunawaySession, len(r.sessions))
	costs := make([]float64, len(r.sessions))
	for i, s := range r.sessions {
		out.Sessions[i] = &s.Summary
		found[i], costs[i] = s.Loop, s.CostUSD
	}
	out.Runaway = runawayOf(costs, found, lc)
	return out, nil
}

// finished is what finish hands Finish and FinishSummaries.
type finished struct {
	sessions []*Session
	strings  []string
	counts   InputCounts
	examples []ingest.Note
	models   []ModelUsage
	// file holds the summaries when they were spilled (sessions is then
	// empty), n how many.
	file *sumFile
	n    int
}

// spillSummaries reports whether finish is to write the summaries to disk:
// summaries only, a limit set, no what-if replay records (Config.Whatif:
// the summaries' file has no place for them), and sessions whose
// summaries would take more than a quarter of the limit.
func (c *Collector) spillSummaries(cfg Config, summariesOnly bool, sessions int) bool {
	return c.sumSpill != nil && summariesOnly && cfg.Whatif == nil &&
		int64(sessions)*summaryBytes > c.sumSpill.Limit/2
}

// finish finishes every session a partition at a time, on every core: a
// partition's records are decoded into events, and each session is
// deduplicated, ordered, priced, summarised and checked for loops (when
// loops is set); with summariesOnly its events are dropped at once.
func (c *Collector) finish(ctx context.Context, cfg Config, loops *LoopConfig, summariesOnly bool) (finished, error) {
	sealed := c.st.Seal()
	out := finished{strings: sealed.Strings, counts: sealed.Counts, examples: sealed.Examples}

	nparts := c.st.Partitions()
	parts := make([]partResult, nparts)
	var next atomic.Int64
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), nparts)
	if c.small() {
		workers = 1 // a few records: goroutines would cost more
	}
	if c.spillSummaries(cfg, summariesOnly, sealed.SessionsSeen) {
		// If the file cannot be made, the summaries stay in memory: the
		// results are the same, only the limit is not kept.
		out.file, c.sumErr = openSumFile(*c.sumSpill, nparts)
		if out.file != nil {
			out.file.ctx = ctx
		}
	}
	// A partition that cannot be read back (spilled records lost to the
	// disk) stops every worker between partitions, and finish returns why,
	// as for cancellation; nothing computed may be used.
	var failed atomic.Bool
	var failOnce sync.Once
	var readErr error
	fail := func(err error) {
		failOnce.Do(func() { readErr = err })
		failed.Store(true)
	}
	if cfg.Whatif != nil && summariesOnly {
		cfg.Whatif.prepare(cfg, slices.Clone(sealed.Strings[:sealed.Names]))
	}
	for range workers {
		wg.Go(func() {
			w := newFinisher(cfg, out.strings, loops, summariesOnly)
			w.ctx = ctx
			sc := &store.Scratch{KeepEvents: !summariesOnly}
			var buf []byte
			for {
				p := int(next.Add(1) - 1)
				if p >= nparts || ctx.Err() != nil || failed.Load() {
					return
				}
				raw, err := c.st.Partition(p, sc)
				if err != nil {
					fail(err)
					return
				}
				w.useStrings(sc.Strings)
				parts[p] = w.partition(raw)
				if ctx.Err() != nil {
					return // parts[p] may be cut short: finish discards it
				}
				if !summariesOnly {
					parts[p].strs = sc.Strings // a new table each partition (KeepEvents)
				}
				if out.file != nil {
					buf = spillSummaries(out.file, p, &parts[p], buf)
				}
			}
		})
	}
	wg.Wait()
	c.st.Release()
	err := ctx.Err()
	if err == nil && failed.Load() {
		err = readErr
	}
	if err != nil {
		// Some partitions were cut short or never read: nothing here may
		// be used.
		if out.file != nil {
			out.file.release()
		}
		return finished{}, err
	}
	if out.file != nil {
		c.sumErr = out.file.err // the partitions after it stayed in memory
		for _, p := range out.file.parts {
			out.n += p.count
		}
	}

	if !summariesOnly {
		out.strings = joinPartStrings(out.strings, parts)
	}
	// Partials are added in partition order, so totals do not depend on
	// the number of cores (float addition is not associative).
	all := map[uint32]*ModelUsage{}
	n := 0
	for _, p := range parts {
		n += len(p.sessions)
	}
	out.sessions = make([]*Session, 0, n)
	for _, p := range parts {
		out.sessions = append(out.sessions, p.sessions...)
		out.counts.Records -= p.dups
		out.counts.LinesWithRecords -= p.dupUnits
		out.counts.Duplicates += p.dupUnits
		// What the kept records were read with, in partition order: the
		// capped table of unknown usage names is the same whatever the
		// order (store's mergeUnknown), the sums are integers.
		out.counts.Add(p.noted)
		for id, mu := range p.models {
			dst := all[id]
			if dst == nil {
				all[id] = mu
				continue
			}
			dst.merge(mu)
		}
	}
	out.sessions = sortByID(out.sessions)
	for _, mu := range all {
		mu.settle()
		out.models = append(out.models, *mu)
	}
	sort.Slice(out.models, func(i, j int) bool {
		a, b := out.models[i], out.models[j]
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		return a.Model < b.Model
	})
	if summariesOnly {
		// Error texts follow the names in the table and only events use
		// them (loop evidence has copied its examples): a large fleet has
		// hundreds of thousands.
		out.strings = slices.Clone(out.strings[:sealed.Names]) // a new array: the old one holds them all
	}
	// The encoded records just became garbage, and what comes next
	// (FinishSummaries' runaway list, the report) allocates: collect now
	// so that it reuses the space. Collecting after FinishSummaries had
	// built its lists instead put them in new pages, on top of the dead
	// records: +40 MiB of peak RSS on the benchmark fleet
	// (docs/performance.md). The small collector (one session on a Beam
	// worker) skips it: a forced collection per session would dominate.
	if !c.small() {
		runtime.GC()
	}
	return out, nil
}

// merge adds o's calls, tokens and dollars.
func (mu *ModelUsage) merge(o *ModelUsage) {
	mu.Calls += o.Calls
	mu.Tokens.add(o.Tokens)
	for i := range mu.sums {
		mu.sums[i].merge(o.sums[i])
	}
	mu.multimodal.merge(o.multimodal)
	mu.MediaTextRateCalls += o.MediaTextRateCalls
	mu.Unpriced += o.Unpriced
	mu.RecordCalls += o.RecordCalls
	mu.TableCalls += o.TableCalls
	mu.OverrideCalls += o.OverrideCalls
	mu.WebSearches += o.WebSearches
	mu.UnpricedWebSearches += o.UnpricedWebSearches
	mu.USOnlyCalls += o.USOnlyCalls
	mu.USOnlyNoUplift += o.USOnlyNoUplift
	mu.FastCalls += o.FastCalls
	mu.FastNoMultiplier += o.FastNoMultiplier
	mu.ResidencyCalls += o.ResidencyCalls
	mu.ResidencyNoUplift += o.ResidencyNoUplift
	mu.ResidencyOtherProvider += o.ResidencyOtherProvider
	for t := range mu.tiers {
		mu.tiers[t].merge(o.tiers[t])
	}
	if mu.PricedAs == "" {
		mu.PricedAs = o.PricedAs
	}
}

// sortByID sorts sessions by id. It used to sort halves on two cores and
// merge them; BenchmarkSortByID (200,000 ids, 2 cores) measured that no
// faster than this plain sort (1.1 s against 0.9 s median of three, on a
// shared machine), so it is plain.
func sortByID(ss []*Session) []*Session {
	slices.SortFunc(ss, func(a, b *Session) int { return strings.Compare(a.ID, b.ID) })
	return ss
}

// joinPartStrings makes one table of the names and every partition's
// error texts (store.Scratch.Strings), in partition order, and moves the
// kept events' error ids into it: the events outlive their partition.
func joinPartStrings(names []string, parts []partResult) []string {
	strs := names
	for i := range parts {
		p := &parts[i]
		if len(p.strs) <= len(names) {
			continue
		}
		shift := uint32(len(strs) - len(names))
		strs = append(strs, p.strs[len(names):]...)
		if shift != 0 {
			for _, s := range p.sessions {
				for j := range s.Events {
					if e := &s.Events[j]; e.Err != 0 {
						e.Err += shift
					}
					if e := &s.Events[j]; e.ArgsLabel != 0 {
						e.ArgsLabel += shift
					}
				}
			}
		}
		p.strs = nil
	}
	return strs
}

// useStrings makes strs (names, then one partition's error texts) the
// table the next partition's events are read with.
func (w *finisher) useStrings(strs []string) {
	w.strs = strs
	w.p.strs = strs
	if w.dt != nil {
		w.dt.useStrings(strs)
	}
}

// partResult is what one partition adds to the dataset.
type partResult struct {
	strs     []string // the partition's string table, when its events are kept
	sessions []*Session
	models   map[uint32]*ModelUsage
	dups     int64 // events dropped
	dupUnits int64 // of which first records of their input unit
	// noted counts what the kept events were read with (store.Key's
	// notes: unreadable timestamps, timestamps read as UTC, output from
	// totals, unknown usage names, …): counted after de-duplication, so a
	// dropped repeat never counts, however far from its first copy. Only
	// those fields are set.
	noted InputCounts
}

// SessionEvents is one session's events as the store hands them back,
// in the order they were read, with each event's input position and id
// hash (store.SessionEvents).
type SessionEvents = store.SessionEvents

// FinishSession turns one session's stored events into its Session, as
// Finish does for each: drops repeated ids, orders, prices against
// cfg.Prices (strs is the string table the events index), summarises, and
// detects a runaway loop when cfg.Loops is set. It also returns the
// session's usage by model. For callers that group records by session
// themselves (a distributed pipeline): one code path with the CLI.
func FinishSession(cfg Config, strs []string, raw *SessionEvents) (*Session, []ModelUsage) {
	var loops *LoopConfig
	if cfg.Loops != nil {
		lc := cfg.Loops.normal()
		loops = &lc
	}
	w := newFinisher(cfg, strs, loops, false)
	r := w.partition([]SessionEvents{*raw})
	var models []ModelUsage
	for _, mu := range r.models {
		mu.settle()
		models = append(models, *mu)
	}
	slices.SortFunc(models, func(a, b ModelUsage) int { return strings.Compare(a.Model, b.Model) })
	return r.sessions[0], models
}

// finisher is one core's state while finishing partitions; its buffers
// are reused from one partition to the next.
type finisher struct {
	strs          []string
	cfg           Config
	summariesOnly bool
	p             *pricer
	dt            *detector // nil when loops are not detected here
	seen          store.IDSet
	sim           *specReplayer   // nil when no what-if is replayed here
	ctx           context.Context // nil: never cancelled (FinishSession)
}

func newFinisher(cfg Config, strs []string, loops *LoopConfig, summariesOnly bool) *finisher {
	w := &finisher{strs: strs, cfg: cfg, summariesOnly: summariesOnly, p: newPricer(cfg, strs)}
	if loops != nil {
		w.dt = newDetector(strs, *loops)
	}
	if cfg.Whatif != nil && summariesOnly {
		w.sim = cfg.Whatif.replayer(cfg, strs)
	}
	return w
}

// partition finishes the sessions of one partition.
func (w *finisher) partition(raw []SessionEvents) partResult {
	res := partResult{models: map[uint32]*ModelUsage{}}
	if len(raw) == 0 {
		return res
	}
	res.sessions = make([]*Session, len(raw))
	block := make([]Session, len(raw))
	for i := range raw {
		// A partition can hold many thousand sessions, each replayed
		// under the what-ifs: stop within it once cancelled (finish then
		// discards every partition).
		if i%64 == 63 && w.ctx != nil && w.ctx.Err() != nil {
			return res
		}
		s := &block[i]
		res.sessions[i] = s
		dropped, units := w.session(s, &raw[i], res.models, &res.noted)
		res.dups += int64(dropped)
		res.dupUnits += int64(units)
	}
	if w.sim != nil {
		w.sim.flush()
	}
	return res
}

// session finishes one session into s, adding its calls to models and
// what its kept events were read with to noted; it returns how many events
// it dropped as repeats and how many of them were the first record of
// their input unit.
func (w *finisher) session(s *Session, raw *SessionEvents, models map[uint32]*ModelUsage, noted *InputCounts) (dropped, units int) {
	*s = Session{Summary: Summary{ID: raw.ID, Workflow: w.strs[raw.Workflow]}, Events: raw.Events}
	if len(raw.Attrs) > 0 {
		s.Attrs = make(map[string]string, len(raw.Attrs))
		for _, a := range raw.Attrs {
			s.Attrs[a.Key] = a.Val
		}
	}
	dropped, units = dedupe(s, raw.Keys, &w.seen, noted, w.strs)
	s.Duplicates += raw.Repeats
	s.repeats = raw.Repeats
	order(s.Events)
	w.p.priceSession(s, models)
	summarise(s)
	s.Model = w.strs[dominantModelID(w.strs, s.Events)]
	if w.dt != nil && !s.TotalsOnly && w.dt.scan(s) {
		rs := w.dt.evidence(s)
		s.Loop = &rs
	}
	if w.summariesOnly {
		if s.Loop != nil { // the report charts runaway sessions' context growth
			s.CallInputs = callInputs(s)
		}
		if w.cfg.KeepCapCosts {
			s.capCosts = newCapCosts(s.Events)
		}
		if w.sim != nil {
			s.sim = w.sim.replay(s)
		}
		s.Events = nil
	}
	return dropped, units
}

// callInputs is the input tokens of each of s's model calls.
func callInputs(s *Session) []uint32 {
	out := make([]uint32, 0, s.LLMCalls)
	for j := range s.Events {
		if s.Events[j].Kind == ingest.KindLLM {
			out = append(out, s.Events[j].Input)
		}
	}
	return out
}

// dedupe puts a session's events in input order and drops repeats of an
// event id, keeping the first. keys holds each event's position and id
// hash, and what the reader noted of it, which is counted into noted for
// the events kept (strs is the table the keys' string ids index). It
// returns how many events it dropped and how many of them were the first
// record of their input unit.
func dedupe(s *Session, keys []store.Key, seen *store.IDSet, noted *InputCounts, strs []string) (dropped, units int) {
	ev := s.Events
	// Slabs are moved out in nearly input order: check before sorting.
	for i := 1; i < len(keys); i++ {
		if keys[i].Order.Before(keys[i-1].Order) {
			sort.Sort(inputOrder{ev, keys})
			break
		}
	}
	for i := range ev {
		if ev[i].Flags&flagReplica != 0 {
			return dedupeReplicas(s, keys, noted, strs)
		}
	}
	seen.Reset(len(ev))
	out := ev[:0]
	for i := range ev {
		if h := keys[i].IDHash; h != 0 && !seen.Add(h) {
			if ev[i].Flags&flagSameUnit == 0 {
				units++
			}
			continue
		}
		noted.CountKept(&keys[i], strs)
		out = append(out, ev[i])
	}
	dropped = len(ev) - len(out)
	s.Events = out
	s.Duplicates = dropped
	return dropped, units
}

// dedupeReplicas is dedupe for the rare session holding replicas: of the
// records sharing an id, a non-replica wins over replicas (the first in
// input order otherwise), and the kept record takes the largest output of
// the copies, since streamed copies can carry partial output (docs/formats/claude-code.md).
func dedupeReplicas(s *Session, keys []store.Key, noted *InputCounts, strs []string) (dropped, units int) {
	ev := s.Events
	at := make(map[uint64]int, len(ev)) // id hash → index in out
	out := ev[:0]
	from := make([]int, 0, len(ev)) // the index in keys of each of out's records
	for i := range ev {
		e := ev[i]
		h := keys[i].IDHash
		j, dup := at[h]
		if h == 0 || !dup {
			if h != 0 {
				at[h] = len(out)
			}
			out = append(out, e)
			from = append(from, i)
			continue
		}
		kept := &out[j]
		loser := e
		if kept.Flags&flagReplica != 0 && e.Flags&flagReplica == 0 {
			loser, *kept = *kept, e
			from[j] = i
		}
		kept.Output = max(kept.Output, loser.Output)
		if loser.Flags&flagSameUnit == 0 {
			units++
		}
	}
	for _, i := range from {
		noted.CountKept(&keys[i], strs)
	}
	dropped = len(ev) - len(out)
	s.Events = out
	s.Duplicates = dropped
	return dropped, units
}

// inputOrder sorts events and their keys together by input position.
type inputOrder struct {
	ev   []Event
	keys []store.Key
}

func (o inputOrder) Len() int           { return len(o.ev) }
func (o inputOrder) Less(i, j int) bool { return o.keys[i].Order.Before(o.keys[j].Order) }
func (o inputOrder) Swap(i, j int) {
	o.ev[i], o.ev[j] = o.ev[j], o.ev[i]
	o.keys[i], o.keys[j] = o.keys[j], o.keys[i]
}

// order sorts a session's events, already in input order, by seq, then
// timestamp. seq (or the timestamp) is used only when every event has one:
// mixing present and absent values would have no consistent order.
func order(ev []Event) {
	useSeq, useTS := true, true
	for i := range ev {
		useSeq = useSeq && ev[i].Flags&flagHasSeq != 0
		useTS = useTS && ev[i].Flags&flagHasTS != 0
	}
	if !useSeq && !useTS {
		return
	}
	by := func(a, b Event) int {
		if useSeq && a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		if useTS {
			return cmp.Compare(a.TSNano, b.TSNano)
		}
		return 0
	}
	// Input order is usually already time order; a stable sort would
	// still merge every block.
	for i := 1; i < len(ev); i++ {
		a, b := &ev[i-1], &ev[i]
		if useSeq && b.Seq < a.Seq || (!useSeq || b.Seq == a.Seq) && useTS && b.TSNano < a.TSNano {
			slices.SortStableFunc(ev, by)
			break
		}
	}
}

// summarise derives a session's totals from its ordered, priced events.
func summarise(s *Session) {
	s.StartNano, s.EndNano = 0, 0
	for i := range s.Events {
		e := &s.Events[i]
		switch e.Kind {
		case ingest.KindLLM:
			s.LLMCalls += e.CallCount()
			if e.Calls > 0 {
				// Totals only: no call's input is known.
				s.TotalsOnly = true
			} else if int64(e.Input) > s.MaxCallInput {
				s.MaxCallInput = int64(e.Input)
			}
		case ingest.KindTool:
			s.ToolCalls++
			if e.Status != ingest.StatusOK {
				s.ToolErrors++
			}
		}
		if e.Status == ingest.StatusTimeout {
			s.TimedOut = true
		}
		s.Tokens.addEvent(e)
		s.CostUSD += e.Cost
		if e.Unpriced() {
			s.UnpricedCalls += e.CallCount()
			s.UnpricedTokens += int64(e.Input) + int64(e.Output)
		}
		if e.HasTS() {
			if s.StartNano == 0 || e.TSNano < s.StartNano {
				s.StartNano = e.TSNano
			}
			if end := e.EndNano(); end > s.EndNano {
				s.EndNano = end
			}
		}
	}
}

const nanosPerDay = 86400 * 1e9

// pricer prices events for one worker, remembering lookups by model,
// provider and day (price changes take effect on whole days).
type pricer struct {
	cfg   Config
	strs  []string
	cache map[[3]int64]pricedAs
	// The last lookup: consecutive calls are mostly of one model on one day.
	lastKey [3]int64
	last    pricedAs
	hasLast bool
}

type pricedAs struct {
	key      string
	rates    pricing.Rates
	ok       bool
	override bool      // the rates come from a --pricing file
	resid    residency // whether --openai-residency applies to the call
}

// residency is how --openai-residency treats a call.
type residency uint8

const (
	residNone  residency = iota // not an OpenAI call, or no --openai-residency
	residApply                  // OpenAI direct: × the region's multiplier
	residOther                  // an OpenAI key billed by another provider: not uplifted, counted
)

// residencyOf decides --openai-residency for a call: it applies when the
// record names OpenAI (even for a key only a --pricing file holds, whose
// provider label may be empty), or names no provider and the key is
// OpenAI's own (taken as OpenAI direct: the model id is OpenAI's). A record
// naming another provider is that provider's bill: not uplifted, counted.
func residencyOf(recordProvider, keyProvider string) residency {
	rp := strings.ToLower(strings.TrimSpace(recordProvider))
	switch {
	case rp == "openai":
		return residApply
	case keyProvider != "openai":
		return residNone
	case rp == "":
		return residApply
	default:
		return residOther
	}
}

func newPricer(cfg Config, strs []string) *pricer {
	return &pricer{cfg: cfg, strs: strs, cache: map[[3]int64]pricedAs{}}
}

func (p *pricer) lookup(e *Event) pricedAs {
	day := int64(-1)
	if e.HasTS() {
		day = e.TSNano / nanosPerDay
	}
	k := [3]int64{int64(e.Model), int64(e.Provider), day}
	if p.hasLast && k == p.lastKey {
		return p.last
	}
	if r, ok := p.cache[k]; ok {
		p.lastKey, p.last, p.hasLast = k, r, true
		return r
	}
	var r pricedAs
	if p.cfg.Prices != nil && p.strs[e.Model] != "" {
		at := int64(0)
		if day >= 0 {
			at = day * nanosPerDay
		}
		m, ok := p.cfg.Prices.Lookup(p.strs[e.Model], p.strs[e.Provider], at)
		r = pricedAs{key: m.Key, rates: m.Rates, ok: ok, override: m.File != ""}
		if ok && p.cfg.OpenAIResidency != "" {
			r.resid = residencyOf(p.strs[e.Provider], p.cfg.Prices.Provider(m.Key))
		}
	}
	p.cache[k] = r
	p.lastKey, p.last, p.hasLast = k, r, true
	return r
}

// priceSession sets each event's Cost and adds it to the model totals.
func (p *pricer) priceSession(s *Session, models map[uint32]*ModelUsage) {
	for i := range s.Events {
		e := &s.Events[i]
		hasTokens := e.Input > 0 || e.Output > 0
		if e.Kind != ingest.KindLLM && !hasTokens {
			continue
		}
		mu := models[e.Model]
		if mu == nil {
			mu = &ModelUsage{Model: p.strs[e.Model]}
			models[e.Model] = mu
		}
		n := int64(e.CallCount())
		mu.Calls += n
		mu.Tokens.addEvent(e)
		mu.WebSearches += int64(e.WebSearches)

		var parts Parts
		priced, override := false, false
		ta := &mu.tiers[min(e.Tier, ingest.NumServiceTiers-1)]
		ta.calls += n
		ta.tokens += int64(e.Input) + int64(e.Output)
		// A totals-only record has no cache split: its producer's own cost
		// is the better figure under auto (docs/formats/swe-agent.md).
		useTable := p.cfg.CostSource == CostComputed ||
			p.cfg.CostSource == CostAuto && (e.Calls == 0 || e.Flags&flagHasCost == 0)
		if useTable {
			if r := p.lookup(e); r.ok {
				rates := r.rates
				if e.Tier != ingest.TierStandard {
					var tierOK bool
					if rates, tierOK = r.rates.ForServiceTier(e.Tier.String()); !tierOK {
						// The table has no rates for the tier: bill standard, and say so.
						ta.stdCalls++
						ta.stdTokens += int64(e.Input) + int64(e.Output)
					}
				}
				u := usageOf(e)
				if e.Tier != ingest.TierStandard && r.rates.TierScaled(e.Tier.String(), u) {
					ta.scaled++ // a derived rate: the report names it
				}
				cp := rates.CostParts(u)
				if e.HasMedia() && rates.MediaAtTextRate(u) {
					mu.MediaTextRateCalls += n // billed at the text rate: the report names it
				}
				if e.USOnly {
					mu.USOnlyCalls++
					if rates.GeoUS > 0 {
						cp = cp.Scale(rates.GeoUS)
					} else {
						mu.USOnlyNoUplift++
					}
				}
				if r.resid == residOther {
					mu.ResidencyOtherProvider += n
				}
				if r.resid == residApply {
					// OpenAI data residency: every token class × the region's
					// uplift; tool fees unchanged (docs/pricing.md).
					mu.ResidencyCalls++
					if m := rates.RegionMultiplier(p.cfg.OpenAIResidency); m > 0 {
						cp = cp.Scale(m)
					} else {
						mu.ResidencyNoUplift++
					}
				}
				if e.IsFast() {
					// Anthropic: fast-mode pricing stacks with the long-context
					// tier and data-residency multipliers (fast-mode page).
					mu.FastCalls++
					if rates.Fast > 0 {
						cp = cp.Scale(rates.Fast)
					} else {
						mu.FastNoMultiplier++
					}
				}
				parts = Parts{Input: cp.Input, CacheRead: cp.CacheRead, CacheWrite: cp.CacheWrite, Output: cp.Output, Multimodal: cp.Multimodal}
				if e.WebSearches > 0 {
					fee, ok := rates.ServerToolCost(int64(e.WebSearches))
					parts.ServerTools = fee
					if !ok {
						mu.UnpricedWebSearches += int64(e.WebSearches)
					}
				}
				priced = true
				mu.TableCalls += n
				if r.override {
					override = true
					mu.OverrideCalls += n
				}
				if mu.PricedAs == "" {
					mu.PricedAs = r.key
				}
			}
		}
		if !priced && p.cfg.CostSource != CostComputed && e.Flags&flagHasCost != 0 {
			parts = Parts{Recorded: e.RecordCost}
			priced = true
			e.Flags |= flagRecordedCost
			mu.RecordCalls += n
		}
		if !priced {
			if hasTokens {
				e.Flags |= flagUnpriced
				mu.Unpriced += n
			}
			continue
		}
		e.Cost = parts.Input + parts.CacheRead + parts.CacheWrite + parts.Output + parts.Recorded + parts.ServerTools
		if parts.Multimodal != 0 { // added apart, so a text-only call's sum is as it was, to the bit
			e.Cost += parts.Multimodal
		}
		mu.addCost(e.Cost, parts, override)
		if e.Cost != 0 {
			ta.cost.add(e.Cost)
		}
	}
}
