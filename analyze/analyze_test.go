package analyze

import (
	"math"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// load runs the real pipeline (ingest → collector → Finish) over files.
func load(t *testing.T, cfg Config, files ...string) *Dataset {
	t.Helper()
	col := NewCollector()
	if _, err := ingest.Run(files, ingest.Options{}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	return col.Finish(cfg)
}

// loadString runs the pipeline over JSONL text given on stdin.
func loadString(t *testing.T, cfg Config, jsonl string) *Dataset {
	t.Helper()
	col := NewCollector()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(jsonl)}, func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	return col.Finish(cfg)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func session(d *Dataset, id string) *Session {
	for _, s := range d.Sessions {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func TestDistributeIsType7(t *testing.T) {
	// Values 1..10. Type 7: h = (n−1)p, Q = x[⌊h⌋] + (h−⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) (0-based).
	// P50: h = 4.5 → 5 + 0.5·1 = 5.5. P95: h = 8.55 → 9 + 0.55 = 9.55. P99: h = 8.91 → 9.91.
	// numpy.percentile(range(1,11), [50,95,99]) gives the same 5.5, 9.55, 9.91.
	vals := []float64{10, 3, 1, 2, 4, 5, 6, 7, 8, 9} // unsorted on purpose
	d := Distribute(vals)
	want := Distribution{P50: 5.5, P95: 9.55, P99: 9.91, Max: 10, Mean: 5.5, Total: 55}
	for name, pair := range map[string][2]float64{"p50": {d.P50, want.P50}, "p95": {d.P95, want.P95}, "p99": {d.P99, want.P99},
		"max": {d.Max, want.Max}, "mean": {d.Mean, want.Mean}, "total": {d.Total, want.Total}} {
		if !near(pair[0], pair[1]) {
			t.Errorf("%s = %v, want %v", name, pair[0], pair[1])
		}
	}
	if vals[0] != 10 {
		t.Error("Distribute sorted its input in place")
	}
	if (Distribute(nil) != Distribution{}) {
		t.Error("empty input should give zeros")
	}
	// One value is every percentile of itself.
	if d := Distribute([]float64{7}); d.P50 != 7 || d.P99 != 7 || d.Total != 7 {
		t.Errorf("single value: %+v", d)
	}
}

// TestReact10 is the problem statement's 10-step ReAct loop: a 1,000-token
// prompt, each step adding 200 output + 300 tool-result tokens.
func TestReact10(t *testing.T) {
	d := load(t, Config{Prices: pricing.Embedded()}, "../testdata/react10.jsonl")
	s := session(d, "react-10")
	if s == nil {
		t.Fatal("no session react-10")
	}
	// Call k sends 1,000 + 500(k−1): Σ = 10·1,000 + 500·(0+…+9) = 10,000 + 22,500 = 32,500.
	// Output: 10 calls × 200 = 2,000. The largest call sends 1,000 + 500·9 = 5,500.
	if s.LLMCalls != 10 || s.ToolCalls != 9 || s.Tokens.Input != 32500 || s.Tokens.Output != 2000 || s.MaxCallInput != 5500 {
		t.Errorf("calls %d tools %d input %d output %d max %d", s.LLMCalls, s.ToolCalls, s.Tokens.Input, s.Tokens.Output, s.MaxCallInput)
	}
	// Amplification 32,500 / 5,500 = 5.909…
	if !near(s.Amplification(), 32500.0/5500.0) {
		t.Errorf("amplification %v", s.Amplification())
	}
	// Claude 3.5 Sonnet, $3 in / $15 out per MTok (Anthropic's pricing page):
	// 32,500 × 3e-6 = $0.0975; 2,000 × 15e-6 = $0.03; total $0.1275.
	if !near(s.CostUSD, 0.1275) {
		t.Errorf("cost %v, want 0.1275", s.CostUSD)
	}
	// Duration: the last call starts at 9·3 s = 27 s and lasts 2 s → 29 s.
	if !near(s.DurationS(), 29) {
		t.Errorf("duration %v", s.DurationS())
	}
}

// TestRetry15 is the problem statement's 15-iteration retry loop.
func TestRetry15(t *testing.T) {
	d := load(t, Config{Prices: pricing.Embedded()}, "../testdata/retry15.jsonl")
	s := session(d, "retry-15")
	// Call k sends 10,000 + 5,000(k−1); call 15 sends 80,000.
	// Σ input = 15·10,000 + 5,000·(0+…+14) = 150,000 + 525,000 = 675,000.
	// Output = 14 retries × 200 + the 500-token apology = 3,300.
	if s.LLMCalls != 15 || s.ToolCalls != 14 || s.ToolErrors != 14 || s.Tokens.Input != 675000 || s.Tokens.Output != 3300 || s.MaxCallInput != 80000 {
		t.Errorf("calls %d tools %d errors %d input %d output %d max %d", s.LLMCalls, s.ToolCalls, s.ToolErrors, s.Tokens.Input, s.Tokens.Output, s.MaxCallInput)
	}
	// $3/$15 per MTok: 675,000 × 3e-6 = $2.025; 3,300 × 15e-6 = $0.0495; total $2.0745.
	if !near(s.CostUSD, 2.0745) {
		t.Errorf("cost %v, want 2.0745", s.CostUSD)
	}
	// 14 iterations of 8 s + 4 s, then the last 8 s call: 14·12 + 8 = 176 s, under a 10-minute timeout.
	if !near(s.DurationS(), 176) {
		t.Errorf("duration %v", s.DurationS())
	}
}

func TestDedupeKeepsFirstAndCounts(t *testing.T) {
	in := `{"id":"a","session_id":"s","seq":1,"kind":"llm","input_tokens":100}
{"id":"a","session_id":"s","seq":1,"kind":"llm","input_tokens":999}
{"id":"b","session_id":"s","seq":2,"kind":"llm","input_tokens":10}
{"session_id":"s","seq":3,"kind":"llm","input_tokens":1}
{"session_id":"s","seq":3,"kind":"llm","input_tokens":1}
{"id":"a","session_id":"other","kind":"llm","input_tokens":5}
`
	d := loadString(t, Config{}, in)
	s := session(d, "s")
	// Line 2 repeats id "a" in session s: dropped, the first copy (100) kept.
	// Lines 4 and 5 have no id: never deduplicated. Id "a" in another session is another event.
	// Input: 100 + 10 + 1 + 1 = 112.
	if s.Tokens.Input != 112 || len(s.Events) != 4 || s.Duplicates != 1 {
		t.Errorf("input %d events %d dups %d", s.Tokens.Input, len(s.Events), s.Duplicates)
	}
	if session(d, "other").Tokens.Input != 5 {
		t.Error("same id in another session was dropped")
	}
	// 6 lines = 5 records + 1 duplicate.
	c := d.Counts
	if c.Lines != 6 || c.Records != 5 || c.Duplicates != 1 || c.Lines != c.LinesWithRecords+c.Duplicates+c.Invalid+c.Blank+c.Skipped || c.LinesWithRecords != c.Records {
		t.Errorf("counts %+v", c)
	}
}

func TestOrdering(t *testing.T) {
	in := `{"session_id":"seq","seq":3,"ts":"2025-01-01T00:00:01Z","kind":"llm","input_tokens":3}
{"session_id":"seq","seq":1,"ts":"2025-01-01T00:00:03Z","kind":"llm","input_tokens":1}
{"session_id":"seq","seq":2,"ts":"2025-01-01T00:00:02Z","kind":"llm","input_tokens":2}
{"session_id":"ts","ts":"2025-01-01T00:00:09Z","kind":"llm","input_tokens":2}
{"session_id":"ts","ts":"2025-01-01T00:00:05Z","kind":"llm","input_tokens":1}
{"session_id":"mixed","seq":2,"kind":"llm","input_tokens":1}
{"session_id":"mixed","kind":"llm","input_tokens":2}
`
	d := loadString(t, Config{}, in)
	order := func(id string) []uint32 {
		var out []uint32
		for _, e := range session(d, id).Events {
			out = append(out, e.Input)
		}
		return out
	}
	// seq wins over ts when every event has one; ts next; input order when
	// seq is missing on some events and ts on all.
	for id, want := range map[string][]uint32{"seq": {1, 2, 3}, "ts": {1, 2}, "mixed": {1, 2}} {
		got := order(id)
		if len(got) != len(want) {
			t.Fatalf("%s: %v", id, got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: order %v, want %v", id, got, want)
				break
			}
		}
	}
	// Duration: 00:00:05 to 00:00:09 (no durations) = 4 s.
	if s := session(d, "ts"); !near(s.DurationS(), 4) {
		t.Errorf("duration %v", s.DurationS())
	}
}

func TestUnpricedIsNotZero(t *testing.T) {
	in := `{"session_id":"s","kind":"llm","model":"no-such-model-7","input_tokens":100,"output_tokens":10}
{"session_id":"s","kind":"llm","model":"no-such-model-7","input_tokens":0,"output_tokens":0}
{"session_id":"s","kind":"llm","model":"gpt-4o","input_tokens":1000,"output_tokens":100,"cost_usd":99}
{"session_id":"r","kind":"llm","model":"mystery","input_tokens":10,"cost_usd":0.5}
`
	// gpt-4o $2.50/$10 per MTok: 1,000 × 2.5e-6 + 100 × 10e-6 = $0.0035.
	for _, tc := range []struct {
		src       CostSource
		s, r      float64
		unpricedS int
		unpricedR int
	}{
		// auto: table first (gpt-4o priced, its cost_usd ignored); "mystery" falls back on its cost_usd.
		{CostAuto, 0.0035, 0.5, 1, 0},
		// computed: only the table; "mystery" is unpriced.
		{CostComputed, 0.0035, 0, 1, 1},
		// record: only cost_usd: gpt-4o's $99 is used; the line without cost_usd is unpriced.
		{CostRecord, 99, 0.5, 1, 0},
	} {
		d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: tc.src}, in)
		s, r := session(d, "s"), session(d, "r")
		if !near(s.CostUSD, tc.s) || !near(r.CostUSD, tc.r) || s.UnpricedCalls != tc.unpricedS || r.UnpricedCalls != tc.unpricedR {
			t.Errorf("source %d: s cost %v unpriced %d, r cost %v unpriced %d", tc.src, s.CostUSD, s.UnpricedCalls, r.CostUSD, r.UnpricedCalls)
		}
	}
}

// TestAttributeFirstInInputOrder: a session attribute is the value of the
// first record (in input order) that carries it, whichever decoding
// goroutine's shard saw it. Here the shard created first holds the later
// record.
func TestAttributeFirstInInputOrder(t *testing.T) {
	col := NewCollector()
	f := col.Factory(0)
	early, late := f(), f()
	early.Record(&ingest.Record{SessionID: "x", Kind: ingest.KindLLM, Line: 100, Attrs: map[string]string{"team": "second"}})
	late.Record(&ingest.Record{SessionID: "x", Kind: ingest.KindLLM, Line: 1, Attrs: map[string]string{"team": "first"}})
	d := col.Finish(Config{})
	if got := d.Sessions[0].Attrs["team"]; got != "first" {
		t.Errorf("team = %q, want first (line 1 precedes line 100)", got)
	}
}
