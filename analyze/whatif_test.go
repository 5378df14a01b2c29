package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

func embedded() Config { return Config{Prices: pricing.Embedded()} }

func TestWindowInputs(t *testing.T) {
	// react10: I = 1000, 1500, …, 5500, so dᵢ = 500 for i ≥ 2.
	react := []int64{1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500}
	// K = 2: I′₁ = 1000, I′₂ = min(1500, 1000 + d₂) = 1500, and for i ≥ 3
	// I′ᵢ = min(Iᵢ, 1000 + dᵢ₋₁ + dᵢ) = 2000.
	k2 := []int64{1000, 1500, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000}
	// K = 1: I′ᵢ = min(Iᵢ, 1000 + dᵢ) = 1500 for i ≥ 2.
	k1 := []int64{1000, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500}
	// A context that shrank (compaction) adds nothing: I = 100, 300, 200, 700
	// gives d = 200, 0, 500; K = 2: I′₃ = min(200, 100 + 200 + 0) = 200,
	// I′₄ = min(700, 100 + 0 + 500) = 600.
	for _, c := range []struct {
		in   []int64
		k    int
		want []int64
	}{
		{react, 2, k2},
		{react, 1, k1},
		{react, 10, react}, // a window as long as the session keeps everything
		{[]int64{100, 300, 200, 700}, 2, []int64{100, 300, 200, 600}},
		{nil, 3, []int64{}},
	} {
		if got := windowInputs(c.in, c.k); !slices.Equal(got, c.want) {
			t.Errorf("windowInputs(%v, %d) = %v, want %v", c.in, c.k, got, c.want)
		}
	}
}

func TestWindowReact10(t *testing.T) {
	d := load(t, embedded(), "../testdata/react10.jsonl")
	w, err := Simulate(d, WhatifConfig{Window: 2, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	// K = 2 (TestWindowInputs): calls 4…10 send 2,000 instead of 2,500…5,500,
	// saving 500 + 1,000 + … + 3,500 = 500 × 28 = 14,000 tokens in 7 calls,
	// all uncached, at Claude 3.5 Sonnet's $3/MTok: 14,000 × 3e-6 = $0.042.
	win := w.Window
	if win == nil || win.K != 2 || win.CallsTruncated != 7 || win.TokensSaved != 14000 || !near(win.CostSavedUSD, 0.042) {
		t.Fatalf("window = %+v, want 7 calls, 14,000 tokens, $0.042", win)
	}
	// Baseline: 32,500 input × 3e-6 + 2,000 output × 15e-6 = 0.0975 + 0.03 = $0.1275.
	if !near(w.Baseline.TotalCostUSD, 0.1275) || !near(win.TotalCostUSDAfter, 0.1275-0.042) {
		t.Errorf("baseline %v, after %v", w.Baseline.TotalCostUSD, win.TotalCostUSDAfter)
	}
	if w.Combined == nil || !near(w.Combined.TotalCostUSD, 0.0855) || !slices.Equal(w.Combined.Policies, []string{"window 2"}) {
		t.Errorf("combined = %+v", w.Combined)
	}
}

func TestWindowCachedCall(t *testing.T) {
	// Truncation takes uncached tokens first, then cache reads: a call of
	// 10,000 input with 9,000 cache reads at Sonnet 3.5 ($3 in, $0.30 read)
	// losing 5,000 tokens drops 1,000 uncached ($0.003) and 4,000 reads
	// (4,000 × 0.3e-6 = $0.0012): $0.0042, never more than the input cost.
	rates, _ := pricing.Embedded().Lookup("claude-3-5-sonnet-20241022", "", 0)
	u := pricing.Usage{Input: 10000, CacheRead: 9000, Output: 10}
	s := shrink(u, 5000)
	if s.Input != 5000 || s.CacheRead != 5000 || s.CacheWrite != 0 {
		t.Fatalf("shrink = %+v", s)
	}
	if got := rates.Rates.Cost(u) - rates.Rates.Cost(s); !near(got, 0.0042) {
		t.Errorf("saved %v, want 0.0042", got)
	}
}

// plannerExecutor is testdata/planner_executor.jsonl: one session of 100
// Claude 3 Opus calls of 2,000 input + 400 output tokens. Call k is the
// planner when k mod 5 = 1 (20 calls), else the executor (80 calls); each
// executor call is followed by one tool: read_file when k mod 5 ∈ {2, 3}
// (40 calls), format_output when k mod 5 ∈ {4, 0} (40 calls).
//
// Opus ($15/$75 per MTok): 2,000 × 15e-6 + 400 × 75e-6 = 0.03 + 0.03 = $0.06
// a call, $6.00 the session. Haiku 3 ($0.25/$1.25): 2,000 × 0.25e-6 +
// 400 × 1.25e-6 = 0.0005 + 0.0005 = $0.001 a call.
func TestRoutePlannerExecutor(t *testing.T) {
	d := load(t, embedded(), "../testdata/planner_executor.jsonl")
	w, err := Simulate(d, WhatifConfig{
		Routes: []Route{{Role: "executor", Model: "claude-3-haiku-20240307"}},
		Loops:  DefaultLoopConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !near(w.Baseline.TotalCostUSD, 6.00) {
		t.Fatalf("baseline %v, want $6.00", w.Baseline.TotalCostUSD)
	}
	// 80 executor calls: before 80 × 0.06 = $4.80, after 80 × 0.001 = $0.08,
	// saved $4.72; the session then costs 20 × 0.06 + 0.08 = $1.28.
	r := w.Route[0]
	if r.Match != "role=executor" || r.PricedAs != "claude-3-haiku-20240307" || r.CallsRerouted != 80 ||
		!near(r.CostBeforeUSD, 4.80) || !near(r.CostAfterUSD, 0.08) || !near(r.CostSavedUSD, 4.72) {
		t.Errorf("route = %+v", r)
	}
	if !near(w.Combined.TotalCostUSD, 1.28) || !near(w.Combined.CostSavedUSD, 4.72) {
		t.Errorf("combined = %+v", w.Combined)
	}

	// By tool: read_* matches the 40 calls followed by read_file: before
	// 40 × 0.06 = $2.40, after 40 × 0.001 = $0.04, saved $2.36. The first
	// matching route wins: with role=planner first, its 20 calls are not
	// counted again by the tool rule (no planner call issues a tool anyway).
	w, err = Simulate(d, WhatifConfig{
		Routes: []Route{{Role: "planner", Model: "claude-3-opus"}, {Tool: "read_*", Model: "claude-3-haiku"}},
		Caps:   []int{50},
		Loops:  DefaultLoopConfig(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := w.Route[1]; r.CallsRerouted != 40 || !near(r.CostBeforeUSD, 2.40) || !near(r.CostAfterUSD, 0.04) {
		t.Errorf("tool route = %+v", r)
	}
	if r := w.Route[0]; r.CallsRerouted != 20 || !near(r.CostSavedUSD, 0) {
		t.Errorf("planner route to the same model = %+v", r)
	}
	// Cap 50 keeps calls 1…50, dropping 50 × 0.06 = $3.00. Combined: of the
	// kept calls, k mod 5 ∈ {2, 3} are 20 read_file calls at $0.001, the
	// other 30 stay at $0.06: 30 × 0.06 + 20 × 0.001 = $1.82.
	if c := w.Caps[0]; c.SessionsCut != 1 || !near(c.CostSavedUSD, 3.00) || !near(c.P95CostUSDAfter, 3.00) {
		t.Errorf("cap 50 = %+v", c)
	}
	if !near(w.Combined.TotalCostUSD, 1.82) || w.Combined.Cap != 50 {
		t.Errorf("combined = %+v", w.Combined)
	}
}

func TestRouteUnknownTarget(t *testing.T) {
	d := load(t, embedded(), "../testdata/planner_executor.jsonl")
	_, err := Simulate(d, WhatifConfig{Routes: []Route{{Role: "executor", Model: "made-up-model-9"}}})
	if !errors.Is(err, ErrUnknownTarget) {
		t.Errorf("err = %v, want ErrUnknownTarget", err)
	}
	if _, err := Simulate(d, WhatifConfig{Routes: []Route{{Tool: "[", Model: "claude-3-haiku"}}}); err == nil {
		t.Error("a malformed pattern was accepted")
	}
}

// genRates are the generator's prices ($/MTok: in, out, cache read, cache
// write), copied from gen/rates.go; gen's own formula prices its truth.
var genRates = map[string][4]float64{
	"claude-sonnet-4-5": {3, 15, 0.30, 3.75},
	"claude-haiku-4-5":  {1, 5, 0.10, 1.25},
	"gpt-4o":            {2.50, 10, 1.25, 0},
	"gpt-4o-mini":       {0.15, 0.60, 0.075, 0},
	"gpt-5":             {1.25, 10, 0.125, 0},
}

// genSession is one session as read back with encoding/json alone.
type genSession struct {
	calls []float64 // cost of each model call, in order
	loop  bool
}

// readGenerated parses generated traces without tokcost's pipeline: the
// generator writes each session's records in order and a duplicate right
// after its original, with the same id.
func readGenerated(t *testing.T, traces, truth []byte) map[string]*genSession {
	t.Helper()
	out := map[string]*genSession{}
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(traces))
	for dec.More() {
		var r struct {
			ID               string  `json:"id"`
			SessionID        string  `json:"session_id"`
			Kind             string  `json:"kind"`
			Model            string  `json:"model"`
			InputTokens      float64 `json:"input_tokens"`
			OutputTokens     float64 `json:"output_tokens"`
			CacheReadTokens  float64 `json:"cache_read_tokens"`
			CacheWriteTokens float64 `json:"cache_write_tokens"`
		}
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		s := out[r.SessionID]
		if s == nil {
			s = &genSession{}
			out[r.SessionID] = s
		}
		if r.Kind != "llm" {
			continue
		}
		m, ok := genRates[r.Model]
		if !ok {
			t.Fatalf("generator model %q not in genRates", r.Model)
		}
		cost := ((r.InputTokens-r.CacheReadTokens-r.CacheWriteTokens)*m[0] + r.OutputTokens*m[1] +
			r.CacheReadTokens*m[2] + r.CacheWriteTokens*m[3]) / 1e6
		s.calls = append(s.calls, cost)
	}
	dec = json.NewDecoder(bytes.NewReader(truth))
	for dec.More() {
		var tr gen.Truth
		if err := dec.Decode(&tr); err != nil {
			t.Fatal(err)
		}
		out[tr.SessionID].loop = tr.Loop
	}
	return out
}

// TestCapSweepAgainstGenerator checks every cap against an independent
// recomputation: records parsed with encoding/json, calls priced with the
// generator's rate table, runaway sessions from the generator's truth.
func TestCapSweepAgainstGenerator(t *testing.T) {
	var traces, truth bytes.Buffer
	if _, err := gen.Generate(&traces, &truth, gen.Options{Sessions: 1500, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	ref := readGenerated(t, traces.Bytes(), truth.Bytes())
	d := loadString(t, embedded(), traces.String())
	caps := []int{50, 5, 10, 15, 20, 30, 10} // unsorted, with a repeat
	w, err := Simulate(d, WhatifConfig{Caps: caps, MaxCollateral: 0.01, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(w.Caps); got != 6 || w.Caps[0].Cap != 5 || w.Caps[5].Cap != 50 {
		t.Fatalf("caps not sorted and deduplicated: %+v", w.Caps)
	}
	check := func(c CapResult) {
		t.Helper()
		var saved float64
		cut, healthy, runaway, nHealthy := 0, 0, 0, 0
		for _, s := range ref {
			if !s.loop {
				nHealthy++
			}
			if len(s.calls) <= c.Cap {
				continue
			}
			for _, v := range s.calls[c.Cap:] {
				saved += v
			}
			cut++
			if s.loop {
				runaway++
			} else {
				healthy++
			}
		}
		if c.SessionsCut != cut || c.HealthySessionsCut != healthy || c.RunawaySessionsCut != runaway ||
			math.Abs(c.CostSavedUSD-saved) > 1e-9*math.Max(1, saved) ||
			!near(c.HealthySessionsCutShare, float64(healthy)/float64(nHealthy)) {
			t.Errorf("cap %d: got cut %d healthy %d runaway %d saved %.9f share %v; reference %d %d %d %.9f",
				c.Cap, c.SessionsCut, c.HealthySessionsCut, c.RunawaySessionsCut, c.CostSavedUSD, c.HealthySessionsCutShare,
				cut, healthy, runaway, saved)
		}
	}
	anyCut := false
	for _, c := range w.Caps {
		check(c)
		anyCut = anyCut || c.RunawaySessionsCut > 0
	}
	if !anyCut {
		t.Error("no cap cut a runaway session: the sweep tests nothing")
	}
	// The recommended cap, by brute force: the smallest N whose healthy
	// cut is at most ⌊1% of healthy sessions⌋.
	nHealthy := 0
	for _, s := range ref {
		if !s.loop {
			nHealthy++
		}
	}
	allowed := int(0.01 * float64(nHealthy))
	want := 0
	for n := 1; want == 0; n++ {
		cut := 0
		for _, s := range ref {
			if !s.loop && len(s.calls) > n {
				cut++
			}
		}
		if cut <= allowed {
			want = n
		}
	}
	rc := w.RecommendedCap
	if rc == nil || rc.Cap != want {
		t.Fatalf("recommended cap = %+v, want %d", rc, want)
	}
	// RecommendCap (the HTML cap chart's marker) agrees with the same
	// brute force.
	if n, ok := RecommendCap(d.Summaries(DefaultLoopConfig(), false), DetectLoops(d, DefaultLoopConfig()), 0.01); !ok || n != want {
		t.Errorf("RecommendCap = %d, %v; want %d", n, ok, want)
	}
	check(rc.CapResult)
	if rc.HealthySessionsCut > allowed {
		t.Errorf("recommended cap cuts %d healthy sessions, allowed %d", rc.HealthySessionsCut, allowed)
	}
}

func TestRecommendCapEdges(t *testing.T) {
	// 10 healthy sessions with 1…10 calls; 10% may be cut → one session:
	// cap 9 cuts only the 10-call session.
	calls := []int{3, 1, 2, 4, 5, 6, 7, 8, 9, 10}
	if n, ok := recommendCap(calls, 0.10); !ok || n != 9 {
		t.Errorf("recommendCap(1…10, 10%%) = %d, %v; want 9", n, ok)
	}
	if n, _ := recommendCap(calls, 0); n != 10 {
		t.Errorf("no collateral: %d, want 10", n)
	}
	if n, _ := recommendCap(calls, 1); n != 1 {
		t.Errorf("all collateral allowed: %d, want 1", n)
	}
	if _, ok := recommendCap(nil, 0.01); ok {
		t.Error("a cap was recommended with no healthy sessions")
	}
	// 100 sessions with 1…100 calls, 29% may be cut: ⌊0.29·100⌋ = 29 sessions
	// (the ones with 72…100 calls), so the cap is 71. In float64
	// 0.29·100 = 28.999999999999996, which a plain int() truncates to 28.
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	if n, _ := recommendCap(hundred, 0.29); n != 71 {
		t.Errorf("recommendCap(1…100, 29%%) = %d, want 71", n)
	}
}

// TestWindowRecordedCostNotRepriced: under --cost-source record a call's
// cost is the producer's cost_usd; a window saving at table rates would
// be subtracted from a different number (and went negative). Such calls'
// saved tokens are reported, unpriced.
func TestWindowRecordedCostNotRepriced(t *testing.T) {
	var b strings.Builder
	// 10 gpt-4o calls: inputs 1,000, 101,000, …, 901,000, each cost_usd $0.0001.
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, `{"session_id":"s","seq":%d,"kind":"llm","model":"gpt-4o","input_tokens":%d,"output_tokens":10,"cost_usd":0.0001}`+"\n", i+1, 1000+100000*i)
	}
	cfg := embedded()
	cfg.CostSource = CostRecord
	d := loadString(t, cfg, b.String())
	w, err := Simulate(d, WhatifConfig{Window: 1, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	// Window K=1: call i keeps 1,000 + d_i = 1,000 + 100,000 for i ≥ 2, so
	// calls 3…10 lose 100,000·(i−2) tokens: 100,000·(1+…+8) = 3,600,000.
	if w.Window.CostSavedUSD != 0 || w.Window.UnpricedTokensSaved != 3600000 || w.Window.TotalCostUSDAfter < 0 {
		t.Errorf("window %+v", *w.Window)
	}
}

func TestRouteAllAndFlagship(t *testing.T) {
	d := load(t, embedded(), "../testdata/react10.jsonl", "../testdata/planner_executor.jsonl")
	// Opus 3 ($75/MTok out) is dearer than Sonnet 3.5 ($15/MTok out).
	if f := FlagshipModel(d); f != "claude-3-opus-20240229" {
		t.Fatalf("flagship = %q", f)
	}
	w, err := Simulate(d, WhatifConfig{Routes: []Route{{All: true, Model: "claude-3-opus-20240229"}}})
	if err != nil {
		t.Fatal(err)
	}
	// react10 on Opus: 32,500 × 15e-6 + 2,000 × 75e-6 = 0.4875 + 0.15 =
	// $0.6375; planner-executor stays $6.00. 110 calls rerouted.
	if r := w.Route[0]; r.CallsRerouted != 110 || !near(w.Combined.TotalCostUSD, 6.6375) || r.Match != "all" {
		t.Errorf("route all = %+v, combined %v", r, w.Combined.TotalCostUSD)
	}
}

// TestCapSweepMatchesSimulate: the cap sweep alone (what the HTML report
// charts) equals Simulate's cap results on the same data, and the kept
// model-call costs give droppedCost's exact sums, also for priced steps
// that are not model calls (a tool step with tokens), which the generated
// fleet does not have.
func TestCapSweepMatchesSimulate(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 1500, Seed: 9}); err != nil {
		t.Fatal(err)
	}
	d := loadString(t, Config{Prices: pricing.Embedded()}, b.String())
	caps := []int{9, 1, 3, 3, 25}
	w, err := Simulate(d, WhatifConfig{Caps: caps, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	sweep, err := CapSweep(d.Summaries(DefaultLoopConfig(), true), caps)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sweep, w.Caps) {
		t.Fatalf("CapSweep %+v\nSimulate %+v", sweep, w.Caps)
	}

	// Hand-made session: costs 0.1 (call 1), 0.25 (tool with tokens,
	// after call 1), 0.3 (call 2), 0 (tool), 0.7 (call 3), 0.05 (tool
	// after call 3). Capped at 1 call, the dropped events are 0.3, 0, 0.7,
	// 0.05: 1.05 (added left to right, as droppedCost does); at 2: 0.75;
	// at 3: 0.
	s := &Session{Events: []Event{
		{Kind: ingest.KindLLM, Cost: 0.1}, {Kind: ingest.KindTool, Cost: 0.25},
		{Kind: ingest.KindLLM, Cost: 0.3}, {Kind: ingest.KindTool},
		{Kind: ingest.KindLLM, Cost: 0.7}, {Kind: ingest.KindTool, Cost: 0.05},
	}}
	cc := newCapCosts(s.Events)
	for c, want := range map[int]float64{0: 0.1 + 0.25 + 0.3 + 0.7 + 0.05, 1: 0.3 + 0.7 + 0.05, 2: 0.7 + 0.05, 3: 0, 4: 0} {
		if got, ev := cc.dropped(c), droppedCost(&s.Summary, s.Events, c); got != ev || ev != want {
			t.Errorf("cap %d: from kept costs %v, from events %v, want %v", c, got, ev, want)
		}
	}
}

// TestRoutePartialTarget: a routed call whose web searches the target has
// no fee for is counted and warned about, not silently priced without the
// fee. claude-opus-4-6 (pricing/source: $5/$25, $0.01 a search) routed to
// claude-3-haiku-20240307 ($0.25/$1.25, no search price):
//
//	before 1,000×5 + 100×25 = 7,500 µ$ + 2 × 10,000 µ$ = 27,500 µ$
//	after  1,000×0.25 + 100×1.25 = 375 µ$, the searches unpriced
func TestRoutePartialTarget(t *testing.T) {
	jsonl := `{"session_id":"s","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"claude-opus-4-6","role":"executor","usage":{"input_tokens":1000,"output_tokens":100,"server_tool_use":{"web_search_requests":2}}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	sim, err := Simulate(d, WhatifConfig{Routes: []Route{{Role: "executor", Model: "claude-3-haiku-20240307"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := sim.Route[0]
	if r.CallsRerouted != 1 || r.PartialCalls != 1 || !near(r.CostBeforeUSD, 0.0275) || !near(r.CostAfterUSD, 0.000375) {
		t.Errorf("route: %+v, want 1 rerouted, 1 partial, $0.0275 → $0.000375", r)
	}
	if !slices.ContainsFunc(sim.Warnings, func(w string) bool { return strings.Contains(w, "the target has no price for") }) {
		t.Errorf("no warning about the partial route: %q", sim.Warnings)
	}
}
