package litellmlogs

import (
	"testing"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/ingesttest"
)

// TestMCPToolIO: an MCP tool row's metadata.mcp_tool_call_metadata (LiteLLM's
// StandardLoggingMCPToolCall: name, arguments, result, namespaced_tool_name;
// litellm/types/utils.py, written into the row by
// proxy/spend_tracking/spend_tracking_utils.py) gives the call's arguments
// and result. No public export with it exists (testdata/SOURCES.md), so the
// rows are hand-written in that shape. Expected values from the
// independent Python implementation of the hash in
// ingest/openhands/toolio_test.go (functions hjson, label):
//
//	a1 = {'query': 'is:open label:bug', 'repo': 'acme/api'}
//	r1 = {'content': [{'type': 'text', 'text': '3 issues'}], 'isError': False}
//	hex(hjson(a1)), label(a1)        # 0x77a1b50636bda61b is:open label:bug
//	hex(hjson(r1))                   # 0x209a055e1d7fd239
//	len(json.dumps(r1, separators=(',', ':')))   # 63: a JSON result's size is its compact text's
//
// Row 2 has the same arguments in another key order and spacing, inside a
// metadata column written as a JSON string, and no result. Row 3's
// mcp_tool_call_metadata is not an object: the row stays a tool record
// without arguments (not an invalid row). The LLM row has none.
func TestMCPToolIO(t *testing.T) {
	data := `{"request_id":"m1","call_type":"call_mcp_tool","spend":0,"startTime":"2025-04-21T12:00:00Z","mcp_namespaced_tool_name":"github/search_issues","session_id":"s","status":"success","metadata":{"status":"success","mcp_tool_call_metadata":{"name":"search_issues","arguments":{"query":"is:open label:bug","repo":"acme/api"},"result":{"content":[{"type":"text","text":"3 issues"}],"isError":false},"namespaced_tool_name":"github/search_issues"}}}
{"request_id":"m2","call_type":"call_mcp_tool","spend":0,"startTime":"2025-04-21T12:00:05Z","mcp_namespaced_tool_name":"github/search_issues","session_id":"s","status":"success","metadata":"{\"mcp_tool_call_metadata\": {\"name\": \"search_issues\", \"arguments\": { \"repo\": \"acme/api\", \"query\": \"is:open label:bug\" }}}"}
{"request_id":"m3","call_type":"call_mcp_tool","spend":0,"startTime":"2025-04-21T12:00:09Z","mcp_namespaced_tool_name":"github/search_issues","session_id":"s","status":"success","metadata":{"mcp_tool_call_metadata":"oops"}}
{"request_id":"c1","call_type":"acompletion","spend":0.001,"prompt_tokens":10,"completion_tokens":2,"startTime":"2025-04-21T12:00:10Z","model":"gpt-4o","session_id":"s","status":"success","metadata":{}}
`
	s := ingesttest.Decode(t, Format{}, "mcp.jsonl", []byte(data))
	if len(s.Recs) != 4 {
		t.Fatalf("%d records, notes %+v", len(s.Recs), s.Notes)
	}
	type io struct {
		kind   ingest.Kind
		args   uint64
		label  string
		result uint64
		bytes  int64
	}
	want := []io{
		{ingest.KindTool, 0x77a1b50636bda61b, "is:open label:bug", 0x209a055e1d7fd239, 63},
		{ingest.KindTool, 0x77a1b50636bda61b, "is:open label:bug", 0, 0},
		{ingest.KindTool, 0, "", 0, 0},
		{ingest.KindLLM, 0, "", 0, 0},
	}
	for i, r := range s.Recs {
		if got := (io{r.Kind, r.ToolArgsHash, r.ToolArgsLabel, r.ToolResultHash, r.ToolResultBytes}); got != want[i] {
			t.Errorf("row %d: got %+v, want %+v", i+1, got, want[i])
		}
	}
}
