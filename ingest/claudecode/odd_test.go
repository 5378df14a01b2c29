package claudecode

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// TestOddInputs pins what the reader makes of JSON that Claude Code does
// not write but a hand-edited or damaged transcript may hold, so that the
// JSON decoder under the reader can change without changing it. Each
// expectation is the rule stated beside it (docs/formats/claude-code.md,
// "Odd JSON"), not the program's output.
func TestOddInputs(t *testing.T) {
	const msg = `"message":{"id":"m","model":"claude-x","usage":%s}`
	asst := func(top, usage string) string {
		return `{"type":"assistant","sessionId":"a"` + top + `,` + fmt.Sprintf(msg, usage) + `}`
	}
	for _, tc := range []struct {
		name, line string
		want       string // "rec sess in out" or "note kind reason | detail"
	}{
		// Duplicate keys: the last one counts (as JSON.parse, which wrote the file, would read it).
		{"duplicate keys", `{"type":"assistant","sessionId":"a","sessionId":"b",` + fmt.Sprintf(msg, `{"input_tokens":5,"input_tokens":7,"output_tokens":1}`) + `}`,
			"rec b 7 1"},
		// Keys match exactly: "SessionId" is not "sessionId", so this line has no type.
		{"case-folded keys", `{"Type":"assistant","SESSIONID":"a",` + fmt.Sprintf(msg, `{"output_tokens":1}`) + `}`,
			"note invalid missing type | "},
		{"exact keys beside case-folded ones", asst(`,"SessionId":"z"`, `{"Input_Tokens":9,"output_tokens":1}`),
			"rec a 0 1"},
		// A count must be a JSON integer: a string, a fraction, an exponent or
		// more than int64 holds is a wrong type, named as encoding/json names it.
		{"count as string", asst("", `{"input_tokens":"5","output_tokens":1}`),
			"note invalid wrong field type | usage.input_tokens: string"},
		{"count 5.0", asst("", `{"input_tokens":5.0,"output_tokens":1}`),
			"note invalid wrong field type | usage.input_tokens: number 5.0"},
		{"count 1e3", asst("", `{"input_tokens":1e3,"output_tokens":1}`),
			"note invalid wrong field type | usage.input_tokens: number 1e3"},
		{"count over int64", asst("", `{"input_tokens":100000000000000000000,"output_tokens":1}`),
			"note invalid wrong field type | usage.input_tokens: number 100000000000000000000"},
		{"nested count as string", asst("", `{"output_tokens":1,"cache_creation":{"ephemeral_1h_input_tokens":"2"}}`),
			"note invalid wrong field type | usage.cache_creation.ephemeral_1h_input_tokens: string"},
		{"usage as string", asst("", `"x"`),
			"note invalid wrong field type | usage: string"},
		{"message as string", `{"type":"assistant","sessionId":"a","message":"str"}`,
			"note invalid wrong field type | : string"},
		{"sessionId as number", `{"type":"assistant","sessionId":5,` + fmt.Sprintf(msg, `{"output_tokens":1}`) + `}`,
			"note invalid wrong field type | sessionId: number"},
		{"isSidechain as string", asst(`,"isSidechain":"true"`, `{"output_tokens":1}`),
			"note invalid wrong field type | isSidechain: string"},
		// A field of the wrong type invalidates the line even where unused.
		{"summary with numeric cwd", `{"type":"summary","cwd":5}`,
			"note invalid wrong field type | cwd: number"},
		// The first wrong field in the document is the one named.
		{"two wrong fields", `{"type":"user","cwd":5,"version":true}`,
			"note invalid wrong field type | cwd: number"},
		// null is the same as a missing field.
		{"count null", asst("", `{"input_tokens":null,"output_tokens":1}`), "rec a 0 1"},
		{"usage null", asst("", `null`), "note skipped no usage | "},
		{"message null", `{"type":"assistant","sessionId":"a","message":null}`, "note invalid missing message | "},
		{"sessionId null", `{"type":"assistant","sessionId":null,` + fmt.Sprintf(msg, `{"output_tokens":1}`) + `}`,
			"note invalid missing sessionId | "},
		// Invalid UTF-8 is kept, each bad byte shown as U+FFFD.
		{"invalid utf-8", "{\"type\":\"assistant\",\"sessionId\":\"a\xffb\"," + fmt.Sprintf(msg, `{"output_tokens":1}`) + "}",
			"rec a\uFFFDb 0 1"},
		// Anything RFC 8259 does not allow is malformed, with the standard library's message.
		{"trailing comma", asst("", `{"output_tokens":1}`) + `,}`,
			"note invalid malformed json | invalid character ',' after top-level value"},
		{"leading zero", asst("", `{"output_tokens":01}`),
			"note invalid malformed json | invalid character '1' after object key:value pair"},
		{"text after the object", asst("", `{"output_tokens":1}`) + ` x`,
			"note invalid malformed json | invalid character 'x' after top-level value"},
		{"unknown escape", `{"type":"assistant","sessionId":"a\x"}`,
			"note invalid malformed json | invalid character 'x' in string escape code"},
		{"not an object", `["type"]`, "note invalid not a json object | "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := decode(t, "x.jsonl", []byte(tc.line))
			checkAccounting(t, c, 1)
			var got []string
			for _, r := range c.Recs {
				got = append(got, fmt.Sprintf("rec %s %d %d", r.SessionID, r.InputTokens, r.OutputTokens))
			}
			for _, n := range c.Notes {
				got = append(got, fmt.Sprintf("note %s %s | %s", noteKind(n.Kind), n.Reason, n.Detail))
			}
			if g := strings.Join(got, "; "); g != tc.want {
				t.Errorf("got  %s\nwant %s", g, tc.want)
			}
		})
	}
}

func noteKind(k ingest.NoteKind) string {
	switch k {
	case ingest.NoteInvalid:
		return "invalid"
	case ingest.NoteSkipped:
		return "skipped"
	case ingest.NoteDuplicate:
		return "duplicate"
	case ingest.NoteBlank:
		return "blank"
	}
	return "?"
}

// TestOddContent pins the content blocks' odd cases: one bad block does
// not hide the others; a tool_result whose text blocks hold a wrong type
// has no text, so its raw content is hashed.
func TestOddContent(t *testing.T) {
	lines := strings.Join([]string{
		// Block t1 has a numeric name (dropped); t2 is read.
		`{"type":"assistant","sessionId":"a","timestamp":"2026-01-01T00:00:00Z","message":{"id":"m","model":"claude-x","content":[{"type":"tool_use","id":"t1","name":5},"junk",{"type":"tool_use","id":"t2","name":"Bash","input":{"command":"ls"}}],"usage":{"output_tokens":1}}}`,
		// t2's result: the second text block's text is a number, so there
		// is no text and the raw content (57 bytes as written) is the result.
		`{"type":"user","sessionId":"a","timestamp":"2026-01-01T00:00:02Z","message":{"content":[{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"x"},{"type":"text","text":5}],"is_error":true}]}}`,
		// is_error as a string drops that block; the other result stays.
		`{"type":"user","sessionId":"a","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"ok","is_error":"yes"},{"type":"tool_result","tool_use_id":"t9","content":"fine"}]}}`,
	}, "\n")
	c := decode(t, "x.jsonl", []byte(lines))
	checkAccounting(t, c, 3)
	if len(c.Recs) != 3 {
		t.Fatalf("records = %d, want 3 (llm, t2 result, t9 result)", len(c.Recs))
	}
	r := c.Recs[1]
	raw := `[{"type":"text","text":"x"},{"type":"text","text":5}]`
	if r.ID != "t2" || r.Tool != "Bash" || r.ToolResultBytes != int64(len(raw)) || r.Status != ingest.StatusError || r.Error != "" {
		t.Errorf("t2 result = id %q tool %q bytes %d status %v error %q; want t2 Bash %d error \"\"", r.ID, r.Tool, r.ToolResultBytes, r.Status, r.Error, len(raw))
	}
	// The tool_use at 0 s and its result at 2 s: 2,000 ms.
	if r.DurationMS != 2000 || r.ToolArgsLabel != "ls" {
		t.Errorf("t2 duration %v label %q, want 2000 and ls", r.DurationMS, r.ToolArgsLabel)
	}
	if r := c.Recs[2]; r.ID != "t9" || r.Sub != 0 || r.ToolResultBytes != 4 {
		t.Errorf("third record = %q sub %d bytes %d, want t9 0 4 (\"fine\")", r.ID, r.Sub, r.ToolResultBytes)
	}
}

// FuzzDecode: any input keeps the accounting (each line a record or one
// note), and every record the canonical token invariants.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"short.jsonl", "tool_heavy.jsonl"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data[:min(len(data), 8192)])
		}
	}
	f.Add([]byte(`{"type":"assistant","sessionId":"a","message":{"id":"m","model":"x","content":[null,{"type":"tool_use","id":"t","input":null}],"usage":{"input_tokens":1,"cache_creation":null}}}` + "\n" +
		`{"type":"user","sessionId":"a","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":null,"is_error":true}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := decode(t, "x.jsonl", data)
		for _, r := range c.Recs {
			if ferr := ingest.Validate(&r); ferr != nil {
				t.Fatalf("invalid record %+v: %v", r, ferr)
			}
		}
		ingesttest.CheckAccounting(t, c, c.Units)
	})
}

// TestUnknownUsageKeys: a key inside usage that the reader does not read
// but that names tokens, or is a known key in other case, is named in
// Record.UnknownUsage (sorted, each once) so the report counts it; other
// keys are not (docs/formats/claude-code.md, "Odd JSON"). Each want is
// the rule applied by hand to the usage written beside it.
func TestUnknownUsageKeys(t *testing.T) {
	const line = `{"type":"assistant","sessionId":"a","requestId":"%s","message":{"id":"%s","model":"claude-x","usage":%s}}`
	for _, tc := range []struct{ name, usage, want string }{
		{"known keys only", `{"input_tokens":1,"cache_creation_input_tokens":2,"cache_read_input_tokens":3,"output_tokens":4,"cache_creation":{"ephemeral_5m_input_tokens":2,"ephemeral_1h_input_tokens":0},"service_tier":"standard","server_tool_use":{"web_search_requests":0,"web_fetch_requests":0}}`, ""},
		{"not a count: ignored", `{"output_tokens":1,"iterations":[]}`, ""},
		{"mis-cased count", `{"Input_Tokens":9,"output_tokens":1}`, "Input_Tokens"},
		{"unknown count", `{"output_tokens":1,"cache_creation_tokens":3}`, "cache_creation_tokens"},
		{"camel case count", `{"output_tokens":1,"inputTokens":3}`, "inputTokens"},
		{"mis-cased setting", `{"output_tokens":1,"Speed":"fast"}`, "Speed"},
		{"nested unknown count", `{"output_tokens":1,"cache_creation":{"ephemeral_2h_input_tokens":2}}`, "cache_creation.ephemeral_2h_input_tokens"},
		{"nested mis-cased key", `{"output_tokens":1,"server_tool_use":{"Web_Search_Requests":2}}`, "server_tool_use.Web_Search_Requests"},
		// Every server_tool_use key counts billable tool calls: one the
		// reader does not know is named even without "token" in it.
		{"unknown server tool", `{"output_tokens":1,"server_tool_use":{"web_search_requests":1,"code_execution_requests":2}}`, "server_tool_use.code_execution_requests"},
		{"sorted, each once", `{"output_tokens":1,"z_tokens":1,"Output_Tokens":1,"z_tokens":2}`, "Output_Tokens,z_tokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := decode(t, "x.jsonl", []byte(fmt.Sprintf(line, "r", "m", tc.usage)))
			if len(c.Recs) != 1 {
				t.Fatalf("records = %d, notes %+v", len(c.Recs), c.Notes)
			}
			if got := c.Recs[0].UnknownUsage; got != tc.want {
				t.Errorf("UnknownUsage = %q, want %q", got, tc.want)
			}
		})
	}
	// Two streamed copies of one response (same message.id and requestId):
	// one record, which names the unknown keys of both copies.
	data := fmt.Sprintf(line, "r", "m", `{"output_tokens":1,"Input_Tokens":5}`) + "\n" +
		fmt.Sprintf(line, "r", "m", `{"output_tokens":9,"cache_creation_tokens":5}`)
	c := decode(t, "x.jsonl", []byte(data))
	if len(c.Recs) != 1 || c.Recs[0].UnknownUsage != "Input_Tokens,cache_creation_tokens" {
		t.Errorf("copies: %d records, UnknownUsage %q; want 1 and Input_Tokens,cache_creation_tokens", len(c.Recs), c.Recs[0].UnknownUsage)
	}
}
