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

// TestSimulateSummariesSameAsDataset: replaying each session while
// FinishSummaries has its events (Config.Whatif), in memory and with the
// records spilled at a small limit, gives Simulate's result over the
// kept events bit for bit, and the ticket's figures (spend by role, the
// flagship chosen and its P95 and total) equal those computed from the
// events as report.BuildTicket did (roleCosts there is the old loop; here
// the same loop is written out again, and the flagship is re-simulated).
func TestSimulateSummariesSameAsDataset(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 1500, Seed: 7, LoopShapes: true}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	read := func(col *Collector) {
		t.Helper()
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(data)},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
	}
	lc := DefaultLoopConfig()
	col := NewCollector()
	read(col)
	d := col.Finish(Config{Prices: pricing.Embedded(), Loops: &lc})
	routes := []Route{{Role: "executor", Model: "gpt-4o-mini"}, {Tool: "read*", Model: "claude-3-haiku-20240307"}}
	cfgs := []WhatifConfig{
		{Caps: DefaultCaps, MaxCollateral: DefaultMaxCollateral, Window: 3, Routes: routes, GroupBy: "workflow"},
		{Caps: []int{6}, MaxCollateral: 0.02, GroupBy: "model"},
	}
	for ci, cfg := range cfgs {
		cfg.Loops = lc
		want, err := Simulate(d, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The ticket's figures from the events.
		var wantRoles []RoleCost
		idx := map[string]int{}
		for _, s := range d.Sessions {
			for i := range s.Events {
				if e := &s.Events[i]; e.Kind == ingest.KindLLM {
					k, ok := idx[d.Str(e.Role)]
					if !ok {
						k = len(wantRoles)
						idx[d.Str(e.Role)] = k
						wantRoles = append(wantRoles, RoleCost{Role: d.Str(e.Role)})
					}
					wantRoles[k].Calls++
					wantRoles[k].CostUSD += e.Cost
				}
			}
		}
		flag := FlagshipModel(d)
		fw, err := Simulate(d, WhatifConfig{Routes: []Route{{All: true, Model: flag}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, limit := range []int64{0, 64 << 10} {
			col := NewCollector()
			if limit > 0 {
				col = NewSpillingCollector(SpillOptions{Limit: limit, Dir: t.TempDir()})
			}
			read(col)
			sp := &WhatifSpec{Config: cfg, AutoFlagship: true, Roles: true}
			sums := col.FinishSummaries(Config{Prices: pricing.Embedded(), Loops: &lc, Whatif: sp})
			got, err := SimulateSummaries(sums, sp)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("cfg %d limit %d: SimulateSummaries differs from Simulate:\nwant %+v\ngot  %+v", ci, limit, want.Sim, got.Sim)
			}
			tf, err := sp.Ticket(sums)
			if err != nil {
				t.Fatal(err)
			}
			if tf.Flagship != flag || tf.FlagshipP95 != fw.Combined.P95CostUSD || tf.FlagshipTotal != fw.Combined.TotalCostUSD {
				t.Errorf("cfg %d limit %d: flagship %s %v %v, want %s %v %v", ci, limit, tf.Flagship, tf.FlagshipP95, tf.FlagshipTotal,
					flag, fw.Combined.P95CostUSD, fw.Combined.TotalCostUSD)
			}
			if !reflect.DeepEqual(tf.Roles, wantRoles) || len(wantRoles) < 2 {
				t.Errorf("cfg %d limit %d: roles %+v, want %+v", ci, limit, tf.Roles, wantRoles)
			}
			roles, tools := sp.RolesAndTools()
			if !roles["executor"] || !tools["read_file"] {
				t.Errorf("roles %v tools %v: want executor and read_file among them", roles, tools)
			}
		}
	}
}
