package litellmlogs

import (
	"os"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// TestFixture checks the synthetic export row by row (testdata/SOURCES.md).
// By hand, per row:
//
//	1 a1  sess-1   in 1000 (800 read + 150 written + 50), out 120, 2.5 s, $0.0123
//	2 a2  sess-1   in 1200 (950 read + 200 written + 50), out 50, metadata as a JSON string
//	3 blank line
//	4 a2 again (same request_id): a record with the same ID; the analysis keeps one
//	5 b1  trace-9  usage_object: in 2000, 1500 cached, out 300; Postgres time without a zone, 4 s
//	6 c1  sess-2   failure, 0 tokens, error "RateLimitError: 429"
//	7 d1  sess-2   MCP tool github/search_issues
func TestFixture(t *testing.T) {
	data, err := os.ReadFile("testdata/spendlogs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff("spendlogs.jsonl", data) {
		t.Error("Sniff rejects the fixture")
	}
	s := ingesttest.Decode(t, Format{}, "spendlogs.jsonl", data)
	ingesttest.CheckAccounting(t, s, 7)
	if len(s.Recs) != 6 || s.Count(ingest.NoteBlank) != 1 {
		t.Fatalf("%d records, notes %+v", len(s.Recs), s.Notes)
	}
	type want struct {
		id, session          string
		kind                 ingest.Kind
		in, out, read, write int64
		durMS                float64
		status               ingest.Status
	}
	wants := []want{
		{"chatcmpl-a1", "sess-1", ingest.KindLLM, 1000, 120, 800, 150, 2500, ingest.StatusOK},
		{"chatcmpl-a2", "sess-1", ingest.KindLLM, 1200, 50, 950, 200, 1000, ingest.StatusOK},
		{"chatcmpl-a2", "sess-1", ingest.KindLLM, 1200, 50, 0, 0, 1000, ingest.StatusOK},
		{"resp-b1", "trace-9", ingest.KindLLM, 2000, 300, 1500, 0, 4000, ingest.StatusOK},
		{"fail-c1", "sess-2", ingest.KindLLM, 0, 0, 0, 0, 200, ingest.StatusError},
		{"mcp-d1", "sess-2", ingest.KindTool, 0, 0, 0, 0, 500, ingest.StatusOK},
	}
	for i, w := range wants {
		r := s.Recs[i]
		got := want{r.ID, r.SessionID, r.Kind, r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.DurationMS, r.Status}
		if got != w {
			t.Errorf("row %d: got %+v\nwant %+v", i+1, got, w)
		}
		if r.TSNano == 0 || !r.HasCost {
			t.Errorf("row %d: ts %d, has cost %v", i+1, r.TSNano, r.HasCost)
		}
	}
	// The duplicate row's metadata lacks the cache parts: the analysis keeps
	// the first of the two (same session, same ID).
	if r := s.Recs[0]; r.CostUSD != 0.0123 || r.Attrs["key_alias"] != "team-alpha-key" || r.Attrs["team_id"] != "alpha" || r.Model != "claude-sonnet-4-20250514" || r.Provider != "anthropic" {
		t.Errorf("row 1: %+v", r)
	}
	// 2025-04-21 11:00:00 UTC = 1745233200 s.
	if r := s.Recs[3]; r.TSNano != 1745233200*1e9 {
		t.Errorf("row 5 time %d", r.TSNano)
	}
	if r := s.Recs[4]; r.Error != "RateLimitError: 429" {
		t.Errorf("row 6 error %q", r.Error)
	}
	if r := s.Recs[5]; r.Tool != "github/search_issues" {
		t.Errorf("row 7 tool %q", r.Tool)
	}
}

// TestArrayForms: the same rows as a JSON array and as a /spend/logs/v2
// page give the same records as JSON Lines.
func TestArrayForms(t *testing.T) {
	data, err := os.ReadFile("testdata/spendlogs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(l) != "" {
			rows = append(rows, l)
		}
	}
	lines := ingesttest.Decode(t, Format{}, "x.jsonl", data)
	for _, doc := range []string{
		"[\n" + strings.Join(rows, ",\n") + "\n]",
		`{"data": [` + strings.Join(rows, ",") + `], "total": 6, "page": 1}`,
	} {
		if !(Format{}).Sniff("x.json", []byte(doc)) {
			t.Errorf("Sniff rejects %.40q", doc)
		}
		s := ingesttest.Decode(t, Format{}, "x.json", []byte(doc))
		ingesttest.CheckAccounting(t, s, 6)
		if len(s.Recs) != len(lines.Recs) {
			t.Fatalf("%d records, want %d", len(s.Recs), len(lines.Recs))
		}
		for i := range s.Recs {
			a, b := s.Recs[i], lines.Recs[i]
			if a.ID != b.ID || a.SessionID != b.SessionID || a.InputTokens != b.InputTokens || a.CacheReadTokens != b.CacheReadTokens || a.CostUSD != b.CostUSD {
				t.Errorf("record %d differs: %+v vs %+v", i, a, b)
			}
		}
	}
}

func TestEdges(t *testing.T) {
	tests := []struct {
		name, data    string
		units         int64
		recs, invalid int
		reason        string
	}{
		{"no request_id", `{"call_type":"acompletion","prompt_tokens":1}`, 1, 0, 1, "missing request_id"},
		{"not an object", `[1]`, 1, 0, 1, "not a row object"},
		{"tokens as text", `{"request_id":"r","prompt_tokens":"5"}`, 1, 0, 1, "wrong field type"},
		{"negative spend", `{"request_id":"r","prompt_tokens":5,"spend":-1}`, 1, 0, 1, "bad spend"},
		{"negative tokens", `{"request_id":"r","prompt_tokens":-5}`, 1, 0, 1, "bad usage"},
		// Cache parts larger than prompt_tokens: not inclusive after all, so refused.
		{"cache above prompt", `{"request_id":"r","prompt_tokens":5,"metadata":{"additional_usage_values":{"cache_read_input_tokens":50}}}`, 1, 0, 1, "cache tokens exceed prompt_tokens"},
		{"bad metadata", `{"request_id":"r","metadata":{"additional_usage_values":[1]}}`, 1, 0, 1, "bad usage"},
		{"truncated array", `[{"request_id":"a","prompt_tokens":1},{"request_`, 2, 1, 1, "malformed json"},
		{"truncated line", "{\"request_id\":\"a\",\"status\":\"failure\"}\n{\"request_", 2, 1, 1, "malformed json"},
		// A successful call without any token count is not a spend-log row
		// (the proxy always writes prompt_tokens): invalid, never 0 tokens.
		{"no tokens", `{"request_id":"r","call_type":"acompletion","model":"gpt-4o","input_tokens":1000}`, 1, 0, 1, "bad usage"},
	}
	for _, tt := range tests {
		s := ingesttest.Decode(t, Format{}, tt.name, []byte(tt.data))
		if len(s.Recs) != tt.recs || s.Count(ingest.NoteInvalid) != tt.invalid {
			t.Errorf("%s: %d records, notes %+v", tt.name, len(s.Recs), s.Notes)
		}
		for _, n := range s.Notes {
			if n.Kind == ingest.NoteInvalid && n.Reason != tt.reason {
				t.Errorf("%s: reason %q, want %q", tt.name, n.Reason, tt.reason)
			}
		}
		ingesttest.CheckAccounting(t, s, tt.units)
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		head string
		want bool
	}{
		{`{"request_id":"r","call_type":"acompletion"}`, true},
		{`[{"call_type":"x","spend":1,"request_id":"r"}]`, true},
		{`{"data":[{"request_id":"r","call_type":"c"}],"total":1}`, true},
		{`{"session_id":"s","request_id":"r"}`, false},
		{`{"data":[],"note":"request_id call_type"}`, false},
		{`{"id":"x","request_id":"r","type":"call_type"}`, false},
		// A canonical JSONL line that keeps request_id and call_type as
		// attributes is canonical (its tokens are input_tokens/output_tokens,
		// which a spend-log row never has): taken as a spend log it read as
		// 0 tokens and $0, exit 0.
		{`{"session_id":"s","kind":"llm","model":"gpt-4o","input_tokens":1000,"output_tokens":100,"request_id":"r1","call_type":"acompletion"}`, false},
		{`{"request_id":"r1","call_type":"acompletion","session_id":"s","input_tokens":1000}`, false},
	} {
		if got := (Format{}).Sniff("x.json", []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%s) = %v", c.head, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	data, err := os.ReadFile("testdata/spendlogs.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"data":[{"request_id":"a","prompt_tokens":3,"metadata":"{\"usage_object\":{\"prompt_tokens\":3}}"}]}`))
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

// The proxy logs spend 0 when LiteLLM could not price the model: with
// spend taken as a cost, a model the price table does not know either came
// out as $0.00 priced (exit 0 even with --fail-on-unpriced) instead of
// unpriced. A zero spend on a call with tokens is unknown, not free; on a
// call without tokens (a failure) it is exact.
func TestZeroSpendIsUnknown(t *testing.T) {
	s := ingesttest.Decode(t, Format{}, "z.jsonl", []byte(
		`{"request_id":"a","call_type":"acompletion","spend":0.0,"prompt_tokens":1000,"completion_tokens":500,"model":"my-private-llm"}`+"\n"+
			`{"request_id":"b","call_type":"acompletion","spend":0.0,"model":"my-private-llm","status":"failure"}`+"\n"+
			`{"request_id":"c","call_type":"acompletion","spend":0.25,"prompt_tokens":10,"completion_tokens":5,"model":"my-private-llm"}`))
	if len(s.Recs) != 3 {
		t.Fatalf("%d records", len(s.Recs))
	}
	if s.Recs[0].HasCost {
		t.Errorf("zero spend with 1,500 tokens taken as a $0 cost: %+v", s.Recs[0])
	}
	if !s.Recs[1].HasCost || s.Recs[1].CostUSD != 0 {
		t.Errorf("failed call without tokens: %+v", s.Recs[1])
	}
	if !s.Recs[2].HasCost || s.Recs[2].CostUSD != 0.25 {
		t.Errorf("priced row: %+v", s.Recs[2])
	}
}

// A row served from the proxy's own response cache (cache_hit "True") made
// no provider call: LiteLLM's response_cost_calculator sets its cost to 0.
// Read as a call, --cost-source auto re-priced its tokens at the table's
// full rate (this row: 2,000 in + 300 out of gpt-4.1 = 2000·2e-6 + 300·8e-6
// = $0.0064 that nobody was charged). It is skipped, with its reason.
func TestProxyCacheHitIsNotACall(t *testing.T) {
	s := ingesttest.Decode(t, Format{}, "c.jsonl", []byte(
		`{"request_id":"r1_cache_hit1700000000.1","call_type":"acompletion","spend":0.0,"prompt_tokens":2000,"completion_tokens":300,"model":"gpt-4.1-2025-04-14","cache_hit":"True"}`+"\n"+
			`{"request_id":"r2","call_type":"acompletion","spend":0.0064,"prompt_tokens":2000,"completion_tokens":300,"model":"gpt-4.1-2025-04-14","cache_hit":"False"}`))
	if len(s.Recs) != 1 || s.Recs[0].ID != "r2" {
		t.Fatalf("records %+v", s.Recs)
	}
	if s.Count(ingest.NoteSkipped) != 1 {
		t.Errorf("notes %+v", s.Notes)
	}
	ingesttest.CheckAccounting(t, s, 2)
}
