package miniswe

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

const sample = "astropy__astropy-12907.traj.json"

// Expected figures come from the raw file with Python, not from this
// reader (d = json.load(F); a = assistant messages; t = tool messages):
//
//	len(d['messages']) = 130: system 1, user 1, assistant 64, tool 63, exit 1
//	calls 64 (64 distinct extra.response.id), Σ prompt_tokens 1,111,619,
//	Σ completion_tokens 17,133, Σ prompt_tokens_details.cached_tokens 1,093,760,
//	no reasoning_tokens, no cache writes
//	Σ extra.cost = 0.04282166 (= info.model_stats.instance_cost 0.04282165999999999)
//	actions 64, each with a tool_call_id; 15 outputs with returncode ≠ 0, none with exception_info
func TestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff(sample, data[:64<<10]) {
		t.Error("Sniff rejects the sample")
	}
	s := ingesttest.Decode(t, Format{}, "runs/deepseek/astropy__astropy-12907/"+sample, data)
	var calls, tools, toolErr int
	var in, out, cached, cw, reason int64
	var cost float64
	for _, r := range s.Recs {
		if r.SessionID != "runs/deepseek/astropy__astropy-12907/"+sample || r.Attrs["instance"] != "astropy__astropy-12907" || r.Attrs["run"] != "deepseek" || r.Attrs["exit_status"] != "Submitted" || r.TSNano == 0 {
			t.Fatalf("record %+v", r)
		}
		switch r.Kind {
		case ingest.KindLLM:
			calls++
			in += r.InputTokens
			out += r.OutputTokens
			cached += r.CacheReadTokens
			cw += r.CacheWriteTokens
			reason += r.ReasoningTokens
			if r.Model != "deepseek-v4-flash" || !r.HasCost {
				t.Errorf("call %+v", r)
			}
			cost += r.CostUSD
		case ingest.KindTool:
			tools++
			if r.Status == ingest.StatusError {
				toolErr++
			}
		}
	}
	if calls != 64 || in != 1111619 || out != 17133 || cached != 1093760 || cw != 0 || reason != 0 {
		t.Errorf("calls %d in %d out %d cached %d write %d reasoning %d", calls, in, out, cached, cw, reason)
	}
	if math.Abs(cost-0.04282166) > 1e-9 {
		t.Errorf("Σ cost %.10f", cost)
	}
	if tools != 64 || toolErr != 15 {
		t.Errorf("tools %d errors %d", tools, toolErr)
	}
	skipped := map[string]int{}
	for _, n := range s.Notes {
		if n.Kind != ingest.NoteSkipped {
			t.Errorf("note %+v", n)
		}
		skipped[n.Reason]++
	}
	if skipped["system"] != 1 || skipped["user"] != 1 || skipped["exit"] != 1 || skipped["tool output joined to its action"] != 63 {
		t.Errorf("skipped %v", skipped)
	}
	ingesttest.CheckAccounting(t, s, 130)
	// The first response: its id, and extra.timestamp 1780680349.4410355 s
	// kept to the microsecond.
	if r := s.Recs[0]; r.ID != "ed6f8441-eedd-4ccc-be7e-18705f8aa707" || r.TSNano != 1780680349441036000 {
		t.Errorf("first call %+v", r)
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name, data          string
		units               int64
		recs, invalid, dups int
		reason              string
	}{
		{"empty", "", 0, 0, 0, 0, ""},
		{"array", `[{"role":"system"}]`, 1, 0, 1, 0, "not a trajectory object"},
		{"truncated", `{"messages":[{"role":"system"},{"role":"assis`, 2, 0, 1, 0, "malformed json"},
		{"trailing", `{"messages":[]} {}`, 1, 0, 1, 0, "not a trajectory object"},
		{"not an object", `{"messages":[3]}`, 1, 0, 1, 0, "not a message object"},
		{"usage as text", `{"messages":[{"role":"assistant","extra":{"response":{"id":"a","usage":{"prompt_tokens":"5"}}}}]}`, 1, 0, 1, 0, "bad extra.response.usage"},
		{"no usage", `{"messages":[{"role":"assistant","extra":{"response":{"id":"a"}}}]}`, 1, 0, 1, 0, "bad extra.response.usage"},
		{"cache above prompt", `{"messages":[{"role":"assistant","extra":{"response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":9}}}}}]}`, 1, 0, 1, 0, "cache tokens exceed prompt_tokens"},
		{"negative cost", `{"messages":[{"role":"assistant","extra":{"cost":-1,"response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1}}}}]}`, 1, 0, 1, 0, "bad extra.cost"},
		// A format error keeps the response on a user message: still a call.
		// The same response id again is a duplicate.
		{"format error and repeat", `{"messages":[{"role":"user","extra":{"response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1}}}},
		  {"role":"assistant","extra":{"response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1}}}}]}`, 2, 1, 0, 1, ""},
		{"info after messages, model fallback", `{"messages":[{"role":"assistant","extra":{"response":{"id":"a","usage":{"prompt_tokens":5,"completion_tokens":1}},"actions":[{"command":"ls"}]}},
		  {"role":"user","content":"out","extra":{"returncode":2,"raw_output":"boom"}}],"info":{"config":{"model":{"model_name":"gpt-4o"}}}}`, 2, 2, 0, 0, ""},
	}
	for _, tt := range tests {
		s := ingesttest.Decode(t, Format{}, tt.name, []byte(tt.data))
		if len(s.Recs) != tt.recs || s.Count(ingest.NoteInvalid) != tt.invalid || s.Count(ingest.NoteDuplicate) != tt.dups {
			t.Errorf("%s: %d records, notes %+v", tt.name, len(s.Recs), s.Notes)
		}
		for _, n := range s.Notes {
			if n.Kind == ingest.NoteInvalid && n.Reason != tt.reason {
				t.Errorf("%s: reason %q, want %q", tt.name, n.Reason, tt.reason)
			}
		}
		ingesttest.CheckAccounting(t, s, tt.units)
		if tt.name == "info after messages, model fallback" {
			// The model comes from info.config when the response names none;
			// the text-mode output (no id) fails the single action it answers.
			if s.Recs[0].Model != "gpt-4o" || s.Recs[1].Status != ingest.StatusError || s.Recs[1].Error != "boom" {
				t.Errorf("%+v", s.Recs)
			}
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name, head string
		want       bool
	}{
		{"x.traj.json", `{"info": {"model_stats"`, true},
		{"x.json", `{"info": {}, "messages": [], "trajectory_format": "mini-swe-agent-1.1"}`, true},
		{"x.json", `{"info": {}, "messages": []}`, false},
		{"x.traj.json", `{"environment": "swe_main", "trajectory": []}`, false},
		{"x.traj.json", `[{"role": "system"}]`, false},
		{"x.jsonl", `{"session_id":"s","info":1}`, false},
	} {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%s, %s) = %v", c.name, c.head, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"info":{"config":{"model":{"model_name":"m"}}},"messages":[{"role":"assistant","extra":{"cost":0.1,"timestamp":1.5,"response":{"id":"a","model":"x","usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2}}},"actions":[{"command":"ls","tool_call_id":"c"}]}},{"role":"tool","tool_call_id":"c","extra":{"returncode":1}}],"instance_id":"i"}`))
	f.Add([]byte(`{"messages":[{"role":"system"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ingesttest.Decode(t, Format{}, "f.traj.json", data)
		ingesttest.CheckAccounting(t, s, s.Units)
		for _, r := range s.Recs {
			if err := ingest.Validate(&r); err != nil {
				t.Fatalf("record fails validation: %v: %+v", err, r)
			}
		}
	})
}

// Two runs of one benchmark instance (the batch layout the docs show for
// --group-by run) are two sessions: with the session named by instance_id
// alone, both files fell into one session, whose cost was the sum of the
// two runs, credited to whichever run came first.
func TestSameInstanceTwoRuns(t *testing.T) {
	doc := func(id string) []byte {
		return []byte(`{"messages":[{"role":"assistant","extra":{"response":{"id":"` + id + `","model":"gpt-4o","usage":{"prompt_tokens":5,"completion_tokens":1}}}}],"instance_id":"i-1"}`)
	}
	a := ingesttest.Decode(t, Format{}, "runs/a/i-1/i-1.traj.json", doc("ra"))
	b := ingesttest.Decode(t, Format{}, "runs/b/i-1/i-1.traj.json", doc("rb"))
	if len(a.Recs) != 1 || len(b.Recs) != 1 {
		t.Fatalf("records %d %d", len(a.Recs), len(b.Recs))
	}
	if a.Recs[0].SessionID == b.Recs[0].SessionID {
		t.Errorf("both runs in session %q", a.Recs[0].SessionID)
	}
	if a.Recs[0].Attrs["instance"] != "i-1" || a.Recs[0].Attrs["run"] != "a" || b.Recs[0].Attrs["run"] != "b" {
		t.Errorf("attrs %v %v", a.Recs[0].Attrs, b.Recs[0].Attrs)
	}
}
