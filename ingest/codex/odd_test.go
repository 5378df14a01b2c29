package codex

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestOddInputs pins what the reader makes of JSON that Codex (serde) does
// not write but a damaged or hand-edited rollout may hold, so that the
// JSON decoder under the reader can change without changing it. Each
// expectation is the rule beside it (docs/formats/codex.md, "Odd JSON").
// Every case is a session_meta line, a turn_context line and one more line,
// so each has 3 units; want lists what the third line became (and the
// session, model and role of a record).
func TestOddInputs(t *testing.T) {
	const meta = `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1","model_provider":"openai"}}` + "\n" +
		`{"timestamp":"2026-01-01T00:00:00Z","type":"turn_context","payload":{"model":"gpt-5"}}` + "\n"
	tc := func(info string) string {
		return `{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"token_count","info":` + info + `}}`
	}
	for _, c := range []struct {
		name, third, want string
	}{
		// last_token_usage is the call's usage: in 10, out 2.
		{"plain", tc(`{"last_token_usage":{"input_tokens":10,"output_tokens":2}}`), "rec s1 gpt-5 main 10 2"},
		// Duplicate keys: the last counts.
		{"duplicate keys", tc(`{"last_token_usage":{"input_tokens":10,"input_tokens":12,"output_tokens":2}}`), "rec s1 gpt-5 main 12 2"},
		// Keys match exactly: "Input_Tokens" is another key, so input is 0.
		{"case-folded key", tc(`{"last_token_usage":{"Input_Tokens":10,"output_tokens":2}}`), "rec s1 gpt-5 main 0 2"},
		{"case-folded payload key", `{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"TYPE":"token_count"}}`, "note skipped event_msg | "},
		// Counts are JSON integers that fit in int64; anything else is a wrong type.
		{"count as string", tc(`{"last_token_usage":{"input_tokens":"10"}}`), "note invalid wrong field type | info.last_token_usage.input_tokens: string"},
		{"count 1.5", tc(`{"last_token_usage":{"input_tokens":1.5}}`), "note invalid wrong field type | info.last_token_usage.input_tokens: number 1.5"},
		{"count over int64", tc(`{"total_token_usage":{"input_tokens":9223372036854775808}}`), "note invalid wrong field type | info.total_token_usage.input_tokens: number 9223372036854775808"},
		// null is missing: no info is a rate-limit update; null usage falls back.
		{"info null", tc(`null`), "note skipped token_count without info | "},
		{"usage null", tc(`{"last_token_usage":null,"total_token_usage":null}`), "note invalid token_count without usage | "},
		// A wrong type in a field the line's kind does not use still invalidates it.
		{"unused field of the wrong type", tc(`{"last_token_usage":{"input_tokens":1}}`)[:len(tc(`{"last_token_usage":{"input_tokens":1}}`))-2] + `,"exit_code":"x"}}`, "note invalid wrong field type | exit_code: string"},
		{"payload type as number", `{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":5}}`, "note invalid wrong field type | type: number"},
		{"payload as string", `{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":"x"}`, "note invalid wrong field type | : string"},
		{"line type as number", `{"timestamp":"2026-01-01T00:00:01Z","type":5}`, "note invalid wrong field type | type: number"},
		// A kind the reader uses needs a payload; null is an empty one.
		{"missing payload", `{"timestamp":"2026-01-01T00:00:01Z","type":"turn_context"}`, "note invalid malformed json | unexpected end of JSON input"},
		{"null payload", `{"timestamp":"2026-01-01T00:00:01Z","type":"turn_context","payload":null}`, "note skipped turn_context | "},
		{"skipped kind without payload", `{"timestamp":"2026-01-01T00:00:01Z","type":"compacted"}`, "note skipped compacted | "},
		// Not RFC 8259: malformed, with the standard library's message.
		{"leading zero", tc(`{"last_token_usage":{"input_tokens":010}}`), "note invalid malformed json | invalid character '1' after object key:value pair"},
		{"trailing comma", tc(`null`) + `,`, "note invalid malformed json | invalid character ',' after top-level value"},
		{"not an object", `[]`, "note invalid not a json object | "},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := decode(t, "f.jsonl", []byte(meta+c.third))
			checkAccounting(t, s, 3)
			var got []string
			for _, r := range s.Recs {
				got = append(got, fmt.Sprintf("rec %s %s %s %d %d", r.SessionID, r.Model, r.Role, r.InputTokens, r.OutputTokens))
			}
			for _, n := range s.Notes {
				if n.Line == 3 {
					got = append(got, fmt.Sprintf("note %s %s | %s", kindName(n.Kind), n.Reason, n.Detail))
				}
			}
			if g := strings.Join(got, "; "); g != c.want {
				t.Errorf("got  %s\nwant %s", g, c.want)
			}
		})
	}
}

func kindName(k ingest.NoteKind) string {
	return map[ingest.NoteKind]string{ingest.NoteInvalid: "invalid", ingest.NoteSkipped: "skipped", ingest.NoteDuplicate: "duplicate", ingest.NoteBlank: "blank"}[k]
}

// TestOddMeta pins session_meta and the tool lines' odd cases.
func TestOddMeta(t *testing.T) {
	for _, c := range []struct {
		name, meta, want string
	}{
		// source {"subagent": …} makes a sub-agent, whatever the value, null too.
		{"subagent null", `{"id":"s1","source":{"subagent":null}}`, "s1 subagent"},
		{"source string", `{"id":"s1","source":"cli"}`, "s1 main"},
		{"source with another key", `{"id":"s1","source":{"Subagent":1}}`, "s1 main"},
		// A meta with a wrong type is invalid; the session then comes from the file name.
		{"id as number", `{"id":1}`, "f.jsonl main"},
		{"git.branch as number", `{"id":"s1","git":{"branch":1}}`, "f.jsonl main"},
		// Invalid UTF-8: each bad byte becomes U+FFFD.
		{"invalid utf-8", "{\"id\":\"s\xff1\"}", "s\uFFFD1 main"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":` + c.meta + "}\n" +
				`{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"token_count","info":{"last_token_usage":{"input_tokens":1}}}}`
			s := decode(t, "f.jsonl", []byte(in))
			checkAccounting(t, s, 2)
			if len(s.Recs) != 1 {
				t.Fatalf("records %d, want 1", len(s.Recs))
			}
			if g := s.Recs[0].SessionID + " " + s.Recs[0].Role; g != c.want {
				t.Errorf("got %s, want %s", g, c.want)
			}
		})
	}
	// exec_command_end: exit_code 1.0 is a wrong type (the line is invalid,
	// the call stays ok); duration {secs 1.5, nanos 2e6} is 1,500 + 2 ms;
	// a duration of another shape is unknown (0).
	in := strings.Join([]string{
		`{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{\"cmd\":\"ls\"}","call_id":"c1"}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{}","call_id":"c2"}}`,
		`{"timestamp":"2026-01-01T00:00:00Z","type":"response_item","payload":{"type":"function_call","name":"shell","arguments":"{}","call_id":"c3"}}`,
		`{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c1","exit_code":1.0,"duration":{"secs":9}}}`,
		`{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c2","exit_code":2,"stderr":"boom","duration":{"secs":1.5,"nanos":2e6}}}`,
		`{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"exec_command_end","call_id":"c3","exit_code":null,"duration":{"secs":"1"}}}`,
	}, "\n")
	s := decode(t, "f.jsonl", []byte(in))
	checkAccounting(t, s, 6)
	if len(s.Recs) != 3 {
		t.Fatalf("records %d, want 3", len(s.Recs))
	}
	r1, r2, r3 := s.Recs[0], s.Recs[1], s.Recs[2]
	if r1.Status != ingest.StatusOK || r1.DurationMS != 0 || r1.ToolArgsLabel != "ls" {
		t.Errorf("c1: status %v duration %v label %q; want ok 0 ls", r1.Status, r1.DurationMS, r1.ToolArgsLabel)
	}
	if r2.Status != ingest.StatusError || r2.Error != "boom" || r2.DurationMS != 1502 {
		t.Errorf("c2: status %v error %q duration %v; want error boom 1502", r2.Status, r2.Error, r2.DurationMS)
	}
	if r3.Status != ingest.StatusOK || r3.DurationMS != 0 {
		t.Errorf("c3: status %v duration %v; want ok 0", r3.Status, r3.DurationMS)
	}
	if n := s.Notes[0]; n.Line != 4 || n.Reason != "wrong field type" || n.Detail != "exit_code: number 1.0" {
		t.Errorf("line 4 note %+v, want wrong field type exit_code: number 1.0", n)
	}
}

// TestUnknownUsageKeys: a key of total_token_usage or last_token_usage
// that names tokens but is not one the reader reads is named in
// Record.UnknownUsage (sorted, each once) so the report counts it
// (docs/formats/codex.md, "Odd JSON"). Each want is that rule applied by
// hand to the info written beside it.
func TestUnknownUsageKeys(t *testing.T) {
	const meta = `{"timestamp":"2026-01-01T00:00:00Z","type":"session_meta","payload":{"id":"s1","model_provider":"openai"}}` + "\n"
	for _, c := range []struct{ name, info, want string }{
		{"known keys only", `{"last_token_usage":{"input_tokens":10,"cached_input_tokens":2,"output_tokens":3,"reasoning_output_tokens":1,"total_tokens":13},"model_context_window":1000}`, ""},
		{"mis-cased count", `{"last_token_usage":{"Input_Tokens":10,"output_tokens":2}}`, "Input_Tokens"},
		{"unknown count", `{"last_token_usage":{"input_tokens":10,"cache_creation_tokens":4}}`, "cache_creation_tokens"},
		{"not a count: ignored", `{"last_token_usage":{"input_tokens":10,"model":"x"}}`, ""},
		{"in either object, each once", `{"total_token_usage":{"input_tokens":10,"x_tokens":1,"Output_Tokens":1},"last_token_usage":{"input_tokens":10,"x_tokens":1}}`, "Output_Tokens,x_tokens"},
	} {
		t.Run(c.name, func(t *testing.T) {
			line := `{"timestamp":"2026-01-01T00:00:01Z","type":"event_msg","payload":{"type":"token_count","info":` + c.info + `}}`
			s := decode(t, "f.jsonl", []byte(meta+line))
			if len(s.Recs) != 1 {
				t.Fatalf("records = %d, notes %+v", len(s.Recs), s.Notes)
			}
			if got := s.Recs[0].UnknownUsage; got != c.want {
				t.Errorf("UnknownUsage = %q, want %q", got, c.want)
			}
		})
	}
}
