package otel

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tokcost/tokcost/ingest/internal/jsonutil"
	"github.com/tokcost/tokcost/ingest/internal/toolhash"
)

// class is what a span is, as far as cost goes.
type class uint8

const (
	classOther class = iota
	classLLM         // an inference call (chat, generate_content, OpenInference LLM, …)
	classTool        // a tool execution
	classAgent       // invoke_agent, workflows, chains: spans that wrap steps
)

// Token slots, in the order of span.tok.
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
	tokTotal // the producer's total, read only to recover hidden reasoning
	nTok
)

// slot says where an attribute goes and how much it is trusted: current
// semconv names beat deprecated and vendor aliases when a span has both.
type slot struct {
	field int
	prio  int8
}

// tokenAttrs maps every usage attribute in use (docs/formats/otel.md) to its slot.
var tokenAttrs = map[string]slot{
	"gen_ai.usage.input_tokens":                    {tokIn, 4},
	"gen_ai.usage.prompt_tokens":                   {tokIn, 3},
	"llm.token_count.prompt":                       {tokIn, 2},
	"ai.usage.inputTokens":                         {tokIn, 1},
	"ai.usage.promptTokens":                        {tokIn, 1},
	"gen_ai.usage.output_tokens":                   {tokOut, 4},
	"gen_ai.usage.completion_tokens":               {tokOut, 3},
	"llm.token_count.completion":                   {tokOut, 2},
	"ai.usage.outputTokens":                        {tokOut, 1},
	"ai.usage.completionTokens":                    {tokOut, 1},
	"gen_ai.usage.cache_read.input_tokens":         {tokCacheRead, 4},
	"gen_ai.usage.cache_read_input_tokens":         {tokCacheRead, 3},
	"llm.token_count.prompt_details.cache_read":    {tokCacheRead, 2},
	"gen_ai.usage.input_tokens.cached":             {tokCacheRead, 1},
	"ai.usage.cachedInputTokens":                   {tokCacheRead, 1},
	"gen_ai.usage.cache_creation.input_tokens":     {tokCacheWrite, 4},
	"gen_ai.usage.cache_write.input_tokens":        {tokCacheWrite, 4}, // semantic-conventions main's name for cache_creation
	"gen_ai.usage.cache_creation_input_tokens":     {tokCacheWrite, 3},
	"gen_ai.usage.cache_write_input_tokens":        {tokCacheWrite, 3}, // Strands Agents (Coralogix llm-tracekit)
	"llm.token_count.prompt_details.cache_write":   {tokCacheWrite, 2},
	"gen_ai.usage.reasoning.output_tokens":         {tokReasoning, 4},
	"gen_ai.usage.reasoning_tokens":                {tokReasoning, 3},
	"llm.usage.reasoning_tokens":                   {tokReasoning, 3},
	"llm.token_count.completion_details.reasoning": {tokReasoning, 2},
	"gen_ai.usage.output_tokens.reasoning":         {tokReasoning, 1},
	"ai.usage.reasoningTokens":                     {tokReasoning, 1},
	// Per-modality parts (semantic-conventions-genai, the usage breakdown
	// group; OpenInference's prompt_details.audio).
	"gen_ai.usage.audio.input_tokens":          {tokAudioIn, 4},
	"gen_ai.usage.image.input_tokens":          {tokImageIn, 4},
	"gen_ai.usage.audio.output_tokens":         {tokAudioOut, 4},
	"gen_ai.usage.image.output_tokens":         {tokImageOut, 4},
	"llm.token_count.prompt_details.audio":     {tokAudioIn, 2},
	"llm.token_count.completion_details.audio": {tokAudioOut, 2},
	"gen_ai.usage.total_tokens":                {tokTotal, 3},
	"llm.usage.total_tokens":                   {tokTotal, 3},
	"llm.token_count.total":                    {tokTotal, 2},
	"ai.usage.totalTokens":                     {tokTotal, 1},
}

// String attributes, by target and priority.
const (
	strModel = iota
	strProvider
	strSession
	strTool
	strTier // the service tier the response was billed in
	nStr
)

var stringAttrs = map[string]slot{
	"gen_ai.response.model":  {strModel, 5},
	"llm.response.model":     {strModel, 4},
	"llm.model_name":         {strModel, 3},
	"gen_ai.request.model":   {strModel, 2},
	"llm.request.model":      {strModel, 2},
	"ai.model.id":            {strModel, 1},
	"gen_ai.provider.name":   {strProvider, 3},
	"gen_ai.system":          {strProvider, 2},
	"llm.provider":           {strProvider, 2},
	"llm.system":             {strProvider, 1},
	"ai.model.provider":      {strProvider, 1},
	"gen_ai.conversation.id": {strSession, 3},
	"session.id":             {strSession, 2},
	"langfuse.session.id":    {strSession, 1},
	"gen_ai.tool.name":       {strTool, 3},
	"tool.name":              {strTool, 2},
	"ai.toolCall.name":       {strTool, 2},
	// The tier the response reports, not the one requested ("auto").
	"openai.response.service_tier":        {strTier, 2},
	"gen_ai.openai.response.service_tier": {strTier, 1},
}

// span is the compact summary a reader keeps of one span until its trace
// is resolved: only the mapped fields, never the attribute list.
type span struct {
	traceID, spanID, parentID string
	name                      string
	scope                     string // instrumentation scope (library) name; "" when unknown
	start, end                int64  // Unix nanoseconds; 0 when absent

	op       string // gen_ai.operation.name
	oiKind   string // openinference.span.kind
	tlKind   string // traceloop.span.kind
	reqType  string // llm.request.type
	entity   string // traceloop.entity.name
	agent    string // gen_ai.agent.name
	respID   string // gen_ai.response.id
	workflow string // traceloop.workflow.name

	str     [nStr]string
	strPrio [nStr]int8
	counts

	resSession     string // session from resource attributes
	resSessionPrio int8
	service        string // resource service.name

	// The tool call's arguments and result, hashed as they are read
	// (toolhash.ValueText): no text is buffered with the trace.
	argsHash, resultHash uint64
	argsLabel            string
	resultBytes          int64

	statusErr bool
	statusMsg string
	errType   string
	badToken  string // first token attribute whose value is not a count
	unknown   string // usage attributes no rule reads, comma-separated
	hasOutput bool   // the span records model output text

	file string
	line int64
	sub  int32
}

// setAttr maps one attribute, given as text. Unknown attributes are dropped:
// keeping them would make buffering a large trace expensive.
func (s *span) setAttr(key, val string) {
	if sl, ok := tokenAttrs[key]; ok {
		n, ok := jsonutil.ParseCount(val)
		if !ok {
			// A count that is negative, fractional or not a number would
			// silently become 0 tokens; the span is invalid instead.
			if s.badToken == "" {
				s.badToken = key
			}
			return
		}
		if sl.prio > s.tokPrio[sl.field] {
			s.tok[sl.field], s.tokPrio[sl.field] = n, sl.prio
		}
		return
	}
	if unknownUsageAttr(key) {
		if s.unknown != "" {
			s.unknown += ","
		}
		s.unknown += key
		return
	}
	if sl, ok := stringAttrs[key]; ok {
		if val != "" && sl.prio > s.strPrio[sl.field] {
			s.str[sl.field], s.strPrio[sl.field] = val, sl.prio
		}
		return
	}
	switch key {
	case "otel.scope.name", "otel.library.name": // Jaeger and Zipkin carry the scope as a tag
		s.scope = val
	case "gen_ai.operation.name":
		s.op = val
	case "openinference.span.kind":
		s.oiKind = strings.ToUpper(val)
	case "traceloop.span.kind":
		s.tlKind = strings.ToLower(val)
	case "llm.request.type":
		s.reqType = strings.ToLower(val)
	case "traceloop.entity.name":
		s.entity = val
	case "traceloop.workflow.name":
		s.workflow = val
	case "gen_ai.agent.name":
		s.agent = val
	case "gen_ai.response.id":
		s.respID = val
	case "gen_ai.completion.0.content", "gen_ai.output.messages", "llm.output_messages.0.message.content", "output.value":
		s.hasOutput = s.hasOutput || (val != "" && val != "[]" && val != "null")
	case "gen_ai.tool.call.arguments", "ai.toolCall.args":
		// The semconv name wins over the AI SDK's, in any order.
		if s.argsHash == 0 || key == "gen_ai.tool.call.arguments" {
			var p fastjson.Parser
			s.argsHash, s.argsLabel, _ = toolhash.ValueText(&p, val)
		}
	case "gen_ai.tool.call.result", "ai.toolCall.result":
		if s.resultHash == 0 || key == "gen_ai.tool.call.result" {
			var p fastjson.Parser
			s.resultHash, _, s.resultBytes = toolhash.ValueText(&p, val)
		}
	case "error.type":
		s.errType = val
	case "otel.status_code": // Jaeger and Zipkin carry the status as a tag
		if strings.EqualFold(val, "ERROR") {
			s.statusErr = true
		}
	case "otel.status_description":
		if s.statusMsg == "" {
			s.statusMsg = val
		}
	case "error": // Jaeger's error=true tag
		if strings.EqualFold(val, "true") {
			s.statusErr = true
		}
	}
}

// partUsageAttrs are token attributes read on purpose as nothing: the text
// part is what remains of input and output, and cached media is priced
// with the rest of the cache reads (docs/pricing.md).
var partUsageAttrs = map[string]bool{
	"gen_ai.usage.text.input_tokens": true, "gen_ai.usage.text.output_tokens": true,
	"gen_ai.usage.text.cache_read.input_tokens": true, "gen_ai.usage.image.cache_read.input_tokens": true,
	"gen_ai.usage.audio.cache_read.input_tokens": true,
}

// unknownUsageAttr reports whether key looks like a token count in one of
// the usage namespaces but is not one tokenAttrs maps: counting such keys
// makes the next gap in the mapping visible the first time it appears.
// Under OpenInference's llm.token_count. every key is a count, named
// without "token" (prompt_details.audio), so any key not mapped there is one.
func unknownUsageAttr(key string) bool {
	if partUsageAttrs[key] {
		return false
	}
	for _, p := range [...]string{"gen_ai.usage.", "llm.usage.", "llm.token_count.", "ai.usage."} {
		// The namespace in any case: GEN_AI.USAGE.INPUT_TOKENS is a
		// mis-cased known name, which the report names, as the canonical
		// reader names a mis-cased usage key (ingest/usage.go).
		if len(key) >= len(p) && strings.EqualFold(key[:len(p)], p) {
			if p == "llm.token_count." {
				return true
			}
			return strings.Contains(strings.ToLower(key[len(p):]), "token")
		}
	}
	return false
}

// setResourceAttr maps a resource attribute: sessions and the service name.
func (s *span) setResourceAttr(key, val string) {
	switch key {
	case "gen_ai.conversation.id", "session.id", "langfuse.session.id":
		if p := stringAttrs[key].prio; val != "" && p > s.resSessionPrio {
			s.resSession, s.resSessionPrio = val, p
		}
	case "service.name":
		s.service = val
	}
}

// counts are a span's token counts, each with the priority of the
// attribute it was read from (0: absent).
type counts struct {
	tok     [nTok]int64
	tokPrio [nTok]int8
}

// hasUsage reports whether the span carries input or output token counts.
func (s *counts) hasUsage() bool { return s.tokPrio[tokIn] > 0 || s.tokPrio[tokOut] > 0 }

// usage returns the canonical token counts. Anthropic's input excludes
// cache reads and writes; some emitters pass it through unchanged, so an
// input smaller than its cache counts is made inclusive. A total above
// input + output with no reasoning attribute counts hidden reasoning
// (Gemini thinking), billed as output: u[tokTotal] is then that part.
func (s *counts) usage() [nTok]int64 {
	u := s.tok
	if c := u[tokCacheRead] + u[tokCacheWrite]; c > 0 && u[tokIn] < c {
		u[tokIn] += c
	}
	total := u[tokTotal]
	u[tokTotal] = 0
	if s.tokPrio[tokTotal] > 0 && s.tokPrio[tokReasoning] == 0 && s.hasUsage() && total > u[tokIn]+u[tokOut] {
		u[tokTotal] = total - u[tokIn] - u[tokOut]
		u[tokReasoning] = u[tokTotal]
		u[tokOut] += u[tokTotal]
	}
	return u
}

// classify says what the span is, from the operation name and its aliases.
func (s *span) classify() class {
	switch s.op {
	case "chat", "generate_content", "text_completion", "embeddings", "completion":
		return classLLM
	case "execute_tool":
		return classTool
	case "invoke_agent", "create_agent", "invoke_workflow":
		return classAgent
	}
	switch s.oiKind {
	case "LLM", "EMBEDDING":
		return classLLM
	case "TOOL":
		return classTool
	case "AGENT", "CHAIN":
		return classAgent
	}
	switch s.tlKind {
	case "tool":
		return classTool
	case "workflow", "task", "agent":
		return classAgent
	}
	switch s.reqType {
	case "chat", "completion", "embedding":
		return classLLM
	}
	if strings.HasPrefix(s.name, "execute_tool ") {
		return classTool
	}
	if strings.HasPrefix(s.name, "invoke_agent") {
		return classAgent
	}
	return classOther
}

// toolName is the tool a tool span ran.
func (s *span) toolName() string {
	if t := s.str[strTool]; t != "" {
		return t
	}
	if t, ok := strings.CutPrefix(s.name, "execute_tool "); ok {
		return t
	}
	if s.entity != "" {
		return s.entity
	}
	return s.name
}

// agentName is the role an invoke_agent span gives its descendants.
func (s *span) agentName() string {
	if s.agent != "" {
		return s.agent
	}
	if a, ok := strings.CutPrefix(s.name, "invoke_agent "); ok {
		return a
	}
	return ""
}

// isInvokeAgent reports whether the span names the agent running below it.
func (s *span) isInvokeAgent() bool {
	return s.op == "invoke_agent" || strings.HasPrefix(s.name, "invoke_agent") || (s.oiKind == "AGENT" && s.agent != "")
}

func (s *span) failed() bool { return s.statusErr || s.errType != "" }

func (s *span) errMessage() string {
	switch {
	case s.statusMsg != "":
		return s.statusMsg
	case s.errType != "":
		return s.errType
	}
	return "error"
}
