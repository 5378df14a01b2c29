package analyze

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestSimulatePerSessionSameAsOld: the per-session simulation (each
// session replayed on its own, on every core, its results added up in id
// order) gives exactly what the replay over every kept event gave
// (oldSimulate, whatif_old_test.go), every float to the last bit, on
// generated fleets with loops (plain and the real-trace loop shapes) and
// the repository's samples, under caps (a sweep, one cap, the recommended
// cap at several collateral shares), windows, routes by role, tool and
// all, groups, and all of them combined.
func TestSimulatePerSessionSameAsOld(t *testing.T) {
	type input struct {
		name string
		d    *Dataset
	}
	var inputs []input
	for _, o := range []gen.Options{{Sessions: 1500, Seed: 3}, {Sessions: 1200, Seed: 11, LoopShapes: true}} {
		var b bytes.Buffer
		if _, err := gen.Generate(&b, nil, o); err != nil {
			t.Fatal(err)
		}
		col := NewCollector()
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(b.Bytes())},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
		lc := DefaultLoopConfig()
		inputs = append(inputs, input{fmt.Sprintf("gen seed %d shapes %v", o.Seed, o.LoopShapes),
			col.Finish(Config{Prices: pricing.Embedded(), Loops: &lc})})
	}
	for _, f := range []string{"fleet.jsonl", "hostile.jsonl", "planner_executor.jsonl", "react10.jsonl", "retry15.jsonl", "service_tiers.jsonl"} {
		inputs = append(inputs, input{f, load(t, embedded(), "../testdata/"+f)})
	}
	routes := []Route{{Role: "executor", Model: "gpt-4o-mini"}, {Tool: "read*", Model: "claude-3-haiku-20240307"}, {Tool: "search*", Model: "gpt-4o"}}
	cfgs := []WhatifConfig{
		{Caps: DefaultCaps, MaxCollateral: DefaultMaxCollateral},
		{Caps: []int{3}, MaxCollateral: 0.2},
		{Caps: []int{2, 7, 40}, MaxCollateral: 0.3, Window: 3},
		{Caps: DefaultCaps, MaxCollateral: 0.05, Window: 1, Routes: routes, GroupBy: "workflow"},
		{Window: 4, Routes: []Route{{All: true, Model: "claude-3-opus-20240229"}}, GroupBy: "model"},
		{Caps: []int{1, 4}, MaxCollateral: 0, Routes: routes[1:], GroupBy: "workflow",
			Econ: EconConfig{TasksPerMonth: 1000, RevenuePerTask: 0.5, HasRevenue: true}},
		{},
	}
	seen := map[string]int{}
	for _, in := range inputs {
		for ci, cfg := range cfgs {
			cfg.Loops = DefaultLoopConfig()
			old, err1 := oldSimulate(in.d, cfg)
			got, err2 := Simulate(in.d, cfg)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("%s cfg %d: errors differ: old %v, new %v", in.name, ci, err1, err2)
			}
			if err1 != nil {
				continue
			}
			if rc := got.RecommendedCap; rc != nil && rc.SessionsCut > 0 && rc.CostSavedUSD > 0 {
				seen["recommended cap cuts"]++
			}
			if got.Window != nil && got.Window.CostSavedUSD > 0 {
				seen["window saves"]++
			}
			for _, r := range got.Route {
				if r.CallsRerouted > 0 && r.CostSavedUSD != 0 {
					seen["route reroutes"]++
				}
			}
			if len(got.Groups) > 1 {
				seen["groups"]++
			}
			if got.Combined != nil && got.Combined.Cap > 0 && len(got.Combined.Policies) > 1 {
				seen["combined with a cap"]++
			}
			// DeepEqual compares every float with ==: bit for bit but
			// for ±0, which no cost here is.
			if !reflect.DeepEqual(old, got) {
				t.Errorf("%s cfg %d: per-session simulation differs from the replay over kept events:\nold %+v\nnew %+v", in.name, ci, old.Sim, got.Sim)
			}
		}
	}
	// The comparison is not vacuous: every policy changed something on
	// several inputs.
	for _, k := range []string{"recommended cap cuts", "window saves", "route reroutes", "groups", "combined with a cap"} {
		if seen[k] < 3 {
			t.Errorf("%s on only %d input/config pairs", k, seen[k])
		}
	}
	t.Logf("%v", seen)
}
