package ingest

// UsageGetter reads one token count at a path inside a provider's usage
// object. present is false when the path is absent or null.
type UsageGetter func(path ...string) (n int64, present bool, err *FieldError)

// FillUsage applies the canonical rules for a nested provider usage object
// (docs/format.md), whatever container it was read from (a JSON object, a
// Parquet struct): Anthropic's, recognised by a cache field, has an input
// count exclusive of the cache, so the cache counts are added; OpenAI's
// (Chat Completions or Responses) is already inclusive.
func FillUsage(r *Record, get UsageGetter) *FieldError {
	var ferr *FieldError
	pick := func(dst *int64, paths ...[]string) {
		for _, p := range paths {
			if ferr != nil {
				return
			}
			n, ok, err := get(p...)
			if err != nil {
				ferr = err
				return
			}
			if ok {
				*dst = n
				return
			}
		}
	}
	present := func(key string) bool {
		_, ok, err := get(key)
		return ok || err != nil
	}
	if present("cache_creation_input_tokens") || present("cache_read_input_tokens") {
		var in, cw, cr, cw1h int64
		pick(&in, []string{"input_tokens"})
		pick(&cw, []string{"cache_creation_input_tokens"})
		pick(&cr, []string{"cache_read_input_tokens"})
		pick(&cw1h, []string{"cache_creation", "ephemeral_1h_input_tokens"})
		pick(&r.OutputTokens, []string{"output_tokens"})
		r.InputTokens = in + cw + cr
		r.CacheWriteTokens, r.CacheReadTokens, r.CacheWrite1hTokens = cw, cr, cw1h
		return ferr
	}
	pick(&r.InputTokens, []string{"prompt_tokens"}, []string{"input_tokens"})
	pick(&r.OutputTokens, []string{"completion_tokens"}, []string{"output_tokens"})
	pick(&r.CacheReadTokens, []string{"prompt_tokens_details", "cached_tokens"}, []string{"input_tokens_details", "cached_tokens"})
	pick(&r.ReasoningTokens, []string{"completion_tokens_details", "reasoning_tokens"}, []string{"output_tokens_details", "reasoning_tokens"})
	return ferr
}
