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
