package ingest

import (
	"slices"
	"sort"
	"strings"
)

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

// UsageStringGetter reads one string at a path inside a provider's usage
// object: present is false when the path is absent or null, ok is false
// when it holds something other than a string.
type UsageStringGetter func(path ...string) (s string, present, ok bool)

// FillUsageBilling reads the billing fields of a provider usage object
// that are not token counts, whatever container it was read from (a JSON
// object, a Parquet struct): Anthropic's usage.service_tier and
// usage.server_tool_use.web_search_requests, usage.inference_geo "us"
// (US-only inference) and usage.speed "fast" (fast mode). (OpenAI carries
// service_tier beside usage, which the readers map as the canonical
// service_tier field.) It never overrides a tier already set.
//
// A value it does not know is never read as the default silently: a
// service tier is TierOther (priced as standard, reported), and a speed
// other than "standard", "fast" or "", or an inference_geo other than "us",
// "global", "not_available" or "", is named in Record.UnknownUsage ("speed",
// "inference_geo"), as is either field holding something other than a
// string. A web search count that is not a count is a FieldError.
//
// keys (nil when the container has no key names to list) lets it name a
// server_tool_use that is not an object, the keys of
// usage.server_tool_use other than the ones it knows (Anthropic's
// web_search_requests, billed per search, and web_fetch_requests, free
// beyond its tokens), as "server_tool_use.<key>", and a key of the usage
// object that is one of the billing fields above in other case
// ("Server_Tool_Use", "Speed"). Keys match exactly, as in FillUsageObject:
// without this a mis-cased "Web_Search_Requests" or a tool kind tokcost
// does not know would bill $0 for the searches without a word.
func FillUsageBilling(r *Record, get UsageStringGetter, count UsageGetter, keys UsageKeys) *FieldError {
	if r.ServiceTier == TierStandard {
		if s, present, ok := get("service_tier"); present {
			r.ServiceTier = TierOther
			if ok {
				r.ServiceTier = ParseServiceTier(s)
			}
		}
	}
	if g, present, ok := get("inference_geo"); present {
		switch g = strings.ToLower(strings.TrimSpace(g)); {
		case !ok:
			r.addUnknownUsage("inference_geo")
		case g == "us":
			r.USOnly = true
		case g != "global" && g != "not_available" && g != "":
			r.addUnknownUsage("inference_geo")
		}
	}
	if sp, present, ok := get("speed"); present {
		switch sp = strings.ToLower(strings.TrimSpace(sp)); {
		case !ok:
			r.addUnknownUsage("speed")
		case sp == "fast":
			r.Fast = true // Anthropic fast mode
		case sp != "standard" && sp != "": // standard is the default speed
			r.addUnknownUsage("speed")
		}
	}
	n, ok, err := count("server_tool_use", "web_search_requests")
	if err != nil {
		return err
	}
	if ok {
		r.WebSearchRequests = n
	}
	if keys != nil {
		for _, name := range unknownBillingKeys(keys) {
			r.addUnknownUsage(name)
		}
		// server_tool_use that is not an object (an array, a number, a
		// string) holds no count this reads: named, not read as no
		// searches. An empty object is no searches.
		if _, present, _ := get("server_tool_use"); present && keys("server_tool_use") == nil {
			r.addUnknownUsage("server_tool_use")
		}
	}
	return nil
}

// billingKeys are the keys of a usage object FillUsageBilling reads.
var billingKeys = []string{"service_tier", "inference_geo", "speed", "server_tool_use"}

// serverTools are the keys of usage.server_tool_use tokcost knows. Every
// key of that object counts calls of a server-side tool, which vendors
// bill per call, so any other key is named, whatever its spelling.
var serverTools = map[string]bool{"web_search_requests": true, "web_fetch_requests": true}

// KnownServerTool reports whether key, a key of usage.server_tool_use, is
// one tokcost reads (web_search_requests) or knows to be free
// (web_fetch_requests), for readers that walk that object themselves.
func KnownServerTool(key string) bool { return serverTools[key] }

// unknownBillingKeys names, sorted and each once, the keys of
// usage.server_tool_use that KnownServerTool does not know
// ("server_tool_use.<key>") and the keys of the usage object that are a
// billing key in other case.
func unknownBillingKeys(keys UsageKeys) []string {
	var names []string
	for _, k := range keys() {
		for _, b := range billingKeys {
			if k != b && strings.EqualFold(k, b) {
				names = append(names, k)
			}
		}
	}
	for _, k := range keys("server_tool_use") {
		if !serverTools[k] {
			names = append(names, "server_tool_use."+k)
		}
	}
	sort.Strings(names)
	return slices.Compact(names)
}

// addUnknownUsage adds name to the comma-separated UnknownUsage.
func (r *Record) addUnknownUsage(name string) {
	if r.UnknownUsage != "" {
		r.UnknownUsage += ","
	}
	r.UnknownUsage += name
}
