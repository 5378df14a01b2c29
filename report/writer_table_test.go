package report

import (
	"encoding/json"
	"math"
	"testing"
)

// TestTableAndJSONGoldens pins the two analyze views over the problem
// statement's fixtures plus the generated fleet. The numbers in them are
// checked independently elsewhere (analyze tests, testscripts); the goldens
// guard the rendering.
func TestTableAndJSONGoldens(t *testing.T) {
	a := build(t, BuildOptions{TopN: 5}, "react10.jsonl", "retry15.jsonl")
	golden(t, "react10_retry15.table.golden", render(t, "table", a))
	golden(t, "react10_retry15.json.golden", render(t, "json", a))

	fleet := build(t, BuildOptions{TopN: 10}, "fleet.jsonl")
	golden(t, "fleet.table.golden", render(t, "table", fleet))
}

// TestJSONContractKeys checks the keys the issue names as the contract,
// decoding the rendered JSON generically so a renamed tag fails.
func TestJSONContractKeys(t *testing.T) {
	a := build(t, BuildOptions{TopN: 5}, "react10.jsonl", "retry15.jsonl")
	var m map[string]any
	if err := json.Unmarshal(render(t, "json", a), &m); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = m
		for _, p := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", path, p)
			}
			if v, ok = obj[p]; !ok {
				t.Fatalf("missing key %v", path)
			}
		}
		return v
	}
	if get("schema_version").(float64) != 1 || get("tool", "name") != "tokcost" {
		t.Error("schema_version/tool")
	}
	for _, k := range []string{"source", "version", "sha256"} {
		get("pricing", k)
	}
	for _, k := range []string{"files", "lines", "records", "duplicates", "invalid", "invalid_by_reason", "unpriced"} {
		get("input", k)
	}
	for _, dist := range []string{"cost_usd", "total_tokens", "input_tokens", "output_tokens", "llm_calls"} {
		for _, k := range []string{"p50", "p95", "p99", "max", "mean", "total"} {
			get("sessions", dist, k)
		}
	}
	// Two sessions, $0.1275 and $2.0745 (hand-derived in analyze tests):
	// type-7 P95 = 0.1275 + 0.95·(2.0745 − 0.1275) = 1.97715.
	if p95 := get("sessions", "cost_usd", "p95").(float64); math.Abs(p95-1.97715) > 1e-9 {
		t.Errorf("p95 = %v, want 1.97715", p95)
	}
	models := get("models").([]any)
	for _, k := range []string{"model", "calls", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"} {
		if _, ok := models[0].(map[string]any)[k]; !ok {
			t.Errorf("models[0] lacks %q", k)
		}
	}
	top := get("top_sessions").([]any)
	for _, k := range []string{"session_id", "cost_usd", "llm_calls", "total_tokens", "duration_s"} {
		if _, ok := top[0].(map[string]any)[k]; !ok {
			t.Errorf("top_sessions[0] lacks %q", k)
		}
	}
}
