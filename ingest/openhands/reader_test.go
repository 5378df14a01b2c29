package openhands

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

func decode(t testing.TB, name, data string) *ingesttest.Sink {
	return ingesttest.Decode(t, Format{}, name, []byte(data))
}

type totals struct {
	sessions, calls, tools, toolErrors int
	in, out, cacheRead, cacheWrite     int64
}

func sum(s *ingesttest.Sink) totals {
	var t totals
	sessions := map[string]bool{}
	for _, r := range s.Recs {
		sessions[r.SessionID] = true
		switch r.Kind {
		case ingest.KindLLM:
			t.calls++
			t.in += r.InputTokens
			t.out += r.OutputTokens
			t.cacheRead += r.CacheReadTokens
			t.cacheWrite += r.CacheWriteTokens
		case ingest.KindTool:
			t.tools++
			if r.Status == ingest.StatusError {
				t.toolErrors++
			}
		}
	}
	t.sessions = len(sessions)
	return t
}

// The expected figures come from the raw files with Python, not from this
// reader (F = the file):
//
//	d = json.load(open(F)); seen = {}
//	for e in d: mr = (e.get('tool_call_metadata') or {}).get('model_response')
//	            if mr: seen.setdefault(mr['id'], mr['usage'])
//	calls = len(seen); in = Σ prompt_tokens; out = Σ completion_tokens;
//	write = Σ cache_creation_input_tokens; read = Σ (cache_read_input_tokens, else prompt_tokens_details.cached_tokens)
//	tools = number of events with "action" and tool_call_metadata.function_name
//	duplicates = events whose model_response id was seen on an earlier event
//
// prompt_tokens is LiteLLM's and includes the cache: in basic.json the second
// call has prompt_tokens 4646 = 3482 read + 1158 written + 6 uncached.
func TestRealTrajectories(t *testing.T) {
	tests := []struct {
		file          string
		events        int64
		want          totals
		dups, skipped int
		durationMS    float64 // Σ tool durations: observation time − action time
	}{
		// Events: message, edit(new call), edit observation (repeat), finish(new call).
		{"basic.json", 4, totals{1, 2, 2, 0, 8132, 1312, 3482, 4640}, 1, 1, 36.897},
		// 18 events; 4 calls, each on an action and its observation (4 repeats);
		// 10 events without a response (state changes, user/agent messages).
		{"basic_gui_mode.json", 18, totals{1, 4, 4, 0, 17297, 2024, 11793, 5482}, 4, 10, -1},
		// OpenAI: no cache_creation field, cached_tokens 2304 of 2473; the
		// finish action is the only one with a response.
		{"basic_interactions.json", 6, totals{1, 1, 1, 0, 2473, 10, 2304, 0}, 0, 5, -1},
		{"wrong_initial_state.json", 8, totals{1, 4, 4, 0, 14828, 358, 10879, 3927}, 3, 1, -1},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if !(Format{}).Sniff(tt.file, data[:min(len(data), 64<<10)]) {
			t.Errorf("%s: Sniff rejects it", tt.file)
		}
		s := decode(t, tt.file, string(data))
		if got := sum(s); got != tt.want {
			t.Errorf("%s: got %+v\nwant %+v", tt.file, got, tt.want)
		}
		if s.Count(ingest.NoteDuplicate) != tt.dups || s.Count(ingest.NoteSkipped) != tt.skipped || s.Count(ingest.NoteInvalid) != 0 {
			t.Errorf("%s: notes %+v", tt.file, s.Notes)
		}
		ingesttest.CheckAccounting(t, s, tt.events)
		if tt.durationMS >= 0 {
			var d float64
			for _, r := range s.Recs {
				d += r.DurationMS
			}
			// basic.json: the edit action at 22:45:13.764487 and its
			// observation at 22:45:13.801384 → 36.897 ms; finish has none.
			if d < tt.durationMS-0.001 || d > tt.durationMS+0.001 {
				t.Errorf("%s: Σ duration %f ms, want %f", tt.file, d, tt.durationMS)
			}
		}
	}
}

// TestRecordFields pins what one real call becomes (basic.json, event 3).
func TestRecordFields(t *testing.T) {
	data, err := os.ReadFile("testdata/basic.json")
	if err != nil {
		t.Fatal(err)
	}
	s := decode(t, "runs/x/basic.json", string(data))
	r := s.Recs[0]
	// 2025-01-27T22:45:13.764487 read as UTC.
	if r.Kind != ingest.KindLLM || r.ID != "chatcmpl-6814daca-5c62-431d-8c88-9dafead244f1" ||
		r.Model != "claude-3-5-sonnet-20241022" || r.SessionID != "runs/x/basic.json" ||
		r.TSNano != 1738017913764487000 || !r.HasSeq || r.Seq != 3 || r.Line != 2 || r.SameUnit {
		t.Errorf("llm record: %+v", r)
	}
	tool := s.Recs[1]
	if tool.Kind != ingest.KindTool || tool.Tool != "str_replace_editor" || tool.ID != "toolu_017nBp7UfiGqyrA7j77HgtFP" ||
		tool.Line != 2 || !tool.SameUnit || tool.Sub != 1 {
		t.Errorf("tool record: %+v", tool)
	}
}

// llmMetrics is the newer shape, written by hand from OpenHands'
// Metrics.get(): every event carries the conversation's metrics so far,
// and token_usages gains one entry per call. Event 3 is a plain reply (no
// tool call, so no model_response): only token_usages shows its call r2.
// Event 4's entry has no response id and is named by its position.
const llmMetrics = `[
 {"id":0,"timestamp":"2025-06-01T10:00:00","source":"user","message":"fix it","action":"message","args":{}},
 {"id":1,"timestamp":"2025-06-01T10:00:05","source":"agent","message":"","action":"run",
  "tool_call_metadata":{"function_name":"execute_bash","tool_call_id":"t1","model_response":{"id":"r1","model":"claude-sonnet-4-20250514",
   "usage":{"prompt_tokens":1000,"completion_tokens":50,"cache_creation_input_tokens":900,"cache_read_input_tokens":0}}},
  "llm_metrics":{"accumulated_cost":0.01,"token_usages":[{"model":"claude-sonnet-4-20250514","prompt_tokens":1000,"completion_tokens":50,"cache_read_tokens":0,"cache_write_tokens":900,"response_id":"r1"}]},
  "args":{"command":"make test"}},
 {"id":2,"timestamp":"2025-06-01T10:00:07.5","source":"agent","message":"","cause":1,"observation":"run",
  "tool_call_metadata":{"function_name":"execute_bash","tool_call_id":"t1","model_response":{"id":"r1","model":"claude-sonnet-4-20250514",
   "usage":{"prompt_tokens":1000,"completion_tokens":50,"cache_creation_input_tokens":900,"cache_read_input_tokens":0}}},
  "content":"FAIL: 3 tests","extras":{"command":"make test","metadata":{"exit_code":2}}},
 {"id":3,"timestamp":"2025-06-01T10:00:09","source":"agent","message":"It fails.","action":"message",
  "llm_metrics":{"accumulated_cost":0.02,"token_usages":[
   {"model":"claude-sonnet-4-20250514","prompt_tokens":1000,"completion_tokens":50,"cache_read_tokens":0,"cache_write_tokens":900,"response_id":"r1"},
   {"model":"claude-sonnet-4-20250514","prompt_tokens":1200,"completion_tokens":30,"cache_read_tokens":900,"cache_write_tokens":250,"response_id":"r2"}]}},
 {"id":4,"timestamp":"2025-06-01T10:00:10","source":"agent","message":"","action":"message",
  "llm_metrics":{"accumulated_cost":0.03,"token_usages":[
   {"model":"claude-sonnet-4-20250514","prompt_tokens":1000,"completion_tokens":50,"cache_read_tokens":0,"cache_write_tokens":900,"response_id":"r1"},
   {"model":"claude-sonnet-4-20250514","prompt_tokens":1200,"completion_tokens":30,"cache_read_tokens":900,"cache_write_tokens":250,"response_id":"r2"},
   {"model":"claude-sonnet-4-20250514","prompt_tokens":10,"completion_tokens":5,"cache_read_tokens":0,"cache_write_tokens":0,"response_id":""}]}},
 {"id":5,"timestamp":"2025-06-01T10:00:11","source":"agent","message":"","observation":"error","content":"no such tool",
  "tool_call_metadata":{"function_name":"x","tool_call_id":"t9"}}
]`

func TestLLMMetrics(t *testing.T) {
	s := decode(t, "m.json", llmMetrics)
	// By hand: calls r1 (1000/50, write 900), r2 (1200/30, read 900, write
	// 250), token_usages#2 (10/5): in 2210, out 85, read 900, write 1150.
	// One tool (execute_bash), failed: exit code 2.
	want := totals{1, 3, 1, 1, 2210, 85, 900, 1150}
	if got := sum(s); got != want {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	// Units: 0 skipped (user message), 1 records, 2 duplicate of r1,
	// 3 and 4 records from token_usages, 5 skipped (an observation of no
	// known action).
	if s.Count(ingest.NoteDuplicate) != 1 || s.Count(ingest.NoteSkipped) != 2 || s.Count(ingest.NoteInvalid) != 0 {
		t.Errorf("notes %+v", s.Notes)
	}
	ingesttest.CheckAccounting(t, s, 6)
	for _, r := range s.Recs {
		if r.Kind == ingest.KindTool {
			// 10:00:07.5 − 10:00:05 = 2.5 s
			if r.Error != "FAIL: 3 tests" || r.DurationMS != 2500 {
				t.Errorf("tool %+v", r)
			}
		}
		if r.Line == 5 && r.ID != "token_usages#2" {
			t.Errorf("unnamed token_usages entry got id %q", r.ID)
		}
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name, data       string
		units            int64
		recs             int
		invalid, skipped int
		reason           string // of the (first) invalid note
	}{
		{"empty", "", 0, 0, 0, 0, ""},
		{"empty array", "[]", 0, 0, 0, 0, ""},
		{"object", `{"id":1}`, 1, 0, 1, 0, "not an event array"},
		// Found by fuzzing (mini-swe-agent): a number out of float64 range
		// once made the whole input a read error instead of one bad unit.
		{"number in the array", `[1e999]`, 1, 0, 1, 0, "not an event object"},
		// A top-level number is not an array, whatever its size (encoding/json's
		// Token failed on it instead: "malformed json").
		{"top-level number out of range", `2` + strings.Repeat("0", 400), 1, 0, 1, 0, "not an event array"},
		{"truncated after one event", `[{"id":0,"source":"user","action":"message"},{"id":1,"sou`, 2, 0, 1, 1, "malformed json"},
		{"trailing data", `[{"id":0,"source":"user","action":"message"}] x`, 2, 0, 1, 1, "data after the event array"},
		{"second array", `[{"id":0,"source":"user","action":"message"}][]`, 2, 0, 1, 1, "data after the event array"},
		{"not an object", `[1, {"id":0,"source":"user","action":"message"}]`, 2, 0, 1, 1, "not an event object"},
		{"neither", `[{"id":0,"source":"user"}]`, 1, 0, 1, 0, "neither action nor observation"},
		// Found by the fuzzer: an event both action and observation once
		// indexed a record not yet stored.
		{"both", `[{"action":"run","observation":"run","tool_call_metadata":{"function_name":"f","tool_call_id":"c"}}]`, 1, 0, 1, 0, "both action and observation"},
		{"response without id", `[{"action":"run","tool_call_metadata":{"function_name":"f","model_response":{"model":"m","usage":{"prompt_tokens":1}}}}]`, 1, 0, 1, 0, "model_response without id"},
		{"usage missing", `[{"action":"run","tool_call_metadata":{"function_name":"f","model_response":{"id":"a","model":"m"}}}]`, 1, 0, 1, 0, "bad model_response.usage"},
		{"usage as text", `[{"action":"run","tool_call_metadata":{"model_response":{"id":"a","usage":{"prompt_tokens":"9"}}}}]`, 1, 0, 1, 0, "bad model_response.usage"},
		{"negative", `[{"action":"run","tool_call_metadata":{"model_response":{"id":"a","usage":{"prompt_tokens":-1}}}}]`, 1, 0, 1, 0, "bad model_response.usage"},
		// Anthropic-style exclusive counts would put the cache above prompt_tokens: loud, not re-added.
		{"cache above prompt", `[{"action":"run","tool_call_metadata":{"model_response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1,"cache_read_input_tokens":90}}}}]`, 1, 0, 1, 0, "cache tokens exceed prompt_tokens"},
		{"wrong id type", `[{"id":"x","action":"run"}]`, 1, 0, 1, 0, "wrong field type"},
		// A response id seen first in token_usages, then on an action: one call, plus the tool.
		{"usages then response", `[{"action":"message","llm_metrics":{"token_usages":[{"prompt_tokens":3,"completion_tokens":1,"response_id":"a"}]}},
		  {"action":"run","tool_call_metadata":{"function_name":"f","tool_call_id":"c","model_response":{"id":"a","usage":{"prompt_tokens":3,"completion_tokens":1}}}}]`, 2, 2, 0, 0, ""},
	}
	for _, tt := range tests {
		s := decode(t, tt.name, tt.data)
		if len(s.Recs) != tt.recs || s.Count(ingest.NoteInvalid) != tt.invalid || s.Count(ingest.NoteSkipped) != tt.skipped {
			t.Errorf("%s: %d records, notes %+v", tt.name, len(s.Recs), s.Notes)
		}
		for _, n := range s.Notes {
			if n.Kind == ingest.NoteInvalid && n.Reason != tt.reason {
				t.Errorf("%s: invalid reason %q, want %q", tt.name, n.Reason, tt.reason)
			}
		}
		ingesttest.CheckAccounting(t, s, tt.units)
	}
}

func TestSniff(t *testing.T) {
	yes := []string{
		`[{"id":0,"timestamp":"2025-01-27T22:44:56","source":"user","message":"x"`,
		`[ {"timestamp":"t","source":"environment"`,
		"\ufeff[\n  {\n    \"id\": 3,\n    \"timestamp\": \"t\",\n    \"source\": \"agent\"",
	}
	no := []string{
		``, `[]`, `{"id":0,"timestamp":"t","source":"user"}`,
		`[{"source":"agent"}]`, // source first: not OpenHands' key order
		`[{"id":0,"timestamp":"t","source":"web"}]`,
		`[{"id":0,"name":"x","source":"agent"}]`,
		`[{"id":"` + strings.Repeat("x", 100) + ``,
	}
	for _, h := range yes {
		if !(Format{}).Sniff("f.json", []byte(h)) {
			t.Errorf("Sniff rejects %q", h)
		}
	}
	for _, h := range no {
		if (Format{}).Sniff("f.json", []byte(h)) {
			t.Errorf("Sniff accepts %q", h)
		}
	}
}

// FuzzDecode: any input keeps the accounting invariant and yields only
// records that pass the canonical validation.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"basic.json", "basic_interactions.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(llmMetrics))
	f.Add([]byte(`[{"action":"run","tool_call_metadata":{"model_response":{"id":"a","usage":{"prompt_tokens":5}}}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ingesttest.Decode(t, Format{}, "f.json", data)
		ingesttest.CheckAccounting(t, s, s.Units)
		for _, r := range s.Recs {
			if err := ingest.Validate(&r); err != nil {
				t.Fatalf("record fails validation: %v: %+v", err, r)
			}
		}
	})
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n > 0 {
		f.n = 0
		return copy(p, `[{"id":0,"source":"user","action":"message"},`), nil
	}
	return 0, errors.New("disk on fire")
}

// TestReadError: an input that cannot be read is an error, not a bad unit.
func TestReadError(t *testing.T) {
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.json", R: bufio.NewReader(&failingReader{n: 1})}
	err := Format{}.Decode(src, func() ingest.Sink { return s })
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("err = %v", err)
	}
}
