// Package litellm reads the usage object LiteLLM puts on every response
// (ModelResponse.usage), which OpenHands, mini-swe-agent and the LiteLLM
// proxy's spend logs store as they got it.
//
// LiteLLM normalises every provider to OpenAI's field names: prompt_tokens
// INCLUDES any cache reads and writes, completion_tokens INCLUDES reasoning.
// For Anthropic models it also copies cache_creation_input_tokens and
// cache_read_input_tokens, which are parts of prompt_tokens, not additions
// to it (a real OpenHands call: prompt_tokens 3601 = 3435 cache read + 160
// cache write + 6 uncached). The object is therefore read field by field,
// never with the rule for Anthropic's own usage object, whose input_tokens
// excludes the cache.
package litellm

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest"
	"github.com/tokcost/tokcost/ingest/internal/fjson"
)

// Usage is the part of a LiteLLM usage object tokcost reads.
type Usage struct {
	PromptTokens      *int64             `json:"prompt_tokens"`
	CompletionTokens  *int64             `json:"completion_tokens"`
	CacheWrite        *int64             `json:"cache_creation_input_tokens"`
	CacheRead         *int64             `json:"cache_read_input_tokens"`
	PromptDetails     *promptDetails     `json:"prompt_tokens_details"`
	CompletionDetails *completionDetails `json:"completion_tokens_details"`
	// Server-side tools (LiteLLM's ServerToolUse, Anthropic's
	// usage.server_tool_use): web searches are billed per search.
	ServerToolUse *serverToolUse `json:"server_tool_use"`
}

type serverToolUse struct {
	WebSearchRequests *int64 `json:"web_search_requests"`
}

type promptDetails struct {
	CachedTokens        *int64 `json:"cached_tokens"`
	CacheCreationTokens *int64 `json:"cache_creation_tokens"`
	// The write split by lifetime (Anthropic): an hour-long write
	// costs more than a 5-minute one.
	CacheCreationDetails *cacheCreationDetails `json:"cache_creation_token_details"`
}

type cacheCreationDetails struct {
	Ephemeral1h *int64 `json:"ephemeral_1h_input_tokens"`
}

type completionDetails struct {
	ReasoningTokens *int64 `json:"reasoning_tokens"`
}

var parsers fastjson.ParserPool

// maxCount bounds every count of one call, as the canonical reader's
// "token count too large" (docs/format.md): 2^32 and up is refused.
const maxCount = 1 << 32

// ErrNoUsage says the object has neither prompt_tokens nor completion_tokens.
var ErrNoUsage = errors.New("usage without prompt_tokens or completion_tokens")

// Parse decodes raw (a JSON object) and fills r's token fields. A
// missing or null object is ErrNoUsage; a count of the wrong type or a
// negative one is an error that names the field. Keys match exactly and of
// repeated keys the last counts (docs/usage.md, "Odd JSON").
func Parse(raw []byte, r *ingest.Record) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ErrNoUsage
	}
	p := parsers.Get()
	defer parsers.Put(p) // v is read only before Parse returns
	v, detail, ok := fjson.Parse(p, raw)
	if !ok {
		return errors.New(detail)
	}
	return ParseValue(v, r)
}

// ParseValue is Parse of a value already parsed, for a reader that holds
// the usage object inside a document it has parsed (a null is ErrNoUsage).
func ParseValue(v *fastjson.Value, r *ingest.Record) error {
	if v.Type() == fastjson.TypeNull {
		return ErrNoUsage
	}
	u, err := decode(v)
	if err != nil {
		return err
	}
	if err := u.Fill(r); err != nil {
		return err
	}
	if r.CacheReadTokens+r.CacheWriteTokens > r.InputTokens || r.ReasoningTokens > r.OutputTokens {
		return nil // inconsistent: the reader reports it with its own reason
	}
	// The shared by-field rules (docs/usage.md) give the same counts for
	// LiteLLM's fields and add what Fill does not: hidden reasoning in
	// total_tokens, agreement between fields naming one count, and the
	// names of token fields no rule knows.
	if ferr := ingest.FillUsageObject(r, counter(v), fjson.LastKeys(v)); ferr != nil {
		return fmt.Errorf("%s: %s", ferr.Field, ferr.Reason)
	}
	return FillBilling(v, r)
}

// counter reads the count at a path of v by the shared rules' getter
// contract, of repeated keys the last.
func counter(v *fastjson.Value) ingest.UsageGetter {
	return func(path ...string) (int64, bool, *ingest.FieldError) {
		x := fjson.Last(v, path...)
		if x == nil || x.Type() == fastjson.TypeNull {
			return 0, false, nil
		}
		f, err := x.Float64()
		field := "usage." + strings.Join(path, ".")
		switch {
		case err != nil:
			return 0, false, &ingest.FieldError{Reason: "wrong type (want number)", Field: field}
		case f < 0 || f != math.Trunc(f) || f >= 1<<32:
			return 0, false, &ingest.FieldError{Reason: "bad token count", Field: field}
		}
		return int64(f), true, nil
	}
}

// FillBilling reads the billing fields of usage object v that are not
// token counts as the canonical reader reads them from the same provider
// object (ingest.FillUsageBilling): Anthropic's speed, inference_geo,
// service_tier and server_tool_use pass through LiteLLM's usage, and were
// priced at standard rates before, with exit 0. Unknown values and keys
// are added to r.UnknownUsage. For a whole usage object (ParseValue) and
// for the part of one a spend log holds apart (additional_usage_values).
func FillBilling(v *fastjson.Value, r *ingest.Record) error {
	if ferr := ingest.FillUsageBilling(r, func(path ...string) (string, bool, bool) {
		x := fjson.Last(v, path...)
		if x == nil || x.Type() == fastjson.TypeNull {
			return "", false, false
		}
		if x.Type() != fastjson.TypeString {
			return "", true, false
		}
		return string(x.GetStringBytes()), true, true
	}, counter(v), fjson.LastKeys(v)); ferr != nil {
		return fmt.Errorf("%s: %s", ferr.Field, ferr.Reason)
	}
	return nil
}

// Decode reads the fields of Usage from v as Parse does, without the
// shared rules' checks: for a part of a usage object held apart (the
// spend logs' additional_usage_values).
func Decode(v *fastjson.Value) (Usage, error) { return decode(v) }

// decode reads the fields of Usage from v by encoding/json's struct rules
// (fjson.Fields), keys matched exactly; a wrong type is named as before:
// "usage.prompt_tokens: not a token count (number 1.5)".
func decode(v *fastjson.Value) (Usage, error) {
	var u Usage
	var f fjson.Fields
	count := func(path string, v *fastjson.Value) *int64 {
		if v.Type() == fastjson.TypeNull {
			return nil
		}
		n := f.Int64(path, v)
		return &n
	}
	if o := f.Object("", v); o != nil {
		o.Visit(func(k []byte, v *fastjson.Value) {
			switch string(k) {
			case "prompt_tokens":
				u.PromptTokens = count("prompt_tokens", v)
			case "completion_tokens":
				u.CompletionTokens = count("completion_tokens", v)
			case "cache_creation_input_tokens":
				u.CacheWrite = count("cache_creation_input_tokens", v)
			case "cache_read_input_tokens":
				u.CacheRead = count("cache_read_input_tokens", v)
			case "prompt_tokens_details":
				u.PromptDetails = nil
				if d := f.Object("prompt_tokens_details", v); d != nil {
					u.PromptDetails = &promptDetails{}
					decodePromptDetails(d, u.PromptDetails, &f, count)
				}
			case "server_tool_use":
				u.ServerToolUse = nil
				if d := f.Object("server_tool_use", v); d != nil {
					u.ServerToolUse = &serverToolUse{}
					d.Visit(func(k []byte, v *fastjson.Value) {
						if string(k) == "web_search_requests" {
							u.ServerToolUse.WebSearchRequests = count("server_tool_use.web_search_requests", v)
						}
					})
				}
			case "completion_tokens_details":
				u.CompletionDetails = nil
				if d := f.Object("completion_tokens_details", v); d != nil {
					u.CompletionDetails = &completionDetails{}
					d.Visit(func(k []byte, v *fastjson.Value) {
						if string(k) == "reasoning_tokens" {
							u.CompletionDetails.ReasoningTokens = count("completion_tokens_details.reasoning_tokens", v)
						}
					})
				}
			}
		})
	}
	if f.Err != "" {
		path, what, _ := strings.Cut(f.Err, ": ")
		return u, fmt.Errorf("usage.%s: not a token count (%s)", path, what)
	}
	return u, nil
}

func decodePromptDetails(o *fastjson.Object, d *promptDetails, f *fjson.Fields, count func(string, *fastjson.Value) *int64) {
	const p = "prompt_tokens_details."
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "cached_tokens":
			d.CachedTokens = count(p+"cached_tokens", v)
		case "cache_creation_tokens":
			d.CacheCreationTokens = count(p+"cache_creation_tokens", v)
		case "cache_creation_token_details":
			d.CacheCreationDetails = nil
			if c := f.Object(p+"cache_creation_token_details", v); c != nil {
				d.CacheCreationDetails = &cacheCreationDetails{}
				c.Visit(func(k []byte, v *fastjson.Value) {
					if string(k) == "ephemeral_1h_input_tokens" {
						d.CacheCreationDetails.Ephemeral1h = count(p+"cache_creation_token_details.ephemeral_1h_input_tokens", v)
					}
				})
			}
		}
	})
}

// Fill copies u into r's token fields (canonical: input includes the
// cache, output includes reasoning).
func (u *Usage) Fill(r *ingest.Record) error {
	if u.PromptTokens == nil && u.CompletionTokens == nil {
		return ErrNoUsage
	}
	get := func(p *int64, name string) (int64, error) {
		if p == nil {
			return 0, nil
		}
		if *p < 0 {
			return 0, fmt.Errorf("usage.%s: negative", name)
		}
		if *p >= maxCount {
			// The store holds a call's counts in 32 bits and saturates
			// past them; a reader must refuse, not clamp silently.
			return 0, fmt.Errorf("usage.%s: too large", name)
		}
		return *p, nil
	}
	var err error
	var n [6]int64
	for i, f := range []struct {
		p    *int64
		name string
	}{
		{u.PromptTokens, "prompt_tokens"},
		{u.CompletionTokens, "completion_tokens"},
		{u.cacheWrite(), "cache_creation_input_tokens"},
		{u.cacheRead(), "cache_read_input_tokens"},
		{u.reasoning(), "completion_tokens_details.reasoning_tokens"},
		{u.cacheWrite1h(), "prompt_tokens_details.cache_creation_token_details.ephemeral_1h_input_tokens"},
	} {
		if n[i], err = get(f.p, f.name); err != nil {
			return err
		}
	}
	r.InputTokens, r.OutputTokens, r.CacheWriteTokens, r.CacheReadTokens, r.ReasoningTokens = n[0], n[1], n[2], n[3], n[4]
	r.CacheWrite1hTokens = n[5]
	if u.ServerToolUse != nil {
		// As the canonical usage object's (ingest.FillUsageBilling).
		if r.WebSearchRequests, err = get(u.ServerToolUse.WebSearchRequests, "server_tool_use.web_search_requests"); err != nil {
			return err
		}
	}
	return nil
}

// cacheWrite prefers Anthropic's own field; prompt_tokens_details'
// cache_creation_tokens carries the same count.
func (u *Usage) cacheWrite() *int64 {
	if u.CacheWrite != nil {
		return u.CacheWrite
	}
	if u.PromptDetails != nil {
		return u.PromptDetails.CacheCreationTokens
	}
	return nil
}

func (u *Usage) cacheWrite1h() *int64 {
	if u.PromptDetails != nil && u.PromptDetails.CacheCreationDetails != nil {
		return u.PromptDetails.CacheCreationDetails.Ephemeral1h
	}
	return nil
}

// cacheRead prefers Anthropic's own field; OpenAI's cached_tokens carries
// the same count when both are present.
func (u *Usage) cacheRead() *int64 {
	if u.CacheRead != nil {
		return u.CacheRead
	}
	if u.PromptDetails != nil {
		return u.PromptDetails.CachedTokens
	}
	return nil
}

func (u *Usage) reasoning() *int64 {
	if u.CompletionDetails != nil {
		return u.CompletionDetails.ReasoningTokens
	}
	return nil
}
