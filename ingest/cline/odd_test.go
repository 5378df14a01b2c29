package cline

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
		return fmt.Sprintf("%s %q in=%d out=%d id=%s tsbad=%v", r.Kind, r.Model, r.InputTokens, r.OutputTokens, r.ID, r.TSUnreadable)
	})
}

// TestOddJSON pins how odd JSON in a message is read. Written against the
// encoding/json reader before the move to fastjson; each expected value
// is encoding/json's rule for the message struct (a *float64 ts, *string
// text, a modelInfo object) or for the reqInfo decoded from text, stated
// beside it. Input is tokensIn as is: no provider, no cache fields.
func TestOddJSON(t *testing.T) {
	const st = `"type":"say","say":"api_req_started",`
	const info = `"text":"{\"tokensIn\":10,\"tokensOut\":2}"`
	rec := `llm "" in=10 out=2 id=api_req_started:1000 tsbad=false`
	tests := []struct{ name, msg, want string }{
		// The last of two equal keys wins.
		{"duplicate key", `{"ts":1000,"type":"say","say":"task","say":"api_req_started",` + info + `}`, rec},
		{"duplicate count", `{"ts":1000,` + st + `"text":"{\"tokensIn\":1,\"tokensIn\":10,\"tokensOut\":2}"}`, rec},
		// null is missing: no ts is an unreadable time and an id by position.
		{"null ts", `{"ts":null,` + st + info + `}`, `llm "" in=10 out=2 id=api_req_started#1 tsbad=true`},
		{"null text", `{"ts":1000,` + st + `"text":null}`, `invalid unreadable request info: api_req_started`},
		{"null modelInfo", `{"ts":1000,` + st + info + `,"modelInfo":null}`, rec},
		{"modelInfo", `{"ts":1000,` + st + info + `,"modelInfo":{"modelId":"m","providerId":null}}`, `llm "m" in=10 out=2 id=api_req_started:1000 tsbad=false`},
		{"null type", `{"ts":1000,"type":null}`, `invalid not a Cline message: type ""`},
		{"null message", `null`, `invalid not a Cline message: type ""`},
		// A value of another type invalidates the message, naming the field.
		{"ts string", `{"ts":"1000",` + st + info + `}`, `invalid wrong field type: ts: string`},
		{"ts beyond float", `{"ts":1e999,` + st + info + `}`, `invalid wrong field type: ts: number 1e999`},
		{"text number", `{"ts":1000,` + st + `"text":5}`, `invalid wrong field type: text: number`},
		{"partial string", `{"ts":1000,` + st + info + `,"partial":"yes"}`, `invalid wrong field type: partial: string`},
		{"modelInfo number", `{"ts":1000,` + st + info + `,"modelInfo":5}`, `invalid wrong field type: modelInfo: number`},
		{"modelId number", `{"ts":1000,` + st + info + `,"modelInfo":{"modelId":5}}`, `invalid wrong field type: modelInfo.modelId: number`},
		{"message number", `5`, `invalid wrong field type: : number`},
		// A huge ts that fits a float64 is out of range: an unreadable time.
		{"huge ts", `{"ts":99999999999999999999,` + st + info + `}`, `llm "" in=10 out=2 id=api_req_started#1 tsbad=true`},
		// The request info in text: any error makes it unreadable.
		{"info string count", `{"ts":1000,` + st + `"text":"{\"tokensIn\":\"10\"}"}`, `invalid unreadable request info: api_req_started`},
		{"info beyond float", `{"ts":1000,` + st + `"text":"{\"tokensIn\":1e999}"}`, `invalid unreadable request info: api_req_started`},
		{"info trailing", `{"ts":1000,` + st + `"text":"{\"tokensIn\":10} x"}`, `invalid unreadable request info: api_req_started`},
		{"info array", `{"ts":1000,` + st + `"text":"[1]"}`, `invalid unreadable request info: api_req_started`},
		// null in the info is absent; a fraction is a bad count.
		{"info null", `{"ts":1000,` + st + `"text":"null"}`, `skipped api_req_started without usage: `},
		{"info null count", `{"ts":1000,` + st + `"text":"{\"tokensIn\":null,\"tokensOut\":null}"}`, `skipped api_req_started without usage: `},
		{"info fraction", `{"ts":1000,` + st + `"text":"{\"tokensIn\":1.5}"}`, `invalid bad token count: 1.5`},
		{"info exponent", `{"ts":1000,` + st + `"text":"{\"tokensIn\":1e1,\"tokensOut\":2}"}`, rec},
		{"info huge count", `{"ts":1000,` + st + `"text":"{\"tokensIn\":1e20}"}`, `invalid bad token count: 1e+20`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := decodeMsgs(t, "x.json", `[`+tt.msg+`,{"type":"say","say":"text"}]`)
			got := oddUnits(s)
			if len(got) != 2 || got[0] != tt.want || got[1] != "skipped text: " {
				t.Errorf("got %q, want [%q, skipped text]", got, tt.want)
			}
			ingesttest.CheckAccounting(t, s, 2)
		})
	}
}

// TestOddJSONChanged pins the rows the move to fastjson changes on purpose.
func TestOddJSONChanged(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		// encoding/json matched keys case-insensitively: "Type" was "type" (an
		// llm record, in=10); now the type is missing.
		{"mis-cased key", `{"ts":1000,"Type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":2}"}`, `invalid not a Cline message: type ""`},
		// Likewise in the request info: "TokensIn" was tokensIn (in=10); now absent.
		{"mis-cased info key", `{"ts":1000,"type":"say","say":"api_req_started","text":"{\"TokensIn\":10,\"tokensOut\":2}"}`, `llm "" in=0 out=2 id=api_req_started:1000 tsbad=false`},
		// encoding/json decoded a repeated object into the one it had (model
		// "m" stayed); now the last object is the value, and it has no modelId.
		{"repeated object", `{"ts":1000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":2}","modelInfo":{"modelId":"m"},"modelInfo":{"mode":"plan"}}`, `llm "" in=10 out=2 id=api_req_started:1000 tsbad=false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(decodeMsgs(t, "x.json", `[`+tt.msg+`]`))
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOddDocument pins the document level and how a break is worded (the
// Decoder's texts).
func TestOddDocument(t *testing.T) {
	msg := `{"ts":1000,"type":"say","say":"api_req_started","text":"{\"tokensIn\":10,\"tokensOut\":2}"}`
	rec := `llm "" in=10 out=2 id=api_req_started:1000 tsbad=false`
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"object", `{"a":1}`, []string{`invalid not a message array: `}},
		{"bad element", `[` + msg + `,{"ts":1,}]`, []string{rec, `invalid malformed json: invalid character '}' looking for beginning of object key string`}},
		{"missing comma", `[` + msg + ` ` + msg + `]`, []string{rec, `invalid malformed json: expected comma after array element`}},
		{"truncated", `[` + msg + `,{"ts"`, []string{rec, `invalid malformed json: unexpected EOF`}},
		{"unclosed", `[` + msg, []string{rec, `invalid malformed json: EOF`}},
		{"BOM", "\ufeff[" + msg + `]`, []string{`invalid malformed json: invalid character 'ï' looking for beginning of value`}},
		{"trailing garbage", `[` + msg + `] x`, []string{rec}},
		{"garbage", `x`, []string{`invalid malformed json: invalid character 'x' looking for beginning of value`}},
	}
	// A message longer than --max-line-bytes (here 1 KiB, the least) ends
	// the array as one invalid unit; the message before it is kept.
	long := `[` + msg + `,{"type":"say","say":"text","text":"` + strings.Repeat("x", 2000) + `"}]`
	s := &ingesttest.Sink{}
	src := &ingest.Source{Name: "x.json", R: bufio.NewReader(strings.NewReader(long)), MaxLineBytes: 1 << 10}
	if err := (Format{}).Decode(src, func() ingest.Sink { return s }); err != nil {
		t.Fatal(err)
	}
	if got, want := oddUnits(s), []string{rec, `invalid line too long: a JSON value longer than 1024 bytes (--max-line-bytes)`}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("too long: got %q, want %q", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oddUnits(decodeMsgs(t, "x.json", tt.doc))
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestUnknownTokenKeys: keys of the request info that name tokens but are
// not read are named in Record.UnknownUsage, and their counts are not
// read. By hand: tokensIn 10 with no cache fields is 10 in whatever the
// provider; tokensOut 3; "TokensOut" (tokensOut in other case) and
// "cacheReadTokens" (contains "token", no such key) are named, sorted as
// bytes ('T' before 'c'); "cost" and "apiProtocol" are read, and
// "cancelReason"-like keys without "token" are not usage.
func TestUnknownTokenKeys(t *testing.T) {
	const st = `"type":"say","say":"api_req_started",`
	s := decodeMsgs(t, "x.json", `[`+
		`{"ts":1000,`+st+`"text":"{\"tokensIn\":10,\"TokensOut\":2,\"cacheReadTokens\":4,\"tokensOut\":3,\"retryStatus\":\"x\"}"},`+
		// Only a mis-cased count: a call of 0 tokens that names it. It was
		// skipped as a request without usage, so the key went unseen.
		`{"ts":2000,`+st+`"text":"{\"TokensIn\":10}"}]`)
	if len(s.Recs) != 2 {
		t.Fatalf("%d records, notes %+v", len(s.Recs), s.Notes)
	}
	for i, w := range []struct {
		in, out int64
		unknown string
	}{{10, 3, "TokensOut,cacheReadTokens"}, {0, 0, "TokensIn"}} {
		if r := s.Recs[i]; r.InputTokens != w.in || r.OutputTokens != w.out || r.UnknownUsage != w.unknown {
			t.Errorf("record %d: in %d out %d unknown %q, want %+v", i, r.InputTokens, r.OutputTokens, r.UnknownUsage, w)
		}
	}
}
