package otel

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// The real Tempo export of a kagent run: one LLM call appears on three
// nested spans (openai.chat, generate_content, call_llm) and must count once.
func TestTempoSample(t *testing.T) {
	s := decodeFile(t, mustLookup(t, "tempo"), "testdata/tempo_export_with_batches.json")
	s.checkUnits(t)
	want := totals{
		// jq '[.batches[].instrumentationLibrarySpans[].spans[].attributes[]?|select(.key=="gen_ai.conversation.id").value.stringValue]|unique' → 1 id
		sessions: 1,
		// jq '[…spans[]|select(any(.attributes[]?; .key=="gen_ai.response.id"))]' → 2 openai.chat spans
		// (input,output) = (2256,13) and (2392,116); their generate_content and
		// call_llm ancestors repeat those numbers.
		llm: 2, in: 2256 + 2392, out: 13 + 116,
		// gen_ai.usage.cache_read_input_tokens = 0 and llm.usage.reasoning_tokens = 0 on both.
		cacheRead: 0, reason: 0,
		// jq '[…spans[]|select(any(.attributes[]?; .key=="gen_ai.operation.name" and .value.stringValue=="execute_tool"))]|length' → 1
		tools: 1,
		// jq '[…spans[]|select(.status.code==2 or .status.code=="STATUS_CODE_ERROR" or any(.attributes[]?; .key=="error.type"))]|length' → 0
		errors: 0,
	}
	if got := s.totals(); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	// jq '[.batches[].instrumentationLibrarySpans[].spans[]]|length' → 86 spans
	if s.lines != 86 {
		t.Errorf("lines = %d, want 86", s.lines)
	}
	// The 2 generate_content and 2 call_llm spans repeat the openai.chat usage.
	if got := s.count(ingest.NoteDuplicate); got != 4 {
		t.Errorf("duplicates = %d, want 4", got)
	}
	for _, r := range s.recs {
		// The tool and both calls sit below "invoke_agent helm_agent".
		if r.Role != "helm_agent" {
			t.Errorf("%s: role %q, want helm_agent", r.ID, r.Role)
		}
		if r.Kind == ingest.KindLLM && (r.Model != "gpt-4.1-mini-2025-04-14" || r.Provider != "openai") {
			t.Errorf("%s: model %q provider %q", r.ID, r.Model, r.Provider)
		}
	}
	// First call: startTimeUnixNano 1777555053809433900 (19 digits, exact),
	// end 1777555055625694500 → 1816.2606 ms (python3: (1777555055625694500-1777555053809433900)/1e6).
	if r := byStart(s.recs)[0]; r.TSNano != 1777555053809433900 || r.DurationMS != 1816.2606 {
		t.Errorf("first record ts %d dur %v", r.TSNano, r.DurationMS)
	}
}

// byStart is records in start-time order (ties by position). Readers emit
// a trace's records together, in trace id order; consumers order them.
func byStart(recs []ingest.Record) []ingest.Record {
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b ingest.Record) int {
		return cmp.Or(cmp.Compare(a.TSNano, b.TSNano), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Sub, b.Sub))
	})
	return out
}

// The real Jaeger export: legacy prompt/completion tags, one call repeated
// by its call_llm parent, one errored HTTP span that is not a step.
func TestJaegerSample(t *testing.T) {
	s := decodeFile(t, mustLookup(t, "jaeger"), "testdata/k8s.json")
	s.checkUnits(t)
	want := totals{
		// jq -c '[.data[].spans[].tags[]|select(.key=="gen_ai.conversation.id").value]|unique' → 1
		sessions: 1,
		// jq -c '[.data[].spans[]|select(any(.tags[]; .key=="gen_ai.response.id"))|[.tags[]|select(.key|test("usage"))]]'
		// → prompt_tokens 2203, completion_tokens 139, cache_read_input_tokens 1792, reasoning_tokens 0
		llm: 1, in: 2203, out: 139, cacheRead: 1792, reason: 0,
		// no tag gen_ai.operation.name=execute_tool; the only error=true span is an HTTP GET
		tools: 0, errors: 0,
	}
	if got := s.totals(); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	// jq '[.data[].spans[]]|length' → 73
	if s.lines != 73 {
		t.Errorf("lines = %d, want 73", s.lines)
	}
	r := s.recs[0]
	// startTime 1771237881589367 µs, duration 2099429 µs
	if r.TSNano != 1771237881589367000 || r.DurationMS != 2099.429 || r.Role != "k8s_agent" || r.ID != "chatcmpl-D9qArHCFLjLCCQgTZe5nDPEBLhQrM" {
		t.Errorf("record = %+v", r)
	}
}

// The hand-written fixture (testdata/hand.jsonl, built by hand, see
// SOURCES.md): string ints, an invoke_agent parent repeating its child's
// usage on a later line, Anthropic-exclusive input, a failed execute_tool,
// a truncated line, a blank line and a line without spans.
func TestHandFixture(t *testing.T) {
	s := decodeFile(t, mustLookup(t, "otlp"), "testdata/hand.jsonl")
	s.checkUnits(t)
	// Units: line 1 has 2 spans, line 2 is truncated (1), line 3 has 2 spans,
	// line 4 is blank (1), line 5 has no spans (1) → 7.
	if s.lines != 7 {
		t.Errorf("lines = %d, want 7", s.lines)
	}
	for kind, want := range map[ingest.NoteKind]int{ingest.NoteInvalid: 1, ingest.NoteBlank: 1, ingest.NoteSkipped: 1, ingest.NoteDuplicate: 1} {
		if got := s.count(kind); got != want {
			t.Errorf("notes of kind %d = %d, want %d", kind, got, want)
		}
	}
	for _, n := range s.notes {
		if n.Kind == ingest.NoteInvalid && n.Line != 2 {
			t.Errorf("invalid note on line %d, want 2", n.Line)
		}
	}
	want := totals{
		// conv-1 (inherited from invoke_agent by both children) and trace bbbb… (no session attribute)
		sessions: 2,
		llm:      2,
		// chat claude: 100 < 1000+200 so exclusive → 100+1000+200 = 1300; chat gpt-4o: 31
		in: 1300 + 31, out: 50 + 7, cacheRead: 1000 + 10, cacheWrite: 200, reason: 3,
		tools: 1, errors: 1,
	}
	if got := s.totals(); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	if len(s.recs) != 3 {
		t.Fatalf("records = %d, want 3", len(s.recs))
	}
	// In start order: claude at T+1s, gpt-4o at T+2s, tool at T+4s.
	recs := byStart(s.recs)
	c, g, tool := recs[0], recs[1], recs[2]
	if c.ID != "msg_1" || c.SessionID != "conv-1" || c.Role != "coder" || c.DurationMS != 2000 || c.Model != "claude-sonnet-4" || c.Provider != "anthropic" {
		t.Errorf("claude record = %+v", c)
	}
	if g.SessionID != "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" || g.Role != "" || g.Model != "gpt-4o-2024-08-06" || g.ID != "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/0000000000000004" {
		t.Errorf("gpt record = %+v", g)
	}
	if tool.Kind != ingest.KindTool || tool.Tool != "read_file" || tool.Status != ingest.StatusError || tool.Error != "file not found" || tool.SessionID != "conv-1" || tool.Role != "coder" || tool.DurationMS != 500 {
		t.Errorf("tool record = %+v", tool)
	}
	if c.Attrs["service.name"] != "fixture" {
		t.Errorf("attrs = %v", c.Attrs)
	}
}

// A pretty-printed document decodes like its one-line form.
func TestPrettyDocument(t *testing.T) {
	data, err := os.ReadFile("testdata/hand.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(data, []byte("\n"))
	var pretty bytes.Buffer
	// lines[2] holds the invoke_agent span and the gpt-4o span.
	if err := json.Indent(&pretty, lines[2], "", "  "); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s := decodeFile(t, mustLookup(t, "otlp"), path)
	s.checkUnits(t)
	// 2 spans; the invoke_agent one has usage but no inner call here, so it
	// is a record of its own (100 in / 50 out), beside gpt-4o (31 / 7).
	if got := s.totals(); got.llm != 2 || got.in != 131 || got.out != 57 || s.lines != 2 {
		t.Errorf("totals = %+v, lines %d", got, s.lines)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"testdata/tempo_export_with_batches.json", "tempo"},
		{"testdata/k8s.json", "jaeger"},
		{"testdata/hand.jsonl", "otlp"},
	} {
		head, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		head = head[:min(len(head), 64<<10)]
		for _, name := range []string{"otlp", "tempo", "jaeger"} {
			f := mustLookup(t, name)
			if got := f.Sniff(c.file, head); got != (f.Name() == c.want) {
				t.Errorf("%s: %s.Sniff = %v", c.file, f.Name(), got)
			}
		}
	}
}

// TestBadTokenCountIsInvalid: a count that is negative, fractional or not a
// number must make the span invalid, not a record with 0 tokens.
func TestBadTokenCountIsInvalid(t *testing.T) {
	span := func(id, attr, val string) string {
		return `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"` + id + `","name":"chat gpt-4o","startTimeUnixNano":"1748000000000000000","endTimeUnixNano":"1748000001000000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"` + attr + `","value":` + val + `}]}`
	}
	line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
		span("b7ad6b7169203331", "gen_ai.usage.input_tokens", `{"intValue":"-31"}`) + "," +
		span("b7ad6b7169203332", "gen_ai.usage.output_tokens", `{"stringValue":"abc"}`) + "," +
		span("b7ad6b7169203333", "gen_ai.usage.input_tokens", `{"doubleValue":1.5}`) + "," +
		span("b7ad6b7169203334", "gen_ai.usage.input_tokens", `{"intValue":"31"}`) + `]}]}]}` + "\n"
	src := &ingest.Source{Name: "bad.jsonl", R: bufio.NewReader(strings.NewReader(line))}
	sink := decodeSource(t, mustLookup(t, "otlp"), src)
	// Four spans: three with a bad count, one valid with 31 input tokens.
	if len(sink.recs) != 1 || sink.recs[0].InputTokens != 31 || sink.count(ingest.NoteInvalid) != 3 {
		t.Fatalf("records %+v, invalid %d", sink.recs, sink.count(ingest.NoteInvalid))
	}
	for _, n := range sink.notes {
		if n.Kind == ingest.NoteInvalid && (n.Reason != "bad token count" || n.Line != 1) {
			t.Errorf("note %+v", n)
		}
	}
}

// TestSiblingCallsAreNotMerged: only a different instrumentation recording
// the same call merges spans; parallel calls of one instrumentation stay
// apart, and gpt-4o-mini is not gpt-4o.
func TestSiblingCallsAreNotMerged(t *testing.T) {
	span := func(id, model string, startMS int) string {
		start := strconv.FormatInt(1748000000000000000+int64(startMS)*1e6, 10)
		end := strconv.FormatInt(1748000000000000000+int64(startMS+500)*1e6, 10)
		return `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"` + id + `","name":"chat","startTimeUnixNano":"` + start + `","endTimeUnixNano":"` + end +
			`","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.response.model","value":{"stringValue":"` + model +
			`"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"5000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"1"}}]}`
	}
	scope := func(name string, spans ...string) string {
		return `{"scope":{"name":"` + name + `"},"spans":[` + strings.Join(spans, ",") + `]}`
	}
	decode := func(scopes ...string) *collectSink {
		line := `{"resourceSpans":[{"scopeSpans":[` + strings.Join(scopes, ",") + `]}]}` + "\n"
		return decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	}
	// Three overlapping calls of one instrumentation, equal tokens: 3 calls.
	if s := decode(scope("openai", span("0000000000000001", "gpt-4o", 0), span("0000000000000002", "gpt-4o-mini", 100), span("0000000000000003", "gpt-4o", 200))); len(s.recs) != 3 {
		t.Errorf("same scope: %d records, want 3", len(s.recs))
	}
	// Two instrumentations, request vs response model name: one call.
	if s := decode(scope("openai", span("0000000000000001", "gpt-4o-2024-08-06", 0)), scope("adk", span("0000000000000002", "gpt-4o", 10))); len(s.recs) != 1 || s.count(ingest.NoteDuplicate) != 1 {
		t.Errorf("dated and undated across scopes: %d records, want 1", len(s.recs))
	}
	// Two instrumentations but different models: two calls.
	if s := decode(scope("openai", span("0000000000000001", "gpt-4o", 0)), scope("adk", span("0000000000000002", "gpt-4o-mini", 10))); len(s.recs) != 2 {
		t.Errorf("gpt-4o vs gpt-4o-mini: %d records, want 2", len(s.recs))
	}
}

// TestBadSpanStaysInTree: a span with a bad token count is invalid, yet
// its children keep the session its attributes give, and a parent that
// sums its usage is not promoted to a call of its own.
func TestBadSpanStaysInTree(t *testing.T) {
	kv := func(k, v string) string { return `{"key":"` + k + `","value":` + v + `}` }
	span := func(id, parent, name string, attrs ...string) string {
		return `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"` + id + `","parentSpanId":"` + parent + `","name":"` + name +
			`","startTimeUnixNano":"1748000000000000000","endTimeUnixNano":"1748000001000000000","attributes":[` + strings.Join(attrs, ",") + `]}`
	}
	decode := func(spans ...string) *collectSink {
		line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}` + "\n"
		return decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	}
	// A bad parent: the child call still belongs to session conv-42.
	s := decode(
		span("0000000000000001", "", "invoke_agent a", kv("gen_ai.operation.name", `{"stringValue":"invoke_agent"}`),
			kv("gen_ai.conversation.id", `{"stringValue":"conv-42"}`), kv("gen_ai.usage.input_tokens", `{"stringValue":"n/a"}`)),
		span("0000000000000002", "0000000000000001", "chat gpt-4o", kv("gen_ai.operation.name", `{"stringValue":"chat"}`),
			kv("gen_ai.response.model", `{"stringValue":"gpt-4o"}`), kv("gen_ai.usage.input_tokens", `{"intValue":"100"}`)))
	if len(s.recs) != 1 || s.recs[0].SessionID != "conv-42" || s.count(ingest.NoteInvalid) != 1 {
		t.Errorf("bad parent: records %+v, invalid %d", s.recs, s.count(ingest.NoteInvalid))
	}
	// A bad child under a parent repeating its usage: the child is invalid and
	// the parent's sum is not a call (it would be unpriced, with no model).
	s = decode(
		span("0000000000000001", "", "invoke_agent a", kv("gen_ai.operation.name", `{"stringValue":"invoke_agent"}`),
			kv("gen_ai.usage.input_tokens", `{"intValue":"100"}`)),
		span("0000000000000002", "0000000000000001", "chat gpt-4o", kv("gen_ai.operation.name", `{"stringValue":"chat"}`),
			kv("gen_ai.response.model", `{"stringValue":"gpt-4o"}`), kv("gen_ai.usage.input_tokens", `{"intValue":"100"}`),
			kv("gen_ai.usage.reasoning.output_tokens", `{"stringValue":""}`)))
	if len(s.recs) != 0 || s.count(ingest.NoteInvalid) != 1 || s.lines != 2 {
		t.Errorf("bad child: records %+v, invalid %d, units %d", s.recs, s.count(ingest.NoteInvalid), s.lines)
	}
}

// TestUnknownScopesFallBackToSpanNames: without scopes, two instrumentations
// still differ by span name (one call, counted once), while siblings of one
// name are parallel calls.
func TestUnknownScopesFallBackToSpanNames(t *testing.T) {
	span := func(id, name string) string {
		return `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"` + id + `","name":"` + name + `","startTimeUnixNano":"1748000000000000000","endTimeUnixNano":"1748000000500000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.response.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1000"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}]}`
	}
	decode := func(spans ...string) *collectSink {
		line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Join(spans, ",") + `]}]}]}` + "\n"
		return decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	}
	if s := decode(span("0000000000000001", "openai.chat"), span("0000000000000002", "chat gpt-4o")); len(s.recs) != 1 {
		t.Errorf("two instrumentations: %d records, want 1", len(s.recs))
	}
	if s := decode(span("0000000000000001", "chat gpt-4o"), span("0000000000000002", "chat gpt-4o")); len(s.recs) != 2 {
		t.Errorf("two parallel calls: %d records, want 2", len(s.recs))
	}
}

// TestHiddenReasoningFromTotal: a total above input + output with no
// reasoning attribute is Gemini's thinking, billed as output: by hand,
// 2,023 − 5 − 845 = 1,173 reasoning, output 845 + 1,173 = 2,018. With a
// reasoning attribute the producer's split stands. An unmapped token
// attribute in a usage namespace is named. A call that returned text but
// reports 0 output tokens is counted as suspicious.
func TestHiddenReasoningFromTotal(t *testing.T) {
	kv := func(k, v string) string { return `{"key":"` + k + `","value":` + v + `}` }
	span := func(id string, extra ...string) string {
		attrs := append([]string{kv("gen_ai.operation.name", `{"stringValue":"chat"}`), kv("gen_ai.request.model", `{"stringValue":"gemini-2.5-flash"}`),
			kv("gen_ai.usage.input_tokens", `{"intValue":"5"}`), kv("gen_ai.usage.output_tokens", `{"intValue":"845"}`),
			kv("llm.usage.total_tokens", `{"intValue":"2023"}`)}, extra...)
		return `{"traceId":"0af7651916cd43dd8448eb211c80319` + id + `","spanId":"b7ad6b716920333` + id + `","name":"chat","startTimeUnixNano":"1748000000000000000","endTimeUnixNano":"1748000001000000000","attributes":[` + strings.Join(attrs, ",") + `]}`
	}
	line := `{"resourceSpans":[{"scopeSpans":[{"spans":[` + span("1") + "," +
		span("2", kv("gen_ai.usage.reasoning_tokens", `{"intValue":"0"}`), kv("gen_ai.usage.tool_use_prompt_tokens", `{"intValue":"3"}`)) + "," +
		`{"traceId":"0af7651916cd43dd8448eb211c803193","spanId":"b7ad6b7169203333","name":"chat","startTimeUnixNano":"1748000000000000000","attributes":[` +
		kv("gen_ai.operation.name", `{"stringValue":"chat"}`) + "," + kv("gen_ai.usage.input_tokens", `{"intValue":"5"}`) + "," +
		kv("gen_ai.usage.output_tokens", `{"intValue":"0"}`) + "," + kv("gen_ai.completion.0.content", `{"stringValue":"Hello"}`) + `]}` + `]}]}]}` + "\n"
	sink := decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	if len(sink.recs) != 3 {
		t.Fatalf("records %+v notes %+v", sink.recs, sink.notes)
	}
	sort.Slice(sink.recs, func(i, j int) bool { return sink.recs[i].OutputTokens > sink.recs[j].OutputTokens })
	if r := sink.recs[0]; r.InputTokens != 5 || r.OutputTokens != 2018 || r.ReasoningTokens != 1173 || r.TokensFromTotal != 1173 {
		t.Errorf("no reasoning attribute: %+v", r)
	}
	if r := sink.recs[1]; r.OutputTokens != 845 || r.TokensFromTotal != 0 || r.UnknownUsage != "gen_ai.usage.tool_use_prompt_tokens" {
		t.Errorf("with a reasoning attribute: %+v", r)
	}
	// A call that returned text but reports 0 output tokens is noted.
	if r := sink.recs[2]; !r.ZeroOutputText || sink.recs[0].ZeroOutputText {
		t.Errorf("zero output with text: %+v", r)
	}
}

// TestParentCycles: spans whose parent ids form a cycle used to be
// ancestors of each other. Where they carry the same usage (an
// instrumentation wrapping a call repeats its usage), each looked like the
// wrapper of another, all were dropped as repeats and the call's tokens
// vanished. Each cycle is cut at the span that comes first in input order:
// it becomes the root, the wrapper rule keeps the innermost span, and the
// call counts once. By hand: 5000 in / 1 out repeated on every span of a
// 2-cycle or a 3-cycle is one call of 5000 in; spans with different usage
// are separate calls either way (5000 + 1000 + 300 = 6300 in, 6 out).
func TestParentCycles(t *testing.T) {
	span := func(id, parent, model string, in, out, startMS int) string {
		start := strconv.FormatInt(1748000000000000000+int64(startMS)*1e6, 10)
		end := strconv.FormatInt(1748000000000000000+int64(startMS+500)*1e6, 10)
		return `{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"` + id + `","parentSpanId":"` + parent + `","name":"chat","startTimeUnixNano":"` + start + `","endTimeUnixNano":"` + end +
			`","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.response.model","value":{"stringValue":"` + model +
			`"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"` + strconv.Itoa(in) + `"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"` + strconv.Itoa(out) + `"}}]}`
	}
	decode := func(spans ...string) *collectSink {
		line := `{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"openai"},"spans":[` + strings.Join(spans, ",") + `]}]}]}` + "\n"
		return decodeSource(t, mustLookup(t, "otlp"), &ingest.Source{Name: "x.jsonl", R: bufio.NewReader(strings.NewReader(line))})
	}
	sum := func(s *collectSink) (in, out int64) {
		for _, r := range s.recs {
			in, out = in+r.InputTokens, out+r.OutputTokens
		}
		return
	}
	const a, b, c = "0000000000000001", "0000000000000002", "0000000000000003"
	s := decode(span(a, b, "gpt-4o", 5000, 1, 0), span(b, a, "gpt-4o", 5000, 1, 100))
	if in, _ := sum(s); len(s.recs) != 1 || in != 5000 {
		t.Errorf("2-cycle, repeated usage: %d records, %d input tokens; want 1, 5000", len(s.recs), in)
	}
	s = decode(span(a, c, "gpt-4o", 5000, 1, 0), span(b, a, "gpt-4o", 5000, 1, 100), span(c, b, "gpt-4o", 5000, 1, 200))
	if in, _ := sum(s); len(s.recs) != 1 || in != 5000 {
		t.Errorf("3-cycle, repeated usage: %d records, %d input tokens; want 1, 5000", len(s.recs), in)
	}
	s = decode(span(a, c, "gpt-4o", 5000, 1, 0), span(b, a, "gpt-4o-mini", 1000, 2, 100), span(c, b, "o3", 300, 3, 200))
	if in, out := sum(s); len(s.recs) != 3 || in != 6300 || out != 6 {
		t.Errorf("3-cycle: %d records, %d in, %d out; want 3, 6300, 6", len(s.recs), in, out)
	}
}
