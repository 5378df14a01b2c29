package analyze

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strconv"
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

// str returns an interned string.
func (dt *detector) str(id uint32) string { return dt.strs[id] }

// Loop signals: what kind of record repeats.
const (
	SignalToolError  = "tool_error"  // the same tool failing the same way, retried
	SignalToolRepeat = "tool_repeat" // the same call getting the same result, repeated
	SignalLLMOnly    = "llm_only"    // near-identical model calls, no tool result between
)

// Loop shapes (DetectLoops defines each).
const (
	ShapeSameError   = "same_error"
	ShapeInterleaved = "interleaved"
	ShapeFixTest     = "fix_test_cycle"
	ShapeNoProgress  = "no_progress"
	ShapeModelOnly   = "model_only"
)

// Shapes lists the loop shapes in report order.
var Shapes = []string{ShapeSameError, ShapeInterleaved, ShapeFixTest, ShapeNoProgress, ShapeModelOnly}

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

	// onDisk is the list when it stayed on disk with the spilled
	// summaries: Sessions is then nil, and All, Head and Len give it.
	onDisk *runawayList
}

// RunawaySession is the evidence for one session. Wasted figures add up
// every loop in the session (a call inside two loops once); the other fields describe its costliest loop.
type RunawaySession struct {
	SessionID    string  `json:"session_id"`
	Workflow     string  `json:"workflow,omitempty"`
	UnderTimeout bool    `json:"under_timeout"`
	DurationS    float64 `json:"duration_s"`
	Signal       string  `json:"signal"`
	// Shape is the costliest loop's shape (Shape*), and Evidence says in
	// words what repeated, e.g. `read_file(src/app.py) returned the same
	// 2,140 bytes 41 times`.
	Shape    string `json:"shape"`
	Evidence string `json:"evidence"`
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
	// ArgsExample is an excerpt of the first attempt's arguments (at most
	// ingest.MaxArgsLabel bytes, printable), ResultBytes the repeated
	// result's size (no_progress), DistinctArgs how many different
	// argument hashes the attempts had (the edits', for fix_test_cycle; 0
	// when the trace records no arguments; counted up to 32).
	ArgsExample  string `json:"args_example,omitempty"`
	ResultBytes  int64  `json:"result_bytes,omitempty"`
	DistinctArgs int    `json:"distinct_args"`
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

// loop is one closed run that reached the threshold, as scan keeps it.
type loop struct {
	signal   string
	shape    string
	repeats  int
	tool     uint32 // interned tool name
	mask     uint32 // index into detector.masks; 0 for none
	err      uint32 // interned raw error of the first attempt
	label    uint32 // interned excerpt of the first attempt's arguments
	bytes    uint32 // result size (no_progress)
	distinct int    // distinct argument hashes (of the edits, for fix_test_cycle)

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

// Tool-name facts, cached per interned string.
const (
	toolUnknown uint8 = iota
	toolOther
	toolEdit
)

// maxGap is how many other tool records may come between two attempts of
// one run: an agent that reads a file or takes a note before retrying is
// still retrying; one that does five other things has moved on.
const maxGap = 4

// maxDistinct bounds the argument hashes a run remembers to count
// distinct ones; evidence says "at least" beyond it.
const maxDistinct = 32

// run is an open candidate loop of tool calls: failed attempts of one
// tool with one masked error (failing), or successful calls of one tool
// with the same arguments and the same result (repeating).
type run struct {
	tool, mask, err, label uint32
	args, result           uint64 // repeating: the key; failing: the last attempt's arguments
	bytes                  uint32
	repeats                int
	lastTool               int  // index among the session's tool records of the last attempt
	awaiting               bool // no model call since the last attempt
	firstReact, lastReact  int  // first model call after the first and after the last attempt
	lastCall               int  // the last model call before the last attempt
	adjacent               bool // no other tool record between attempts so far
	allEdits               bool // every gap so far held an edit whose arguments differ from the last gap's
	gapEdit                bool // the current gap holds such an edit
	lastEdit               uint64
	argSet                 []uint64 // distinct argument hashes of attempts (or of the edits)
	editSet                []uint64
	// A batch, not a loop (failing runs): every attempt had recorded
	// arguments, each different (argsRepeat false), and a call of the
	// same tool with other arguments succeeded between two attempts
	// (batch; okSince marks one since the last attempt).
	argsRepeat, okSince, batch bool
}

func addDistinct(set []uint64, h uint64) []uint64 {
	if h == 0 || len(set) >= maxDistinct {
		return set
	}
	for _, x := range set {
		if x == h {
			return set
		}
	}
	return append(set, h)
}

// detector holds what is cached across sessions: one mask per interned
// error string, so each distinct message is masked once.
type detector struct {
	strs     []string // the string table Event fields index
	cfg      LoopConfig
	maskOf   []uint32 // Err id → mask index (valid when kind != errUnknown)
	kindOf   []uint8  // Err id → errPlain, errSibling, errRejected
	toolKind []uint8  // string id → toolOther, toolEdit
	masks    []string // mask index → signature; 0 is ""
	maskIDs  map[string]uint32
	scratch  []byte
	best     loop // the session's costliest loop so far
	nLoops   int
	wasteTok int64
	wasteUSD float64

	// Per session, reused: the model calls (1-based; index 0 unused) and
	// the open tool runs.
	calls []*Event
	fails []run
	reps  []run
	// counted marks the calls already in the session's wasted figures:
	// two loops over the same calls (a test and a lint run failing side
	// by side) waste them once.
	counted []bool
}

func (dt *detector) errFacts(id uint32) (kind uint8, mask uint32) {
	if k := dt.kindOf[id]; k != errUnknown {
		return k, dt.maskOf[id]
	}
	s := dt.str(id)
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

// editWords mark a tool that changes files: its calls between failing
// test runs make a fix-and-test cycle.
var editWords = []string{"edit", "write", "patch", "replace", "insert", "create"}

func (dt *detector) isEdit(tool uint32) bool {
	if k := dt.toolKind[tool]; k != toolUnknown {
		return k == toolEdit
	}
	name := strings.ToLower(dt.str(tool))
	k := toolOther
	for _, w := range editWords {
		if strings.Contains(name, w) {
			k = toolEdit
			break
		}
	}
	dt.toolKind[tool] = k
	return k == toolEdit
}

// DetectLoops finds runaway loops in every session of d, in five shapes
// (docs/loops.md defines each precisely):
//
//   - same_error: failed attempts (status error or timeout) of one tool
//     whose errors have the same MaskError signature, back to back;
//   - interleaved: the same, with up to maxGap other tool records between
//     attempts (reads, notes) and no success of that call between them;
//   - fix_test_cycle: interleaved, where every gap holds an edit-like call
//     (edit, write, patch, ...) with arguments that differ from the last;
//   - no_progress: successful calls of one tool with the same arguments
//     returning the same result (hashes), up to maxGap other tool records
//     apart; a call with those arguments that returns something else is
//     progress (a poll that finished) and dismisses every open run;
//   - model_only: consecutive model calls of one model with no tool record
//     between, each re-sending the previous context plus at most the
//     previous visible answer and a short nudge (growth ≤ previous visible
//     output + 256 tokens), with visible output within 15% of the run's
//     first call or, for a run that ends the session, every call re-sending
//     a large context (≥ 16k tokens) for a small answer (≤ 1/40 of it): the
//     apology shape.
//
// An attempt is counted only after a model call has read the previous one:
// failures with no model call between them are one attempt (a parallel
// batch, or the runtime retrying by itself). Sibling-cancel errors are
// ignored; a user rejection or a record with status timeout ends every
// open run (gave_up, timed_out). A success of the looping call (same
// tool, same arguments where both are recorded) ends a failing run as
// recovered. A failing run whose attempts all had different recorded
// arguments, with a success of the same tool (other arguments) between two
// of them, is a batch over items, not a loop.
//
// Inside the loop: for tool shapes, the model calls from the first one
// after the first attempt to the first one after the last attempt; for
// model_only, every call of the run but the first. Wasted tokens are their
// input plus output tokens, wasted dollars their cost; the loop starts at
// the first of them. This is the generator's ground truth for
// loop_start_call and loop_wasted_tokens.
func DetectLoops(d *Dataset, cfg LoopConfig) Runaway {
	cfg = cfg.normal()
	found := make([]*RunawaySession, len(d.Sessions))
	switch {
	case d.loopsBy != nil && *d.loopsBy == cfg:
		// Finish has scanned every session already.
		for i, s := range d.Sessions {
			found[i] = s.Loop
		}
	default:
		// Sessions are independent: scan them on every core, each worker
		// with its own mask cache, then add up in session order so sums
		// do not depend on scheduling.
		workers := min(runtime.GOMAXPROCS(0), max(1, len(d.Sessions)/256))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Go(func() {
				dt := newDetector(d.Strings, cfg)
				for i := w; i < len(d.Sessions); i += workers {
					if s := d.Sessions[i]; !s.TotalsOnly && dt.scan(s) {
						rs := dt.evidence(s)
						found[i] = &rs
					}
				}
			})
		}
		wg.Wait()
	}

	costs := make([]float64, len(d.Sessions))
	for i, s := range d.Sessions {
		costs[i] = s.CostUSD
	}
	return runawayOf(costs, found, cfg)
}

// runawayOf adds up the loops found in sessions (found[i] is the loop of
// the session costing costs[i], nil for none), in session order.
func runawayOf(costs []float64, found []*RunawaySession, cfg LoopConfig) Runaway {
	acc := newRunawayAcc(cfg, len(costs))
	acc.costs, acc.given = costs, true
	var loops []*RunawaySession
	for i, c := range costs {
		if acc.add(c, found[i]) {
			loops = append(loops, found[i])
		}
	}
	r := acc.result()
	// Sorted as pointers and copied once into an array of the exact size:
	// a fleet has tens of thousands of 288-byte sessions, which growing a
	// slice by append and swapping in place moved many times over. Session
	// ids are unique, so the order is total and any sort gives it.
	slices.SortFunc(loops, func(a, b *RunawaySession) int {
		switch {
		case a.WastedCostUSD > b.WastedCostUSD:
			return -1
		case a.WastedCostUSD < b.WastedCostUSD:
			return 1
		}
		return strings.Compare(a.SessionID, b.SessionID)
	})
	r.Sessions = make([]RunawaySession, len(loops))
	for i, rs := range loops {
		r.Sessions[i] = *rs
	}
	return r
}

// runawayAcc adds up Runaway's totals a session at a time, in id order:
// one arithmetic for runawayOf and for summaries read back from disk.
type runawayAcc struct {
	r       Runaway
	costs   []float64 // every session's, for topLoops
	given   bool      // costs were given whole: add does not append
	flagged []bool
}

// newRunawayAcc expects n sessions.
func newRunawayAcc(cfg LoopConfig, n int) *runawayAcc {
	return &runawayAcc{r: Runaway{TimeoutS: cfg.Timeout.Seconds(), MinRepeats: cfg.MinRepeats}, flagged: make([]bool, 0, n)}
}

// add counts one session of cost c and its loop rs (nil: none); it
// reports whether the session loops.
func (a *runawayAcc) add(c float64, rs *RunawaySession) bool {
	r := &a.r
	r.TotalCostUSD += c
	if !a.given {
		a.costs = append(a.costs, c)
	}
	a.flagged = append(a.flagged, rs != nil)
	if rs == nil {
		return false
	}
	r.Count++
	if rs.UnderTimeout {
		r.UnderTimeout++
	}
	r.WastedTokens += rs.WastedTokens
	r.WastedCostUSD += rs.WastedCostUSD
	return true
}

// result is the totals, without the list of sessions.
func (a *runawayAcc) result() Runaway {
	r := a.r
	if r.TotalCostUSD > 0 {
		r.WastedShare = r.WastedCostUSD / r.TotalCostUSD
	}
	r.Top5pctSessions, r.Top5pctLoops = topLoops(a.costs, a.flagged)
	return r
}

// llmNudge is how much a model-only repeat's context may grow beyond the
// previous answer: a "please continue" from the harness, not a tool result.
const llmNudge = 256

// llmSimilar is how far a repeat's visible output may stray from the
// run's first call, relative to it.
const llmSimilar = 0.15

// The apology shape: a call re-sends at least apologyMinInput tokens for
// a visible answer of at most 1/apologyRatio of them.
const (
	apologyMinInput = 16_000
	apologyRatio    = 40
)

func newDetector(strs []string, cfg LoopConfig) *detector {
	return &detector{
		strs:     strs,
		cfg:      cfg,
		maskOf:   make([]uint32, len(strs)),
		kindOf:   make([]uint8, len(strs)),
		toolKind: make([]uint8, len(strs)),
		masks:    []string{""},
		maskIDs:  map[string]uint32{"": 0},
	}
}

// useStrings makes strs the table the next events are read with: the
// same names, other error texts (store.Scratch.Strings), so what was
// learnt of error ids is forgotten.
func (dt *detector) useStrings(strs []string) {
	dt.strs = strs
	if n := len(strs); n > len(dt.kindOf) {
		dt.maskOf = append(dt.maskOf, make([]uint32, n-len(dt.maskOf))...)
		dt.kindOf = append(dt.kindOf, make([]uint8, n-len(dt.kindOf))...)
		dt.toolKind = append(dt.toolKind, make([]uint8, n-len(dt.toolKind))...)
	}
	clear(dt.kindOf)
}

// scan walks one session and remembers its costliest loop; it reports
// whether any loop reached cfg.MinRepeats.
func (dt *detector) scan(s *Session) bool {
	dt.best, dt.nLoops, dt.wasteTok, dt.wasteUSD = loop{}, 0, 0, 0
	dt.calls = append(dt.calls[:0], nil)
	dt.fails, dt.reps = dt.fails[:0], dt.reps[:0]
	dt.counted = dt.counted[:0]
	var (
		ml                 loop // current model-only run
		mlN                int  // calls in the run
		mlModel            uint32
		mlVis0             int64
		mlSimilar, mlLarge bool
		prevIn             int64
		prevVis            int64
	)
	closeLLM := func(atEnd bool) {
		if mlN > 0 && !dt.cfg.noLLMOnly && (mlSimilar || mlLarge && atEnd) {
			ml.repeats, ml.ended, ml.atEnd = mlN, EndedGaveUp, atEnd
			dt.consider(&ml)
		}
		ml, mlN = loop{}, 0
	}
	tools := 0 // tool records seen, sibling cancels not counted
	for i := range s.Events {
		e := &s.Events[i]
		switch e.Kind {
		case ingest.KindLLM:
			dt.calls = append(dt.calls, e)
			call := len(dt.calls) - 1
			for _, rs := range [2][]run{dt.fails, dt.reps} {
				for j := range rs {
					if r := &rs[j]; r.awaiting {
						if r.firstReact == 0 {
							r.firstReact = call
						}
						r.lastReact, r.awaiting = call, false
					}
				}
			}
			vis := int64(e.Output)
			if r := int64(e.Reasoning); r <= vis {
				vis -= r
			}
			in := int64(e.Input)
			similar := math.Abs(float64(vis-mlVis0)) <= llmSimilar*float64(mlVis0)
			large := in >= apologyMinInput && vis*apologyRatio <= in
			if mlN > 0 && e.Model == mlModel && in > prevIn && in-prevIn <= prevVis+llmNudge && (similar || large) {
				mlN++
				mlSimilar = mlSimilar && similar
				mlLarge = mlLarge && large
				ml.add(e, call)
			} else {
				closeLLM(false)
				ml = loop{signal: SignalLLMOnly, shape: ShapeModelOnly}
				mlN, mlModel, mlVis0, mlSimilar, mlLarge = 1, e.Model, vis, true, large
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
			tools++
			switch {
			case failed && kind == errRejected:
				dt.closeAll(EndedGaveUp)
			case failed:
				dt.answered(e)
				if r := dt.findFail(e.Tool, mask, e.ArgsHash); r != nil {
					dt.attempt(r, e, tools)
					r.args = e.ArgsHash
					break
				}
				if e.Status == ingest.StatusTimeout {
					dt.closeAll(EndedTimedOut)
				}
				dt.fails = append(dt.fails, run{tool: e.Tool, mask: mask, err: e.Err, label: e.ArgsLabel, args: e.ArgsHash,
					argsRepeat: e.ArgsHash == 0, repeats: 1, lastTool: tools, awaiting: true, adjacent: true, allEdits: true, argSet: addDistinct(nil, e.ArgsHash)})
			default:
				dt.success(e, tools)
			}
			dt.gaps(tools)
		}
	}
	// A run lasted until the session's end when no other tool record came
	// after its last attempt; otherwise the agent had moved on.
	for j := range dt.fails {
		dt.closeRun(&dt.fails[j], EndedGaveUp, dt.fails[j].lastTool == tools)
	}
	for j := range dt.reps {
		dt.closeRun(&dt.reps[j], EndedGaveUp, dt.reps[j].lastTool == tools)
	}
	closeLLM(true)
	return dt.nLoops > 0
}

// findFail returns the open failing run e continues: same tool, same
// masked error. A failure with no error text (mask 0: a shell command
// exiting 1 with no output, as grep finding nothing) says nothing about
// what went wrong, so it continues a run only with the same arguments
// (where both are recorded): different searches finding nothing are not
// one error retried.
func (dt *detector) findFail(tool, mask uint32, args uint64) *run {
	for j := range dt.fails {
		if r := &dt.fails[j]; r.tool == tool && r.mask == mask &&
			(mask != 0 || args == 0 || r.args == 0 || args == r.args) {
			return r
		}
	}
	return nil
}

// attempt counts e as a new attempt of r, unless no model call has read
// r's last one (then it is the same attempt).
func (dt *detector) attempt(r *run, e *Event, tools int) {
	if r.awaiting {
		r.lastTool = tools
		return
	}
	r.repeats++
	if tools-r.lastTool > 1 {
		r.adjacent = false
	}
	r.allEdits = r.allEdits && r.gapEdit
	r.gapEdit = false
	r.lastTool, r.awaiting, r.lastCall = tools, true, len(dt.calls)-1
	if e.ArgsHash == 0 || slices.Contains(r.argSet, e.ArgsHash) {
		r.argsRepeat = true
	}
	r.batch = r.batch || r.okSince
	r.okSince = false
	r.argSet = addDistinct(r.argSet, e.ArgsHash)
}

// success handles a successful tool call: it may recover a failing run,
// repeat (or end, by a new result) a repeating one, and be an edit inside
// other runs' gaps.
func (dt *detector) success(e *Event, tools int) {
	keep := dt.fails[:0]
	for j := range dt.fails {
		r := &dt.fails[j]
		if r.tool == e.Tool && (e.ArgsHash == 0 || r.args == 0 || e.ArgsHash == r.args) {
			dt.closeRun(r, EndedRecovered, false)
			continue
		}
		if r.tool == e.Tool { // with other arguments (both recorded)
			r.okSince = true
		}
		if e.ArgsHash != r.lastEdit && dt.isEdit(e.Tool) {
			r.gapEdit, r.lastEdit = true, e.ArgsHash
			r.editSet = addDistinct(r.editSet, e.ArgsHash)
		}
		keep = append(keep, *r)
	}
	dt.fails = keep
	if e.ArgsHash == 0 || e.ResultHash == 0 {
		return
	}
	for j := range dt.reps {
		r := &dt.reps[j]
		if r.tool != e.Tool || r.args != e.ArgsHash {
			continue
		}
		if r.result == e.ResultHash {
			dt.attempt(r, e, tools)
			return
		}
		// The same call answered differently: whatever was being waited
		// for changed (a poll that finished), which is progress.
		dt.reps = dt.reps[:0]
		break
	}
	dt.reps = append(dt.reps, run{tool: e.Tool, args: e.ArgsHash, result: e.ResultHash, label: e.ArgsLabel, bytes: e.ResultBytes,
		repeats: 1, lastTool: tools, awaiting: true, adjacent: true})
}

// answered handles a failure of a call some repeating run repeats: the
// same call answered otherwise (a poll whose job finished red), which is
// progress as a different result is, and dismisses every open repeating
// run.
func (dt *detector) answered(e *Event) {
	if e.ArgsHash == 0 {
		return
	}
	for j := range dt.reps {
		if r := &dt.reps[j]; r.tool == e.Tool && r.args == e.ArgsHash {
			dt.reps = dt.reps[:0]
			return
		}
	}
}

// gaps closes the runs whose last attempt is more than maxGap tool
// records back: the agent moved on.
func (dt *detector) gaps(tools int) {
	for _, rs := range []*[]run{&dt.fails, &dt.reps} {
		keep := (*rs)[:0]
		for j := range *rs {
			r := &(*rs)[j]
			if tools-r.lastTool > maxGap {
				dt.closeRun(r, EndedGaveUp, false)
				continue
			}
			keep = append(keep, *r)
		}
		*rs = keep
	}
}

// closeAll closes every open tool run.
func (dt *detector) closeAll(ended string) {
	for j := range dt.fails {
		dt.closeRun(&dt.fails[j], ended, false)
	}
	for j := range dt.reps {
		dt.closeRun(&dt.reps[j], ended, false)
	}
	dt.fails, dt.reps = dt.fails[:0], dt.reps[:0]
}

// closeRun turns a closed tool run into a loop if it is long enough.
func (dt *detector) closeRun(r *run, ended string, atEnd bool) {
	if r.repeats < dt.cfg.MinRepeats || r.firstReact == 0 {
		return
	}
	if r.batch && !r.argsRepeat {
		// Working through a list in which some items succeed: each
		// failure is its item's, not a retry (docs/loops.md).
		return
	}
	l := loop{signal: SignalToolError, repeats: r.repeats, tool: r.tool, mask: r.mask, err: r.err, label: r.label,
		bytes: r.bytes, distinct: len(r.argSet), ended: ended, atEnd: atEnd}
	switch {
	case r.result != 0:
		l.signal, l.shape = SignalToolRepeat, ShapeNoProgress
	case r.adjacent:
		l.shape = ShapeSameError
	case r.allEdits: // every gap between attempts held a new edit
		l.shape, l.distinct = ShapeFixTest, len(r.editSet)
	default:
		l.shape = ShapeInterleaved
	}
	last := r.lastReact
	if r.awaiting {
		// The last attempt was never read: the calls up to it count, as
		// they led to it.
		last = max(last, r.lastCall)
	}
	for c := r.firstReact; c <= last && c < len(dt.calls); c++ {
		l.add(dt.calls[c], c)
	}
	dt.consider(&l)
}

// consider records a closed run if it is long enough.
func (dt *detector) consider(l *loop) {
	if l.repeats < dt.cfg.MinRepeats || l.calls == 0 {
		return
	}
	dt.nLoops++
	// A loop's calls are consecutive: startCall .. startCall+calls-1.
	for len(dt.counted) < len(dt.calls) {
		dt.counted = append(dt.counted, false)
	}
	for c := l.startCall; c < l.startCall+l.calls; c++ {
		if !dt.counted[c] {
			dt.counted[c] = true
			e := dt.calls[c]
			dt.wasteTok += int64(e.Input) + int64(e.Output)
			dt.wasteUSD += e.Cost
		}
	}
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
		Shape:         l.shape,
		LoopStartCall: l.startCall,
		Repeats:       l.repeats,
		// Copies: interned strings share blocks with every other one, which a
		// reference would keep alive after Finish drops them.
		Tool:               strings.Clone(dt.str(l.tool)),
		ErrorSignature:     dt.masks[l.mask],
		ErrorExample:       strings.Clone(dt.str(l.err)),
		ContextTokensStart: l.ctxStart,
		ContextTokensEnd:   l.ctxEnd,
		WastedCalls:        l.calls,
		WastedTokens:       dt.wasteTok,
		WastedCostUSD:      dt.wasteUSD,
		SessionCostUSD:     s.CostUSD,
		Ended:              ended,
		Loops:              dt.nLoops,
		ArgsExample:        strings.Clone(dt.str(l.label)),
		ResultBytes:        int64(l.bytes),
		DistinctArgs:       l.distinct,
	}
	rs.Evidence = describe(&rs)
	if l.startTS != 0 {
		rs.LoopStartTS = time.Unix(0, l.startTS).UTC().Format(time.RFC3339Nano)
	}
	if s.CostUSD > 0 {
		rs.WastedShareOfSession = dt.wasteUSD / s.CostUSD
	}
	return rs
}

// describe says in words what the loop repeated.
func describe(rs *RunawaySession) string {
	call := rs.Tool
	if rs.ArgsExample != "" {
		call += "(" + rs.ArgsExample + ")"
	}
	times := func(n int) string {
		if n == 1 {
			return "once"
		}
		return groupDigits(int64(n)) + " times"
	}
	args := ""
	switch {
	case rs.DistinctArgs == 1:
		args = ", always with the same arguments"
	case rs.DistinctArgs >= maxDistinct:
		args = fmt.Sprintf(", with at least %d different arguments", maxDistinct)
	case rs.DistinctArgs > 1:
		args = fmt.Sprintf(", with %d different arguments", rs.DistinctArgs)
	}
	switch rs.Shape {
	case ShapeNoProgress:
		return fmt.Sprintf("%s returned the same %s bytes %s", call, groupDigits(rs.ResultBytes), times(rs.Repeats))
	case ShapeSameError:
		return fmt.Sprintf("%s failed with the same error %s in a row%s: %s", call, times(rs.Repeats), args, rs.ErrorSignature)
	case ShapeInterleaved:
		return fmt.Sprintf("%s failed with the same error %s, other calls between the attempts%s: %s", call, times(rs.Repeats), args, rs.ErrorSignature)
	case ShapeFixTest:
		return fmt.Sprintf("%s failed the same way after each of %s edits (%d different): %s", call, groupDigits(int64(rs.Repeats-1)), rs.DistinctArgs, rs.ErrorSignature)
	case ShapeModelOnly:
		return fmt.Sprintf("%s model calls in a row with no tool call, the context growing from %s to %s tokens",
			groupDigits(int64(rs.Repeats)), groupDigits(rs.ContextTokensStart), groupDigits(rs.ContextTokensEnd))
	}
	return ""
}

// groupDigits writes n with thousands separators (2,140).
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// topLoops returns ceil(5% of sessions) and how many of those most
// expensive sessions (ties broken by id, as TopByCost) are flagged.
func topLoops(sessionCosts []float64, flagged []bool) (top, loops int) {
	n := len(sessionCosts)
	top = (n*5 + 99) / 100
	if top == 0 {
		return 0, 0
	}
	costs := slices.Clone(sessionCosts)
	sort.Float64s(costs)
	cut := costs[n-top] // the top-th largest cost
	above := 0
	for _, c := range costs {
		if c > cut {
			above++
		}
	}
	atCut := top - above             // how many sessions costing exactly cut are in
	for i, c := range sessionCosts { // sorted by id, so ties go to smaller ids
		switch {
		case c > cut:
		case c == cut && atCut > 0:
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
