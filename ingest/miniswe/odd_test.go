package miniswe

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
		return fmt.Sprintf("%s %q id=%s in=%d out=%d cost=%v st=%d err=%q exit=%q inst=%q", r.Kind, r.Model+r.Tool, r.ID, r.InputTokens, r.OutputTokens, r.CostUSD, r.Status, r.Error, r.Attrs["exit_status"], r.Attrs["instance"])
	})
}

// TestOddJSON pins how odd JSON in a message is read. Written against the
// encoding/json reader before the move to fastjson: each expected value is
// encoding/json's rule for the message, extra and response structs, with
// its error text (Go struct field <struct>.<path> of type <type>), stated
// beside it. Usage is LiteLLM's: prompt_tokens 10, completion_tokens 2.
func TestOddJSON(t *testing.T) {
	const usage = `"usage":{"prompt_tokens":10,"completion_tokens":2}`
	resp := func(s string) string { return `{"role":"assistant","extra":{"response":{"id":"r",` + usage + s + `}}}` }
	rec := `llm "" id=r in=10 out=2 cost=0 st=0 err="" exit="" inst=""`
	tests := []struct{ name, msg, want string }{
		// The last of two equal keys wins.
		{"duplicate key", `{"role":"user","role":"assistant","extra":{"response":{"id":"r",` + usage + `}}}`, rec},
		{"duplicate model", resp(`,"model":"a","model":"b"`), `llm "b" id=r in=10 out=2 cost=0 st=0 err="" exit="" inst=""`},
		// null is missing.
		{"null extra", `{"role":"assistant","extra":null}`, `skipped assistant: `},
		{"null response", `{"role":"assistant","extra":{"response":null}}`, `skipped assistant: `},
		{"null role", `{"role":null}`, `skipped unknown role: `},
		{"null message", `null`, `invalid not a message object: `},
		{"null cost", `{"role":"assistant","extra":{"cost":null,"response":{"id":"r",` + usage + `}}}`, rec},
		// Not an object.
		{"message number", `5`, `invalid not a message object: `},
		{"response array", `{"role":"assistant","extra":{"response":[1]}}`, `skipped assistant: `},
		// A wrong type, worded by encoding/json.
		{"role number", `{"role":5}`, `invalid wrong field type: json: cannot unmarshal number into Go struct field message.role of type string`},
		{"tool_call_id bool", `{"role":"tool","tool_call_id":true}`, `invalid wrong field type: json: cannot unmarshal bool into Go struct field message.tool_call_id of type string`},
		{"extra string", `{"role":"assistant","extra":"x"}`, `invalid bad extra: json: cannot unmarshal string into Go value of type miniswe.extra`},
		{"cost string", `{"role":"assistant","extra":{"cost":"1"}}`, `invalid bad extra: json: cannot unmarshal string into Go struct field extra.cost of type float64`},
		{"cost beyond float", `{"role":"assistant","extra":{"cost":1e999}}`, `invalid bad extra: json: cannot unmarshal number 1e999 into Go struct field extra.cost of type float64`},
		{"timestamp string", `{"role":"assistant","extra":{"timestamp":"1"}}`, `invalid bad extra: json: cannot unmarshal string into Go struct field extra.timestamp of type float64`},
		{"returncode fraction", `{"role":"tool","extra":{"returncode":1.5}}`, `invalid bad extra: json: cannot unmarshal number 1.5 into Go struct field extra.returncode of type int64`},
		{"returncode huge", `{"role":"tool","extra":{"returncode":99999999999999999999}}`, `invalid bad extra: json: cannot unmarshal number 99999999999999999999 into Go struct field extra.returncode of type int64`},
		{"exception number", `{"role":"tool","extra":{"exception_info":1}}`, `invalid bad extra: json: cannot unmarshal number into Go struct field extra.exception_info of type string`},
		{"raw_output number", `{"role":"tool","extra":{"raw_output":1}}`, `invalid bad extra: json: cannot unmarshal number into Go struct field extra.raw_output of type string`},
		{"actions object", `{"role":"assistant","extra":{"actions":{}}}`, `invalid bad extra: json: cannot unmarshal object into Go struct field extra.actions of type []miniswe.action`},
		{"action number", `{"role":"assistant","extra":{"actions":[1]}}`, `invalid bad extra: json: cannot unmarshal number into Go struct field extra.actions of type miniswe.action`},
		{"command number", `{"role":"assistant","extra":{"actions":[{"command":1}]}}`, `invalid bad extra: json: cannot unmarshal number into Go struct field action.actions.command of type string`},
		{"first of two", `{"role":"assistant","extra":{"cost":"1","timestamp":"2"}}`, `invalid bad extra: json: cannot unmarshal string into Go struct field extra.cost of type float64`},
		{"response id number", resp(`,"id":5`), `invalid bad extra.response: json: cannot unmarshal number into Go struct field response.id of type string`},
		{"response model array", resp(`,"model":[]`), `invalid bad extra.response: json: cannot unmarshal array into Go struct field response.model of type string`},
		// The usage object is LiteLLM's (ingest/internal/litellm).
		{"usage string count", `{"role":"assistant","extra":{"response":{"id":"r","usage":{"prompt_tokens":"10","completion_tokens":2}}}}`, `invalid bad extra.response.usage: usage.prompt_tokens: not a token count (string)`},
		{"usage null", `{"role":"assistant","extra":{"response":{"id":"r","usage":null}}}`, `invalid bad extra.response.usage: usage without prompt_tokens or completion_tokens`},
		// Values the reader reads: an action, a failed output.
		{"action", `{"role":"assistant","extra":{"actions":[{"command":"ls","tool_call_id":null}]}}`, `tool "bash" id= in=0 out=0 cost=0 st=0 err="" exit="" inst=""`},
		{"escaped key", `{"rol\u0065":"assistant","extra":{"response":{"id":"r",` + usage + `}}}`, rec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := `{"info":{"exit_status":"Submitted"},"messages":[` + tt.msg + `,{"role":"system"}]}`
			s := ingesttest.Decode(t, Format{}, "x.traj.json", []byte(doc))
			got := oddUnits(s)
			want := tt.want
			if len(s.Recs) > 0 {
				want = want[:len(want)-len(`exit="" inst=""`)] + `exit="Submitted" inst=""`
			}
			if len(got) != 2 || got[0] != want || got[1] != "skipped system: " {
				t.Errorf("got %q, want [%q, skipped system]", got, want)
			}
			ingesttest.CheckAccounting(t, s, 2)
		})
	}
}

// TestOddDocument pins the document level: info and instance_id (odd
// values cost the attributes, not the calls) and how a break is worded.
func TestOddDocument(t *testing.T) {
	msg := `{"role":"assistant","extra":{"response":{"id":"r","usage":{"prompt_tokens":10,"completion_tokens":2}}}}`
	rec := func(exit, inst, model string) string {
		return fmt.Sprintf(`llm %q id=r in=10 out=2 cost=0 st=0 err="" exit=%q inst=%q`, model, exit, inst)
	}
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"info wrong type", `{"info":{"exit_status":5,"mini_version":"2"},"messages":[` + msg + `]}`, []string{rec("", "", "")}},
		// encoding/json fills what it can: the model name beside a wrong type.
		{"info partial", `{"info":{"exit_status":5,"config":{"model":{"model_name":"m"}}},"messages":[` + msg + `]}`, []string{rec("", "", "m")}},
		// A repeated info is decoded into the one before: both fields stay.
		{"info twice", `{"info":{"exit_status":"a"},"info":{"config":{"model":{"model_name":"m"}}},"messages":[` + msg + `]}`, []string{rec("a", "", "m")}},
		{"info null field", `{"info":{"exit_status":"a"},"info":{"exit_status":null},"messages":[` + msg + `]}`, []string{rec("a", "", "")}},
		{"info array", `{"info":[1],"messages":[` + msg + `]}`, []string{rec("", "", "")}},
		{"instance number", `{"instance_id":5,"messages":[` + msg + `]}`, []string{rec("", "", "")}},
		{"instance", `{"instance_id":"i","messages":[` + msg + `],"instance_id":null}`, []string{rec("", "i", "")}},
		{"messages null", `{"messages":null}`, nil},
		{"messages number", `{"messages":5}`, []string{`invalid not a trajectory object: expected a JSON object with a messages array`}},
		{"array", `[1]`, []string{`invalid not a trajectory object: expected a JSON object with a messages array`}},
		{"trailing", `{"messages":[` + msg + `]} 1`, []string{rec("", "", ""), `invalid not a trajectory object: expected a JSON object with a messages array`}},
		{"bad element", `{"messages":[` + msg + `,{"role":}]}`, []string{rec("", "", ""), `invalid malformed json: invalid character '}' looking for beginning of value`}},
		{"truncated", `{"messages":[` + msg + `,{"role"`, []string{rec("", "", ""), `invalid malformed json: unexpected EOF`}},
		{"unclosed", `{"messages":[` + msg, []string{rec("", "", ""), `invalid malformed json: EOF`}},
		{"BOM", "\ufeff{}", []string{`invalid malformed json: invalid character 'ï' looking for beginning of value`}},
		// Changed: encoding/json's Token failed on a number beyond float64
		// (malformed json, "cannot unmarshal number 1e999 into Go value of
		// type float64"); now it is a number, not a messages array.
		{"messages huge", `{"messages":1e999}`, []string{`invalid not a trajectory object: expected a JSON object with a messages array`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(ingesttest.Decode(t, Format{}, "x.traj.json", []byte(tt.doc)))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestOddJSONChanged pins the rows the move to fastjson changes on purpose.
func TestOddJSONChanged(t *testing.T) {
	usage := `"usage":{"prompt_tokens":10,"completion_tokens":2}`
	tests := []struct{ name, msg, want string }{
		// encoding/json matched keys case-insensitively: "Role" was role (a
		// skipped "user" message); now the role is missing.
		{"mis-cased key", `{"Role":"user"}`, `skipped unknown role: `},
		// Likewise "Extra" was extra (a call); now there is no extra.
		{"mis-cased extra", `{"role":"assistant","Extra":{"response":{"id":"r",` + usage + `}}}`, `skipped assistant: `},
		// encoding/json turned a lone surrogate into U+FFFD; now it stays text.
		{"lone surrogate", `{"role":"assistant","extra":{"response":{"id":"r","model":"\ud800",` + usage + `}}}`, `llm "\\ud800" id=r in=10 out=2 cost=0 st=0 err="" exit="" inst=""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(ingesttest.Decode(t, Format{}, "x.traj.json", []byte(`{"messages":[`+tt.msg+`]}`)))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// A message longer than --max-line-bytes (here 1 KiB, the least) ends
	// the document as one invalid unit; encoding/json held any size.
	doc := `{"messages":[{"role":"user"},{"role":"user","content":"` + strings.Repeat("x", 2000) + `"}]}`
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.traj.json", R: bufio.NewReader(strings.NewReader(doc)), MaxLineBytes: 1 << 10}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	if got, want := oddUnits(s), []string{"skipped user: ", `invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("too long: got %q, want %q", got, want)
	}
}

// TestUnknownTokenKeys: extra.response.usage is LiteLLM's, read by the
// shared rules (docs/usage.md), which name the token keys they do not read.
// By hand: 10 in, 2 out; "Prompt_Tokens" (mis-cased) and
// "prompt_tokens_details.cachedTokens" (no such key) are named, sorted as
// bytes ('P' before 'p').
func TestUnknownTokenKeys(t *testing.T) {
	doc := `{"messages":[{"role":"assistant","extra":{"response":{"id":"r","usage":` +
		`{"prompt_tokens":10,"completion_tokens":2,"Prompt_Tokens":10,"prompt_tokens_details":{"cachedTokens":4}}}}}]}`
	s := ingesttest.Decode(t, Format{}, "x.traj.json", []byte(doc))
	if len(s.Recs) != 1 {
		t.Fatalf("notes %+v", s.Notes)
	}
	if r := s.Recs[0]; r.InputTokens != 10 || r.OutputTokens != 2 || r.UnknownUsage != "Prompt_Tokens,prompt_tokens_details.cachedTokens" {
		t.Errorf("in %d out %d unknown %q", r.InputTokens, r.OutputTokens, r.UnknownUsage)
	}
}
