package mapped

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// FuzzMapped: any input is read without panicking, every line is accounted
// for (lines = records + notes) and every record passes the canonical rules.
func FuzzMapped(f *testing.F) {
	for _, s := range []string{
		`{"a":{"b":"s"},"x":{"y.z":12},"u":{"prompt_tokens":3}}`,
		`{"a":{"b":1},"u":{"input_tokens":1,"cache_read_input_tokens":2},"tool_name":"t"}` + "\n\n[]\n",
		`{"session_id":"s","ts":"2026-01-01T00:00:00Z","cost_usd":"1e400"}`,
		"{\"a\":{\"b\":\"\xff\"}}\r\n{",
	} {
		f.Add([]byte(s))
	}
	m := map[string]string{"session_id": "a.b", "input_tokens": `x["y.z"]`, "usage": "u", "ts": "t[0]", "attr.k": "a.k"}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &collect{}
		src := &ingest.Source{Name: "fuzz", R: bufio.NewReader(bytes.NewReader(data)), Map: m}
		if err := (format{}).Decode(src, func() ingest.Sink { return c }); err != nil {
			t.Fatal(err)
		}
		if c.lines != int64(len(c.recs)+len(c.notes)) {
			t.Fatalf("lines %d != records %d + notes %d", c.lines, len(c.recs), len(c.notes))
		}
		for _, r := range c.recs {
			if r.SessionID == "" || r.CacheReadTokens+r.CacheWriteTokens > r.InputTokens || r.ReasoningTokens > r.OutputTokens || r.InputTokens < 0 {
				t.Fatalf("record breaks the canonical rules: %+v", r)
			}
		}
	})
}
