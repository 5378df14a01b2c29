package pricing

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"testing"
	"time"

	"github.com/tokcost/tokcost/pricing/internal/pricefile"
)

// mtok is $ per million tokens as $ per token, for readable expectations.
func mtok(v float64) float64 { return v / 1e6 }

// near compares money with a relative tolerance: prices are float64s.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

func at(s string) int64 {
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return ts.UnixNano()
}

// perMTok prices u (counts in units of 100k tokens, below every long-context
// tier) through Rates.Cost, so HasCache* are honoured, and scales the result
// to $ per million tokens.
func perMTok(r Rates, u Usage) float64 {
	const k = 100_000
	u = Usage{u.Input * k, u.Output * k, u.CacheRead * k, u.CacheWrite * k, u.CacheWrite1h * k, u.Reasoning * k,
		u.AudioIn * k, u.ImageIn * k, u.AudioOut * k, u.ImageOut * k}
	return r.Cost(u) * 10
}

func mustLookup(t *testing.T, tb *Table, model, provider string, atNano int64) Match {
	t.Helper()
	m, ok := tb.Lookup(model, provider, atNano)
	if !ok {
		t.Fatalf("Lookup(%q, %q) unpriced, want a price\n%+v", model, provider, tb.Explain(model, provider, atNano))
	}
	return m
}

func TestEmbeddedInfo(t *testing.T) {
	tb := Embedded()
	data, err := os.ReadFile("table_gen.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	info := tb.Info()
	if info.Source != "embedded" || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Info = %+v, want source embedded and sha256 %x", info, sum)
	}
	// overrides.yaml says revision: 3; the generator was run with -snapshot 2026-07-18.
	if info.Version != "litellm-2026-07-18+overrides-4" {
		t.Errorf("Version = %q", info.Version)
	}
	// jq '.models|length' table_gen.json = 2171: the snapshot's 2254
	// chat/completion/responses keys priced per token, plus retired keys from
	// the changes CSV, minus the 84 priced only at $0/$0.
	if tb.Len() < 2000 {
		t.Errorf("Len = %d, want the whole LiteLLM chat catalogue", tb.Len())
	}
}

// TestNoZeroPrices: no period of the embedded table is $0 in and $0 out
// (overrides.yaml lists no free: keys).
func TestNoZeroPrices(t *testing.T) {
	tb := Embedded()
	for _, k := range tb.Keys() {
		h, _ := tb.History(k)
		for _, p := range h {
			if p.Rates.Input == 0 && p.Rates.Output == 0 {
				t.Errorf("%s from %q: $0/$0", k, p.From)
			}
		}
	}
}

func TestLookupResolution(t *testing.T) {
	tb := Embedded()
	tests := []struct {
		model, provider, wantKey, wantRule string
	}{
		{"claude-opus-4-6", "", "claude-opus-4-6", RuleExact},
		{"gpt-5.4-mini", "", "gpt-5.4-mini", RuleExact},
		// Raw keys first: LiteLLM prices Bedrock and Vertex ids separately.
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", "", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", RuleExact},
		{"vertex_ai/claude-3-5-sonnet@20240620", "", "vertex_ai/claude-3-5-sonnet@20240620", RuleExact},
		{"gemini/gemini-2.5-pro", "", "gemini/gemini-2.5-pro", RuleExact},
		{"azure/gpt-4o", "", "azure/gpt-4o", RuleExact},
		// Then normalised forms.
		{"anthropic/claude-sonnet-4-5", "", "claude-sonnet-4-5", RuleNormal},
		{"bedrock/converse/eu.anthropic.claude-3-5-haiku-20241022-v1:0", "", "eu.anthropic.claude-3-5-haiku-20241022-v1:0", RuleNormal},
		{"jp.anthropic.claude-opus-4-5-20251101-v1:0", "", "anthropic.claude-opus-4-5-20251101-v1:0", RuleNormal}, // no jp. key for it
		// Aliases from overrides.yaml.
		{"vertex_ai/claude-3-5-sonnet-v2@20241022", "", "claude-3-5-sonnet-20241022", RuleAlias},
		{"claude-3-5-sonnet-latest", "", "claude-3-5-sonnet-20241022", RuleAlias},
		// Google: a Gemini id not routed via Vertex is the Gemini API's
		// gemini/<id> key first (RuleGoogle), before LiteLLM's bare key, which is
		// the Vertex price (litellm_provider vertex_ai-language-models).
		{"gemini-1.5-pro", "", "gemini/gemini-1.5-pro", RuleGoogle},
		{"models/gemini-1.5-pro", "", "gemini/gemini-1.5-pro", RuleGoogle},
		{"gemini-2.5-pro", "", "gemini/gemini-2.5-pro", RuleGoogle},
		{"gemini-2.5-pro", "gcp.gen_ai", "gemini/gemini-2.5-pro", RuleGoogle}, // "some Google endpoint"
		{"gemini-2.5-pro", "gemini", "gemini/gemini-2.5-pro", RuleProvider},
		{"gemini-2.5-pro", "gcp.gemini", "gemini/gemini-2.5-pro", RuleProvider},
		// Vertex, by provider or by the id's namespace: the bare (Vertex) key.
		{"gemini-2.5-pro", "vertex_ai", "gemini-2.5-pro", RuleExact},
		{"gemini-2.5-pro", "gcp.vertex_ai", "gemini-2.5-pro", RuleExact},
		{"vertex_ai/gemini-2.5-pro", "", "gemini-2.5-pro", RuleNormal},
		{"gemini-3-pro-preview", "gcp.vertex_ai", "vertex_ai/gemini-3-pro-preview", RuleProvider},
		// OTel provider names pick LiteLLM namespaces.
		{"gpt-4o", "azure.ai.openai", "azure/gpt-4o", RuleProvider},
		{"gpt-4o", "openai", "gpt-4o", RuleExact},
		// A dated id missing from the table falls back to its undated base.
		{"claude-sonnet-4-6-20260217", "", "claude-sonnet-4-6", RuleUndated},
		{"gpt-5.5-2026-05-01", "", "gpt-5.5", RuleUndated},
	}
	for _, tt := range tests {
		m := mustLookup(t, tb, tt.model, tt.provider, 0)
		if m.Key != tt.wantKey || m.Rule != tt.wantRule {
			t.Errorf("Lookup(%q, %q) = %s by %s, want %s by %s", tt.model, tt.provider, m.Key, m.Rule, tt.wantKey, tt.wantRule)
		}
	}
}

func TestLookupNeverGuesses(t *testing.T) {
	tb := Embedded()
	for _, id := range []string{
		"gpt-5.4-mini-preview", // ccusage #934: must not become gpt-5 or gpt-5.4-mini
		"gpt-5-turbo-ultra",
		"claude-opus-9",
		"claude-sonnet-4-6-beta",
		"acme/claude-opus-4-6", // unknown namespace is not stripped
		"gemini-99-pro",
		// $0/$0 in LiteLLM (changes CSV "gemini/gemini-1.5-flash-8b,ADDED,0,0";
		// snapshot ollama/llama3 0/0): no price, so unpriced, never $0.
		"gemini/gemini-1.5-flash-8b",
		"gemini-1.5-flash-8b",
		"ollama/llama3",
		"",
		"   ",
	} {
		if m, ok := tb.Lookup(id, "", 0); ok {
			t.Errorf("Lookup(%q) = %s by %s, want unpriced", id, m.Key, m.Rule)
		}
	}
	// gpt-5.4-mini has its own price, not gpt-5's: CSV row
	// "2026-03-21,da6e9dbd,gpt-5.4-mini,ADDED,0.75,4.5,0.075" vs gpt-5's 1.25/10.
	m := mustLookup(t, tb, "gpt-5.4-mini", "", 0)
	if !near(m.Rates.Input, mtok(0.75)) || !near(m.Rates.Output, mtok(4.5)) {
		t.Errorf("gpt-5.4-mini rates = %+v, want $0.75/$4.50", m.Rates)
	}
}

func TestLookupHistory(t *testing.T) {
	tb := Embedded()
	tests := []struct {
		model, at       string
		wantIn, wantOut float64 // $/MTok
		wantRead        float64
	}{
		// CSV: "2025-04-16,1c191ffd,o3,ADDED,10,40,2.5" then "2025-06-11,563aa51b,o3,CHANGED,2,8,0.5";
		// genai-prices dates the cut 2025-06-10 (source/genai-prices/openai.yml line 1347).
		{"o3", "2025-01-01T00:00:00Z", 10, 40, 2.5}, // before the first date: earliest known rates
		{"o3", "2025-06-09T23:59:59Z", 10, 40, 2.5},
		{"o3", "2025-06-10T00:00:00Z", 2, 8, 0.5},
		{"o3", "", 2, 8, 0.5}, // atNano 0: latest
		// CSV: claude-sonnet-5 ADDED 3/15/0.3 on 2026-07-01, CHANGED 2/10/0.2 on 2026-07-03.
		{"claude-sonnet-5", "2026-07-02T12:00:00Z", 3, 15, 0.3},
		{"claude-sonnet-5", "2026-07-03T00:00:01Z", 2, 10, 0.2},
		// CSV: gemini-2.5-pro cache read 0.3125 from 2025-07-15, 0.125 from 2026-01-13.
		{"gemini/gemini-2.5-pro", "2025-12-31T00:00:00Z", 1.25, 10, 0.3125},
		{"gemini/gemini-2.5-pro", "2026-01-13T00:00:00Z", 1.25, 10, 0.125},
		// Haiku 3.5 keeps LiteLLM's history: CSV "2025-02-06,b094ffea,…,ADDED,1,5,0.1,1.25"
		// (the launch price), then "2025-02-28,1984db6a,…,CHANGED,0.8,4,0.8,1" whose
		// $0.80 cache read is a bug (prices.csv notes; event_fixes sets 0.1x = $0.08).
		{"claude-3-5-haiku-20241022", "2024-11-10T00:00:00Z", 1, 5, 0.1}, // before the first row: earliest rates
		{"claude-3-5-haiku-20241022", "2025-02-27T23:59:59Z", 1, 5, 0.1},
		{"claude-3-5-haiku-20241022", "2025-02-28T00:00:00Z", 0.8, 4, 0.08},
		{"claude-3-5-haiku-20241022", "2025-03-15T00:00:00Z", 0.8, 4, 0.08},
		// Dropped error row (drop_events): gemini-2.0-flash was never $150/$600.
		{"gemini/gemini-2.0-flash", "2025-02-07T00:00:00Z", 0.1, 0.4, 0.1}, // no cache price yet: read = input
		// Retired (deleted from LiteLLM, kept from the CSV): still priced.
		{"claude-3-5-sonnet-20241022", "", 3, 15, 0.3},
		{"claude-3-sonnet-20240229", "", 3, 15, 3}, // no cache prices: read billed as input
		{"o1-mini", "", 1.1, 4.4, 0.55},
	}
	for _, tt := range tests {
		var ns int64
		if tt.at != "" {
			ns = at(tt.at)
		}
		r := mustLookup(t, tb, tt.model, "", ns).Rates
		in, out, read := perMTok(r, Usage{Input: 1}), perMTok(r, Usage{Output: 1}), perMTok(r, Usage{Input: 1, CacheRead: 1})
		if !near(in, tt.wantIn) || !near(out, tt.wantOut) || !near(read, tt.wantRead) {
			t.Errorf("%s at %q: in/out/read = %g/%g/%g per MTok, want %g/%g/%g",
				tt.model, tt.at, in, out, read, tt.wantIn, tt.wantOut, tt.wantRead)
		}
	}
}

// TestGeminiBareIDHistory: a bare Gemini id keeps the Gemini API's price
// history. litellm_price_changes.csv rows for gemini/gemini-2.5-pro:
//
//	2025-06-18,2eb03fc4,gemini/gemini-2.5-pro,ADDED,1.25,10,,,,2.5,15
//	2025-07-15,76f95520,gemini/gemini-2.5-pro,CHANGED,1.25,10,0.3125,,,2.5,15
//	2026-01-13,787b008e,gemini/gemini-2.5-pro,CHANGED,1.25,10,0.125,,,2.5,15
//
// so on 2025-12-01 a cache read is $0.3125/MTok and from 2026-01-13 $0.125.
// LiteLLM's bare key gemini-2.5-pro (the Vertex price) has no CSV rows:
// its snapshot cache read, $0.125 (prices.csv), covers all time.
func TestGeminiBareIDHistory(t *testing.T) {
	tb := Embedded()
	tests := []struct {
		model, provider, at string
		wantRead            float64 // $/MTok
	}{
		{"gemini-2.5-pro", "", "2025-12-01T00:00:00Z", 0.3125},
		{"gemini-2.5-pro", "", "2026-01-12T23:59:59Z", 0.3125},
		{"gemini-2.5-pro", "", "2026-01-13T00:00:00Z", 0.125},
		{"models/gemini-2.5-pro", "", "2025-12-01T00:00:00Z", 0.3125},
		{"gemini-2.5-pro", "gcp.gemini", "2025-12-01T00:00:00Z", 0.3125},
		// No cache price before 2025-07-15: a cache read is billed as input, $1.25.
		{"gemini-2.5-pro", "", "2025-07-01T00:00:00Z", 1.25},
		// Vertex says so: the bare key's flat $0.125.
		{"gemini-2.5-pro", "gcp.vertex_ai", "2025-12-01T00:00:00Z", 0.125},
		{"vertex_ai/gemini-2.5-pro", "", "2025-12-01T00:00:00Z", 0.125},
	}
	for _, tt := range tests {
		r := mustLookup(t, tb, tt.model, tt.provider, at(tt.at)).Rates
		if got := perMTok(r, Usage{Input: 1, CacheRead: 1}); !near(got, tt.wantRead) {
			t.Errorf("%s (provider %q) at %s: cache read $%g/MTok, want $%g", tt.model, tt.provider, tt.at, got, tt.wantRead)
		}
	}
}

// TestVendorFacts checks the table against the vendors' price pages (Anthropic pricing page) and
// the 1-hour cache-write corrections ($ per MTok, hand-copied from there).
func TestVendorFacts(t *testing.T) {
	tb := Embedded()
	tests := []struct {
		model                         string
		in, out, read, write, write1h float64
	}{
		// Anthropic: write 1.25x (5m), 2x (1h), read 0.1x of input.
		{"claude-3-5-sonnet-20241022", 3, 15, 0.3, 3.75, 6},
		{"claude-3-5-sonnet-20240620", 3, 15, 0.3, 3.75, 6},
		{"claude-3-7-sonnet-20250219", 3, 15, 0.3, 3.75, 6},
		{"claude-3-opus-20240229", 15, 75, 1.5, 18.75, 30},      // LiteLLM says 1h $6
		{"claude-3-5-haiku-20241022", 0.8, 4, 0.08, 1, 1.6},     // LiteLLM says 1h $6
		{"claude-3-haiku-20240307", 0.25, 1.25, 0.03, 0.3, 0.5}, // 1.2x / 0.12x; LiteLLM 1h $6
		{"claude-opus-4-20250514", 15, 75, 1.5, 18.75, 30},
		{"claude-sonnet-4-5-20250929", 3, 15, 0.3, 3.75, 6},
		{"claude-opus-4-6", 5, 25, 0.5, 6.25, 10},
	}
	for _, tt := range tests {
		for _, when := range []int64{0, at("2025-03-01T00:00:00Z")} { // latest and early history
			r := mustLookup(t, tb, tt.model, "", when).Rates
			got := [5]float64{
				perMTok(r, Usage{Input: 1}), perMTok(r, Usage{Output: 1}),
				perMTok(r, Usage{Input: 1, CacheRead: 1}),
				perMTok(r, Usage{Input: 1, CacheWrite: 1}),
				perMTok(r, Usage{Input: 1, CacheWrite: 1, CacheWrite1h: 1}),
			}
			want := [5]float64{tt.in, tt.out, tt.read, tt.write, tt.write1h}
			for i := range got {
				if !near(got[i], want[i]) {
					t.Errorf("%s at %d: in/out/read/write/write1h = %v, want %v", tt.model, when, got, want)
					break
				}
			}
		}
	}
	// OpenAI cached input 50% off at launch: gpt-4o $2.50 → $1.25, out $10.
	r := mustLookup(t, tb, "gpt-4o", "", 0).Rates
	if !near(r.Input, mtok(2.5)) || !near(r.Output, mtok(10)) || !near(r.CacheRead, mtok(1.25)) || !r.HasCacheRead {
		t.Errorf("gpt-4o = %+v, want $2.50/$10, cached $1.25", r)
	}
}

// TestOverridesApplied reads overrides.yaml itself and checks that every
// fix holds on every dated period of its keys.
func TestOverridesApplied(t *testing.T) {
	data, err := os.ReadFile("overrides.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ov, err := pricefile.ParseOverrides(data)
	if err != nil {
		t.Fatal(err)
	}
	tb := Embedded()
	for _, fix := range ov.Fixes {
		for _, key := range fix.Keys {
			hist, ok := tb.History(key)
			if !ok {
				t.Errorf("fix key %q not in the table", key)
				continue
			}
			for _, p := range hist {
				want := pricefile.Price(p.Rates)
				fix.Apply(&want)
				if Rates(want) != p.Rates {
					t.Errorf("%s from %q: %+v, fix %v not applied", key, p.From, p.Rates, fix.Set)
				}
			}
		}
	}
	for _, a := range ov.Aliases {
		if m, ok := tb.Lookup(a.Alias, "", 0); !ok || m.Key != a.Key {
			t.Errorf("alias %s: Lookup = %q, %v; want %s", a.Alias, m.Key, ok, a.Key)
		}
	}
}

func TestCost(t *testing.T) {
	tb := Embedded()
	sonnet35 := mustLookup(t, tb, "claude-3-5-sonnet-20241022", "", 0).Rates
	sonnet45 := mustLookup(t, tb, "claude-sonnet-4-5-20250929", "", 0).Rates
	haiku3 := mustLookup(t, tb, "claude-3-haiku-20240307", "", 0).Rates
	flash35 := mustLookup(t, tb, "gemini/gemini-3.5-flash", "", 0).Rates
	sonnet4 := mustLookup(t, tb, "claude-sonnet-4-20250514", "", 0).Rates
	bedrock45 := mustLookup(t, tb, "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "", 0).Rates
	bedrock35 := mustLookup(t, tb, "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "", 0).Rates
	tests := []struct {
		name  string
		rates Rates
		u     Usage
		want  float64
	}{
		// 700 uncached·$3 + 200 read·$0.30 + 100 write·$3.75 + 500 out·$15, per MTok:
		// 0.0021 + 0.00006 + 0.000375 + 0.0075 = 0.010035.
		{"sonnet 3.5 mixed", sonnet35, Usage{Input: 1000, CacheRead: 200, CacheWrite: 100, Output: 500}, 0.010035},
		// 1h writes at $6: 1000·6e-6 = 0.006 (the 5m rate would give 0.00375).
		{"sonnet 3.5 1h write", sonnet35, Usage{Input: 1000, CacheWrite: 1000, CacheWrite1h: 1000}, 0.006},
		// Haiku 3 1h write at the vendor's $0.50, not LiteLLM's $6: 1000·0.5e-6 = 0.0005.
		{"haiku 3 1h write", haiku3, Usage{Input: 1000, CacheWrite: 1000, CacheWrite1h: 1000}, 0.0005},
		// Over 200k input the whole request is at the tier: 250000·$6 + 1000·$22.50
		// per MTok = 1.5 + 0.0225 = 1.5225.
		{"sonnet 4.5 over 200k", sonnet45, Usage{Input: 250_000, Output: 1000}, 1.5225},
		// At exactly 200k it is not over: 200000·$3 + 1000·$15 = 0.6 + 0.015 = 0.615.
		{"sonnet 4.5 at 200k", sonnet45, Usage{Input: 200_000, Output: 1000}, 0.615},
		// Over 200k, 1h writes at the tier's 1h rate, $12 (2x the $6 tier input;
		// LiteLLM cache_creation_input_token_cost_above_1hr_above_200k_tokens 1.2e-05):
		// 150000 uncached·$6 + 40000 5m·$7.50 + 60000 1h·$12 + 1000 out·$22.50
		// = 0.9 + 0.3 + 0.72 + 0.0225 = 1.9425 (at the base 1h $6 it would be 1.5825).
		{"sonnet 4.5 over 200k 1h write", sonnet45, Usage{Input: 250_000, CacheWrite: 100_000, CacheWrite1h: 60_000, Output: 1000}, 1.9425},
		// Sonnet 4 gets the same $12 from overrides.yaml (LiteLLM lacks it):
		// 300000 input, all 1h writes: 300000·$12 = 3.6.
		{"sonnet 4 over 200k 1h write", sonnet4, Usage{Input: 300_000, CacheWrite: 300_000, CacheWrite1h: 300_000}, 3.6},
		// Bedrock us. Sonnet 4.5 from LiteLLM as is: tier input $6.60, 1h $13.20:
		// 200000 uncached·$6.60 + 100000 1h·$13.20 = 1.32 + 1.32 = 2.64.
		{"bedrock sonnet 4.5 over 200k 1h write", bedrock45, Usage{Input: 300_000, CacheWrite: 100_000, CacheWrite1h: 100_000}, 2.64},
		// A Bedrock key without a 1h rate bills 1h writes at its 5-minute rate
		// (LiteLLM: cache_creation_input_token_cost 3.75e-06, no _above_1hr):
		// 1000·$3.75 = 0.00375. Deliberate, see docs/pricing.md.
		{"bedrock sonnet 3.5 v2 1h write falls back", bedrock35, Usage{Input: 1000, CacheWrite: 1000, CacheWrite1h: 1000}, 0.00375},
		// Gemini 3.5 Flash bills reasoning at its reasoning rate ($9, same as output):
		// 1000 in·$1.5 + 2000 out·$9 = 0.0015 + 0.018 = 0.0195.
		{"gemini 3.5 flash reasoning", flash35, Usage{Input: 1000, Output: 2000, Reasoning: 1500}, 0.0195},
	}
	for _, tt := range tests {
		if got := tt.rates.Cost(tt.u); !near(got, tt.want) {
			t.Errorf("%s: Cost = %.10g, want %.10g", tt.name, got, tt.want)
		}
	}
}

// TestCostTier1h: the tier's 1-hour write applies only above the tier and
// only where set; synthetic rates ($/MTok: in 1, 5m write 2, 1h 3; above
// 100 tokens: in 10, 5m write 20, 1h 30).
func TestCostTier1h(t *testing.T) {
	r := Rates{Input: mtok(1), CacheWrite: mtok(2), CacheWrite1h: mtok(3), HasCacheWrite: true,
		TierAbove: 100, InputAbove: mtok(10), CacheWriteAbove: mtok(20), CacheWrite1hAbove: mtok(30)}
	noAbove := r
	noAbove.CacheWrite1hAbove = 0
	tests := []struct {
		name string
		r    Rates
		u    Usage
		want float64 // $/MTok · tokens / 1e6
	}{
		{"below tier", r, Usage{Input: 100, CacheWrite: 100, CacheWrite1h: 100}, 100 * 3e-6},  // 1h $3
		{"above tier", r, Usage{Input: 101, CacheWrite: 101, CacheWrite1h: 101}, 101 * 30e-6}, // 1h $30
		{"mixed above", r, Usage{Input: 200, CacheWrite: 150, CacheWrite1h: 50}, 50*10e-6 + 100*20e-6 + 50*30e-6},
		{"no 1h tier rate", noAbove, Usage{Input: 101, CacheWrite: 101, CacheWrite1h: 101}, 101 * 3e-6}, // base 1h
	}
	for _, tt := range tests {
		if got := tt.r.Cost(tt.u); !near(got, tt.want) {
			t.Errorf("%s: Cost = %.10g, want %.10g", tt.name, got, tt.want)
		}
	}
}

func TestExplain(t *testing.T) {
	tb := Embedded()
	x := tb.Explain("vertex_ai/claude-3-5-sonnet-v2@20241022", "", 0)
	if !x.OK || x.Match.Key != "claude-3-5-sonnet-20241022" || x.Normalized != "claude-3-5-sonnet-v2-20241022" {
		t.Fatalf("Explain = %+v", x)
	}
	// Tried in order: raw, provider prefix stripped, @date rewritten, then the alias hit.
	want := []Candidate{
		{ID: "vertex_ai/claude-3-5-sonnet-v2@20241022", Rule: RuleExact},
		{ID: "claude-3-5-sonnet-v2@20241022", Rule: RuleNormal},
		{ID: "claude-3-5-sonnet-v2-20241022", Rule: RuleNormal},
		{ID: "claude-3-5-sonnet-v2-20241022", Rule: RuleAlias, Hit: true, Key: "claude-3-5-sonnet-20241022"},
	}
	for i, w := range want {
		if i >= len(x.Candidates) || x.Candidates[i] != w {
			t.Fatalf("candidate %d = %+v, want %+v (all: %+v)", i, x.Candidates[min(i, len(x.Candidates)-1)], w, x.Candidates)
		}
	}
	if y := tb.Explain("no-such-model", "", 0); y.OK || len(y.Candidates) == 0 {
		t.Errorf("Explain(no-such-model) = %+v, want candidates and no match", y)
	}
}

func BenchmarkEmbeddedParse(b *testing.B) {
	for b.Loop() {
		if _, err := parseArtefact(embeddedJSON); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookup(b *testing.B) {
	tb := Embedded()
	for b.Loop() {
		tb.Lookup("bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "", 1)
	}
}
