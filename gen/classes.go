package gen

import (
	"math/rand/v2"
	"strconv"
)

// Session classes and their shares; doc.go explains the mix.
const (
	ClassHealthy        = "healthy"
	ClassTransientRetry = "transient_retry"
	ClassLongHealthy    = "long_healthy"
	ClassExpensiveDoc   = "expensive_doc"
	ClassSiblingCascade = "sibling_cascade"
	ClassUserRejection  = "user_rejection"
	ClassLoopTool       = "loop_tool"
	ClassLoopTimeout    = "loop_timeout"
	ClassLoopLLMOnly    = "loop_llm_only"
)

var classMix = []struct {
	name    string
	share   float64
	hardNeg bool
}{
	{ClassHealthy, 0.57, false},
	{ClassTransientRetry, 0.12, true},
	{ClassLongHealthy, 0.02, true},
	{ClassExpensiveDoc, 0.03, true},
	{ClassSiblingCascade, 0.05, true},
	{ClassUserRejection, 0.05, true},
	{ClassLoopTool, 0.10, false},
	{ClassLoopTimeout, 0.04, false},
	{ClassLoopLLMOnly, 0.02, false},
}

// Truth is the ground truth of one session. Token and call counts cover
// unique events only; see doc.go for the loop fields.
type Truth struct {
	SessionID         string  `json:"session_id"`
	Class             string  `json:"class"`
	Workflow          string  `json:"workflow"`
	Model             string  `json:"model"`
	Roles             bool    `json:"roles"`
	Team              string  `json:"team,omitempty"`
	HasSeq            bool    `json:"has_seq"`
	LLMCalls          int     `json:"llm_calls"`
	ToolCalls         int     `json:"tool_calls"`
	ToolErrors        int     `json:"tool_errors"`
	InputTokens       int64   `json:"input_tokens"`
	OutputTokens      int64   `json:"output_tokens"`
	CacheReadTokens   int64   `json:"cache_read_tokens"`
	CacheWriteTokens  int64   `json:"cache_write_tokens"`
	ReasoningTokens   int64   `json:"reasoning_tokens"`
	DuplicatesWritten int     `json:"duplicates_written"`
	RecordsWritten    int     `json:"records_written"`
	CostUSD           float64 `json:"cost_usd"`
	DurationS         float64 `json:"duration_s"`
	TimedOut          bool    `json:"timed_out"`
	Loop              bool    `json:"loop"`
	LoopSignal        string  `json:"loop_signal"`
	LoopStartCall     int     `json:"loop_start_call"`
	LoopRepeats       int     `json:"loop_repeats"`
	LoopTool          string  `json:"loop_tool"`
	LoopErrorMasked   string  `json:"loop_error_masked"`
	LoopEnded         string  `json:"loop_ended"`
	LoopWastedTokens  int64   `json:"loop_wasted_tokens"`
	LoopWastedCostUSD float64 `json:"loop_wasted_cost_usd"`
	HardNegative      string  `json:"hard_negative"`
	// LoopShape is the loop's shape (Shape*); written with LoopShapes only.
	LoopShape string `json:"loop_shape,omitempty"`
}

var (
	wfShares = func() []float64 {
		s := make([]float64, len(workflows))
		for i, w := range workflows {
			s[i] = w.share
		}
		return s
	}()
	clShares = func() []float64 {
		s := make([]float64, len(classMix))
		for i, c := range classMix {
			s[i] = c.share
		}
		return s
	}()
)

var teams = []string{"search", "billing", "platform", "growth", "infra"}

func pick(r *rand.Rand, shares []float64) int {
	u := r.Float64()
	for i, s := range shares {
		if u < s {
			return i
		}
		u -= s
	}
	return len(shares) - 1
}

// build fills s with one session starting at start (Unix ms) and returns
// its ground truth.
func build(s *session, b *builder, start, timeout int64, idPrefix string, shapes bool) Truth {
	r := b.r
	mix, shares := classMix, clShares
	if shapes {
		mix, shares = shapeMix, shShares
	}
	ci := pick(r, shares)
	class := mix[ci].name
	wf := &workflows[pick(r, wfShares)]
	m := wf.models[pick(r, wf.mshare)]
	roles := r.Float64() < wf.roles
	if class == ClassExpensiveDoc {
		// A 100k-190k prompt needs a long-context model.
		m, roles = sonnet, false
		if r.IntN(5) < 2 {
			m = gpt5
		}
	}
	s.id = idPrefix + strconv.Itoa(s.idx)
	s.wf = wf
	s.team = ""
	if r.IntN(5) == 0 {
		s.team = teams[r.IntN(len(teams))]
	}
	s.noSeq = r.IntN(10) == 0

	*b = builder{r: r, ev: s.events[:0], t: start, planner: m, executor: m, roles: roles, tools: wf.tools, io: shapes}
	if roles {
		b.executor = executorOf[m]
	}
	b.base = b.between(1500, 6000) + b.between(200, 2000) // system prompt + task
	b.ctx = b.base

	tr := Truth{SessionID: s.id, Class: class, Workflow: wf.name, Model: models[m].name, Roles: roles, Team: s.team, HasSeq: !s.noSeq}
	if mix[ci].hardNeg {
		tr.HardNegative = class
	}
	wastedEnd := 0 // last LLM call index counted as wasted; 0 means the last call

	switch class {
	case ClassHealthy:
		n := skewed(r, 3, 25, 2.5)
		for range n - 1 {
			b.step()
		}
		b.final()

	case ClassTransientRetry:
		n := skewed(r, 3, 20, 2.2)
		k := r.IntN(n - 1)
		for i := range n - 1 {
			if i != k {
				b.step()
				continue
			}
			b.llm(b.between(60, 400), false)
			ts := b.pickTool()
			for range 1 + r.IntN(2) { // one or two failures, then success
				if r.IntN(5) == 0 {
					b.tool(ts, statusTimeout, "TimeoutError: deadline exceeded", ts.maxMS*2)
				} else {
					b.tool(ts, statusError, transientError(r), 0)
				}
				b.llm(b.between(40, 200), false)
			}
			b.tool(ts, statusOK, "", 0)
		}
		b.final()

	case ClassLongHealthy:
		b.tools = append(append([]toolSpec(nil), wf.tools...), extraTools...)
		n := 40 + r.IntN(81)
		lastFail := -10
		for i := range n - 1 {
			// An isolated failure the agent routes around; never two in a
			// row, so this class stays a clean negative.
			if i-lastFail > 2 && r.IntN(30) == 0 {
				lastFail = i
				b.llm(b.between(60, 400), false)
				b.tool(b.pickTool(), statusError, transientError(r), 0)
				continue
			}
			b.step()
		}
		b.final()

	case ClassExpensiveDoc:
		for range r.IntN(3) {
			b.step()
		}
		b.llm(b.between(40, 150), false)
		target := b.between(100_000, 190_000)
		res := max(target-b.ctx, 50_000)
		b.tool(toolSpec{"read_file", res, res, 40, 900}, statusOK, "", 0)
		b.llm(b.between(800, 4000), true)

	case ClassSiblingCascade:
		n := skewed(r, 4, 20, 2.2)
		k := 1 + r.IntN(n-2)
		for i := range n - 1 {
			if i != k {
				b.step()
				continue
			}
			b.llm(b.between(100, 500), false)
			nb := 3 + r.IntN(4)
			batch := make([]toolSpec, nb)
			st := make([]uint8, nb)
			msg := make([]string, nb)
			same := r.IntN(10) < 7 // mostly N calls to one tool, as in the Claude Code sample
			first := b.pickTool()
			bad := r.IntN(nb)
			for j := range batch {
				batch[j] = first
				if !same {
					batch[j] = b.pickTool()
				}
				st[j], msg[j] = statusError, siblingError
			}
			msg[bad] = realError(r, batch[bad].name, b.t)
			b.parallel(batch, st, msg)
		}
		b.final()

	case ClassUserRejection:
		n := skewed(r, 3, 18, 2.2)
		k := r.IntN(n - 1)
		second := -1
		if r.IntN(100) < 15 && k+1 < n-1 {
			second = k + 1 + r.IntN(n-1-k-1)
		}
		for i := range n - 1 {
			if i != k && i != second {
				b.step()
				continue
			}
			b.llm(b.between(80, 400), false)
			b.tool(b.pickTool(), statusError, rejectedError, b.between(1500, 30000)) // a person deciding
			if i == k && r.IntN(100) < 35 {
				break // the agent stops and hands back to the user
			}
		}
		b.final()

	case ClassLoopTool:
		for range 1 + r.IntN(5) {
			b.step()
		}
		ts, tmpl := loopTool(b)
		reps := skewed(r, 4, 30, 2.0)
		recovered := r.IntN(10) < 4
		b.llm(b.between(80, 300), false) // the call that first issues the tool
		for a := 1; a <= reps; a++ {
			b.tool(ts, statusError, tmpl.render(r, b.t), 0)
			if a == 1 {
				tr.LoopStartCall = b.calls + 1
			}
			if a == reps && !recovered {
				b.final() // the apology
			} else {
				b.llm(b.between(80, 300), false)
			}
		}
		tr.LoopEnded = "gave_up"
		if recovered {
			tr.LoopEnded = "recovered"
			wastedEnd = tr.LoopStartCall + reps - 1
			b.tool(ts, statusOK, "", 0)
			for range r.IntN(4) {
				b.step()
			}
			b.final()
		}
		tr.Loop, tr.LoopSignal, tr.LoopRepeats = true, "tool_error", reps
		tr.LoopTool, tr.LoopErrorMasked = ts.name, tmpl.masked

	case ClassLoopTimeout:
		for range 1 + r.IntN(3) {
			b.step()
		}
		ts, tmpl := loopTool(b)
		kill := r.IntN(2) == 0 // the harness kills the run at the timeout
		deadline := start + timeout
		overrun := start + timeout + int64(float64(timeout)*(0.05+0.35*r.Float64()))
		iter := float64(timeout) / (6 + 14*r.Float64())
		b.llm(b.between(80, 300), false)
		reps := 0
		for {
			dur := max(200, int64(iter*(0.7+0.2*r.Float64())))
			if kill && reps >= 4 && b.t+dur > deadline {
				b.tool(ts, statusTimeout, "", max(1, deadline-b.t))
				break
			}
			b.tool(ts, statusError, tmpl.render(r, b.t), dur)
			reps++
			if reps == 1 {
				tr.LoopStartCall = b.calls + 1
			}
			if reps == 30 || (!kill && b.t > overrun) {
				b.final()
				break
			}
			b.llm(b.between(80, 300), false)
		}
		tr.Loop, tr.LoopSignal, tr.LoopRepeats = true, "tool_error", reps
		tr.LoopTool, tr.LoopErrorMasked = ts.name, tmpl.masked

	case ClassLoopLLMOnly:
		for range 1 + r.IntN(4) {
			b.step()
		}
		reps := skewed(r, 5, 25, 1.5)
		base := b.between(150, 500)
		b.reas = 64 + b.r.Int64N(2*base+256)
		mm, role := b.executor, roleNone
		if roles {
			role = roleExecutor
		}
		for j := range reps {
			b.calls++
			if j == 1 {
				tr.LoopStartCall = b.calls
			}
			b.llmWith(mm, role, base*(96+r.Int64N(9))/100)
			b.ctx += b.between(15, 40) // the harness's "please continue" nudge
		}
		tr.Loop, tr.LoopSignal, tr.LoopRepeats, tr.LoopEnded = true, "llm_only", reps, "gave_up"

	default:
		wastedEnd = buildShape(class, b, &tr)
	}
	if shapes && tr.Loop {
		tr.LoopShape = shapeOf[class]
	}

	if class != ClassLoopTimeout {
		b.rescale(start, timeout)
	}
	s.events = b.ev
	s.next = 0
	tally(&tr, s, start, timeout, wastedEnd, r)
	if class == ClassLoopTimeout {
		tr.LoopEnded = "gave_up"
		if tr.TimedOut {
			tr.LoopEnded = "timed_out"
		}
	}
	return tr
}

// loopTool picks a tool of the workflow that has loop error templates.
func loopTool(b *builder) (toolSpec, errTemplate) {
	for {
		ts := b.pickTool()
		if t := loopErrors[ts.name]; len(t) > 0 {
			return ts, t[b.r.IntN(len(t))]
		}
	}
}

func realError(r *rand.Rand, tool string, now int64) string {
	if t := loopErrors[tool]; len(t) > 0 {
		return t[r.IntN(len(t))].render(r, now)
	}
	return transientError(r)
}

// tally marks duplicates and fills the truth's totals from s.events.
func tally(tr *Truth, s *session, start, timeout int64, wastedEnd int, r *rand.Rand) {
	end := start
	call := 0
	for i := range s.events {
		e := &s.events[i]
		e.dup = r.IntN(100) == 0
		tr.RecordsWritten++
		if e.dup {
			tr.DuplicatesWritten++
			tr.RecordsWritten++
		}
		end = max(end, e.ts+e.dur)
		if e.kind == kindTool {
			tr.ToolCalls++
			if e.status != statusOK {
				tr.ToolErrors++
			}
			continue
		}
		call++
		md := &models[e.model]
		c := md.cost(e.in, e.out, e.cr, e.cw)
		tr.LLMCalls++
		tr.InputTokens += e.in
		tr.OutputTokens += e.out
		tr.CacheReadTokens += e.cr
		tr.CacheWriteTokens += e.cw
		tr.ReasoningTokens += e.reas
		tr.CostUSD += c
		if tr.Loop && call >= tr.LoopStartCall && (wastedEnd == 0 || call <= wastedEnd) {
			tr.LoopWastedTokens += e.in + e.out
			tr.LoopWastedCostUSD += c
		}
	}
	tr.DurationS = float64(end-start) / 1000
	last := s.events[len(s.events)-1]
	tr.TimedOut = end-start > timeout || last.status == statusTimeout
}
