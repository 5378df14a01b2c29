package codex

import (
	"bytes"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

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

const sample = "rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl"

// Expected figures come from the sample with jq (F = the sample file):
//
//	lines 386:                 wc -l < F
//	llm 66, Σ in 6,055,836, Σ cached 4,929,536, Σ out 9,118, Σ reasoning 1,759:
//	  jq -s '[.[]|select(.payload.type=="token_count" and .payload.info!=null)|.payload.info.last_token_usage]
//	    |{n:length,in:(map(.input_tokens)|add),cached:(map(.cached_input_tokens)|add),
//	      out:(map(.output_tokens)|add),reason:(map(.reasoning_output_tokens)|add)}' F
//	  and they equal the final total_token_usage (…|.total_token_usage]|last), as they must.
//	no duplicates: the 66 totals are all distinct (…|.total_tokens]|[length,(unique|length)] → [66,66]).
//	tools 105 = 99 function_call + 3 custom_tool_call + 3 web_search_call:
//	  jq -r '[.type,.payload.type//""]|join("/")' F | sort | uniq -c
//	tool errors 4: jq -s '[.[]|select(.payload.type=="exec_command_end" and (.payload.exit_code!=0 or
//	  .payload.status!="completed"))]|length' F (exit codes [2,1,1,1]; no patch_apply_end.success==false)
//	Σ exec duration 387,577 ms: jq -s '[.[]|select(.payload.type=="exec_command_end")|.payload.duration
//	  |.secs*1000+.nanos/1e6]|add' F → 387576.999127
//	skipped 215 = 386 − 66 − 105, per kind from the uniq -c above.
func TestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff(sample, data[:64<<10]) {
		t.Error("Sniff rejects the sample")
	}
	c := decode(t, sample, data)
	var llm, in, cached, out, reason, tools, toolErr int64
	var durMS float64
	sessions := map[string]bool{}
	for _, r := range c.Recs {
		sessions[r.SessionID] = true
		switch r.Kind {
		case ingest.KindLLM:
			llm++
			in += r.InputTokens
			cached += r.CacheReadTokens
			out += r.OutputTokens
			reason += r.ReasoningTokens
			if r.Model != "gpt-5.5" || r.Provider != "openai" || r.CacheWriteTokens != 0 {
				t.Errorf("line %d: model %q provider %q", r.Line, r.Model, r.Provider)
			}
		case ingest.KindTool:
			tools++
			durMS += r.DurationMS
			if r.Status == ingest.StatusError {
				toolErr++
			}
		}
		if r.Role != "main" || r.Attrs["cwd"] == "" || r.Attrs["version"] != "0.125.0" || r.TSNano == 0 {
			t.Errorf("line %d: role %q attrs %v ts %d", r.Line, r.Role, r.Attrs, r.TSNano)
		}
	}
	if len(sessions) != 1 || !sessions["019e1625-789d-76c0-80ab-3724b5ddb799"] {
		t.Errorf("sessions = %v", sessions)
	}
	if llm != 66 || in != 6055836 || cached != 4929536 || out != 9118 || reason != 1759 {
		t.Errorf("llm %d in %d cached %d out %d reasoning %d", llm, in, cached, out, reason)
	}
	if tools != 105 || toolErr != 4 {
		t.Errorf("tools %d errors %d, want 105 and 4", tools, toolErr)
	}
	if math.Abs(durMS-387576.999127) > 0.01 {
		t.Errorf("Σ tool duration = %f ms", durMS)
	}
	if c.Count(ingest.NoteDuplicate) != 0 || c.Count(ingest.NoteInvalid) != 0 || c.Count(ingest.NoteBlank) != 0 {
		t.Errorf("unexpected notes: %+v", c.Notes)
	}
	skipped := map[string]int{}
	for _, n := range c.Notes {
		if n.Kind == ingest.NoteSkipped {
			skipped[n.Reason]++
		}
	}
	wantSkipped := map[string]int{
		"event_msg/agent_message": 13, "event_msg/exec_command_end": 43, "event_msg/patch_apply_end": 3,
		"event_msg/task_complete": 2, "event_msg/task_started": 2, "event_msg/user_message": 2,
		"event_msg/web_search_end": 3, "response_item/custom_tool_call_output": 3,
		"response_item/function_call_output": 99, "response_item/message": 17, "response_item/reasoning": 25,
		"session_meta": 1, "turn_context": 2,
	}
	if !maps.Equal(skipped, wantSkipped) {
		t.Errorf("skipped = %v\nwant %v", skipped, wantSkipped)
	}
	checkAccounting(t, c, 386)

	// The exit-2 call: jq 'select(.payload.type=="exec_command_end" and .payload.exit_code==2)|.payload'
	// → call_NqXBF7JK4NH5M85YXgojxxmC, empty stderr, output "rg: node_modules/opencode-ai: No such file…";
	// its function_call has name exec_command.
	found := false
	for _, r := range c.Recs {
		if r.ID == "call_NqXBF7JK4NH5M85YXgojxxmC" {
			found = true
			if r.Tool != "exec_command" || r.Status != ingest.StatusError || !strings.HasPrefix(r.Error, "rg: node_modules/opencode-ai") {
				t.Errorf("exit-2 call = %+v", r)
			}
		}
	}
	if !found {
		t.Error("exit-2 call not found")
	}
}

func TestTotalsOnly(t *testing.T) {
	// No last_token_usage: per-call usage is the difference of totals; a
	// repeated total is a duplicate; info null is skipped; no turn_context
	// means no model (not a guess).
	in := `{"timestamp":"2026-01-01T00:00:00Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":100,"cached_input_tokens":40,"output_tokens":10,"reasoning_output_tokens":4,"total_tokens":110}}}}
{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":100,"cached_input_tokens":40,"output_tokens":10,"reasoning_output_tokens":4,"total_tokens":110}}}}
{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"token_count","info":null,"rate_limits":{}}}
{"timestamp":"2026-01-01T00:00:03Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":250,"cached_input_tokens":140,"output_tokens":30,"reasoning_output_tokens":5,"total_tokens":280}}}}
{"timestamp":"2026-01-01T00:00:04Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":200,"cached_input_tokens":140,"output_tokens":30,"reasoning_output_tokens":5,"total_tokens":230}}}}
`
	c := decode(t, "/x/rollout-2026-01-01T00-00-00-01234567-89ab-cdef-0123-456789abcdef.jsonl", []byte(in))
	if len(c.Recs) != 2 {
		t.Fatalf("records = %+v", c.Recs)
	}
	a, b := c.Recs[0], c.Recs[1]
	if a.InputTokens != 100 || a.CacheReadTokens != 40 || a.OutputTokens != 10 || a.ReasoningTokens != 4 || a.Line != 1 {
		t.Errorf("first = %+v", a)
	}
	// By hand: 250−100, 140−40, 30−10, 5−4.
	if b.InputTokens != 150 || b.CacheReadTokens != 100 || b.OutputTokens != 20 || b.ReasoningTokens != 1 || b.Line != 4 {
		t.Errorf("second = %+v", b)
	}
	if a.Model != "" || a.SessionID != "01234567-89ab-cdef-0123-456789abcdef" {
		t.Errorf("model %q session %q", a.Model, a.SessionID)
	}
	if c.Count(ingest.NoteDuplicate) != 1 || c.Count(ingest.NoteSkipped) != 1 || c.Count(ingest.NoteInvalid) != 1 {
		t.Errorf("notes = %+v", c.Notes)
	}
	checkAccounting(t, c, 5)
}

func TestToolJoin(t *testing.T) {
	in := `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1","model_provider":"azure","source":{"subagent":"review"}}}
{"timestamp":"2026-01-01T00:00:00Z","type":"turn_context","payload":{"model":"gpt-x"}}
{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c1"}}
{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"function_call","name":"exec_command","arguments":"{}","call_id":"c2"}}
{"timestamp":"2026-01-01T00:00:01Z","type":"response_item","payload":{"type":"custom_tool_call","name":"apply_patch","input":"x","call_id":"c3"}}
{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c1","exit_code":0,"status":"completed","duration":{"secs":1,"nanos":500000000}}}
{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c2","exit_code":0,"status":"declined","stderr":"no","duration":{"secs":0,"nanos":0}}}
{"timestamp":"2026-01-01T00:00:02Z","type":"event_msg","payload":{"type":"patch_apply_end","call_id":"c3","success":false,"stderr":"bad hunk"}}
`
	c := decode(t, "x.jsonl", []byte(in))
	if len(c.Recs) != 3 {
		t.Fatalf("records = %+v", c.Recs)
	}
	if r := c.Recs[0]; r.Status != ingest.StatusOK || r.DurationMS != 1500 || r.SessionID != "s1" || r.Role != "subagent" {
		t.Errorf("c1 = %+v", r)
	}
	if r := c.Recs[1]; r.Status != ingest.StatusError || r.Error != "no" {
		t.Errorf("c2 = %+v", r)
	}
	if r := c.Recs[2]; r.Tool != "apply_patch" || r.Status != ingest.StatusError || r.Error != "bad hunk" {
		t.Errorf("c3 = %+v", r)
	}
	checkAccounting(t, c, 8)
}

func TestBadInput(t *testing.T) {
	lines := []string{
		`{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1"}}`,
		``,         // 2 blank
		`garbage`,  // 3 invalid
		`{"type":`, // 4 invalid
		`{"timestamp":"x","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":"lots"}}}}`, // 5 wrong type
		`{"timestamp":"x","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":-5}}}}`,     // 6 negative
		`{"timestamp":"x","type":"event_msg","payload":{"type":"token_count","info":{}}}`,                                           // 7 no usage
		`{"timestamp":"x","type":"event_msg","payload":7}`,                                                                          // 8 wrong type
		`{"payload":{}}`, // 9 missing type
		`{"timestamp":"x","type":"event_msg","payload":{"type":"exec_command_end","call_id":"zz","exit_code":"1"}}`,                              // 10 wrong type
		`{"timestamp":"x","type":"event_msg","payload":{"type":"some_future_event","model":{"odd":1}}}`,                                          // 11 skipped
		`{"timestamp":"x","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":5,"output_tokens":1}}}}`, // 12 record
		`{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{"type":"function_call","name":"exec_co`,                           // 13 truncated
	}
	c := decode(t, "bad.jsonl", []byte(strings.Join(lines, "\n")))
	if len(c.Recs) != 1 || c.Recs[0].InputTokens != 5 || c.Recs[0].SessionID != "s1" {
		t.Errorf("records = %+v", c.Recs)
	}
	// By hand from the comments: blank 1, invalid 3,4,5,6,7,8,9,10,13 = 9, skipped 1 and 11 = 2.
	if c.Count(ingest.NoteBlank) != 1 || c.Count(ingest.NoteInvalid) != 9 || c.Count(ingest.NoteSkipped) != 2 {
		t.Errorf("notes = %+v", c.Notes)
	}
	checkAccounting(t, c, int64(len(lines)))
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name, head string
		want       bool
	}{
		{"-", `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"x","base_instructions":"` + strings.Repeat("a", 70000), true},
		{"-", `{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{}}`, true},
		{"/d/rollout-2025-01-01T00-00-00-abc.jsonl", `{"type":"session_meta","timestamp":"t","payload":{}}`, true},
		{"x.jsonl", `{"type":"assistant","sessionId":"s"}`, false},
		{"x.jsonl", `{"session_id":"s","input_tokens":1}`, false},
		{"x.jsonl", ``, false},
	}
	for _, tt := range tests {
		if got := (Format{}).Sniff(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%q, %.60q) = %v", tt.name, tt.head, got)
		}
	}
}

func TestRegistered(t *testing.T) {
	if f, err := ingest.Lookup("codex"); err != nil || f.Name() != "codex" {
		t.Fatalf("Lookup: %v", err)
	}
}

func FuzzCodex(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	// Small seeds of each line kind so mutations explore the per-line logic.
	seen := map[string]bool{}
	for _, ln := range bytes.Split(data, []byte("\n")) {
		if len(ln) > 4000 {
			continue
		}
		k := string(ln[:min(len(ln), 90)])
		if i := strings.Index(k, `"payload":{"type":"`); i >= 0 {
			k = k[i:]
		}
		if !seen[k] {
			seen[k] = true
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
		notes := 0
		for _, n := range c.Notes {
			if !n.SameUnit { // about a record of a line already counted
				notes++
			}
		}
		if int64(len(withRecs)+notes) != c.Units {
			t.Fatalf("accounting: %d lines with records + %d notes != %d lines", len(withRecs), notes, c.Units)
		}
	})
}

// Rollouts concatenated on stdin (cat rollouts/*.jsonl | tokcost analyze -)
// are as many sessions as files: a session_meta after other lines starts
// a new one, with its own running totals. Expected figures come from a
// second method: each file decoded on its own.
func TestConcatenatedRollouts(t *testing.T) {
	real, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	// A second, short rollout whose totals start again from zero: read
	// after the real one without a reset, its first call would be
	// 500 − 6,055,836 tokens, i.e. negative and invalid.
	second := []byte(`{"timestamp":"2026-01-02T00:00:00Z","type":"session_meta","payload":{"id":"s2","model_provider":"openai"}}
{"timestamp":"2026-01-02T00:00:01Z","type":"turn_context","payload":{"model":"gpt-5"}}
{"timestamp":"2026-01-02T00:00:02Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":500,"cached_input_tokens":0,"output_tokens":5,"reasoning_output_tokens":0,"total_tokens":505}}}}
{"timestamp":"2026-01-02T00:00:03Z","type":"event_msg","payload":{"type":"token_count","info":{"total_token_usage":{"input_tokens":1200,"cached_input_tokens":0,"output_tokens":9,"reasoning_output_tokens":0,"total_tokens":1209}}}}
`)
	type sum struct{ calls, in, out int64 }
	bySession := func(c *collect) map[string]sum {
		m := map[string]sum{}
		for _, r := range c.Recs {
			if r.Kind == ingest.KindLLM {
				s := m[r.SessionID]
				s.calls, s.in, s.out = s.calls+1, s.in+r.InputTokens, s.out+r.OutputTokens
				m[r.SessionID] = s
			}
		}
		return m
	}
	want := bySession(decode(t, sample, real))
	maps.Copy(want, bySession(decode(t, "second.jsonl", second)))
	if len(want) != 2 || want["s2"] != (sum{2, 1200, 9}) {
		t.Fatalf("separately: %+v", want)
	}
	cat := append(append(bytes.Clone(real), '\n'), second...)
	c := decode(t, "-", cat)
	if got := bySession(c); !maps.Equal(got, want) {
		t.Errorf("concatenated: %+v, want %+v", got, want)
	}
	checkAccounting(t, c, int64(bytes.Count(cat, []byte("\n"))))
}

// A fork writes its own session_meta, then its parent's history, which
// opens with the parent's: metas in a row are one session, the first's.
func TestForkMetasInARow(t *testing.T) {
	in := `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"child"}}
{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"parent"}}
{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":5,"output_tokens":1}}}}
`
	c := decode(t, "f.jsonl", []byte(in))
	if len(c.Recs) != 1 || c.Recs[0].SessionID != "child" {
		t.Errorf("records = %+v", c.Recs)
	}
	checkAccounting(t, c, 3)
}

// TestWebSearchCalls: each web_search_call item is a hosted-tool call of the
// response whose token_count follows it. In the sample (numbered lines of
// `jq -r '[.type,.payload.type//""]|join("/")' F | cat -n`) the three
// web_search_call items are lines 197, 228 and 239 (all "completed"), and
// the next token_count lines are 204, 231 and 242.
func TestWebSearchCalls(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]int64{}
	for _, r := range decode(t, sample, data).Recs {
		if r.WebSearchRequests != 0 {
			if r.Kind != ingest.KindLLM {
				t.Errorf("line %d: %d web searches on a %v record", r.Line, r.WebSearchRequests, r.Kind)
			}
			got[r.Line] = r.WebSearchRequests
		}
	}
	want := map[int64]int64{204: 1, 231: 1, 242: 1}
	if len(got) != len(want) || got[204] != 1 || got[231] != 1 || got[242] != 1 {
		t.Errorf("web searches by call line = %v, want %v", got, want)
	}

	// A failed search is not counted; two before one token_count are one call's.
	rollout := `{"timestamp":"2026-05-11T11:27:00Z","type":"turn_context","payload":{"model":"gpt-5.5"}}
{"timestamp":"2026-05-11T11:27:01Z","type":"response_item","payload":{"type":"web_search_call","status":"completed"}}
{"timestamp":"2026-05-11T11:27:02Z","type":"response_item","payload":{"type":"web_search_call","status":"failed"}}
{"timestamp":"2026-05-11T11:27:03Z","type":"response_item","payload":{"type":"web_search_call","status":"completed"}}
{"timestamp":"2026-05-11T11:27:04Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":10,"output_tokens":2,"total_tokens":12}}}}
{"timestamp":"2026-05-11T11:27:05Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":20,"output_tokens":2,"total_tokens":22}}}}
`
	var calls []int64
	for _, r := range decode(t, "r.jsonl", []byte(rollout)).Recs {
		if r.Kind == ingest.KindLLM {
			calls = append(calls, r.WebSearchRequests)
		}
	}
	if len(calls) != 2 || calls[0] != 2 || calls[1] != 0 {
		t.Errorf("web searches per call = %v, want [2 0]", calls)
	}
}

// TestSearchesAcrossRollouts: a search after a rollout's last token_count
// is not charged to the next rollout's first call (rollouts concatenated on
// stdin), and is noted as an unpriced invalid record of its line, not
// dropped. By hand: rollout A's search is line 4 (after A's only
// token_count, line 3); rollout B's first call (line 7) has no search
// before it, so 0; B's trailing search (line 8) is the second note.
func TestSearchesAcrossRollouts(t *testing.T) {
	in := `{"timestamp":"2026-05-11T11:27:00Z","type":"session_meta","payload":{"id":"aaaaaaaa-0000-0000-0000-000000000001"}}
{"timestamp":"2026-05-11T11:27:00Z","type":"turn_context","payload":{"model":"gpt-5.5"}}
{"timestamp":"2026-05-11T11:27:04Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":10,"output_tokens":2,"total_tokens":12}}}}
{"timestamp":"2026-05-11T11:27:05Z","type":"response_item","payload":{"type":"web_search_call","status":"completed"}}
{"timestamp":"2026-05-11T11:28:00Z","type":"session_meta","payload":{"id":"bbbbbbbb-0000-0000-0000-000000000002"}}
{"timestamp":"2026-05-11T11:28:00Z","type":"turn_context","payload":{"model":"gpt-5.5"}}
{"timestamp":"2026-05-11T11:28:04Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":20,"output_tokens":2,"total_tokens":22}}}}
{"timestamp":"2026-05-11T11:28:05Z","type":"response_item","payload":{"type":"web_search_call","status":"completed"}}
`
	s := decode(t, "-", []byte(in))
	var calls []int64
	for _, r := range s.Recs {
		if r.Kind == ingest.KindLLM {
			calls = append(calls, r.WebSearchRequests)
		}
	}
	if len(calls) != 2 || calls[0] != 0 || calls[1] != 0 {
		t.Errorf("web searches per call = %v, want [0 0]", calls)
	}
	var lines []int64
	for _, n := range s.Notes {
		if n.Reason == "web search after the last token_count" {
			if n.Kind != ingest.NoteInvalid || !n.SameUnit {
				t.Errorf("line %d: note %+v, want an invalid same-unit note", n.Line, n)
			}
			lines = append(lines, n.Line)
		}
	}
	if len(lines) != 2 || lines[0] != 4 || lines[1] != 8 {
		t.Errorf("trailing-search notes on lines %v, want [4 8]", lines)
	}
}
