package gen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Classes that only Options.LoopShapes generates: loops as they look in
// real traces, and the legitimate repetition they must not be confused
// with. doc.go describes each.
const (
	ClassLoopNoProgress  = "loop_no_progress"
	ClassLoopInterleaved = "loop_interleaved"
	ClassLoopVolatile    = "loop_volatile"
	ClassLoopFixTest     = "loop_fix_test"
	ClassLoopApology     = "loop_apology"
	ClassBatchReads      = "batch_reads"
	ClassPolling         = "polling"
	ClassFlakyRecover    = "flaky_recover"
)

// Loop shapes, as the truth's loop_shape names them (and DetectLoops).
const (
	ShapeSameError   = "same_error"
	ShapeNoProgress  = "no_progress"
	ShapeInterleaved = "interleaved"
	ShapeFixTest     = "fix_test_cycle"
	ShapeModelOnly   = "model_only"
)

// shapeMix is the class mix with Options.LoopShapes: 30% loops spread
// over every shape, 70% sessions of which 47 points are hard negatives.
var shapeMix = []struct {
	name    string
	share   float64
	hardNeg bool
}{
	{ClassHealthy, 0.23, false},
	{ClassTransientRetry, 0.08, true},
	{ClassLongHealthy, 0.03, true},
	{ClassExpensiveDoc, 0.02, true},
	{ClassSiblingCascade, 0.04, true},
	{ClassUserRejection, 0.04, true},
	{ClassBatchReads, 0.09, true},
	{ClassPolling, 0.09, true},
	{ClassFlakyRecover, 0.08, true},
	{ClassLoopTool, 0.04, false},
	{ClassLoopTimeout, 0.02, false},
	{ClassLoopLLMOnly, 0.02, false},
	{ClassLoopNoProgress, 0.05, false},
	{ClassLoopInterleaved, 0.05, false},
	{ClassLoopVolatile, 0.04, false},
	{ClassLoopFixTest, 0.04, false},
	{ClassLoopApology, 0.04, false},
}

var shShares = func() []float64 {
	s := make([]float64, len(shapeMix))
	for i, c := range shapeMix {
		s[i] = c.share
	}
	return s
}()

// shapeOf is the loop shape of each loop class.
var shapeOf = map[string]string{
	ClassLoopTool: ShapeSameError, ClassLoopTimeout: ShapeSameError, ClassLoopVolatile: ShapeSameError,
	ClassLoopLLMOnly: ShapeModelOnly, ClassLoopApology: ShapeModelOnly,
	ClassLoopNoProgress: ShapeNoProgress, ClassLoopInterleaved: ShapeInterleaved, ClassLoopFixTest: ShapeFixTest,
}

// argKeys name each tool's main argument.
var argKeys = map[string]string{
	"read_file": "path", "write_file": "path", "edit_file": "path", "list_dir": "path",
	"http_get": "url", "search": "query", "search_kb": "query", "run_sql": "query",
	"grep": "pattern", "run_tests": "command", "git_diff": "rev", "lookup_order": "order_id",
	"calculator": "expression", "fetch_docs": "url", "take_note": "text",
}

// argsJSON is a tool's arguments with one main argument.
func argsJSON(tool, val string) string {
	key := argKeys[tool]
	if key == "" {
		key = "input"
	}
	b := append([]byte(`{"`), key...)
	b = append(b, `":`...)
	b = appendString(b, val)
	return string(append(b, '}'))
}

// freshArgs are arguments no other call of the session shares (2^32
// values per tool).
func freshArgs(r *rand.Rand, tool string) string {
	return argsJSON(tool, fmt.Sprintf("src/pkg%d/item_%08x", r.IntN(10), r.Uint32()))
}

// setIO gives a tool event its arguments and result when the builder
// writes them: the ones set for this call (b.args, b.result), else fresh
// ones. Failed calls have no result; their error is it.
func (b *builder) setIO(e *event, ts toolSpec, res int64) {
	if !b.io {
		return
	}
	if b.args != "" {
		e.args, b.args = b.args, ""
	} else {
		e.args = freshArgs(b.r, ts.name)
	}
	switch {
	case b.result != "":
		e.result, b.result = b.result, ""
	case e.status == statusOK:
		e.result = fmt.Sprintf("%d bytes of content, digest %016x", res*4, b.r.Uint64())
	}
}

// readTools are tools an agent calls between retries without making the
// retried call succeed, and which are not edits.
var readTools = []toolSpec{
	{"read_file", 300, 6000, 3, 60},
	{"grep", 100, 1500, 10, 300},
	{"list_dir", 50, 600, 3, 30},
	{"take_note", 10, 40, 1, 5},
}

// volatileErrors vary, between attempts, only in parts a masker has to
// recognise: request ids, durations, timestamps, memory addresses,
// line:column, temp paths, ports and attempt counters.
var volatileErrors = []errTemplate{
	{"volatile: request id (ULID)", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("APIError: upstream returned 502 Bad Gateway (request_id=req_%s)", ulid(r))
	}},
	{"volatile: request id (UUID) and attempt counter", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("RetryError: attempt %d of 5 failed for request %08x-%04x-4%03x-a%03x-%012x",
			1+r.IntN(5), r.Uint32(), r.IntN(0x10000), r.IntN(0x1000), r.IntN(0x1000), r.Int64N(1<<48))
	}},
	{"volatile: duration", func(r *rand.Rand, _ int64) string {
		d := time.Duration(r.Int64N(int64(3 * time.Minute)))
		return fmt.Sprintf("context deadline exceeded: command `make build` still running after %s", d.Round(time.Millisecond))
	}},
	{"volatile: time of day and epoch", func(r *rand.Rand, now int64) string {
		t := time.UnixMilli(now).UTC()
		return fmt.Sprintf("[%s] ERROR worker: lease expired at %d.%03d", t.Format("15:04:05.000"), now/1000, now%1000)
	}},
	{"volatile: memory address", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV: segmentation violation code=0x1 addr=0x%x pc=0x%x]",
			r.IntN(0x100), 0x400000+r.IntN(0x100000))
	}},
	{"volatile: line and column", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("src/app.ts:%d:%d - error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.", 1+r.IntN(900), 1+r.IntN(80))
	}},
	{"volatile: temp path (Linux)", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("OSError: [Errno 28] No space left on device: /tmp/tmp%s/wheel/build.log", tmpName(r, 8))
	}},
	{"volatile: temp path (macOS)", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("error: could not write /var/folders/%s/%s/T/go-build%d/b001/exe/main: disk quota exceeded", tmpName(r, 2), tmpName(r, 30), r.Uint32())
	}},
	{"volatile: temp path (Windows)", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf(`error: could not write C:\Users\agent\AppData\Local\Temp\go-build%d\b001\exe\main.exe: disk quota exceeded`, r.Uint32())
	}},
	{"volatile: port", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("ConnectionRefusedError: [Errno 111] Connect call failed to localhost:%d", 1024+r.IntN(64000))
	}},
}

// fixTestErrors are a test or build run failing the same way after every
// edit; their volatile parts are durations and line numbers.
var fixTestErrors = []errTemplate{
	{"fix-test: pytest assertion", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("FAILED tests/test_api.py::test_sync - AssertionError: assert 41 == 42\n===== 1 failed, %d passed in %.2fs =====", 10+r.IntN(3), 0.5+5*r.Float64())
	}},
	{"fix-test: go test", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("--- FAIL: TestParse (%.2fs)\n    parse_test.go:57: got 3, want 4\nFAIL\nFAIL\texample.com/parse\t%.3fs", r.Float64(), 0.1+2*r.Float64())
	}},
	{"fix-test: cargo build", func(r *rand.Rand, _ int64) string {
		return fmt.Sprintf("error[E0308]: mismatched types\n  --> src/main.rs:%d:%d\nerror: could not compile `app` due to previous error; finished in %.2fs", 10+r.IntN(3), 5+r.IntN(3), 1+r.Float64())
	}},
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func ulid(r *rand.Rand) string {
	b := make([]byte, 26)
	for i := range b {
		b[i] = crockford[r.IntN(len(crockford))]
	}
	b[0] = '0' // a ULID's time part starts with 0 until 2106
	return string(b)
}

func tmpName(r *rand.Rand, n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789_"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[r.IntN(len(chars))]
	}
	return string(b)
}

// otherReadTool is a read-like tool other than the named one.
func otherReadTool(r *rand.Rand, not string) toolSpec {
	for {
		if ts := readTools[r.IntN(len(readTools))]; ts.name != not {
			return ts
		}
	}
}

// buildShape builds the sessions of the classes only LoopShapes has and
// returns the last call counted as wasted (0: the session's last call).
func buildShape(class string, b *builder, tr *Truth) int {
	r := b.r
	wastedEnd := 0
	switch class {
	case ClassLoopNoProgress:
		// The same call, the same answer, again and again: a read the agent
		// does not act on, or a status it keeps asking for.
		for range 1 + r.IntN(4) {
			b.step()
		}
		ts := b.pickTool()
		args, result := freshArgs(r, ts.name), fmt.Sprintf("%d bytes of content, digest %016x", 4*b.between(ts.minRes, ts.maxRes), r.Uint64())
		reps := skewed(r, 4, 40, 2.0)
		movesOn := r.IntN(10) < 4 // a loop breaker stops it and the session goes on
		b.llm(b.between(80, 300), false)
		for a := 1; a <= reps; a++ {
			b.args, b.result = args, result
			b.tool(ts, statusOK, "", 0)
			if a == 1 {
				tr.LoopStartCall = b.calls + 1
			}
			if a == reps && !movesOn {
				b.final()
			} else {
				b.llm(b.between(80, 300), false)
			}
		}
		if movesOn {
			wastedEnd = b.calls
			for range 1 + r.IntN(3) {
				b.step()
			}
			b.final()
		}
		tr.LoopSignal, tr.LoopRepeats, tr.LoopTool, tr.LoopEnded = "tool_repeat", reps, ts.name, "gave_up"

	case ClassLoopInterleaved:
		// Tool A fails the same way; between attempts the agent reads and
		// takes notes, so the failures are never adjacent.
		for range 1 + r.IntN(4) {
			b.step()
		}
		ts, tmpl := loopTool(b)
		args := freshArgs(r, ts.name)
		reps := skewed(r, 4, 20, 2.0)
		recovered := r.IntN(10) < 4
		b.llm(b.between(80, 300), false)
		for a := 1; a <= reps; a++ {
			b.args = args
			b.tool(ts, statusError, tmpl.render(r, b.t), 0)
			if a == 1 {
				tr.LoopStartCall = b.calls + 1
			}
			if a == reps {
				break
			}
			for range 1 + r.IntN(3) {
				b.llm(b.between(60, 300), false)
				b.tool(otherReadTool(r, ts.name), statusOK, "", 0)
			}
			b.llm(b.between(80, 300), false)
		}
		tr.LoopEnded = "gave_up"
		if recovered {
			b.llm(b.between(80, 300), false)
			wastedEnd = b.calls
			b.args = args
			b.tool(ts, statusOK, "", 0)
			for range r.IntN(3) {
				b.step()
			}
			tr.LoopEnded = "recovered"
		}
		b.final()
		tr.LoopSignal, tr.LoopRepeats, tr.LoopTool, tr.LoopErrorMasked = "tool_error", reps, ts.name, tmpl.masked

	case ClassLoopVolatile:
		// loop_tool's shape, with errors whose volatile parts are harder.
		for range 1 + r.IntN(5) {
			b.step()
		}
		ts, tmpl := b.pickTool(), volatileErrors[r.IntN(len(volatileErrors))]
		args := freshArgs(r, ts.name)
		reps := skewed(r, 4, 30, 2.0)
		recovered := r.IntN(10) < 4
		b.llm(b.between(80, 300), false)
		for a := 1; a <= reps; a++ {
			b.args = args
			b.tool(ts, statusError, tmpl.render(r, b.t), 0)
			if a == 1 {
				tr.LoopStartCall = b.calls + 1
			}
			if a == reps && !recovered {
				b.final()
			} else {
				b.llm(b.between(80, 300), false)
			}
		}
		tr.LoopEnded = "gave_up"
		if recovered {
			tr.LoopEnded = "recovered"
			wastedEnd = b.calls
			b.args = args
			b.tool(ts, statusOK, "", 0)
			for range r.IntN(4) {
				b.step()
			}
			b.final()
		}
		tr.LoopSignal, tr.LoopRepeats, tr.LoopTool, tr.LoopErrorMasked = "tool_error", reps, ts.name, tmpl.masked

	case ClassLoopFixTest:
		// Edit, run the tests, the same failure; edit again, differently.
		for range r.IntN(4) {
			b.step()
		}
		edit := toolSpec{"edit_file", 20, 80, 3, 40}
		test := toolSpec{"run_tests", 200, 3000, 2000, 40000}
		tmpl := fixTestErrors[r.IntN(len(fixTestErrors))]
		path := fmt.Sprintf("src/pkg%d/module_%04x.py", r.IntN(10), r.IntN(0x10000))
		testArgs := argsJSON("run_tests", "pytest -x tests/")
		editArgs := func() string {
			return fmt.Sprintf(`{"path":%q,"old_string":"return %d","new_string":"return %d"}`, path, r.IntN(100), r.IntN(100))
		}
		cycles := skewed(r, 4, 15, 2.0)
		recovered := r.IntN(10) < 3
		for a := 1; a <= cycles; a++ {
			b.llm(b.between(80, 400), false)
			b.args = editArgs()
			b.tool(edit, statusOK, "", 0)
			b.llm(b.between(40, 120), false)
			b.args = testArgs
			b.tool(test, statusError, tmpl.render(r, b.t), 0)
			if a == 1 {
				tr.LoopStartCall = b.calls + 1
			}
		}
		tr.LoopEnded = "gave_up"
		if recovered {
			b.llm(b.between(80, 400), false)
			wastedEnd = b.calls
			b.args = editArgs()
			b.tool(edit, statusOK, "", 0)
			b.llm(b.between(40, 120), false)
			b.args = testArgs
			b.tool(test, statusOK, "", 0)
			tr.LoopEnded = "recovered"
		}
		b.final()
		tr.LoopSignal, tr.LoopRepeats, tr.LoopTool, tr.LoopErrorMasked = "tool_error", cycles, test.name, tmpl.masked

	case ClassLoopApology:
		// A large context, then call after call re-sending it to write a
		// short apology or summary, no tool in between.
		for range 1 + r.IntN(3) {
			b.step()
		}
		b.llm(b.between(80, 300), false)
		big := b.between(30_000, 70_000)
		b.tool(toolSpec{"read_file", big, big, 40, 900}, statusOK, "", 0)
		reps := 3 + r.IntN(6)
		mm, role := b.executor, roleNone
		if b.roles {
			role = roleExecutor
		}
		for j := range reps {
			b.calls++
			if j == 1 {
				tr.LoopStartCall = b.calls
			}
			b.llmWith(mm, role, b.between(40, 500))
			b.ctx += b.between(15, 40) // the harness's nudge
		}
		tr.LoopSignal, tr.LoopRepeats, tr.LoopEnded = "llm_only", reps, "gave_up"

	case ClassBatchReads:
		// One tool over many different arguments: reading a repository,
		// fetching a list of URLs. Not a loop.
		for range r.IntN(3) {
			b.step()
		}
		ts := b.pickTool()
		if r.IntN(2) == 0 {
			ts = toolSpec{"read_file", 300, 3000, 3, 60}
		}
		for range 15 + r.IntN(46) {
			b.compact()
			b.llm(b.between(40, 200), false)
			if r.IntN(4) == 0 {
				batch := make([]toolSpec, 2+r.IntN(3))
				for i := range batch {
					batch[i] = ts
				}
				b.parallel(batch, nil, nil)
			} else {
				b.tool(ts, statusOK, "", 0)
			}
		}
		b.final()

	case ClassPolling:
		// The same status call returns "running" until the job ends; the
		// session then goes on. Half the agents sleep between polls.
		for range 1 + r.IntN(3) {
			b.step()
		}
		job := argsJSON("job_status", fmt.Sprintf("job-%08x", r.Uint32()))
		status := toolSpec{"job_status", 30, 60, 20, 200}
		sleep := toolSpec{"sleep", 5, 10, 30000, 30000}
		sleeps := r.IntN(2) == 0
		b.llm(b.between(80, 300), false)
		b.tool(toolSpec{"start_job", 30, 60, 50, 500}, statusOK, "", 0)
		for range 3 + r.IntN(25) {
			b.llm(b.between(30, 80), false)
			b.args, b.result = job, `{"state":"running"}`
			b.tool(status, statusOK, "", 0)
			if sleeps {
				b.llm(b.between(20, 40), false)
				b.args, b.result = `{"seconds":30}`, "slept 30s"
				b.tool(sleep, statusOK, "", 0)
			}
		}
		b.llm(b.between(30, 80), false)
		b.args, b.result = job, fmt.Sprintf(`{"state":"succeeded","rows":%d}`, r.IntN(1_000_000))
		b.tool(status, statusOK, "", 0)
		for range 1 + r.IntN(4) {
			b.step()
		}
		b.final()

	case ClassFlakyRecover:
		// Several transient failures, each retried once or twice and
		// recovering: not a loop, however many times it happens.
		n := skewed(r, 8, 30, 1.5)
		episodes := map[int]bool{}
		for range 2 + r.IntN(3) {
			episodes[r.IntN(n-1)] = true
		}
		for i := range n - 1 {
			if !episodes[i] {
				b.step()
				continue
			}
			b.llm(b.between(60, 400), false)
			ts := b.pickTool()
			args := freshArgs(r, ts.name)
			for range 1 + r.IntN(2) {
				b.args = args
				b.tool(ts, statusError, transientError(r), 0)
				b.llm(b.between(40, 200), false)
			}
			b.args = args
			b.tool(ts, statusOK, "", 0)
		}
		b.final()
	}
	if tr.LoopRepeats > 0 {
		tr.Loop = true
	}
	return wastedEnd
}
