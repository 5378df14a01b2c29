package analyze

import (
	"bytes"
	"math"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
	"github.com/tokcost/tokcost/pricing"
)

// TestFlagshipPricerSameAsRouteReplay: the ticket's one-pass pricing of
// a session at every flagship candidate's rates (flagshipPricer) gives,
// for every candidate and every session, the float a replay with the one
// route "all → candidate" combines to (the second method: replayer.replay
// through capPolicy and routePolicy, as the ticket priced it before), to
// the last bit. Inputs: a generated fleet with loops and the samples with
// service tiers, web searches, unpriced calls and totals-only sessions.
func TestFlagshipPricerSameAsRouteReplay(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 800, Seed: 5, LoopShapes: true}); err != nil {
		t.Fatal(err)
	}
	col := NewCollector()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(b.Bytes())},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
		t.Fatal(err)
	}
	lc := DefaultLoopConfig()
	ds := []*Dataset{col.Finish(Config{Prices: pricing.Embedded(), Loops: &lc})}
	for _, f := range []string{"fleet.jsonl", "hostile.jsonl", "planner_executor.jsonl", "service_tiers.jsonl"} {
		ds = append(ds, load(t, embedded(), "../testdata/"+f))
	}
	// The generated fleet's calls get US-only inference, fast mode, web
	// searches and tiers in turn, so each of the replay's terms is used.
	n := 0
	for _, s := range ds[0].Sessions {
		for i := range s.Events {
			e := &s.Events[i]
			if e.Kind != ingest.KindLLM {
				continue
			}
			n++
			e.USOnly = n%3 == 0
			if n%5 == 0 {
				e.Flags |= store.FastMode
			}
			e.WebSearches = uint32(n % 4)
			e.Tier = ingest.ServiceTier(n % 5)
		}
	}
	compared := 0
	for di, d := range ds {
		sp := &WhatifSpec{AutoFlagship: true}
		sp.prepare(d.Config, d.Strings)
		if len(sp.flagships) == 0 {
			t.Fatalf("dataset %d: %d flagship candidates", di, len(sp.flagships))
		}
		sr := sp.replayer(d.Config, d.Strings)
		var olds []*replayer
		var ops [][]Policy
		for _, f := range sp.flagships {
			fc := WhatifConfig{Routes: []Route{{All: true, Model: f}}}
			olds = append(olds, newReplayer(d.Config, d.Strings, fc))
			ops = append(ops, fc.policies())
		}
		for _, s := range d.Sessions {
			got := sr.replay(s).flagship
			if len(got) != len(sp.flagships) {
				t.Fatalf("dataset %d session %s: %d figures for %d candidates", di, s.ID, len(got), len(sp.flagships))
			}
			for k, f := range sp.flagships {
				want := olds[k].replay(s, ops[k]).combined(&s.Summary, 0)
				if math.Float64bits(got[k]) != math.Float64bits(want) {
					t.Errorf("dataset %d session %s candidate %s: %v, route replay %v", di, s.ID, f, got[k], want)
				}
				compared++
			}
		}
	}
	if compared < 1000 {
		t.Errorf("compared %d figures, want at least 1000", compared)
	}
}
