package analyze_test

// Hand-built sessions for the loop shapes of issue 15. Prices as in
// loops_test.go: a call costs (3·input + 15·output) / 1e6.

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

// call writes a tool record with arguments and a result.
func (tr *trace) call(tool string, args any, result string) *trace {
	return tr.write(map[string]any{"kind": "tool", "tool": tool, "status": "ok", "tool_args": args, "tool_result": result})
}

// failArgs writes a failed tool record with arguments.
func (tr *trace) failArgs(tool string, args any, msg string) *trace {
	return tr.write(map[string]any{"kind": "tool", "tool": tool, "status": "error", "error": msg, "tool_args": args})
}

func only(t *testing.T, tr *trace, cfg analyze.LoopConfig) analyze.RunawaySession {
	t.Helper()
	r := detect(t, tr, cfg)
	if r.Count != 1 {
		t.Fatalf("count %d, want 1: %+v", r.Count, r.Sessions)
	}
	return r.Sessions[0]
}

// no_progress: read_file(src/app.py) answered with the same 2,140-byte
// text four times, each read by a model call.
func TestLoopNoProgress(t *testing.T) {
	text := strings.Repeat("x", 2140)
	args := map[string]any{"path": "src/app.py"}
	tr := new(trace).session("np").llm(1000, 50)
	for i := range 4 {
		tr.call("read_file", args, text).llm(int64(2000+1000*i), 50)
	}
	s := only(t, tr, analyze.DefaultLoopConfig())
	// Inside: the calls after reads 1..4, i.e. calls 2-5: input 2,000 +
	// 3,000 + 4,000 + 5,000 = 14,000, output 4·50 = 200, tokens 14,200.
	if s.Shape != analyze.ShapeNoProgress || s.Signal != analyze.SignalToolRepeat || s.Repeats != 4 ||
		s.LoopStartCall != 2 || s.WastedTokens != 14200 || s.ResultBytes != 2140 || s.ArgsExample != "src/app.py" ||
		s.DistinctArgs != 1 || s.Tool != "read_file" {
		t.Errorf("got %+v", s)
	}
	if want := "read_file(src/app.py) returned the same 2,140 bytes 4 times"; s.Evidence != want {
		t.Errorf("evidence %q, want %q", s.Evidence, want)
	}
	// Key order and spacing of the arguments do not make them different.
	tr = new(trace).session("np2").llm(1000, 50).
		call("read_file", map[string]any{"path": "a", "limit": 5}, "t").llm(2000, 50)
	tr.buf.WriteString(`{"session_id":"np2","seq":4,"kind":"tool","tool":"read_file","status":"ok","tool_args":{ "limit":5.0, "path":"a" },"tool_result":"t"}` + "\n")
	tr.k++
	tr.llm(3000, 50).call("read_file", map[string]any{"limit": 5, "path": "a"}, "t").llm(4000, 50)
	if s := only(t, tr, analyze.DefaultLoopConfig()); s.Repeats != 3 {
		t.Errorf("canonical args: %+v", s)
	}
}

// Hard negatives for no_progress: the same tool over different arguments;
// polling whose answer changes (with a sleep between polls); the same
// arguments with a different result each time.
func TestLoopNoProgressNegatives(t *testing.T) {
	batch := new(trace).session("batch").llm(1000, 50)
	for i := range 10 {
		batch.call("read_file", map[string]any{"path": "src/f" + string(rune('a'+i)) + ".py"}, "same text").llm(2000, 50)
	}
	poll := new(trace).session("poll").llm(1000, 50)
	for range 6 {
		poll.call("job_status", map[string]any{"job_id": "j1"}, `running`).llm(1100, 20).
			call("sleep", map[string]any{"seconds": 30}, "slept").llm(1200, 20)
	}
	poll.call("job_status", map[string]any{"job_id": "j1"}, `succeeded`).llm(1300, 50).call("read_file", "out.csv", "rows").llm(1400, 200)
	changing := new(trace).session("changing").llm(1000, 50)
	for i := range 5 {
		changing.call("run_sql", "select count(*) from t", "count "+string(rune('0'+i))).llm(2000, 50)
	}
	for _, tr := range []*trace{batch, poll, changing} {
		if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
			t.Errorf("%s: flagged %+v", tr.sid, r.Sessions)
		}
	}
	// A poll that never ends is a loop: job_status (and sleep) repeat to
	// the session's end.
	stuck := new(trace).session("stuck").llm(1000, 50)
	for range 4 {
		stuck.call("job_status", map[string]any{"job_id": "j1"}, `running`).llm(1100, 20)
	}
	if s := only(t, stuck, analyze.DefaultLoopConfig()); s.Shape != analyze.ShapeNoProgress || s.Repeats != 4 {
		t.Errorf("stuck poll: %+v", s)
	}
}

// interleaved: http_get fails the same way (the request id varies), with
// a read and a note between attempts; then it succeeds.
func TestLoopInterleaved(t *testing.T) {
	u := map[string]any{"url": "https://api.example/v1/items"}
	tr := new(trace).session("il").llm(1000, 50).
		failArgs("http_get", u, "HTTPError: 502 (request_id=req_01HX3K9V7Q2M8N4P6R5S0T1W2Y)").llm(1100, 50). // call 2
		call("read_file", "notes.md", "n1").llm(1200, 50).                                                   // call 3
		failArgs("http_get", u, "HTTPError: 502 (request_id=req_01HX4ABCDEFGHJKMNPQRSTVWX1)").llm(1300, 50). // call 4
		call("take_note", "retrying", "ok").llm(1400, 50).                                                   // call 5
		call("read_file", "notes2.md", "n2").llm(1500, 50).                                                  // call 6
		failArgs("http_get", u, "HTTPError: 502 (request_id=req_01HX5ZZZZZZZZZZZZZZZZZZZZ9)").llm(1600, 50). // call 7
		call("http_get", u, "200 OK").llm(1700, 300)
	s := only(t, tr, analyze.DefaultLoopConfig())
	// Inside: calls 2..7 (first after attempt 1 to first after attempt
	// 3): input 1,100+…+1,600 = 6·1,350 = 8,100, output 300: 8,400.
	if s.Shape != analyze.ShapeInterleaved || s.Repeats != 3 || s.LoopStartCall != 2 || s.WastedTokens != 8400 ||
		s.Ended != analyze.EndedRecovered || s.DistinctArgs != 1 || s.ErrorSignature != "HTTPError: <n> (request_id=req_<id>)" {
		t.Errorf("got %+v", s)
	}
	want := "http_get(https://api.example/v1/items) failed with the same error 3 times, other calls between the attempts, always with the same arguments: HTTPError: <n> (request_id=req_<id>)"
	if s.Evidence != want {
		t.Errorf("evidence %q\nwant %q", s.Evidence, want)
	}
	// Five other tool records between two failures: the agent moved on,
	// so two runs of two, no loop.
	far := new(trace).session("far").llm(1000, 50).fail("http_get", "boom 1").llm(1100, 50).fail("http_get", "boom 2").llm(1200, 50)
	for i := range 5 {
		far.call("read_file", string(rune('a'+i)), "x").llm(1300, 50)
	}
	far.fail("http_get", "boom 3").llm(1400, 50).fail("http_get", "boom 4").llm(1500, 50)
	if r := detect(t, far, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("far apart: %+v", r.Sessions)
	}
}

// fix_test_cycle: edit_file with new arguments, run_tests failing the
// same way (only the duration varies), three times.
func TestLoopFixTest(t *testing.T) {
	tests := map[string]any{"command": "pytest -x"}
	tr := new(trace).session("ft").llm(1000, 50)
	for i, d := range []string{"0.51s", "1.02s", "3.2s"} {
		tr.call("edit_file", map[string]any{"path": "app.py", "new": string(rune('a' + i))}, "ok").llm(1100, 50).
			failArgs("run_tests", tests, "FAILED test_sync - assert 41 == 42 in "+d).llm(1200, 80)
	}
	s := only(t, tr, analyze.DefaultLoopConfig())
	// Calls: 1 (1,000), then per cycle one after the edit (1,100) and one
	// after the test (1,200). Inside: the call after test 1 (call 3) to
	// the one after test 3 (call 7): 1,200+1,100+1,200+1,100+1,200 =
	// 5,800 input, 80+50+80+50+80 = 340 output: 6,140.
	if s.Shape != analyze.ShapeFixTest || s.Repeats != 3 || s.LoopStartCall != 3 || s.WastedTokens != 6140 ||
		s.DistinctArgs != 2 || s.ErrorSignature != "FAILED test_sync - assert <n> == <n> in <dur>" {
		t.Errorf("got %+v", s)
	}
	// The edits between attempts 1-2 and 2-3 are 2 distinct argument sets.
	if want := "run_tests(pytest -x) failed the same way after each of 2 edits (2 different): FAILED test_sync - assert <n> == <n> in <dur>"; s.Evidence != want {
		t.Errorf("evidence %q\nwant %q", s.Evidence, want)
	}
}

// model_only, the apology shape: a large context re-sent three times for
// short answers of different lengths at the session's end.
func TestLoopApology(t *testing.T) {
	tr := new(trace).session("ap").llm(2000, 100).call("read_file", "big.pdf", "…").
		llm(80000, 400).llm(80420, 150).llm(80600, 600)
	s := only(t, tr, analyze.DefaultLoopConfig())
	// Growth 420 ≤ 400+256 and 180 ≤ 150+256; visible outputs 400, 150,
	// 600 differ by more than 15%, but each is ≤ input/40 (2,000) with
	// input ≥ 16,000, and the run ends the session. Inside: calls 3 and
	// 4 (the run's first is legitimate): 80,420+150+80,600+600 = 161,770.
	if s.Shape != analyze.ShapeModelOnly || s.Repeats != 3 || s.LoopStartCall != 3 || s.WastedTokens != 161770 {
		t.Errorf("got %+v", s)
	}
	// The same run followed by a tool call is not at the session's end:
	// an agent thinking hard before acting, not apologising.
	tr = new(trace).session("ap2").llm(2000, 100).call("read_file", "big.pdf", "…").
		llm(80000, 400).llm(80420, 150).llm(80600, 600).call("write_file", "x", "ok").llm(81500, 100)
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("not at the end: %+v", r.Sessions)
	}
}

// Flaky calls that recover, several times in one session, are not loops
// (each episode searches for something else: the same search answered
// the same way four times would be no_progress, failures between or not).
func TestLoopFlakyRecoverNotFlagged(t *testing.T) {
	tr := new(trace).session("flaky").llm(1000, 50)
	for i := range 4 {
		q := "q" + string(rune('a'+i))
		tr.failArgs("search", q, "ConnectionResetError: [Errno 104] Connection reset by peer").llm(1100, 50).
			failArgs("search", q, "ConnectionResetError: [Errno 104] Connection reset by peer").llm(1200, 50).
			call("search", q, "results "+q).llm(1300, 50)
	}
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("flagged %+v", r.Sessions)
	}
}
