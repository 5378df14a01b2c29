package opencode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

func decodePath(t *testing.T, path string) *ingesttest.Sink {
	t.Helper()
	src, err := ingest.OpenSource(path, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s := &ingesttest.Sink{}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	ingesttest.CheckAccounting(t, s, 1) // the unit is the file
	return s
}

// msg_a2 holds two steps (testdata/storage/part/msg_a2): its own tokens
// are the last step's only, so the calls come from the step-finish parts.
//
//	step 1 (prt_a2000003): input 2500 + cache read 0 + write 11200 = 13700, output 120
//	step 2 (prt_a2000006): input 12 + read 14000 + write 800 = 14812, output 310
//	tools: bash (completed, 04.000→06.250 = 2250 ms), read (error)
func TestMultiStepMessage(t *testing.T) {
	s := decodePath(t, "testdata/storage/message/ses_A/msg_a2.json")
	if len(s.Recs) != 4 || len(s.Notes) != 0 {
		t.Fatalf("records %d notes %+v", len(s.Recs), s.Notes)
	}
	var llm, tools int
	var in, out, read, write int64
	for _, r := range s.Recs {
		if r.SessionID != "ses_A" || r.Role != "build" {
			t.Errorf("%s: session %q role %q", r.ID, r.SessionID, r.Role)
		}
		switch r.Kind {
		case ingest.KindLLM:
			llm++
			in, out, read, write = in+r.InputTokens, out+r.OutputTokens, read+r.CacheReadTokens, write+r.CacheWriteTokens
			if r.Model != "claude-sonnet-4-20250514" || r.Provider != "anthropic" || r.Status != ingest.StatusOK {
				t.Errorf("call %+v", r)
			}
		case ingest.KindTool:
			tools++
			switch r.Tool {
			case "bash":
				if r.Status != ingest.StatusOK || r.DurationMS != 2250 || r.TSNano != 1772323204000*1e6 {
					t.Errorf("bash %+v", r)
				}
			case "read":
				if r.Status != ingest.StatusError || !strings.HasPrefix(r.Error, "File not found") {
					t.Errorf("read %+v", r)
				}
			}
		}
	}
	if llm != 2 || tools != 2 || in != 13700+14812 || out != 120+310 || read != 14000 || write != 11200+800 {
		t.Errorf("llm %d tools %d in %d out %d read %d write %d", llm, tools, in, out, read, write)
	}
}

// Without its part directory a message's own tokens are the call.
func TestMessageWithoutParts(t *testing.T) {
	for _, tc := range []struct {
		file               string
		in, out, read, rsn int64
		status             ingest.Status
	}{
		// Google: output 200 excludes the 500 thinking tokens → 700; input 3000 + read 1000.
		{"msg_b1.json", 4000, 700, 1000, 500, ingest.StatusOK},
		// OpenAI: output 900 already holds reasoning 600; input 800 + read 1200; error set.
		{"msg_b2.json", 2000, 900, 1200, 600, ingest.StatusError},
	} {
		s := decodePath(t, filepath.Join("testdata/storage/message/ses_B", tc.file))
		if len(s.Recs) != 1 {
			t.Fatalf("%s: %d records, notes %+v", tc.file, len(s.Recs), s.Notes)
		}
		r := s.Recs[0]
		if r.InputTokens != tc.in || r.OutputTokens != tc.out || r.CacheReadTokens != tc.read || r.ReasoningTokens != tc.rsn || r.Status != tc.status {
			t.Errorf("%s: %+v", tc.file, r)
		}
	}
}

func TestNonCallFiles(t *testing.T) {
	for file, reason := range map[string]string{
		"testdata/storage/message/ses_A/msg_a1.json":     "user message",
		"testdata/storage/part/msg_a2/prt_a2000003.json": "part (read with its message)",
	} {
		s := decodePath(t, file)
		if len(s.Recs) != 0 || len(s.Notes) != 1 || s.Notes[0].Kind != ingest.NoteSkipped || s.Notes[0].Reason != reason {
			t.Errorf("%s: recs %d notes %+v", file, len(s.Recs), s.Notes)
		}
	}
}

// A part that cannot be read makes its message invalid, never a count
// that silently misses a step.
func TestUnreadablePart(t *testing.T) {
	dir := t.TempDir()
	msg := filepath.Join(dir, "storage", "message", "ses_X", "msg_x.json")
	parts := filepath.Join(dir, "storage", "part", "msg_x")
	for _, d := range []string{filepath.Dir(msg), parts} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(msg, `{"id":"msg_x","sessionID":"ses_X","role":"assistant","modelID":"m","providerID":"p","tokens":{"input":1,"output":1,"reasoning":0,"cache":{"read":0,"write":0}}}`)
	write(filepath.Join(parts, "prt_1.json"), `{"id":"prt_1","type":"step-finish","tokens":{"input":5,`)
	s := decodePath(t, msg)
	if len(s.Recs) != 0 || s.Count(ingest.NoteInvalid) != 1 || s.Notes[0].Reason != "unreadable part" {
		t.Errorf("recs %+v notes %+v", s.Recs, s.Notes)
	}
}

func TestBadMessages(t *testing.T) {
	for _, tc := range []struct{ name, in, reason string }{
		{"not json", `{"id":"msg_1",`, "malformed json"},
		{"negative", `{"id":"msg_1","sessionID":"ses_1","role":"assistant","tokens":{"input":-5,"output":1,"reasoning":0,"cache":{"read":0,"write":0}}}`, "negative tokens"},
		{"no tokens", `{"id":"msg_1","sessionID":"ses_1","role":"assistant"}`, "assistant message without tokens"},
		{"no output", `{"id":"msg_1","sessionID":"ses_1","role":"assistant","tokens":{"input":5}}`, "tokens without input or output"},
		{"other role", `{"id":"msg_1","sessionID":"ses_1","role":"system"}`, "not an OpenCode message"},
		{"wrong type", `{"id":"msg_1","sessionID":"ses_1","role":"assistant","tokens":{"input":"5","output":1}}`, "not an OpenCode message"},
	} {
		s := ingesttest.Decode(t, Format{}, "x.json", []byte(tc.in))
		ingesttest.CheckAccounting(t, s, 1)
		if len(s.Recs) != 0 || len(s.Notes) != 1 || s.Notes[0].Kind != ingest.NoteInvalid || s.Notes[0].Reason != tc.reason {
			t.Errorf("%s: recs %d notes %+v", tc.name, len(s.Recs), s.Notes)
		}
	}
}

func FuzzOpenCode(f *testing.F) {
	for _, p := range []string{"testdata/storage/message/ses_B/msg_b1.json", "testdata/storage/message/ses_B/msg_b2.json", "testdata/storage/part/msg_a2/prt_a2000006.json"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := ingesttest.Decode(t, Format{}, "fuzz.json", data)
		ingesttest.CheckAccounting(t, s, 1)
		for _, r := range s.Recs {
			if err := ingest.Validate(&r); err != nil {
				t.Errorf("invalid record %+v: %v", r, err)
			}
		}
	})
}

// A part with a large tool output is recognised from a head cut short.
func TestSniffPartialHead(t *testing.T) {
	data, err := os.ReadFile("testdata/storage/part/msg_a2/prt_a2000002.json")
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Replace(string(data), `"output": "ok"`, `"output": "`+strings.Repeat("x", 100<<10)+`"`, 1)
	head := []byte(big[:64<<10])
	if !(Format{}).Sniff("p.json", head) {
		t.Error("part with a 100 KiB output not recognised from its first 64 KiB")
	}
	if (Format{}).Sniff("p.json", []byte(`{"id":"msg_1","sessionID":"x","role":"assistant"}`)) {
		t.Error("a message whose session id lacks ses_ accepted")
	}
}
