package gemini

import (
	"bufio"
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// units renders what the reader made of each unit: its records (kind,
// model, input/output tokens, status, error) or its one note.
func units(c *collect) []string {
	return ingesttest.Units(c, func(r *ingest.Record) string {
		return fmt.Sprintf("%s %q in=%d out=%d st=%d err=%q sess=%s", r.Kind, r.Model+r.Tool, r.InputTokens, r.OutputTokens, r.Status, r.Error, r.SessionID)
	})
}

// TestOddJSON pins how odd JSON in a message is read. Written against the
// encoding/json reader before the move to fastjson; each expected value
// is encoding/json's rule for a struct field (stated beside it), and the
// rows that changed on purpose with the move say so (docs/formats/gemini-cli.md,
// "Odd JSON").
func TestOddJSON(t *testing.T) {
	const g = `"type":"gemini",`
	tests := []struct{ name, msg, want string }{
		// The last of two equal keys wins.
		{"duplicate key", `{` + g + `"model":"m1","model":"m2","tokens":{"input":5}}`, `llm "m2" in=5 out=0 st=0 err="" sess=s`},
		// A missing key and null are the zero value.
		{"null tokens", `{` + g + `"tokens":null,"toolCalls":null}`, `skipped gemini without tokens: `},
		{"null type", `{"type":null,"tokens":{"input":1}}`, `skipped untyped message: `},
		{"null count", `{` + g + `"tokens":{"input":null,"output":3}}`, `llm "" in=0 out=3 st=0 err="" sess=s`},
		// A value of another type invalidates the message, naming the first such field.
		{"string count", `{` + g + `"tokens":{"input":"5"}}`, `invalid wrong field type: tokens.input: string`},
		{"fraction", `{` + g + `"tokens":{"input":5.0}}`, `invalid wrong field type: tokens.input: number 5.0`},
		{"exponent", `{` + g + `"tokens":{"output":1e3}}`, `invalid wrong field type: tokens.output: number 1e3`},
		{"huge", `{` + g + `"tokens":{"input":99999999999999999999}}`, `invalid wrong field type: tokens.input: number 99999999999999999999`},
		{"beyond float", `{` + g + `"tokens":{"input":1e999}}`, `invalid wrong field type: tokens.input: number 1e999`},
		{"first of two", `{"model":5,` + g + `"tokens":{"input":"x"}}`, `invalid wrong field type: model: number`},
		{"tokens array", `{` + g + `"tokens":[1]}`, `invalid wrong field type: tokens: array`},
		{"toolCalls object", `{` + g + `"toolCalls":{}}`, `invalid wrong field type: toolCalls: object`},
		{"tool status number", `{` + g + `"toolCalls":[{"name":"t","status":5}]}`, `invalid wrong field type: toolCalls.status: number`},
		{"tool not object", `{` + g + `"toolCalls":[5]}`, `invalid wrong field type: toolCalls: number`},
		{"message not object", `5`, `invalid wrong field type: : number`},
		{"message string", `"x"`, `invalid wrong field type: : string`},
		{"message null", `null`, `skipped untyped message: `},
		// A wrong type in a field read as raw JSON (result) costs the error text only.
		{"result odd", `{` + g + `"toolCalls":[{"name":"t","status":"error","result":[{"functionResponse":{"response":"x"}},{"functionResponse":{"response":{"error":"e2"}}}],"resultDisplay":"disp"}]}`,
			`tool "t" in=0 out=0 st=1 err="disp" sess=s`},
		{"result error number", `{` + g + `"toolCalls":[{"name":"t","status":"error","result":[{"functionResponse":{"response":{"error":5,"output":"boom"}}}]}]}`,
			`tool "t" in=0 out=0 st=1 err="boom" sess=s`},
		// Found by FuzzGemini: a failed call with neither result nor display.
		{"no result", `{` + g + `"toolCalls":[{"name":"t","status":"error"}]}`, `tool "t" in=0 out=0 st=1 err="" sess=s`},
		{"display number", `{` + g + `"toolCalls":[{"name":"t","status":"error","resultDisplay":5}]}`, `tool "t" in=0 out=0 st=1 err="" sess=s`},
		// An escaped key is its unescaped text.
		{"escaped key", `{"typ\u0065":"gemini","tokens":{"input":2}}`, `llm "" in=2 out=0 st=0 err="" sess=s`},
		// Invalid UTF-8 becomes U+FFFD.
		{"bad utf8", `{` + g + `"model":"a` + "\xff" + `b","tokens":{"input":1}}`, `llm "a` + "\ufffd" + `b" in=1 out=0 st=0 err="" sess=s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"sessionId":"s","messages":[` + tt.msg + `,{"type":"user"}]}`
			c := decode(t, "x.json", []byte(doc))
			got := units(c)
			if len(got) != 2 || got[0] != tt.want || got[1] != "skipped user: " {
				t.Errorf("got %q, want [%q, skipped user]", got, tt.want)
			}
			checkAccounting(t, c, 2)
		})
	}
}

// TestOddJSONChanged pins the rows the move to fastjson changed on
// purpose: keys match exactly, a repeated object replaces the earlier
// one instead of merging into it, and a lone surrogate escape stays text.
func TestOddJSONChanged(t *testing.T) {
	const g = `"type":"gemini",`
	tests := []struct{ name, msg, want string }{
		// encoding/json matched keys case-insensitively ("TYPE" was "type":
		// an llm record, in=3); now "TYPE" is another key and the type is missing.
		{"mis-cased key", `{"TYPE":"gemini","Tokens":{"Input":3}}`, `skipped untyped message: `},
		// encoding/json decoded a repeated object into the one it had (input 7
		// and output 2); now the last object is the value, as JSON.parse reads it.
		{"repeated object", `{` + g + `"tokens":{"input":5,"output":2},"tokens":{"input":7}}`, `llm "" in=7 out=0 st=0 err="" sess=s`},
		// encoding/json turned a lone surrogate into U+FFFD; now it stays its
		// six characters, as in the canonical reader.
		{"lone surrogate", `{` + g + `"model":"\ud800","tokens":{"input":1}}`, `llm "\\ud800" in=1 out=0 st=0 err="" sess=s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := decode(t, "x.json", []byte(`{"sessionId":"s","messages":[`+tt.msg+`]}`))
			if got := units(c); len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOddDocument pins the document level: the session id, repeated
// arrays, and how a break is worded (the Decoder's texts).
func TestOddDocument(t *testing.T) {
	msg := `{"type":"gemini","tokens":{"input":1}}`
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"sessionId number", `{"sessionId":5,"messages":[` + msg + `]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`}},
		{"sessionId null", `{"sessionId":null,"messages":[` + msg + `]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`}},
		{"two arrays", `{"messages":[` + msg + `],"sessionId":"s","messages":[` + msg + `]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=s`, `llm "" in=1 out=0 st=0 err="" sess=s`}},
		{"bad element", `{"messages":[` + msg + `,{"type":"gemini",}]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`, `invalid malformed json: invalid character '}' looking for beginning of object key string`}},
		{"missing comma", `{"messages":[` + msg + ` ` + msg + `]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`, `invalid malformed json: expected comma after array element`}},
		{"truncated", `{"messages":[` + msg + `,{"type"`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`, `invalid malformed json: unexpected EOF`}},
		{"unclosed", `{"messages":[` + msg, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`, `invalid malformed json: EOF`}},
		{"BOM", "\ufeff" + `{"messages":[]}`, []string{`invalid malformed json: invalid character 'ï' looking for beginning of value`}},
		{"array doc", `[1]`, []string{`invalid not a session object: expected a JSON object with a messages array`}},
		// encoding/json's Token failed on a number beyond float64 and the
		// read stopped with an error; now it is a number, not an array.
		{"messages huge number", `{"messages":1e999}`, []string{`invalid not a session object: expected a JSON object with a messages array`}},
		// A message longer than --max-line-bytes (here 1 KiB) ends the document.
		{"too long", `{"messages":[` + msg + `,"` + strings.Repeat("x", 2000) + `"]}`, []string{`llm "" in=1 out=0 st=0 err="" sess=x.json`, `invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &collect{}
			src := &ingest.Source{Name: "x.json", R: bufio.NewReader(strings.NewReader(tt.doc)), MaxLineBytes: 1 << 10}
			err := (Format{}).Decode(src, func() ingest.Sink { return s })
			got := units(s)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestUnknownTokenKeys: keys of the tokens object the reader does not read
// are named in Record.UnknownUsage and their counts are not read. By hand:
// input 10 + tool 0 = 10 in; output 2 + thoughts 0 = 2 out; "Input" (a
// mis-cased input) and "cachedTokens" (no such key) are named, sorted as
// bytes ('I' before 'c'); a repeated "Input" is named once.
func TestUnknownTokenKeys(t *testing.T) {
	msg := `{"type":"gemini","tokens":{"input":10,"Input":5,"output":2,"cachedTokens":4,"Input":5}}`
	c := decode(t, "x.json", []byte(`{"sessionId":"s","messages":[`+msg+`,{"type":"gemini","tokens":{"input":1}}]}`))
	if len(c.Recs) != 2 {
		t.Fatalf("%d records", len(c.Recs))
	}
	if r := c.Recs[0]; r.InputTokens != 10 || r.OutputTokens != 2 || r.UnknownUsage != "tokens.Input,tokens.cachedTokens" {
		t.Errorf("in %d out %d unknown %q", r.InputTokens, r.OutputTokens, r.UnknownUsage)
	}
	// A message with only known keys names none.
	if r := c.Recs[1]; r.UnknownUsage != "" {
		t.Errorf("unknown %q", r.UnknownUsage)
	}
}
