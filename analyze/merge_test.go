package analyze

import (
	"encoding/json"
	"math/big"
	"testing"
)

// MergeModels adds the running sums of separate runs: the merged cost is
// the correctly rounded total, computed here independently with exact
// big.Float arithmetic (1 + 2e-16 rounds to 1 + 2^-52). Plain float
// addition of the runs' settled totals is not: each run settles to 1 and
// 1e-16, and 1 + 1e-16 rounds to 1.
func TestMergeModelsSums(t *testing.T) {
	runs := [][]float64{{1, 1e-16}, {1e-16}}
	var states []ModelState
	exact := new(big.Float).SetPrec(2000)
	var plain float64
	for _, costs := range runs {
		mu := &ModelUsage{Model: "m"}
		for _, c := range costs {
			mu.Calls++
			mu.addCost(c, Parts{Output: c}, false)
			exact.Add(exact, new(big.Float).SetPrec(2000).SetFloat64(c))
		}
		mu.settle()
		plain += mu.CostUSD
		// Through JSON, as the session table stores it.
		b, err := json.Marshal(mu.State())
		if err != nil {
			t.Fatal(err)
		}
		var st ModelState
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	want, _ := exact.Float64()
	got := MergeModels(states)
	if len(got) != 1 || got[0].Calls != 3 {
		t.Fatalf("merged %+v, want one model with 3 calls", got)
	}
	if got[0].CostUSD != want || got[0].CostByPart.Output != want {
		t.Fatalf("cost %v (output %v), want the rounded exact sum %v", got[0].CostUSD, got[0].CostByPart.Output, want)
	}
	if plain == want {
		t.Fatalf("test data too easy: plain addition already gives %v", want)
	}
}

// A session's call costs survive SetCallCosts/CallCosts, and CapSweep on
// NewSummaries uses them: capping a 3-call session (costs 1, 2, 4) at 1
// saves 2+4 = 6.
func TestNewSummariesCapSweep(t *testing.T) {
	s := &Summary{ID: "a", LLMCalls: 3, CostUSD: 7}
	s.SetCallCosts([]float64{1, 2, 4}, nil, nil)
	d := NewSummaries([]*Summary{s}, InputCounts{}, nil, Config{}, DefaultLoopConfig())
	r, err := CapSweep(d, []int{1})
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 1 || r[0].CostSavedUSD != 6 {
		t.Fatalf("cap sweep %+v, want 6 saved", r)
	}
	s.DropCallCosts()
	if _, err := CapSweep(NewSummaries([]*Summary{s}, InputCounts{}, nil, Config{}, DefaultLoopConfig()), []int{1}); err == nil {
		t.Fatal("cap sweep without call costs: want an error")
	}
}
