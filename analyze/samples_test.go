package analyze

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	_ "github.com/tokcost/tokcost/ingest/claudecode"
	_ "github.com/tokcost/tokcost/ingest/codex"
	_ "github.com/tokcost/tokcost/ingest/gemini"
	_ "github.com/tokcost/tokcost/ingest/langfuse"
	_ "github.com/tokcost/tokcost/ingest/litellmlogs"
	_ "github.com/tokcost/tokcost/ingest/miniswe"
	_ "github.com/tokcost/tokcost/ingest/openhands"
	_ "github.com/tokcost/tokcost/ingest/otel"
	"github.com/tokcost/tokcost/ingest/parquet"
	_ "github.com/tokcost/tokcost/ingest/sweagent"
	"github.com/tokcost/tokcost/pricing"
)

// TestRealSamplesCost prices each real sample (copied into the readers'
// testdata with attribution) under the embedded table. The expected costs
// were computed by a separate Python script that parses the raw files
// itself (Claude Code: dedupe on (message.id, requestId) keeping the max
// output; Codex: last_token_usage per changed total_token_usage) and prices
// with LiteLLM's JSON (pricing/source/litellm_model_prices.json)
// directly, with cost = (input − cache_read − cache_write)·in +
// cache_read·read + cache_write_5m·write + cache_write_1h·write_1h + output·out.
// Rates used ($/MTok, in/out/read/write5m/write1h):
// claude-sonnet-4-5-20250929 3/15/0.30/3.75/6; claude-opus-4-6 5/25/0.50/6.25/10;
// gpt-5.5 5/30, cached 0.50; gpt-4.1-mini-2025-04-14 0.40/1.60, cached 0.10;
// gemini/gemini-2.0-flash 0.10/0.40; gpt-4o-2024-08-06 2.50/10;
// gpt-5-mini-2025-08-07 0.25/2; gpt-4.1-2025-04-14 2/8. OpenHands: see the rows.
func TestRealSamplesCost(t *testing.T) {
	tests := []struct {
		file     string
		sessions int
		calls    int
		cost     float64
		why      string
	}{
		{"../ingest/claudecode/testdata/agent-a2898e3.jsonl", 1, 12, 0.45065955, "12 deduplicated responses, Python total 0.45066"},
		{"../ingest/claudecode/testdata/short.jsonl", 1, 1, 0.1444475,
			// 3 uncached·5e-6 + 11,515 read·0.5e-6 + 13,835 1h-write·10e-6 + 13 out·25e-6
			// = 0.000015 + 0.0057575 + 0.13835 + 0.000325 = 0.1444475
			"one response written on 5 lines"},
		{"../ingest/claudecode/testdata/subagent.jsonl", 1, 12, 0.519593, "Python total 0.519593"},
		{"../ingest/claudecode/testdata/tool_heavy.jsonl", 1, 4, 0.2266455, "Python total 0.226645(5)"},
		{"../ingest/codex/testdata/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl", 1, 66, 8.369808,
			// (6,055,836 − 4,929,536)·5e-6 + 4,929,536·0.5e-6 + 9,118·30e-6 = 5.6315 + 2.464768 + 0.27354
			"66 token_count events, gpt-5.5"},
		// OpenHands: one call per distinct model_response.id; prompt_tokens (LiteLLM) includes the cache,
		// so uncached = prompt − read − write. claude-3-5-sonnet-20241022 3/15/0.30/3.75; gpt-4o-2024-08-06
		// 2.50/10, cached 1.25.
		{"../ingest/openhands/testdata/basic.json", 1, 2, 0.0381546,
			// 4·3e-6 + 3,482·3.75e-6 + 1,135·15e-6 = 0.0300945; 6·3e-6 + 3,482·0.3e-6 + 1,158·3.75e-6 + 177·15e-6 = 0.0080601
			"OpenHands, action and observation repeat each response"},
		{"../ingest/openhands/testdata/basic_gui_mode.json", 1, 4, 0.0545214, "OpenHands, Python total 0.0545214"},
		{"../ingest/openhands/testdata/basic_interactions.json", 1, 1, 0.0034025,
			// (2,473 − 2,304)·2.5e-6 + 2,304·1.25e-6 + 10·10e-6 = 0.0004225 + 0.00288 + 0.0001
			"OpenHands, OpenAI usage with cached_tokens"},
		{"../ingest/openhands/testdata/wrong_initial_state.json", 1, 4, 0.02342595, "OpenHands, Python total 0.02342595"},
		{"../ingest/litellmlogs/testdata/spendlogs.jsonl", 3, 4, 0.0088375,
			// Synthetic rows (see its SOURCES.md); the repeated request_id counted once. claude-sonnet-4-20250514
			// 3/15/0.30/3.75: a1 50·3e-6 + 800·0.3e-6 + 150·3.75e-6 + 120·15e-6 = 0.0027525;
			// a2 50·3e-6 + 950·0.3e-6 + 200·3.75e-6 + 50·15e-6 = 0.001935; gpt-4.1-2025-04-14 2/8, cached 0.50:
			// b1 500·2e-6 + 1,500·0.5e-6 + 300·8e-6 = 0.00415; the failed call has no tokens.
			"LiteLLM spend logs, prompt_tokens inclusive of additional_usage_values' cache parts"},
		{"../ingest/miniswe/testdata/astropy__astropy-12907.traj.json", 1, 64, 0.010360028,
			// deepseek-v4-flash 0.14/0.28, cache read 0.0028 $/MTok: (1,111,619 − 1,093,760)·1.4e-7
			// + 1,093,760·2.8e-9 + 17,133·2.8e-7 = 0.00250026 + 0.003062528 + 0.00479724. The table wins
			// over the file's own extra.cost (Σ 0.04282166) under --cost-source auto.
			"mini-swe-agent, LiteLLM usage per response"},
		{"../ingest/otel/testdata/tempo_export_with_batches.json", 1, 2, 0.0020656,
			// (2,256 + 2,392)·0.4e-6 + (13 + 116)·1.6e-6 = 0.0018592 + 0.0002064: one call on three spans counted once
			"Tempo, nested spans repeating usage"},
		{"../ingest/otel/testdata/k8s.json", 1, 1, 0.000566,
			// (2,203 − 1,792)·0.4e-6 + 1,792·0.1e-6 + 139·1.6e-6 = 0.0001644 + 0.0001792 + 0.0002224
			"Jaeger, legacy gen_ai.usage.prompt_tokens with a cache read"},
		{"../ingest/langfuse/testdata/google-adk-2025-08-28.trace.json", 1, 2, 0.0000103,
			// 67·0.1e-6 + 9·0.4e-6 = 0.0000067 + 0.0000036
			"Langfuse, bare gemini-2.0-flash resolved to gemini/gemini-2.0-flash"},
		{"../ingest/langfuse/testdata/langgraph-python-2025-08-22.trace.json", 1, 2, 0.00108,
			// (60 + 108)·2.5e-6 + (15 + 51)·10e-6 = 0.00042 + 0.00066. The export's own
			// costDetails (7.5e-5 + 1.59e-4) use a placeholder $1/MTok: the table wins under auto.
			"Langfuse, table price beats the export's placeholder cost"},
		{"../ingest/langfuse/testdata/microsoft-agent-2025-12-17.trace.json", 1, 2, 0.00028525,
			// 293·0.25e-6 + 106·2e-6 = 0.00007325 + 0.000212
			"Langfuse, gpt-5-mini"},
		{"../ingest/langfuse/testdata/openai-agents-2025-09-30.trace.json", 1, 2, 0.000632,
			// 140·2e-6 + 44·8e-6 = 0.00028 + 0.000352
			"Langfuse, OpenInference usage keys"},
	}
	for _, tt := range tests {
		d := load(t, Config{Prices: pricing.Embedded()}, tt.file)
		calls := 0
		var cost float64
		for _, s := range d.Sessions {
			calls += s.LLMCalls
			cost += s.CostUSD
			if s.UnpricedCalls != 0 {
				t.Errorf("%s: %d unpriced calls", tt.file, s.UnpricedCalls)
			}
		}
		if len(d.Sessions) != tt.sessions || calls != tt.calls || !near(cost, tt.cost) {
			t.Errorf("%s (%s): %d sessions, %d calls, $%.10f; want %d, %d, $%.10f", tt.file, tt.why, len(d.Sessions), calls, cost, tt.sessions, tt.calls, tt.cost)
		}
		c := d.Counts
		if c.Lines != c.LinesWithRecords+c.Duplicates+c.Invalid+c.Blank+c.Skipped {
			t.Errorf("%s: units not accounted for: %+v", tt.file, c)
		}
	}
}

// TestGeminiCLISampleUnpriced: the Gemini CLI sample's model "gemini-3-pro"
// has no entry in the price table (LiteLLM lists preview ids only), so its
// 9 calls must be reported unpriced, not priced by a guessed neighbour.
func TestGeminiCLISampleUnpriced(t *testing.T) {
	d := load(t, Config{Prices: pricing.Embedded()}, "../ingest/gemini/testdata/session-2026-01-16T11-01-file-ops-37b7abef.json")
	s := d.Sessions[0]
	if s.UnpricedCalls != 9 || s.CostUSD != 0 {
		t.Errorf("unpriced %d, cost %v; want 9 unpriced, $0 priced", s.UnpricedCalls, s.CostUSD)
	}
	// 14 messages (units): 9 gemini messages with tokens yield a model call
	// and their tool calls (23 records in all), the other 5 are skipped;
	// each message is accounted once.
	c := d.Counts
	if c.Lines != 14 || c.Records != 23 || c.LinesWithRecords != 9 || c.Skipped != 5 ||
		c.Lines != c.LinesWithRecords+c.Duplicates+c.Invalid+c.Blank+c.Skipped {
		t.Errorf("counts %+v", c)
	}
}

// TestConvertKeepsErrorClasses: converting a Claude Code transcript to
// canonical Parquet keeps what the reader knew (7 sibling-cancel errors
// after one real failure), so the converted file analyses identically.
func TestConvertKeepsErrorClasses(t *testing.T) {
	const sample = "../ingest/claudecode/testdata/agent-a2898e3.jsonl"
	list := &recordList{} // one decoding goroutine: records arrive in file order
	if _, err := ingest.Run([]string{sample}, ingest.Options{}, func(ingest.FileResult, int) ingest.SinkFactory {
		return func() ingest.Sink { return list }
	}); err != nil {
		t.Fatal(err)
	}
	recs := list.recs
	path := filepath.Join(t.TempDir(), "a.parquet")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := parquet.WriteCanonical(fh, recs); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	siblings := func(d *Dataset) int {
		n := 0
		for _, e := range d.Sessions[0].Events {
			if e.Class == ingest.ErrorSiblingCancel {
				n++
			}
		}
		return n
	}
	orig := load(t, Config{Prices: pricing.Embedded()}, sample)
	conv := load(t, Config{Prices: pricing.Embedded()}, path)
	// ingest/claudecode/testdata/SOURCES.md: 8 is_error results, 7 of them sibling cancels.
	if siblings(orig) != 7 || siblings(conv) != 7 {
		t.Errorf("sibling cancels: original %d, converted %d; want 7", siblings(orig), siblings(conv))
	}
	if a, b := DetectLoops(orig, DefaultLoopConfig()), DetectLoops(conv, DefaultLoopConfig()); a.Count != b.Count || a.Count != 0 {
		t.Errorf("loops: original %d, converted %d; want 0", a.Count, b.Count)
	}
	if !near(orig.Sessions[0].CostUSD, conv.Sessions[0].CostUSD) {
		t.Errorf("cost %v vs %v", orig.Sessions[0].CostUSD, conv.Sessions[0].CostUSD)
	}
}

// TestClaudeCodeSamplesNoLoops: the real Claude Code transcripts, read
// with their tool arguments and results, are not loops: the sample with a
// sibling-cancel cascade re-issues the same Reads after the cascade (27
// distinct inputs over 33 results, reader_test.go) with different
// results, which is neither a failing retry nor a call without progress.
func TestClaudeCodeSamplesNoLoops(t *testing.T) {
	for _, f := range []string{"agent-a2898e3.jsonl", "tool_heavy.jsonl", "subagent.jsonl", "short.jsonl"} {
		d := load(t, Config{Prices: pricing.Embedded()}, "../ingest/claudecode/testdata/"+f)
		hashed := 0
		for _, e := range d.Sessions[0].Events {
			if e.Kind == ingest.KindTool && e.ArgsHash != 0 && e.ResultHash != 0 {
				hashed++
			}
		}
		if hashed == 0 {
			t.Errorf("%s: no tool event kept its argument and result hashes", f)
		}
		for _, k := range []int{2, 3} {
			cfg := DefaultLoopConfig()
			cfg.MinRepeats = k
			if r := DetectLoops(d, cfg); r.Count != 0 {
				t.Errorf("%s, min repeats %d: %d loops: %+v", f, k, r.Count, r.Sessions)
			}
		}
	}
}
