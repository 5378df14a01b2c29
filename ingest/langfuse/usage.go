package langfuse

import (
	"github.com/tokcost/tokcost/ingest/internal/jsonutil"

	"sort"
	"strings"
)

// Token slots, in canonical order.
const (
	tokIn = iota
	tokOut
	tokCacheRead
	tokCacheWrite
	tokReasoning
	tokAudioIn // audio and image parts of input and output
	tokImageIn
	tokAudioOut
	tokImageOut
	nTok
)

// mediaKeys are the audio and image parts Langfuse's SDKs split out of
// OpenAI's prompt_tokens_details and completion_tokens_details (input_ or
// output_ + the detail's name): buckets like any other input_*/output_*,
// also kept apart so they are priced at their modality's rate.
var mediaKeys = map[string]int{
	"input_audio_tokens": tokAudioIn, "input_image_tokens": tokImageIn,
	"output_audio_tokens": tokAudioOut, "output_image_tokens": tokImageOut,
}

// usageKeys names the usageDetails keys Langfuse has written over time:
// its SDKs (input_cache_read, output_reasoning), older OpenInference
// ingestion (prompt_details.cache_read, completion_details.reasoning) and
// the current OTel ingestion (input_cached_tokens, input_cache_creation,
// output_reasoning_tokens).
var usageKeys = map[string]int{
	"input":                        tokIn,
	"output":                       tokOut,
	"input_tokens":                 tokIn,
	"prompt_tokens":                tokIn,
	"output_tokens":                tokOut,
	"completion_tokens":            tokOut,
	"input_cache_read":             tokCacheRead,
	"input_cached_tokens":          tokCacheRead,
	"prompt_details.cache_read":    tokCacheRead,
	"cache_read_input_tokens":      tokCacheRead,
	"input_cache_creation":         tokCacheWrite,
	"input_cache_write":            tokCacheWrite,
	"prompt_details.cache_write":   tokCacheWrite,
	"cache_creation_input_tokens":  tokCacheWrite,
	"output_reasoning":             tokReasoning,
	"output_reasoning_tokens":      tokReasoning,
	"completion_details.reasoning": tokReasoning,
}

// convertUsage turns a usageDetails object into canonical (inclusive)
// counts. ok is false when it holds no input or output count.
//
// The buckets are disjoint when total equals the sum of all other keys
// (Langfuse's normalised form): input then excludes cache and output
// excludes reasoning, so they are added back, along with other input_*/
// output_* buckets such as audio. They are inclusive when total equals
// input + output. Without a usable total the disjoint form is assumed,
// since that is what current Langfuse ingestion writes.
//
// A total above both readings, with no reasoning key, counts tokens no key
// names: hidden reasoning (Gemini thinking), billed as output and
// returned as fromTotal. unknown names the keys no rule reads. details
// maps each key to its value's text (fjson.RawText).
func convertUsage(details map[string]string) (u [nTok]int64, ok bool, fromTotal int64, unknown []string) {
	var extraIn, extraOut, others, total int64
	var hasTotal, hasReasoning bool
	for k, text := range details {
		n, valid := jsonutil.ParseCount(text)
		if !valid {
			continue
		}
		if k == "total" {
			total, hasTotal = n, true
			continue
		}
		others += n
		if slot, known := usageKeys[k]; known {
			u[slot] += n
			switch slot {
			case tokIn, tokOut:
				ok = true
			case tokReasoning:
				hasReasoning = true
			}
			continue
		}
		if slot, media := mediaKeys[k]; media {
			u[slot] += n
		}
		switch {
		case strings.HasPrefix(k, "input_") || strings.HasPrefix(k, "prompt_details."):
			extraIn += n
		case strings.HasPrefix(k, "output_") || strings.HasPrefix(k, "completion_details."):
			extraOut += n
		default:
			unknown = append(unknown, k)
		}
	}
	if !ok {
		return u, false, 0, unknown
	}
	inclusive := hasTotal && total != others && total == u[tokIn]+u[tokOut]
	if !inclusive {
		u[tokIn] += u[tokCacheRead] + u[tokCacheWrite] + extraIn
		u[tokOut] += u[tokReasoning] + extraOut
	}
	if hasTotal && !hasReasoning && total > others && total > u[tokIn]+u[tokOut] {
		fromTotal = total - u[tokIn] - u[tokOut]
		u[tokReasoning] += fromTotal
		u[tokOut] += fromTotal
	}
	sort.Strings(unknown)
	return u, true, fromTotal, unknown
}
