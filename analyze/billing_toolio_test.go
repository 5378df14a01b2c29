package analyze

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestBillingWithToolIO runs records that carry both the tool-io block
// (tool_args, tool_result) and the billing block (service tier, web
// searches, US-only) of the compact encoding through the collector: the
// billing block follows the tool-io block, so a wrong offset would garble
// one or the other. Rates from pricing/source/litellm_model_prices.json:
//
// gpt-5.4 batch, 300,000 input (200,000 cached), 5,000 output: above the
// 272k threshold; batch input 1.25 vs 2.50 standard, so every class of the
// tier without its own batch price is ×0.5: input above 5 → 2.5, cache read
// above 0.5 → 0.25, output above 22.5 → 11.25 $/MTok:
//
//	100,000×2.5 + 200,000×0.25 + 5,000×11.25 = 356,250 µ$
//
// claude-opus-4-6, US-only (provider_specific_entry.us 1.1), 2 web searches
// ($0.01 each), Anthropic usage 6,000 input + 4,000 cache read, 1,000 out:
//
//	(6,000×5 + 4,000×0.5 + 1,000×25)×1.1 + 2×10,000 = 82,700 µ$
func TestBillingWithToolIO(t *testing.T) {
	jsonl := `{"session_id":"s","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"gpt-5.4","input_tokens":300000,"cache_read_tokens":200000,"output_tokens":5000,"service_tier":"batch","tool_args":{"path":"a.py"},"tool_result":"hello"}
{"session_id":"s","ts":"2026-07-01T00:00:01Z","kind":"llm","model":"claude-opus-4-6","tool_args":{"path":"b.py"},"tool_result":"world!","usage":{"input_tokens":6000,"cache_read_input_tokens":4000,"output_tokens":1000,"inference_geo":"us","server_tool_use":{"web_search_requests":2}}}
`
	d := loadString(t, Config{Prices: pricing.Embedded(), CostSource: CostComputed}, jsonl)
	ev := d.Sessions[0].Events
	if len(ev) != 2 {
		t.Fatalf("%d events, want 2", len(ev))
	}
	want := []struct {
		cost        float64
		tier        ingest.ServiceTier
		us          bool
		searches    uint32
		resultBytes uint32 // len("hello"), len("world!")
	}{
		{0.35625, ingest.TierBatch, false, 0, 5},
		{0.0827, ingest.TierStandard, true, 2, 6},
	}
	for i, w := range want {
		e := ev[i]
		if !near(e.Cost, w.cost) || e.Tier != w.tier || e.USOnly != w.us || e.WebSearches != w.searches {
			t.Errorf("event %d: cost %.10g tier %s US %v searches %d, want %.10g %s %v %d", i, e.Cost, e.Tier, e.USOnly, e.WebSearches, w.cost, w.tier, w.us, w.searches)
		}
		if e.ArgsHash == 0 || e.ResultHash == 0 || e.ResultBytes != w.resultBytes {
			t.Errorf("event %d: args hash %x result hash %x bytes %d, want both hashes and %d bytes", i, e.ArgsHash, e.ResultHash, e.ResultBytes, w.resultBytes)
		}
	}
	// The batch call's long-context and cache-read rates are derived
	// (LiteLLM gives gpt-5.4 batch input and output only): one call counted.
	for _, m := range d.Models {
		want := int64(0)
		if m.Model == "gpt-5.4" {
			want = 1
		}
		if got := m.ByTier[ingest.TierBatch].ScaledRateCalls; got != want {
			t.Errorf("%s: %d batch calls at scaled rates, want %d", m.Model, got, want)
		}
	}
	if ev[0].ArgsHash == ev[1].ArgsHash {
		t.Errorf("different arguments, same hash %x", ev[0].ArgsHash)
	}
}
