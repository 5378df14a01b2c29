package analyze

import (
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tokcost/tokcost/ingest"
)

// LoopConfig controls DetectLoops.
type LoopConfig struct {
	// Timeout is the agent runtime's session limit: a session is under it
	// when it lasted less and no record timed out.
	Timeout time.Duration
	// MinRepeats is how many failed attempts (tool signal) or near-identical
	// model calls (model-only signal) make a loop.
	MinRepeats int

	// noLLMOnly turns the model-only signal off, so tests can measure what
	// it adds.
	noLLMOnly bool
}

// normal is cfg with its minimum applied: at least one repeat.
func (cfg LoopConfig) normal() LoopConfig {
	cfg.MinRepeats = max(cfg.MinRepeats, 1)
	return cfg
}

// DefaultMinRepeats is 3: on generated data it is the smallest value with
// no false positives, and it still finds every loop; two repeats flag a
// transient error retried twice (docs/loops.md has the measurements).
const DefaultMinRepeats = 3

// DefaultLoopConfig is a 10-minute timeout and DefaultMinRepeats.
func DefaultLoopConfig() LoopConfig {
	return LoopConfig{Timeout: 10 * time.Minute, MinRepeats: DefaultMinRepeats}
}

// Loop signals.
const (
	SignalToolError = "tool_error" // the same tool failing the same way, retried
	SignalLLMOnly   = "llm_only"   // near-identical model calls, no tool result between
)

// How a loop ended.
const (
	EndedRecovered = "recovered" // the looping tool finally succeeded
	EndedGaveUp    = "gave_up"   // the agent stopped retrying (session ended or moved on)
	EndedTimedOut  = "timed_out" // the runtime stopped it: a timeout record, or the session ran past the timeout
)

// Runaway is what DetectLoops found: every session with a runaway retry
// loop, ranked by the dollars wasted in its loops.
type Runaway struct {
	Count         int     `json:"count"`
	UnderTimeout  int     `json:"under_timeout"`
	WastedTokens  int64   `json:"wasted_tokens"`
	WastedCostUSD float64 `json:"wasted_cost_usd"`
	// WastedShare is wasted dollars over the dollars of all sessions.
	WastedShare  float64 `json:"wasted_share"`
	TotalCostUSD float64 `json:"total_cost_usd"`
	// Top5pctSessions is ceil(5% of sessions), the most expensive ones by
	// cost (ties by id, as TopByCost); Top5pctLoops how many of them loop.
	Top5pctSessions int              `json:"top5pct_sessions"`
	Top5pctLoops    int              `json:"top5pct_loops"`
	TimeoutS        float64          `json:"timeout_s"`
	MinRepeats      int              `json:"min_repeats"`
	Sessions        []RunawaySession `json:"sessions"`
}

// RunawaySession is the evidence for one session. Wasted figures add up
// every loop in the session; the other fields describe its costliest loop.
type RunawaySession struct {
	SessionID    string  `json:"session_id"`
	Workflow     string  `json:"workflow,omitempty"`
	UnderTimeout bool    `json:"under_timeout"`
	DurationS    float64 `json:"duration_s"`
	Signal       string  `json:"signal"`
	// LoopStartCall is the 1-based index, among the session's model calls,
	// of the first call inside the loop; LoopStartTS is its start (RFC
	// 3339, empty without timestamps).
	LoopStartCall int    `json:"loop_start_call"`
	LoopStartTS   string `json:"loop_start_ts,omitempty"`
	// Repeats counts failed attempts (tool signal) or model calls in the
	// run (model-only signal).
	Repeats        int    `json:"repeats"`
	Tool           string `json:"tool"`
	ErrorSignature string `json:"error_signature"`
	ErrorExample   string `json:"error_example"`
	// Context tokens are the input tokens of the loop's first and last
	// calls: how much the re-sent history grew.
	ContextTokensStart   int64   `json:"context_tokens_start"`
	ContextTokensEnd     int64   `json:"context_tokens_end"`
	WastedCalls          int     `json:"wasted_calls"`
	WastedTokens         int64   `json:"wasted_tokens"`
	WastedCostUSD        float64 `json:"wasted_cost_usd"`
	SessionCostUSD       float64 `json:"session_cost_usd"`
	WastedShareOfSession float64 `json:"wasted_share_of_session"`
	Ended                string  `json:"ended"`
	Loops                int     `json:"loops"` // loops found in the session
}

// loop is one candidate run while a session is scanned.
type loop struct {
	signal  string
	repeats int
	tool    uint32 // interned tool name
	mask    uint32 // index into detector.masks; 0 for none
	err     uint32 // interned raw error of the first attempt

	startCall int
	startTS   int64
	ctxStart  int64
	ctxEnd    int64
	calls     int
	tokens    int64
	cost      float64
	ended     string
	atEnd     bool // the run lasted until the session's end
}

// add counts one model call as inside the loop.
func (l *loop) add(e *Event, call int) {
	if l.calls == 0 {
		l.startCall, l.startTS, l.ctxStart = call, e.TSNano, int64(e.Input)
	}
	l.ctxEnd = int64(e.Input)
	l.calls++
	l.tokens += int64(e.Input) + int64(e.Output)
	l.cost += e.Cost
}

// Error-id facts, cached per interned error string.
const (
	errUnknown uint8 = iota
	errPlain
	errSibling
	errRejected
)

// detector holds what is cached across sessions: one mask per interned
// error string, so each distinct message is masked once.
type detector struct {
	d        *Dataset
	cfg      LoopConfig
	maskOf   []uint32 // Err id → mask index (valid when kind != errUnknown)
	kindOf   []uint8  // Err id → errPlain, errSibling, errRejected
	masks    []string // mask index → signature; 0 is ""
	maskIDs  map[string]uint32
	scratch  []byte
	best     loop // the session's costliest loop so far
	nLoops   int
	wasteTok int64
	wasteUSD float64
}

func (dt *detector) errFacts(id uint32) (kind uint8, mask uint32) {
	if k := dt.kindOf[id]; k != errUnknown {
		return k, dt.maskOf[id]
	}
	s := dt.d.Str(id)
	kind = errPlain
	switch ingest.ClassifyToolError(s) {
	case ingest.ErrorSiblingCancel:
		kind = errSibling
	case ingest.ErrorUserRejected:
		kind = errRejected
	}
	dt.scratch = maskAppend(dt.scratch[:0], s)
	mask, ok := dt.maskIDs[string(dt.scratch)] // no allocation for a lookup
	if !ok {
		mask = uint32(len(dt.masks))
		m := string(dt.scratch)
		dt.masks = append(dt.masks, m)
		dt.maskIDs[m] = mask
	}
	dt.kindOf[id], dt.maskOf[id] = kind, mask
	return kind, mask
}

// DetectLoops finds runaway retry loops in every session of d.
//
// Tool signal: consecutive failed attempts (status error or timeout) of
// the same tool whose errors have the same MaskError signature, with at
// least one model call between attempts; failures with no model call
// between them are one attempt (a parallel batch, or the runtime retrying
// by itself). Sibling-cancel errors are ignored and a user rejection ends
// the run; both are recognised by Event.Class or, for formats that do not
// tag them, by their text. Any other tool record ends the run; a success
// of the looping tool ends it as recovered.
//
// Model-only signal: consecutive model calls of one model with no tool
// record between them, each re-sending the previous context plus at most
// the previous answer and a short nudge (growth ≤ previous visible output
// + 256 tokens), with visible output (output minus reasoning) within 15%
// of the run's first call.
//
// Inside the loop: for the tool signal, the model call that reads each
// failed attempt's error, i.e. the first model call after each failure
// (later calls before the next attempt count only when that attempt
// comes); for the model-only signal, every call of the run but the first.
// Wasted tokens are their input plus output tokens, wasted dollars their
// cost; the loop starts at the first of them. This is the generator's
// ground truth for loop_start_call and loop_wasted_tokens.
func DetectLoops(d *Dataset, cfg LoopConfig) Runaway {
	cfg = cfg.normal()
	found := make([]*RunawaySession, len(d.Sessions))
	switch {
	case d.loopsBy != nil && *d.loopsBy == cfg:
		// Finish has scanned every session already.
		for i, s := range d.Sessions {
			found[i] = s.loop
		}
	case d.eventsDropped:
		// A programming error: the caller asked Finish to drop events and
		// to detect loops with another configuration.
		panic("analyze: DetectLoops after Finish dropped the events it would scan")
	default:
		// Sessions are independent: scan them on every core, each worker
		// with its own mask cache, then add up in session order so sums
		// do not depend on scheduling.
		workers := min(runtime.GOMAXPROCS(0), max(1, len(d.Sessions)/256))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Go(func() {
				dt := newDetector(d, cfg)
				for i := w; i < len(d.Sessions); i += workers {
					if s := d.Sessions[i]; dt.scan(s) {
						rs := dt.evidence(s)
						found[i] = &rs
					}
				}
			})
		}
		wg.Wait()
	}

	r := Runaway{TimeoutS: cfg.Timeout.Seconds(), MinRepeats: cfg.MinRepeats, Sessions: []RunawaySession{}}
	flagged := make([]bool, len(d.Sessions))
	for i, s := range d.Sessions {
		r.TotalCostUSD += s.CostUSD
		rs := found[i]
		if rs == nil {
			continue
		}
		flagged[i] = true
		r.Count++
		if rs.UnderTimeout {
			r.UnderTimeout++
		}
		r.WastedTokens += rs.WastedTokens
		r.WastedCostUSD += rs.WastedCostUSD
		r.Sessions = append(r.Sessions, *rs)
	}
	if r.TotalCostUSD > 0 {
		r.WastedShare = r.WastedCostUSD / r.TotalCostUSD
	}
	r.Top5pctSessions, r.Top5pctLoops = topLoops(d.Sessions, flagged)
	sort.Slice(r.Sessions, func(i, j int) bool {
		a, b := &r.Sessions[i], &r.Sessions[j]
		if a.WastedCostUSD != b.WastedCostUSD {
			return a.WastedCostUSD > b.WastedCostUSD
		}
		return a.SessionID < b.SessionID
	})
	return r
}

// llmNudge is how much a model-only repeat's context may grow beyond the
// previous answer: a "please continue" from the harness, not a tool result.
const llmNudge = 256

// llmSimilar is how far a repeat's visible output may stray from the
// run's first call, relative to it.
const llmSimilar = 0.15

func newDetector(d *Dataset, cfg LoopConfig) *detector {
	return &detector{
		d:       d,
		cfg:     cfg,
		maskOf:  make([]uint32, len(d.Strings)),
		kindOf:  make([]uint8, len(d.Strings)),
		masks:   []string{""},
		maskIDs: map[string]uint32{"": 0},
	}
}

// scan walks one session and remembers its costliest loop; it reports
// whether any loop reached cfg.MinRepeats.
func (dt *detector) scan(s *Session) bool {
	dt.best, dt.nLoops, dt.wasteTok, dt.wasteUSD = loop{}, 0, 0, 0
	var (
		tl loop // current tool run; repeats == 0 when none
		// reacted: a model call has read the last attempt's error.
		reacted bool
		// pending: model calls after the reaction, inside the loop only if
		// another attempt follows.
		pCalls  int
		pTokens int64
		pCost   float64
		pCtx    int64

		ml      loop // current model-only run
		mlN     int  // calls in the run
		mlModel uint32
		mlVis0  int64
		prevIn  int64
		prevVis int64
	)
	closeTool := func(ended string, atEnd bool) {
		if tl.repeats > 0 {
			tl.ended, tl.atEnd = ended, atEnd
			dt.consider(&tl)
		}
		tl, reacted, pCalls, pTokens, pCost = loop{}, false, 0, 0, 0
	}
	closeLLM := func(atEnd bool) {
		if mlN > 0 && !dt.cfg.noLLMOnly {
			ml.repeats, ml.ended, ml.atEnd = mlN, EndedGaveUp, atEnd
			dt.consider(&ml)
		}
		ml, mlN = loop{}, 0
	}
	call := 0
	for i := range s.Events {
		e := &s.Events[i]
		switch e.Kind {
		case ingest.KindLLM:
			call++
			if tl.repeats > 0 {
				if !reacted {
					tl.add(e, call)
					reacted = true
				} else {
					pCalls++
					pTokens += int64(e.Input) + int64(e.Output)
					pCost += e.Cost
					pCtx = int64(e.Input)
				}
			}
			vis := int64(e.Output)
			if r := int64(e.Reasoning); r <= vis {
				vis -= r
			}
			in := int64(e.Input)
			if mlN > 0 && e.Model == mlModel && in > prevIn && in-prevIn <= prevVis+llmNudge &&
				math.Abs(float64(vis-mlVis0)) <= llmSimilar*float64(mlVis0) {
				mlN++
				ml.add(e, call)
			} else {
				closeLLM(false)
				ml = loop{signal: SignalLLMOnly}
				mlN, mlModel, mlVis0 = 1, e.Model, vis
			}
			prevIn, prevVis = in, vis

		case ingest.KindTool:
			closeLLM(false)
			failed := e.Status != ingest.StatusOK
			kind, mask := errPlain, uint32(0)
			if e.Err != 0 {
				kind, mask = dt.errFacts(e.Err)
			}
			switch e.Class {
			case ingest.ErrorSiblingCancel:
				kind = errSibling
			case ingest.ErrorUserRejected:
				kind = errRejected
			}
			if failed && kind == errSibling {
				continue // a consequence of another call's failure
			}
			if failed && kind == errPlain && tl.repeats > 0 && e.Tool == tl.tool && mask == tl.mask {
				if reacted { // a new attempt after the model read the last error
					tl.repeats++
					if pCalls > 0 {
						tl.calls += pCalls
						tl.tokens += pTokens
						tl.cost += pCost
						tl.ctxEnd = pCtx
					}
					reacted, pCalls, pTokens, pCost = false, 0, 0, 0
				}
				continue
			}
			switch {
			case !failed && tl.repeats > 0 && e.Tool == tl.tool:
				closeTool(EndedRecovered, false)
			case e.Status == ingest.StatusTimeout:
				closeTool(EndedTimedOut, false)
			default:
				closeTool(EndedGaveUp, false)
			}
			if failed && kind == errPlain {
				tl = loop{signal: SignalToolError, repeats: 1, tool: e.Tool, mask: mask, err: e.Err}
			}
		}
	}
	closeTool(EndedGaveUp, true)
	closeLLM(true)
	return dt.nLoops > 0
}

// consider records a closed run if it is long enough.
func (dt *detector) consider(l *loop) {
	if l.repeats < dt.cfg.MinRepeats || l.calls == 0 {
		return
	}
	dt.nLoops++
	dt.wasteTok += l.tokens
	dt.wasteUSD += l.cost
	if dt.nLoops == 1 || l.cost > dt.best.cost || (l.cost == dt.best.cost && l.tokens > dt.best.tokens) {
		dt.best = *l
	}
}

// evidence turns the session's costliest loop into a report entry.
func (dt *detector) evidence(s *Session) RunawaySession {
	l := &dt.best
	dur := s.EndNano - s.StartNano
	under := dur < dt.cfg.Timeout.Nanoseconds() && !s.TimedOut
	ended := l.ended
	if l.atEnd && !under {
		// Retrying until the end of a session that ran past its limit (or
		// has a timed-out record): the runtime stopped it.
		ended = EndedTimedOut
	}
	rs := RunawaySession{
		SessionID:     s.ID,
		Workflow:      s.Workflow,
		UnderTimeout:  under,
		DurationS:     float64(dur) / 1e9,
		Signal:        l.signal,
		LoopStartCall: l.startCall,
		Repeats:       l.repeats,
		// Copies: interned strings share blocks with every other one, which a
		// reference would keep alive after Finish drops them.
		Tool:               strings.Clone(dt.d.Str(l.tool)),
		ErrorSignature:     dt.masks[l.mask],
		ErrorExample:       strings.Clone(dt.d.Str(l.err)),
		ContextTokensStart: l.ctxStart,
		ContextTokensEnd:   l.ctxEnd,
		WastedCalls:        l.calls,
		WastedTokens:       dt.wasteTok,
		WastedCostUSD:      dt.wasteUSD,
		SessionCostUSD:     s.CostUSD,
		Ended:              ended,
		Loops:              dt.nLoops,
	}
	if l.startTS != 0 {
		rs.LoopStartTS = time.Unix(0, l.startTS).UTC().Format(time.RFC3339Nano)
	}
	if s.CostUSD > 0 {
		rs.WastedShareOfSession = dt.wasteUSD / s.CostUSD
	}
	return rs
}

// topLoops returns ceil(5% of sessions) and how many of those most
// expensive sessions (ties broken by id, as TopByCost) are flagged.
func topLoops(sessions []*Session, flagged []bool) (top, loops int) {
	n := len(sessions)
	top = (n*5 + 99) / 100
	if top == 0 {
		return 0, 0
	}
	costs := make([]float64, n)
	for i, s := range sessions {
		costs[i] = s.CostUSD
	}
	sort.Float64s(costs)
	cut := costs[n-top] // the top-th largest cost
	above := 0
	for _, c := range costs {
		if c > cut {
			above++
		}
	}
	atCut := top - above         // how many sessions costing exactly cut are in
	for i, s := range sessions { // sorted by id, so ties go to smaller ids
		switch {
		case s.CostUSD > cut:
		case s.CostUSD == cut && atCut > 0:
			atCut--
		default:
			continue
		}
		if flagged[i] {
			loops++
		}
	}
	return top, loops
}
