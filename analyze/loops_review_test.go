package analyze_test

import (
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

// Two loops over the same model calls (a test run and a lint run failing
// side by side every turn) waste those calls once, not twice: wasted
// tokens can never exceed what the session spent.
func TestLoopOverlappingRunsCountedOnce(t *testing.T) {
	tr := new(trace).session("two").llm(1000, 50)
	for i := range 3 {
		tr.failArgs("run_tests", "pytest", "FAILED test_a").
			failArgs("run_lint", "ruff .", "E501 line too long").
			llm(int64(2000+1000*i), 50)
	}
	r := detect(t, tr, analyze.DefaultLoopConfig())
	if r.Count != 1 {
		t.Fatalf("count %d, want 1", r.Count)
	}
	s := r.Sessions[0]
	// Both runs have 3 attempts read by calls 2, 3 and 4: inside each
	// loop are calls 2-4, input 2,000 + 3,000 + 4,000 = 9,000, output
	// 3·50 = 150, tokens 9,150; cost (3·9,000 + 15·150)/1e6 = 0.02925.
	// The session spent 1,050 + 9,150 = 10,200 tokens in all.
	if s.Loops != 2 || s.WastedTokens != 9150 {
		t.Errorf("loops %d, wasted tokens %d, want 2 loops wasting 9,150 tokens (calls 2-4 once)", s.Loops, s.WastedTokens)
	}
	if d := s.WastedCostUSD - 0.02925; d > 1e-12 || d < -1e-12 {
		t.Errorf("wasted $%v, want $0.02925", s.WastedCostUSD)
	}
	if s.WastedShareOfSession > 1 || r.WastedTokens != 9150 {
		t.Errorf("share of session %v, summary wasted tokens %d", s.WastedShareOfSession, r.WastedTokens)
	}
}

// Different commands that fail with no error text at all (Codex: grep
// finding nothing exits 1 with empty output) are not one error retried:
// an empty signature says nothing, so only the same arguments make
// attempts of one run. The same command failing silently still loops.
func TestLoopEmptyErrorDifferentCommands(t *testing.T) {
	tr := new(trace).session("search").llm(1000, 50)
	for i, pat := range []string{"grep -rn Foo src", "grep -rn FooBar lib", "grep -rn foo_bar tests", "grep -rn fooBar ."} {
		tr.failArgs("shell", pat, "").llm(int64(2000+1000*i), 50)
	}
	tr.call("shell", "cat src/app.py", "text").llm(7000, 200)
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("four different searches with no match flagged: %+v", r.Sessions)
	}
	same := new(trace).session("same").llm(1000, 50)
	for i := range 4 {
		same.failArgs("shell", "make build", "").llm(int64(2000+1000*i), 50)
	}
	if r := detect(t, same, analyze.DefaultLoopConfig()); r.Count != 1 || r.Sessions[0].Repeats != 4 {
		t.Errorf("the same command failing silently 4 times: %+v", r)
	}
}

// Polling that ends in a failure ended all the same: the job the agent
// waited for finished (red), which is an answer, not the same one.
func TestLoopPollEndingInFailure(t *testing.T) {
	args := map[string]any{"run_id": "42"}
	tr := new(trace).session("ci").llm(1000, 50)
	for range 5 {
		tr.call("ci_status", args, "in_progress").llm(1100, 20)
	}
	tr.failArgs("ci_status", args, "run 42 failed: 3 tests red").llm(1200, 300).
		call("read_file", map[string]any{"path": "log.txt"}, "log").llm(1500, 300)
	if r := detect(t, tr, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("a poll that ended in a failure flagged: %+v", r.Sessions)
	}
}

// The same failing command retried 10 times, a read between attempts,
// the error carrying a 14-character request id (Stripe's req_ ids are
// 14 letters and digits): one loop, not ten different errors.
func TestLoopShortRequestID(t *testing.T) {
	ids := []string{"1a2B3c4D5e6F7g", "Zx9Yw8Vu7Ts6Rq", "p0O9i8U7y6T5r4", "Qw3Er4Ty5Ui6Op", "a1S2d3F4g5H6j7",
		"K8l9Z0x1C2v3B4", "n5M6q7W8e9R0t1", "Y2u3I4o5P6a7S8", "d9F0g1H2j3K4l5", "Z6x7C8v9B0n1M2"}
	tr := new(trace).session("stripe").llm(1000, 50)
	for i, id := range ids {
		tr.failArgs("bash", "curl -X POST https://api.stripe.com/v1/charges", "StripeError: 429 Too Many Requests (request id req_"+id+")").
			llm(int64(2000+1000*i), 50).
			call("read_file", map[string]any{"path": "notes" + string(rune('a'+i)) + ".md"}, "n").llm(int64(2500+1000*i), 50)
	}
	s := only(t, tr, analyze.DefaultLoopConfig())
	if s.Repeats != 10 || s.Shape != analyze.ShapeInterleaved {
		t.Errorf("got %+v", s)
	}
	if got, want := analyze.MaskError("req_1a2B3c4D5e6F7g"), "req_<id>"; got != want {
		t.Errorf("mask %q, want %q", got, want)
	}
	// Ordinary words with a digit or two stay: TS2345, sha256sum, python311.
	if got, want := analyze.MaskError("error TS2345 in sha256sum"), "error TS<n> in sha<n>sum"; got != want {
		t.Errorf("mask %q, want %q", got, want)
	}
}
