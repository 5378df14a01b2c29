package analyze_test

// Hand-built sessions for DetectLoops. Every expected number is derived in
// a comment from the records themselves. Prices: claude-3-5-sonnet-20241022
// is $3 per million input tokens and $15 per million output tokens, no
// cache fields are used, so a call costs (3·input + 15·output) / 1e6.

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/ingest"
	_ "github.com/tokcost/tokcost/ingest/claudecode"
	"github.com/tokcost/tokcost/pricing"
)

const sonnet = "claude-3-5-sonnet-20241022"

// trace writes canonical JSONL. Record k of a session (0-based) starts at
// 10:00:00 + 10k seconds and lasts 5 seconds, so a session of n records
// lasts 10(n−1)+5 seconds.
type trace struct {
	buf bytes.Buffer
	sid string
	k   int
}

var t0 = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

func (tr *trace) session(id string) *trace { tr.sid, tr.k = id, 0; return tr }

func (tr *trace) write(m map[string]any) *trace {
	m["session_id"] = tr.sid
	m["seq"] = tr.k + 1
	m["ts"] = t0.Add(time.Duration(tr.k) * 10 * time.Second).Format(time.RFC3339)
	m["duration_ms"] = 5000
	tr.k++
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	tr.buf.Write(b)
	tr.buf.WriteByte('\n')
	return tr
}

func (tr *trace) llm(in, out int64) *trace {
	return tr.write(map[string]any{"kind": "llm", "model": sonnet, "provider": "anthropic", "input_tokens": in, "output_tokens": out})
}

func (tr *trace) ok(tool string) *trace {
	return tr.write(map[string]any{"kind": "tool", "tool": tool, "status": "ok"})
}

func (tr *trace) fail(tool, msg string) *trace {
	return tr.write(map[string]any{"kind": "tool", "tool": tool, "status": "error", "error": msg})
}

func (tr *trace) timeout(tool string) *trace {
	return tr.write(map[string]any{"kind": "tool", "tool": tool, "status": "timeout"})
}

// load runs inputs (paths, or "-" for stdin) through the real pipeline.
func load(t *testing.T, inputs []string, stdin []byte) *analyze.Dataset {
	t.Helper()
	col := analyze.NewCollector()
	_, err := ingest.Run(inputs, ingest.Options{Stdin: bytes.NewReader(stdin)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) })
	if err != nil {
		t.Fatal(err)
	}
	d := col.Finish(analyze.Config{Prices: pricing.Embedded()})
	if d.Counts.Invalid != 0 {
		t.Fatalf("%d invalid lines: %+v", d.Counts.Invalid, d.Examples)
	}
	return d
}

func detect(t *testing.T, tr *trace, cfg analyze.LoopConfig) analyze.Runaway {
	t.Helper()
	return analyze.DetectLoops(load(t, []string{"-"}, tr.buf.Bytes()), cfg)
}

func withRepeats(n int) analyze.LoopConfig {
	c := analyze.DefaultLoopConfig()
	c.MinRepeats = n
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestLoopDefaults(t *testing.T) {
	c := analyze.DefaultLoopConfig()
	if c.Timeout != 10*time.Minute || c.MinRepeats != 3 {
		t.Errorf("DefaultLoopConfig() = %+v, want 10m and 3 repeats", c)
	}
}

// TestLoopRetry15 reads testdata/retry15.jsonl: 15 model calls (inputs
// 10,000, 15,000, … 80,000; outputs 200, the last 500) alternating with 14
// parse_document failures whose messages differ only in numbers and the
// quoted path.
func TestLoopRetry15(t *testing.T) {
	d := load(t, []string{"../testdata/retry15.jsonl"}, nil)
	r := analyze.DetectLoops(d, analyze.DefaultLoopConfig())
	if r.Count != 1 || len(r.Sessions) != 1 {
		t.Fatalf("count %d, %d sessions; want 1", r.Count, len(r.Sessions))
	}
	s := r.Sessions[0]
	// Inside the loop: calls 2..15, the ones reading failures 1..14.
	// Input 15,000+…+80,000 = 14 terms averaging 47,500 = 665,000; output
	// 13·200 + 500 = 3,100; tokens 668,100.
	// Dollars: 665,000·3/1e6 + 3,100·15/1e6 = 1.995 + 0.0465 = 2.0415.
	// Session: input 10,000+…+80,000 = 15·45,000 = 675,000; output
	// 14·200 + 500 = 3,300; 2.025 + 0.0495 = 2.0745.
	// Duration: first start 10:00:00, last record starts 10:02:48 and lasts
	// 8 s: 176 s, under the 600 s timeout.
	want := analyze.RunawaySession{
		SessionID:    "retry-15",
		Workflow:     "doc-ingest",
		UnderTimeout: true,
		DurationS:    176,
		Signal:       analyze.SignalToolError,
		// Back to back, no arguments recorded: same_error, no argument
		// count in the sentence.
		Shape:                analyze.ShapeSameError,
		Evidence:             `parse_document failed with the same error 14 times in a row: ParseError: unexpected token '}' at line <n> col <n> in "<str>"`,
		LoopStartCall:        2,
		LoopStartTS:          "2025-06-02T10:00:12Z", // retry-3
		Repeats:              14,
		Tool:                 "parse_document",
		ErrorSignature:       `ParseError: unexpected token '}' at line <n> col <n> in "<str>"`,
		ErrorExample:         `ParseError: unexpected token '}' at line 4312 col 18 in "/tmp/upload_01a9c.json"`,
		ContextTokensStart:   15000,
		ContextTokensEnd:     80000,
		WastedCalls:          14,
		WastedTokens:         668100,
		WastedCostUSD:        2.0415,
		SessionCostUSD:       2.0745,
		WastedShareOfSession: 2.0415 / 2.0745,
		Ended:                analyze.EndedGaveUp, // the last call answers; nothing succeeds
		Loops:                1,
	}
	checkSession(t, s, want)
	if r.UnderTimeout != 1 || !near(r.WastedCostUSD, 2.0415) || r.WastedTokens != 668100 ||
		!near(r.WastedShare, 2.0415/2.0745) || !near(r.TotalCostUSD, 2.0745) {
		t.Errorf("summary = %+v", r)
	}
	// One session: the top 5% is ceil(0.05) = 1 session, and it loops.
	if r.Top5pctSessions != 1 || r.Top5pctLoops != 1 {
		t.Errorf("top5pct = %d sessions, %d loops; want 1, 1", r.Top5pctSessions, r.Top5pctLoops)
	}
}

func checkSession(t *testing.T, got, want analyze.RunawaySession) {
	t.Helper()
	costs := [][3]any{
		{"wasted_cost_usd", got.WastedCostUSD, want.WastedCostUSD},
		{"session_cost_usd", got.SessionCostUSD, want.SessionCostUSD},
		{"wasted_share_of_session", got.WastedShareOfSession, want.WastedShareOfSession},
		{"duration_s", got.DurationS, want.DurationS},
	}
	for _, c := range costs {
		if !near(c[1].(float64), c[2].(float64)) {
			t.Errorf("%s = %v, want %v", c[0], c[1], c[2])
		}
	}
	got.WastedCostUSD, got.SessionCostUSD, got.WastedShareOfSession, got.DurationS = 0, 0, 0, 0
	want.WastedCostUSD, want.SessionCostUSD, want.WastedShareOfSession, want.DurationS = 0, 0, 0, 0
	if got != want {
		t.Errorf("session\n got %+v\nwant %+v", got, want)
	}
}

// A transient error retried twice, then success: two failing attempts are
// below the default of three. With MinRepeats 2 the same records are a
// loop, which pins that the two messages do mask alike (so the default,
// not a masking accident, is what keeps it out).
func TestLoopTransientRetryTwice(t *testing.T) {
	tr := new(trace).session("transient").
		llm(1000, 100).
		fail("search", "HTTPError: 503 Service Unavailable (request id 1a2b3c4d5e6f)").
		llm(1200, 100).
		fail("search", "HTTPError: 503 Service Unavailable (request id 9f8e7d6c5b4a)").
		llm(1400, 100).
		ok("search").
		llm(1600, 300)
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Fatalf("flagged a transient retry: %+v", r.Sessions)
	}
	r := detect(t, tr, withRepeats(2))
	if r.Count != 1 {
		t.Fatalf("MinRepeats 2: count %d, want 1", r.Count)
	}
	// Inside: calls 2 and 3 (reading failures 1 and 2); call 3 issues the
	// search that succeeds. Tokens 1,300 + 1,500 = 2,800; dollars
	// usd(2,600, 200) = 0.0078 + 0.003 = 0.0108. Session: usd(5,200, 600)
	// = 0.0156 + 0.009 = 0.0246. 7 records: 65 s.
	checkSession(t, r.Sessions[0], analyze.RunawaySession{
		SessionID: "transient", UnderTimeout: true, DurationS: 65, Signal: analyze.SignalToolError,
		Shape:         analyze.ShapeSameError,
		Evidence:      "search failed with the same error 2 times in a row: HTTPError: <n> Service Unavailable (request id <hex>)",
		LoopStartCall: 2, LoopStartTS: "2025-06-02T10:00:20Z", Repeats: 2, Tool: "search",
		ErrorSignature:     "HTTPError: <n> Service Unavailable (request id <hex>)",
		ErrorExample:       "HTTPError: 503 Service Unavailable (request id 1a2b3c4d5e6f)",
		ContextTokensStart: 1200, ContextTokensEnd: 1400, WastedCalls: 2, WastedTokens: 2800,
		WastedCostUSD: 0.0108, SessionCostUSD: 0.0246, WastedShareOfSession: 0.0108 / 0.0246,
		Ended: analyze.EndedRecovered, Loops: 1,
	})
}

// One failure in a parallel batch and six sibling-cancel errors: a naive
// count sees seven errors of Read; it is one event, then the agent goes
// on. Not a loop even at MinRepeats 2. The canonical format carries no
// error class, so this also pins recognition by text.
func TestLoopSiblingCascade(t *testing.T) {
	tr := new(trace).session("cascade").llm(3000, 100).fail("Read", "<tool_use_error>File does not exist.</tool_use_error>")
	for range 6 {
		tr.fail("Read", "<tool_use_error>Sibling tool call errored</tool_use_error>")
	}
	tr.llm(4000, 100).ok("Read").llm(5000, 100).ok("Glob").llm(6000, 300)
	if r := detect(t, tr, withRepeats(2)); r.Count != 0 {
		t.Fatalf("flagged a sibling cascade: %+v", r.Sessions)
	}
}

// Cascades repeated across turns: each turn one real failure and sibling
// cancels. Only the real failures are attempts: three of them, so this is
// a loop of 3, not of 3·4 = 12.
func TestLoopSiblingsNotRepeats(t *testing.T) {
	tr := new(trace).session("batches").llm(1000, 100)
	for i := range 3 {
		tr.fail("Read", "<tool_use_error>File does not exist.</tool_use_error>")
		for range 3 {
			tr.fail("Read", "<tool_use_error>Sibling tool call errored</tool_use_error>")
		}
		tr.llm(int64(2000+1000*i), 100)
	}
	r := detect(t, tr, analyze.DefaultLoopConfig())
	if r.Count != 1 || r.Sessions[0].Repeats != 3 {
		t.Fatalf("want one loop of 3 repeats, got %+v", r.Sessions)
	}
	// Inside: the three calls after each real failure, inputs 2,000, 3,000,
	// 4,000, outputs 100 each: 9,300 tokens.
	if s := r.Sessions[0]; s.WastedTokens != 9300 || s.LoopStartCall != 2 {
		t.Errorf("wasted tokens %d from call %d, want 9300 from call 2", s.WastedTokens, s.LoopStartCall)
	}
}

// A person rejecting the same tool three times is a decision each time,
// not a failing retry.
func TestLoopUserRejection(t *testing.T) {
	const rejected = "The user doesn't want to proceed with this tool use. The tool use was rejected."
	tr := new(trace).session("rejected").llm(1000, 100)
	for i := range 3 {
		tr.fail("Bash", rejected).llm(int64(1500+500*i), 100)
	}
	if r := detect(t, tr, withRepeats(2)); r.Count != 0 {
		t.Fatalf("flagged user rejections: %+v", r.Sessions)
	}
}

// 60 steps over 8 tools, context growing steadily, with two isolated
// failures of the same tool and error that are 20 steps apart.
func TestLoopLongHealthy(t *testing.T) {
	tools := []string{"read_file", "grep", "run_tests", "git_diff", "write_file", "list_dir", "search", "fetch_docs"}
	tr := new(trace).session("long")
	for i := range 60 {
		tr.llm(int64(2000+600*i), int64(100+37*(i%7)))
		switch i {
		case 20, 40:
			tr.fail("run_tests", "FAILED tests/test_api.py::test_sync - AssertionError at line 17")
		default:
			tr.ok(tools[i%len(tools)])
		}
	}
	tr.llm(40000, 800)
	if r := detect(t, tr, withRepeats(2)); r.Count != 0 {
		t.Fatalf("flagged a long healthy session: %+v", r.Sessions)
	}
}

// One very expensive call after reading a big document.
func TestLoopSingleHugeCall(t *testing.T) {
	tr := new(trace).session("huge").llm(2000, 100).ok("read_file").llm(190000, 2000)
	if r := detect(t, tr, withRepeats(1)); r.Count != 0 {
		t.Fatalf("flagged a single huge call: %+v", r.Sessions)
	}
}

// threeFails is a loop of three run_sql failures; records 0..6 are
// call 1, fail, call 2, fail, call 3, fail, call 4.
func threeFails(id string) *trace {
	tr := new(trace).session(id).llm(1000, 100)
	for i, sfx := range []string{"1a2b3c4d", "99ffee00", "0badc0de"} {
		tr.fail("run_sql", `ERROR: relation "staging_`+sfx+`" does not exist at character `+string(rune('1'+i))+`2 (SQLSTATE 42P01)`).
			llm(int64(2000+1000*i), 100)
	}
	return tr
}

// Ended: killed by the runtime (a timeout record), retrying past the
// timeout, or giving up within it.
func TestLoopEnded(t *testing.T) {
	// Killed: a fourth attempt times out. 8 records: 75 s; a timeout
	// record means not under the timeout whatever the duration.
	r := detect(t, threeFails("killed").timeout("run_sql"), analyze.DefaultLoopConfig())
	if r.Count != 1 || r.UnderTimeout != 0 || r.Sessions[0].Ended != analyze.EndedTimedOut || r.Sessions[0].DurationS != 75 {
		t.Errorf("killed: %+v", r)
	}
	// 7 records: 65 s. With a 1-minute timeout the session ran past it
	// while still retrying: timed out. With 10 minutes it gave up.
	short := analyze.LoopConfig{Timeout: time.Minute, MinRepeats: 3}
	r = detect(t, threeFails("past"), short)
	if r.Count != 1 || r.UnderTimeout != 0 || r.Sessions[0].Ended != analyze.EndedTimedOut {
		t.Errorf("past the timeout: %+v", r)
	}
	r = detect(t, threeFails("within"), analyze.DefaultLoopConfig())
	if r.Count != 1 || r.UnderTimeout != 1 || r.Sessions[0].Ended != analyze.EndedGaveUp {
		t.Errorf("within the timeout: %+v", r)
	}
	// Exactly at the limit is not under it (duration < timeout): 65 s.
	r = detect(t, threeFails("edge"), analyze.LoopConfig{Timeout: 65 * time.Second, MinRepeats: 3})
	if r.UnderTimeout != 0 {
		t.Errorf("65 s session under a 65 s timeout: %+v", r)
	}
	// Giving up on the tool and moving on, with the session ending long
	// after: gave up, even past the timeout, since the runtime did not
	// stop the loop.
	r = detect(t, threeFails("moved").ok("read_file").llm(9000, 100), short)
	if r.Count != 1 || r.Sessions[0].Ended != analyze.EndedGaveUp {
		t.Errorf("moved on: %+v", r)
	}
}

// Extra model calls between attempts are inside the loop when another
// attempt follows; after the last attempt only the reaction counts.
func TestLoopPendingCalls(t *testing.T) {
	tr := new(trace).session("pending").
		llm(1000, 10). // call 1 issues the tool
		fail("grep", "grep: invalid regex at offset 12").
		llm(2000, 10). // call 2 reads failure 1: inside
		llm(3000, 10). // call 3 thinks more: inside, since attempt 2 follows
		fail("grep", "grep: invalid regex at offset 40").
		llm(4000, 10). // call 4 reads failure 2: inside
		fail("grep", "grep: invalid regex at offset 7").
		llm(5000, 10). // call 5 reads failure 3: inside
		llm(6000, 10)  // call 6: no attempt follows: outside
	r := detect(t, tr, analyze.DefaultLoopConfig())
	if r.Count != 1 {
		t.Fatalf("count %d, want 1", r.Count)
	}
	// Calls 2-5: 2,010 + 3,010 + 4,010 + 5,010 = 14,040 tokens; context
	// from 2,000 to 5,000.
	s := r.Sessions[0]
	if s.WastedCalls != 4 || s.WastedTokens != 14040 || s.ContextTokensStart != 2000 || s.ContextTokensEnd != 5000 || s.Repeats != 3 {
		t.Errorf("got %+v", s)
	}
}

// Two failures with no model call between them (a batch, or the runtime
// retrying by itself) are one attempt.
func TestLoopNoCallBetweenIsOneAttempt(t *testing.T) {
	tr := new(trace).session("batch").llm(1000, 10)
	for i := range 2 {
		tr.fail("http_get", "HTTPError: 502 Bad Gateway").fail("http_get", "HTTPError: 502 Bad Gateway").llm(int64(2000+1000*i), 10)
	}
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Fatalf("4 failures in 2 attempts flagged at 3 repeats: %+v", r.Sessions)
	}
}

// Model-only loop: after one ordinary step, four calls of one model, no
// tool between, each re-sending the last answer plus a short nudge
// (growth 420, 430, 415 ≤ previous output + 256) with output within 15%
// of the first (400: 410, 395, 405).
func TestLoopLLMOnly(t *testing.T) {
	tr := new(trace).session("llm-only").llm(1000, 100).ok("search").
		llm(2000, 400).llm(2420, 410).llm(2850, 395).llm(3265, 405)
	r := detect(t, tr, analyze.DefaultLoopConfig())
	if r.Count != 1 {
		t.Fatalf("count %d, want 1", r.Count)
	}
	// The run is calls 2-5; its first is legitimate, so inside are calls
	// 3-5: tokens 2,830 + 3,245 + 3,670 = 9,745; dollars usd(8,535, 1,210)
	// = 0.025605 + 0.01815 = 0.043755. Session: usd(11,535, 1,710) =
	// 0.034605 + 0.02565 = 0.060255. Call 3 is record 3 (0-based):
	// 10:00:30; 6 records last 55 s.
	checkSession(t, r.Sessions[0], analyze.RunawaySession{
		SessionID: "llm-only", UnderTimeout: true, DurationS: 55, Signal: analyze.SignalLLMOnly,
		// Context of the loop's first and last calls (inside the loop).
		Shape: analyze.ShapeModelOnly, Evidence: "4 model calls in a row with no tool call, the context growing from 2,420 to 3,265 tokens",
		LoopStartCall: 3, LoopStartTS: "2025-06-02T10:00:30Z", Repeats: 4,
		ContextTokensStart: 2420, ContextTokensEnd: 3265, WastedCalls: 3, WastedTokens: 9745,
		WastedCostUSD: 0.043755, SessionCostUSD: 0.060255, WastedShareOfSession: 0.043755 / 0.060255,
		Ended: analyze.EndedGaveUp, Loops: 1,
	})

	// A conversation: answers of different lengths, or a prompt bigger
	// than a nudge, is not a loop.
	chat := new(trace).session("chat").llm(2000, 400).llm(2500, 90).llm(2700, 800).llm(3600, 420)
	if r := detect(t, chat, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("flagged a conversation: %+v", r.Sessions)
	}
	pasted := new(trace).session("pasted").llm(2000, 400).llm(4400, 400).llm(6800, 400).llm(9200, 400)
	if r := detect(t, pasted, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("flagged growth of 2,000 beyond each answer: %+v", r.Sessions)
	}
}

// Ranking, summary and the top 5%: 21 sessions, so the top 5% is
// ceil(1.05) = 2 sessions.
func TestLoopRankingAndTop(t *testing.T) {
	tr := new(trace)
	// "huge": usd(192,000, 2,100) = 0.576 + 0.0315 = 0.6075, the costliest.
	tr.session("huge").llm(2000, 100).ok("read_file").llm(190000, 2000)
	// "loop-c": three failures, calls of 50,000, 60,000, 70,000, 80,000
	// input and 100 output: wasted calls 2-4, usd(210,000, 300) = 0.63 +
	// 0.0045 = 0.6345; session usd(260,000, 400) = 0.78 + 0.006 = 0.786:
	// the costliest of all.
	tr.session("loop-c").llm(50000, 100)
	for i := range 3 {
		tr.fail("run_sql", "ERROR: deadlock detected (pid 4242)").llm(int64(60000+10000*i), 100)
	}
	// "loop-a" and "loop-b": identical loops (threeFails): tied wasted
	// dollars, so ordered by id. Wasted usd(9,000, 300) = 0.027 + 0.0045 =
	// 0.0315 each; session usd(10,000, 400) = 0.036.
	for _, id := range []string{"loop-b", "loop-a"} {
		tr.session(id).llm(1000, 100)
		for i := range 3 {
			tr.fail("run_sql", "ERROR: deadlock detected (pid 4242)").llm(int64(2000+1000*i), 100)
		}
	}
	// 17 cheap healthy sessions: usd(2,100, 200) = 0.0063 + 0.003 = 0.0093.
	for i := range 17 {
		tr.session("ok-"+string(rune('a'+i))).llm(1000, 100).ok("search").llm(1100, 100)
	}
	r := detect(t, tr, analyze.DefaultLoopConfig())
	var ids []string
	for _, s := range r.Sessions {
		ids = append(ids, s.SessionID)
	}
	if got := strings.Join(ids, ","); got != "loop-c,loop-a,loop-b" {
		t.Errorf("order %s, want loop-c,loop-a,loop-b", got)
	}
	// Wasted 0.6345 + 2·0.0315 = 0.6975; all spend 0.6075 + 0.786 +
	// 2·0.036 + 17·0.0093 = 1.6236.
	if r.Count != 3 || r.UnderTimeout != 3 || !near(r.WastedCostUSD, 0.6975) || !near(r.TotalCostUSD, 1.6236) ||
		!near(r.WastedShare, 0.6975/1.6236) {
		t.Errorf("summary %+v", r)
	}
	// Top 2 by cost: loop-c (0.786) and huge (0.6075): one loop.
	if r.Top5pctSessions != 2 || r.Top5pctLoops != 1 {
		t.Errorf("top5pct = %d sessions, %d loops; want 2, 1", r.Top5pctSessions, r.Top5pctLoops)
	}
	if b, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	} else {
		for _, key := range []string{`"count":3`, `"under_timeout":3`, `"wasted_cost_usd":`, `"wasted_share":`, `"top5pct_sessions":2`,
			`"top5pct_loops":1`, `"sessions":[{"session_id":"loop-c"`, `"loop_start_call":2`, `"loop_start_ts":"2025-06-02T10:00:20Z"`,
			`"repeats":3`, `"tool":"run_sql"`, `"error_signature":"ERROR: deadlock detected (pid \u003cn\u003e)"`,
			`"error_example":"ERROR: deadlock detected (pid 4242)"`, `"context_tokens_start":60000`, `"context_tokens_end":80000`,
			`"wasted_tokens":210300`, `"session_cost_usd":`, `"wasted_share_of_session":`, `"duration_s":65`, `"ended":"gave_up"`} {
			if !bytes.Contains(b, []byte(key)) {
				t.Errorf("JSON lacks %s:\n%s", key, b)
			}
		}
	}
}

// The real Claude Code sub-agent: one "File does not exist" and seven
// sibling cancels in one batch, then 13 healthy turns. Not a loop, even
// at MinRepeats 2 (a naive count would see 8 Read errors).
func TestLoopRealSiblingCascade(t *testing.T) {
	d := load(t, []string{"testdata/agent-a2898e3.jsonl"}, nil)
	siblings := 0
	for _, s := range d.Sessions {
		for _, e := range s.Events {
			if e.Class == ingest.ErrorSiblingCancel {
				siblings++
			}
		}
	}
	if siblings != 7 {
		t.Fatalf("reader tagged %d sibling cancels, want 7 (docs/formats/claude-code.md)", siblings)
	}
	if r := analyze.DetectLoops(d, withRepeats(2)); r.Count != 0 {
		t.Fatalf("flagged the real cascade: %+v", r.Sessions)
	}
}

func TestLoopEmpty(t *testing.T) {
	r := analyze.DetectLoops(&analyze.Dataset{Strings: []string{""}}, analyze.DefaultLoopConfig())
	if r.Count != 0 || r.Sessions == nil || r.Top5pctSessions != 0 {
		t.Errorf("empty: %+v (sessions must be [] in JSON, not null)", r)
	}
}

func TestMaskError(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, ``},
		{`ParseError: unexpected token '}' at line 4312 col 18 in "/tmp/upload_01a9c.json"`,
			`ParseError: unexpected token '}' at line <n> col <n> in "<str>"`},
		{`HTTPError: 500 Internal Server Error for GET https://api.internal.example/v2/records/53592?cursor=cd250660c895 (request 6a9b227d at 2026-01-05T09:24:25.421Z)`,
			`HTTPError: <n> Internal Server Error for GET https://api.internal.example/v<n>/records/<n>?cursor=<hex> (request <hex> at <ts>)`},
		// An id that happens to be all letters a-f: 8+ long is still <hex>;
		// a 6-letter word is a word.
		{`request abcdefab failed: decade`, `request <hex> failed: decade`},
		{`request 123456 and 12345`, `request <hex> and <n>`},
		{`session 123e4567-e89b-12d3-a456-426614174000 not found`, `session <uuid> not found`},
		{`assert 0xdeadbeef == 0x1F`, `assert 0x<hex> == 0x<hex>`},
		{`PermissionError: [Errno 13] Permission denied: '/var/lib/agent/out/report_123.csv'`,
			`PermissionError: [Errno <n>] Permission denied: '<str>'`},
		{`FileNotFoundError: "C:\agent\cache\1a2b3c4d\index.json"`, `FileNotFoundError: "<str>"`},
		{"run `make test-42` first", "run `<str>` first"},
		// Apostrophes are not quotes; one-character quotes stay.
		{`The user doesn't want to proceed with this tool use. The tool use was rejected.`,
			`The user doesn't want to proceed with this tool use. The tool use was rejected.`},
		{`unmatched '(' at 3`, `unmatched '(' at <n>`},
		{`unexpected "EOF at 9`, `unexpected "EOF at <n>`},
		{`at 2025-06-02 10:00:12+02:00 retry on 2025-06-03.`, `at <ts> retry on <ts>.`},
		{`at 2025-06-02T10:00:12,5-0700 and 10:00:12`, `at <ts> and <n>:<n>:<n>`},
		{`not a date 2026-01-05abc`, `not a date <n>-<n>-<n>abc`},
		// A number with a unit is a duration, whatever its magnitude.
		{`retry after 9000ms (SQLSTATE 42P01)`, `retry after <dur> (SQLSTATE <n>P<n>)`},
		{"FAILED - AssertionError\n\tat line 77", "FAILED - AssertionError\n\tat line <n>"},
		{`"a`, `"a`},
		{`'x' "y"`, `'x' "y"`},
	} {
		if got := analyze.MaskError(c.in); got != c.want {
			t.Errorf("MaskError(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestMaskVolatile: for each volatile kind the issue names, two attempts
// that differ only there mask alike, and the mask is the one written by
// hand; a real difference (another message) still differs.
func TestMaskVolatile(t *testing.T) {
	for _, c := range []struct{ kind, a, b, want string }{
		{"request id (ULID, base62)",
			"upstream 502 (request_id=req_01HX3K9V7Q2M8N4P6R5S0T1W2Y)", "upstream 502 (request_id=req_01HX4ABCDEFGHJKMNPQRSTVWXY)",
			"upstream <n> (request_id=req_<id>)"},
		{"request id (UUID)", "request 123e4567-e89b-12d3-a456-426614174000 failed", "request 9f0c1d2e-0000-4aaa-bbbb-0123456789ab failed",
			"request <uuid> failed"},
		{"duration (Go, any magnitude)", "still running after 1m2.503s", "still running after 950ms", "still running after <dur>"},
		{"duration (seconds with a fraction)", "1 failed in 3.21s", "1 failed in 12.07s", "<n> failed in <dur>"},
		{"timestamp", "[09:24:25.421] lease expired at 2026-01-05T09:24:25Z", "[10:01:02.003] lease expired at 2026-01-06T10:01:02Z",
			"[<n>:<n>:<n>.<n>] lease expired at <ts>"},
		{"memory address", "addr=0x0 pc=0x4a2f10", "addr=0x18 pc=0x4b0000", "addr=0x<hex> pc=0x<hex>"},
		{"line:column", "src/app.ts:12:5 - error TS2345", "src/app.ts:407:31 - error TS2345", "src/app.ts:<n>:<n> - error TS<n>"},
		{"temp path (unquoted, Linux)", "No space left on device: /tmp/tmpk3j_9x2a/wheel/build.log", "No space left on device: /tmp/tmpzz81_qpe/wheel/build.log",
			"No space left on device: <tmp>"},
		{"temp path (macOS)", "could not write /var/folders/xy/abc_123/T/go-build1/exe: quota", "could not write /var/folders/q1/zz9/T/go-build77/exe: quota",
			"could not write <tmp>: quota"},
		{"temp path (Windows)", `could not write C:\Users\a\AppData\Local\Temp\go-build12\x.exe: quota`, `could not write C:\Users\a\AppData\Local\Temp\go-build9\x.exe: quota`,
			"could not write <tmp>: quota"},
		{"port", "Connect call failed to localhost:54321", "Connect call failed to localhost:8080", "Connect call failed to localhost:<n>"},
		{"attempt counter", "attempt 3 of 5 failed", "attempt 4 of 5 failed", "attempt <n> of <n> failed"},
	} {
		ma, mb := analyze.MaskError(c.a), analyze.MaskError(c.b)
		if ma != c.want || mb != c.want {
			t.Errorf("%s:\n %q → %q\n %q → %q\nwant %q", c.kind, c.a, ma, c.b, mb, c.want)
		}
	}
	// Not volatile: a CamelCase word stays; a different message differs.
	if got := analyze.MaskError("FileNotFoundError at /tmp/x.json"); got != "FileNotFoundError at <tmp>" {
		t.Errorf("got %q", got)
	}
	if analyze.MaskError("disk quota exceeded: /tmp/a") == analyze.MaskError("permission denied: /tmp/a") {
		t.Error("two different errors mask alike")
	}
}

// FuzzMaskError checks invariants: no decimal digit survives (but the 0 of
// 0x<hex>), valid UTF-8
// stays valid, and masking is deterministic.
func FuzzMaskError(f *testing.F) {
	f.Add(`ParseError: unexpected token '}' at line 4312 col 18 in "/tmp/upload_01a9c.json"`)
	f.Add(`at 2025-06-02T10:00:12.5Z 0x1f 123e4567-e89b-12d3-a456-426614174000 'a'`)
	f.Fuzz(func(t *testing.T, s string) {
		m := analyze.MaskError(s)
		if strings.ContainsAny(strings.ReplaceAll(m, "0x<hex>", ""), "0123456789") {
			t.Errorf("MaskError(%q) = %q keeps a digit", s, m)
		}
		if utf8.ValidString(s) && !utf8.ValidString(m) {
			t.Errorf("MaskError(%q) = %q is not valid UTF-8", s, m)
		}
		if m2 := analyze.MaskError(s); m2 != m {
			t.Errorf("not deterministic: %q then %q", m, m2)
		}
	})
}
