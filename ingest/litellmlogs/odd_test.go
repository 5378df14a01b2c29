package litellmlogs

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
		return fmt.Sprintf("%s %q id=%s in=%d out=%d", r.Kind, r.Model, r.ID, r.InputTokens, r.OutputTokens)
	})
}

// TestOddDocument pins how the array forms (a JSON array of rows, or a
// /spend/logs/v2 page {"data": [rows]}) break, written against the
// json.Decoder walk before the move to jsonscan.Stream: the texts are the
// Decoder's, the units the reader's rule (rows before a break are kept,
// the break is one invalid unit).
func TestOddDocument(t *testing.T) {
	row := `{"request_id":"a","model":"m","prompt_tokens":10,"completion_tokens":2}`
	rec := `llm "m" id=a in=10 out=2`
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"array", `[` + row + `,` + row + `]`, []string{rec, rec}},
		{"page", `{"data":[` + row + `],"total":1}`, []string{rec}},
		{"page data twice", `{"data":[` + row + `],"data":[` + row + `]}`, []string{rec, rec}},
		{"page data not array", `{"data":5}`, []string{`invalid malformed json: data is not an array`}},
		{"page data null", `{"data":null}`, []string{`invalid malformed json: data is not an array`}},
		{"row not object", `[5,` + row + `]`, []string{`invalid not a row object: `, rec}},
		{"row wrong type", `[{"request_id":5}]`, []string{`invalid wrong field type: request_id: number`}},
		{"trailing", `[` + row + `] 1`, []string{rec, `invalid malformed json: data after the document`}},
		{"page trailing", `{"data":[]}{}`, []string{`invalid malformed json: data after the document`}},
		{"bad element", `[` + row + `,{"request_id":}]`, []string{rec, `invalid malformed json: invalid character '}' looking for beginning of value`}},
		{"missing comma", `[` + row + ` ` + row + `]`, []string{rec, `invalid malformed json: expected comma after array element`}},
		{"truncated", `[` + row + `,{"request_id"`, []string{rec, `invalid malformed json: unexpected EOF`}},
		{"unclosed", `[` + row, []string{rec, `invalid malformed json: EOF`}},
		{"page unclosed", `{"data":[` + row + `]`, []string{rec, `invalid malformed json: EOF`}},
		{"page bad key", `{"data":[],1:2}`, []string{`invalid malformed json: invalid character '1' looking for beginning of object key string`}},
		// A number beyond float64 as the page's other value: skipped whole.
		{"page huge number", `{"data":[` + row + `],"total":1e999}`, []string{rec}},
		// A page is recognised by its first key: "total" first is a JSON
		// Lines file of one line, a row without request_id.
		{"page total first", `{"total":1,"data":[` + row + `]}`, []string{`invalid missing request_id: `}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(ingesttest.Decode(t, Format{}, "x.json", []byte(tt.doc)))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestTooLong: a row longer than --max-line-bytes (here 1 KiB, the least)
// in the array form ends the document as one invalid unit, as a line that
// long is one in JSON Lines; json.Decoder held any size.
func TestTooLong(t *testing.T) {
	row := `{"request_id":"a","model":"m","prompt_tokens":10,"completion_tokens":2}`
	doc := `[` + row + `,{"request_id":"` + strings.Repeat("x", 2000) + `"}]`
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.json", R: bufio.NewReader(strings.NewReader(doc)), MaxLineBytes: 1 << 10}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	if got, want := oddUnits(s), []string{`llm "m" id=a in=10 out=2`, `invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// rowUnit renders what the reader made of a row in more detail than
// oddUnits: session, cache, cost, time, status, error, attributes and the
// usage keys it did not read.
func rowUnit(r *ingest.Record) string {
	return fmt.Sprintf("%s %q id=%s sess=%s in=%d out=%d cr=%d cw=%d cost=%g/%v ts=%d st=%d err=%q attrs=%v unk=%q",
		r.Kind, r.Model+r.Tool, r.ID, r.SessionID, r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens,
		r.CostUSD, r.HasCost, r.TSNano, r.Status, r.Error, r.Attrs, r.UnknownUsage)
}

// oddRow is a row's odd-input case: the JSON Lines text of one row and
// what becomes of it.
type oddRow struct{ name, row, want string }

func checkOddRows(t *testing.T, tests []oddRow) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ingesttest.Decode(t, Format{}, "x.jsonl", []byte(tt.row+"\n"))
			got := ingesttest.Units(s, rowUnit)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			ingesttest.CheckAccounting(t, s, 1)
		})
	}
}

// TestOddRow pins how odd JSON inside a row is read. Written against the
// encoding/json row decoder before the move to fastjson; each want is
// encoding/json's rule for a struct field, stated beside it, or the
// reader's own rule. The rows the move changed on purpose are in
// TestOddRowChanged (docs/formats/litellm-spend-logs.md, "Odd JSON").
func TestOddRow(t *testing.T) {
	// A plain row: 10 in, 2 out, no metadata, no time, no spend.
	const b = `"request_id":"r","model":"m",`
	const tok = `"prompt_tokens":10,"completion_tokens":2`
	rec := func(model, id, sess string, in, out int64) string {
		return fmt.Sprintf(`llm %q id=%s sess=%s in=%d out=%d cr=0 cw=0 cost=0/false ts=0 st=0 err="" attrs=map[] unk=""`, model, id, sess, in, out)
	}
	plain := rec("m", "r", "r", 10, 2)
	checkOddRows(t, []oddRow{
		// The last of two equal keys counts.
		{"duplicate key", `{` + b + `"model":"m2",` + tok + `}`, rec("m2", "r", "r", 10, 2)},
		{"duplicate count", `{` + b + `"prompt_tokens":7,` + tok + `}`, plain},
		{"duplicate metadata", `{` + b + tok + `,"metadata":{"trace_id":"t1"},"metadata":{"trace_id":"t2"}}`, rec("m", "r", "t2", 10, 2)},
		// A type error in any copy of a repeated key makes the row invalid.
		{"duplicate key, first of the wrong type", `{` + b + `"prompt_tokens":"x",` + tok + `}`, `invalid wrong field type: prompt_tokens: string`},
		// A missing key and null are the zero value.
		{"null request_id", `{"request_id":null,"model":"m",` + tok + `}`, `invalid missing request_id: `},
		{"null model", `{"request_id":"r","model":null,` + tok + `}`, rec("", "r", "r", 10, 2)},
		{"null spend", `{` + b + tok + `,"spend":null}`, plain},
		{"null metadata", `{` + b + tok + `,"metadata":null}`, plain},
		{"null one count", `{` + b + `"prompt_tokens":null,"completion_tokens":2}`, rec("m", "r", "r", 0, 2)},
		// Neither count is a row without usage (litellm.Usage.Fill).
		{"null counts", `{` + b + `"prompt_tokens":null,"completion_tokens":null}`, `invalid bad usage: usage without prompt_tokens or completion_tokens`},
		{"null usage_object", `{` + b + tok + `,"metadata":{"usage_object":null}}`, plain},
		// A value of another type makes the row invalid, naming the first such field.
		{"count as string", `{` + b + `"prompt_tokens":"10","completion_tokens":2}`, `invalid wrong field type: prompt_tokens: string`},
		{"count 10.0", `{` + b + `"prompt_tokens":10.0,"completion_tokens":2}`, `invalid wrong field type: prompt_tokens: number 10.0`},
		{"count 1e3", `{` + b + `"prompt_tokens":1e3,"completion_tokens":2}`, `invalid wrong field type: prompt_tokens: number 1e3`},
		{"count over int64", `{` + b + `"prompt_tokens":99999999999999999999,"completion_tokens":2}`, `invalid wrong field type: prompt_tokens: number 99999999999999999999`},
		{"spend as string", `{` + b + tok + `,"spend":"0.5"}`, `invalid wrong field type: spend: string`},
		{"spend beyond float64", `{` + b + tok + `,"spend":1e999}`, `invalid wrong field type: spend: number 1e999`},
		{"request_id number", `{"request_id":5,` + tok + `}`, `invalid wrong field type: request_id: number`},
		{"model object", `{"request_id":"r","model":{},` + tok + `}`, `invalid wrong field type: model: object`},
		{"first of two", `{"model":5,"request_id":true,` + tok + `}`, `invalid wrong field type: model: number`},
		// A count that fits is checked by the reader: negative is bad usage.
		{"negative count", `{` + b + `"prompt_tokens":-1,"completion_tokens":2}`, `invalid bad usage: usage.prompt_tokens: negative`},
		{"negative spend", `{` + b + tok + `,"spend":-0.5}`, `invalid bad spend: `},
		// Fields kept raw (times, cache_hit, metadata) take any type: a time
		// that is not a string or a Unix time in seconds is no time.
		{"time number", `{` + b + tok + `,"startTime":1745233200.5}`, `llm "m" id=r sess=r in=10 out=2 cr=0 cw=0 cost=0/false ts=1745233200500000000 st=0 err="" attrs=map[] unk=""`},
		{"time bool", `{` + b + tok + `,"startTime":true}`, plain},
		{"time beyond float64", `{` + b + tok + `,"startTime":1e999}`, plain},
		{"metadata number", `{` + b + tok + `,"metadata":5}`, plain},
		{"metadata text", `{` + b + tok + `,"metadata":"hello"}`, plain},
		{"metadata string", `{` + b + tok + `,"metadata":"{\"trace_id\":\"t9\"}"}`, rec("m", "r", "t9", 10, 2)},
		{"metadata string bad", `{` + b + tok + `,"metadata":"{\"trace_id\":"}`, `invalid bad metadata: unexpected end of JSON input`},
		{"usage_object not object", `{` + b + tok + `,"metadata":{"usage_object":5}}`, `invalid bad usage: usage_object is not an object`},
		{"additional_usage_values not object", `{` + b + tok + `,"metadata":{"additional_usage_values":"x"}}`, `invalid bad usage: additional_usage_values is not an object`},
		// An MCP row's tool metadata of another shape costs its hashes only.
		{"mcp metadata odd", `{"request_id":"r","mcp_namespaced_tool_name":"t","metadata":{"mcp_tool_call_metadata":[1]}}`,
			`tool "t" id=r sess=r in=0 out=0 cr=0 cw=0 cost=0/false ts=0 st=0 err="" attrs=map[] unk=""`},
		// cache_hit "True" (the table) or true (some exports) is a proxy cache hit.
		{"cache hit string", `{` + b + tok + `,"cache_hit":"True"}`, `skipped proxy cache hit: `},
		{"cache hit bool", `{` + b + tok + `,"cache_hit":true}`, `skipped proxy cache hit: `},
		{"cache hit false", `{` + b + tok + `,"cache_hit":"False"}`, plain},
		{"cache hit number", `{` + b + tok + `,"cache_hit":1}`, plain},
		// Escapes are their text, in values and keys.
		{"escaped value", `{"request_id":"a\u0062","model":"m",` + tok + `}`, rec("m", "ab", "ab", 10, 2)},
		{"escaped key", `{"request\u005fid":"r","model":"m",` + tok + `}`, plain},
		{"escaped metadata key", `{` + b + tok + `,"metadata":{"trace\u005fid":"t9"}}`, rec("m", "r", "t9", 10, 2)},
		// Invalid UTF-8 in a string becomes U+FFFD.
		{"bad utf8", `{"request_id":"r","model":"a` + "\xff" + `b",` + tok + `}`, rec("a\ufffdb", "r", "r", 10, 2)},
		{"bad utf8 in metadata", `{` + b + tok + `,"metadata":{"trace_id":"t` + "\xff" + `"}}`, rec("m", "r", "t\ufffd", 10, 2)},
		// Fields no rule reads may hold anything.
		{"unread field", `{` + b + tok + `,"request_tags":{"a":[1,{"b":null}]},"api_key":5}`, plain},
		// The row's total_tokens is prompt + completion; it is not read.
		{"total ignored", `{` + b + tok + `,"total_tokens":99}`, plain},
		// Not RFC 8259: the standard library's message.
		{"leading zero", `{` + b + `"prompt_tokens":01,"completion_tokens":2}`, `invalid malformed json: invalid character '1' after object key:value pair`},
		{"trailing text", `{` + b + tok + `} x`, `invalid malformed json: invalid character 'x' after top-level value`},
		{"not an object", `[1]`, `invalid not a row object: `},
	})
}

// TestOddRowChanged pins the rows the move from encoding/json to fastjson
// changed on purpose (docs/formats/litellm-spend-logs.md, "Odd JSON"); the
// comment above each says what encoding/json made of it.
func TestOddRowChanged(t *testing.T) {
	const b = `"request_id":"r","model":"m",`
	const tok = `"prompt_tokens":10,"completion_tokens":2`
	rec := func(sess string, in, out, cr int64, unk string) string {
		return fmt.Sprintf(`llm "m" id=r sess=%s in=%d out=%d cr=%d cw=0 cost=0/false ts=0 st=0 err="" attrs=map[] unk=%q`, sess, in, out, cr, unk)
	}
	deep := strings.Repeat("[", 400) + strings.Repeat("]", 400)
	checkOddRows(t, []oddRow{
		// Keys match exactly. Was: matched case-insensitively, a record of
		// id r, 10 in, 2 out.
		{"mis-cased request_id", `{"Request_Id":"r","MODEL":"m","Prompt_Tokens":10,"completion_tokens":2}`, `invalid missing request_id: `},
		// Was: 10 in. Now its count is not read, and the key is named as a
		// usage key not read: 0 in (prompt_tokens missing), 2 out.
		{"mis-cased count", `{` + b + `"Prompt_Tokens":10,"completion_tokens":2}`, rec("r", 0, 2, 0, "Prompt_Tokens")},
		// Was: invalid wrong field type: model: number. Now another key, not read.
		{"mis-cased key of the wrong type", `{"request_id":"r","MODEL":5,` + tok + `}`,
			`llm "" id=r sess=r in=10 out=2 cr=0 cw=0 cost=0/false ts=0 st=0 err="" attrs=map[] unk=""`},
		// Was: session t9 (Trace_ID read as trace_id); now the request id.
		{"mis-cased metadata key", `{` + b + tok + `,"metadata":{"Trace_ID":"t9"}}`, rec("r", 10, 2, 0, "")},
		// Was: 8 cache reads. Now not read, and named.
		{"mis-cased additional_usage_values key", `{` + b + tok + `,"metadata":{"additional_usage_values":{"Cache_Read_Input_Tokens":8}}}`,
			rec("r", 10, 2, 0, "Cache_Read_Input_Tokens")},
		// A wrong type in the metadata is named by its path. Was: the
		// standard library's sentence ("json: cannot unmarshal number into
		// Go struct field metadata.trace_id of type string").
		{"metadata wrong type", `{` + b + tok + `,"metadata":{"trace_id":5}}`, `invalid bad metadata: metadata.trace_id: number`},
		{"spend_logs_metadata not object", `{` + b + tok + `,"metadata":{"spend_logs_metadata":5}}`, `invalid bad metadata: metadata.spend_logs_metadata: number`},
		{"error_message number", `{` + b + tok + `,"metadata":{"error_information":{"error_message":5}}}`, `invalid bad metadata: metadata.error_information.error_message: number`},
		// Was: "additional_usage_values: json: cannot unmarshal string into
		// Go struct field Usage.cache_read_input_tokens of type int64".
		{"additional_usage_values wrong type", `{` + b + tok + `,"metadata":{"additional_usage_values":{"cache_read_input_tokens":"8"}}}`,
			`invalid bad usage: additional_usage_values: usage.cache_read_input_tokens: not a token count (string)`},
		{"additional_usage_values 8.0", `{` + b + tok + `,"metadata":{"additional_usage_values":{"prompt_tokens_details":{"cached_tokens":8.0}}}}`,
			`invalid bad usage: additional_usage_values: usage.prompt_tokens_details.cached_tokens: not a token count (number 8.0)`},
		// Was: U+FFFD. A lone surrogate escape now stays its six
		// characters, as in the canonical reader.
		{"lone surrogate", `{"request_id":"r","model":"\ud800",` + tok + `}`,
			`llm "\\ud800" id=r sess=r in=10 out=2 cr=0 cw=0 cost=0/false ts=0 st=0 err="" attrs=map[] unk=""`},
		// An escaped value is its text everywhere. Was: cache_hit compared
		// as written, so "Tr\u0075e" was not a cache hit.
		{"escaped cache hit", `{` + b + tok + `,"cache_hit":"Tr\u0075e"}`, `skipped proxy cache hit: `},
		// Nesting deeper than 300 levels, even in a column not read. Was: read
		// (encoding/json's limit is 10,000).
		{"deep nesting", `{` + b + tok + `,"request_tags":` + deep + `}`, `invalid malformed json: too big depth: nested more than 300 levels`},
		// A repeated object replaces the first. Was: merged into it, so the
		// session of the first copy's spend_logs_metadata was kept (s1).
		{"repeated object", `{` + b + tok + `,"metadata":{"spend_logs_metadata":{"session_id":"s1"},"spend_logs_metadata":{"x":1}}}`, rec("r", 10, 2, 0, "")},
	})
}

// TestUnknownTokenKeys: token keys of a row, of its additional_usage_values
// and of its usage_object that are not read are named in
// Record.UnknownUsage, and their counts are not read. By hand:
//
//	a: prompt 10, completion 2; "Completion_Tokens" (mis-cased) on the row,
//	   "reasoningTokens" (no such key) in additional_usage_values, whose
//	   cache_read_input_tokens 4 is read; total_tokens is the row's sum, left.
//	b: usage_object 20 in, 3 out; "Prompt_Tokens" in it (shared rules) and
//	   "audio_token_count" on the row.
//
// Sorted as bytes: upper case before lower.
func TestUnknownTokenKeys(t *testing.T) {
	rows := `{"request_id":"a","model":"m","prompt_tokens":10,"completion_tokens":2,"total_tokens":12,"Completion_Tokens":3,` +
		`"metadata":{"additional_usage_values":{"cache_read_input_tokens":4,"reasoningTokens":1}}}` + "\n" +
		`{"request_id":"b","model":"m","audio_token_count":5,"metadata":{"usage_object":{"prompt_tokens":20,"completion_tokens":3,"Prompt_Tokens":20}}}` + "\n"
	s := ingesttest.Decode(t, Format{}, "x.jsonl", []byte(rows))
	want := []string{"a in=10 out=2 cr=4 unk=Completion_Tokens,reasoningTokens", "b in=20 out=3 cr=0 unk=Prompt_Tokens,audio_token_count"}
	var got []string
	for _, r := range s.Recs {
		got = append(got, fmt.Sprintf("%s in=%d out=%d cr=%d unk=%s", r.ID, r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.UnknownUsage))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestServerToolUseKeysNotKnown: a key of server_tool_use other than
// web_search_requests and web_fetch_requests, in usage_object or in
// additional_usage_values, is named in Record.UnknownUsage as the canonical
// reader names it; before, such searches were billed $0 with exit 0. By
// hand: only the exact web_search_requests is read.
//
//	a: usage_object, "Web_Search_Requests" 3: 0 searches, named.
//	b: additional_usage_values, web_search_requests 2 and
//	   "code_execution_requests" 1: 2 searches, the other named.
//	c: additional_usage_values, web_fetch_requests only: 0 searches, none named.
func TestServerToolUseKeysNotKnown(t *testing.T) {
	rows := `{"request_id":"a","model":"m","metadata":{"usage_object":{"prompt_tokens":20,"completion_tokens":3,"server_tool_use":{"Web_Search_Requests":3}}}}` + "\n" +
		`{"request_id":"b","model":"m","prompt_tokens":10,"completion_tokens":2,"metadata":{"additional_usage_values":{"server_tool_use":{"web_search_requests":2,"code_execution_requests":1}}}}` + "\n" +
		`{"request_id":"c","model":"m","prompt_tokens":10,"completion_tokens":2,"metadata":{"additional_usage_values":{"server_tool_use":{"web_fetch_requests":1}}}}` + "\n"
	s := ingesttest.Decode(t, Format{}, "x.jsonl", []byte(rows))
	want := []string{"a searches=0 unk=server_tool_use.Web_Search_Requests", "b searches=2 unk=server_tool_use.code_execution_requests", "c searches=0 unk="}
	var got []string
	for _, r := range s.Recs {
		got = append(got, fmt.Sprintf("%s searches=%d unk=%s", r.ID, r.WebSearchRequests, r.UnknownUsage))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// TestAdditionalUsageBilling: the billing fields of a usage object that
// are not counts (speed, inference_geo, service_tier) are read from
// additional_usage_values as from usage_object and the canonical usage
// object (ingest.FillUsageBilling). Before, a fast, US-only or priority
// call logged there was priced at standard rates with exit 0. By hand,
// row by row:
//
//	a: speed "fast":              fast, nothing named.
//	b: inference_geo "us":        US-only, nothing named.
//	c: service_tier "priority":   tier priority, nothing named.
//	d: "Speed" "fast" (mis-cased): not read (standard), "Speed" named.
//	e: speed "turbo":             not known, standard, "speed" named.
//	f: server_tool_use "2":       not an object: the row is invalid, as
//	                              LiteLLM's decoding of that part says.
//	g: cache read 8 only:         nothing of the above.
func TestAdditionalUsageBilling(t *testing.T) {
	var rows strings.Builder
	for _, c := range []struct{ id, extra string }{
		{"a", `"speed":"fast"`},
		{"b", `"inference_geo":"us"`},
		{"c", `"service_tier":"priority"`},
		{"d", `"Speed":"fast"`},
		{"e", `"speed":"turbo"`},
		{"f", `"server_tool_use":"2"`},
		{"g", `"cache_read_input_tokens":8`},
	} {
		fmt.Fprintf(&rows, `{"request_id":%q,"model":"m","prompt_tokens":10,"completion_tokens":2,"metadata":{"additional_usage_values":{%s}}}`+"\n", c.id, c.extra)
	}
	s := ingesttest.Decode(t, Format{}, "x.jsonl", []byte(rows.String()))
	want := []string{
		"a fast=true us=false tier=standard searches=0 unk=",
		"b fast=false us=true tier=standard searches=0 unk=",
		"c fast=false us=false tier=priority searches=0 unk=",
		"d fast=false us=false tier=standard searches=0 unk=Speed",
		"e fast=false us=false tier=standard searches=0 unk=speed",
		"g fast=false us=false tier=standard searches=0 unk=",
	}
	var got []string
	for _, r := range s.Recs {
		got = append(got, fmt.Sprintf("%s fast=%v us=%v tier=%s searches=%d unk=%s", r.ID, r.Fast, r.USOnly, r.ServiceTier, r.WebSearchRequests, r.UnknownUsage))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(s.Notes) != 1 || s.Notes[0].Kind != ingest.NoteInvalid || s.Notes[0].Line != 6 {
		t.Errorf("notes %+v, want row f (line 6) invalid", s.Notes)
	}
}
