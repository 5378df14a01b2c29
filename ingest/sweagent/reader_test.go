package sweagent

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

const sample = "swe-agent__test-repo-i1.traj"

// Expected figures come from the raw file with Python, not from this
// reader:
//
//	d = json.load(open(F)); list(d) = ['environment', 'trajectory', 'history', 'info']
//	d['info']['model_stats'] = {'total_cost': 0.53839, 'instance_cost': 0.53839,
//	  'tokens_sent': 52861, 'tokens_received': 326, 'api_calls': 5}
//	d['info']['exit_status'] = 'submitted'; len(d['trajectory']) = 5 (one step per call);
//	no 'replay_config' (v0), so no model name.
func TestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff(sample, data[:min(len(data), 64<<10)]) {
		t.Error("Sniff rejects the sample")
	}
	name := "runs/gpt4__test-repo/" + sample
	s := ingesttest.Decode(t, Format{}, name, data)
	if len(s.Recs) != 1 || len(s.Notes) != 0 {
		t.Fatalf("records %+v notes %+v", s.Recs, s.Notes)
	}
	r := s.Recs[0]
	if r.Kind != ingest.KindLLM || r.SessionID != name || r.Calls != 5 || r.InputTokens != 52861 || r.OutputTokens != 326 ||
		r.CacheReadTokens != 0 || !r.HasCost || r.CostUSD != 0.53839 || r.Model != "" {
		t.Errorf("record %+v", r)
	}
	if r.Attrs["exit_status"] != "submitted" || r.Attrs["instance"] != "swe-agent__test-repo-i1" || r.Attrs["run"] != "gpt4__test-repo" {
		t.Errorf("attrs %v", r.Attrs)
	}
	if err := ingest.Validate(&r); err != nil {
		t.Error(err)
	}
	ingesttest.CheckAccounting(t, s, 1)
}

func TestEdges(t *testing.T) {
	const stats = `"model_stats":{"tokens_sent":100,"tokens_received":7,"api_calls":3,"instance_cost":0.25}`
	tests := []struct {
		name, data      string
		units           int64
		recs, invalid   int
		reason, skipped string
		calls, in, out  int64
		model, instance string
	}{
		{name: "empty", data: ""},
		{name: "array", data: `[1]`, units: 1, invalid: 1, reason: "not a trajectory object"},
		{name: "truncated", data: `{"environment":"swe_main","trajectory":[{"action":"ls"`, units: 1, invalid: 1, reason: "malformed json"},
		{name: "trailing", data: `{"info":{` + stats + `}} {}`, units: 1, invalid: 1, reason: "not a trajectory object"},
		{name: "no info", data: `{"environment":"e","trajectory":[]}`, units: 1, invalid: 1, reason: "no info"},
		{name: "no model_stats", data: `{"info":{"exit_status":"x"}}`, units: 1, invalid: 1, reason: "no info.model_stats"},
		{name: "tokens as text", data: `{"info":{"model_stats":{"tokens_sent":"5","tokens_received":1,"api_calls":1}}}`, units: 1, invalid: 1, reason: "bad info.model_stats"},
		{name: "missing calls", data: `{"info":{"model_stats":{"tokens_sent":5,"tokens_received":1}}}`, units: 1, invalid: 1, reason: "info.model_stats lacks tokens_sent, tokens_received or api_calls"},
		{name: "fractional tokens", data: `{"info":{"model_stats":{"tokens_sent":5.5,"tokens_received":1,"api_calls":1}}}`, units: 1, invalid: 1, reason: "bad tokens_sent: fractional token count"},
		{name: "huge tokens", data: `{"info":{"model_stats":{"tokens_sent":4294967296,"tokens_received":1,"api_calls":1}}}`, units: 1, invalid: 1, reason: "bad tokens_sent: token count too large"},
		{name: "too many calls", data: `{"info":{"model_stats":{"tokens_sent":5,"tokens_received":1,"api_calls":65536}}}`, units: 1, invalid: 1, reason: "bad api_calls (a whole number up to 65535)"},
		{name: "tokens without calls", data: `{"info":{"model_stats":{"tokens_sent":5,"tokens_received":1,"api_calls":0}}}`, units: 1, invalid: 1, reason: "tokens without api_calls"},
		{name: "negative cost", data: `{"info":{"model_stats":{"tokens_sent":5,"tokens_received":1,"api_calls":1,"instance_cost":-1}}}`, units: 1, invalid: 1, reason: "bad instance_cost"},
		{name: "cost too large", data: `{"info":{"model_stats":{"tokens_sent":5,"tokens_received":1,"api_calls":1,"instance_cost":2e6}}}`, units: 1, invalid: 1, reason: "cost_usd: cost_usd too large (over $1,000,000 for one call)"},
		// An instance that made no call (it failed before the first) is
		// skipped, not a session of $0.
		{name: "no calls", data: `{"info":{"model_stats":{"tokens_sent":0,"tokens_received":0,"api_calls":0,"instance_cost":0}}}`, units: 1, skipped: "no model calls"},
		// 1.x: info after the trajectory, replay_config a JSON string
		// naming the model and the instance.
		{name: "v1", data: `{"trajectory":[],"info":{"swe_agent_version":"1.0.1",` + stats + `},"replay_config":"{\"agent\":{\"model\":{\"name\":\"claude-sonnet-4-20250514\"}},\"problem_statement\":{\"id\":\"django__django-1\"}}","environment":"main"}`,
			units: 1, recs: 1, calls: 3, in: 100, out: 7, model: "claude-sonnet-4-20250514", instance: "django__django-1"},
	}
	for _, tt := range tests {
		s := ingesttest.Decode(t, Format{}, "runs/r/"+tt.name+".traj", []byte(tt.data))
		if len(s.Recs) != tt.recs || s.Count(ingest.NoteInvalid) != tt.invalid {
			t.Errorf("%s: %d records, notes %+v", tt.name, len(s.Recs), s.Notes)
		}
		for _, n := range s.Notes {
			if n.Kind == ingest.NoteInvalid && n.Reason != tt.reason || n.Kind == ingest.NoteSkipped && n.Reason != tt.skipped {
				t.Errorf("%s: note %+v", tt.name, n)
			}
		}
		ingesttest.CheckAccounting(t, s, tt.units)
		if tt.recs == 1 {
			r := s.Recs[0]
			if r.Calls != tt.calls || r.InputTokens != tt.in || r.OutputTokens != tt.out || r.Model != tt.model ||
				r.Attrs["instance"] != tt.instance || r.Attrs["run"] != "r" || r.CostUSD != 0.25 || !r.HasCost {
				t.Errorf("%s: record %+v", tt.name, r)
			}
		}
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		name, head string
		want       bool
	}{
		{"x.traj", `{"environment": "swe_main", "trajectory": []}`, true},
		{"x.json", `{"trajectory": [], "info": {"model_stats": {}}}`, true},
		{"x.json", `{"trajectory": []}`, false},
		{"x.traj.json", `{"info": {"model_stats": {}}, "messages": []}`, false}, // mini-swe-agent's
		{"x.traj", `[{"role": "system"}]`, false},
	} {
		if got := (Format{}).Sniff(c.name, []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%s, %s) = %v", c.name, c.head, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"environment":"e","trajectory":[{"action":"ls"}],"info":{"exit_status":"submitted","model_stats":{"tokens_sent":100,"tokens_received":7,"api_calls":3,"instance_cost":0.25}},"replay_config":"{\"agent\":{\"model\":{\"name\":\"m\"}}}"}`))
	f.Add([]byte(`{"info":{"model_stats":{"tokens_sent":0,"tokens_received":0,"api_calls":0}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ingesttest.Decode(t, Format{}, "f.traj", data)
		ingesttest.CheckAccounting(t, s, s.Units)
		for _, r := range s.Recs {
			if err := ingest.Validate(&r); err != nil {
				t.Fatalf("record fails validation: %v: %+v", err, r)
			}
			if r.Calls < 1 || r.Calls > ingest.MaxTotalsCalls {
				t.Fatalf("calls %d", r.Calls)
			}
		}
	})
}
