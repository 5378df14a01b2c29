package litellm

import (
	"strings"
	"testing"

	"github.com/tokcost/tokcost/ingest"
)

// TestUsageBillingFields: Anthropic's non-count billing fields pass through
// LiteLLM's usage object and are read as the canonical reader reads them
// (ingest.FillUsageBilling): fast mode, US-only inference and the service
// tier change the price. Before, Parse read only the counts, so such a call
// was priced at standard rates with exit 0.
func TestUsageBillingFields(t *testing.T) {
	var r ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":10,"completion_tokens":5,"speed":"fast","inference_geo":"us","service_tier":"priority"}`), &r); err != nil {
		t.Fatal(err)
	}
	if !r.Fast || !r.USOnly || r.ServiceTier != ingest.ParseServiceTier("priority") || r.ServiceTier == ingest.TierStandard {
		t.Errorf("fast %v, US-only %v, tier %v; want fast, US-only, priority", r.Fast, r.USOnly, r.ServiceTier)
	}
	// Values not understood are named, as in canonical JSONL; the counts stand.
	var u ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":10,"completion_tokens":5,"speed":"turbo","inference_geo":7}`), &u); err != nil {
		t.Fatal(err)
	}
	if u.Fast || u.USOnly || !strings.Contains(u.UnknownUsage, "speed") || !strings.Contains(u.UnknownUsage, "inference_geo") || u.InputTokens != 10 {
		t.Errorf("fast %v, US-only %v, unknown %q, input %d; want neither, speed and inference_geo named, 10", u.Fast, u.USOnly, u.UnknownUsage, u.InputTokens)
	}
}

// TestServerToolUseKeysNotKnown: a server_tool_use key other than
// web_search_requests and web_fetch_requests (mis-cased, or a tool kind
// tokcost does not know) is named in UnknownUsage, as the canonical reader
// names it (ingest.FillUsageBilling); before, its calls cost $0 with exit
// 0. By hand: only the exact web_search_requests is read (1 search).
func TestServerToolUseKeysNotKnown(t *testing.T) {
	var r ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":10,"completion_tokens":5,"server_tool_use":{"web_search_requests":1,"Web_Search_Requests":3,"code_execution_requests":2}}`), &r); err != nil {
		t.Fatal(err)
	}
	if want := "server_tool_use.Web_Search_Requests,server_tool_use.code_execution_requests"; r.UnknownUsage != want || r.WebSearchRequests != 1 {
		t.Errorf("unknown %q, searches %d; want %q, 1", r.UnknownUsage, r.WebSearchRequests, want)
	}
	var k ingest.Record
	if err := Parse([]byte(`{"prompt_tokens":10,"completion_tokens":5,"server_tool_use":{"web_search_requests":2,"web_fetch_requests":1}}`), &k); err != nil {
		t.Fatal(err)
	}
	if k.UnknownUsage != "" || k.WebSearchRequests != 2 {
		t.Errorf("known keys: unknown %q, searches %d; want none, 2", k.UnknownUsage, k.WebSearchRequests)
	}
}
