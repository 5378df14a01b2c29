package cline

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

type totals struct {
	calls, errors, skipped, input, cacheRead, cacheWrite, output int64
	cost                                                         float64
	assumed                                                      int64
}

func sum(s *ingesttest.Sink) totals {
	var t totals
	for _, r := range s.Recs {
		t.calls++
		if r.Status == ingest.StatusError {
			t.errors++
		}
		t.input += r.InputTokens
		t.cacheRead += r.CacheReadTokens
		t.cacheWrite += r.CacheWriteTokens
		t.output += r.OutputTokens
		if r.HasCost {
			t.cost += r.CostUSD
		}
		if r.UnknownUsage == AssumedField {
			t.assumed++
		}
	}
	t.skipped = int64(s.Count(ingest.NoteSkipped))
	return t
}

func decodeFile(t *testing.T, path string) *ingesttest.Sink {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return ingesttest.Decode(t, Format{}, path, data)
}

// TestRealTasks reads excerpts of three real task files (testdata/README.md:
// same messages in the same order, prose removed). The expected figures
// come from the upstream files, not from the reader, with this script
// (python3 figures.py ui_messages.json):
//
//	import json, sys
//	d = json.load(open(sys.argv[1]))
//	calls = skipped = 0; inp = cr = cw = out = 0; cost = 0.0; errors = 0
//	for m in d:
//	    if m.get("type") == "say" and m.get("say") == "api_req_started":
//	        t = json.loads(m.get("text") or "{}")
//	        calls += 1
//	        i, o, r, w = (t.get(k, 0) for k in ("tokensIn", "tokensOut", "cacheReads", "cacheWrites"))
//	        inp += i + r + w; cr += r; cw += w; out += o; cost += t.get("cost", 0)
//	        errors += t.get("cancelReason") in ("streaming_failed", "retries_exhausted")
//	    else:  # every other message; the deleted_api_reqs in fineye are all zeros
//	        skipped += 1
//
// Every request in the three files has usage, and in each tokensIn excludes
// the cache: the providers are Cline's own gateway and Anthropic (both
// subtract or never include it), and in the third file tokensIn is 0 beside
// non-zero cache counts. Cost is the sum of the file's cost fields (> 0).
func TestRealTasks(t *testing.T) {
	cases := []struct {
		dir      string
		messages int64
		want     totals
	}{
		// Cline, providerId "cline" (x-ai/grok-code-fast-1, anthropic/claude-sonnet-4.5).
		{"fineye", 269, totals{calls: 31, errors: 7, skipped: 238, input: 777242, cacheRead: 632838, cacheWrite: 0, output: 4086, cost: 0.47771265}},
		// Cline before modelInfo (no provider recorded), DeepSeek prices (see README).
		{"jeehunter", 380, totals{calls: 61, errors: 0, skipped: 319, input: 3322890, cacheRead: 3066304, cacheWrite: 256586, output: 23260, cost: 0.3095055}},
		// Cline, providerId "anthropic", claude-opus-4-6.
		{"cline-xray", 435, totals{calls: 53, errors: 1, skipped: 382, input: 6696517, cacheRead: 5349183, cacheWrite: 1346804, output: 51905, cost: 12.3923915}},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			s := decodeFile(t, filepath.Join("testdata", "tasks", c.dir, "ui_messages.json"))
			ingesttest.CheckAccounting(t, s, c.messages)
			got := sum(s)
			wantCost, gotCost := c.want.cost, got.cost
			got.cost, c.want.cost = 0, 0
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
			if math.Abs(gotCost-wantCost) > 1e-9 {
				t.Errorf("cost %.10f, want %.10f", gotCost, wantCost)
			}
			for _, r := range s.Recs {
				if r.SessionID != c.dir {
					t.Fatalf("session %q, want the task folder %q", r.SessionID, c.dir)
				}
			}
		})
	}
}

// msgs wraps usage texts as api_req_started messages.
func decodeMsgs(t *testing.T, name string, body string) *ingesttest.Sink {
	t.Helper()
	return ingesttest.Decode(t, Format{}, name, []byte(body))
}

// TestSemantics: one call per case, canonical input = what the provider's
// tokensIn means plus the cache it leaves out (semantics.go).
func TestSemantics(t *testing.T) {
	cases := []struct {
		name, msg       string
		in, read, write int64
		assumed         bool
	}{
		// No cache: 100 whatever the provider.
		{"no cache", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":100,\"tokensOut\":5}"}`, 100, 0, 0, false},
		// Anthropic: 10 + 900 + 90.
		{"anthropic", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":5,\"cacheReads\":900,\"cacheWrites\":90}","modelInfo":{"providerId":"anthropic","modelId":"m"}}`, 1000, 900, 90, false},
		// Anthropic even with a large uncached input: 5000 + 900.
		{"anthropic large", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":5000,\"tokensOut\":5,\"cacheReads\":900}","modelInfo":{"providerId":"anthropic","modelId":"m"}}`, 5900, 900, 0, false},
		// OpenAI-compatible: prompt_tokens 1000 includes 900 cached; 50 misses are not writes.
		{"openai", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":1000,\"tokensOut\":5,\"cacheReads\":900,\"cacheWrites\":50}","modelInfo":{"providerId":"openai","modelId":"m"}}`, 1000, 900, 0, false},
		// DeepSeek: 0 + 700 hits + 300 misses; misses are input, not writes.
		{"deepseek", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":0,\"tokensOut\":5,\"cacheReads\":700,\"cacheWrites\":300}","modelInfo":{"providerId":"deepseek","modelId":"deepseek-chat"}}`, 1000, 700, 0, false},
		// LiteLLM: prompt_tokens 1000 includes 600 read and 100 written.
		{"litellm", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":1000,\"tokensOut\":5,\"cacheReads\":600,\"cacheWrites\":100}","modelInfo":{"providerId":"litellm","modelId":"m"}}`, 1000, 600, 100, false},
		// Inclusive provider, but 10 < 900: it cannot include the cache; 10 + 900.
		{"evidence beats table", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":5,\"cacheReads\":900}","modelInfo":{"providerId":"litellm","modelId":"m"}}`, 910, 900, 0, false},
		// Unknown provider, 10 < 900: exclusive by evidence, not assumed.
		{"no provider small", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":5,\"cacheReads\":900}"}`, 910, 900, 0, false},
		// Unknown provider, 2000 >= 900: Cline's disjoint convention assumed; 2000 + 900.
		{"no provider assumed", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":2000,\"tokensOut\":5,\"cacheReads\":900}"}`, 2900, 900, 0, true},
		// Unknown provider id: same.
		{"unknown provider assumed", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":2000,\"tokensOut\":5,\"cacheReads\":900}","modelInfo":{"providerId":"newcomer","modelId":"m"}}`, 2900, 900, 0, true},
		// Roo Code openai protocol: total.
		{"roo openai", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"apiProtocol\":\"openai\",\"tokensIn\":2855,\"tokensOut\":5,\"cacheReads\":0,\"cacheWrites\":2853}"}`, 2855, 0, 2853, false},
		// Roo Code anthropic protocol, 3000 >= 2900: read as the total, assumed.
		{"roo anthropic assumed", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"apiProtocol\":\"anthropic\",\"tokensIn\":3000,\"tokensOut\":5,\"cacheReads\":2800,\"cacheWrites\":100}"}`, 3000, 2800, 100, true},
		// Roo Code anthropic protocol, 3 < 2900: the old exclusive count; 3 + 2800 + 100.
		{"roo anthropic old", `{"ts":1,"type":"say","say":"api_req_started","text":"{\"apiProtocol\":\"anthropic\",\"tokensIn\":3,\"tokensOut\":5,\"cacheReads\":2800,\"cacheWrites\":100}"}`, 2903, 2800, 100, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := decodeMsgs(t, "tasks/t1/ui_messages.json", "["+c.msg+"]")
			ingesttest.CheckAccounting(t, s, 1)
			if len(s.Recs) != 1 {
				t.Fatalf("records %d, notes %+v", len(s.Recs), s.Notes)
			}
			r := s.Recs[0]
			if r.InputTokens != c.in || r.CacheReadTokens != c.read || r.CacheWriteTokens != c.write || r.OutputTokens != 5 {
				t.Errorf("in %d read %d write %d out %d, want %d %d %d 5", r.InputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.OutputTokens, c.in, c.read, c.write)
			}
			if (r.UnknownUsage == AssumedField) != c.assumed {
				t.Errorf("assumed = %q, want %v", r.UnknownUsage, c.assumed)
			}
			if r.SessionID != "t1" {
				t.Errorf("session %q", r.SessionID)
			}
		})
	}
}

// TestEdges: every message is one unit, accounted for once.
func TestEdges(t *testing.T) {
	body := `[
{"ts":1700000000000,"type":"say","say":"task","text":"do it"},
{"ts":1700000001000,"type":"say","say":"api_req_started","text":"{\"request\":\"x\"}"},
{"ts":1700000002000,"type":"say","say":"api_req_started","text":"{\"request\":\"x\",\"tokensIn\":10,\"tokensOut\":2,\"cost\":0.5}"},
{"ts":1700000003000,"type":"say","say":"api_req_finished","text":"{\"tokensIn\":10,\"tokensOut\":2}"},
{"ts":1700000004000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":0,\"tokensOut\":0,\"cancelReason\":\"streaming_failed\",\"streamingFailedMessage\":\"boom\"}"},
{"ts":1700000005000,"type":"say","say":"api_req_started","text":"not json"},
{"ts":1700000006000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":-1}"},
{"ts":1700000007000,"type":"ask","ask":"tool","text":"{}"},
{"ts":1700000008000,"type":"say","say":"deleted_api_reqs","text":"{\"tokensIn\":7,\"tokensOut\":3,\"cost\":0}"},
{"ts":1700000008500,"type":"say","say":"deleted_api_reqs","text":"{\"tokensIn\":0,\"tokensOut\":0,\"cost\":0}"},
{"ts":"x","type":"say"},
{"ts":1700000009000,"type":"other"},
{"ts":1700000010000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":1.5}"},
{"ts":1700000011000,"type":"say","say":"api_req_started"}
]`
	s := decodeMsgs(t, "tasks/t2/ui_messages.json", body)
	ingesttest.CheckAccounting(t, s, 14)
	// Records: unit 3 (10/2, cost 0.5), unit 5 (failed), unit 9 (aggregate).
	if len(s.Recs) != 3 || s.Recs[0].Line != 3 || s.Recs[1].Line != 5 || s.Recs[2].Line != 9 {
		t.Fatalf("records %+v", s.Recs)
	}
	if r := s.Recs[0]; !r.HasCost || r.CostUSD != 0.5 || r.TSNano != 1700000002000*1e6 || r.ID != "api_req_started:1700000002000" {
		t.Errorf("first %+v", r)
	}
	if r := s.Recs[1]; r.Status != ingest.StatusError || r.Error != "boom" || r.HasCost {
		t.Errorf("failed %+v", r)
	}
	if r := s.Recs[2]; r.Attrs["aggregate"] != "deleted_api_reqs" || r.InputTokens != 7 || r.HasCost {
		t.Errorf("aggregate %+v", r)
	}
	// 1 task, 2 without usage, 8 ask tool, 10 zero aggregate: skipped;
	// 4: duplicate; 6, 7, 11, 12, 13, 14: invalid.
	if n := s.Count(ingest.NoteSkipped); n != 4 {
		t.Errorf("skipped %d", n)
	}
	if n := s.Count(ingest.NoteDuplicate); n != 1 {
		t.Errorf("duplicates %d", n)
	}
	if n := s.Count(ingest.NoteInvalid); n != 6 {
		t.Errorf("invalid %d: %+v", n, s.Notes)
	}
}

// TestTruncated: a task being written breaks off; the messages before the
// break are kept and the break is one invalid unit.
func TestTruncated(t *testing.T) {
	s := decodeMsgs(t, "tasks/t3/ui_messages.json", `[{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":4,\"tokensOut\":1}"},{"ts":2,"type":"say","sa`)
	ingesttest.CheckAccounting(t, s, 2)
	if len(s.Recs) != 1 || s.Count(ingest.NoteInvalid) != 1 {
		t.Errorf("records %d notes %+v", len(s.Recs), s.Notes)
	}
	s = decodeMsgs(t, "tasks/t3/ui_messages.json", `{"ts":1}`)
	ingesttest.CheckAccounting(t, s, 1)
}

// TestTaskMetadata: without modelInfo the model and provider come from
// task_metadata.json, the entry in force at the message's time; the
// provider then settles the semantics (deepseek: misses are input).
func TestTaskMetadata(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tasks", "t4")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"files_in_context":[],"model_usage":[{"ts":2000,"model_id":"claude-sonnet-4-5","model_provider_id":"anthropic","mode":"plan"},{"ts":1000,"model_id":"deepseek-chat","model_provider_id":"deepseek","mode":"act"}]}`
	ui := `[{"ts":1500,"type":"say","say":"api_req_started","text":"{\"tokensIn\":0,\"tokensOut\":1,\"cacheReads\":70,\"cacheWrites\":30}"},
{"ts":2500,"type":"say","say":"api_req_started","text":"{\"tokensIn\":5,\"tokensOut\":1,\"cacheReads\":70,\"cacheWrites\":30}"}]`
	for name, body := range map[string]string{"task_metadata.json": meta, "ui_messages.json": ui, "api_conversation_history.json": `[{"role":"user","content":[]}]`} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := decodeFile(t, filepath.Join(dir, "ui_messages.json"))
	ingesttest.CheckAccounting(t, s, 2)
	if len(s.Recs) != 2 {
		t.Fatalf("records %+v", s.Recs)
	}
	// 1500: deepseek (from 1000): 0 + 70 + 30 input, no write.
	if r := s.Recs[0]; r.Model != "deepseek-chat" || r.Provider != "deepseek" || r.Role != "act" || r.InputTokens != 100 || r.CacheWriteTokens != 0 {
		t.Errorf("first %+v", r)
	}
	// 2500: anthropic (from 2000): 5 + 70 + 30, 30 written.
	if r := s.Recs[1]; r.Model != "claude-sonnet-4-5" || r.Role != "plan" || r.InputTokens != 105 || r.CacheWriteTokens != 30 || r.UnknownUsage != "" {
		t.Errorf("second %+v", r)
	}
	// The siblings are claimed (so a directory walk reads them) and skipped.
	for _, name := range []string{"task_metadata.json", "api_conversation_history.json"} {
		p := filepath.Join(dir, name)
		if !(Format{}).Sniff(p, []byte(`{}`)) {
			t.Errorf("%s not claimed", name)
		}
		s := decodeFile(t, p)
		ingesttest.CheckAccounting(t, s, 1)
		if s.Count(ingest.NoteSkipped) != 1 {
			t.Errorf("%s: %+v", name, s.Notes)
		}
	}
	// Outside a task folder, a file of that name is not claimed.
	if (Format{}).Sniff(filepath.Join(t.TempDir(), "task_metadata.json"), []byte(`{}`)) {
		t.Error("task_metadata.json outside tasks/<id>/ claimed")
	}
}

func TestSniff(t *testing.T) {
	for _, c := range []struct {
		head string
		want bool
	}{
		{`[{"ts":1760534080239,"type":"say","say":"text"}]`, true},
		{"[\n    {\n        \"ts\": 1770577372307,\n        \"type\": \"ask\",", true},
		{`[{"ts":"1","type":"say"}]`, false},
		{`[{"type":"say","ts":1}]`, false},
		{`[{"ts":1,"type":"tool"}]`, false},
		{`{"ts":1,"type":"say"}`, false},
		{`[{"role":"user","content":[]}]`, false},
	} {
		if got := (Format{}).Sniff("x.json", []byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q) = %v", c.head, got)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, dir := range []string{"fineye", "jeehunter"} {
		if data, err := os.ReadFile(filepath.Join("testdata", "tasks", dir, "ui_messages.json")); err == nil {
			f.Add(data[:min(len(data), 4096)])
		}
	}
	f.Add([]byte(`[{"ts":1,"type":"say","say":"api_req_started","text":"{\"tokensIn\":1e300,\"cacheReads\":-0}"}]`))
	f.Add([]byte(`[{"ts":1,"type":"say","say":"api_req_finished","text":"{\"tokensIn\":1}"}, 3, null, []]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ingesttest.Decode(t, Format{}, "tasks/f/ui_messages.json", data)
		units := s.Units
		if units < 0 {
			t.Fatalf("units %d", units)
		}
		seen := map[int64]bool{}
		for _, r := range s.Recs {
			if r.InputTokens < r.CacheReadTokens+r.CacheWriteTokens || r.OutputTokens < 0 || r.InputTokens < 0 {
				t.Fatalf("inconsistent record %+v", r)
			}
			seen[r.Line] = true
		}
		for _, n := range s.Notes {
			if seen[n.Line] {
				t.Fatalf("unit %d has a record and a note", n.Line)
			}
			seen[n.Line] = true
		}
		if int64(len(seen)) != units {
			t.Fatalf("%d units accounted for, %d read (%s)", len(seen), units, strings.TrimSpace(string(data[:min(len(data), 80)])))
		}
	})
}
