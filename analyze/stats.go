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
	// TotalsOnly counts sessions known only by their totals (Summary.TotalsOnly):
	// in every distribution but amplification, which needs each call's input.
	TotalsOnly int `json:"totals_only_sessions,omitempty"`
	// TotalsOnlyCostShare is their share of the total cost.
	TotalsOnlyCostShare float64 `json:"totals_only_cost_share,omitempty"`
}

// Summarized is a *Session or a *Summary: what Stats and TopByCost take.
type Summarized interface {
	*Session | *Summary
	summary() *Summary
}

func (s *Summary) summary() *Summary { return s }

// Stats computes the distributions over sessions.
func Stats[S Summarized](sessions []S) SessionStats {
	acc := NewStatsAcc(len(sessions))
	for _, x := range sessions {
		acc.Add(x.summary())
	}
	return acc.Result()
}

// StatsAcc gathers the per-session numbers Stats sorts, in the order the
// sessions are given (a few numbers a session, whatever holds the rest),
// for a caller that reads the sessions once (Summaries.All).
type StatsAcc struct {
	cost, total, in, out, calls, amp []float64
	partial, totalsOnly              int
	totalsCost                       float64
}

// NewStatsAcc returns an empty StatsAcc with room for n sessions.
func NewStatsAcc(n int) *StatsAcc {
	return &StatsAcc{cost: make([]float64, 0, n), total: make([]float64, 0, n), in: make([]float64, 0, n),
		out: make([]float64, 0, n), calls: make([]float64, 0, n), amp: make([]float64, 0, n)}
}

// Add adds one session's numbers.
func (a *StatsAcc) Add(s *Summary) {
	a.cost = append(a.cost, s.CostUSD)
	a.total = append(a.total, float64(s.Tokens.Total()))
	a.in = append(a.in, float64(s.Tokens.Input))
	a.out = append(a.out, float64(s.Tokens.Output))
	a.calls = append(a.calls, float64(s.LLMCalls))
	if s.MaxCallInput > 0 {
		a.amp = append(a.amp, s.Amplification())
	}
	if s.UnpricedCalls > 0 {
		a.partial++
	}
	if s.TotalsOnly {
		a.totalsOnly++
		a.totalsCost += s.CostUSD
	}
}

// Result is Stats of the sessions added. It sorts the numbers in place:
// a is spent.
func (a *StatsAcc) Result() SessionStats {
	st := SessionStats{Count: len(a.cost), PartialCost: a.partial, TotalsOnly: a.totalsOnly}
	// Six sorts of one float per session: run them on every core.
	var wg sync.WaitGroup
	for _, job := range []struct {
		dst    *Distribution
		values []float64
	}{
		{&st.CostUSD, a.cost}, {&st.TotalTokens, a.total}, {&st.InputTokens, a.in},
		{&st.OutputTokens, a.out}, {&st.LLMCalls, a.calls}, {&st.Amplification, a.amp},
	} {
		wg.Go(func() { *job.dst = distributeInPlace(job.values) })
	}
	wg.Wait()
	if a.totalsOnly > 0 && st.CostUSD.Total > 0 {
		st.TotalsOnlyCostShare = a.totalsCost / st.CostUSD.Total
	}
	return st
}

// TopByCost returns the n most expensive sessions, ties broken by id
// (then by position in sessions); n < 0 means all of them.
func TopByCost[S Summarized](sessions []S, n int) []S {
	if n < 0 || n > len(sessions) {
		n = len(sessions)
	}
	// A total order over indices gives the result the stable sort this
	// replaces gave, without sorting 200,000 sessions to list ten.
	before := func(i, j int) bool {
		a, b := sessions[i].summary(), sessions[j].summary()
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return i < j
	}
	var idx []int
	if n*4 >= len(sessions) {
		idx = make([]int, len(sessions))
		for i := range idx {
			idx[i] = i
		}
	} else {
		idx = topIndices(len(sessions), n, before)
	}
	slices.SortFunc(idx, func(i, j int) int {
		if before(i, j) {
			return -1
		}
		return 1 // i != j, and the order is total
	})
	top := make([]S, n)
	for k := range top {
		top[k] = sessions[idx[k]]
	}
	return top
}

// topIndices returns the n first of 0..count-1 under before, unordered:
// a heap of the n best so far, the worst of them at the root.
func topIndices(count, n int, before func(i, j int) bool) []int {
	h := make([]int, 0, n)
	down := func(k int) {
		for {
			w := k
			for _, c := range []int{2*k + 1, 2*k + 2} {
				if c < len(h) && before(h[w], h[c]) {
					w = c
				}
			}
			if w == k {
				return
			}
			h[k], h[w] = h[w], h[k]
			k = w
		}
	}
	for i := range count {
		switch {
		case len(h) < n:
			h = append(h, i)
			for k := len(h) - 1; k > 0 && before(h[(k-1)/2], h[k]); k = (k - 1) / 2 {
				h[k], h[(k-1)/2] = h[(k-1)/2], h[k]
			}
		case n > 0 && before(i, h[0]):
			h[0] = i
			down(0)
		}
	}
	return h
}

// TopCost is TopByCost for a caller that reads the sessions once
// (Summaries.All): it keeps copies of the n costliest seen.
type TopCost struct {
	n   int
	top []Summary // sorted, costliest first
}

// NewTopCost keeps the n costliest of total sessions (all of them when n
// is negative or more than total).
func NewTopCost(n, total int) *TopCost {
	if n < 0 || n > total {
		n = total
	}
	return &TopCost{n: n, top: make([]Summary, 0, n)}
}

// before is TopByCost's order: costliest first, then by id (ids are
// unique, so the order is total and any selection gives it).
func (t *TopCost) before(a, b *Summary) bool {
	if a.CostUSD != b.CostUSD {
		return a.CostUSD > b.CostUSD
	}
	return a.ID < b.ID
}

// Add considers s, copying it if it is among the n costliest so far.
func (t *TopCost) Add(s *Summary) {
	n := t.n
	if n == 0 || len(t.top) == n && !t.before(s, &t.top[n-1]) {
		return
	}
	i := sort.Search(len(t.top), func(i int) bool { return t.before(s, &t.top[i]) })
	if len(t.top) < n {
		t.top = append(t.top, Summary{})
	}
	copy(t.top[i+1:], t.top[i:len(t.top)-1])
	t.top[i] = *s
}

// Result is the n costliest, costliest first.
func (t *TopCost) Result() []Summary { return t.top }
