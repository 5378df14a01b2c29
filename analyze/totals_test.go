package analyze

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/tokcost/tokcost/ingest/sweagent"
	"github.com/tokcost/tokcost/pricing"
)

// A SWE-agent trajectory keeps only its instance's totals. Hand figures:
// 4 calls, 100,000 tokens sent, 1,000 received, instance_cost $0.20.
// gpt-4o's uncached rates are $2.50 / $10 per million tokens, so the
// table would charge 0.1 × 2.50 + 0.001 × 10 = $0.26.
const totalsTraj = `{"environment":"swe_main","trajectory":[],"info":{"exit_status":"submitted",
"model_stats":{"tokens_sent":100000,"tokens_received":1000,"api_calls":4,"instance_cost":0.2}},
"replay_config":"{\"agent\":{\"model\":{\"name\":\"gpt-4o\"}}}"}`

func totalsFiles(t *testing.T) []string {
	dir := filepath.Join(t.TempDir(), "run1")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "i1.traj")
	if err := os.WriteFile(p, []byte(totalsTraj), 0o644); err != nil {
		t.Fatal(err)
	}
	// react10.jsonl: one ordinary session of 10 calls beside it.
	return []string{p, "../testdata/react10.jsonl"}
}

func TestTotalsOnlySession(t *testing.T) {
	files := totalsFiles(t)
	for _, tc := range []struct {
		src  CostSource
		cost float64
	}{
		{CostAuto, 0.2},      // the producer's own figure: the totals have no cache split
		{CostRecord, 0.2},    // instance_cost
		{CostComputed, 0.26}, // table, uncached rates (see above)
	} {
		d := load(t, Config{Prices: pricing.Embedded(), CostSource: tc.src}, files...)
		var s *Session
		for _, x := range d.Sessions {
			if strings.HasSuffix(x.ID, "i1.traj") {
				s = x
			}
		}
		if s == nil {
			t.Fatal("no SWE-agent session")
		}
		if !s.TotalsOnly || s.LLMCalls != 4 || s.Tokens.Input != 100000 || s.Tokens.Output != 1000 || !near(s.CostUSD, tc.cost) ||
			s.MaxCallInput != 0 || s.UnpricedCalls != 0 || s.Attrs["run"] != "run1" {
			t.Errorf("source %d: session %+v", tc.src, s.Summary)
		}
		var calls int64
		for _, m := range d.Models {
			if m.Model == "gpt-4o" {
				calls = m.Calls
			}
		}
		if calls != 4 {
			t.Errorf("source %d: gpt-4o calls %d, want 4", tc.src, calls)
		}
		if tc.src != CostAuto {
			continue
		}
		st := Stats(d.Sessions)
		// The other session is priced from the table; the share is
		// 0.2 over the total, whatever react10's cost is.
		if st.TotalsOnly != 1 || !near(st.TotalsOnlyCostShare, 0.2/st.CostUSD.Total) || st.LLMCalls.Total != 4+float64(session(d, "react-10").LLMCalls) {
			t.Errorf("stats %+v", st)
		}
		// Cap 1 cuts react-10 (10 calls) but not the totals-only session,
		// whose 4 calls' costs are unknown; it is neither healthy nor runaway.
		w, err := Simulate(d, WhatifConfig{Caps: []int{1}, MaxCollateral: 0.5, Window: 2, Loops: DefaultLoopConfig()})
		if err != nil {
			t.Fatal(err)
		}
		b := w.Baseline
		if b.TotalsOnlySessions != 1 || !near(b.TotalsOnlyCostUSD, 0.2) || b.HealthySessions+b.RunawaySessions != 1 {
			t.Errorf("baseline %+v", b)
		}
		if c := w.Caps[0]; c.SessionsCut != 1 {
			t.Errorf("cap 1 cut %d sessions, want 1 (react-10 only)", c.SessionsCut)
		}
		if !strings.Contains(strings.Join(w.Warnings, "\n"), "1 sessions (") {
			t.Errorf("warnings %q", w.Warnings)
		}
	}
}
