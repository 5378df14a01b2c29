package openhands

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

func oddUnits(s *ingesttest.Sink) []string {
	return ingesttest.Units(s, func(r *ingest.Record) string {
		return fmt.Sprintf("%s %q id=%s seq=%d/%v in=%d out=%d st=%d err=%q args=%q", r.Kind, r.Model+r.Tool, r.ID, r.Seq, r.HasSeq, r.InputTokens, r.OutputTokens, r.Status, r.Error, r.ToolArgsLabel)
	})
}

// TestOddJSON pins how odd JSON in an event is read. Written against the
// encoding/json reader before the move to fastjson: each expected value is
// encoding/json's rule for the event struct (errors named "field.path:
// type", as encoding/json's UnmarshalTypeError gives Field and Value),
// stated beside it. Usage is LiteLLM's: prompt_tokens 10, completion_tokens 2.
func TestOddJSON(t *testing.T) {
	const usage = `"usage":{"prompt_tokens":10,"completion_tokens":2}`
	mr := func(s string) string {
		return `{"action":"message","tool_call_metadata":{"model_response":{"id":"r",` + usage + s + `}}}`
	}
	rec := `llm "" id=r seq=0/false in=10 out=2 st=0 err="" args=""`
	tests := []struct{ name, ev, want string }{
		// The last of two equal keys wins.
		{"duplicate key", `{"action":"x","action":"message","tool_call_metadata":{"model_response":{"id":"r",` + usage + `}}}`, rec},
		{"duplicate model", mr(`,"model":"a","model":"b"`), `llm "b" id=r seq=0/false in=10 out=2 st=0 err="" args=""`},
		// null is missing.
		{"null id", `{"id":null,"action":"message"}`, `skipped action/message: `},
		{"null meta", `{"action":"message","tool_call_metadata":null}`, `skipped action/message: `},
		{"null event", `null`, `invalid not an event object: `},
		{"null metrics", `{"action":"message","llm_metrics":null}`, `skipped action/message: `},
		{"null usages", `{"action":"message","llm_metrics":{"token_usages":null}}`, `skipped action/message: `},
		{"null usage entry", `{"action":"message","llm_metrics":{"token_usages":[null]}}`, `llm "" id=token_usages#0 seq=0/false in=0 out=0 st=0 err="" args=""`},
		// A wrong type invalidates the event, naming the first such field.
		{"id string", `{"id":"1","action":"message"}`, `invalid wrong field type: id: string`},
		{"id fraction", `{"id":1.5,"action":"message"}`, `invalid wrong field type: id: number 1.5`},
		{"id huge", `{"id":99999999999999999999,"action":"message"}`, `invalid wrong field type: id: number 99999999999999999999`},
		{"action number", `{"action":5}`, `invalid wrong field type: action: number`},
		{"meta array", `{"action":"message","tool_call_metadata":[]}`, `invalid wrong field type: tool_call_metadata: array`},
		{"function_name number", `{"action":"run","tool_call_metadata":{"function_name":1}}`, `invalid wrong field type: tool_call_metadata.function_name: number`},
		{"response id number", mr(`,"id":5`), `invalid wrong field type: tool_call_metadata.model_response.id: number`},
		{"choices object", mr(`,"choices":{}`), `invalid wrong field type: tool_call_metadata.model_response.choices: object`},
		{"tool_calls string", mr(`,"choices":[{"message":{"tool_calls":"x"}}]`), `invalid wrong field type: tool_call_metadata.model_response.choices.message.tool_calls: string`},
		{"arguments object", mr(`,"choices":[{"message":{"tool_calls":[{"id":"c","function":{"arguments":{}}}]}}]`), `invalid wrong field type: tool_call_metadata.model_response.choices.message.tool_calls.function.arguments: object`},
		{"prompt string", `{"action":"message","llm_metrics":{"token_usages":[{"prompt_tokens":"1"}]}}`, `invalid wrong field type: llm_metrics.token_usages.prompt_tokens: string`},
		{"prompt exponent", `{"action":"message","llm_metrics":{"token_usages":[{"prompt_tokens":1e3}]}}`, `invalid wrong field type: llm_metrics.token_usages.prompt_tokens: number 1e3`},
		{"usage entry number", `{"action":"message","llm_metrics":{"token_usages":[1]}}`, `invalid wrong field type: llm_metrics.token_usages: number`},
		{"first of two", `{"timestamp":1,"action":2}`, `invalid wrong field type: timestamp: number`},
		// Raw fields take any shape.
		{"extras number", `{"action":"message","extras":5,"content":[1]}`, `skipped action/message: `},
		// The usage object is LiteLLM's: a type error is "usage.<field>: not a token count (<type>)", the field empty at the top.
		{"usage string", `{"action":"message","tool_call_metadata":{"model_response":{"id":"r","usage":"x"}}}`, `invalid bad model_response.usage: usage.: not a token count (string)`},
		// A tool call's arguments, read from the response.
		{"tool", `{"id":3,"action":"run","tool_call_metadata":{"function_name":"execute_bash","tool_call_id":"c","model_response":{"id":"r",` + usage + `,"choices":[null,{"message":{"tool_calls":[{"id":"c","function":{"arguments":"{\"command\":\"ls\"}"}}]}}]}}}`,
			`llm "" id=r seq=3/true in=10 out=2 st=0 err="" args="" | tool "execute_bash" id=c seq=3/true in=0 out=0 st=0 err="" args="ls"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decode(t, "x.json", `[`+tt.ev+`,{"observation":"null"}]`)
			got := oddUnits(s)
			if len(got) != 2 || got[0] != tt.want || got[1] != "skipped observation/null: " {
				t.Errorf("got %q, want [%q, skipped observation/null]", got, tt.want)
			}
			ingesttest.CheckAccounting(t, s, 2)
		})
	}
}

// TestOddOutcome pins how an observation's odd content and extras are
// read: any error in extras means no exit code, content must be a string.
func TestOddOutcome(t *testing.T) {
	act := `{"action":"run","tool_call_metadata":{"function_name":"execute_bash","tool_call_id":"c"}}`
	obs := func(s string) string {
		return `{"observation":"run","tool_call_metadata":{"tool_call_id":"c"}` + s + `}`
	}
	ok := `tool "execute_bash" id=c seq=0/false in=0 out=0 st=0 err="" args=""`
	failed := `tool "execute_bash" id=c seq=0/false in=0 out=0 st=1 err="boom" args=""`
	tests := []struct{ name, obs, want string }{
		{"exit 1", obs(`,"content":"boom","extras":{"metadata":{"exit_code":1}}`), failed},
		{"exit -1", obs(`,"content":"boom","extras":{"metadata":{"exit_code":-1}}`), ok},
		{"exit string", obs(`,"content":"boom","extras":{"metadata":{"exit_code":"1"}}`), ok},
		{"exit fraction", obs(`,"content":"boom","extras":{"metadata":{"exit_code":1.0}}`), ok},
		{"exit null", obs(`,"content":"boom","extras":{"metadata":{"exit_code":null}}`), ok},
		{"metadata array", obs(`,"content":"boom","extras":{"metadata":[1]}`), ok},
		{"duplicate exit", obs(`,"content":"boom","extras":{"metadata":{"exit_code":0,"exit_code":2}}`), failed},
		{"content number", obs(`,"content":5,"extras":{"metadata":{"exit_code":1}}`), `tool "execute_bash" id=c seq=0/false in=0 out=0 st=1 err="run" args=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(decode(t, "x.json", `[`+act+`,`+tt.obs+`]`))
			want := []string{tt.want, "skipped observation joined to its action: "}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

// TestOddDocument pins the document level and how a break is worded.
func TestOddDocument(t *testing.T) {
	ev := `{"action":"message"}`
	skip := `skipped action/message: `
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"object", `{}`, []string{`invalid not an event array: expected a JSON array of events`}},
		{"trailing", `[` + ev + `] 1`, []string{skip, `invalid data after the event array: data after the event array`}},
		{"bad element", `[` + ev + `,{"action":}]`, []string{skip, `invalid malformed json: invalid character '}' looking for beginning of value`}},
		{"truncated", `[` + ev + `,{"action"`, []string{skip, `invalid malformed json: unexpected EOF`}},
		{"unclosed", `[` + ev, []string{skip, `invalid malformed json: EOF`}},
		{"BOM", "\ufeff[]", []string{`invalid malformed json: invalid character 'ï' looking for beginning of value`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(decode(t, "x.json", tt.doc))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestOddJSONChanged pins the rows the move to fastjson changes on purpose.
func TestOddJSONChanged(t *testing.T) {
	tests := []struct{ name, ev, want string }{
		// encoding/json matched keys case-insensitively: "Action" was action
		// (skipped action/message); now the event has neither.
		{"mis-cased key", `{"Action":"message"}`, `invalid neither action nor observation: `},
		// encoding/json decoded a repeated object into the one it had: the
		// function name stayed (a tool record); now the last object is the value.
		{"repeated object", `{"action":"run","tool_call_metadata":{"function_name":"f"},"tool_call_metadata":{"tool_call_id":"c"}}`, `skipped action/run: `},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oddUnits(decode(t, "x.json", `[`+tt.ev+`]`)); len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// An event longer than --max-line-bytes (here 1 KiB, the least) ends the
	// array as one invalid unit; encoding/json held any size.
	doc := `[{"action":"message"},{"action":"message","content":"` + strings.Repeat("x", 2000) + `"}]`
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.json", R: bufio.NewReader(strings.NewReader(doc)), MaxLineBytes: 1 << 10}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	if got, want := oddUnits(s), []string{"skipped action/message: ", `invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("too long: got %q, want %q", got, want)
	}
}

// TestUnknownTokenKeys: usage keys that name tokens but are not read are
// named in Record.UnknownUsage, and their counts are not read. By hand:
// r1's model_response.usage is LiteLLM's (shared rules): 10 in, 2 out,
// "Completion_Tokens" (mis-cased) and "promptTokensCached" named. r2's
// token_usages entry: 7 in, 1 out, no cache read (only "Cache_Read_Tokens",
// mis-cased), "reasoning_tokens" named; per_turn_token (7 + 1) and
// context_window are left. r1's own entry repeats the model_response call.
func TestUnknownTokenKeys(t *testing.T) {
	doc := `[{"action":"message","tool_call_metadata":{"model_response":{"id":"r1","usage":{"prompt_tokens":10,"completion_tokens":2,"Completion_Tokens":3,"promptTokensCached":4}}}},
{"action":"message","llm_metrics":{"token_usages":[{"response_id":"r1","prompt_tokens":10,"completion_tokens":2},
{"response_id":"r2","prompt_tokens":7,"completion_tokens":1,"Cache_Read_Tokens":5,"reasoning_tokens":6,"per_turn_token":8,"context_window":100}]}}]`
	s := decode(t, "u.json", doc)
	want := map[string]string{
		"r1": "in=10 out=2 read=0 unknown=Completion_Tokens,promptTokensCached",
		"r2": "in=7 out=1 read=0 unknown=Cache_Read_Tokens,reasoning_tokens",
	}
	if len(s.Recs) != len(want) {
		t.Fatalf("%d records, notes %+v", len(s.Recs), s.Notes)
	}
	for _, r := range s.Recs {
		if got := fmt.Sprintf("in=%d out=%d read=%d unknown=%s", r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.UnknownUsage); got != want[r.ID] {
			t.Errorf("%s: got %s, want %s", r.ID, got, want[r.ID])
		}
	}
}
