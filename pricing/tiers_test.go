package pricing

import (
	"testing"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

// TestLongContextBoundary prices requests at a long-context threshold − 1,
// at it and + 1, with and without cache, from the embedded table. The
// threshold is on the whole prompt (cache reads and writes included) and,
// once crossed, every token of the request moves to the higher rates.
func TestLongContextBoundary(t *testing.T) {
	tb := Embedded()
	// claude-sonnet-4-5-20250929, LiteLLM entry of that name (and Anthropic's
	// pricing page, "prompts > 200K tokens"), $/MTok: base in 3, out 15,
	// read 0.30, write 5m 3.75, 1h 6; above 200k: in 6, out 22.50, read
	// 0.60, write 5m 7.50, 1h 12.
	sonnet := mustLookup(t, tb, "claude-sonnet-4-5-20250929", "", 0).Rates
	// dashscope/qwen3-coder-plus, LiteLLM tiered_pricing (Alibaba Model
	// Studio: 0<T≤32K, 32K<T≤128K, 128K<T≤256K, 256K<T≤1M), $/MTok in/out/read:
	// 1/5/0.1, 1.8/9/0.18, 3/15/0.3, 6/60/0.6.
	qwen := mustLookup(t, tb, "dashscope/qwen3-coder-plus", "", 0).Rates
	// azure_ai/gpt-5.5 priority, LiteLLM entry: in 10, out 60, read 1; above
	// 272k (…_above_272k_tokens_priority): in 20, out 90, read 2.
	gpt55p, ok := mustLookup(t, tb, "azure_ai/gpt-5.5", "", 0).Rates.ForServiceTier(ServicePriority)
	if !ok {
		t.Fatal("azure_ai/gpt-5.5: priority tier not priced")
	}
	tests := []struct {
		name string
		r    Rates
		u    Usage
		want float64
	}{
		// 199,999×3 + 1,000×15 = 599,997 + 15,000 µ$
		{"sonnet 200k−1", sonnet, Usage{Input: 199_999, Output: 1_000}, 0.614997},
		// 200,000×3 + 1,000×15: "above 200k" means more than 200,000
		{"sonnet 200k", sonnet, Usage{Input: 200_000, Output: 1_000}, 0.615},
		// 200,001×6 + 1,000×22.5 = 1,200,006 + 22,500 µ$
		{"sonnet 200k+1", sonnet, Usage{Input: 200_001, Output: 1_000}, 1.222506},
		// cache read 150,000, writes 40,000 (10,000 of them 1h), uncached 9,999:
		// 9,999×3 + 150,000×0.3 + 30,000×3.75 + 10,000×6 + 1,000×15
		// = 29,997 + 45,000 + 112,500 + 60,000 + 15,000 µ$
		{"sonnet 200k−1 cached", sonnet, Usage{Input: 199_999, Output: 1_000, CacheRead: 150_000, CacheWrite: 40_000, CacheWrite1h: 10_000}, 0.262497},
		// uncached 10,000: 30,000 + 45,000 + 112,500 + 60,000 + 15,000 µ$
		{"sonnet 200k cached", sonnet, Usage{Input: 200_000, Output: 1_000, CacheRead: 150_000, CacheWrite: 40_000, CacheWrite1h: 10_000}, 0.2625},
		// uncached 10,001 and the cached tokens count toward the threshold:
		// 10,001×6 + 150,000×0.6 + 30,000×7.5 + 10,000×12 + 1,000×22.5
		// = 60,006 + 90,000 + 225,000 + 120,000 + 22,500 µ$
		{"sonnet 200k+1 cached", sonnet, Usage{Input: 200_001, Output: 1_000, CacheRead: 150_000, CacheWrite: 40_000, CacheWrite1h: 10_000}, 0.517506},

		// 32,000×1 + 100×5 = 32,000 + 500 µ$
		{"qwen 32k", qwen, Usage{Input: 32_000, Output: 100}, 0.0325},
		// 32,001×1.8 + 100×9 = 57,601.8 + 900 µ$
		{"qwen 32k+1", qwen, Usage{Input: 32_001, Output: 100}, 0.0585018},
		// 31,999×1 + 500 µ$
		{"qwen 32k−1", qwen, Usage{Input: 31_999, Output: 100}, 0.032499},
		// 128,000×1.8 + 100×9 = 230,400 + 900 µ$: the second range still
		{"qwen 128k", qwen, Usage{Input: 128_000, Output: 100}, 0.2313},
		// 128,001×3 + 100×15 = 384,003 + 1,500 µ$: the third range
		{"qwen 128k+1", qwen, Usage{Input: 128_001, Output: 100}, 0.385503},
		// read 200,000 of 256,000: 56,000×3 + 200,000×0.3 + 100×15 = 168,000 + 60,000 + 1,500 µ$
		{"qwen 256k cached", qwen, Usage{Input: 256_000, Output: 100, CacheRead: 200_000}, 0.2295},
		// the fourth range: 56,001×6 + 200,000×0.6 + 100×60 = 336,006 + 120,000 + 6,000 µ$
		{"qwen 256k+1 cached", qwen, Usage{Input: 256_001, Output: 100, CacheRead: 200_000}, 0.462006},

		// read 100,000 of 272,000: 172,000×10 + 100,000×1 + 1,000×60 = 1,720,000 + 100,000 + 60,000 µ$
		{"gpt-5.5 priority 272k", gpt55p, Usage{Input: 272_000, Output: 1_000, CacheRead: 100_000}, 1.88},
		// 172,001×20 + 100,000×2 + 1,000×90 = 3,440,020 + 200,000 + 90,000 µ$
		{"gpt-5.5 priority 272k+1", gpt55p, Usage{Input: 272_001, Output: 1_000, CacheRead: 100_000}, 3.73002},
	}
	for _, tt := range tests {
		if got := tt.r.Cost(tt.u); !near(got, tt.want) {
			t.Errorf("%s: Cost = %.10g, want %.10g", tt.name, got, tt.want)
		}
	}
}

// TestHigherTiersInherit: a higher tier's 0 keeps the next lower tier's
// rate, and TierFor names the highest threshold crossed. Synthetic $/MTok:
// base in 1, out 2, read 0.5; >100: in 10; >200: out 40; >300: in 100.
func TestHigherTiersInherit(t *testing.T) {
	r := Rates{Input: mtok(1), Output: mtok(2), CacheRead: mtok(0.5), HasCacheRead: true, TierAbove: 100, InputAbove: mtok(10)}
	r.Higher[0] = LongTier{Above: 200, Output: mtok(40)}
	r.Higher[1] = LongTier{Above: 300, Input: mtok(100)}
	tests := []struct {
		in, out, read int64
		above         int64
		want          float64
	}{
		{100, 10, 0, 0, 100*1e-6 + 10*2e-6},                 // base
		{150, 10, 50, 100, 100*10e-6 + 10*2e-6 + 50*0.5e-6}, // in from >100, out and read from base
		{201, 10, 0, 200, 201*10e-6 + 10*40e-6},             // out from >200, in from >100
		{301, 10, 1, 300, 300*100e-6 + 10*40e-6 + 1*0.5e-6},
	}
	for _, tt := range tests {
		u := Usage{Input: tt.in, Output: tt.out, CacheRead: tt.read}
		if got := r.TierFor(tt.in); got != tt.above {
			t.Errorf("TierFor(%d) = %d, want %d", tt.in, got, tt.above)
		}
		if got := r.Cost(u); !near(got, tt.want) {
			t.Errorf("input %d: Cost = %.10g, want %.10g", tt.in, got, tt.want)
		}
	}
}

// TestServiceTiers prices one call of gpt-5.4 in each service tier. LiteLLM
// entry gpt-5.4 (OpenAI pricing page, Standard/Batch/Flex/Priority), $/MTok
// in/out/cached: standard 2.50/15/0.25, batch 1.25/7.50 (no cached price in
// LiteLLM: derived as 0.25×1.25/2.50 = 0.125, the page's 50% batch
// discount), priority 5/30/0.50, flex 1.25/7.50/0.13.
// The call: 100,000 input of which 60,000 cached, 2,000 output.
func TestServiceTiers(t *testing.T) {
	r := mustLookup(t, Embedded(), "gpt-5.4", "", 0).Rates
	u := Usage{Input: 100_000, CacheRead: 60_000, Output: 2_000}
	tests := []struct {
		tier string
		ok   bool
		want float64
	}{
		{"", true, 0.145},              // 40,000×2.5 + 60,000×0.25 + 2,000×15 = 100,000 + 15,000 + 30,000 µ$
		{ServiceStandard, true, 0.145}, // the same
		{ServiceBatch, true, 0.0725},   // 40,000×1.25 + 60,000×0.125 + 2,000×7.5 = 50,000 + 7,500 + 15,000 µ$
		{ServicePriority, true, 0.29},  // 40,000×5 + 60,000×0.5 + 2,000×30 = 200,000 + 30,000 + 60,000 µ$
		{ServiceFlex, true, 0.0728},    // 50,000 + 60,000×0.13 + 15,000 = 50,000 + 7,800 + 15,000 µ$
		{"scale", false, 0.145},        // no scale rates: standard, and not ok
	}
	for _, tt := range tests {
		rt, ok := r.ForServiceTier(tt.tier)
		if ok != tt.ok {
			t.Errorf("%q: ok = %v, want %v", tt.tier, ok, tt.ok)
		}
		if got := rt.Cost(u); !near(got, tt.want) {
			t.Errorf("%q: Cost = %.10g, want %.10g", tt.tier, got, tt.want)
		}
	}
	// claude-sonnet-4-5 has no batch rates in LiteLLM.
	if _, ok := mustLookup(t, Embedded(), "claude-sonnet-4-5-20250929", "", 0).Rates.ForServiceTier(ServiceBatch); ok {
		t.Error("claude-sonnet-4-5-20250929 batch: ok, want not priced")
	}
}

// TestParseTieredPricing checks the LiteLLM parser on tiered_pricing and on
// several _above_ thresholds in one entry (hand-written entries).
func TestParseTieredPricing(t *testing.T) {
	data := []byte(`{
 "two-thresholds": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06,
   "input_cost_per_token_above_128k_tokens": 3e-06, "output_cost_per_token_above_128k_tokens": 4e-06,
   "input_cost_per_token_above_256k_tokens": 5e-06, "output_cost_per_token_above_256k_tokens": 6e-06,
   "input_cost_per_token_priority": 2e-06, "output_cost_per_token_priority": 4e-06,
   "input_cost_per_token_above_128k_tokens_priority": 7e-06},
 "ranges": {"mode": "chat", "tiered_pricing": [
   {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "range": [0, 1000]},
   {"input_cost_per_token": 3e-06, "output_cost_per_token": 4e-06, "range": [1000, 2000]}]},
 "search": {"mode": "chat", "tiered_pricing": [{"input_cost_per_query": 0.005, "max_results_range": [0, 25]}]}
}`)
	got, err := pricefile.ParseLiteLLM(data, true)
	if err != nil {
		t.Fatal(err)
	}
	two := got["two-thresholds"].Price
	if two.TierAbove != 128_000 || two.InputAbove != 3e-06 || two.Higher[0].Above != 256_000 || two.Higher[0].Output != 6e-06 {
		t.Errorf("two-thresholds: %+v", two)
	}
	if two.Priority.Input != 2e-06 || two.Priority.InputAbove != 7e-06 {
		t.Errorf("two-thresholds priority: %+v", two.Priority)
	}
	rg := got["ranges"].Price
	if rg.Input != 1e-06 || rg.Output != 2e-06 || rg.TierAbove != 1000 || rg.InputAbove != 3e-06 || rg.OutputAbove != 4e-06 {
		t.Errorf("ranges: %+v", rg)
	}
	if _, ok := got["search"]; ok {
		t.Error("search: per-query ranges kept as a per-token model")
	}
	bad := []string{
		`{"m": {"mode": "chat", "tiered_pricing": [{"input_cost_per_token": -1e-06, "output_cost_per_token": 2e-06, "range": [0, 10]}]}}`,
		`{"m": {"mode": "chat", "tiered_pricing": [{"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "range": [5, 10]}]}}`,
		`{"m": {"mode": "chat", "tiered_pricing": [{"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "range": [0, 10]}, {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "range": [0, 10]}]}}`,
		`{"m": {"mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "input_cost_per_token_batches": -1}}`,
	}
	for _, b := range bad {
		if _, err := pricefile.ParseLiteLLM([]byte(b), true); err == nil {
			t.Errorf("%s: no error", b)
		}
	}
}

// TestTierScaled: a call is flagged when ForServiceTier bills one of its
// token classes at a derived rate. gpt-5.4 (pricing/source): batch gives
// input and output only; flex and priority also give a cache read; the
// >272k tier has base rates only, so above it every service tier derives
// its input and output.
func TestTierScaled(t *testing.T) {
	r, ok := Embedded().Lookup("gpt-5.4", "", 0)
	if !ok {
		t.Fatal("gpt-5.4 not in the table")
	}
	cases := []struct {
		tier string
		u    Usage
		want bool
	}{
		{"batch", Usage{Input: 1000, Output: 10}, false},                    // input and output: the tier's own
		{"batch", Usage{Input: 1000, CacheRead: 600, Output: 10}, true},     // batch cache read: 0.25 × 1.25/2.5
		{"priority", Usage{Input: 1000, CacheRead: 600, Output: 10}, false}, // priority cache read $0.50: its own
		{"priority", Usage{Input: 300_000, Output: 10}, true},               // above 272k: 5 × 5/2.5, derived
		{"standard", Usage{Input: 300_000, CacheRead: 1, Output: 10}, false},
		{"scale", Usage{Input: 1000, CacheRead: 600}, false}, // unpriced tier: billed standard, reported elsewhere
	}
	for _, c := range cases {
		if got := r.Rates.TierScaled(c.tier, c.u); got != c.want {
			t.Errorf("%s %+v: scaled %v, want %v", c.tier, c.u, got, c.want)
		}
	}
}
