package cline

import (
	"github.com/tokcost/tokcost/ingest"
)

// AssumedField is the name under which a call whose tokensIn semantics had
// to be assumed is counted in the report's unknown usage fields
// (Record.UnknownUsage). The CLI fails --strict on it.
const AssumedField = "cline.tokensIn(cache-included-unknown)"

// inputShape is how a producer's tokensIn relates to the cache counts.
type inputShape uint8

const (
	shapeUnknown   inputShape = iota
	shapeExclusive            // tokensIn excludes cacheReads and cacheWrites
	shapeInclusive            // tokensIn includes both
	// shapeMissInclusive: tokensIn includes the cache, and cacheWrites is
	// the backend's prompt_cache_miss_tokens (uncached input billed at the
	// input rate), not a cache write.
	shapeMissInclusive
	// shapeMissExclusive: DeepSeek's handler: tokensIn is what is left of
	// the prompt after hits and misses (always 0), cacheWrites the misses.
	shapeMissExclusive
)

// clineProviders maps Cline's providerId (ApiProvider, recorded in a
// message's modelInfo or in task_metadata.json) to what its handler puts
// in tokensIn, read from the usage chunks the handlers under
// src/core/api/providers yield (Cline at 791d238996^, the last commit
// before the extension moved to the SDK, which stopped writing
// ui_messages.json). docs/formats/cline.md quotes the evidence.
var clineProviders = map[string]inputShape{
	// Anthropic's input_tokens, which excludes the cache.
	"anthropic": shapeExclusive, "claude-code": shapeExclusive, "vertex": shapeExclusive,
	"minimax": shapeExclusive, "aihubmix": shapeExclusive,
	// Bedrock Converse inputTokens excludes cacheRead/WriteInputTokens.
	"bedrock": shapeExclusive,
	// Handlers that subtract the cache from prompt_tokens.
	"cline": shapeExclusive, "openrouter": shapeExclusive, "vercel-ai-gateway": shapeExclusive,
	"openai-native": shapeExclusive, "groq": shapeExclusive, "moonshot": shapeExclusive,
	"gemini":   shapeExclusive,
	"deepseek": shapeMissExclusive,
	// prompt_tokens as is, with prompt_tokens_details.cached_tokens and
	// prompt_cache_miss_tokens reported as cacheWrites.
	"openai": shapeMissInclusive, "xai": shapeMissInclusive, "fireworks": shapeMissInclusive,
	"hicap": shapeMissInclusive, "qwen": shapeMissInclusive, "doubao": shapeMissInclusive,
	// prompt_tokens (or the Responses API input_tokens) as is.
	"litellm": shapeInclusive, "oca": shapeInclusive, "requesty": shapeInclusive,
	"lmstudio": shapeInclusive, "zai": shapeInclusive, "openai-codex": shapeInclusive,
	"together": shapeInclusive, "nebius": shapeInclusive, "nousResearch": shapeInclusive,
	"sambanova": shapeInclusive, "wandb": shapeInclusive, "huawei-cloud-maas": shapeInclusive,
	"baseten": shapeInclusive, "cerebras": shapeInclusive, "mistral": shapeInclusive,
	"ollama": shapeInclusive, "dify": shapeInclusive, "qwen-code": shapeInclusive,
	"asksage": shapeInclusive, "huggingface": shapeInclusive, "vscode-lm": shapeInclusive,
}

// usage is one request's counts as the file has them.
type usage struct {
	in, out, cacheWrites, cacheReads int64
}

// resolve picks the shape for one call and says whether it was assumed.
// provider is Cline's providerId ("" when not recorded); protocol is Roo
// Code's apiProtocol ("" when not recorded).
func resolve(u usage, provider, protocol string) (shape inputShape, assumed bool) {
	known := clineProviders[provider]
	switch {
	case u.cacheReads+u.cacheWrites == 0:
		return shapeInclusive, false // no cache: both readings agree
	case u.in < u.cacheReads+u.cacheWrites:
		// An input smaller than its cached part cannot include it.
		if known == shapeMissExclusive || known == shapeMissInclusive {
			return shapeMissExclusive, false
		}
		return shapeExclusive, false
	case known != shapeUnknown:
		return known, false
	case protocol == "openai":
		// Roo Code: OpenAI-style providers report prompt_tokens, cache
		// included, before and after its 2025 change.
		return shapeInclusive, false
	case protocol == "anthropic":
		// Roo Code before #8954 (2025-10-31) stored Anthropic's exclusive
		// count, after it the total; an input at least as large as its
		// cache reads as the total, but nothing in the file says which.
		return shapeInclusive, true
	}
	// Cline's own convention is disjoint buckets (its webview sums them).
	return shapeExclusive, true
}

// apply sets the canonical token counts: input includes cache reads and
// writes.
func apply(r *ingest.Record, u usage, shape inputShape) {
	r.OutputTokens = u.out
	r.CacheReadTokens = u.cacheReads
	switch shape {
	case shapeExclusive:
		r.InputTokens = u.in + u.cacheReads + u.cacheWrites
		r.CacheWriteTokens = u.cacheWrites
	case shapeInclusive:
		r.InputTokens = u.in
		r.CacheWriteTokens = u.cacheWrites
	case shapeMissInclusive:
		r.InputTokens = u.in
	case shapeMissExclusive:
		r.InputTokens = u.in + u.cacheReads + u.cacheWrites
	}
}
