package analyze_test

// Same error, different arguments (docs/loops.md, "Same error, other
// arguments"): a retry storm that changes its arguments is a loop; a batch
// over different items, some of which succeed, is not.

import (
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

func missing(path string) string {
	return "FileNotFoundError: [Errno 2] No such file or directory: '" + path + "'"
}

// An agent guessing a file's path: four reads of four different paths,
// each failing the same way (the quoted path is masked), each read by a
// model call; then a right guess. A loop, with 4 different arguments.
func TestLoopSameErrorOtherArgsGuessing(t *testing.T) {
	tr := new(trace).session("guess").llm(1000, 50) // call 1
	for i, p := range []string{"src/conf.py", "conf.py", "app/conf.py", "lib/conf.py"} {
		tr.failArgs("read_file", map[string]any{"path": p}, missing(p)).llm(int64(1100+100*i), 50) // calls 2-5
	}
	tr.call("read_file", map[string]any{"path": "config/conf.py"}, "x = 1").llm(1600, 50) // call 6
	s := only(t, tr, analyze.DefaultLoopConfig())
	// Inside: the call after attempt 1 (call 2) to the one after attempt
	// 4 (call 5): input 1,100+1,200+1,300+1,400 = 5,000, output 4·50 =
	// 200: 5,200 tokens.
	if s.Shape != analyze.ShapeSameError || s.Repeats != 4 || s.DistinctArgs != 4 || s.LoopStartCall != 2 ||
		s.WastedTokens != 5200 || s.ArgsExample != "src/conf.py" {
		t.Errorf("got %+v", s)
	}
	// The right guess is a success of the same tool with other arguments,
	// but no failure follows it, so it came between no two attempts: not
	// a batch.
}

// A batch: fetch over eight different URLs, one at a time, each read by a
// model call; five 404 the same way, three succeed, successes between
// failures. Not a loop: each failure is its item's. The same batch in
// which one URL is fetched again after its 404 is a retry, so a loop; and
// the same failures without recorded arguments are flagged as before.
func TestLoopSameErrorOtherArgsBatch(t *testing.T) {
	url := func(i int) string { return "https://ex.example/items/" + string(rune('a'+i)) }
	fail := func(tr *trace, i int) *trace {
		return tr.failArgs("fetch", map[string]any{"url": url(i)}, "HTTPError: 404 Not Found for url '"+url(i)+"'")
	}
	ok := func(tr *trace, i int) *trace { return tr.call("fetch", map[string]any{"url": url(i)}, "body "+url(i)) }
	// fail 0, ok 1, fail 2, fail 3, ok 4, fail 5, ok 6, fail 7.
	plan := []bool{false, true, false, false, true, false, true, false}
	batch := new(trace).session("batch").llm(1000, 50)
	for i, good := range plan {
		if good {
			ok(batch, i).llm(1100, 50)
		} else {
			fail(batch, i).llm(1100, 50)
		}
	}
	if r := detect(t, batch, analyze.DefaultLoopConfig()); r.Count != 0 {
		t.Errorf("batch flagged: %+v", r.Sessions)
	}

	// Retried: url 0 fails, url 1 succeeds, url 0 fails twice more. An
	// attempt repeats its arguments, so it is a loop of 3, interleaved (a
	// success between attempts 1 and 2), with 1 distinct argument (url 0).
	retry := new(trace).session("retry").llm(1000, 50) // call 1
	fail(retry, 0).llm(1100, 50)                       // call 2
	ok(retry, 1).llm(1200, 50)                         // call 3
	fail(retry, 0).llm(1300, 50)                       // call 4
	fail(retry, 0).llm(1400, 50)                       // call 5
	s := only(t, retry, analyze.DefaultLoopConfig())
	// Inside: calls 2..5: input 1,100+1,200+1,300+1,400 = 5,000, output
	// 200: 5,200.
	if s.Shape != analyze.ShapeInterleaved || s.Repeats != 3 || s.DistinctArgs != 1 || s.WastedTokens != 5200 {
		t.Errorf("retry: %+v", s)
	}

	// Only failures, every URL different, nothing succeeding between them:
	// an agent trying new URLs on a dead endpoint is a loop, same_error,
	// 5 attempts with 5 different arguments.
	dead := new(trace).session("dead").llm(1000, 50)
	for i := range 5 {
		fail(dead, i).llm(1100, 50)
	}
	if s := only(t, dead, analyze.DefaultLoopConfig()); s.Shape != analyze.ShapeSameError || s.Repeats != 5 || s.DistinctArgs != 5 {
		t.Errorf("dead endpoint: %+v", s)
	}

	// No arguments recorded: the rule does not apply. Three failures with
	// a success of another tool between each two are an interleaved loop,
	// as before.
	bare := new(trace).session("bare").llm(1000, 50)
	for range 3 {
		bare.fail("fetch", "HTTPError: 404 Not Found for url 'https://ex.example/items/a'").llm(1100, 50).ok("read_file").llm(1100, 50)
	}
	if s := only(t, bare, analyze.DefaultLoopConfig()); s.Shape != analyze.ShapeInterleaved || s.Repeats != 3 || s.DistinctArgs != 0 {
		t.Errorf("no arguments: %+v", s)
	}
}
