package langfuse

import (
	"bufio"
	"bytes"
	"math"
	"os"
	"testing"
	"time"

	"github.com/tokcost/tokcost/ingest"
)

type collectSink struct {
	recs  []ingest.Record
	notes []ingest.Note
	lines int64
}

func (s *collectSink) Record(r *ingest.Record) { s.recs = append(s.recs, *r) }
func (s *collectSink) Note(n ingest.Note)      { s.notes = append(s.notes, n) }
func (s *collectSink) Lines(n int64)           { s.lines += n }

func (s *collectSink) count(kind ingest.NoteKind) int {
	n := 0
	for _, x := range s.notes {
		if x.Kind == kind {
			n++
		}
	}
	return n
}

type totals struct {
	sessions, llm, tools, errors           int
	in, out, cacheRead, cacheWrite, reason int64
}

func (s *collectSink) totals() (totals, float64) {
	var t totals
	var cost float64
	sess := map[string]bool{}
	for _, r := range s.recs {
		sess[r.SessionID] = true
		switch r.Kind {
		case ingest.KindLLM:
			t.llm++
		case ingest.KindTool:
			t.tools++
		}
		if r.Status != ingest.StatusOK {
			t.errors++
		}
		t.in += r.InputTokens
		t.out += r.OutputTokens
		t.cacheRead += r.CacheReadTokens
		t.cacheWrite += r.CacheWriteTokens
		t.reason += r.ReasoningTokens
		if r.HasCost {
			cost += r.CostUSD
		}
	}
	t.sessions = len(sess)
	return t, cost
}

func decode(t testing.TB, src *ingest.Source) *collectSink {
	t.Helper()
	f, err := ingest.Lookup("langfuse")
	if err != nil {
		t.Fatal(err)
	}
	sink := &collectSink{}
	if err := f.Decode(src, func() ingest.Sink { return sink }); err != nil {
		t.Fatal(err)
	}
	if got := int64(len(sink.recs) + len(sink.notes)); got != sink.lines {
		t.Errorf("units: %d records + %d notes != Lines %d", len(sink.recs), len(sink.notes), sink.lines)
	}
	return sink
}

func decodeFile(t testing.TB, path string) *collectSink {
	t.Helper()
	src, err := ingest.OpenSource(path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return decode(t, src)
}

// Expectations per sample, derived with python3 on the sample file:
//
//	d=json.load(open(f)); obs=d['observations']; g=[o for o in obs if o['type']=='GENERATION']
//	units = len(obs); llm = len(g); tools = sum(o['type']=='TOOL' for o in obs)
//	errors = sum(o['level']=='ERROR' for o in obs if o['type'] in ('GENERATION','TOOL'))
//	in  = Σ_g input + input_cache_read + prompt_details.cache_read + input_audio   (disjoint buckets;
//	      every sample has total == Σ other keys, checked by hand)
//	out = Σ_g output + output_reasoning + completion_details.reasoning + output_audio
//	cr = Σ_g input_cache_read + prompt_details.cache_read; re = Σ_g output_reasoning + completion_details.reasoning
//	cost = Σ_g costDetails['total']
var samples = []struct {
	file  string
	units int64
	want  totals
	cost  float64
	role  string // nearest AGENT ancestor of every record (by hand from parentObservationId)
}{
	{"google-adk-2025-08-28.trace.json", 5, totals{sessions: 1, llm: 2, tools: 1, in: 67, out: 9}, 1.03e-05, "agent_run [hello_agent]"},
	{"langgraph-python-2025-08-22.trace.json", 9, totals{sessions: 1, llm: 2, in: 168, out: 66}, 0.000234, ""},
	{"microsoft-agent-2025-12-17.trace.json", 4, totals{sessions: 1, llm: 2, tools: 1, in: 293, out: 106}, 0.00028525, "invoke_agent 171105b7-59dd-49c0-9677-0b95395aa46a"},
	{"openai-agents-2025-09-30.trace.json", 5, totals{sessions: 1, llm: 2, tools: 1, in: 140, out: 44}, 0.000632, "Hello world"},
}

func TestSamples(t *testing.T) {
	for _, c := range samples {
		t.Run(c.file, func(t *testing.T) {
			s := decodeFile(t, "testdata/"+c.file)
			if s.lines != c.units {
				t.Errorf("lines = %d, want %d", s.lines, c.units)
			}
			got, cost := s.totals()
			if got != c.want {
				t.Errorf("totals = %+v, want %+v", got, c.want)
			}
			if math.Abs(cost-c.cost) > 1e-12 {
				t.Errorf("cost = %g, want %g", cost, c.cost)
			}
			for _, r := range s.recs {
				if r.Role != c.role {
					t.Errorf("%s: role %q, want %q", r.ID, r.Role, c.role)
				}
			}
			for i := 1; i < len(s.recs); i++ {
				if s.recs[i].TSNano < s.recs[i-1].TSNano {
					t.Errorf("records not in start order at %d", i)
				}
			}
		})
	}
}

func TestSampleFields(t *testing.T) {
	s := decodeFile(t, "testdata/google-adk-2025-08-28.trace.json")
	// trace.sessionId = "demo-session"; the first generation by startTime:
	// jq -c '.observations[]|select(.id|startswith("f6e4"))|{startTime,endTime,model,usageDetails}'
	// → 07:32:30.306Z … 07:32:31.217Z (911 ms), gemini-2.0-flash, input 28, output 3, total 31
	r := s.recs[0]
	if r.SessionID != "demo-session" || r.Model != "gemini-2.0-flash" || r.InputTokens != 28 || r.OutputTokens != 3 || math.Abs(r.DurationMS-911) > 1e-6 {
		t.Errorf("first record = %+v", r)
	}
	// metadata attributes: gen_ai.system = gcp.vertex.agent (preferred over llm.provider = google)
	if r.Provider != "gcp.vertex.agent" {
		t.Errorf("provider = %q", r.Provider)
	}
	// trace.sessionId is null: the session is the trace id.
	s = decodeFile(t, "testdata/langgraph-python-2025-08-22.trace.json")
	if s.recs[0].SessionID != "e1fde3efec57ce8a69bafd3fb928a7eb" {
		t.Errorf("session = %q", s.recs[0].SessionID)
	}
}

// testdata/blob.jsonl is hand-written blob-export JSONL; expectations by hand.
func TestBlobJSONL(t *testing.T) {
	s := decodeFile(t, "testdata/blob.jsonl")
	// 5 lines: 4 observations + 1 truncated line.
	if s.lines != 5 || s.count(ingest.NoteInvalid) != 1 || s.count(ingest.NoteSkipped) != 1 {
		t.Errorf("lines %d, notes %+v", s.lines, s.notes)
	}
	got, cost := s.totals()
	want := totals{
		sessions: 1, // session_id "s1" on g1 applies to its whole trace t1
		llm:      2, tools: 1,
		errors: 2, // g1 and x1 have level ERROR
		// g1: total 155 = 10+90+5+20+30 → disjoint: in 10+90+5 = 105, out 20+30 = 50
		// g2: total 120 = 100+20 ≠ 165 → inclusive: in 100, out 20
		in: 205, out: 70, cacheRead: 130, cacheWrite: 5, reason: 35,
	}
	if got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	// cost_details.total 0.5 + total_cost 0.25
	if cost != 0.75 {
		t.Errorf("cost = %g", cost)
	}
	g1, x1 := s.recs[0], s.recs[1] // starts 00:00:01, 00:00:03.6, 00:00:04
	if g1.ID != "g1" || g1.SessionID != "s1" || g1.Status != ingest.StatusError || g1.Error != "rate limited" || g1.DurationMS != 2500 || g1.Role != "coder" || g1.Model != "gpt-4o" {
		t.Errorf("g1 = %+v", g1)
	}
	if x1.Tool != "bash" || x1.Error != "error" || x1.Role != "coder" || math.Abs(x1.DurationMS-100) > 1e-9 {
		t.Errorf("x1 = %+v", x1)
	}
}

func TestSniff(t *testing.T) {
	f, _ := ingest.Lookup("langfuse")
	for _, c := range []struct {
		file string
		want bool
	}{
		{"testdata/google-adk-2025-08-28.trace.json", true},
		{"testdata/blob.jsonl", true},
		{"../otel/testdata/tempo_export_with_batches.json", false},
		{"../otel/testdata/k8s.json", false},
	} {
		head, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Sniff(c.file, head[:min(len(head), 64<<10)]); got != c.want {
			t.Errorf("%s: Sniff = %v", c.file, got)
		}
	}
}

func FuzzLangfuse(f *testing.F) {
	for _, c := range samples {
		data, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	data, err := os.ReadFile("testdata/blob.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		decode(t, &ingest.Source{Name: "fuzz", R: bufio.NewReaderSize(bytes.NewReader(data), 1<<16)})
	})
}

// Framework traces emit start/finish events as GENERATIONs with no usage
// and no model: they are not model calls (before, each was an LLM call of
// 0 tokens). A total above input + output with no reasoning key is hidden
// thinking, billed as output: 2,023 − 5 − 845 = 1,173. A zone-less time is
// read as UTC and noted. An output of text with 0 output tokens is noted.
// An unknown usage key is named.
func TestGenerationRules(t *testing.T) {
	in := `{"id":"start","trace_id":"t","type":"GENERATION","name":"llm_start","start_time":"2025-01-20T20:29:35.040676","usage_details":{}}
{"id":"end","trace_id":"t","type":"GENERATION","name":"llm_end","start_time":"2025-01-20T20:29:36Z"}
{"id":"g","trace_id":"t","parent_observation_id":"x","type":"GENERATION","name":"call","start_time":"2025-01-20T20:29:35.040676","provided_model_name":"gemini-2.5-flash","usage_details":{"input":5,"output":845,"total":2023}}
{"id":"z","trace_id":"t","parent_observation_id":"x","type":"GENERATION","name":"call","start_time":"2025-01-20T20:29:37Z","provided_model_name":"gpt-4o","usage_details":{"input":5,"output":0,"image_tokens":3},"output":"some text"}
{"id":"m","trace_id":"t","parent_observation_id":"x","type":"GENERATION","name":"call","start_time":"yesterday","provided_model_name":"gpt-4o"}
`
	s := decode(t, &ingest.Source{Name: "f.jsonl", R: bufio.NewReader(bytes.NewBufferString(in))})
	if len(s.recs) != 3 || s.count(ingest.NoteSkipped) != 2 {
		t.Fatalf("records %+v notes %+v, want 3 records and 2 skipped", s.recs, s.notes)
	}
	byID := map[string]ingest.Record{}
	for _, r := range s.recs {
		byID[r.ID] = r
	}
	g := byID["g"]
	wantTS := time.Date(2025, 1, 20, 20, 29, 35, 40676000, time.UTC).UnixNano()
	if g.InputTokens != 5 || g.OutputTokens != 2018 || g.ReasoningTokens != 1173 || g.TokensFromTotal != 1173 ||
		!g.TSAssumedUTC || g.TSNano != wantTS {
		t.Errorf("g = %+v", g)
	}
	if z := byID["z"]; !z.ZeroOutputText || z.UnknownUsage != "image_tokens" || z.TSAssumedUTC {
		t.Errorf("z = %+v", z)
	}
	if m := byID["m"]; !m.TSUnreadable || m.TSNano != 0 || m.Kind != ingest.KindLLM {
		t.Errorf("m (a model, no usage: a call) = %+v", m)
	}
}

// TOOL observations carry the call's input and output for loop detection
// (docs/loops.md), as hashes. The real samples store both as strings; the
// sizes below are the output strings' lengths (python3: len(o["output"])):
// "The weather in Tokyo is sunny." is 30 bytes; Microsoft's output is a
// JSON string kept as text, 65 bytes. Arguments given as a string holding
// JSON compare equal to the same JSON given as an object in another key
// order and spacing (second observation below, built by hand).
func TestToolInputOutput(t *testing.T) {
	for _, tt := range []struct {
		file  string
		bytes int64
	}{
		{"openai-agents-2025-09-30.trace.json", 30},
		{"microsoft-agent-2025-12-17.trace.json", 65},
	} {
		s := decodeFile(t, "testdata/"+tt.file)
		n := 0
		for _, r := range s.recs {
			if r.Kind != ingest.KindTool {
				continue
			}
			n++
			if r.ToolArgsHash == 0 || r.ToolResultHash == 0 || r.ToolResultBytes != tt.bytes {
				t.Errorf("%s: args %x result %x (%d bytes), want both hashed and %d bytes", tt.file, r.ToolArgsHash, r.ToolResultHash, r.ToolResultBytes, tt.bytes)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d tool records, want 1", tt.file, n)
		}
	}
	doc := `{"trace":{"id":"t","sessionId":"s"},"observations":[` +
		`{"id":"a","traceId":"t","type":"TOOL","name":"get_weather","startTime":"2025-01-01T00:00:00Z","input":"{\"city\":\"Tokyo\",\"unit\":\"c\"}","output":"sunny"},` +
		`{"id":"b","traceId":"t","type":"TOOL","name":"get_weather","startTime":"2025-01-01T00:00:01Z","input":{ "unit" : "c", "city" : "Tokyo" },"output":"sunny"},` +
		`{"id":"c","traceId":"t","type":"TOOL","name":"get_weather","startTime":"2025-01-01T00:00:02Z","input":{"city":"Osaka","unit":"c"},"output":"rain"}]}`
	s := decode(t, &ingest.Source{Name: "t.json", R: bufio.NewReader(bytes.NewBufferString(doc))})
	if len(s.recs) != 3 {
		t.Fatalf("%d records, want 3", len(s.recs))
	}
	a, b, c := s.recs[0], s.recs[1], s.recs[2]
	if a.ToolArgsHash != b.ToolArgsHash || a.ToolArgsHash == c.ToolArgsHash || a.ToolResultHash != b.ToolResultHash || a.ToolResultHash == c.ToolResultHash {
		t.Errorf("hashes a %x/%x b %x/%x c %x/%x: want a = b ≠ c for arguments and results", a.ToolArgsHash, a.ToolResultHash, b.ToolArgsHash, b.ToolResultHash, c.ToolArgsHash, c.ToolResultHash)
	}
}

// TestParentCycle: two generations that are each other's parent and carry
// the same usage used to be repeats of each other, so the call vanished.
// The cycle is cut at the first observation in input order; the inner one
// is the call (by hand: one call, 120 in, 7 out).
func TestParentCycle(t *testing.T) {
	doc := `{"trace":{"id":"t","sessionId":"s"},"observations":[` +
		`{"id":"a","traceId":"t","parentObservationId":"b","type":"GENERATION","name":"llm","model":"gpt-4o","startTime":"2025-01-01T00:00:00Z","usageDetails":{"input":120,"output":7}},` +
		`{"id":"b","traceId":"t","parentObservationId":"a","type":"GENERATION","name":"llm","model":"gpt-4o","startTime":"2025-01-01T00:00:01Z","usageDetails":{"input":120,"output":7}}]}`
	s := decode(t, &ingest.Source{Name: "t.json", R: bufio.NewReader(bytes.NewBufferString(doc))})
	var in, out int64
	for _, r := range s.recs {
		in, out = in+r.InputTokens, out+r.OutputTokens
	}
	if len(s.recs) != 1 || in != 120 || out != 7 {
		t.Errorf("%d records, %d in, %d out; want 1, 120, 7", len(s.recs), in, out)
	}
}
