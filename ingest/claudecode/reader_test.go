package claudecode

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokcost/tokcost/ingest/ingesttest"

	"github.com/tokcost/tokcost/ingest"
)

// collect is the shared test sink (ingest/ingesttest).
type collect = ingesttest.Sink

// decode runs the reader over data as if it were the file name.
func decode(t testing.TB, name string, data []byte) *collect {
	return ingesttest.Decode(t, Format{}, name, data)
}

// checkAccounting asserts every unit is a record or exactly one note.
func checkAccounting(t *testing.T, c *collect, want int64) {
	t.Helper()
	ingesttest.CheckAccounting(t, c, want)
}

type sums struct {
	sessions                 int
	llm, in, out, cr, cw, h1 int64
	tools, toolErr           int64
	sibling, rejected        int64
}

func sum(recs []ingest.Record) sums {
	var s sums
	sess := map[string]bool{}
	for _, r := range recs {
		sess[r.SessionID] = true
		switch r.Kind {
		case ingest.KindLLM:
			s.llm++
			s.in += r.InputTokens
			s.out += r.OutputTokens
			s.cr += r.CacheReadTokens
			s.cw += r.CacheWriteTokens
			s.h1 += r.CacheWrite1hTokens
		case ingest.KindTool:
			s.tools++
			if r.Status == ingest.StatusError {
				s.toolErr++
			}
			switch r.ErrorClass {
			case ingest.ErrorSiblingCancel:
				s.sibling++
			case ingest.ErrorUserRejected:
				s.rejected++
			}
		}
	}
	s.sessions = len(sess)
	return s
}

// Expected figures are derived from the sample files with jq, independently
// of the reader. With A = [.[]|select(.type=="assistant")] and
// G = A|group_by([.message.id,.requestId]) under `jq -s`:
//
//	lines:     wc -l
//	llm:       G|length
//	in:        G|map(.[0].message.usage|.input_tokens+.cache_creation_input_tokens+.cache_read_input_tokens)|add
//	           (every group has one input value: map([.[]...]|unique|length)|max == 1)
//	out:       G|map([.[].message.usage.output_tokens]|max)|add
//	cr/cw/h1:  G|map(.[0].message.usage.cache_read_input_tokens / .cache_creation_input_tokens /
//	           .cache_creation.ephemeral_1h_input_tokens)|add
//	dup:       (A|length) - llm
//	tools:     jq '[.message.content[]?|select(type=="object" and .type=="tool_result")]|length' | paste -sd+ | bc
//	toolErr:   same with `and .is_error==true`
//	sibling:   same with `and (.content|tostring|contains("Sibling tool call errored"))`
//	rejected:  same with `and (.content|tostring|test("doesn.t want to proceed|User rejected tool use"))`
//	skipped:   lines neither assistant nor a user line holding a tool_result:
//	           jq -r 'select((.type=="user" and ([.message.content[]?|select(type=="object" and .type=="tool_result")]|length>0)) or .type=="assistant"|not)|.type' | sort | uniq -c
//	sessions:  jq -r '.sessionId // empty' | sort -u | wc -l
func TestSamples(t *testing.T) {
	tests := []struct {
		file    string
		lines   int64
		want    sums
		dup     int
		skipped map[string]int
	}{
		{
			file: "agent-a2898e3.jsonl", lines: 144, dup: 40 - 12,
			want: sums{sessions: 1, llm: 12, in: 675466, out: 136, cr: 604156, cw: 71257, h1: 0,
				tools: 33, toolErr: 8, sibling: 7, rejected: 0},
			skipped: map[string]int{"progress": 70, "user": 1},
		},
		{
			// Naive Σ cache_read over the 5 assistant lines is 5 × 11,515 = 57,575
			// (jq '[.[]|select(.type=="assistant")|.message.usage.cache_read_input_tokens]|add');
			// after dedupe it is 11,515.
			file: "short.jsonl", lines: 15, dup: 5 - 1,
			want: sums{sessions: 1, llm: 1, in: 25353, out: 13, cr: 11515, cw: 13835, h1: 13835,
				tools: 2, toolErr: 2, sibling: 0, rejected: 2},
			skipped: map[string]int{"file-history-snapshot": 1, "progress": 3, "system": 2, "user": 2},
		},
		{
			file: "subagent.jsonl", lines: 96, dup: 28 - 12,
			want: sums{sessions: 1, llm: 12, in: 454704, out: 1586, cr: 427286, cw: 25842, h1: 25842,
				tools: 16, toolErr: 0},
			skipped: map[string]int{"file-history-snapshot": 3, "progress": 44, "system": 1, "user": 4},
		},
		{
			file: "tool_heavy.jsonl", lines: 39, dup: 9 - 4,
			want: sums{sessions: 1, llm: 4, in: 105981, out: 212, cr: 88231, cw: 17696, h1: 17696,
				tools: 6, toolErr: 0},
			skipped: map[string]int{"file-history-snapshot": 3, "progress": 10, "queue-operation": 2, "system": 2, "user": 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !(Format{}).Sniff(tt.file, data[:min(len(data), 64<<10)]) {
				t.Errorf("Sniff rejects %s", tt.file)
			}
			c := decode(t, tt.file, data)
			if got := sum(c.Recs); got != tt.want {
				t.Errorf("sums\n got %+v\nwant %+v", got, tt.want)
			}
			if got := c.Count(ingest.NoteDuplicate); got != tt.dup {
				t.Errorf("duplicates = %d, want %d", got, tt.dup)
			}
			if got := c.Count(ingest.NoteInvalid) + c.Count(ingest.NoteBlank); got != 0 {
				t.Errorf("invalid+blank = %d, want 0", got)
			}
			skipped := map[string]int{}
			for _, n := range c.Notes {
				if n.Kind == ingest.NoteSkipped {
					skipped[n.Reason]++
				}
			}
			if !maps.Equal(skipped, tt.skipped) {
				t.Errorf("skipped = %v, want %v", skipped, tt.skipped)
			}
			checkAccounting(t, c, tt.lines)
			for _, r := range c.Recs {
				if r.File != tt.file || r.Line < 1 {
					t.Errorf("record provenance %q:%d", r.File, r.Line)
				}
				if r.Kind == ingest.KindTool && r.Tool == "" {
					// jq: every tool_result id has a tool_use block in the same file.
					t.Errorf("line %d: tool record without a tool name", r.Line)
				}
			}
		})
	}
}

// TestAgentFields checks the per-record mapping on the sub-agent sample.
func TestAgentFields(t *testing.T) {
	data, err := os.ReadFile("testdata/agent-a2898e3.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	c := decode(t, "agent.jsonl", data)
	first := c.Recs[0]
	// Line 2 is the first assistant line: sed -n 2p | jq '{sessionId,agentId,requestId,m:.message.id,
	// model:.message.model,timestamp,cwd,version,gitBranch,u:.message.usage}'
	// → msg_016xcKQRzQXv2gLKoiSyUZxc / req_011CY4TSxK7aKeeVwvVX81aP, input 3+13522+0.
	if first.Kind != ingest.KindLLM || first.Line != 2 ||
		first.ID != "msg_016xcKQRzQXv2gLKoiSyUZxc" ||
		first.Model != "claude-sonnet-4-5-20250929" || first.Provider != "anthropic" ||
		first.SessionID != "4d5611e5-241a-462a-8d15-5122611a9569" || first.Role != "subagent" ||
		first.Attrs["agentId"] != "a2898e3" || first.InputTokens != 13525 || first.CacheWriteTokens != 13522 {
		t.Errorf("first record = %+v", first)
	}
	if first.TSNano == 0 || first.Attrs["cwd"] == "" || first.Attrs["version"] == "" {
		t.Errorf("first record lacks time or attrs: %+v", first)
	}
	// Line 8 holds the one real failure: its tool_use (line 7) is a Read,
	// jq -c 'select(.type=="user")|.message.content[]|select(.is_error==true)|.tool_use_id' | head -1
	// → toolu_01TfDS8UjxxjY4dzV8esUMzm; grep that id in an assistant line → "name":"Read".
	for _, r := range c.Recs {
		if r.Line == 8 {
			if r.Kind != ingest.KindTool || r.Tool != "Read" || r.Status != ingest.StatusError ||
				r.ErrorClass != ingest.ErrorPlain || !strings.Contains(r.Error, "File does not exist") ||
				r.ID != "toolu_01TfDS8UjxxjY4dzV8esUMzm" || r.DurationMS <= 0 {
				t.Errorf("line 8 record = %+v", r)
			}
		}
	}
}

func TestDedupe(t *testing.T) {
	// Three streamed lines of one response; the middle one carries the largest
	// output snapshot. Then a sidechain replay of the same message.id with a
	// new requestId (docs/formats/claude-code.md): it falls back to message.id and is a
	// duplicate. Then a response without message.id: never deduplicated.
	in := `{"type":"assistant","sessionId":"s","isSidechain":false,"requestId":"r1","timestamp":"2026-01-01T00:00:00Z","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":2}}}
{"type":"assistant","sessionId":"s","isSidechain":false,"requestId":"r1","timestamp":"2026-01-01T00:00:01Z","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":50}}}
{"type":"assistant","sessionId":"s","isSidechain":false,"requestId":"r1","timestamp":"2026-01-01T00:00:02Z","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":7}}}
{"type":"assistant","sessionId":"s","isSidechain":true,"requestId":"r2","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"cache_creation_input_tokens":10,"cache_read_input_tokens":100,"output_tokens":60}}}
{"type":"assistant","sessionId":"s","requestId":"r3","message":{"model":"claude-x","usage":{"input_tokens":4,"output_tokens":5}}}
{"type":"assistant","sessionId":"s","requestId":"r4","message":{"id":"m2","model":"<synthetic>","usage":{"input_tokens":0,"output_tokens":0}}}
`
	c := decode(t, "d.jsonl", []byte(in))
	if len(c.Recs) != 2 {
		t.Fatalf("records = %d, want 2: %+v", len(c.Recs), c.Recs)
	}
	r := c.Recs[0]
	// Input by hand: 1+10+100 = 111. Output = max(2, 50, 7, 60) = 60: the
	// non-sidechain line is kept but output is the max over all duplicates.
	if r.Line != 1 || r.InputTokens != 111 || r.OutputTokens != 60 || r.Role != "main" || r.ID != "m1" {
		t.Errorf("deduped record = %+v", r)
	}
	if r.TSNano != 1767225600*1e9 { // date -d 2026-01-01T00:00:00Z +%s
		t.Errorf("TSNano = %d", r.TSNano)
	}
	if c.Recs[1].Line != 5 || c.Recs[1].InputTokens != 4 {
		t.Errorf("id-less record = %+v", c.Recs[1])
	}
	if c.Count(ingest.NoteDuplicate) != 3 || c.Count(ingest.NoteSkipped) != 1 {
		t.Errorf("notes = %+v", c.Notes)
	}
	checkAccounting(t, c, 6)
}

func TestSidechainKeepsMain(t *testing.T) {
	// The sidechain copy comes first and has the larger usage; the main line
	// still wins (ccusage rule), and the record keeps the first line's place.
	in := `{"type":"assistant","sessionId":"s","isSidechain":true,"agentId":"a1","requestId":"r2","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":9,"output_tokens":9}}}
{"type":"assistant","sessionId":"s","isSidechain":false,"requestId":"r1","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":5,"output_tokens":1}}}
`
	c := decode(t, "d.jsonl", []byte(in))
	if len(c.Recs) != 1 {
		t.Fatalf("records = %+v", c.Recs)
	}
	r := c.Recs[0]
	if r.Role != "main" || r.InputTokens != 5 || r.OutputTokens != 9 || r.Line != 1 || r.ID != "m1" {
		t.Errorf("record = %+v", r)
	}
	checkAccounting(t, c, 2)
}

func TestToolResults(t *testing.T) {
	in := `{"type":"assistant","sessionId":"s","requestId":"r1","timestamp":"2026-01-01T00:00:00Z","message":{"id":"m1","model":"claude-x","content":[{"type":"tool_use","id":"t1","name":"Bash"},{"type":"tool_use","id":"t2","name":"Read"},{"type":"tool_use","id":"t3","name":"Edit"}],"usage":{"input_tokens":1,"output_tokens":1}}}
{"type":"user","sessionId":"s","timestamp":"2026-01-01T00:00:02.5Z","message":{"role":"user","content":[{"type":"text","text":"hi"},{"type":"tool_result","tool_use_id":"t1","content":"boom","is_error":true},{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"<tool_use_error>Sibling tool call errored</tool_use_error>"}],"is_error":true},{"type":"tool_result","tool_use_id":"t3","content":"User rejected tool use","is_error":true},{"type":"tool_result","tool_use_id":"zz","content":"ok"}]}}
{"type":"user","sessionId":"s","message":{"role":"user","content":"plain text"}}
`
	c := decode(t, "d.jsonl", []byte(in))
	if len(c.Recs) != 5 {
		t.Fatalf("records = %d, want 1 llm + 4 tool", len(c.Recs))
	}
	want := []struct {
		tool   string
		status ingest.Status
		class  ingest.ErrorClass
	}{
		{"Bash", ingest.StatusError, ingest.ErrorPlain},
		{"Read", ingest.StatusError, ingest.ErrorSiblingCancel},
		{"Edit", ingest.StatusError, ingest.ErrorUserRejected},
		{"", ingest.StatusOK, ingest.ErrorPlain}, // no matching tool_use
	}
	for i, w := range want {
		r := c.Recs[i+1]
		if r.Kind != ingest.KindTool || r.Sub != int32(i) || r.Line != 2 || r.Tool != w.tool || r.Status != w.status || r.ErrorClass != w.class {
			t.Errorf("tool %d = %+v", i, r)
		}
	}
	// 00:00:00 → 00:00:02.5: 2500 ms by hand.
	if c.Recs[1].DurationMS != 2500 || c.Recs[1].Error != "boom" {
		t.Errorf("tool 0 = %+v", c.Recs[1])
	}
	checkAccounting(t, c, 3)
}

func TestErrorTruncated(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4000 bytes
	in := `{"type":"user","sessionId":"s","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":"` + long + `","is_error":true}]}}`
	c := decode(t, "d.jsonl", []byte(in))
	// 2048 bytes is exactly 1024 two-byte runes.
	if len(c.Recs) != 1 || len(c.Recs[0].Error) != 2048 || !strings.HasPrefix(long, c.Recs[0].Error) {
		t.Fatalf("error text = %d bytes", len(c.Recs[0].Error))
	}
}

func TestBadInput(t *testing.T) {
	good := `{"type":"assistant","sessionId":"s","requestId":"r1","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"output_tokens":1}}}`
	lines := []string{
		good,
		"",         // 2 blank
		"   \t",    // 3 blank
		"garbage{", // 4 invalid
		`[1,2]`,    // 5 invalid: not an object
		`{"type":"assistant","sessionId":"s","message":{"id":"m2","usage":{"input_tokens":"many"}}}`, // 6 wrong type
		`{"type":"assistant","sessionId":"s","message":"oops"}`,                                      // 7 wrong type
		`{"sessionId":"s"}`, // 8 missing type
		`{"type":"assistant","message":{"id":"m3","usage":{"input_tokens":1}}}`,                             // 9 missing sessionId
		`{"type":"assistant","sessionId":"s","message":{"id":"m4","usage":{"input_tokens":-1}}}`,            // 10 negative
		`{"type":"assistant","sessionId":"s","message":{"id":"m5"}}`,                                        // 11 skipped: no usage
		`{"type":"user","sessionId":"s","message":{"content":[{"type":"tool_result","tool_use_id":5}]}}`,    // 12 odd block: skipped user
		`{"type":"weird-new-type","sessionId":"s"}`,                                                         // 13 skipped
		`{"type":"system","sessionId":"s","message":"a string here is fine"}`,                               // 14 skipped
		`{"type":"assistant","sessionId":"s","requestId":"r9","message":{"id":"m9","model":"claude-x","usa`, // 15 truncated
	}
	c := decode(t, "bad.jsonl", []byte(strings.Join(lines, "\n")))
	if len(c.Recs) != 1 {
		t.Errorf("records = %d, want 1", len(c.Recs))
	}
	// By hand from the comments above.
	if c.Count(ingest.NoteBlank) != 2 || c.Count(ingest.NoteInvalid) != 8 || c.Count(ingest.NoteSkipped) != 4 {
		t.Errorf("notes = %+v", c.Notes)
	}
	for _, n := range c.Notes {
		if n.File != "bad.jsonl" {
			t.Errorf("note without file: %+v", n)
		}
	}
	checkAccounting(t, c, int64(len(lines)))
}

func TestSniff(t *testing.T) {
	tests := []struct {
		head string
		want bool
	}{
		{`{"type":"file-history-snapshot","messageId":"x","snapshot":{}}` + "\n", true},
		{`{"type":"summary","summary":"s","leafUuid":"u"}` + "\n", true},
		{`{"type":"queue-operation","operation":"enqueue","sessionId":"s"}` + "\n", true},
		{"\n" + `{"type":"progress","sessionId":"s","uuid":"u"}`, true},
		{`{"timestamp":"t","type":"session_meta","payload":{"id":"x"}}` + "\n", false}, // Codex
		{`{"session_id":"s","kind":"llm","input_tokens":3}` + "\n", false},             // canonical JSONL
		{`{"type":"user"}` + "\n", false},
		{"", false},
		{"{\n  \"sessionId\": \"x\",\n  \"messages\": []\n}", false}, // Gemini JSON document
	}
	for _, tt := range tests {
		if got := (Format{}).Sniff("x.jsonl", []byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%q) = %v, want %v", tt.head, got, tt.want)
		}
	}
}

func TestRegistered(t *testing.T) {
	f, err := ingest.Lookup("claude-code")
	if err != nil || f.Name() != "claude-code" {
		t.Fatalf("Lookup: %v", err)
	}
}

func FuzzClaudeCode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.jsonl")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		// A few single lines too, so mutations reach the per-line logic quickly.
		for _, ln := range bytes.SplitN(data, []byte("\n"), 12) {
			f.Add(ln)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		(Format{}).Sniff("f.jsonl", data)
		c := decode(t, "f.jsonl", data)
		withRecs := map[int64]bool{}
		for _, r := range c.Recs {
			withRecs[r.Line] = true
		}
		if int64(len(withRecs)+len(c.Notes)) != c.Units {
			t.Fatalf("accounting: %d lines with records + %d notes != %d lines", len(withRecs), len(c.Notes), c.Units)
		}
	})
}

// A timestamp without a zone is read as UTC and flagged; an unreadable one
// keeps the record (tokens counted) without a time, flagged too.
func TestTimestampFlags(t *testing.T) {
	in := `{"type":"assistant","sessionId":"s","requestId":"r1","timestamp":"2026-01-01T10:00:00.5","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"output_tokens":2}}}
{"type":"assistant","sessionId":"s","requestId":"r2","timestamp":"soon","message":{"id":"m2","model":"claude-x","usage":{"input_tokens":1,"output_tokens":2}}}
`
	c := decode(t, "t.jsonl", []byte(in))
	if len(c.Recs) != 2 {
		t.Fatalf("records = %+v", c.Recs)
	}
	want := time.Date(2026, 1, 1, 10, 0, 0, 5e8, time.UTC).UnixNano()
	if r := c.Recs[0]; !r.TSAssumedUTC || r.TSUnreadable || r.TSNano != want {
		t.Errorf("zone-less: %+v", r)
	}
	if r := c.Recs[1]; r.TSAssumedUTC || !r.TSUnreadable || r.TSNano != 0 || r.OutputTokens != 2 {
		t.Errorf("unreadable: %+v", r)
	}
}

// TestToolArgsAndResults: every tool record of the real samples carries
// an argument hash (from its tool_use input) and a result hash and size
// (from its tool_result text). Expected figures come from a separate
// Python pass over the raw files: per tool_use id, the input re-serialised
// with sorted keys and no spaces, and the result text (a string, or the
// text blocks joined by newlines); distinct counts are over those strings,
// sizes their UTF-8 lengths.
func TestToolArgsAndResults(t *testing.T) {
	for _, c := range []struct {
		file                 string
		tools, args, results int
		bytes                int64
	}{
		// 33 results: Read re-issued after sibling cancels, so 27 distinct
		// inputs; 26 distinct result texts (the 7 cancels share one).
		{"agent-a2898e3.jsonl", 33, 27, 26, 165493},
		{"tool_heavy.jsonl", 6, 6, 6, 7717},
		{"subagent.jsonl", 16, 16, 16, 31629},
		// Two different calls (Bash, Glob) with the same 225-byte text.
		{"short.jsonl", 2, 2, 1, 450},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		col := decode(t, c.file, data)
		args, results := map[uint64]bool{}, map[uint64]bool{}
		var tools int
		var size int64
		for _, r := range col.Recs {
			if r.Kind != ingest.KindTool {
				continue
			}
			tools++
			if r.ToolArgsHash == 0 || r.ToolResultHash == 0 {
				t.Errorf("%s line %d: %s has no argument or result hash", c.file, r.Line, r.Tool)
			}
			args[r.ToolArgsHash], results[r.ToolResultHash] = true, true
			size += r.ToolResultBytes
		}
		if tools != c.tools || len(args) != c.args || len(results) != c.results || size != c.bytes {
			t.Errorf("%s: %d tools, %d distinct args, %d distinct results, %d bytes; want %d, %d, %d, %d",
				c.file, tools, len(args), len(results), size, c.tools, c.args, c.results, c.bytes)
		}
	}
	// The first Read's label: its file_path cut to 45 bytes and "…".
	data, _ := os.ReadFile(filepath.Join("testdata", "agent-a2898e3.jsonl"))
	for _, r := range decode(t, "a", data).Recs {
		if r.Kind == ingest.KindTool {
			if want := "/home/USER/projects/spotter-worktrees/spotter…"; r.ToolArgsLabel != want || r.ToolResultBytes != 32146 {
				t.Errorf("first tool: label %q, %d bytes; want %q, 32146", r.ToolArgsLabel, r.ToolResultBytes, want)
			}
			break
		}
	}
}

// TestBillingFields: usage.service_tier and usage.server_tool_use (as in
// real Claude Code transcripts, which write "service_tier":"standard" and
// "server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}) reach
// the record.
func TestBillingFields(t *testing.T) {
	in := `{"type":"assistant","sessionId":"s","requestId":"r1","message":{"id":"m1","model":"claude-x","usage":{"input_tokens":1,"output_tokens":2,"service_tier":"standard","server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}}}}
{"type":"assistant","sessionId":"s","requestId":"r2","message":{"id":"m2","model":"claude-x","usage":{"input_tokens":1,"output_tokens":2,"service_tier":"priority","server_tool_use":{"web_search_requests":4,"web_fetch_requests":1}}}}
{"type":"assistant","sessionId":"s","requestId":"r3","message":{"id":"m3","model":"claude-x","usage":{"input_tokens":1,"output_tokens":2,"service_tier":"batch"}}}
`
	c := decode(t, "b.jsonl", []byte(in))
	if len(c.Recs) != 3 {
		t.Fatalf("records = %d, want 3", len(c.Recs))
	}
	want := []struct {
		tier     ingest.ServiceTier
		searches int64
	}{{ingest.TierStandard, 0}, {ingest.TierPriority, 4}, {ingest.TierBatch, 0}}
	for i, w := range want {
		if r := c.Recs[i]; r.ServiceTier != w.tier || r.WebSearchRequests != w.searches {
			t.Errorf("record %d: tier %v, searches %d; want %v, %d", i, r.ServiceTier, r.WebSearchRequests, w.tier, w.searches)
		}
	}
}

// TestSpeedAndGeo: Claude Code copies the API's usage object, whose
// speed is "fast" in fast mode (Anthropic fast-mode docs) and whose
// inference_geo is "us" for US-only inference; "standard" and
// "not_available" are neither.
func TestSpeedAndGeo(t *testing.T) {
	in := `{"type":"assistant","sessionId":"s","requestId":"r1","message":{"id":"m1","model":"claude-opus-4-6","usage":{"input_tokens":1,"output_tokens":2,"speed":"fast","inference_geo":"us"}}}
{"type":"assistant","sessionId":"s","requestId":"r2","message":{"id":"m2","model":"claude-opus-4-6","usage":{"input_tokens":1,"output_tokens":2,"speed":"standard","inference_geo":"not_available"}}}
`
	c := decode(t, "s.jsonl", []byte(in))
	var got [][2]bool
	for _, r := range c.Recs {
		if r.Kind == ingest.KindLLM {
			got = append(got, [2]bool{r.Fast, r.USOnly})
		}
	}
	if want := [][2]bool{{true, true}, {false, false}}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("fast, US-only per call = %v, want %v", got, want)
	}
}
