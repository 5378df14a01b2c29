package gen

import (
	"math"
	"math/rand/v2"
)

const (
	kindLLM uint8 = iota
	kindTool
)

const (
	statusOK uint8 = iota
	statusError
	statusTimeout
)

var statusNames = [...]string{"ok", "error", "timeout"}

const (
	roleNone uint8 = iota
	rolePlanner
	roleExecutor
)

var roleNames = [...]string{"", "planner", "executor"}

// event is one unique step of a session; times are Unix milliseconds.
type event struct {
	ts, dur               int64
	in, out, cr, cw, reas int64
	tool, err             string
	args, result          string // JSON text of tool_args, text of tool_result; "" for none (Options.LoopShapes)
	kind, status, role    uint8
	model                 int8
	dup                   bool // written twice, as a collector retry would
}

// session is a fully built session waiting to be merged into the output.
type session struct {
	idx    int
	id     string
	wf     *workflow
	team   string
	noSeq  bool
	events []event
	next   int
}

type toolSpec struct {
	name           string
	minRes, maxRes int64 // result size in tokens
	minMS, maxMS   int64
}

type workflow struct {
	name   string
	share  float64
	tools  []toolSpec
	models []int8
	mshare []float64
	roles  float64 // share of sessions with a planner and executors
}

var extraTools = []toolSpec{
	{"list_dir", 50, 600, 3, 30},
	{"calculator", 10, 40, 1, 5},
	{"fetch_docs", 500, 4000, 200, 2500},
	{"grep", 100, 1500, 10, 300},
}

var workflows = []workflow{
	{"support-bot", 0.35, []toolSpec{
		{"search_kb", 300, 2000, 80, 900},
		{"lookup_order", 100, 600, 40, 400},
		{"http_get", 200, 4000, 100, 3000},
	}, []int8{gpt4oMini, haiku, gpt4o}, []float64{0.5, 0.3, 0.2}, 0},
	{"code-review", 0.25, []toolSpec{
		{"read_file", 300, 6000, 3, 60},
		{"grep", 100, 1500, 10, 300},
		{"run_tests", 200, 3000, 2000, 40000},
		{"git_diff", 300, 5000, 20, 400},
		{"write_file", 20, 80, 3, 40},
	}, []int8{sonnet, gpt5}, []float64{0.6, 0.4}, 0.5},
	{"research-agent", 0.22, []toolSpec{
		{"search", 400, 2500, 300, 1500},
		{"http_get", 200, 4000, 100, 3000},
		{"read_file", 300, 6000, 3, 60},
		{"write_file", 20, 80, 3, 40},
	}, []int8{sonnet, gpt5, gpt4o}, []float64{0.5, 0.25, 0.25}, 0.7},
	{"data-pipeline", 0.18, []toolSpec{
		{"run_sql", 100, 3000, 50, 5000},
		{"read_file", 300, 6000, 3, 60},
		{"write_file", 20, 80, 3, 40},
		{"http_get", 200, 4000, 100, 3000},
	}, []int8{gpt4o, sonnet, gpt5}, []float64{0.4, 0.3, 0.3}, 0.3},
}

// builder runs one simulated ReAct loop: every LLM call re-sends the whole
// context, and each step adds the model's visible output and the tool result.
type builder struct {
	r        *rand.Rand
	ev       []event
	t        int64 // current time, Unix ms
	ctx      int64 // context size in tokens
	base     int64 // system prompt and task
	reas     int64 // if > 0, gpt-5 reasoning per call (a repeating call)
	planner  int8
	executor int8
	roles    bool
	calls    int
	cached   [numModels]int64 // Anthropic: prefix already in the cache
	prevIn   [numModels]int64 // OpenAI: last prompt, the automatic cache
	tools    []toolSpec
	io       bool   // write tool arguments and results (Options.LoopShapes)
	args     string // the next tool call's arguments, when set (io)
	result   string // the next tool call's result, when set (io)
}

func (b *builder) between(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + b.r.Int64N(hi-lo+1)
}

func (b *builder) gap() int64 { return 3 + b.r.Int64N(60) }

// llm emits one call. With roles, the first call and every sixth one plan;
// the final answer is the planner's too (final is set by the caller).
func (b *builder) llm(visible int64, final bool) *event {
	b.calls++
	m, role := b.planner, roleNone
	if b.roles {
		role = roleExecutor
		m = b.executor
		if b.calls == 1 || b.calls%6 == 0 || final {
			role, m = rolePlanner, b.planner
		}
	}
	return b.llmWith(m, role, visible)
}

func (b *builder) llmWith(m int8, role uint8, visible int64) *event {
	md := &models[m]
	e := event{ts: b.t, kind: kindLLM, model: m, role: role, in: b.ctx}
	if md.provider == "anthropic" {
		// A breakpoint at the end of every prompt: read what the last call
		// cached, write the new suffix; a miss (expired TTL) rewrites all.
		if c := b.cached[m]; c > 0 && c <= e.in && b.r.IntN(100) < 92 {
			e.cr = b.cached[m]
		}
		e.cw = e.in - e.cr
		b.cached[m] = e.in
	} else if p := b.prevIn[m]; p >= 1024 && p <= e.in && b.r.IntN(100) < 85 {
		e.cr = p / 128 * 128 // OpenAI caches prefixes in 128-token steps
	}
	b.prevIn[m] = e.in
	e.out = visible
	if m == gpt5 {
		if b.reas > 0 { // a repeating call reasons about as much each time
			e.reas = b.reas * (96 + b.r.Int64N(9)) / 100
		} else {
			e.reas = 64 + b.r.Int64N(2*visible+256)
		}
		e.out += e.reas
	}
	speed := md.msPerTok * (0.8 + 0.5*b.r.Float64())
	e.dur = 250 + e.in/50 + int64(float64(e.out)*speed)
	b.t += e.dur + b.gap()
	b.ctx += visible // reasoning is not carried into the next prompt
	b.ev = append(b.ev, e)
	return &b.ev[len(b.ev)-1]
}

// tool emits one tool call. A failed call's result is its error text.
func (b *builder) tool(ts toolSpec, status uint8, msg string, dur int64) {
	res := b.between(ts.minRes, ts.maxRes)
	if status != statusOK {
		res = b.between(40, 300)
	}
	if dur <= 0 {
		dur = b.between(ts.minMS, ts.maxMS)
	}
	e := event{ts: b.t, dur: dur, kind: kindTool, tool: ts.name, status: status, err: msg, model: -1, role: b.toolRole()}
	b.setIO(&e, ts, res)
	b.ev = append(b.ev, e)
	b.t += dur + b.gap()
	b.ctx += res
}

func (b *builder) toolRole() uint8 {
	if b.roles {
		return roleExecutor
	}
	return roleNone
}

func (b *builder) pickTool() toolSpec { return b.tools[b.r.IntN(len(b.tools))] }

// compactAt keeps ordinary calls below 100k input tokens (gpt-4o has a
// 128k window), leaving 100k+ prompts to the expensive_doc class.
const compactAt = 80_000

// step is one ordinary LLM call plus its tools; 10% of steps run a parallel
// batch of two or three tools that start together.
func (b *builder) step() {
	b.compact()
	b.llm(b.between(60, 600), false)
	if b.r.IntN(100) >= 10 {
		b.tool(b.pickTool(), statusOK, "", 0)
		return
	}
	n := 2 + b.r.IntN(2)
	batch := make([]toolSpec, n)
	for i := range batch {
		batch[i] = b.pickTool()
	}
	b.parallel(batch, nil, nil)
}

// compact shrinks the context before it outgrows the window.
func (b *builder) compact() {
	if b.ctx > compactAt {
		// Agents compact their context before it outgrows the window:
		// the history becomes a summary and the caches start over.
		b.ctx = b.base + b.between(3000, 8000)
		b.cached = [numModels]int64{}
		b.prevIn = [numModels]int64{}
	}
}

// parallel runs a batch of tools started 1-2 ms apart; the next call waits
// for the slowest. status and msg may be nil (all ok).
func (b *builder) parallel(batch []toolSpec, status []uint8, msg []string) {
	at, end := b.t, b.t
	for i, ts := range batch {
		st, m := statusOK, ""
		if status != nil {
			st, m = status[i], msg[i]
		}
		dur := b.between(ts.minMS, ts.maxMS)
		if st != statusOK {
			dur = b.between(5, 200)
		}
		if i > 0 {
			at += 1 + b.r.Int64N(2)
		}
		e := event{ts: at, dur: dur, kind: kindTool, tool: ts.name, status: st, err: m, model: -1, role: b.toolRole()}
		if b.io { // only then: the default output's random stream stays as it was
			b.setIO(&e, ts, b.between(ts.minRes, ts.maxRes))
		}
		b.ev = append(b.ev, e)
		end = max(end, at+dur)
		if st == statusOK {
			b.ctx += b.between(ts.minRes, ts.maxRes)
		} else {
			b.ctx += b.between(20, 200)
		}
	}
	b.t = end + b.gap()
}

func (b *builder) final() { b.llm(b.between(300, 1500), true) }

// rescale compresses a session's clock so it ends within limit; only the
// over-the-timeout class may run past the timeout.
func (b *builder) rescale(start, limit int64) {
	end := start
	for _, e := range b.ev {
		end = max(end, e.ts+e.dur)
	}
	if end-start <= limit {
		return
	}
	f := float64(limit) * 0.95 / float64(end-start)
	for i := range b.ev {
		e := &b.ev[i]
		e.ts = start + int64(float64(e.ts-start)*f)
		e.dur = max(1, int64(float64(e.dur)*f))
	}
}

// skewed returns lo..hi with more mass near lo (u^p).
func skewed(r *rand.Rand, lo, hi int, p float64) int {
	return lo + int(math.Pow(r.Float64(), p)*float64(hi-lo+1))
}
