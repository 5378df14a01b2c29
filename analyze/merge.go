package analyze

import (
	"sort"

	"github.com/tokcost/tokcost/ingest"
)

// This file is what tokcost merge needs to rebuild Summaries from session
// tables written by separate runs: the state behind the compensated sums,
// each session's call costs, and a constructor.

// ModelState is a ModelUsage with the compensated sums behind its dollar
// fields, so that usages of separate runs merge as the partitions of one
// run do (MergeModels).
type ModelState struct {
	Usage ModelUsage                        `json:"usage"`
	Sums  [8][2]float64                     `json:"sums"` // CostUSD, Parts' fields, OverrideCostUSD: sum and compensation
	Tiers [ingest.NumServiceTiers]TierState `json:"tiers"`
	// Multimodal is Parts.Multimodal's sum and compensation; absent for
	// text-only models, so their tables read as before.
	Multimodal [2]float64 `json:"multimodal_sum,omitzero"`
}

// TierState is one service tier's running totals of a ModelState.
type TierState struct {
	Calls     int64      `json:"calls"`
	Tokens    int64      `json:"tokens"`
	StdCalls  int64      `json:"standard_rate_calls"`
	StdTokens int64      `json:"standard_rate_tokens"`
	Scaled    int64      `json:"scaled_rate_calls"`
	Cost      [2]float64 `json:"cost"`
}

// State returns mu with its running sums.
func (mu *ModelUsage) State() ModelState {
	st := ModelState{Usage: *mu, Multimodal: [2]float64{mu.multimodal.s, mu.multimodal.c}}
	st.Usage.sums, st.Usage.tiers, st.Usage.multimodal = [8]fsum{}, [ingest.NumServiceTiers]tierAcc{}, fsum{}
	for i, f := range mu.sums {
		st.Sums[i] = [2]float64{f.s, f.c}
	}
	for t, a := range mu.tiers {
		st.Tiers[t] = TierState{Calls: a.calls, Tokens: a.tokens, StdCalls: a.stdCalls, StdTokens: a.stdTokens,
			Scaled: a.scaled, Cost: [2]float64{a.cost.s, a.cost.c}}
	}
	return st
}

func (st *ModelState) usage() *ModelUsage {
	mu := st.Usage
	for i, f := range st.Sums {
		mu.sums[i] = fsum{f[0], f[1]}
	}
	mu.multimodal = fsum{st.Multimodal[0], st.Multimodal[1]}
	for t, a := range st.Tiers {
		mu.tiers[t] = tierAcc{calls: a.Calls, tokens: a.Tokens, stdCalls: a.StdCalls, stdTokens: a.StdTokens,
			scaled: a.Scaled, cost: fsum{a.Cost[0], a.Cost[1]}}
	}
	return &mu
}

// MergeModels adds up the model usages of separate runs, in the order
// given, as Finish adds up partitions, and sorts them as Finish does.
func MergeModels(states []ModelState) []ModelUsage {
	all := map[string]*ModelUsage{}
	var order []string
	for i := range states {
		mu := states[i].usage()
		if dst := all[mu.Model]; dst != nil {
			dst.merge(mu)
			continue
		}
		all[mu.Model] = mu
		order = append(order, mu.Model)
	}
	out := make([]ModelUsage, 0, len(all))
	for _, m := range order {
		mu := all[m]
		mu.settle()
		out = append(out, *mu)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		return a.Model < b.Model
	})
	return out
}

// CallCosts returns what CapSweep needs of s: each model call's cost in
// order, and the other priced events' costs with the number of model
// calls before each. ok is false when s kept none (Config.KeepCapCosts).
func (s *Summary) CallCosts() (calls []float64, otherAfter []int64, otherCost []float64, ok bool) {
	if s.capCosts == nil {
		return nil, nil, nil, false
	}
	for _, o := range s.capCosts.other {
		otherAfter = append(otherAfter, int64(o.afterCall))
		otherCost = append(otherCost, o.cost)
	}
	return s.capCosts.calls, otherAfter, otherCost, true
}

// SetCallCosts gives s the call costs CallCosts returned.
func (s *Summary) SetCallCosts(calls []float64, otherAfter []int64, otherCosts []float64) {
	cc := &capCosts{calls: calls}
	for i := range otherAfter {
		cc.other = append(cc.other, otherCost{afterCall: int(otherAfter[i]), cost: otherCosts[i]})
	}
	s.capCosts = cc
}

// NewSummaries makes Summaries of sessions rebuilt from elsewhere (session
// tables): sorted by id, each with its Loop found with loops. The runaway
// totals are added up in id order, as FinishSummaries does, so they are
// the same to the bit. CapSweep works when every session has its call
// costs.
func NewSummaries(sessions []*Summary, counts InputCounts, models []ModelUsage, cfg Config, loops LoopConfig) *Summaries {
	sort.Slice(sessions, func(i, j int) bool { return sessions[i].ID < sessions[j].ID })
	loops = loops.normal()
	out := &Summaries{Sessions: sessions, Counts: counts, Models: models, Config: cfg, Loops: loops, capCosts: true}
	found := make([]*RunawaySession, len(sessions))
	costs := make([]float64, len(sessions))
	for i, s := range sessions {
		found[i], costs[i] = s.Loop, s.CostUSD
		out.capCosts = out.capCosts && s.capCosts != nil
	}
	out.Runaway = runawayOf(costs, found, loops)
	return out
}

// DropCallCosts forgets s's call costs: CapSweep then refuses the
// summaries rather than sweep with part of a session's calls.
func (s *Summary) DropCallCosts() { s.capCosts = nil }
