package ingest

import (
	"fmt"
	"sort"
	"strings"
)

// UsageGetter reads one token count at a path inside a provider's usage
// object. present is false when the path is absent or null.
type UsageGetter func(path ...string) (n int64, present bool, err *FieldError)

// UsageKeys lists the keys of the object at a path inside a usage object,
// so fields no rule knows can be counted: nil when the path holds no
// object (absent, null, or a value of another type), an empty list that
// is not nil for an object without keys.
type UsageKeys func(path ...string) []string

// FillUsage applies the canonical rules for a nested provider usage object
// (docs/usage.md), whatever container it was read from (a JSON object, a
// Parquet struct).
func FillUsage(r *Record, get UsageGetter) *FieldError { return FillUsageObject(r, get, nil) }

// FillUsageObject is FillUsage that also names, in Record.UnknownUsage,
// the token fields of the object no rule reads (keys may be nil).
//
// The rules go by field, not by vendor, since gateways such as LiteLLM mix
// vocabularies (OpenAI's names plus Anthropic's cache fields):
//
//   - prompt_tokens is the whole prompt, cache included;
//   - input_tokens is the whole prompt too, except beside Anthropic's
//     cache_creation_input_tokens / cache_read_input_tokens without a
//     prompt_tokens, where it excludes them and they are added;
//   - every cache field present is used, and two fields naming the same
//     count must agree;
//   - output is completion_tokens or output_tokens (they must agree);
//   - *_tokens_details.audio_tokens and image_tokens are the audio and
//     image parts of the prompt or completion (Record.AudioInputTokens, …);
//   - a total_tokens above input + output, when no reasoning count is
//     given, is hidden reasoning (Gemini thinking through the OpenAI
//     endpoint) and billed as output.
//
// A combination that cannot be made consistent is a FieldError.
func FillUsageObject(r *Record, get UsageGetter, keys UsageKeys) *FieldError {
	var ferr *FieldError
	read := func(path ...string) (int64, bool) {
		if ferr != nil {
			return 0, false
		}
		n, ok, err := get(path...)
		if err != nil {
			ferr = err
			return 0, false
		}
		return n, ok
	}
	// same reads two fields that name one count; both present must agree.
	same := func(a, b []string) (int64, bool) {
		x, okx := read(a...)
		y, oky := read(b...)
		if okx && oky && x != y && ferr == nil {
			ferr = &FieldError{Reason: fmt.Sprintf("usage fields disagree (%s %d, %s %d)",
				strings.Join(a, "."), x, strings.Join(b, "."), y), Field: "usage"}
		}
		if okx {
			return x, true
		}
		return y, oky
	}

	prompt, hasPrompt := read("prompt_tokens")
	in, hasIn := read("input_tokens")
	cw, hasCW := read("cache_creation_input_tokens")
	crA, hasCRA := read("cache_read_input_tokens")
	anthropicCache := hasCW || hasCRA
	if ferr == nil && !hasCW {
		// LiteLLM's name for the cache write, inside the (inclusive) prompt.
		cw, _ = read("prompt_tokens_details", "cache_creation_tokens")
	}
	cw1h, has1h := read("cache_creation", "ephemeral_1h_input_tokens")
	if ferr == nil && !has1h {
		// LiteLLM keeps Anthropic's split of the write by lifetime here.
		cw1h, _ = read("prompt_tokens_details", "cache_creation_token_details", "ephemeral_1h_input_tokens")
	}
	crO, hasCRO := same([]string{"prompt_tokens_details", "cached_tokens"}, []string{"input_tokens_details", "cached_tokens"})
	if ferr == nil && !hasCRO {
		// DeepSeek's own name for the same count.
		crO, hasCRO = read("prompt_cache_hit_tokens")
	}
	out, hasOut := same([]string{"completion_tokens"}, []string{"output_tokens"})
	reasoning, hasReasoning := same([]string{"completion_tokens_details", "reasoning_tokens"}, []string{"output_tokens_details", "reasoning_tokens"})
	total, hasTotal := read("total_tokens")
	// Audio and image parts of the prompt and the completion (OpenAI chat
	// and Responses, LiteLLM): subsets of the counts above.
	audioIn, _ := same([]string{"prompt_tokens_details", "audio_tokens"}, []string{"input_tokens_details", "audio_tokens"})
	imageIn, _ := same([]string{"prompt_tokens_details", "image_tokens"}, []string{"input_tokens_details", "image_tokens"})
	audioOut, _ := same([]string{"completion_tokens_details", "audio_tokens"}, []string{"output_tokens_details", "audio_tokens"})
	imageOut, _ := same([]string{"completion_tokens_details", "image_tokens"}, []string{"output_tokens_details", "image_tokens"})
	if ferr != nil {
		return ferr
	}
	cr := crA
	switch {
	case hasCRA && hasCRO && crA != crO:
		return &FieldError{Reason: fmt.Sprintf("usage fields disagree (cache_read_input_tokens %d, cached_tokens %d)", crA, crO), Field: "usage"}
	case !hasCRA:
		cr = crO
	}
	var input int64
	switch {
	case hasPrompt:
		input = prompt
		// An input_tokens beside it is either the same count or
		// Anthropic's exclusive one; anything else has no reading.
		if hasIn && in != prompt && in+cr+cw != prompt {
			return &FieldError{Reason: fmt.Sprintf("usage fields disagree (prompt_tokens %d, input_tokens %d)", prompt, in), Field: "usage"}
		}
	case hasIn && anthropicCache:
		input = in + cr + cw
	default:
		input = in
	}
	if cr+cw > input {
		return &FieldError{Reason: fmt.Sprintf("usage cache counts (%d read + %d written) exceed prompt_tokens %d", cr, cw, input), Field: "usage"}
	}
	if reasoning > out {
		return &FieldError{Reason: fmt.Sprintf("usage reasoning_tokens %d exceed output %d", reasoning, out), Field: "usage"}
	}
	if hasTotal && !hasReasoning && total > input+out && (hasPrompt || hasIn || hasOut) {
		// The producer's total counts tokens its parts do not name:
		// hidden reasoning, billed as output.
		reasoning = total - input - out
		out += reasoning
		r.TokensFromTotal += reasoning
	}
	r.InputTokens, r.OutputTokens, r.ReasoningTokens = input, out, reasoning
	r.CacheReadTokens, r.CacheWriteTokens, r.CacheWrite1hTokens = cr, cw, cw1h
	r.AudioInputTokens, r.ImageInputTokens, r.AudioOutputTokens, r.ImageOutputTokens = audioIn, imageIn, audioOut, imageOut
	if keys != nil {
		r.UnknownUsage = unknownUsageFields(keys)
	}
	return nil
}

// knownUsage lists, per object path, the token fields the rules read or
// that are parts of a count the rules read (audio, text and image tokens
// inside the prompt or completion; accepted and rejected predictions
// inside the completion), so ignoring them loses nothing.
var knownUsage = map[string]map[string]bool{
	"": {"prompt_tokens": true, "completion_tokens": true, "total_tokens": true, "input_tokens": true,
		"output_tokens": true, "cache_creation_input_tokens": true, "cache_read_input_tokens": true,
		"prompt_cache_hit_tokens": true, "prompt_cache_miss_tokens": true}, // DeepSeek: cached and uncached parts of the prompt
	"prompt_tokens_details": {"cached_tokens": true, "audio_tokens": true, "text_tokens": true, "image_tokens": true,
		"cache_creation_tokens": true},
	"input_tokens_details": {"cached_tokens": true, "audio_tokens": true, "text_tokens": true, "image_tokens": true},
	"completion_tokens_details": {"reasoning_tokens": true, "audio_tokens": true, "text_tokens": true,
		"image_tokens": true, "accepted_prediction_tokens": true, "rejected_prediction_tokens": true},
	"output_tokens_details": {"reasoning_tokens": true, "audio_tokens": true, "text_tokens": true, "image_tokens": true},
	"cache_creation":        {"ephemeral_5m_input_tokens": true, "ephemeral_1h_input_tokens": true},
}

// unknownUsageFields names the fields of a usage object (at the top level
// and in the objects knownUsage describes) that name tokens in any case or
// spelling (Prompt_Tokens, promptTokens, cached_token_count) and that no
// rule knows, sorted and comma-separated; "" when there are none. Keys
// match exactly, so a mis-cased known key is unknown: its tokens are not
// read, and the report says so.
func unknownUsageFields(keys UsageKeys) string {
	var unknown []string
	for path, known := range knownUsage {
		var p []string
		if path != "" {
			p = []string{path}
		}
		for _, k := range keys(p...) {
			if _, details := knownUsage[k]; path == "" && details {
				continue // an object of parts, read by its own path
			}
			if strings.Contains(strings.ToLower(k), "token") && !known[k] {
				if path != "" {
					k = path + "." + k
				}
				unknown = append(unknown, k)
			}
		}
	}
	sort.Strings(unknown)
	return strings.Join(unknown, ",")
}

// AssumedUsage lists the Record.UnknownUsage names that stand for an
// assumption a reader made rather than a key it did not know
// (cline.AssumedField, opencode.AssumedField): the CLI warns about them and
// --strict fails on them, so the input counts, which name a bounded number
// of unknown usage names, always keep these (internal/store).
var AssumedUsage = map[string]bool{
	"cline.tokensIn(cache-included-unknown)": true,
	"opencode.tokens(last-step-only)":        true,
}

// UnknownUsageKey reports whether key, a key of a usage object of which a
// reader reads (or knowingly leaves) the keys in known, names tokens the
// reader does not read: it contains "token" in any case, as for
// FillUsageObject, or it is a known key in other case ("Input" beside
// Gemini's "input"). Keys match exactly, so without this such a key would
// be dropped without a word.
func UnknownUsageKey(known map[string]bool, key string) bool {
	if known[key] {
		return false
	}
	if strings.Contains(strings.ToLower(key), "token") {
		return true
	}
	for k := range known {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// UnknownUsageList joins names (and the comma-separated lists in them) as
// Record.UnknownUsage holds them: sorted, each once; "" for none.
func UnknownUsageList(names ...string) string {
	var all []string
	for _, n := range names {
		if n != "" {
			all = append(all, strings.Split(n, ",")...)
		}
	}
	if len(all) == 0 {
		return ""
	}
	sort.Strings(all)
	out := all[:1]
	for _, n := range all[1:] {
		if n != out[len(out)-1] {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// UnknownUsageFields names, as FillUsageObject does, the token fields of a
// usage object no shared rule knows, for a reader that applies its own
// rules to a part of such an object.
func UnknownUsageFields(keys UsageKeys) string { return unknownUsageFields(keys) }
