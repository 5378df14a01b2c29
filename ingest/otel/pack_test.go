package otel

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"unsafe"

	"github.com/tokcost/tokcost/ingest"
)

// collideAll makes every trace id and span id hash alike for the test, so
// each lookup walks the chains and tells entries apart by their text.
func collideAll(t *testing.T) {
	hashMask = 0
	t.Cleanup(func() { hashMask = ^uint64(0) })
}

// TestCollectorHashCollisions reads every bundled span file and the
// generated bench input twice, once with every id colliding: the output
// must not change, as lookups compare ids, never trust a hash.
func TestCollectorHashCollisions(t *testing.T) {
	cases := []struct{ format, path string }{
		{"otlp", "testdata/hand.jsonl"}, {"tempo", "testdata/tempo_export_with_batches.json"},
		{"jaeger", "testdata/k8s.json"}, {"stdouttrace", "testdata/stdouttrace_pretty.json"},
		{"stdouttrace", "testdata/stdouttrace_lines.jsonl"}, {"otel-console", "testdata/console_py.json"},
		{"otlp", ""},
	}
	gen := genOTLP(3000)
	for _, tc := range cases {
		read := func() *collectSink {
			data := gen
			if tc.path != "" {
				data = readFile(t, tc.path)
			}
			return decodeSource(t, mustLookup(t, tc.format), &ingest.Source{Name: "x", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)})
		}
		want := read()
		if len(want.recs) == 0 {
			t.Fatalf("%s: no records", tc.path)
		}
		hashMask = 0
		got := read()
		hashMask = ^uint64(0)
		sameOutput(t, tc.format+" "+tc.path, got, want)
	}
}

// TestCollectorIDs pins how spans are told apart, with every id hash
// colliding: the same span id in two traces is two spans; the same pair
// again is a repeat; ids holding "/" compare as "traceID/spanID" (so
// ("a/b","c") repeats ("a","b/c")), and never equal a pair without one.
func TestCollectorIDs(t *testing.T) {
	collideAll(t)
	sink := &collectSink{}
	c := newCollector("f", sink)
	for i, ids := range [][2]string{
		{"t1", "s"}, {"t2", "s"}, {"t1", "s"}, // the third repeats the first
		{"a", "b/c"}, {"a/b", "c"}, // the fifth repeats the fourth: both are "a/b/c"
		{"a", "b"}, {"a/b", "d"}, // two more spans
	} {
		// Apart in time: no two are one call recorded twice (sameCall).
		s := span{traceID: ids[0], spanID: ids[1], name: ids[0] + " " + ids[1], file: "f", start: int64(i) * 10}
		s.setAttr("gen_ai.operation.name", "chat")
		s.setAttr("gen_ai.usage.input_tokens", "10")
		s.setAttr("gen_ai.usage.output_tokens", "1")
		c.add(&s)
	}
	c.flush()
	// 7 spans - 2 repeats = 5 records, one per span. Their ids (trace
	// id/span id, no response ids), in trace id order ("a" < "a/b" <
	// "t1" < "t2"), within a trace by start time (the order added).
	var ids []string
	for _, r := range sink.recs {
		ids = append(ids, r.ID)
	}
	if got, want := strings.Join(ids, " "), "a/b/c a/b a/b/d t1/s t2/s"; got != want {
		t.Errorf("records %q, want %q", got, want)
	}
	var dups []string
	for _, n := range sink.notes {
		if n.Kind == ingest.NoteDuplicate && n.Reason == "repeated span" {
			dups = append(dups, n.Detail)
		}
	}
	if got, want := strings.Join(dups, ","), "t1 s,a/b c"; got != want {
		t.Errorf("repeats %q, want %q", got, want)
	}
}

// TestCollectorCopiesArenaText: a record keeps no text of the collector's
// id arena, which goes when the source is read: its id (the response id,
// or trace/span) and its session (the trace id when no span names one)
// must survive the arena being overwritten.
func TestCollectorCopiesArenaText(t *testing.T) {
	sink := &collectSink{}
	c := newCollector("f", sink)
	for i, resp := range []string{"resp-1", ""} {
		s := span{traceID: "trace-1", spanID: "span-" + string(rune('1'+i)), file: "f"}
		s.setAttr("gen_ai.operation.name", "chat")
		s.setAttr("gen_ai.usage.input_tokens", "10")
		s.setAttr("gen_ai.usage.output_tokens", "1")
		s.setAttr("gen_ai.response.id", resp)
		s.start = int64(i) * 1e9 // apart in time: two calls
		c.add(&s)
	}
	c.flush()
	for _, ch := range c.ids.chunks {
		for i := range ch {
			ch[i] = 'X'
		}
	}
	var got []string
	for _, r := range sink.recs {
		got = append(got, r.ID+" "+r.SessionID)
	}
	if want := "resp-1 trace-1,trace-1/span-2 trace-1"; strings.Join(got, ",") != want {
		t.Errorf("records %q, want %q", strings.Join(got, ","), want)
	}
}

// TestSameInstrumentationByName: a span without a scope stands for the
// instrumentation "\x00"+name, so it is one instrumentation with a span
// whose scope is spelt that way (and its equal call is a parallel call,
// kept), and another than a scope "chat" (its equal call is merged).
func TestSameInstrumentationByName(t *testing.T) {
	for _, tc := range []struct {
		scope string
		recs  int
	}{{"\x00chat", 2}, {"chat", 1}} {
		sink := &collectSink{}
		c := newCollector("f", sink)
		for i, scope := range []string{tc.scope, ""} {
			s := span{traceID: "t", spanID: string(rune('1' + i)), name: "chat", scope: scope, start: 1, end: 2}
			s.setAttr("gen_ai.operation.name", "chat")
			s.setAttr("gen_ai.usage.input_tokens", "10")
			s.setAttr("gen_ai.usage.output_tokens", "1")
			c.add(&s)
		}
		c.flush()
		if len(sink.recs) != tc.recs {
			t.Errorf("scope %q: %d records, want %d", tc.scope, len(sink.recs), tc.recs)
		}
	}
}

// TestStrTableStaleCache: a cache slot that names the address and length
// of another string (an address reused after the decoder dropped its
// string) is not trusted without comparing the text.
func TestStrTableStaleCache(t *testing.T) {
	tab := newStrTable()
	a := tab.ref(strings.Clone("abc"))
	x := strings.Clone("xyz")
	p := uintptr(unsafe.Pointer(unsafe.StringData(x)))
	for i := range tab.recent {
		tab.recent[i].p, tab.recent[i].n, tab.recent[i].r = p, 3, a
	}
	r := tab.ref(x)
	if r == a || tab.str(r) != "xyz" || tab.str(a) != "abc" {
		t.Fatalf("ref(xyz) = %d (%q), ref(abc) = %d (%q)", r, tab.str(r), a, tab.str(a))
	}
	if tab.ref(strings.Clone("abc")) != a || tab.ref("") != 0 || tab.str(0) != "" {
		t.Fatal("equal text must give the same ref, and \"\" ref 0")
	}
}

// TestArena: strings round-trip across chunk ends, with one longer than a
// chunk.
func TestArena(t *testing.T) {
	var a arena
	var refs []aref
	var want []string
	for i := range 3000 {
		s := strings.Repeat(string(rune('a'+i%26)), 1+i%300)
		if i == 1000 {
			s = strings.Repeat("L", arenaChunk+5)
		}
		refs = append(refs, a.add(s))
		want = append(want, s)
	}
	// 3000 strings of 1-300 bytes (about 450 kB) and one of a chunk and
	// more: at least three chunks.
	if len(a.chunks) < 3 {
		t.Fatalf("%d chunks, want at least 3", len(a.chunks))
	}
	for i, r := range refs {
		if a.str(r) != want[i] {
			t.Fatalf("string %d: got %d bytes, want %d", i, len(a.str(r)), len(want[i]))
		}
	}
	if a.add("") != (aref{}) || a.str(aref{}) != "" {
		t.Fatal(`"" must be the zero aref`)
	}
}
