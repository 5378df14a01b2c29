package litellm

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// A count of 2^32 or more is refused, as the canonical reader refuses it
// ("token count too large", docs/format.md). Before, Fill passed it on and
// the store saturated it at 2^32-1 = 4,294,967,295: a web search count of
// 4294967296 on claude-sonnet-4-5 ($0.01 a search) was billed
// 4,294,967,295 · $0.01 = $42,949,672.95 with exit 0. The spend logs'
// additional_usage_values path (Decode, then Fill) does not run the shared
// rules, so Fill itself must check.
func TestFillRefusesCountsPast32Bits(t *testing.T) {
	for _, tc := range []struct {
		json string
		err  string // "" when the object is read
		ws   int64
	}{
		// 2^32-1 = 4294967295 still fits the store's 32 bits: read as is.
		{`{"prompt_tokens":1000,"completion_tokens":100,"server_tool_use":{"web_search_requests":4294967295}}`, "", 4294967295},
		// 2^32 = 4294967296 does not.
		{`{"prompt_tokens":1000,"completion_tokens":100,"server_tool_use":{"web_search_requests":4294967296}}`, "server_tool_use.web_search_requests: too large", 0},
		{`{"prompt_tokens":1000,"completion_tokens":100,"server_tool_use":{"web_search_requests":9223372036854775807}}`, "server_tool_use.web_search_requests: too large", 0},
	} {
		var r ingest.Record
		err := Parse([]byte(tc.json), &r)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.json, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want %q", tc.json, err, tc.err)
		case tc.err == "" && r.WebSearchRequests != tc.ws:
			t.Errorf("%s: %d web searches, want %d", tc.json, r.WebSearchRequests, tc.ws)
		}
		// The same through Decode and Fill (additional_usage_values).
		if tc.err != "" {
			u, derr := decodeText(t, tc.json)
			if derr == nil {
				var r2 ingest.Record
				if ferr := u.Fill(&r2); ferr == nil || !strings.Contains(ferr.Error(), tc.err) {
					t.Errorf("Fill %s: error %v, want %q", tc.json, ferr, tc.err)
				}
			}
		}
	}
}

func decodeText(t *testing.T, s string) (Usage, error) {
	t.Helper()
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return Decode(v)
}
