package analyze

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestServiceTierPricing runs canonical JSONL through the pipeline and
// checks each call is billed at its service tier's rates, and that a tier
// the table has no rates for is billed standard and counted.
//
// gpt-5.4, LiteLLM entry (OpenAI pricing page), $/MTok in/out/cached:
// standard 2.50/15/0.25, priority 5/30/0.50, flex 1.25/7.50/0.13; no scale
// rates. Each gpt-5.4 call: 100,000 input (60,000 cached), 2,000 output:
//
//	standard 40,000×2.5 + 60,000×0.25 + 2,000×15 = 145,000 µ$
//	priority 40,000×5   + 60,000×0.5  + 2,000×30 = 290,000 µ$
//	flex     40,000×1.25 + 60,000×0.13 + 2,000×7.5 = 72,800 µ$
//
// claude-sonnet-4-5-20250929 (LiteLLM: $3/$15, no batch rates) in batch:
// standard rates, 1,000×3 + 100×15 = 4,500 µ$, reported.
func TestServiceTierPricing(t *testing.T) {
	const call = `"kind":"llm","model":"gpt-5.4","input_tokens":100000,"cache_read_tokens":60000,"output_tokens":2000`
	jsonl := `{"session_id":"s","ts":"2026-07-01T00:00:00Z",` + call + `}
{"session_id":"s","ts":"2026-07-01T00:00:01Z",` + call + `,"service_tier":"priority"}
{"session_id":"s","ts":"2026-07-01T00:00:02Z",` + call + `,"service_tier":"flex"}
{"session_id":"s","ts":"2026-07-01T00:00:03Z",` + call + `,"service_tier":"scale"}
{"session_id":"s","ts":"2026-07-01T00:00:04Z",` + call + `,"service_tier":"default"}
{"session_id":"s","ts":"2026-07-01T00:00:05Z","kind":"llm","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"service_tier":"batch"}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	want := []float64{0.145, 0.29, 0.0728, 0.145, 0.145, 0.0045}
	ev := d.Sessions[0].Events
	if len(ev) != len(want) {
		t.Fatalf("%d events, want %d", len(ev), len(want))
	}
	for i, w := range want {
		if !near(ev[i].Cost, w) {
			t.Errorf("event %d (tier %s): cost %.10g, want %.10g", i, ev[i].Tier, ev[i].Cost, w)
		}
	}
	for _, m := range d.Models {
		tiers := m.ByTier.Used()
		switch m.Model {
		case "gpt-5.4":
			// standard 2 calls (the untiered and "default"), priority, flex,
			// scale (billed standard: 145,000 µ$, counted).
			wantT := []TierUsage{
				{Tier: "standard", Calls: 2, Tokens: 204_000, CostUSD: 0.29},
				{Tier: "priority", Calls: 1, Tokens: 102_000, CostUSD: 0.29},
				{Tier: "flex", Calls: 1, Tokens: 102_000, CostUSD: 0.0728},
				{Tier: "scale", Calls: 1, Tokens: 102_000, CostUSD: 0.145, StandardRateCalls: 1, StandardRateTokens: 102_000},
			}
			checkTiers(t, m.Model, tiers, wantT)
		case "claude-sonnet-4-5-20250929":
			checkTiers(t, m.Model, tiers, []TierUsage{{Tier: "batch", Calls: 1, Tokens: 1_100, CostUSD: 0.0045, StandardRateCalls: 1, StandardRateTokens: 1_100}})
		default:
			t.Errorf("unexpected model %q", m.Model)
		}
	}
	if ev[5].Tier != ingest.TierBatch {
		t.Errorf("usage.service_tier: tier %v, want batch", ev[5].Tier)
	}
}

func checkTiers(t *testing.T, model string, got, want []TierUsage) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: tiers %+v, want %+v", model, got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Tier != w.Tier || g.Calls != w.Calls || g.Tokens != w.Tokens || !near(g.CostUSD, w.CostUSD) ||
			g.StandardRateCalls != w.StandardRateCalls || g.StandardRateTokens != w.StandardRateTokens {
			t.Errorf("%s tier %d: %+v, want %+v", model, i, g, w)
		}
	}
}

// TestServerToolFees: web searches are billed per search from the table, as
// a cost class of their own, and searches without a price are counted.
//
// claude-opus-4-6, LiteLLM entry: $5/$25 per MTok, search_context_cost_per_query
// $0.01 (Anthropic pricing page: web search $10 per 1,000 searches). The call:
// 1,000 input, 100 output, 3 searches: 1,000×5 + 100×25 = 7,500 µ$ of tokens,
// 3 × $0.01 = $0.03 of searches, $0.0375 in all.
// gpt-4o has no search price in LiteLLM: its 2 searches are counted, not billed;
// 1,000×2.5 + 100×10 = 3,500 µ$ of tokens.
func TestServerToolFees(t *testing.T) {
	jsonl := `{"session_id":"s","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"server_tool_use":{"web_search_requests":3,"web_fetch_requests":1}}}
{"session_id":"s","ts":"2026-07-01T00:00:01Z","kind":"llm","model":"gpt-4o","usage":{"prompt_tokens":1000,"completion_tokens":100,"server_tool_use":{"web_search_requests":2}}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	ev := d.Sessions[0].Events
	if len(ev) != 2 || ev[0].WebSearches != 3 || ev[1].WebSearches != 2 {
		t.Fatalf("events %+v", ev)
	}
	if !near(ev[0].Cost, 0.0375) || !near(ev[1].Cost, 0.0035) {
		t.Errorf("costs %.10g %.10g, want 0.0375 0.0035", ev[0].Cost, ev[1].Cost)
	}
	for _, m := range d.Models {
		switch m.Model {
		case "claude-opus-4-6":
			if !near(m.CostByPart.ServerTools, 0.03) || m.WebSearches != 3 || m.UnpricedWebSearches != 0 {
				t.Errorf("%s: server tools $%g, searches %d, unpriced %d; want $0.03, 3, 0", m.Model, m.CostByPart.ServerTools, m.WebSearches, m.UnpricedWebSearches)
			}
		case "gpt-4o":
			if m.CostByPart.ServerTools != 0 || m.WebSearches != 2 || m.UnpricedWebSearches != 2 {
				t.Errorf("%s: server tools $%g, searches %d, unpriced %d; want $0, 2, 2", m.Model, m.CostByPart.ServerTools, m.WebSearches, m.UnpricedWebSearches)
			}
		}
	}
}

// TestRouteKeepsServiceTier: a routed call keeps its service tier and its
// web searches. One priority gpt-5.4 call (100,000 input, 60,000 cached,
// 2,000 output: $0.29, TestServiceTierPricing) routed to gpt-5.5, LiteLLM
// entry priority $10/$60, cached $1: 40,000×10 + 60,000×1 + 2,000×60 =
// 400,000 + 60,000 + 120,000 µ$ = $0.58 (standard rates would give
// 40,000×5 + 60,000×0.5 + 2,000×30 = $0.29).
// One claude-opus-4-6 call with 3 searches ($0.0375, TestServerToolFees)
// routed to claude-sonnet-4-5-20250929 ($3/$15, $0.01 a search):
// 1,000×3 + 100×15 = 4,500 µ$ + $0.03 = $0.0345.
func TestRouteKeepsServiceTier(t *testing.T) {
	jsonl := `{"session_id":"s","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"gpt-5.4","input_tokens":100000,"cache_read_tokens":60000,"output_tokens":2000,"service_tier":"priority","role":"a"}
{"session_id":"t","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"claude-opus-4-6","role":"b","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"server_tool_use":{"web_search_requests":3}}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	w, err := Simulate(d, WhatifConfig{Routes: []Route{{Role: "a", Model: "gpt-5.5"}, {Role: "b", Model: "claude-sonnet-4-5-20250929"}}, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if r := w.Route[0]; r.CallsRerouted != 1 || !near(r.CostBeforeUSD, 0.29) || !near(r.CostAfterUSD, 0.58) {
		t.Errorf("priority route = %+v, want before $0.29 after $0.58", r)
	}
	if r := w.Route[1]; r.CallsRerouted != 1 || !near(r.CostBeforeUSD, 0.0375) || !near(r.CostAfterUSD, 0.0345) {
		t.Errorf("search route = %+v, want before $0.0375 after $0.0345", r)
	}
	// Combined: $0.58 + $0.0345.
	if !near(w.Combined.TotalCostUSD, 0.6145) {
		t.Errorf("combined %v, want 0.6145", w.Combined.TotalCostUSD)
	}
}

// TestUSOnlyUplift: usage.inference_geo "us" bills the tokens at the
// model's US multiplier. claude-opus-4-6: LiteLLM provider_specific_entry
// {"us": 1.1} (Anthropic data-residency page: US-only inference 1.1x);
// 1,000×5 + 100×25 = 7,500 µ$, ×1.1 = 8,250 µ$. "not_available" (what Claude
// Code writes) is not US-only: 7,500 µ$. claude-sonnet-4-5-20250929 has no US
// multiplier: 1,000×3 + 100×15 = 4,500 µ$ at base rates, counted.
func TestUSOnlyUplift(t *testing.T) {
	jsonl := `{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"inference_geo":"us"}}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"inference_geo":"not_available"}}
{"session_id":"s","kind":"llm","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"inference_geo":"us"}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	ev := d.Sessions[0].Events
	want := []float64{0.00825, 0.0075, 0.0045}
	for i, w := range want {
		if !near(ev[i].Cost, w) {
			t.Errorf("event %d: cost %.10g, want %.10g", i, ev[i].Cost, w)
		}
	}
	for _, m := range d.Models {
		var calls, noUplift int64 = 1, 0
		if m.Model == "claude-sonnet-4-5-20250929" {
			noUplift = 1
		}
		if m.USOnlyCalls != calls || m.USOnlyNoUplift != noUplift {
			t.Errorf("%s: us-only %d, without uplift %d; want %d, %d", m.Model, m.USOnlyCalls, m.USOnlyNoUplift, calls, noUplift)
		}
	}
}

// TestFastMode: usage.speed "fast" bills the tokens at the model's fast
// multiplier. claude-opus-4-6: LiteLLM provider_specific_entry
// {"us": 1.1, "fast": 6.0}; Anthropic's fast-mode page: 6x standard Opus
// rates ($30/$150 per MTok against $5/$25), stacking with data residency.
//
//	fast:            (1,000×5 + 100×25) µ$ = 7,500 µ$ × 6       = 45,000 µ$
//	fast + US-only:  7,500 µ$ × 6 × 1.1                         = 49,500 µ$
//	"standard":      7,500 µ$
//	sonnet-4-5 fast: no fast multiplier: 1,000×3 + 100×15       = 4,500 µ$, counted
func TestFastMode(t *testing.T) {
	jsonl := `{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"speed":"fast"}}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"speed":"fast","inference_geo":"us"}}
{"session_id":"s","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"speed":"standard"}}
{"session_id":"s","kind":"llm","model":"claude-sonnet-4-5-20250929","usage":{"input_tokens":1000,"cache_read_input_tokens":0,"output_tokens":100,"speed":"fast"}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	ev := d.Sessions[0].Events
	want := []float64{0.045, 0.0495, 0.0075, 0.0045}
	for i, w := range want {
		if !near(ev[i].Cost, w) {
			t.Errorf("event %d: cost %.10g, want %.10g", i, ev[i].Cost, w)
		}
	}
	for _, m := range d.Models {
		var calls, none int64 = 2, 0
		if m.Model == "claude-sonnet-4-5-20250929" {
			calls, none = 1, 1
		}
		if m.FastCalls != calls || m.FastNoMultiplier != none {
			t.Errorf("%s: fast %d, without multiplier %d; want %d, %d", m.Model, m.FastCalls, m.FastNoMultiplier, calls, none)
		}
	}
}
