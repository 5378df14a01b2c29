package opencode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestOddInputs pins what the reader makes of JSON that OpenCode does not
// write but a damaged or hand-edited storage may hold, so that the JSON
// decoder under the reader can change without changing it. Each want is
// the rule stated beside it (docs/formats/opencode.md, "Odd JSON"): the
// records ("llm in out model session", "tool name status") or the note.
func TestOddInputs(t *testing.T) {
	const tok = `"tokens":{"input":10,"output":2,"reasoning":0,"cache":{"read":3,"write":4}}`
	msg := func(extra string) string {
		return `{"id":"msg_1","sessionID":"ses_1","role":"assistant","modelID":"m","providerID":"anthropic","time":{"created":1700000000000}` + extra + `}`
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	for _, tc := range []struct {
		name, message string
		parts         []string // part files prt_1.json, prt_2.json, …
		want          string
	}{
		// in = 10 + 3 read + 4 written = 17.
		{"plain", msg("," + tok), nil, "llm 17 2 m ses_1"},
		// A repeated key: the last one counts.
		{"duplicate keys", msg(`,"modelID":"b",` + tok), nil, "llm 17 2 b ses_1"},
		// A repeated object too, whole, as JSON.parse reads it. Changed:
		// earlier builds merged it into the first key by key (in 5, out 2).
		{"duplicate tokens object", msg(`,"tokens":{"input":1,"output":2},"tokens":{"input":5}`), nil, "note invalid tokens without input or output | "},
		// Keys match exactly. Changed: earlier builds matched them
		// case-insensitively (session ses_x; in 10, out 2).
		{"mis-cased key", `{"id":"msg_1","SessionID":"ses_x","role":"assistant",` + tok + `}`, nil, "note invalid missing id or sessionID | "},
		{"mis-cased count", msg(`,"tokens":{"Input":10,"output":2}`), nil, "note invalid tokens without input or output | "},
		// A value of another type: not a message (or, for the id, malformed),
		// naming the field and the value. Changed: earlier builds gave
		// encoding/json's message, which names Go types ("json: cannot
		// unmarshal string into Go struct field tokens.tokens.input of type int64").
		{"count as string", msg(`,"tokens":{"input":"10","output":2}`), nil, "note invalid not an OpenCode message | tokens.input: string"},
		{"count 1.5", msg(`,"tokens":{"input":1.5,"output":2}`), nil, "note invalid not an OpenCode message | tokens.input: number 1.5"},
		{"time 1e400", `{"id":"msg_1","sessionID":"ses_1","role":"assistant","time":{"created":1e400},` + tok + `}`, nil, "note invalid not an OpenCode message | time.created: number 1e400"},
		{"id as number", `{"id":5,"sessionID":"ses_1"}`, nil, "note invalid malformed json | id: number"},
		{"error as string", msg(`,"error":"x",` + tok), nil, "note invalid not an OpenCode message | error: string"},
		{"not an object", `[]`, nil, "note invalid malformed json | not a json object"},
		// A field no rule reads may hold anything.
		{"unread field of any type", msg(`,"cost":"x",` + tok), nil, "llm 17 2 m ses_1"},
		// null is missing.
		{"null tokens", msg(`,"tokens":null`), nil, "note invalid assistant message without tokens | "},
		{"null input", msg(`,"tokens":{"input":null,"output":2}`), nil, "note invalid tokens without input or output | "},
		{"null time", `{"id":"msg_1","sessionID":"ses_1","role":"assistant","time":null,` + tok + `}`, nil, "llm 17 2  ses_1"},
		// Not RFC 8259: malformed, with the standard library's message.
		{"trailing comma", msg("," + tok + ","), nil, "note invalid malformed json | invalid character '}' looking for beginning of object key string"},
		// Nesting deeper than 300 levels is malformed, even in a field no
		// rule reads. Changed: earlier builds read it.
		{"deep nesting", msg(`,"x":` + deep + `,` + tok), nil, "note invalid malformed json | too big depth: nested more than 300 levels"},
		// Invalid UTF-8 is kept, each bad byte as U+FFFD; a lone surrogate
		// escape stays as its six characters. Changed: earlier builds made it U+FFFD.
		{"invalid utf-8", msg(",\"modelID\":\"a\xffb\"," + tok), nil, "llm 17 2 a\uFFFDb ses_1"},
		{"lone surrogate", msg(`,"modelID":"a\ud800b",` + tok), nil, "llm 17 2 a\\ud800b ses_1"},
		// Parts: a step-finish part is a call; a part with a wrong type is unreadable.
		{"step part", msg(`,` + tok), []string{`{"id":"prt_1","type":"step-finish","tokens":{"input":1,"output":1}}`}, "llm 1 1 m ses_1"},
		{"part of the wrong type", msg(`,` + tok), []string{`{"id":"prt_1","type":5}`}, "note invalid unreadable part | prt_1.json"},
		// Changed: earlier builds read "Type" as type and the deep part
		// as a step (in 1, out 1); now the first is no step (the message's
		// own tokens are the call) and the second is unreadable.
		{"mis-cased part key", msg(`,` + tok), []string{`{"id":"prt_1","Type":"step-finish","tokens":{"input":1,"output":1}}`}, "llm 17 2 m ses_1"},
		{"deep part", msg(`,` + tok), []string{`{"id":"prt_1","type":"step-finish","x":` + deep + `,"tokens":{"input":1,"output":1}}`}, "note invalid unreadable part | prt_1.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			mdir := filepath.Join(dir, "message", "ses_1")
			path := filepath.Join(mdir, "msg_1.json")
			write(t, path, tc.message)
			for i, p := range tc.parts {
				write(t, filepath.Join(dir, "part", "msg_1", fmt.Sprintf("prt_%d.json", i+1)), p)
			}
			src, err := ingest.OpenSource(path, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var got []string
			s := &sink{}
			if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
				t.Fatal(err)
			}
			for _, r := range s.recs {
				got = append(got, fmt.Sprintf("llm %d %d %s %s", r.InputTokens, r.OutputTokens, r.Model, r.SessionID))
			}
			for _, n := range s.notes {
				d := n.Detail
				if strings.HasSuffix(d, ".json") {
					d = filepath.Base(d)
				}
				got = append(got, fmt.Sprintf("note %s %s | %s", kind(n.Kind), n.Reason, d))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

type sink struct {
	recs  []ingest.Record
	notes []ingest.Note
}

func (s *sink) Record(r *ingest.Record) { s.recs = append(s.recs, *r) }
func (s *sink) Note(n ingest.Note)      { s.notes = append(s.notes, n) }
func (s *sink) Lines(int64)             {}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func kind(k ingest.NoteKind) string {
	switch k {
	case ingest.NoteInvalid:
		return "invalid"
	case ingest.NoteSkipped:
		return "skipped"
	}
	return "?"
}
