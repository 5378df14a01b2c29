package analyze

import (
	"sort"

	"github.com/montanaflynn/stats"
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

// Distribute computes a Distribution; all zeros for no values.
func Distribute(values []float64) Distribution {
	if len(values) == 0 {
		return Distribution{}
	}
	sorted := append([]float64(nil), values...)
	sort.Float64s(sorted)
	pct := func(p float64) float64 {
		v, _ := stats.Percentile(sorted, p)
		return v
	}
	var total float64
	for _, v := range sorted {
		total += v
	}
	return Distribution{
		P50:   pct(50),
		P95:   pct(95),
		P99:   pct(99),
		Max:   sorted[len(sorted)-1],
		Mean:  total / float64(len(sorted)),
		Total: total,
	}
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
	return SessionStats{
		Count:         n,
		CostUSD:       Distribute(cost),
		TotalTokens:   Distribute(total),
		InputTokens:   Distribute(in),
		OutputTokens:  Distribute(out),
		LLMCalls:      Distribute(calls),
		Amplification: Distribute(amp),
		PartialCost:   partial,
	}
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
