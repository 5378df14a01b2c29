package analyze

import (
	"testing"
)

func TestGroupSessions(t *testing.T) {
	// a: gpt-4o 1,000 in ($2.50/MTok = $0.0025) beats gpt-4o-mini 10,000 in
	//    ($0.15/MTok = $0.0015) by cost though not by tokens.
	// b: one gpt-4o-mini call. c: no workflow, no team, one unknown model.
	d := loadString(t, embedded(), `{"session_id":"a","model":"gpt-4o","input_tokens":1000,"workflow":"w1","team":"x"}
{"session_id":"a","model":"gpt-4o-mini","input_tokens":10000}
{"session_id":"b","model":"gpt-4o-mini","input_tokens":10,"workflow":"w1"}
{"session_id":"c","model":"made-up-model-9","input_tokens":10}
`)
	keys := func(field string) map[string][]string {
		t.Helper()
		gs, err := GroupSessions(d, field)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for i, g := range gs {
			if g.Key == NoGroup && i != len(gs)-1 {
				t.Errorf("%s: %s is not last", field, NoGroup)
			}
			for _, s := range g.Sessions {
				out[g.Key] = append(out[g.Key], s.ID)
			}
		}
		return out
	}
	eq := func(field string, got map[string][]string, want map[string][]string) {
		t.Helper()
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", field, got, want)
			return
		}
		for k, v := range want {
			if len(got[k]) != len(v) {
				t.Errorf("%s: %v, want %v", field, got, want)
				return
			}
			for i := range v {
				if got[k][i] != v[i] {
					t.Errorf("%s: %v, want %v", field, got, want)
				}
			}
		}
	}
	eq("workflow", keys("workflow"), map[string][]string{"w1": {"a", "b"}, NoGroup: {"c"}})
	eq("team", keys("team"), map[string][]string{"x": {"a"}, NoGroup: {"b", "c"}})
	// c's only model is unpriced: it still is the dominant one (by calls).
	eq("model", keys("model"), map[string][]string{"gpt-4o": {"a"}, "gpt-4o-mini": {"b"}, "made-up-model-9": {"c"}})
	if _, err := GroupSessions(d, ""); err == nil {
		t.Error("empty field accepted")
	}
	// A field no session carries is a typo, reported with the fields there are.
	if _, err := GroupSessions(d, "teem"); err == nil || err.Error() != `no session has a field "teem" (fields: workflow, model, team)` {
		t.Errorf("unknown field: %v", err)
	}
}

func TestWhatifGroups(t *testing.T) {
	d := load(t, embedded(), "../testdata/react10.jsonl", "../testdata/planner_executor.jsonl")
	w, err := Simulate(d, WhatifConfig{GroupBy: "workflow", Caps: []int{5}, Loops: DefaultLoopConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Groups) != 2 || w.Groups[0].Key != "planner-executor" || w.Groups[1].Key != "react-example" {
		t.Fatalf("groups = %+v", w.Groups)
	}
	// planner-executor: cap 5 keeps 5 calls of $0.06, saving 95 × 0.06 = $5.70.
	// react-example: cap 5 drops calls 6…10: inputs 3,500…5,500 (Σ 22,500) at
	// $3/MTok + 5 × 200 output at $15/MTok = 0.0675 + 0.015 = $0.0825.
	if g := w.Groups[0].Caps[0]; !near(g.CostSavedUSD, 5.70) {
		t.Errorf("planner-executor cap 5 saved %v", g.CostSavedUSD)
	}
	if g := w.Groups[1].Caps[0]; !near(g.CostSavedUSD, 0.0825) {
		t.Errorf("react cap 5 saved %v", g.CostSavedUSD)
	}
	if !near(w.Caps[0].CostSavedUSD, 5.70+0.0825) || w.Groups[1].Baseline.Sessions != 1 {
		t.Errorf("overall cap 5 saved %v", w.Caps[0].CostSavedUSD)
	}
}
