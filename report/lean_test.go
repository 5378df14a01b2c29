package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/tokcost/tokcost/analyze"
	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/pricing"
)

// TestDropEventsSameReport holds the lean path (FinishSummaries detects
// loops and drops events keeping only model-call costs, as analyze does)
// to the report of the full path (Finish keeps every event, and
// Dataset.Summaries detects loops afterwards):
// the whole JSON report with the cap curve, and the groups by model and
// workflow, must be byte-identical. The data mixes
// a generated fleet, which has many runaway loops, with the fixtures.
func TestDropEventsSameReport(t *testing.T) {
	var fleet bytes.Buffer
	if _, err := gen.Generate(&fleet, nil, gen.Options{Sessions: 2000, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	loops := analyze.DefaultLoopConfig()
	run := func(drop bool) []byte {
		col := analyze.NewCollector()
		_, err := ingest.Run([]string{"-", "../testdata/fleet.jsonl", "../testdata/react10.jsonl", "../testdata/retry15.jsonl", "../testdata/planner_executor.jsonl"},
			ingest.Options{Stdin: bytes.NewReader(fleet.Bytes())},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) })
		if err != nil {
			t.Fatal(err)
		}
		cfg := analyze.Config{Prices: pricing.Embedded()}
		var d *analyze.Summaries
		if drop {
			cfg.Loops, cfg.KeepCapCosts = &loops, true
			d = col.FinishSummaries(cfg)
		} else {
			d = col.Finish(cfg).Summaries(loops, true)
		}
		a := Build(d, BuildOptions{TopN: 10, Caps: DefaultCaps(d)})
		if a.Runaway.Count == 0 || len(a.RunawayGrowth) == 0 || len(a.CapCurve) < 10 {
			t.Fatalf("no runaway sessions or cap curve: the comparison would not cover them")
		}
		var out []byte
		for _, f := range []string{"model", "workflow"} {
			if err := a.AddGroups(d, f); err != nil { // replaces the last grouping
				t.Fatal(err)
			}
			b, err := json.Marshal(a)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b...)
		}
		return out
	}
	full, lean := run(false), run(true)
	if !bytes.Equal(full, lean) {
		t.Fatalf("lean report differs from the full one:\n%s", firstDiff(string(full), string(lean)))
	}
}
