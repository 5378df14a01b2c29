package report

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/analyze"
)

// TestSessionTableKeepsTotalsOnly: a session known only by its totals
// (SWE-agent .traj) must stay one after a round trip through the session
// table, or merge would treat its N calls as per-call data (loops, caps).
// The two sessions are written by hand: one totals-only, one not.
func TestSessionTableKeepsTotalsOnly(t *testing.T) {
	sessions := []*analyze.Summary{
		{ID: "a", LLMCalls: 5, TotalsOnly: true, CostUSD: 0.53839, Tokens: analyze.Tokens{Input: 52861, Output: 326}},
		{ID: "b", LLMCalls: 1, CostUSD: 0.001, Tokens: analyze.Tokens{Input: 100, Output: 10}},
	}
	path := filepath.Join(t.TempDir(), "s.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteSessionTable(f, sessions, SessionTableMeta{}, RunMeta{}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	tab, err := ReadSessionTable(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, s := range tab.Sessions {
		got[s.ID] = s.TotalsOnly
	}
	if !got["a"] || got["b"] {
		t.Fatalf("totals_only after the round trip: a=%v (want true), b=%v (want false)", got["a"], got["b"])
	}
}
