package ingest

import (
	"math"
	"strings"
	"time"
)

// Canonical field names and the aliases the canonical readers accept. The
// JSONL and Parquet readers share this table so a column and a key mean the
// same thing everywhere.
var canonicalAliases = map[string]string{
	"id": "id", "event_id": "id",
	"session_id": "session_id", "sessionId": "session_id", "conversation_id": "session_id", "conversationId": "session_id",
	"seq": "seq",
	"ts":  "ts", "timestamp": "ts",
	"duration_ms":  "duration_ms",
	"kind":         "kind",
	"model":        "model",
	"provider":     "provider",
	"input_tokens": "input_tokens", "prompt_tokens": "input_tokens",
	"output_tokens": "output_tokens", "completion_tokens": "output_tokens",
	"cache_read_tokens":     "cache_read_tokens",
	"cache_write_tokens":    "cache_write_tokens",
	"cache_write_1h_tokens": "cache_write_1h_tokens",
	"reasoning_tokens":      "reasoning_tokens",
	"tool":                  "tool", "tool_name": "tool",
	"status":      "status",
	"error":       "error",
	"error_class": "error_class",
	"role":        "role",
	"workflow":    "workflow",
	"cost_usd":    "cost_usd",
	"usage":       "usage",
	"tool_args":   "tool_args", "tool_input": "tool_args",
	"tool_result": "tool_result", "tool_output": "tool_result",
	"service_tier":       "service_tier",
	"audio_input_tokens": "audio_input_tokens", "image_input_tokens": "image_input_tokens",
	"audio_output_tokens": "audio_output_tokens", "image_output_tokens": "image_output_tokens",
	"fast_mode": "fast_mode", "us_only": "us_only",
}

// canonicalOrder is the schema's field order (docs/format.md); a test
// keeps it equal to the alias table's targets.
var canonicalOrder = []string{
	"id", "session_id", "seq", "ts", "duration_ms", "kind", "model", "provider",
	"input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens",
	"tool", "status", "error", "error_class", "role", "workflow", "cost_usd", "usage",
	"tool_args", "tool_result",
	"service_tier",
	"audio_input_tokens", "image_input_tokens", "audio_output_tokens", "image_output_tokens",
	"fast_mode", "us_only",
}

// CanonicalFields lists the canonical field names in schema order.
func CanonicalFields() []string { return append([]string(nil), canonicalOrder...) }

// CanonicalField maps a field name or alias to its canonical name; ok is
// false for fields that are not part of the schema (they become attributes).
func CanonicalField(name string) (canonical string, ok bool) {
	c, ok := canonicalAliases[name]
	return c, ok
}

// Bounds on a record's values, checked by Validate. Nothing real comes
// near them; past them a value is corrupt or hostile, and accepting it
// would let sums overflow: a cost of 1e308 twice is +Inf, a timestamp 500
// years after another makes a negative duration in int64 nanoseconds.
// With these bounds every start, end and difference fits in int64 and
// every sum of costs stays finite.
const (
	// maxCostUSD bounds a record's cost_usd.
	maxCostUSD = 1e6
	// maxDurationMS bounds a step's duration: one year.
	maxDurationMS = 365 * 24 * 3600 * 1e3
	// maxTSNano is 2200-01-01T00:00:00Z, the end of the accepted
	// timestamps (which start at the Unix epoch).
	maxTSNano = 7258118400 * 1e9
)

// maxTokens bounds one call's token counts. Nothing real comes near it; a
// larger value is a corrupt record, not a very long prompt.
const maxTokens = 1 << 32

// FieldError is a problem with one field of one record; readers report it
// as an invalid Note. Its Reason is the stable, countable part; Field
// names the field for the message.
type FieldError struct {
	Reason string
	Field  string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// TokenCount validates a token count given as a JSON number.
func TokenCount(field string, f float64) (int64, *FieldError) {
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, &FieldError{"non-finite number", field}
	case f < 0:
		return 0, &FieldError{"negative token count", field}
	case f != math.Trunc(f):
		return 0, &FieldError{"fractional token count", field}
	case f >= maxTokens:
		return 0, &FieldError{"token count too large", field}
	}
	return int64(f), nil
}

// ParseKind accepts "llm" and "tool" in any case.
func ParseKind(s string) (Kind, *FieldError) {
	switch strings.ToLower(s) {
	case "llm":
		return KindLLM, nil
	case "tool":
		return KindTool, nil
	}
	return KindUnknown, &FieldError{"unknown kind (want llm or tool)", "kind"}
}

// ParseStatus accepts "ok", "error" and "timeout" in any case.
func ParseStatus(s string) (Status, *FieldError) {
	switch strings.ToLower(s) {
	case "ok", "":
		return StatusOK, nil
	case "error":
		return StatusError, nil
	case "timeout":
		return StatusTimeout, nil
	}
	return StatusOK, &FieldError{"unknown status (want ok, error or timeout)", "status"}
}

// ParseErrorClass accepts the ErrorClass text forms; "" and "plain" are a
// plain error.
func ParseErrorClass(s string) (ErrorClass, *FieldError) {
	switch s {
	case "", "plain":
		return ErrorPlain, nil
	case "sibling_cancel":
		return ErrorSiblingCancel, nil
	case "user_rejected":
		return ErrorUserRejected, nil
	}
	return ErrorPlain, &FieldError{"unknown error_class (want sibling_cancel or user_rejected)", "error_class"}
}

// parseTimeString parses an RFC 3339 timestamp.
func parseTimeString(s string) (int64, *FieldError) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !nanosRepresentable(t) {
		return 0, &FieldError{"bad timestamp (want RFC 3339 or epoch ms)", "ts"}
	}
	return t.UnixNano(), nil
}

// EpochMillis converts epoch milliseconds to Unix nanoseconds, validated.
func EpochMillis(f float64) (int64, *FieldError) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f >= maxTSNano/1e6 {
		return 0, &FieldError{"bad timestamp (want RFC 3339 or epoch ms)", "ts"}
	}
	// Split whole milliseconds from the fraction: f·1e6 alone exceeds
	// float64's 53-bit precision and would be off by ~100 ns.
	whole := math.Floor(f)
	return int64(whole)*1e6 + int64(math.Round((f-whole)*1e6)), nil
}

// Finish applies the cross-field rules every canonical reader shares (the
// JSONL reader, and Parquet, CSV and --map for records they filled): kind
// inference, status from an error message when statusExplicit is false,
// and token consistency. It returns the first violation; nil means the
// record is valid.
func Finish(r *Record, statusExplicit bool) *FieldError {
	if r.Kind == KindUnknown {
		// A step with a tool name and no tokens is a tool call; anything
		// else is a model call.
		if r.Tool != "" && r.Model == "" && r.InputTokens == 0 && r.OutputTokens == 0 {
			r.Kind = KindTool
		} else {
			r.Kind = KindLLM
		}
	}
	if r.Status == StatusOK && r.Error != "" && !statusExplicit {
		r.Status = StatusError
	}
	if r.ErrorClass == ErrorPlain && r.Error != "" {
		// Producers that write the text but not the class still get
		// sibling-cancel cascades and rejections recognised.
		r.ErrorClass = ClassifyToolError(r.Error)
	}
	return Validate(r)
}

// Validate checks the invariants every record must meet, whatever format
// it came from: a session, token counts in range (0 ≤ n < 2³²) and
// consistent (cache within input, reasoning within output), a finite
// non-negative cost and duration. Run applies it to every reader's output,
// so a reader's slip becomes an invalid line, never a wrong dollar figure.
func Validate(r *Record) *FieldError {
	if r.SessionID == "" {
		return &FieldError{"missing session_id", "session_id"}
	}
	for _, t := range [...]struct {
		n    int64
		name string
	}{{r.InputTokens, "input_tokens"}, {r.OutputTokens, "output_tokens"}, {r.CacheReadTokens, "cache_read_tokens"},
		{r.CacheWriteTokens, "cache_write_tokens"}, {r.CacheWrite1hTokens, "cache_write_1h_tokens"}, {r.ReasoningTokens, "reasoning_tokens"},
		{r.AudioInputTokens, "audio_input_tokens"}, {r.ImageInputTokens, "image_input_tokens"},
		{r.AudioOutputTokens, "audio_output_tokens"}, {r.ImageOutputTokens, "image_output_tokens"}} {
		if t.n < 0 {
			return &FieldError{"negative token count", t.name}
		}
		if t.n >= maxTokens {
			return &FieldError{"token count too large", t.name}
		}
	}
	if r.CacheReadTokens+r.CacheWriteTokens > r.InputTokens {
		return &FieldError{"cache tokens exceed input_tokens (input must include cache reads and writes)", "input_tokens"}
	}
	if r.CacheWrite1hTokens > r.CacheWriteTokens {
		return &FieldError{"cache_write_1h_tokens exceed cache_write_tokens", "cache_write_1h_tokens"}
	}
	if r.ReasoningTokens > r.OutputTokens {
		return &FieldError{"reasoning tokens exceed output_tokens (output must include reasoning)", "output_tokens"}
	}
	if r.AudioInputTokens+r.ImageInputTokens > r.InputTokens {
		return &FieldError{"audio and image input tokens exceed input_tokens (they are parts of it)", "audio_input_tokens"}
	}
	if r.AudioOutputTokens+r.ImageOutputTokens+r.ReasoningTokens > r.OutputTokens {
		return &FieldError{"audio and image output tokens exceed output_tokens less reasoning (they are parts of it)", "audio_output_tokens"}
	}
	if r.HasCost && (r.CostUSD < 0 || math.IsNaN(r.CostUSD) || math.IsInf(r.CostUSD, 0)) {
		return &FieldError{"bad cost_usd", "cost_usd"}
	}
	if r.HasCost && r.CostUSD > maxCostUSD {
		return &FieldError{"cost_usd too large (over $1,000,000 for one call)", "cost_usd"}
	}
	if r.DurationMS < 0 || math.IsNaN(r.DurationMS) || math.IsInf(r.DurationMS, 0) {
		return &FieldError{"bad duration_ms", "duration_ms"}
	}
	if r.DurationMS > maxDurationMS {
		return &FieldError{"duration_ms too large (over a year)", "duration_ms"}
	}
	if r.TSNano < 0 || r.TSNano >= maxTSNano {
		// A time outside 1970–2200 is dropped, not the record: the
		// record stays, unordered, and is counted as ts_unreadable, so
		// no timestamp problem costs tokens (docs/safety.md).
		r.TSNano, r.TSUnreadable = 0, true
	}
	return nil
}
