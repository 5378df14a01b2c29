package analyze

import (
	"cmp"
	"encoding/json"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tokcost/tokcost/ingest"
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

// Config controls Finish.
type Config struct {
	Prices     *pricing.Table
	CostSource CostSource
	// Loops, when set, detects runaway loops while sessions are finished,
	// for DetectLoops with the same configuration to report.
	Loops *LoopConfig
	// DropEvents keeps no events after Finish but those of sessions with
	// a runaway loop: the summaries, models, loops and groups are all
	// there, at a fraction of the memory, but nothing can be simulated.
	DropEvents bool
	// KeepCapCosts, with DropEvents, keeps each session's model-call costs
	// (8 bytes a call) so that CapSweep still works.
	KeepCapCosts bool
}

// Session is one agent session: its events in order and what they add up to.
type Session struct {
	ID       string
	Workflow string
	Attrs    map[string]string
	Events   []Event

	LLMCalls   int
	ToolCalls  int
	ToolErrors int
	Duplicates int
	// repeats is the part of Duplicates the shards dropped on arrival,
	// which Finish never stored.
	repeats       int
	UnpricedCalls int
	TimedOut      bool // some record has status timeout
	// UnpricedTokens is the input plus output tokens of unpriced calls.
	UnpricedTokens int64

	Tokens  Tokens
	CostUSD float64

	StartNano, EndNano int64 // 0 when the session has no timestamps
	MaxCallInput       int64 // the largest single LLM call's input

	domModel  uint32          // see dominantModelID; set by Finish
	loop      *RunawaySession // set by Finish with Config.Loops
	llmInputs []uint32        // LLMInputs of a runaway session whose events were dropped
	capCosts  *capCosts       // for CapSweep, when Finish dropped the events
}

// LLMInputs returns the input tokens of each model call, in order: how
// the context grew. After Finish dropped the events (Config.DropEvents)
// only sessions with a runaway loop still have them.
func (s *Session) LLMInputs() []int64 {
	var out []int64
	if s.Events == nil {
		for _, v := range s.llmInputs {
			out = append(out, int64(v))
		}
		return out
	}
	for i := range s.Events {
		if s.Events[i].Kind == ingest.KindLLM {
			out = append(out, int64(s.Events[i].Input))
		}
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
}

// Total is input plus output.
func (t Tokens) Total() int64 { return t.Input + t.Output }

func (t *Tokens) addEvent(e *Event) {
	t.Input += int64(e.Input)
	t.Output += int64(e.Output)
	t.CacheRead += int64(e.CacheRead)
	t.CacheWrite += int64(e.CacheWrite)
	t.Reasoning += int64(e.Reasoning)
}

func (t *Tokens) add(o Tokens) {
	t.Input += o.Input
	t.Output += o.Output
	t.CacheRead += o.CacheRead
	t.CacheWrite += o.CacheWrite
	t.Reasoning += o.Reasoning
}

// DurationS is the session's wall time, first start to last end, in seconds.
func (s *Session) DurationS() float64 {
	return float64(s.EndNano-s.StartNano) / 1e9
}

// Amplification is Σ input tokens ÷ the largest single call's input: how
// many times the context was re-sent. 0 when there are no inputs.
func (s *Session) Amplification() float64 {
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
	CostByPart     Parts `json:"cost_by_class"`
	// ByTier splits the calls by vendor service tier; absent when every
	// call was standard.
	ByTier TierSplit `json:"by_tier,omitzero"`

	tiers [ingest.NumServiceTiers]tierAcc

	// sums are the dollar fields above while Finish adds them up: sums of
	// millions of small costs, compensated so that the result does not
	// depend on the order they are added in (which partition finished
	// first, how many cores), to the last digit in practice.
	sums [7]fsum // CostUSD, then Parts' fields in order
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

func (mu *ModelUsage) addCost(cost float64, p Parts) {
	for i, x := range [7]float64{cost, p.Input, p.CacheRead, p.CacheWrite, p.Output, p.Recorded, p.ServerTools} {
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
}

// Dataset is everything read, deduplicated, ordered and priced.
type Dataset struct {
	Sessions []*Session // sorted by ID
	Strings  []string   // the interned-string table Event fields index
	Counts   InputCounts
	Examples []ingest.Note // the first invalid lines, for the user
	Models   []ModelUsage  // sorted by cost, then name
	Config   Config

	eventsDropped bool        // Config.DropEvents: sessions hold no events
	loopsBy       *LoopConfig // loops were detected by Finish with this
}

// EventsDropped reports whether the sessions' events were dropped after
// Finish (Config.DropEvents), so that nothing can be simulated.
func (d *Dataset) EventsDropped() bool { return d.eventsDropped }

// Str returns an interned string.
func (d *Dataset) Str(id uint32) string { return d.Strings[id] }

// Finish deduplicates, orders and prices every session, and detects
// runaway loops when cfg.Loops is set. The collector is empty afterwards.
//
// Sessions are finished a partition at a time (see partitions), on every
// core: a partition's records are decoded into events, each session is
// deduplicated, ordered, priced, summarised and checked for loops, and
// with cfg.DropEvents its events are dropped at once, so memory holds the
// compact encoding and the sessions, never every event.
func (c *Collector) Finish(cfg Config) *Dataset {
	d := &Dataset{Config: cfg, eventsDropped: cfg.DropEvents}
	if cfg.Loops != nil {
		lc := cfg.Loops.normal()
		d.loopsBy = &lc
	}
	// Reading left garbage (decoded strings, buffers) up to the collector's
	// goal; collect it now, while the encoded records are nearly all that
	// is live, so that the sessions made next fit in the heap already
	// mapped instead of growing it (peak RSS -20 MB on the benchmark fleet).
	runtime.GC()
	var names int
	d.Strings, names = c.joinStrings()
	// The first invalid lines in input order: by input, line, and the
	// order one shard saw them in (notes of one line come from one
	// shard), whichever shard or input finished first.
	type example struct {
		file, seq int
		note      ingest.Note
	}
	var examples []example
	for _, sh := range c.shards {
		d.Counts.add(sh.counts)
		for i, n := range sh.examples {
			examples = append(examples, example{sh.fileIndex, i, n})
		}
		sh.toMerged = make([]int32, len(sh.accs))
		sh.decTS = make([]int64, len(sh.accs))
	}
	slices.SortFunc(examples, func(a, b example) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.note.Line, b.note.Line), cmp.Compare(a.seq, b.seq))
	})
	for _, e := range examples[:min(len(examples), maxExamples)] {
		d.Examples = append(d.Examples, e.note)
	}

	parts := make([]partResult, partitions)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), partitions) {
		wg.Go(func() {
			w := &finisher{c: c, d: d, cfg: cfg, p: newPricer(cfg, d.Strings)}
			if d.loopsBy != nil {
				w.dt = newDetector(d, *d.loopsBy)
			}
			for {
				p := int(next.Add(1) - 1)
				if p >= partitions {
					return
				}
				parts[p] = w.partition(p)
			}
		})
	}
	wg.Wait()
	c.shards = nil

	// Partials are added in partition order, so totals do not depend on
	// the number of cores (float addition is not associative).
	all := map[uint32]*ModelUsage{}
	n := 0
	for _, p := range parts {
		n += len(p.sessions)
	}
	d.Sessions = make([]*Session, 0, n)
	for _, p := range parts {
		d.Sessions = append(d.Sessions, p.sessions...)
		d.Counts.Records -= p.dups
		d.Counts.LinesWithRecords -= p.dupUnits
		d.Counts.Duplicates += p.dupUnits
		for id, mu := range p.models {
			dst := all[id]
			if dst == nil {
				all[id] = mu
				continue
			}
			dst.Calls += mu.Calls
			dst.Tokens.add(mu.Tokens)
			for i := range dst.sums {
				dst.sums[i].merge(mu.sums[i])
			}
			dst.Unpriced += mu.Unpriced
			dst.RecordCalls += mu.RecordCalls
			dst.TableCalls += mu.TableCalls
			dst.WebSearches += mu.WebSearches
			dst.UnpricedWebSearches += mu.UnpricedWebSearches
			dst.USOnlyCalls += mu.USOnlyCalls
			dst.USOnlyNoUplift += mu.USOnlyNoUplift
			for t := range dst.tiers {
				dst.tiers[t].merge(mu.tiers[t])
			}
			if dst.PricedAs == "" {
				dst.PricedAs = mu.PricedAs
			}
		}
	}
	d.Sessions = sortByID(d.Sessions)
	for _, mu := range all {
		mu.settle()
		d.Models = append(d.Models, *mu)
	}
	sort.Slice(d.Models, func(i, j int) bool {
		a, b := d.Models[i], d.Models[j]
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		return a.Model < b.Model
	})
	if cfg.DropEvents {
		// Error texts follow the names in the table and only events use
		// them (loop evidence has copied its examples): a large fleet has
		// hundreds of thousands.
		d.Strings = slices.Clone(d.Strings[:names]) // a new array: the old one holds them all
	}
	// The encoded records just became garbage, and what the caller does
	// next (the report) allocates: collect now so that it reuses the space.
	runtime.GC()
	return d
}

// sortByID sorts sessions by id, halves on two cores then merged: the
// sort of 200,000 ids was a serial tenth of Finish.
func sortByID(ss []*Session) []*Session {
	byID := func(a, b *Session) int { return strings.Compare(a.ID, b.ID) }
	if len(ss) < 8192 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(ss, byID)
		return ss
	}
	lo, hi := ss[:len(ss)/2], ss[len(ss)/2:]
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(lo, byID) })
	slices.SortFunc(hi, byID)
	wg.Wait()
	out := make([]*Session, 0, len(ss))
	for len(lo) > 0 && len(hi) > 0 {
		if byID(hi[0], lo[0]) < 0 {
			out, hi = append(out, hi[0]), hi[1:]
		} else {
			out, lo = append(out, lo[0]), lo[1:]
		}
	}
	return append(append(out, lo...), hi...)
}

// joinStrings makes one string table of the shards' and sets each shard's
// remap into it. Names (models, tools…) are joined into one id each: the
// biggest table becomes the joint one, so its names keep their ids and
// only the others are added. Error texts are only ever compared by their
// mask, so each shard's are appended as they are, after the names,
// without hashing hundreds of thousands of them again; names is how many
// names come first.
func (c *Collector) joinStrings() (strs []string, names int) {
	if len(c.shards) == 0 {
		return []string{""}, 1
	}
	base := 0
	for si, s := range c.shards {
		if s.strs.len() > c.shards[base].strs.len() {
			base = si
		}
	}
	global := c.shards[base].strs
	for si, s := range c.shards {
		remap := make([]uint32, s.strs.len())
		for i := range remap {
			if si == base {
				remap[i] = uint32(i)
			} else {
				remap[i] = global.id(s.strs.str(uint32(i)))
			}
		}
		s.strRemap = remap
	}
	errs := 0
	for _, s := range c.shards {
		errs += s.errs.len() - 1
	}
	names = global.len()
	strs = make([]string, names, names+errs)
	for i := range strs {
		strs[i] = global.str(uint32(i))
	}
	for _, s := range c.shards {
		s.errBase = uint32(len(strs))
		for i := 1; i < s.errs.len(); i++ { // 0 is ""
			strs = append(strs, s.errs.str(uint32(i)))
		}
		s.strs, s.errs = nil, nil
	}
	return strs, names
}

// partResult is what one partition adds to the dataset.
type partResult struct {
	sessions []*Session
	models   map[uint32]*ModelUsage
	dups     int64 // events dropped
	dupUnits int64 // of which first records of their input unit
}

// finisher is one core's state while finishing partitions; its buffers
// are reused from one partition to the next.
type finisher struct {
	c    *Collector
	d    *Dataset
	cfg  Config
	p    *pricer
	dt   *detector // nil when loops are not detected here
	seen idSet

	refs   []sessRef
	pend   []pending
	events []Event // reused only with cfg.DropEvents
	keys   []eventKey
}

// sessRef is one shard's session.
type sessRef struct {
	shard int32
	local uint32
}

// pending is a session of the partition being finished, joined from every
// shard that saw it.
type pending struct {
	id         string
	n          int
	workflow   uint32 // joint string id
	workflowAt inputPos
	attrs      []sessAttr
	off, fill  int
	dups       int // repeats the shards dropped
}

func (w *finisher) partition(p int) partResult {
	res := partResult{models: map[uint32]*ModelUsage{}}
	// Every shard's sessions of this partition, sorted by id, so that a
	// session seen by several shards is joined from consecutive entries,
	// and sessions are finished in id order: which shard saw a session
	// first depends on how the input was split between cores, and the
	// sums must not.
	w.refs = w.refs[:0]
	total := 0
	for si, sh := range w.c.shards {
		pb := sh.part(p)
		if pb == nil {
			continue
		}
		for _, li := range pb.sess {
			w.refs = append(w.refs, sessRef{shard: int32(si), local: li})
			total += sh.accs[li].n
		}
	}
	if len(w.refs) == 0 {
		return res
	}
	shards := w.c.shards
	idOf := func(r sessRef) string { return shards[r.shard].sessionID(r.local) }
	slices.SortFunc(w.refs, func(a, b sessRef) int {
		if c := strings.Compare(idOf(a), idOf(b)); c != 0 {
			return c
		}
		return cmp.Compare(a.shard, b.shard)
	})
	w.pend = w.pend[:0]
	for i, r := range w.refs {
		sh := shards[r.shard]
		acc := &sh.accs[r.local]
		wf := sh.strRemap[acc.workflow]
		if id := idOf(r); i == 0 || id != idOf(w.refs[i-1]) {
			// A copy: the interner's blocks hold every id of the shard, and
			// this one would keep its whole block alive.
			w.pend = append(w.pend, pending{id: strings.Clone(id), n: acc.n, workflow: wf, workflowAt: acc.workflowAt, attrs: sh.attrs[r.local], dups: acc.dups})
		} else {
			dst := &w.pend[len(w.pend)-1]
			dst.n += acc.n
			dst.dups += acc.dups
			// The workflow named first in input order wins, whichever
			// goroutine decoded it; likewise each attribute.
			if wf != 0 && (dst.workflow == 0 || acc.workflowAt.before(dst.workflowAt)) {
				dst.workflow, dst.workflowAt = wf, acc.workflowAt
			}
			for _, a := range sh.attrs[r.local] {
				dst.attrs = setAttr(dst.attrs, a.key, a.val, a.at)
			}
		}
		sh.toMerged[r.local] = int32(len(w.pend) - 1)
	}
	off := 0
	for i := range w.pend {
		w.pend[i].off = off
		off += w.pend[i].n
	}
	events := w.events
	if !w.cfg.DropEvents || cap(events) < total {
		events = make([]Event, total)
	}
	events = events[:total]
	if w.cfg.DropEvents {
		w.events = events
	}
	if cap(w.keys) < total {
		w.keys = make([]eventKey, total)
	}
	keys := w.keys[:total]
	for _, sh := range w.c.shards {
		pb := sh.part(p)
		if pb == nil {
			continue
		}
		sh.decodePart(pb, func(e *Event, k eventKey, si uint32) {
			pd := &w.pend[sh.toMerged[si]]
			j := pd.off + pd.fill
			pd.fill++
			events[j], keys[j] = *e, k
		})
		sh.bufs[sh.bufIdx[p]-1] = nil // its memory can go to the sessions now
	}

	res.sessions = make([]*Session, len(w.pend))
	block := make([]Session, len(w.pend))
	for i := range w.pend {
		pd := &w.pend[i]
		s := &block[i]
		*s = Session{ID: pd.id, Workflow: w.d.Strings[pd.workflow], Events: events[pd.off : pd.off+pd.n : pd.off+pd.n]}
		if len(pd.attrs) > 0 {
			s.Attrs = make(map[string]string, len(pd.attrs))
			for _, a := range pd.attrs {
				s.Attrs[a.key] = a.val
			}
		}
		res.sessions[i] = s
		dropped, units := dedupe(s, keys[pd.off:pd.off+pd.n], &w.seen)
		res.dups += int64(dropped)
		res.dupUnits += int64(units)
		s.Duplicates += pd.dups
		s.repeats = pd.dups
		order(s.Events)
		w.p.priceSession(s, res.models)
		summarise(s)
		s.domModel = dominantModelID(w.d.Strings, s.Events)
		if w.dt != nil && w.dt.scan(s) {
			rs := w.dt.evidence(s)
			s.loop = &rs
		}
		if w.cfg.DropEvents {
			if s.loop != nil { // the report charts runaway sessions' context growth
				s.llmInputs = make([]uint32, 0, s.LLMCalls)
				for j := range s.Events {
					if s.Events[j].Kind == ingest.KindLLM {
						s.llmInputs = append(s.llmInputs, s.Events[j].Input)
					}
				}
			}
			if w.cfg.KeepCapCosts {
				s.capCosts = newCapCosts(s.Events)
			}
			s.Events = nil
		}
	}
	return res
}

// idSet is a reusable open-addressing set of event-id hashes (never 0),
// cleared per session in proportion to the session's size.
type idSet struct {
	slots []uint64
	n     int // hashes held, kept by grow only
}

func (t *idSet) reset(n int) {
	size := 16
	for size < 2*n {
		size *= 2
	}
	if cap(t.slots) < size {
		t.slots = make([]uint64, size)
	}
	t.slots = t.slots[:size]
	clear(t.slots)
}

// grow adds h, doubling the table past half full, and reports whether h
// was new: a set that grows with its contents, for the shards.
func (t *idSet) grow(h uint64) bool {
	if 2*(t.n+1) > len(t.slots) {
		old := t.slots
		t.slots = make([]uint64, max(64, 2*len(old)))
		for _, x := range old {
			if x != 0 {
				t.add(x)
			}
		}
	}
	if t.add(h) {
		t.n++
		return true
	}
	return false
}

// add reports whether h was new.
func (t *idSet) add(h uint64) bool {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.slots[i] {
		case h:
			return false
		case 0:
			t.slots[i] = h
			return true
		}
	}
}

// dedupe puts a session's events in input order and drops repeats of an
// event id, keeping the first. keys holds each event's position and id
// hash. It returns how many events it dropped and how many of them were the
// first record of their input unit.
func dedupe(s *Session, keys []eventKey, seen *idSet) (dropped, units int) {
	ev := s.Events
	// Slabs are moved out in nearly input order: check before sorting.
	for i := 1; i < len(keys); i++ {
		if keys[i].order.before(keys[i-1].order) {
			sort.Sort(inputOrder{ev, keys})
			break
		}
	}
	for i := range ev {
		if ev[i].flags&flagReplica != 0 {
			return dedupeReplicas(s, keys)
		}
	}
	seen.reset(len(ev))
	out := ev[:0]
	for i := range ev {
		if h := keys[i].idHash; h != 0 && !seen.add(h) {
			if ev[i].flags&flagSameUnit == 0 {
				units++
			}
			continue
		}
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
func dedupeReplicas(s *Session, keys []eventKey) (dropped, units int) {
	ev := s.Events
	at := make(map[uint64]int, len(ev)) // id hash → index in out
	out := ev[:0]
	for i := range ev {
		e := ev[i]
		h := keys[i].idHash
		j, dup := at[h]
		if h == 0 || !dup {
			if h != 0 {
				at[h] = len(out)
			}
			out = append(out, e)
			continue
		}
		kept := &out[j]
		loser := e
		if kept.flags&flagReplica != 0 && e.flags&flagReplica == 0 {
			loser, *kept = *kept, e
		}
		kept.Output = max(kept.Output, loser.Output)
		if loser.flags&flagSameUnit == 0 {
			units++
		}
	}
	dropped = len(ev) - len(out)
	s.Events = out
	s.Duplicates = dropped
	return dropped, units
}

// inputOrder sorts events and their keys together by input position.
type inputOrder struct {
	ev   []Event
	keys []eventKey
}

func (o inputOrder) Len() int           { return len(o.ev) }
func (o inputOrder) Less(i, j int) bool { return o.keys[i].order.before(o.keys[j].order) }
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
		useSeq = useSeq && ev[i].flags&flagHasSeq != 0
		useTS = useTS && ev[i].flags&flagHasTS != 0
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
			s.LLMCalls++
			if int64(e.Input) > s.MaxCallInput {
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
			s.UnpricedCalls++
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
	key   string
	rates pricing.Rates
	ok    bool
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
		r = pricedAs{key: m.Key, rates: m.Rates, ok: ok}
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
		mu.Calls++
		mu.Tokens.addEvent(e)
		mu.WebSearches += int64(e.WebSearches)

		var parts Parts
		priced := false
		ta := &mu.tiers[min(e.Tier, ingest.NumServiceTiers-1)]
		ta.calls++
		ta.tokens += int64(e.Input) + int64(e.Output)
		if p.cfg.CostSource != CostRecord {
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
				u := pricing.Usage{
					Input: int64(e.Input), Output: int64(e.Output), CacheRead: int64(e.CacheRead),
					CacheWrite: int64(e.CacheWrite), CacheWrite1h: int64(e.CacheWrite1h), Reasoning: int64(e.Reasoning),
				}
				if e.Tier != ingest.TierStandard && r.rates.TierScaled(e.Tier.String(), u) {
					ta.scaled++ // a derived rate: the report names it
				}
				cp := rates.CostParts(u)
				if e.USOnly {
					mu.USOnlyCalls++
					if rates.GeoUS > 0 {
						cp = cp.Scale(rates.GeoUS)
					} else {
						mu.USOnlyNoUplift++
					}
				}
				parts = Parts{Input: cp.Input, CacheRead: cp.CacheRead, CacheWrite: cp.CacheWrite, Output: cp.Output}
				if e.WebSearches > 0 {
					fee, ok := rates.ServerToolCost(int64(e.WebSearches))
					parts.ServerTools = fee
					if !ok {
						mu.UnpricedWebSearches += int64(e.WebSearches)
					}
				}
				priced = true
				mu.TableCalls++
				if mu.PricedAs == "" {
					mu.PricedAs = r.key
				}
			}
		}
		if !priced && p.cfg.CostSource != CostComputed && e.flags&flagHasCost != 0 {
			parts = Parts{Recorded: e.RecordCost}
			priced = true
			e.flags |= flagRecordedCost
			mu.RecordCalls++
		}
		if !priced {
			if hasTokens {
				e.flags |= flagUnpriced
				mu.Unpriced++
			}
			continue
		}
		e.Cost = parts.Input + parts.CacheRead + parts.CacheWrite + parts.Output + parts.Recorded + parts.ServerTools
		mu.addCost(e.Cost, parts)
		if e.Cost != 0 {
			ta.cost.add(e.Cost)
		}
	}
}
