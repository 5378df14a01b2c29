package gemini

import (
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

const sample = "session-2026-01-16T11-01-file-ops-37b7abef.json"

// Expected figures from the sample with jq (F = the sample):
//
//	units 14 (9 gemini, 5 user):  jq '.messages|length' F; jq -r '.messages[].type' F | sort | uniq -c
//	llm 9, Σ in 87,418, Σ cached 62,117, Σ out 4,355, Σ thoughts 2,914:
//	  jq '[.messages[]|select(.type=="gemini" and .tokens!=null)|.tokens]|{n:length,in:(map(.input+.tool)|add),
//	    cached:(map(.cached)|add),out:(map(.output+.thoughts)|add),thoughts:(map(.thoughts)|add)}' F
//	cross-check: Σ in + Σ out = 91,773 = jq '[.messages[].tokens.total // 0]|add' F, since
//	  total = input + output + thoughts + tool holds for every message
//	  (jq '[.messages[].tokens|select(.!=null)|select(.total!=.input+.output+.thoughts+.tool)]|length' F → 0)
//	tools 14, none failed: jq '[.messages[].toolCalls[]?]|{n:length,err:(map(select(.status!="success"))|length)}' F
func TestSample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	if !(Format{}).Sniff(sample, data) {
		t.Error("Sniff rejects the sample")
	}
	c := decode(t, sample, data)
	var llm, in, cached, out, thoughts, tools, toolErr int64
	for _, r := range c.Recs {
		if r.SessionID != "37b7abef-713d-4522-85f0-8ff15a4e6d17" || r.TSNano == 0 {
			t.Errorf("unit %d: session %q ts %d", r.Line, r.SessionID, r.TSNano)
		}
		switch r.Kind {
		case ingest.KindLLM:
			llm++
			in += r.InputTokens
			cached += r.CacheReadTokens
			out += r.OutputTokens
			thoughts += r.ReasoningTokens
			if r.Model != "gemini-3-pro" || r.Sub != 0 {
				t.Errorf("unit %d: model %q sub %d", r.Line, r.Model, r.Sub)
			}
		case ingest.KindTool:
			tools++
			if r.Status != ingest.StatusOK {
				toolErr++
			}
			if r.Tool == "" || r.Sub < 1 {
				t.Errorf("unit %d: tool %q sub %d", r.Line, r.Tool, r.Sub)
			}
		}
	}
	if llm != 9 || in != 87418 || cached != 62117 || out != 4355 || thoughts != 2914 || in+out != 91773 {
		t.Errorf("llm %d in %d cached %d out %d thoughts %d", llm, in, cached, out, thoughts)
	}
	if tools != 14 || toolErr != 0 {
		t.Errorf("tools %d errors %d", tools, toolErr)
	}
	if c.Count(ingest.NoteSkipped) != 5 || len(c.Notes) != 5 {
		t.Errorf("notes = %+v", c.Notes)
	}
	// Message 2: jq -c '.messages[1]|{id,tokens}' F → input 4749, output 292, thoughts 240.
	if r := c.Recs[0]; r.Line != 2 || r.ID != "ad67282a-bb35-459a-9d13-9f36cdfe2c5c" || r.InputTokens != 4749 || r.OutputTokens != 532 {
		t.Errorf("first record = %+v", r)
	}
	checkAccounting(t, c, 14)
}

func TestMapping(t *testing.T) {
	in := `{"messages":[
 {"id":"u","type":"user","content":"hi"},
 {"id":"g","type":"gemini","model":"gemini-x","timestamp":"2026-01-01T00:00:00Z",
  "tokens":{"input":100,"output":10,"cached":60,"thoughts":5,"tool":7,"total":122},
  "toolCalls":[{"id":"a","name":"run","status":"error","result":[{"functionResponse":{"response":{"error":"exit 1"}}}]},
               {"id":"b","name":"edit","status":"cancelled","resultDisplay":"declined"},
               {"id":"c","name":"read","status":"success"}]},
 {"id":"i","type":"info","content":"x"},
 {"id":"n","type":"gemini"}
],"sessionId":"late"}`
	c := decode(t, "x.json", []byte(in))
	if len(c.Recs) != 4 {
		t.Fatalf("records = %+v", c.Recs)
	}
	// By hand: input 100+7 = 107, cached 60, output 10+5 = 15, reasoning 5.
	if r := c.Recs[0]; r.InputTokens != 107 || r.CacheReadTokens != 60 || r.OutputTokens != 15 || r.ReasoningTokens != 5 ||
		r.SessionID != "late" || r.Line != 2 || r.Provider != "gcp.gemini" {
		t.Errorf("llm = %+v", r)
	}
	if r := c.Recs[1]; r.Status != ingest.StatusError || r.Error != "exit 1" || r.Sub != 1 || r.TSNano == 0 {
		t.Errorf("error tool = %+v", r)
	}
	if r := c.Recs[2]; r.Status != ingest.StatusError || r.ErrorClass != ingest.ErrorUserRejected || r.Error != "declined" {
		t.Errorf("cancelled tool = %+v", r)
	}
	if r := c.Recs[3]; r.Status != ingest.StatusOK || r.Sub != 3 {
		t.Errorf("ok tool = %+v", r)
	}
	if c.Count(ingest.NoteSkipped) != 3 {
		t.Errorf("notes = %+v", c.Notes)
	}
	checkAccounting(t, c, 4)
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		recs    int
		invalid int
		units   int64
	}{
		{"empty", "", 0, 0, 0},
		{"not an object", "[1,2]", 0, 1, 1},
		{"garbage", "garbage", 0, 1, 1},
		{"messages not array", `{"messages":5}`, 0, 1, 1},
		{"null messages", `{"sessionId":"s","messages":null}`, 0, 0, 0},
		// A wrong type invalidates its message only; the next one still counts.
		{"wrong type", `{"messages":[{"type":"gemini","tokens":{"input":"x"}},{"type":"gemini","tokens":{"input":1}}]}`, 1, 1, 2},
		{"negative", `{"messages":[{"type":"gemini","tokens":{"input":-1}}]}`, 0, 1, 1},
		// Truncated mid-message: the complete first message is kept, the break is one invalid unit.
		{"truncated", `{"sessionId":"s","messages":[{"type":"gemini","tokens":{"input":1}},{"type":"gemini","tok`, 1, 1, 2},
		{"truncated after array", `{"sessionId":"s","messages":[{"type":"gemini","tokens":{"input":1}}]`, 1, 1, 2},
		{"message not object", `{"messages":[3,{"type":"user"}]}`, 0, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decode(t, "bad.json", []byte(tt.in))
			if len(c.Recs) != tt.recs || c.Count(ingest.NoteInvalid) != tt.invalid {
				t.Errorf("records %d invalid %d, want %d and %d: %+v", len(c.Recs), c.Count(ingest.NoteInvalid), tt.recs, tt.invalid, c.Notes)
			}
			checkAccounting(t, c, tt.units)
		})
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name, head string
		want       bool
	}{
		{"x.json", `{"sessionId":"s","projectHash":"h","startTime":"t","messages":[`, true},
		{"session-1.json", `{"sessionId":"s","messages":[]}`, true},
		{"x.json", `{"sessionId":"s","messages":[]}`, true},
		{"x.json", `{"messages":[],"sessionId":"s"}`, false}, // the CLI writes sessionId first
		{"x.json", `{"sessionId":"s","messages":5}`, false},
		// A Claude Code line whose content mentions every key.
		{"x.jsonl", `{"type":"user","sessionId":"s","message":{"content":"{\"sessionId\":1,\"projectHash\":2,\"messages\":[]}"}}` + "\n", false},
		{"x.jsonl", `{"type":"user","sessionId":"s","uuid":"u"}`, false},
		{"x.json", `[{"sessionId":"s","projectHash":"h","messages":[]}]`, false},
	}
	for _, tt := range tests {
		if got := (Format{}).Sniff(tt.name, []byte(tt.head)); got != tt.want {
			t.Errorf("Sniff(%q, %q) = %v", tt.name, tt.head, got)
		}
	}
}

func TestRegistered(t *testing.T) {
	if f, err := ingest.Lookup("gemini-cli"); err != nil || f.Name() != "gemini-cli" {
		t.Fatalf("Lookup: %v", err)
	}
}

func FuzzGemini(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"sessionId":"s","messages":[{"type":"gemini","tokens":{"input":1,"thoughts":2},"toolCalls":[{"status":"error","result":[{"functionResponse":{"response":{"error":"e"}}}]}]}]}`))
	f.Add([]byte(strings.Repeat("[", 100)))
	f.Fuzz(func(t *testing.T, data []byte) {
		(Format{}).Sniff("f.json", data)
		c := decode(t, "f.json", data)
		withRecs := map[int64]bool{}
		for _, r := range c.Recs {
			withRecs[r.Line] = true
		}
		if int64(len(withRecs)+len(c.Notes)) != c.Units {
			t.Fatalf("accounting: %d units with records + %d notes != %d units", len(withRecs), len(c.Notes), c.Units)
		}
	})
}

// Session files concatenated on stdin (cat chats/*.json | tokcost
// analyze -) are as many sessions: before, everything after the first
// document was dropped without a note. Expected figures: the sample's own
// (TestSample: 9 calls, Σ in 87,418) once per copy, and 14 units each.
func TestConcatenatedSessions(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", sample))
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(string(data), "37b7abef-713d-4522-85f0-8ff15a4e6d17", "second", 1)
	noID := strings.Replace(string(data), `"sessionId"`, `"notTheId"`, 1)
	c := decode(t, "-", []byte(string(data)+"\n"+other+noID))
	in := map[string]int64{}
	calls := map[string]int{}
	for _, r := range c.Recs {
		if r.Kind == ingest.KindLLM {
			in[r.SessionID] += r.InputTokens
			calls[r.SessionID]++
		}
	}
	for _, s := range []string{"37b7abef-713d-4522-85f0-8ff15a4e6d17", "second", "-#3"} {
		if in[s] != 87418 || calls[s] != 9 {
			t.Errorf("session %s: %d calls, %d input, want 9 and 87,418", s, calls[s], in[s])
		}
	}
	if len(in) != 3 {
		t.Errorf("sessions %v, want 3", in)
	}
	checkAccounting(t, c, 3*14)

	// Anything after a document that is not one is an invalid unit, not
	// silently ignored; its 23 records (9 calls + 14 tools, TestSample) stay.
	c = decode(t, "x.json", append(data, []byte(" garbage")...))
	if c.Count(ingest.NoteInvalid) != 1 || len(c.Recs) != 23 {
		t.Errorf("trailing garbage: %d records, notes %+v", len(c.Recs), c.Notes)
	}
	checkAccounting(t, c, 15)
}
