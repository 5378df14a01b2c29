package analyze

import (
	"math"
	"slices"
	"sort"
	"sync"
)

// Distribution summarises one per-session quantity across sessions.
// Percentiles are Hyndman-Fan type 7 (linear interpolation between order
// statistics), the definition NumPy, DuckDB quantile_cont and Excel
// PERCENTILE.INC use, so anyone can check them.
type Distribution struct {
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
	Total float64 `json:"total"`
}

// Distribute computes a Distribution; all zeros for no values. It sorts
// one copy of values and reads every percentile from it.
func Distribute(values []float64) Distribution {
	if len(values) == 0 {
		return Distribution{}
	}
	return distributeInPlace(slices.Clone(values))
}

// distributeInPlace is Distribute for values the caller gives up: it
// sorts them instead of a copy.
func distributeInPlace(sorted []float64) Distribution {
	if len(sorted) == 0 {
		return Distribution{}
	}
	slices.Sort(sorted)
	var total float64
	for _, v := range sorted {
		total += v
	}
	return Distribution{
		P50:   percentile(sorted, 50),
		P95:   percentile(sorted, 95),
		P99:   percentile(sorted, 99),
		Max:   sorted[len(sorted)-1],
		Mean:  total / float64(len(sorted)),
		Total: total,
	}
}

// percentile is type 7 over sorted values, computed exactly as
// github.com/montanaflynn/stats.Percentile does (the test holds them
// equal) but without its copy and sort on every call.
func percentile(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 1 {
		return sorted[0]
	}
	if math.IsNaN(sorted[0]) { // sorting puts a NaN first; it has no rank
		return math.NaN()
	}
	rank := (p / 100) * float64(n-1)
	k := int(rank)
	f := rank - float64(k)
	if k+1 < n && f != 0 && sorted[k+1] != sorted[k] {
		delta := sorted[k+1] - sorted[k]
		if math.IsInf(delta, 1) {
			return (1-f)*sorted[k] + f*sorted[k+1]
		}
		return sorted[k] + f*delta
	}
	return sorted[k]
}

// SessionStats are the per-session distributions of a set of sessions.
type SessionStats struct {
	Count         int          `json:"count"`
	CostUSD       Distribution `json:"cost_usd"`
	TotalTokens   Distribution `json:"total_tokens"`
	InputTokens   Distribution `json:"input_tokens"`
	OutputTokens  Distribution `json:"output_tokens"`
	LLMCalls      Distribution `json:"llm_calls"`
	Amplification Distribution `json:"context_amplification"`
	// PartialCost counts sessions with at least one unpriced call: their
	// cost is a lower bound.
	PartialCost int `json:"sessions_with_unpriced_calls"`
}

// Stats computes the distributions over sessions.
func Stats(sessions []*Session) SessionStats {
	n := len(sessions)
	cost := make([]float64, n)
	total := make([]float64, n)
	in := make([]float64, n)
	out := make([]float64, n)
	calls := make([]float64, n)
	amp := make([]float64, 0, n)
	partial := 0
	for i, s := range sessions {
		cost[i] = s.CostUSD
		total[i] = float64(s.Tokens.Total())
		in[i] = float64(s.Tokens.Input)
		out[i] = float64(s.Tokens.Output)
		calls[i] = float64(s.LLMCalls)
		if s.MaxCallInput > 0 {
			amp = append(amp, s.Amplification())
		}
		if s.UnpricedCalls > 0 {
			partial++
		}
	}
	st := SessionStats{Count: n, PartialCost: partial}
	// Six sorts of one float per session: run them on every core.
	var wg sync.WaitGroup
	for _, job := range []struct {
		dst    *Distribution
		values []float64
	}{
		{&st.CostUSD, cost}, {&st.TotalTokens, total}, {&st.InputTokens, in},
		{&st.OutputTokens, out}, {&st.LLMCalls, calls}, {&st.Amplification, amp},
	} {
		wg.Go(func() { *job.dst = distributeInPlace(job.values) })
	}
	wg.Wait()
	return st
}

// TopByCost returns the n most expensive sessions, ties broken by id.
func TopByCost(sessions []*Session, n int) []*Session {
	top := append([]*Session(nil), sessions...)
	sort.SliceStable(top, func(i, j int) bool {
		if top[i].CostUSD != top[j].CostUSD {
			return top[i].CostUSD > top[j].CostUSD
		}
		return top[i].ID < top[j].ID
	})
	if n >= 0 && len(top) > n {
		top = top[:n]
	}
	return top
}
