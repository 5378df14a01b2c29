package analyze

import (
	"cmp"
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
}

// Session is one agent session: its events in order and what they add up to.
type Session struct {
	ID       string
	Workflow string
	Attrs    map[string]string
	Events   []Event

	LLMCalls      int
	ToolCalls     int
	ToolErrors    int
	Duplicates    int
	UnpricedCalls int
	TimedOut      bool // some record has status timeout

	Tokens  Tokens
	CostUSD float64

	StartNano, EndNano int64 // 0 when the session has no timestamps
	MaxCallInput       int64 // the largest single LLM call's input
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
	CostUSD    float64 `json:"cost_usd"`
	Unpriced   int64   `json:"unpriced_calls,omitempty"`
	CostByPart Parts   `json:"cost_by_class"`
}

// Parts is cost by token class; Recorded is cost taken from records' own
// cost_usd, which has no class breakdown.
type Parts struct {
	Input      float64 `json:"input_usd"`
	CacheRead  float64 `json:"cache_read_usd"`
	CacheWrite float64 `json:"cache_write_usd"`
	Output     float64 `json:"output_usd"`
	Recorded   float64 `json:"recorded_usd,omitempty"`
}

func (p *Parts) add(o Parts) {
	p.Input += o.Input
	p.CacheRead += o.CacheRead
	p.CacheWrite += o.CacheWrite
	p.Output += o.Output
	p.Recorded += o.Recorded
}

// Dataset is everything read, deduplicated, ordered and priced.
type Dataset struct {
	Sessions []*Session // sorted by ID
	Strings  []string   // the interned-string table Event fields index
	Counts   InputCounts
	Examples []ingest.Note // the first invalid lines, for the user
	Models   []ModelUsage  // sorted by cost, then name
	Config   Config
}

// Str returns an interned string.
func (d *Dataset) Str(id uint32) string { return d.Strings[id] }

// Finish deduplicates, orders and prices every session. The collector is
// empty afterwards.
func (c *Collector) Finish(cfg Config) *Dataset {
	m := c.merge()
	d := &Dataset{Strings: m.strs, Counts: m.counts, Examples: m.examples, Config: cfg}
	slices.SortFunc(m.sessions, func(a, b *mergedSession) int { return strings.Compare(a.id, b.id) })
	d.Sessions = make([]*Session, len(m.sessions))
	keys := make([][]eventKey, len(m.sessions)) // beside d.Sessions, until dedupe
	for i, ms := range m.sessions {
		d.Sessions[i] = &Session{ID: ms.id, Workflow: ms.workflow, Attrs: ms.attrs, Events: ms.events}
		keys[i] = ms.keys
	}
	m.sessions = nil

	// Sessions are processed in fixed blocks whose partial sums are added
	// in block order, so totals do not depend on the number of cores (float
	// addition is not associative: per-worker sums differed in the last
	// digits between machines).
	const blockSize = 512
	blocks := (len(d.Sessions) + blockSize - 1) / blockSize
	type partial struct {
		models   map[uint32]*ModelUsage
		dups     int64 // events dropped
		dupUnits int64 // of which first records of their input unit
	}
	parts := make([]partial, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), max(blocks, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := newPricer(cfg, d.Strings)
			var seen idSet
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				pt := partial{models: map[uint32]*ModelUsage{}}
				for i := b * blockSize; i < min((b+1)*blockSize, len(d.Sessions)); i++ {
					s := d.Sessions[i]
					dropped, units := dedupe(s, keys[i], &seen)
					keys[i] = nil
					pt.dups += int64(dropped)
					pt.dupUnits += int64(units)
					order(s.Events)
					p.priceSession(s, pt.models)
					summarise(s)
				}
				parts[b] = pt
			}
		}()
	}
	wg.Wait()

	all := map[uint32]*ModelUsage{}
	for _, p := range parts {
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
			dst.CostUSD += mu.CostUSD
			dst.Unpriced += mu.Unpriced
			dst.CostByPart.add(mu.CostByPart)
			if dst.PricedAs == "" {
				dst.PricedAs = mu.PricedAs
			}
		}
	}
	for _, mu := range all {
		d.Models = append(d.Models, *mu)
	}
	sort.Slice(d.Models, func(i, j int) bool {
		a, b := d.Models[i], d.Models[j]
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		return a.Model < b.Model
	})
	// The shards, slabs and merge tables just became garbage, hundreds of
	// megabytes on a large input, and what the caller does next (loops,
	// the report) allocates as much again: collect now so that reuses the
	// space rather than growing the heap to twice the live data.
	runtime.GC()
	return d
}

// idSet is a reusable open-addressing set of event-id hashes (never 0),
// cleared per session in proportion to the session's size.
type idSet struct{ slots []uint64 }

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
		if keys[i].order < keys[i-1].order {
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
// the copies, since streamed copies can carry partial output (FORMATS.md §2).
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
func (o inputOrder) Less(i, j int) bool { return o.keys[i].order < o.keys[j].order }
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
	if r, ok := p.cache[k]; ok {
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

		var parts Parts
		priced := false
		if p.cfg.CostSource != CostRecord {
			if r := p.lookup(e); r.ok {
				cp := r.rates.CostParts(pricing.Usage{
					Input: int64(e.Input), Output: int64(e.Output), CacheRead: int64(e.CacheRead),
					CacheWrite: int64(e.CacheWrite), CacheWrite1h: int64(e.CacheWrite1h), Reasoning: int64(e.Reasoning),
				})
				parts = Parts{Input: cp.Input, CacheRead: cp.CacheRead, CacheWrite: cp.CacheWrite, Output: cp.Output}
				priced = true
				if mu.PricedAs == "" {
					mu.PricedAs = r.key
				}
			}
		}
		if !priced && p.cfg.CostSource != CostComputed && e.flags&flagHasCost != 0 {
			parts = Parts{Recorded: e.RecordCost}
			priced = true
			e.flags |= flagRecordedCost
		}
		if !priced {
			if hasTokens {
				e.flags |= flagUnpriced
				mu.Unpriced++
			}
			continue
		}
		e.Cost = parts.Input + parts.CacheRead + parts.CacheWrite + parts.Output + parts.Recorded
		mu.CostUSD += e.Cost
		mu.CostByPart.add(parts)
	}
}
