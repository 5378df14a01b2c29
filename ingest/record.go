package ingest

// Kind says whether a record is a model call or a tool call.
type Kind uint8

const (
	KindUnknown Kind = iota
	KindLLM
	KindTool
)

func (k Kind) String() string {
	switch k {
	case KindLLM:
		return "llm"
	case KindTool:
		return "tool"
	}
	return "unknown"
}

// Status is the outcome of one step.
type Status uint8

const (
	StatusOK Status = iota
	StatusError
	StatusTimeout
)

func (s Status) String() string {
	switch s {
	case StatusError:
		return "error"
	case StatusTimeout:
		return "timeout"
	}
	return "ok"
}

// ErrorClass tags tool errors that are not model retries, so loop detection
// can count them as one event (see docs/formats/claude-code.md).
type ErrorClass uint8

const (
	ErrorPlain         ErrorClass = iota
	ErrorSiblingCancel            // "Sibling tool call errored": cascade from one failure in a parallel batch
	ErrorUserRejected             // a person declined the tool call; a decision, not a failure
)

// String is the canonical text form ("" for a plain error).
func (c ErrorClass) String() string {
	switch c {
	case ErrorSiblingCancel:
		return "sibling_cancel"
	case ErrorUserRejected:
		return "user_rejected"
	}
	return ""
}

// Record is one step of an agent session in canonical form.
//
// Token semantics follow OpenTelemetry GenAI: InputTokens INCLUDES cache
// reads and writes, OutputTokens INCLUDES reasoning. Every reader converts
// its source's semantics into this form.
type Record struct {
	ID        string // optional event id; records with the same id in a session are one event
	SessionID string
	Seq       int64
	HasSeq    bool
	TSNano    int64 // start time, Unix nanoseconds; 0 when unknown
	// DurationMS is the step's wall time in milliseconds (0 when unknown).
	DurationMS float64
	Kind       Kind
	Model      string
	Provider   string

	InputTokens        int64
	OutputTokens       int64
	CacheReadTokens    int64
	CacheWriteTokens   int64 // all cache writes, 1-hour ones included
	CacheWrite1hTokens int64 // the part of CacheWriteTokens written with a 1-hour TTL
	ReasoningTokens    int64
	// The audio and image parts of InputTokens and OutputTokens (canonical
	// audio_input_tokens, image_input_tokens, audio_output_tokens,
	// image_output_tokens; OpenAI *_tokens_details.audio_tokens and
	// image_tokens; OTel gen_ai.usage.audio.input_tokens, …). Subsets, as
	// the vendors report them: totals do not change, only the price of
	// that part (the modality's rate, docs/pricing.md). Output media
	// excludes reasoning.
	AudioInputTokens, ImageInputTokens, AudioOutputTokens, ImageOutputTokens int64

	Tool       string
	Status     Status
	Error      string
	ErrorClass ErrorClass
	Role       string
	Workflow   string

	// A tool call's arguments and result, as hashes (toolio.go): 0 when
	// the producer did not record them. ToolArgsLabel is a short printable
	// excerpt of the arguments (at most MaxArgsLabel bytes) and
	// ToolResultBytes the result's size, both only to describe a loop.
	ToolArgsHash    uint64
	ToolResultHash  uint64
	ToolArgsLabel   string
	ToolResultBytes int64

	CostUSD float64 // cost the producer computed; valid when HasCost
	HasCost bool

	// ServiceTier is the vendor service tier the call was billed in
	// (canonical service_tier); the zero value is standard.
	ServiceTier ServiceTier
	// WebSearchRequests is the server-side web searches the call made
	// (Anthropic usage.server_tool_use.web_search_requests), billed per search.
	WebSearchRequests int64
	// USOnly marks a call whose inference ran US-only (Anthropic
	// usage.inference_geo "us"), billed with the model's US uplift.
	USOnly bool
	// Fast marks a call run in Anthropic's fast mode (usage.speed "fast"),
	// billed with the model's fast-mode multiplier.
	Fast bool

	// Calls, when above 0, marks a record that stands for that many model
	// calls known only by their totals (a SWE-agent v0 trajectory's
	// info.model_stats): its tokens and cost are the session's sums, and
	// the per-call analyses list the session as "totals only".
	// At most MaxTotalsCalls: a reader notes a larger count as invalid.
	Calls int64

	// Attrs holds fields the reader did not map (scalar values as text).
	// They become session attributes, usable with --group-by.
	Attrs map[string]string

	// Provenance: which input, which line (1-based) and which record within
	// that line (0-based; formats with many records per line use it).
	File string
	Line int64
	Sub  int32
	// SameUnit marks the second and later records one input unit yields
	// (a Claude Code line with several tool results, a Gemini message with
	// tool calls), so the unit is accounted for once.
	SameUnit bool
	// Replica marks a record that may repeat an event recorded elsewhere
	// (a Claude Code sidechain replaying a parent's response): when two
	// records share an ID, the one that is not a replica is kept.
	Replica bool

	// What the reader assumed or recovered to read this record; the
	// report's input coverage counts them (docs/json.md).
	TSAssumedUTC    bool   // the timestamp had no zone and was read as UTC
	TSUnreadable    bool   // the timestamp could not be read: the record is kept, unordered by time
	ZeroOutputText  bool   // a model call that returned text but reports 0 output tokens
	TokensFromTotal int64  // output tokens recovered from the usage total (hidden reasoning)
	UnknownUsage    string // *_tokens fields of the usage object no rule knows, comma-separated
}

// MaxTotalsCalls bounds Record.Calls (the analysis keeps it in 16 bits).
const MaxTotalsCalls = 1<<16 - 1

// Reset clears r for reuse, keeping the Attrs map's storage.
func (r *Record) Reset() {
	attrs := r.Attrs
	if len(attrs) > 0 { // even an empty map's iterator costs: most records have no attributes
		clear(attrs)
	}
	*r = Record{Attrs: attrs}
}
