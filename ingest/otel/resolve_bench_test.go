package otel

import (
	"strconv"
	"testing"

	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// traceOfCalls buffers n chat spans of one trace under one root: pairs
// recorded by two instrumentations (scopes "a" and "b") with the same
// usage and overlapping times, one pair after another, usage cycling
// through 1,000 values. Half the spans repeat their pair's first.
func traceOfCalls(c *collector, n int) {
	root := span{traceID: "t", spanID: "root", name: "invoke_agent", start: 0, end: int64(n) * 1e9}
	root.setAttr("gen_ai.operation.name", "invoke_agent")
	c.add(&root)
	for i := range n {
		s := span{traceID: "t", spanID: strconv.Itoa(i), parentID: "root", name: "chat", scope: "ab"[i%2 : i%2+1]}
		pair := int64(i / 2)
		s.start, s.end = pair*1e9, pair*1e9+5e8
		s.setAttr("gen_ai.operation.name", "chat")
		s.setAttr("gen_ai.request.model", "gpt-5")
		s.setAttr("gen_ai.usage.input_tokens", strconv.Itoa(1000+int(pair%1000)))
		s.setAttr("gen_ai.usage.output_tokens", "10")
		c.add(&s)
	}
}

// BenchmarkResolveMillionSpans resolves one trace of 1,000,000 spans.
// Every kept call used to be compared with every later one: 10k spans
// took 0.67 s, 80k 21.9 s, 1M did not finish in 300 s.
func BenchmarkResolveMillionSpans(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		sink := &countSink{}
		c := newCollector("bench", sink)
		traceOfCalls(c, 1_000_000)
		b.StartTimer()
		c.flush()
		if sink.recs != 500_000 {
			b.Fatalf("%d records, want 500,000 (one per pair)", sink.recs)
		}
	}
}

// TestResolveDedupeWindow: a call repeats a kept call of another
// instrumentation only while that call runs; after it ended, equal usage
// is a new call.
func TestResolveDedupeWindow(t *testing.T) {
	sink := &countSink{}
	c := newCollector("t", sink)
	for _, s := range []struct {
		id, scope  string
		start, end int64
	}{{"1", "a", 0, 10}, {"2", "b", 5, 15}, {"3", "b", 20, 30}, {"4", "a", 25, 26}} {
		sp := span{traceID: "t", spanID: s.id, name: "chat", scope: s.scope, start: s.start, end: s.end}
		sp.setAttr("gen_ai.operation.name", "chat")
		sp.setAttr("gen_ai.usage.input_tokens", "10")
		sp.setAttr("gen_ai.usage.output_tokens", "5")
		c.add(&sp)
	}
	c.flush()
	// 1 kept; 2 (b, overlaps 1) repeats it; 3 (b, starts after 1 ended)
	// kept; 4 (a, inside 3) repeats 3: two records, two duplicates.
	if sink.recs != 2 || sink.notes != 2 {
		t.Fatalf("records %d notes %d, want 2 and 2", sink.recs, sink.notes)
	}
}

// A span without a trace id is named for what it lacks (it said
// "missing span id").
func TestMissingIDMessages(t *testing.T) {
	sink := &ingesttest.Sink{}
	c := newCollector("t", sink)
	c.add(&span{spanID: "a", name: "chat"})
	c.add(&span{traceID: "t", name: "chat"})
	if len(sink.Notes) != 2 || sink.Notes[0].Reason != "missing trace id" || sink.Notes[1].Reason != "missing span id" {
		t.Fatalf("notes %+v", sink.Notes)
	}
}
