package pricing

import (
	"regexp"
	"strings"
)

// providerPrefixes are the leading "namespace/" segments Normalize strips:
// how traces and gateways say where a request was routed. Only these, so an
// unknown namespace keeps the id distinct (and, unless a key, unpriced).
var providerPrefixes = []string{
	"anthropic/", "openai/", "bedrock/", "bedrock_converse/", "vertex_ai/", "vertex/",
	"azure/", "azure_ai/", "gemini/", "google/", "models/", "openrouter/",
}

// bedrockPathSegments follow "bedrock/" in LiteLLM-style ids: a region
// ("us-east-1/"), an API ("invoke/", "converse/") or a commitment term.
var bedrockPathSegment = regexp.MustCompile(`^([a-z]{2}(-gov)?-[a-z]+-\d|invoke|converse|\d+-month-commitment)/`)

// bedrockRegions are Bedrock's cross-region inference prefixes; they are
// stripped only when a vendor prefix follows ("us.anthropic.claude-…").
var bedrockRegions = []string{"us.", "eu.", "apac.", "au.", "jp.", "ca.", "global.", "us-gov."}

var (
	bedrockVendor   = regexp.MustCompile(`^(anthropic|meta|amazon|mistral|cohere|deepseek|openai|qwen|writer|ai21)\.`)
	bedrockColonVer = regexp.MustCompile(`-v\d+:\d+$`) // "-v1:0": only Bedrock spells versions so
	bedrockVer      = regexp.MustCompile(`-v\d+$`)     // "-v1": only after "anthropic." was stripped
	vertexDate      = regexp.MustCompile(`@(\d{8})$`)
	dateSuffix      = regexp.MustCompile(`-(\d{8}|\d{4}-\d{2}-\d{2})$`)
)

// Normalize maps a model id as it appears in traces to the bare form the
// first-party vendors use, so "bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0"
// and "vertex_ai/claude-3-5-haiku@20241022" both become
// "claude-3-5-haiku-20241022". The steps, in order:
//
//  1. trim spaces, lowercase; unwrap a resource path (Vertex
//     "projects/…/models/ID", Bedrock ARNs, Azure deployment paths and
//     ML asset ids, see resourcePaths);
//  2. strip leading provider prefixes ("anthropic/", "bedrock/",
//     "vertex_ai/", "openrouter/", "models/", …, see providerPrefixes),
//     repeatedly, with Bedrock path segments ("us-east-1/", "invoke/");
//  3. Bedrock: strip a region prefix ("us.", "eu.", "apac.", "global.", …)
//     when a vendor prefix follows, then the vendor prefix "anthropic.",
//     then a version suffix "-v1:0" (or "-v1" after "anthropic.");
//  4. Vertex: "name@20241022" becomes "name-20241022"; "@default" and
//     "@latest" are dropped.
//
// It never shortens an id any other way.
func Normalize(model string) string {
	forms := normalForms(model)
	return forms[len(forms)-1]
}

// normalForms returns the id after each normalisation step that changed
// it, most specific first; the last is Normalize's result.
func normalForms(model string) []string {
	s := strings.ToLower(strings.TrimSpace(model))
	forms := []string{s}
	add := func(t string) {
		if t != s {
			s = t
			forms = append(forms, s)
		}
	}
	add(unwrapResource(s))
	for changed := true; changed; {
		changed = false
		for _, p := range providerPrefixes {
			if strings.HasPrefix(s, p) && len(s) > len(p) {
				rest := s[len(p):]
				if p == "bedrock/" {
					for bedrockPathSegment.MatchString(rest) {
						rest = bedrockPathSegment.ReplaceAllString(rest, "")
					}
				}
				add(rest)
				changed = true
				break
			}
		}
	}
	for _, r := range bedrockRegions {
		if strings.HasPrefix(s, r) && bedrockVendor.MatchString(s[len(r):]) {
			add(s[len(r):])
			break
		}
	}
	if strings.HasPrefix(s, "anthropic.") && len(s) > len("anthropic.") {
		t := strings.TrimPrefix(s, "anthropic.")
		t = bedrockColonVer.ReplaceAllString(t, "")
		add(bedrockVer.ReplaceAllString(t, ""))
	} else {
		add(bedrockColonVer.ReplaceAllString(s, ""))
	}
	switch {
	case strings.HasSuffix(s, "@default"), strings.HasSuffix(s, "@latest"):
		add(s[:strings.LastIndexByte(s, '@')])
	default:
		add(vertexDate.ReplaceAllString(s, "-$1"))
	}
	return forms
}

// stripDate removes one trailing "-YYYYMMDD" or "-YYYY-MM-DD" snapshot date.
func stripDate(id string) (string, bool) {
	loc := dateSuffix.FindStringIndex(id)
	if loc == nil || loc[0] == 0 {
		return id, false
	}
	return id[:loc[0]], true
}

// namespaceCandidates are tried as "prefix+id" after the bare id misses:
// LiteLLM keys Google's first-party models "gemini/<name>" while traces say
// "gemini-2.5-pro". A fixed list, in order; never a search.
var namespaceCandidates = []string{"gemini/"}

// providerNamespaces maps a trace's provider name to the LiteLLM key
// namespace whose separately priced keys it should prefer: OpenTelemetry
// gen_ai.provider.name values (docs/formats/otel.md), the deprecated
// gen_ai.system values ("az.ai.openai") and LiteLLM's own provider names.
// Providers whose models LiteLLM keys bare (openai, anthropic) need none.
// aws.bedrock has none either: Bedrock keys are the model ids Bedrock
// returns ("us.anthropic.claude-…-v1:0"), which the exact rule finds, and
// LiteLLM's "bedrock/<region>/…" keys need a region a provider name lacks.
// gcp.gen_ai means "some Google endpoint", so it gets Google's default
// (RuleGoogle), not a namespace.
var providerNamespaces = map[string]string{
	"gemini": "gemini/", "google": "gemini/", "google_genai": "gemini/", "gcp.gemini": "gemini/",
	"vertex_ai": "vertex_ai/", "vertex": "vertex_ai/", "gcp.vertex_ai": "vertex_ai/",
	"azure": "azure/", "azure_openai": "azure/", "az.ai.openai": "azure/", "azure.ai.openai": "azure/",
	"azure_ai": "azure_ai/", "az.ai.inference": "azure_ai/", "azure.ai.inference": "azure_ai/",
	"openrouter": "openrouter/",
	"x_ai":       "xai/", "xai": "xai/",
	"deepseek":   "deepseek/",
	"groq":       "groq/",
	"mistral_ai": "mistral/", "mistral": "mistral/",
	"perplexity":     "perplexity/",
	"ibm.watsonx.ai": "watsonx/", "watsonx": "watsonx/",
}

// googleFamily is the id prefix of Google's Gemini models. LiteLLM has two
// keys for many of them: bare "gemini-2.5-pro" is the Vertex AI price
// (litellm_provider vertex_ai-language-models) and "gemini/gemini-2.5-pro"
// the Gemini API price, and their histories differ. A Gemini id that does
// not say Vertex is priced as the Gemini API first (RuleGoogle).
const googleFamily = "gemini-"

// geminiAPIPrefixes are the namespaces a Gemini API id may carry
// ("models/gemini-2.5-pro" is the API's resource name); any other namespace
// ("vertex_ai/", "openrouter/") names a different route.
var geminiAPIPrefixes = []string{"gemini/", "google/", "models/"}

// candidate is one exact id a lookup tries, with the rule that produced it.
type candidate struct {
	id   string
	rule string
}

// Rules, in the order Lookup tries them.
const (
	RuleProvider  = "provider"   // the provider's namespace + a form of the id
	RuleGoogle    = "google"     // "gemini/" + a Gemini id not routed via Vertex
	RuleExact     = "exact"      // the id as given (trimmed, lowercased)
	RuleNormal    = "normalised" // a normalisation step's output
	RuleAlias     = "alias"      // the alias table, on the normalised id
	RuleNamespace = "namespace"  // a fixed namespace ("gemini/") + normalised id
	RuleUndated   = "undated"    // the normalised id without its trailing date
)

// candidates lists, in order, every exact id Lookup tries for model.
func candidates(model, provider string) []candidate {
	forms := normalForms(model)
	n := forms[len(forms)-1]
	var out []candidate
	seen := map[string]bool{}
	add := func(id, rule string) {
		if id != "" && !seen[rule+"\x00"+id] {
			seen[rule+"\x00"+id] = true
			out = append(out, candidate{id, rule})
		}
	}
	ns, hasNS := providerNamespaces[strings.ToLower(strings.TrimSpace(provider))]
	if hasNS {
		for _, f := range forms[1:] {
			add(ns+f, RuleProvider)
		}
		if !strings.Contains(forms[0], "/") {
			add(ns+forms[0], RuleProvider)
		}
	}
	// Not when the provider already tried gemini/ or says Vertex, nor when
	// the id is the gemini/ key itself (the exact rule finds it).
	if g := "gemini/" + n; strings.HasPrefix(n, googleFamily) && ns != "gemini/" && ns != "vertex_ai/" &&
		forms[0] != g && isGeminiAPIID(forms[0]) {
		add(g, RuleGoogle)
	}
	add(forms[0], RuleExact)
	for _, f := range forms[1:] {
		add(f, RuleNormal)
	}
	bare := func(id, suffix string) {
		if suffix != "" {
			add(id, RuleUndated)
		}
		add(id, RuleAlias+suffix)
		for _, ns := range namespaceCandidates {
			add(ns+id, RuleNamespace+suffix)
		}
	}
	bare(n, "")
	if base, ok := stripDate(n); ok {
		bare(base, "+"+RuleUndated)
	}
	return out
}

// isGeminiAPIID reports whether id carries no namespace or only Gemini API
// ones (geminiAPIPrefixes): "vertex_ai/gemini-2.5-pro" and
// "openrouter/google/gemini-2.5-pro" are other routes with their own keys.
func isGeminiAPIID(id string) bool {
	for trimmed := true; trimmed; {
		trimmed = false
		for _, p := range geminiAPIPrefixes {
			if strings.HasPrefix(id, p) {
				id, trimmed = id[len(p):], true
			}
		}
	}
	return !strings.Contains(id, "/")
}
