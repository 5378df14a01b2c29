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
