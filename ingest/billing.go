package ingest

import "strings"

// ServiceTier is the vendor's service tier a call was billed in: the
// canonical service_tier field, Anthropic's usage.service_tier, OpenAI's
// response service_tier, OTel openai.response.service_tier. Pricing picks
// the tier's rates; a tier without rates for the model is reported.
type ServiceTier uint8

const (
	TierStandard ServiceTier = iota // standard or default, or not recorded
	TierBatch                       // Batch API (OpenAI, Anthropic, Gemini, Bedrock)
	TierPriority
	TierFlex
	TierScale // OpenAI Scale Tier: prepaid capacity, not priced per token
	TierOther // a value tokcost does not know: priced as standard, reported
	NumServiceTiers
)

// String is the canonical name: standard, batch, priority, flex, scale,
// other.
func (t ServiceTier) String() string {
	switch t {
	case TierBatch:
		return "batch"
	case TierPriority:
		return "priority"
	case TierFlex:
		return "flex"
	case TierScale:
		return "scale"
	case TierOther:
		return "other"
	}
	return "standard"
}

// ParseServiceTier maps a producer's service-tier value to the canonical
// tier, case-insensitively. "" (absent), "standard", "default" (OpenAI's
// name for it) and "standard_only" are standard; "batch" and "batches" are
// batch. Anything else (including "auto", a request setting that says
// nothing about how the call was billed) is TierOther, which the report
// counts, never a silent standard.
func ParseServiceTier(s string) ServiceTier {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "standard", "default", "standard_only", "on_demand":
		return TierStandard
	case "batch", "batches":
		return TierBatch
	case "priority":
		return TierPriority
	case "flex":
		return TierFlex
	case "scale":
		return TierScale
	}
	return TierOther
}

// usageStringGetter reads one string at a path inside a provider's usage
// object; present is false when the path is absent, null or not a string.
type usageStringGetter func(path ...string) (s string, present bool)

// fillUsageBilling reads the billing fields of a provider usage object that
// are not token counts: Anthropic's usage.service_tier and
// usage.server_tool_use.web_search_requests, usage.inference_geo "us"
// (US-only inference; "global", "not_available" and "" are not), and
// usage.speed "fast" (fast mode). (OpenAI carries service_tier
// beside usage, which the readers map as the canonical service_tier field.)
// It never overrides a tier already set.
func fillUsageBilling(r *Record, get usageStringGetter, count UsageGetter) *FieldError {
	if r.ServiceTier == TierStandard {
		if s, ok := get("service_tier"); ok {
			r.ServiceTier = ParseServiceTier(s)
		}
	}
	if g, ok := get("inference_geo"); ok && strings.EqualFold(strings.TrimSpace(g), "us") {
		r.USOnly = true
	}
	if sp, ok := get("speed"); ok && strings.EqualFold(strings.TrimSpace(sp), "fast") {
		r.Fast = true // Anthropic fast mode; "standard" is the default speed
	}
	n, ok, err := count("server_tool_use", "web_search_requests")
	if err != nil {
		return err
	}
	if ok {
		r.WebSearchRequests = n
	}
	return nil
}
