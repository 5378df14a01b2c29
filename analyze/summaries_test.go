package analyze

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/gen"
	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/internal/store"
	"github.com/tokcost/tokcost/pricing"
)

// TestFinishSummariesMatchesFinish: the summaries-only path gives every
// session the Summary that the path keeping every event gives it (the
// second computed from the kept events by Dataset.Summaries, loops found
// afterwards by DetectLoops), and the same runaway loops, on a generated
// fleet with many loops.
func TestFinishSummariesMatchesFinish(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 1500, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	read := func() *Collector {
		col := NewCollector()
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(b.Bytes())},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
		return col
	}
	loops := DefaultLoopConfig()
	cfg := Config{Prices: pricing.Embedded()}
	full := read().Finish(cfg).Summaries(loops, true)
	cfg.Loops, cfg.KeepCapCosts = &loops, true
	lean := read().FinishSummaries(cfg)
	if len(full.Sessions) != 1500 || len(lean.Sessions) != len(full.Sessions) {
		t.Fatalf("%d and %d sessions, want 1500", len(full.Sessions), len(lean.Sessions))
	}
	if lean.Runaway.Count == 0 || !reflect.DeepEqual(lean.Runaway, full.Runaway) {
		t.Fatalf("runaway: lean %d loops, full %d (or they differ)", lean.Runaway.Count, full.Runaway.Count)
	}
	for i, l := range lean.Sessions {
		f := *full.Sessions[i]
		// Finish (events kept) found no loops (Config.Loops unset), and
		// kept CallInputs only for what DetectLoops flagged afterwards.
		if l.Loop != nil {
			f.Loop = l.Loop
		}
		if !reflect.DeepEqual(*l, f) {
			t.Fatalf("session %s: lean %+v\nfull %+v", l.ID, *l, f)
		}
	}
	if !reflect.DeepEqual(lean.Models, full.Models) || !reflect.DeepEqual(lean.Counts, full.Counts) {
		t.Fatal("models or counts differ")
	}
}

// TestFinishSessionOneSession: FinishSession, given one session's events
// from a store of its own (what a pipeline grouping records by session
// would hold), gives the Session and model usage that Finish gives it
// among all the others. The session is hand-made: two calls of gpt-4o on
// 2026-07-01, 1,000 in / 100 out and 2,000 in / 200 out, and a repeat of
// the first (same id) that is dropped; at $2.50 / $10 per million
// (pricing/source) that is 3,000×2.5 + 300×10 = 10,500 µ$.
func TestFinishSessionOneSession(t *testing.T) {
	const target = `{"session_id":"x","id":"a","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100}}
{"session_id":"x","id":"b","ts":"2026-07-01T00:00:01Z","kind":"llm","model":"gpt-4o","usage":{"input_tokens":2000,"output_tokens":200}}
{"session_id":"x","id":"a","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"gpt-4o","usage":{"input_tokens":1000,"output_tokens":100}}
`
	other := `{"session_id":"y","ts":"2026-07-01T00:00:00Z","kind":"llm","model":"claude-opus-4-6","usage":{"input_tokens":5,"output_tokens":5}}
`
	loops := DefaultLoopConfig()
	cfg := Config{Prices: pricing.Embedded(), Loops: &loops}
	all := session(loadString(t, cfg, other+target), "x")

	st := store.NewMemory()
	if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: strings.NewReader(target)},
		func(_ ingest.FileResult, i int) ingest.SinkFactory { return func() ingest.Sink { return st.Sink(i) } }); err != nil {
		t.Fatal(err)
	}
	st.Seal()
	var raw []SessionEvents
	var strs []string // the table of the partition the session is in
	for p := range st.Partitions() {
		sc := &store.Scratch{KeepEvents: true}
		got, err := st.Partition(p, sc)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 {
			raw, strs = append(raw, got...), sc.Strings
		}
	}
	if len(raw) != 1 {
		t.Fatalf("%d sessions in the store, want 1", len(raw))
	}
	one, models := FinishSession(cfg, strs, &raw[0])
	if !near(one.CostUSD, 0.0105) || one.LLMCalls != 2 || one.Duplicates != 1 || one.Model != "gpt-4o" {
		t.Fatalf("FinishSession: $%v, %d calls, %d duplicates, model %q; want $0.0105, 2, 1, gpt-4o", one.CostUSD, one.LLMCalls, one.Duplicates, one.Model)
	}
	if len(models) != 1 || models[0].Calls != 2 || !near(models[0].CostUSD, 0.0105) {
		t.Fatalf("models %+v, want gpt-4o: 2 calls, $0.0105", models)
	}
	// Interned ids differ between the two stores; the figures must not.
	a, b := all.Summary, one.Summary
	a.repeats, b.repeats = 0, 0
	if !reflect.DeepEqual(a, b) || len(all.Events) != len(one.Events) {
		t.Fatalf("Finish %+v\nFinishSession %+v", a, b)
	}
}

// TestSmallCollectorSameAsCollector: the collector a distributed pipeline
// makes per session (NewSmallCollector: one goroutine, no collections)
// gives FinishSummaries' results; checked on a generated fleet read into
// one small collector and one ordinary one.
func TestSmallCollectorSameAsCollector(t *testing.T) {
	var b bytes.Buffer
	if _, err := gen.Generate(&b, nil, gen.Options{Sessions: 300, Seed: 7, LoopShapes: true}); err != nil {
		t.Fatal(err)
	}
	read := func(col *Collector) *Summaries {
		if _, err := ingest.Run([]string{"-"}, ingest.Options{Stdin: bytes.NewReader(b.Bytes())},
			func(_ ingest.FileResult, i int) ingest.SinkFactory { return col.Factory(i) }); err != nil {
			t.Fatal(err)
		}
		loops := DefaultLoopConfig()
		return col.FinishSummaries(Config{Prices: pricing.Embedded(), Loops: &loops, KeepCapCosts: true})
	}
	small, big := read(NewSmallCollector()), read(NewCollector())
	if !small.capCosts || len(small.Sessions) != 300 || small.Runaway.Count == 0 {
		t.Fatalf("small collector: %d sessions, %d loops, call costs %v; want 300, some, true", len(small.Sessions), small.Runaway.Count, small.capCosts)
	}
	if !reflect.DeepEqual(small, big) {
		t.Fatal("NewSmallCollector's summaries differ from NewCollector's")
	}
}
