package mapped

import (
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

type collect struct {
	mu    sync.Mutex
	recs  []ingest.Record
	notes []ingest.Note
	lines int64
}

func (c *collect) Record(r *ingest.Record) {
	cp := *r
	cp.Attrs = map[string]string{}
	for k, v := range r.Attrs {
		cp.Attrs[k] = v
	}
	c.mu.Lock()
	c.recs = append(c.recs, cp)
	c.mu.Unlock()
}
func (c *collect) Note(n ingest.Note) { c.mu.Lock(); c.notes = append(c.notes, n); c.mu.Unlock() }
func (c *collect) Lines(n int64)      { c.mu.Lock(); c.lines += n; c.mu.Unlock() }

// run decodes text through ingest.Run, as the CLI does with --map.
func run(t testing.TB, m map[string]string, text string) *collect {
	t.Helper()
	c := &collect{}
	_, err := ingest.Run([]string{"-"}, ingest.Options{Format: "mapped", Map: m, Stdin: strings.NewReader(text)},
		func(ingest.FileResult, int) ingest.SinkFactory { return func() ingest.Sink { return c } })
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(c.recs, func(i, j int) bool { return c.recs[i].Line < c.recs[j].Line })
	return c
}

func TestOTelStyleAttributes(t *testing.T) {
	m := map[string]string{
		"session_id":    "attributes.thread",
		"input_tokens":  `attributes["gen_ai.usage.input_tokens"]`,
		"output_tokens": `attributes.gen_ai\.usage\.output_tokens`,
		"ts":            "start",
		"attr.team":     "resource.team",
	}
	text := `{"attributes":{"thread":"t1","gen_ai.usage.input_tokens":1200,"gen_ai.usage.output_tokens":"80"},"start":"2026-11-02T09:00:00Z","model":"gpt-4o","name":"chat","resource":{"team":"search"}}` + "\n" +
		`{"attributes":{"thread":"t1"},"tool_name":"grep","start":1793610000250,"status":"error"}` + "\n"
	c := run(t, m, text)
	if c.lines != 2 || len(c.recs) != 2 || len(c.notes) != 0 {
		t.Fatalf("lines %d records %d notes %+v", c.lines, len(c.recs), c.notes)
	}
	r := c.recs[0]
	// Mapped: session, tokens (the string "80" is a decimal string, accepted),
	// ts. Unmapped canonical model read by name; "name" is an attribute;
	// "start" and "attributes"/"resource" are consumed or objects, not attributes.
	if r.SessionID != "t1" || r.InputTokens != 1200 || r.OutputTokens != 80 || r.Model != "gpt-4o" || r.Kind != ingest.KindLLM ||
		r.TSNano != 1793610000_000000000 {
		t.Errorf("line 1: %+v", r)
	}
	if want := map[string]string{"name": "chat", "team": "search"}; !reflect.DeepEqual(r.Attrs, want) {
		t.Errorf("line 1 attrs %v, want %v", r.Attrs, want)
	}
	// Line 2: the alias tool_name gives a tool; a tool with no tokens or
	// model is a tool call; epoch ms 1793610000250 = …09:00:00.250Z.
	r = c.recs[1]
	if r.Kind != ingest.KindTool || r.Tool != "grep" || r.Status != ingest.StatusError || r.TSNano/1e6 != 1793610000250 {
		t.Errorf("line 2: %+v", r)
	}
}

func TestMappedOverridesAndAbsence(t *testing.T) {
	m := map[string]string{"session_id": "ctx.sid", "model": "events[1].model"}
	text := `{"session_id":"top","ctx":{"sid":"mapped"},"events":[{"model":"a"},{"model":"b"}]}` + "\n" +
		`{"session_id":"top","events":[]}` + "\n" +
		"\n"
	c := run(t, m, text)
	// Line 1: the mapped path wins over the top-level key; [1] is the second event.
	// Line 2: the mapped path is absent, and a mapped field is read only from its
	// path, so the record has no session: invalid. Line 3 is blank.
	if c.lines != 3 || len(c.recs) != 1 || len(c.notes) != 2 {
		t.Fatalf("lines %d records %d notes %+v", c.lines, len(c.recs), c.notes)
	}
	if r := c.recs[0]; r.SessionID != "mapped" || r.Model != "b" {
		t.Errorf("line 1: %+v", r)
	}
	sort.Slice(c.notes, func(i, j int) bool { return c.notes[i].Line < c.notes[j].Line })
	if n := c.notes[0]; n.Line != 2 || n.Reason != "missing session_id" || n.File != "-" {
		t.Errorf("note 1: %+v", n)
	}
	if n := c.notes[1]; n.Line != 3 || n.Kind != ingest.NoteBlank {
		t.Errorf("note 2: %+v", n)
	}
}

func TestMappedUsage(t *testing.T) {
	m := map[string]string{"session_id": "meta.session", "usage": "response.usage"}
	text := `{"meta":{"session":"s"},"response":{"usage":{"input_tokens":100,"output_tokens":30,"cache_creation_input_tokens":400,"cache_read_input_tokens":2000}}}` + "\n" +
		`{"meta":{"session":"s"},"response":{"usage":{"prompt_tokens":900,"completion_tokens":10,"prompt_tokens_details":{"cached_tokens":300}}}}` + "\n" +
		`{"meta":{"session":"s"},"input_tokens":5,"response":{"usage":{"prompt_tokens":900}}}` + "\n"
	c := run(t, m, text)
	if len(c.recs) != 3 || len(c.notes) != 0 {
		t.Fatalf("records %d notes %+v", len(c.recs), c.notes)
	}
	// Anthropic: input excludes cache: 100 + 400 + 2000 = 2500.
	if r := c.recs[0]; r.InputTokens != 2500 || r.CacheReadTokens != 2000 || r.CacheWriteTokens != 400 || r.OutputTokens != 30 {
		t.Errorf("anthropic: %+v", r)
	}
	// OpenAI: inclusive as is.
	if r := c.recs[1]; r.InputTokens != 900 || r.CacheReadTokens != 300 || r.OutputTokens != 10 {
		t.Errorf("openai: %+v", r)
	}
	// A top-level token field wins over usage, as in canonical JSONL.
	if r := c.recs[2]; r.InputTokens != 5 {
		t.Errorf("top-level tokens: %+v", r)
	}
}

// TestMappedServerToolUseKeys: a mapped usage object's server_tool_use keys
// other than web_search_requests and web_fetch_requests are named in
// UnknownUsage, as in canonical JSONL, also beside top-level tokens (the
// billing fields are read then too); before, their searches cost $0 with
// exit 0. By hand: only the exact web_search_requests (2) is read.
func TestMappedServerToolUseKeys(t *testing.T) {
	m := map[string]string{"session_id": "s", "input_tokens": "in", "usage": "u"}
	text := `{"s":"a","u":{"input_tokens":1,"server_tool_use":{"Web_Search_Requests":3}}}` + "\n" +
		`{"s":"a","in":5,"u":{"server_tool_use":{"web_search_requests":2,"code_execution_requests":1}}}` + "\n"
	c := run(t, m, text)
	if len(c.recs) != 2 || len(c.notes) != 0 {
		t.Fatalf("records %d notes %+v", len(c.recs), c.notes)
	}
	for i, want := range []struct {
		unknown  string
		searches int64
	}{{"server_tool_use.Web_Search_Requests", 0}, {"server_tool_use.code_execution_requests", 2}} {
		if r := c.recs[i]; r.UnknownUsage != want.unknown || r.WebSearchRequests != want.searches {
			t.Errorf("line %d: unknown %q searches %d; want %q %d", i+1, r.UnknownUsage, r.WebSearchRequests, want.unknown, want.searches)
		}
	}
}

func TestInvalidLines(t *testing.T) {
	m := map[string]string{"session_id": "s", "input_tokens": "u.in"}
	text := strings.Join([]string{
		`{"s":"a","u":{"in":-1}}`,
		`{"s":"a","u":{"in":"lots"}}`,
		`{"s":"a","u":{"in":1.5}}`,
		`{"s":"a","u":{"in":10},"cache_read_tokens":11}`,
		`{"s":{"x":1}}`,
		`not json`,
		`[1,2]`,
		"{\"s\":\"\xff\"}",
		`{"s":"a","kind":"agent"}`,
	}, "\n")
	c := run(t, m, text)
	want := []string{
		"1 negative token count u.in",
		"2 wrong type (want number) u.in",
		"3 fractional token count u.in",
		"4 cache tokens exceed input_tokens (input must include cache reads and writes) ",
		"5 wrong type (want string) s",
		"6 malformed json",
		"7 not a json object ",
		"8 invalid utf-8 ",
		"9 unknown kind (want llm or tool) ",
	}
	if c.lines != 9 || len(c.recs) != 0 || len(c.notes) != len(want) {
		t.Fatalf("lines %d records %d notes %+v", c.lines, len(c.recs), c.notes)
	}
	sort.Slice(c.notes, func(i, j int) bool { return c.notes[i].Line < c.notes[j].Line })
	for i, n := range c.notes {
		got := strings.Join([]string{itoa(n.Line), n.Reason, n.Detail}, " ")
		if i == 5 {
			got = itoa(n.Line) + " " + n.Reason // fastjson's detail varies
		}
		if got != want[i] {
			t.Errorf("note %d: %q, want %q", i, got, want[i])
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestValidateMap(t *testing.T) {
	if err := ValidateMap(map[string]string{"session_id": "a.b", "usage": "x", "attr.team": "m.team"}); err != nil {
		t.Errorf("valid map: %v", err)
	}
	for _, tc := range []struct {
		m    map[string]string
		want []string
	}{
		{map[string]string{"sesion_id": "a"}, []string{`unknown canonical field "sesion_id"`, "valid: id, session_id, seq", "attr.NAME"}},
		{map[string]string{"prompt_tokens": "a"}, []string{"did you mean input_tokens?"}},
		{map[string]string{"model": "a..b"}, []string{"--map model=a..b", "empty key"}},
		{map[string]string{"model": ""}, []string{"empty key"}},
		{map[string]string{"model": `a["x"`}, []string{"unclosed ["}},
		{map[string]string{"model": `a[x]`}, []string{"bad [x]"}},
	} {
		err := ValidateMap(tc.m)
		if err == nil {
			t.Errorf("%v: no error", tc.m)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %q lacks %q", tc.m, err, w)
			}
		}
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string][]string{
		"a":                            {"a"},
		"attributes.thread":            {"attributes", "thread"},
		`attributes["gen_ai.usage.x"]`: {"attributes", "gen_ai.usage.x"},
		`attributes['a.b'].c`:          {"attributes", "a.b", "c"},
		`attributes.gen_ai\.usage\.x`:  {"attributes", "gen_ai.usage.x"},
		`a\\b`:                         {`a\b`},
		"events[0].x":                  {"events", "0", "x"},
		`["top.level"]`:                {"top.level"},
		"m[2][3]":                      {"m", "2", "3"},
	} {
		got, err := parsePath(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("parsePath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ".a", "a.", "a..b", `a\`, "a[", "a[-1]", `a[""]`, "a[0]b", "a.[0]"} {
		if got, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q) = %q, want an error", bad, got)
		}
	}
}

func TestNeverSniffedAndNeedsMap(t *testing.T) {
	if (format{}).Sniff("x.jsonl", []byte(`{"session_id":"s"}`)) {
		t.Error("mapped must never be auto-detected")
	}
	_, err := ingest.Run([]string{"-"}, ingest.Options{Format: "mapped", Stdin: strings.NewReader(`{"session_id":"s"}`)},
		func(ingest.FileResult, int) ingest.SinkFactory { return func() ingest.Sink { return &collect{} } })
	if err == nil || !strings.Contains(err.Error(), "--map") {
		t.Errorf("no map: %v", err)
	}
}

// TestMappedToolArgs: --map tool_args=… and tool_result=… point at any
// JSON value; the record keeps their hashes, as the canonical reader does.
func TestMappedToolArgs(t *testing.T) {
	c := run(t, map[string]string{"session_id": "sid", "tool": "call.name", "tool_args": "call.input", "tool_result": "call.output"},
		`{"sid":"s","call":{"name":"read_file","input":{"path":"a.py","n":1},"output":"abc"}}`+"\n"+
			`{"sid":"s","call":{"name":"read_file","input":{ "n":1, "path":"a.py" },"output":"abc"}}`+"\n")
	if len(c.recs) != 2 {
		t.Fatalf("%d records, notes %+v", len(c.recs), c.notes)
	}
	a, b := c.recs[0], c.recs[1]
	if a.ToolArgsHash == 0 || a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsLabel != "a.py" ||
		a.ToolResultHash != toolhash.Text("abc") || a.ToolResultBytes != 3 {
		t.Errorf("%+v\n%+v", a, b)
	}
}
